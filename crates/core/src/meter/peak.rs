//! True peak alone: the BS.1770-4 meter of [`super::analysis::analyze`] without the loudness
//! measurements (the codec check measures only this, on two decodes of every master).

use super::analysis::AnalysisError;
use ebur128::{EbuR128, Mode};

/// True peak of planar `channels` at `sample_rate_hz`, dBTP (`None` for silence): the same
/// figure as [`super::analysis::Analysis::true_peak_dbtp`].
pub fn true_peak_dbtp(
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
    Ok(super::analysis::peak_db(peak))
}

#[cfg(test)]
mod tests {
    use super::super::analysis::analyze;
    use super::*;

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
