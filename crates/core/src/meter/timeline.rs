//! Loudness over time for reports: the EBU short-term loudness (3 s window) every
//! [`TIMELINE_HOP_S`], and each channel's true peak over the whole file, both from the same
//! `ebur128` meter as [`super::analysis::analyze`].

use super::analysis::AnalysisError;
use super::stream::{StepBuffer, check_block};
use ebur128::{EbuR128, Mode};

/// Time between two short-term loudness readings, seconds.
pub const TIMELINE_HOP_S: f32 = 0.5;

/// Loudness over time of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    /// Short-term loudness (the 3 s window ending at `(i + 1) * TIMELINE_HOP_S`), LUFS;
    /// `None` where the window is silent.
    pub short_term_lufs: Vec<Option<f32>>,
    /// True peak of each channel, dBTP; `None` for a silent channel.
    pub channel_true_peak_dbtp: Vec<Option<f32>>,
}

/// Measures `channels` (planar) at `sample_rate_hz`: the whole-slice form of
/// [`TimelineMeter`], bit for bit.
pub fn timeline(channels: &[&[f32]], sample_rate_hz: u32) -> Result<Timeline, AnalysisError> {
    let mut meter = TimelineMeter::new(channels.len(), sample_rate_hz)?;
    meter.push(channels)?;
    meter.finish()
}

/// [`timeline`] in constant memory: audio is pushed block by block (planar, of any lengths)
/// and [`TimelineMeter::finish`] gives the [`Timeline`].
///
/// The readings are bit-identical to [`timeline`] on the concatenated audio, whatever the block
/// sizes: the `ebur128` meter is fed one hop per call, counted from the first frame (a hop that
/// straddles two blocks is gathered first), and read after each, the final partial hop too.
/// Memory: the meter's 3 s ring buffer, one hop of audio, and the readings (one number per
/// [`TIMELINE_HOP_S`]: 7200 per hour).
pub struct TimelineMeter {
    meter: EbuR128,
    num_channels: usize,
    steps: StepBuffer,
    short_term_lufs: Vec<Option<f32>>,
}

impl std::fmt::Debug for TimelineMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimelineMeter")
            .field("num_channels", &self.num_channels)
            .field("readings", &self.short_term_lufs.len())
            .finish_non_exhaustive()
    }
}

impl TimelineMeter {
    /// A meter for `num_channels` channels at `sample_rate_hz`; [`AnalysisError::Meter`] when
    /// the loudness meter refuses them (no channels, a rate it cannot take).
    pub fn new(num_channels: usize, sample_rate_hz: u32) -> Result<Self, AnalysisError> {
        let meter = EbuR128::new(
            num_channels as u32,
            sample_rate_hz,
            Mode::S | Mode::TRUE_PEAK,
        )
        .map_err(meter_error)?;
        let hop = ((TIMELINE_HOP_S * sample_rate_hz as f32).round() as usize).max(1);
        Ok(Self {
            meter,
            num_channels,
            steps: StepBuffer::new(num_channels, hop),
            short_term_lufs: Vec::new(),
        })
    }

    /// Measures the next `block`: one slice per channel, all of the same length (any, 0
    /// included); another channel count or unequal lengths are a [`AnalysisError::BadLayout`].
    pub fn push(&mut self, block: &[&[f32]]) -> Result<(), AnalysisError> {
        check_block(block, self.num_channels)?;
        let Self {
            meter,
            steps,
            short_term_lufs,
            ..
        } = self;
        steps.push(block, |hop| read_hop(meter, short_term_lufs, hop))
    }

    /// The [`Timeline`] of everything pushed (the final, partial hop is read too).
    pub fn finish(mut self) -> Result<Timeline, AnalysisError> {
        let rest = self.steps.remainder();
        if rest.first().is_some_and(|c| !c.is_empty()) {
            read_hop(&mut self.meter, &mut self.short_term_lufs, &rest)?;
        }
        let channel_true_peak_dbtp = (0..self.num_channels as u32)
            .map(|ch| {
                let peak = self.meter.true_peak(ch).unwrap_or(0.0);
                (peak > 0.0).then(|| (20.0 * peak.log10()) as f32)
            })
            .collect();
        Ok(Timeline {
            short_term_lufs: self.short_term_lufs,
            channel_true_peak_dbtp,
        })
    }
}

fn meter_error(e: ebur128::Error) -> AnalysisError {
    AnalysisError::Meter(format!("{e:?}"))
}

/// Feeds one hop and reads the short-term loudness after it.
fn read_hop(
    meter: &mut EbuR128,
    short_term_lufs: &mut Vec<Option<f32>>,
    hop: &[&[f32]],
) -> Result<(), AnalysisError> {
    meter.add_frames_planar_f32(hop).map_err(meter_error)?;
    let lufs = meter.loudness_shortterm().map_err(meter_error)?;
    short_term_lufs.push(lufs.is_finite().then_some(lufs as f32));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::stream::test_support::{assert_bits, block_plans, push_in_blocks, signals};

    /// Pre-streaming `timeline`, frozen (the reference the streaming meter must reproduce).
    fn old_timeline(channels: &[&[f32]], sample_rate_hz: u32) -> Result<Timeline, AnalysisError> {
        let meter_error = |e: ebur128::Error| AnalysisError::Meter(format!("{e:?}"));
        let mut meter = EbuR128::new(
            channels.len() as u32,
            sample_rate_hz,
            Mode::S | Mode::TRUE_PEAK,
        )
        .map_err(meter_error)?;
        let frames = channels.first().map_or(0, |c| c.len());
        let hop = ((TIMELINE_HOP_S * sample_rate_hz as f32).round() as usize).max(1);
        let mut short_term_lufs = Vec::with_capacity(frames / hop + 1);
        let mut start = 0;
        while start < frames {
            let end = (start + hop).min(frames);
            let block: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
            meter.add_frames_planar_f32(&block).map_err(meter_error)?;
            let lufs = meter.loudness_shortterm().map_err(meter_error)?;
            short_term_lufs.push(lufs.is_finite().then_some(lufs as f32));
            start = end;
        }
        let channel_true_peak_dbtp = (0..channels.len() as u32)
            .map(|ch| {
                let peak = meter.true_peak(ch).unwrap_or(0.0);
                (peak > 0.0).then(|| (20.0 * peak.log10()) as f32)
            })
            .collect();
        Ok(Timeline {
            short_term_lufs,
            channel_true_peak_dbtp,
        })
    }

    #[test]
    fn the_streaming_timeline_equals_the_pre_streaming_one_whatever_the_blocks() {
        // Shorter than a hop, than 3 s, a few hops with a partial last one, at several rates.
        for (rate, seconds) in [
            (22_050u32, 0.2),
            (44_100, 2.9),
            (48_000, 7.3),
            (96_000, 4.0),
        ] {
            let len = (f64::from(rate) * seconds) as usize + 1;
            for (name, l, r) in signals(rate, len, u64::from(rate)) {
                for channels in [vec![&l[..], &r[..]], vec![&l[..]]] {
                    let what = format!("{rate} Hz {len} {name} {} ch", channels.len());
                    let whole = timeline(&channels, rate).unwrap();
                    assert_bits(&whole, &old_timeline(&channels, rate).unwrap(), &what);
                    for plan in block_plans(len as u64, len < 100_000) {
                        let mut meter = TimelineMeter::new(channels.len(), rate).unwrap();
                        push_in_blocks(&channels, &plan, |b| meter.push(b).unwrap());
                        let got = meter.finish().unwrap();
                        assert_bits(&got, &whole, &format!("{what} {plan:?}"));
                    }
                }
            }
        }
        let mut meter = TimelineMeter::new(2, 48_000).unwrap();
        assert!(matches!(
            meter.push(&[&[0.0f32; 3][..]]),
            Err(AnalysisError::BadLayout(_))
        ));
        assert!(TimelineMeter::new(0, 48_000).is_err());
    }

    #[test]
    fn a_sine_that_steps_up_reads_its_levels_and_its_peaks() {
        let rate = 48_000u32;
        // 1 kHz: -20 dBFS for 6 s, then -10 dBFS for 6 s, in the left channel; silence right.
        let left: Vec<f32> = (0..rate as usize * 12)
            .map(|i| {
                let amp = if i < rate as usize * 6 {
                    0.1
                } else {
                    0.316_227_8
                };
                amp * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / rate as f32).sin()
            })
            .collect();
        let right = vec![0.0f32; left.len()];
        let t = timeline(&[&left, &right], rate).unwrap();
        assert_eq!(t.short_term_lufs.len(), 24);
        // A 1 kHz sine at -20 dBFS in one channel: mean square -23.0 dB, K-weighting +0.69 dB
        // at 1 kHz, BS.1770's -0.691 dB offset: -23.0 LUFS.
        let early = t.short_term_lufs[10].unwrap();
        let late = t.short_term_lufs[23].unwrap();
        assert!((early + 23.0).abs() < 0.3, "{early}");
        assert!((late - early - 10.0).abs() < 0.1, "{early} -> {late}");
        let peak = t.channel_true_peak_dbtp[0].unwrap();
        assert!((peak + 10.0).abs() < 0.1, "{peak}");
        assert_eq!(t.channel_true_peak_dbtp[1], None);
    }
}
