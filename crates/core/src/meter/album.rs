//! Album loudness: the integrated loudness of several tracks as if played one after another
//! (BS.1770's gating over all their blocks together, which is not the mean of the tracks'
//! own figures: the relative gate is set by the whole album), each track measured at its own
//! rate and channel count. The gating blocks are the tracks' own, so the few 400 ms blocks
//! that would straddle the joins of a concatenated file are not counted (as in ReplayGain's
//! and r128gain's album figures).

use super::analysis::AnalysisError;
use super::stream::check_block;
use ebur128::{EbuR128, Mode};

/// One track's gated-loudness blocks, ready to be combined with others.
pub struct TrackLoudness {
    meter: EbuR128,
    num_channels: usize,
}

fn meter_error(e: ebur128::Error) -> AnalysisError {
    AnalysisError::Meter(format!("{e:?}"))
}

impl std::fmt::Debug for TrackLoudness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrackLoudness")
    }
}

/// Measures one track (planar channels at `sample_rate_hz`): the whole-slice form of
/// [`TrackLoudness::new`] and [`TrackLoudness::push`].
pub fn track_loudness(
    channels: &[&[f32]],
    sample_rate_hz: u32,
) -> Result<TrackLoudness, AnalysisError> {
    let mut track = TrackLoudness::new(channels.len(), sample_rate_hz)?;
    track.push(channels)?;
    Ok(track)
}

impl TrackLoudness {
    /// An empty track of `num_channels` channels at `sample_rate_hz`, to be pushed block by
    /// block; [`AnalysisError::Meter`] when the loudness meter refuses them.
    ///
    /// Memory: the meter's 400 ms ring buffer and one number per 100 ms gating block (about
    /// 290 KB per hour). The figures do not depend on how the track is split into blocks: the
    /// whole-slice [`track_loudness`] fed the meter in one call, and `ebur128` is split-invariant
    /// on x86 and x86-64 (see `meter::stream`; tested).
    pub fn new(num_channels: usize, sample_rate_hz: u32) -> Result<Self, AnalysisError> {
        let meter =
            EbuR128::new(num_channels as u32, sample_rate_hz, Mode::I).map_err(meter_error)?;
        Ok(Self {
            meter,
            num_channels,
        })
    }

    /// Measures the next `block`: one slice per channel, all of the same length (any, 0
    /// included); another channel count or unequal lengths are a [`AnalysisError::BadLayout`].
    pub fn push(&mut self, block: &[&[f32]]) -> Result<(), AnalysisError> {
        if check_block(block, self.num_channels)? == 0 {
            return Ok(());
        }
        self.meter.add_frames_planar_f32(block).map_err(meter_error)
    }

    /// The track's own integrated loudness, LUFS; `None` if everything is gated out.
    pub fn integrated_lufs(&self) -> Option<f64> {
        self.meter.loudness_global().ok().filter(|l| l.is_finite())
    }
}

/// Integrated loudness of the tracks together, LUFS; `None` if everything is gated out.
pub fn album_lufs(tracks: &[&TrackLoudness]) -> Option<f64> {
    EbuR128::loudness_global_multiple(tracks.iter().map(|t| &t.meter))
        .ok()
        .filter(|l| l.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::stream::test_support::{block_plans, push_in_blocks, signals};

    /// Pre-streaming `track_loudness`, frozen (the reference the streaming meter must
    /// reproduce).
    fn old_track_loudness(
        channels: &[&[f32]],
        sample_rate_hz: u32,
    ) -> Result<TrackLoudness, AnalysisError> {
        let meter_error = |e: ebur128::Error| AnalysisError::Meter(format!("{e:?}"));
        let mut meter =
            EbuR128::new(channels.len() as u32, sample_rate_hz, Mode::I).map_err(meter_error)?;
        meter.add_frames_planar_f32(channels).map_err(meter_error)?;
        Ok(TrackLoudness {
            meter,
            num_channels: channels.len(),
        })
    }

    /// The track's figures as bits: its own loudness and the album's with a fixed other track.
    fn figures(track: &TrackLoudness, other: &TrackLoudness) -> [Option<u64>; 2] {
        [
            track.integrated_lufs().map(f64::to_bits),
            album_lufs(&[track, other]).map(f64::to_bits),
        ]
    }

    /// Relies on `ebur128`'s split invariance (see `meter::stream`), checked on these targets.
    #[cfg(all(
        any(target_arch = "x86", target_arch = "x86_64"),
        target_feature = "sse2"
    ))]
    #[test]
    fn the_streaming_track_equals_the_pre_streaming_one_whatever_the_blocks() {
        let other = track_loudness(&[&tone(44_100, 10.0, 0.1)], 44_100).unwrap();
        for (rate, seconds) in [
            (22_050u32, 0.3),
            (44_100, 2.9),
            (48_000, 13.0),
            (96_000, 4.0),
        ] {
            let len = (f64::from(rate) * seconds) as usize + 1;
            for (name, l, r) in signals(rate, len, u64::from(rate) + 2) {
                for channels in [vec![&l[..], &r[..]], vec![&l[..]]] {
                    let what = format!("{rate} Hz {len} {name} {} ch", channels.len());
                    let whole = figures(&track_loudness(&channels, rate).unwrap(), &other);
                    let old = figures(&old_track_loudness(&channels, rate).unwrap(), &other);
                    assert_eq!(whole, old, "{what}");
                    for plan in block_plans(len as u64, len < 100_000) {
                        let mut track = TrackLoudness::new(channels.len(), rate).unwrap();
                        push_in_blocks(&channels, &plan, |b| track.push(b).unwrap());
                        assert_eq!(figures(&track, &other), whole, "{what} {plan:?}");
                    }
                }
            }
        }
        let mut track = TrackLoudness::new(1, 48_000).unwrap();
        assert!(matches!(
            track.push(&[&[0.0f32; 3][..], &[0.0f32; 3][..]]),
            Err(AnalysisError::BadLayout(_))
        ));
    }

    fn tone(rate: u32, seconds: f32, amp: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| amp * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn the_album_is_measured_as_one_concatenated_file() {
        // Long tracks: only the few 400 ms blocks that straddle the join of the concatenated
        // file are missing from the combined meters.
        let (a, b) = (tone(48_000, 60.0, 0.5), tone(48_000, 120.0, 0.05));
        let joined: Vec<f32> = a.iter().chain(&b).copied().collect();
        let whole = track_loudness(&[&joined], 48_000).unwrap();
        let (ta, tb) = (
            track_loudness(&[&a], 48_000).unwrap(),
            track_loudness(&[&b], 48_000).unwrap(),
        );
        let album = album_lufs(&[&ta, &tb]).unwrap();
        let want = whole.integrated_lufs().unwrap();
        assert!((album - want).abs() < 0.02, "{album} vs {want}");
        // 20 dB apart: the quiet track's blocks fall under the album's relative gate, so the
        // album is not the energy mean of the two (which would be ~4.8 dB under the loud one).
        let loud = ta.integrated_lufs().unwrap();
        assert!(
            (album - loud).abs() < 0.1,
            "{album} vs the loud track {loud}"
        );
    }

    #[test]
    fn tracks_at_different_rates_combine() {
        let (a, b) = (tone(44_100, 10.0, 0.3), tone(96_000, 10.0, 0.3));
        let (ta, tb) = (
            track_loudness(&[&a], 44_100).unwrap(),
            track_loudness(&[&b], 96_000).unwrap(),
        );
        let album = album_lufs(&[&ta, &tb]).unwrap();
        assert!(
            (album - ta.integrated_lufs().unwrap()).abs() < 0.05,
            "{album}"
        );
    }
}
