//! Loudness over time for reports: the EBU short-term loudness (3 s window) every
//! [`TIMELINE_HOP_S`], and each channel's true peak over the whole file, both from the same
//! `ebur128` meter as [`super::analysis::analyze`].

use super::analysis::AnalysisError;
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

/// Measures `channels` (planar) at `sample_rate_hz`.
pub fn timeline(channels: &[&[f32]], sample_rate_hz: u32) -> Result<Timeline, AnalysisError> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
