//! Album loudness: the integrated loudness of several tracks as if played one after another
//! (BS.1770's gating over all their blocks together, which is not the mean of the tracks'
//! own figures: the relative gate is set by the whole album), each track measured at its own
//! rate and channel count. The gating blocks are the tracks' own, so the few 400 ms blocks
//! that would straddle the joins of a concatenated file are not counted (as in ReplayGain's
//! and r128gain's album figures).

use super::analysis::AnalysisError;
use ebur128::{EbuR128, Mode};

/// One track's gated-loudness blocks, ready to be combined with others.
pub struct TrackLoudness {
    meter: EbuR128,
}

impl std::fmt::Debug for TrackLoudness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrackLoudness")
    }
}

/// Measures one track (planar channels at `sample_rate_hz`).
pub fn track_loudness(
    channels: &[&[f32]],
    sample_rate_hz: u32,
) -> Result<TrackLoudness, AnalysisError> {
    let meter_error = |e: ebur128::Error| AnalysisError::Meter(format!("{e:?}"));
    let mut meter =
        EbuR128::new(channels.len() as u32, sample_rate_hz, Mode::I).map_err(meter_error)?;
    meter.add_frames_planar_f32(channels).map_err(meter_error)?;
    Ok(TrackLoudness { meter })
}

impl TrackLoudness {
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
