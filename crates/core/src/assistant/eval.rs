//! The degrade-and-restore evaluation's pure parts (issue #5, item 10): a deterministic
//! "mix-like" damage of a finished master (4-6 dB of EQ in a typical problem region, width
//! x0.5..x1.5, peak at -8 dBFS, no limiting), the error measures between a result and the
//! original, and an independent 16x true-peak meter. The runner is `lacquer eval-corpus`
//! (hidden) behind `cargo xtask eval DIR`.
//!
//! The damage filters are cookbook biquads run here in f64 direct form I, independent of the
//! chain's EQ code, with Qs and corners the assistant's fit does not share.

use super::profile::{NUM_BANDS, TrackFeatures, band_centre_hz};
use crate::dsp::biquad::BiquadCoefs;
use crate::dsp::true_peak::kaiser_window;
use serde::{Deserialize, Serialize};

pub mod resonance;

/// Sample peak the damaged mix is normalised to, dBFS (issue #5: "peak -8 dBFS").
pub const DAMAGED_PEAK_DBFS: f32 = -8.0;
/// Lowest and highest band centre the error measures cover, Hz (issue #5: 40 Hz to 12.5 kHz).
pub const ERROR_RANGE_HZ: (f32, f32) = (40.0, 12_500.0);

/// A typical mix problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DamageKind {
    /// Too much low-mid (bell boost, 200-350 Hz).
    Mud,
    /// Too much bass resonance (bell boost, 60-120 Hz).
    Boom,
    /// Too much presence (bell boost, 2.5-5 kHz).
    Harshness,
    /// Too little top (high-shelf cut from 4-8 kHz).
    Dullness,
    /// Too little low end (low-shelf cut below 150-300 Hz).
    Thinness,
}

/// One track's damage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Damage {
    /// Problem region.
    pub kind: DamageKind,
    /// Bell centre or shelf corner, Hz.
    pub freq_hz: f32,
    /// Gain, dB (+ boosts for bells, - cuts for shelves), 4..6 dB in size.
    pub gain_db: f32,
    /// Cookbook Q.
    pub q: f32,
    /// Side gain (x0.5..x1.5).
    pub width_gain: f32,
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny deterministic generator, so the damage of
/// track `index` never depends on platform or library versions.
fn split_mix(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The damage for track number `index` under `seed`: the kind cycles through the five
/// problems, the rest is drawn from the ranges above.
pub fn damage_for(seed: u64, index: usize) -> Damage {
    let mut state = seed ^ (index as u64).wrapping_mul(0xD1B5_4A32_D192_ED03);
    let mut u = |lo: f64, hi: f64| (lo + (hi - lo) * split_mix(&mut state)) as f32;
    let size = u(4.0, 6.0);
    let width_gain = u(0.5, 1.5);
    let (kind, freq_hz, gain_db, q) = match index % 5 {
        0 => (DamageKind::Mud, u(200.0, 350.0), size, u(1.0, 1.4)),
        1 => (DamageKind::Harshness, u(2500.0, 5000.0), size, u(1.0, 1.8)),
        2 => (DamageKind::Boom, u(60.0, 120.0), size, u(0.8, 1.2)),
        3 => (DamageKind::Dullness, u(4000.0, 8000.0), -size, 0.6),
        _ => (DamageKind::Thinness, u(150.0, 300.0), -size, 0.6),
    };
    Damage {
        kind,
        freq_hz,
        gain_db,
        q,
        width_gain,
    }
}

impl Damage {
    fn coefs(&self, sample_rate_hz: f64) -> BiquadCoefs {
        let (f, g, q) = (
            f64::from(self.freq_hz),
            f64::from(self.gain_db),
            f64::from(self.q),
        );
        match self.kind {
            DamageKind::Dullness => BiquadCoefs::high_shelf(f, g, q, sample_rate_hz),
            DamageKind::Thinness => BiquadCoefs::low_shelf(f, g, q, sample_rate_hz),
            _ => BiquadCoefs::peaking(f, g, q, sample_rate_hz),
        }
    }

    /// Applies the damage to planar audio in place: the EQ on each channel, the width on the
    /// side (stereo only), then a gain that puts the sample peak at [`DAMAGED_PEAK_DBFS`].
    pub fn apply(&self, channels: &mut [Vec<f32>], sample_rate_hz: u32) {
        let c = self.coefs(f64::from(sample_rate_hz));
        for ch in channels.iter_mut() {
            let (mut x1, mut x2, mut y1, mut y2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            for s in ch.iter_mut() {
                let x = f64::from(*s);
                let y = c.b0 * x + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
                (x2, x1, y2, y1) = (x1, x, y1, y);
                *s = y as f32;
            }
        }
        if let [left, right] = channels {
            let w = self.width_gain;
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                let (m, s) = (0.5 * (*l + *r), 0.5 * (*l - *r) * w);
                (*l, *r) = (m + s, m - s);
            }
        }
        let peak = channels
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |m, s| m.max(s.abs()));
        if peak > 0.0 {
            let gain = 10f32.powf(DAMAGED_PEAK_DBFS / 20.0) / peak;
            channels
                .iter_mut()
                .flat_map(|c| c.iter_mut())
                .for_each(|s| *s *= gain);
        }
    }
}

/// Bands whose centres lie in [`ERROR_RANGE_HZ`].
fn error_bands() -> impl Iterator<Item = usize> {
    (0..NUM_BANDS).filter(|&k| {
        let f = band_centre_hz(k);
        f >= ERROR_RANGE_HZ.0 * 0.99 && f <= ERROR_RANGE_HZ.1 * 1.01
    })
}

fn rms_difference(a: &[f32; NUM_BANDS], b: &[f32; NUM_BANDS]) -> f32 {
    let (sum, n) = error_bands().fold((0.0f64, 0usize), |(s, n), k| {
        (s + f64::from(a[k] - b[k]).powi(2), n + 1)
    });
    (sum / n.max(1) as f64).sqrt() as f32
}

/// RMS difference of the level-normalised mid spectra over 40 Hz..12.5 kHz, dB.
pub fn mid_error_db(result: &TrackFeatures, original: &TrackFeatures) -> f32 {
    rms_difference(&result.mid_db, &original.mid_db)
}

/// RMS difference of side-minus-mid per band over 40 Hz..12.5 kHz, dB.
pub fn width_error_db(result: &TrackFeatures, original: &TrackFeatures) -> f32 {
    rms_difference(&result.side_to_mid_db, &original.side_to_mid_db)
}

/// Side/mid ratio below which [`width_change_db`] reads a band's side as inaudible, dB: 30 dB
/// under the mid the side is masked, and its estimate is mostly noise (a limiter's
/// distortion, a codec's rounding), so a change from -45 to -35 dB is no change of width.
pub const WIDTH_FLOOR_DB: f32 = -30.0;

/// Width change of a master against the original (issue 14: the never-harm width measure):
/// the side/mid ratio per 1/3-octave band from 40 Hz to 12.5 kHz, floored at
/// [`WIDTH_FLOOR_DB`], RMS over the bands of its change, dB.
pub fn width_change_db(result: &TrackFeatures, original: &TrackFeatures) -> f32 {
    let floored = |t: &TrackFeatures| t.side_to_mid_db.map(|r| r.max(WIDTH_FLOOR_DB));
    rms_difference(&floored(result), &floored(original))
}

/// Oversampling factor of [`true_peak_16x_dbtp`].
const OVERSAMPLING: usize = 16;
/// Taps each side of the interpolation kernel, input samples.
const HALF_TAPS: usize = 24;
/// Kaiser beta of the kernel (about 90 dB stop band).
const KAISER_BETA: f64 = 9.0;

/// True peak by 16x windowed-sinc interpolation (Kaiser-windowed, 48 taps per phase), dBTP;
/// `None` for silence. Independent of the limiter's detector. Only samples within 6 dB of the
/// sample peak are interpolated around (a band-limited signal cannot overshoot its samples by
/// 6 dB between them in music, and the result is checked against the sample peak anyway).
pub fn true_peak_16x_dbtp(channels: &[Vec<f32>]) -> Option<f32> {
    let sample_peak = channels
        .iter()
        .flat_map(|c| c.iter())
        .fold(0.0f32, |m, s| m.max(s.abs()));
    if sample_peak <= 0.0 {
        return None;
    }
    let kernel: Vec<[f64; 2 * HALF_TAPS]> = (0..OVERSAMPLING)
        .map(|phase| {
            let frac = phase as f64 / OVERSAMPLING as f64;
            std::array::from_fn(|i| {
                let t = i as f64 - (HALF_TAPS as f64 - 1.0) - frac;
                let sinc = if t.abs() < 1e-12 {
                    1.0
                } else {
                    (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
                };
                sinc * kaiser_window(t / HALF_TAPS as f64, KAISER_BETA)
            })
        })
        .collect();
    let threshold = sample_peak * 0.5;
    let mut peak = f64::from(sample_peak);
    for ch in channels {
        let n = ch.len();
        for i in 0..n {
            if ch[i].abs() < threshold {
                continue;
            }
            // Interpolate between i-1..i and i..i+1.
            for base in [i.saturating_sub(1), i] {
                for taps in kernel.iter().skip(1) {
                    let mut acc = 0.0f64;
                    for (j, k) in taps.iter().enumerate() {
                        let idx = base as isize + j as isize - (HALF_TAPS as isize - 1);
                        if idx >= 0 && (idx as usize) < n {
                            acc += k * f64::from(ch[idx as usize]);
                        }
                    }
                    peak = peak.max(acc.abs());
                }
            }
        }
    }
    Some((20.0 * peak.log10()) as f32)
}

/// Mean of a list, `None` when empty.
pub fn mean(values: &[f32]) -> Option<f32> {
    (!values.is_empty()).then(|| values.iter().sum::<f32>() / values.len() as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damage_is_deterministic_and_in_range() {
        for i in 0..20 {
            let d = damage_for(7, i);
            assert_eq!(d, damage_for(7, i));
            assert!((4.0..=6.0).contains(&d.gain_db.abs()), "{d:?}");
            assert!((0.5..=1.5).contains(&d.width_gain), "{d:?}");
        }
        assert_ne!(damage_for(7, 0), damage_for(8, 0));
        let kinds: std::collections::HashSet<_> = (0..5)
            .map(|i| format!("{:?}", damage_for(1, i).kind))
            .collect();
        assert_eq!(kinds.len(), 5);
    }

    #[test]
    fn damage_boosts_its_region_scales_the_side_and_sets_the_peak() {
        let rate = 48_000u32;
        let tone = |f: f32, a: f32| -> Vec<f32> {
            (0..rate as usize)
                .map(|i| a * (2.0 * std::f32::consts::PI * f * i as f32 / rate as f32).sin())
                .collect()
        };
        let d = Damage {
            kind: DamageKind::Mud,
            freq_hz: 250.0,
            gain_db: 5.0,
            q: 1.0,
            width_gain: 0.5,
        };
        // Left = mid + side, right = mid - side with a 250 Hz mid and a 4 kHz side.
        let mid = tone(250.0, 0.3);
        let side = tone(4000.0, 0.1);
        let mut audio = vec![
            mid.iter()
                .zip(&side)
                .map(|(m, s)| m + s)
                .collect::<Vec<_>>(),
            mid.iter()
                .zip(&side)
                .map(|(m, s)| m - s)
                .collect::<Vec<_>>(),
        ];
        d.apply(&mut audio, rate);
        let half = rate as usize / 2;
        let rms = |x: &[f32]| (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let m: Vec<f32> = (half..rate as usize)
            .map(|i| 0.5 * (audio[0][i] + audio[1][i]))
            .collect();
        let s: Vec<f32> = (half..rate as usize)
            .map(|i| 0.5 * (audio[0][i] - audio[1][i]))
            .collect();
        // The 250 Hz mid got +5 dB, the 4 kHz side ~0 dB of EQ and x0.5 of width: 11 dB apart
        // more than before (0.3 vs 0.1 is 9.5 dB).
        let ratio_db = 20.0 * (rms(&m) / rms(&s)).log10();
        assert!((ratio_db - (9.54 + 5.0 + 6.02)).abs() < 0.3, "{ratio_db}");
        let peak = audio
            .iter()
            .flat_map(|c| c.iter())
            .fold(0.0f32, |a, v| a.max(v.abs()));
        assert!((20.0 * peak.log10() - DAMAGED_PEAK_DBFS).abs() < 1e-3);
    }

    #[test]
    fn true_peak_finds_the_inter_sample_peak() {
        // fs/4 sine at 45 degrees phase: samples at +/-0.7071 of the amplitude, true peak at
        // the amplitude, +3.01 dB over the samples (EBU Tech 3341 case 15 idea).
        let amp = 0.5f32;
        // Faded in and out over 1000 samples so the start and end add no overshoot.
        let n = 9600;
        let fade = |i: usize| (i.min(n - 1 - i) as f32 / 1000.0).min(1.0);
        let x: Vec<f32> = (0..n)
            .map(|i| {
                let phase = std::f32::consts::FRAC_PI_2 * i as f32 + std::f32::consts::FRAC_PI_4;
                fade(i) * amp * phase.sin()
            })
            .collect();
        let tp = true_peak_16x_dbtp(&[x]).unwrap();
        let expected = 20.0 * amp.log10();
        assert!((tp - expected).abs() < 0.05, "{tp} vs {expected}");
        assert_eq!(true_peak_16x_dbtp(&[vec![0.0; 10]]), None);
    }

    /// Features with a flat mid and the same side/mid ratio in every band.
    fn flat(side_to_mid_db: f32) -> TrackFeatures {
        TrackFeatures {
            integrated_lufs: None,
            loudness_range_lu: None,
            plr_db: None,
            true_peak_dbtp: None,
            mid_db: [0.0; NUM_BANDS],
            side_db: [0.0; NUM_BANDS],
            side_to_mid_db: [side_to_mid_db; NUM_BANDS],
            low_end_side_to_mid_db: 0.0,
            percussiveness: 0.0,
            duration_s: 1.0,
        }
    }

    #[test]
    fn errors_cover_40_hz_to_12_5_khz_only() {
        let zero = flat(0.0);
        let mut other = zero.clone();
        other.mid_db[0] = 50.0; // 20 Hz: outside
        other.mid_db[30] = 50.0; // 20 kHz: outside
        assert_eq!(mid_error_db(&other, &zero), 0.0);
        // 26 bands from 40 Hz to 12.5 kHz: 2 dB in one of them is 2/sqrt(26) RMS.
        other.mid_db[10] = 2.0;
        assert!((mid_error_db(&other, &zero) - 2.0 / 26f32.sqrt()).abs() < 1e-5);
        other.side_to_mid_db[17] = -3.0;
        assert!((width_error_db(&other, &zero) - 3.0 / 26f32.sqrt()).abs() < 1e-5);
        assert!((width_change_db(&other, &zero) - 3.0 / 26f32.sqrt()).abs() < 1e-5);
    }

    #[test]
    fn the_width_change_ignores_side_under_the_floor() {
        let mut original = flat(-10.0);
        original.side_to_mid_db[10] = -45.0;
        let mut result = original.clone();
        // -45 -> -35 dB: both inaudible, no change; -10 -> -20 dB in one band: 10 / sqrt(26).
        result.side_to_mid_db[10] = -35.0;
        assert_eq!(width_change_db(&result, &original), 0.0);
        result.side_to_mid_db[12] = -20.0;
        assert!((width_change_db(&result, &original) - 10.0 / 26f32.sqrt()).abs() < 1e-5);
        // Down to the floor only: -10 -> -60 dB counts as 20 dB.
        result.side_to_mid_db[12] = -60.0;
        assert!((width_change_db(&result, &original) - 20.0 / 26f32.sqrt()).abs() < 1e-5);
    }
}
