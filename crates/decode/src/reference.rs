//! A reference track: decoded and analysed as it decodes (nothing of the audio is kept, so a
//! long reference costs no memory), by the same [`TrackAnalyzer`] as the input. The `lacquer`
//! command (`--reference`) and the plugin (its Assistant page) both call [`analyse_reference`],
//! so a reference gives the same target in either.

use crate::{DecodeError, check_rate, decode_stream};
use lacquer_core::assistant::analysis::TrackAnalyzer;
use lacquer_core::assistant::profile::TrackFeatures;
use lacquer_core::meter::analysis::ANALYSIS_RATE_RANGE_HZ;
use std::path::Path;

/// Decodes `path` and returns its features. A truncated file is refused unless
/// `allow_partial`; a rate outside what the analysis measures, or a silent file, is an error.
pub fn analyse_reference(path: &Path, allow_partial: bool) -> Result<TrackFeatures, DecodeError> {
    let mut analyzer: Option<TrackAnalyzer> = None;
    decode_stream::<DecodeError>(path, allow_partial, &mut |block, rate| {
        let analyzer = match analyzer.as_mut() {
            Some(a) => a,
            None => {
                check_rate(rate, path, ANALYSIS_RATE_RANGE_HZ, "measures references at")?;
                analyzer.insert(TrackAnalyzer::new(block.len(), rate as f32))
            }
        };
        let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
        analyzer.push(&slices);
        Ok(())
    })?;
    analyzer
        .map(TrackAnalyzer::finish)
        .filter(|f| f.integrated_lufs.is_some())
        .ok_or_else(|| {
            DecodeError::new(format!(
                "reference '{}' is silent; use a reference with music in it",
                path.display()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, rate: u32, samples: &[f32]) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for s in samples {
            w.write_sample(*s).unwrap();
        }
        w.finalize().unwrap();
    }

    #[test]
    fn a_tone_is_analysed_and_silence_or_garbage_is_refused_in_one_line() {
        let dir = tempfile::tempdir().unwrap();
        let rate = 48_000;
        let tone: Vec<f32> = (0..rate * 8)
            .map(|i| 0.25 * (std::f32::consts::TAU * 1000.0 * i as f32 / rate as f32).sin())
            .collect();
        let good = dir.path().join("tone.wav");
        write_wav(&good, rate, &tone);
        let features = analyse_reference(&good, false).unwrap();
        // A 1 kHz sine of peak 0.25 (-15.1 dBFS RMS), mono: about -15 LUFS (BS.1770's -0.691
        // dB offset, and the K-weighting adds about 0.7 dB at 1 kHz).
        let lufs = features.integrated_lufs.unwrap();
        assert!((-16.5..-13.0).contains(&lufs), "{lufs} LUFS");
        assert!(
            (features.duration_s - 8.0).abs() < 0.05,
            "{}",
            features.duration_s
        );

        let silent = dir.path().join("silent.wav");
        write_wav(&silent, rate, &vec![0.0; rate as usize * 4]);
        let e = analyse_reference(&silent, false).unwrap_err();
        assert!(e.message().contains("is silent"), "{e}");

        let garbage = dir.path().join("notes.wav");
        std::fs::write(&garbage, b"not audio at all, just text").unwrap();
        let e = analyse_reference(&garbage, false).unwrap_err();
        assert!(
            !e.message().contains('\n') && e.message().contains("notes.wav"),
            "{e}"
        );

        let missing = dir.path().join("gone.wav");
        let e = analyse_reference(&missing, false).unwrap_err();
        assert!(e.message().contains("no such file"), "{e}");
    }
}
