//! True peak alone: the BS.1770-4 meter of [`super::analysis::analyze`] without the loudness
//! measurements (the codec check measures only this, on two decodes of every master).

use super::analysis::AnalysisError;
use super::stream::check_block;
use ebur128::{EbuR128, Mode};

/// True peak of planar `channels` at `sample_rate_hz`, dBTP (`None` for silence): the same
/// figure as [`super::analysis::Analysis::true_peak_dbtp`]. The whole-slice form of
/// [`TruePeakMeter`].
pub fn true_peak_dbtp(
    channels: &[&[f32]],
    sample_rate_hz: u32,
) -> Result<Option<f64>, AnalysisError> {
    let mut meter = TruePeakMeter::new(channels.len(), sample_rate_hz)?;
    meter.push(channels)?;
    meter.finish()
}

/// [`true_peak_dbtp`] in constant memory: audio is pushed block by block (planar, of any
/// lengths). The figure does not depend on the block sizes: `ebur128`'s 4x (or 2x)
/// interpolator keeps its state across calls and the peak is a maximum (tested bit for bit
/// against the whole-slice call). Memory: the interpolator's few taps per channel.
pub struct TruePeakMeter {
    meter: EbuR128,
    num_channels: usize,
}

impl std::fmt::Debug for TruePeakMeter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TruePeakMeter")
            .field("num_channels", &self.num_channels)
            .finish_non_exhaustive()
    }
}

impl TruePeakMeter {
    /// A meter for `num_channels` channels at `sample_rate_hz`; [`AnalysisError::Meter`] when
    /// the meter refuses them (no channels, a rate it cannot take).
    pub fn new(num_channels: usize, sample_rate_hz: u32) -> Result<Self, AnalysisError> {
        let meter = EbuR128::new(num_channels as u32, sample_rate_hz, Mode::TRUE_PEAK)
            .map_err(meter_error)?;
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

    /// The largest true peak over all channels of everything pushed, dBTP; `None` for silence.
    pub fn finish(self) -> Result<Option<f64>, AnalysisError> {
        let peak = (0..self.num_channels as u32)
            .map(|ch| self.meter.true_peak(ch).unwrap_or(0.0))
            .fold(0.0f64, f64::max);
        Ok(super::analysis::peak_db(peak))
    }
}

fn meter_error(e: ebur128::Error) -> AnalysisError {
    AnalysisError::Meter(format!("{e:?}"))
}

#[cfg(test)]
mod tests {
    use super::super::analysis::analyze;
    use super::*;
    use crate::meter::stream::test_support::{block_plans, push_in_blocks, signals};

    /// Pre-streaming `true_peak_dbtp`, frozen (the reference the streaming meter must
    /// reproduce).
    fn old_true_peak_dbtp(
        channels: &[&[f32]],
        sample_rate_hz: u32,
    ) -> Result<Option<f64>, AnalysisError> {
        let meter_error = |e: ebur128::Error| AnalysisError::Meter(format!("{e:?}"));
        let mut meter = EbuR128::new(channels.len() as u32, sample_rate_hz, Mode::TRUE_PEAK)
            .map_err(meter_error)?;
        meter.add_frames_planar_f32(channels).map_err(meter_error)?;
        let peak = (0..channels.len() as u32)
            .map(|ch| meter.true_peak(ch).unwrap_or(0.0))
            .fold(0.0f64, f64::max);
        Ok(crate::meter::analysis::peak_db(peak))
    }

    #[test]
    fn the_streaming_true_peak_equals_the_pre_streaming_one_whatever_the_blocks() {
        for (rate, seconds) in [
            (22_050u32, 0.001),
            (44_100, 0.3),
            (48_000, 5.0),
            (96_000, 2.0),
        ] {
            let len = (f64::from(rate) * seconds) as usize + 1;
            for (name, l, r) in signals(rate, len, u64::from(rate) + 1) {
                for channels in [vec![&l[..], &r[..]], vec![&l[..]]] {
                    let what = format!("{rate} Hz {len} {name} {} ch", channels.len());
                    let whole = true_peak_dbtp(&channels, rate).unwrap();
                    let old = old_true_peak_dbtp(&channels, rate).unwrap();
                    assert_eq!(whole.map(f64::to_bits), old.map(f64::to_bits), "{what}");
                    for plan in block_plans(len as u64, len < 100_000) {
                        let mut meter = TruePeakMeter::new(channels.len(), rate).unwrap();
                        push_in_blocks(&channels, &plan, |b| meter.push(b).unwrap());
                        let got = meter.finish().unwrap();
                        assert_eq!(
                            got.map(f64::to_bits),
                            whole.map(f64::to_bits),
                            "{what} {plan:?}"
                        );
                    }
                }
            }
        }
        assert!(TruePeakMeter::new(0, 48_000).is_err());
    }

    #[test]
    fn true_peak_alone_equals_the_full_analysis_figure() {
        // A tone near 0.42 fs at an odd phase, whose true peak sits between samples.
        let rate = 48_000u32;
        let x: Vec<f32> = (0..rate)
            .map(|i| {
                let t = i as f32 / rate as f32;
                0.8 * (2.0 * std::f32::consts::PI * 19_997.0 * t + 0.7).sin()
            })
            .collect();
        let full = analyze(&[&x, &x], rate).unwrap().true_peak_dbtp.unwrap();
        let alone = true_peak_dbtp(&[&x, &x], rate).unwrap().unwrap();
        assert_eq!(full, alone);
        assert!(alone > 20.0 * 0.8f64.log10() - 0.5, "{alone}");
        assert_eq!(true_peak_dbtp(&[&[0.0f32; 4800][..]], rate).unwrap(), None);
    }
}
