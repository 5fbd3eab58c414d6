//! Measurements printed by `cargo xtask demo`: loudness and peaks with the `ebur128` crate
//! (ITU-R BS.1770-4 / EBU R128), L/R correlation, mid/side balance, and band levels of the
//! delivered mix against the balanced mix it was spoiled from.
//!
//! Only printing depends on these numbers, never the rendered samples, so platform libm here
//! does not affect the byte-identical output.

use super::dsp::{Biquad, BiquadCoefs, SAMPLE_RATE_HZ};
use super::instruments::Stereo;
use ebur128::{EbuR128, Mode};

/// Loudness, peak and stereo figures of the delivered file.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Duration in seconds.
    pub duration_s: f64,
    /// Integrated loudness, LUFS (BS.1770-4 gated).
    pub integrated_lufs: f64,
    /// Loudness range, LU (EBU Tech 3342).
    pub loudness_range_lu: f64,
    /// Highest absolute sample over both channels, dBFS.
    pub sample_peak_dbfs: f64,
    /// Highest true peak (4x oversampled) over both channels, dBTP.
    pub true_peak_dbtp: f64,
    /// Pearson correlation of L and R over the whole file (1 = mono).
    pub correlation: f64,
    /// Side energy relative to mid energy in dB (M = (L+R)/2, S = (L-R)/2).
    pub side_to_mid_db: f64,
}

fn to_db(gain: f64) -> f64 {
    20.0 * gain.log10()
}

/// Measures interleaved 16-bit stereo samples. Errors from `ebur128` come back as one line.
pub fn figures(samples: &[i16]) -> Result<Figures, String> {
    let err = |e: ebur128::Error| format!("loudness measurement failed: {e:?}");
    let mode = Mode::I | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK;
    let mut meter = EbuR128::new(2, SAMPLE_RATE_HZ as u32, mode).map_err(err)?;
    meter.add_frames_i16(samples).map_err(err)?;
    let peak = |f: &dyn Fn(u32) -> Result<f64, ebur128::Error>| -> Result<f64, String> {
        Ok(f(0).map_err(err)?.max(f(1).map_err(err)?))
    };
    let stereo = deinterleave(samples);
    Ok(Figures {
        duration_s: stereo.len() as f64 / SAMPLE_RATE_HZ,
        integrated_lufs: meter.loudness_global().map_err(err)?,
        loudness_range_lu: meter.loudness_range().map_err(err)?,
        sample_peak_dbfs: to_db(peak(&|c| meter.sample_peak(c))?),
        true_peak_dbtp: to_db(peak(&|c| meter.true_peak(c))?),
        correlation: correlation(&stereo),
        side_to_mid_db: side_to_mid_db(&stereo),
    })
}

/// Interleaved 16-bit samples back to floating point (full scale 1.0).
pub fn deinterleave(samples: &[i16]) -> Stereo {
    let frames = samples.chunks_exact(2);
    Stereo {
        left: frames.clone().map(|f| f[0] as f64 / 32_768.0).collect(),
        right: frames.map(|f| f[1] as f64 / 32_768.0).collect(),
    }
}

/// Pearson correlation of the two channels: sum(LR) / sqrt(sum(L^2) sum(R^2)).
pub fn correlation(x: &Stereo) -> f64 {
    let (mut ll, mut rr, mut lr) = (0.0, 0.0, 0.0);
    for (l, r) in x.left.iter().zip(&x.right) {
        ll += l * l;
        rr += r * r;
        lr += l * r;
    }
    lr / (ll * rr).sqrt().max(f64::MIN_POSITIVE)
}

/// Side energy over mid energy in dB.
pub fn side_to_mid_db(x: &Stereo) -> f64 {
    let (mut mm, mut ss) = (0.0, 0.0);
    for (l, r) in x.left.iter().zip(&x.right) {
        mm += (0.5 * (l + r)) * (0.5 * (l + r));
        ss += (0.5 * (l - r)) * (0.5 * (l - r));
    }
    10.0 * (ss / mm.max(f64::MIN_POSITIVE)).log10()
}

/// A frequency band for level reports: `lo_hz`..`hi_hz`, either bound may be open.
#[derive(Debug, Clone, Copy)]
pub struct Band {
    /// Lower edge in Hz (0 = no high-pass).
    pub lo_hz: f64,
    /// Upper edge in Hz (0 = no low-pass).
    pub hi_hz: f64,
}

/// Bands of the spectrum report: octaves from 31.5 Hz up, and the two bands the problems
/// are stated in (200-400 Hz mud, above 6 kHz air).
pub const REPORT_BANDS: [Band; 11] = [
    Band {
        lo_hz: 22.0,
        hi_hz: 44.0,
    },
    Band {
        lo_hz: 44.0,
        hi_hz: 88.0,
    },
    Band {
        lo_hz: 88.0,
        hi_hz: 177.0,
    },
    Band {
        lo_hz: 177.0,
        hi_hz: 355.0,
    },
    Band {
        lo_hz: 355.0,
        hi_hz: 710.0,
    },
    Band {
        lo_hz: 710.0,
        hi_hz: 1_420.0,
    },
    Band {
        lo_hz: 1_420.0,
        hi_hz: 2_840.0,
    },
    Band {
        lo_hz: 2_840.0,
        hi_hz: 5_680.0,
    },
    Band {
        lo_hz: 5_680.0,
        hi_hz: 11_360.0,
    },
    Band {
        lo_hz: 11_360.0,
        hi_hz: 20_000.0,
    },
    Band {
        lo_hz: 200.0,
        hi_hz: 400.0,
    },
];

/// The "above 6 kHz" band of the dull-top statement.
pub const AIR_BAND: Band = Band {
    lo_hz: 6_000.0,
    hi_hz: 0.0,
};

/// Mean-square level (dB re full-scale square) of the mid signal (L+R)/2 in `band`,
/// using 4th-order Butterworth-like edges (two cascaded RBJ 2nd-order sections per edge).
pub fn band_level_db(x: &Stereo, band: Band) -> f64 {
    let mut mid: Vec<f64> = x
        .left
        .iter()
        .zip(&x.right)
        .map(|(l, r)| 0.5 * (l + r))
        .collect();
    // Butterworth 4th order = sections with Q 0.5412 and 1.3066.
    for q in [0.541_196, 1.306_563] {
        if band.lo_hz > 0.0 {
            Biquad::new(BiquadCoefs::high_pass(band.lo_hz, q)).process_buffer(&mut mid);
        }
        if band.hi_hz > 0.0 {
            Biquad::new(BiquadCoefs::low_pass(band.hi_hz, q)).process_buffer(&mut mid);
        }
    }
    let energy: f64 = mid.iter().map(|v| v * v).sum::<f64>() / mid.len().max(1) as f64;
    10.0 * energy.max(1e-30).log10()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine_stereo(freq_hz: f64, amp: f64, right_sign: f64) -> Stereo {
        let left: Vec<f64> = (0..88_200)
            .map(|i| amp * (2.0 * PI * freq_hz * i as f64 / SAMPLE_RATE_HZ).sin())
            .collect();
        let right = left.iter().map(|v| v * right_sign).collect();
        Stereo { left, right }
    }

    fn interleave(x: &Stereo) -> Vec<i16> {
        x.left
            .iter()
            .zip(&x.right)
            .flat_map(|(l, r)| [(l * 32_768.0).round() as i16, (r * 32_768.0).round() as i16])
            .collect()
    }

    #[test]
    fn figures_of_a_known_sine() {
        // BS.1770: a 1 kHz sine at -23 dBFS peak in both channels reads -23.0 LUFS.
        let amp = 10f64.powf(-23.0 / 20.0);
        let f = figures(&interleave(&sine_stereo(1_000.0, amp, 1.0))).unwrap();
        assert!(
            (f.integrated_lufs + 23.0).abs() < 0.1,
            "{}",
            f.integrated_lufs
        );
        assert!(
            (f.sample_peak_dbfs + 23.0).abs() < 0.05,
            "{}",
            f.sample_peak_dbfs
        );
        assert!((f.correlation - 1.0).abs() < 1e-9);
        assert!(f.side_to_mid_db < -80.0);
        assert!((f.duration_s - 2.0).abs() < 1e-9);
    }

    #[test]
    fn correlation_of_inverted_channels() {
        let x = sine_stereo(440.0, 0.5, -1.0);
        assert!((correlation(&x) + 1.0).abs() < 1e-9);
        assert!(side_to_mid_db(&x) > 80.0);
    }

    #[test]
    fn band_level_selects_its_band() {
        // A full-scale sine has mean square 1/2 = -3.01 dB.
        let x = sine_stereo(280.0, 1.0, 1.0);
        let inside = band_level_db(
            &x,
            Band {
                lo_hz: 200.0,
                hi_hz: 400.0,
            },
        );
        let outside = band_level_db(
            &x,
            Band {
                lo_hz: 1_420.0,
                hi_hz: 2_840.0,
            },
        );
        assert!((inside + 3.01).abs() < 1.0, "inside {inside}");
        assert!(outside < -40.0, "outside {outside}");
    }
}
