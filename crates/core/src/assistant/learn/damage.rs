//! The synthetic whole-mix damage the estimator learns from, applied to a track's features.
//!
//! Each problem a listener can name has a region and a filter shape (the region of
//! [`Problem::region_hz`]): boom a bell at 45-125 Hz, mud a bell at 160-500 Hz, harshness a
//! bell at 2-6.3 kHz (Q 0.7-2), dullness a high shelf with its corner at 3-10 kHz, thinness a
//! low shelf at 80-300 Hz (shelf Q 0.5-0.8). Centres and corners are drawn log-uniform, gains
//! uniform. The filters are RBJ cookbook biquads at 48 kHz; a band's gain is the mean power
//! gain over 16 log-spaced points inside the band, in dB.

use super::super::decide::Problem;
use super::super::profile::{NUM_BANDS, TrackFeatures, band_edges_hz};
use crate::dsp::biquad::BiquadCoefs;
use serde::{Deserialize, Serialize};

/// Rate the damage filters are designed at, Hz.
const DESIGN_RATE_HZ: f64 = 48_000.0;

/// Points per band the power gain is averaged over.
const POINTS_PER_BAND: usize = 16;

/// Largest damage gain drawn, dB.
pub const MAX_DAMAGE_DB: f32 = 8.0;

/// Largest top loss the named dullness model is trained on, dB. A dull mix is more often a
/// low-pass than a shelf (a synthesised or band-limited top): the demo mix's 12 dB/octave
/// low-pass at 5.5 kHz takes 8.5 dB off everything above 6 kHz and 18 dB above 11 kHz, beyond
/// [`MAX_DAMAGE_DB`]. The no-hint model keeps the common range.
pub const MAX_NAMED_DULLNESS_DB: f32 = 18.0;

/// One EQ damage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EqDamage {
    /// The problem region it lies in (its filter shape).
    pub problem: Problem,
    /// Centre or corner, Hz.
    pub freq_hz: f32,
    /// Gain, dB.
    pub gain_db: f32,
    /// Q (bells) or shelf Q.
    pub q: f32,
}

impl EqDamage {
    /// The filter's gain per band, dB.
    pub fn curve_db(&self) -> [f32; NUM_BANDS] {
        let (f, g, q) = (
            f64::from(self.freq_hz),
            f64::from(self.gain_db),
            f64::from(self.q),
        );
        let c = match self.problem {
            Problem::Dullness => BiquadCoefs::high_shelf(f, g, q, DESIGN_RATE_HZ),
            Problem::Thinness => BiquadCoefs::low_shelf(f, g, q, DESIGN_RATE_HZ),
            _ => BiquadCoefs::peaking(f, g, q, DESIGN_RATE_HZ),
        };
        band_gains_db(&c)
    }
}

/// Mean power gain of `c` over each band, dB.
pub fn band_gains_db(c: &BiquadCoefs) -> [f32; NUM_BANDS] {
    std::array::from_fn(|k| {
        let (lo, hi) = band_edges_hz(k);
        let (lo, hi) = (f64::from(lo), f64::from(hi).min(0.49 * DESIGN_RATE_HZ));
        let mean = (0..POINTS_PER_BAND)
            .map(|i| {
                let f = lo * (hi / lo).powf((i as f64 + 0.5) / POINTS_PER_BAND as f64);
                10f64.powf(c.response_db(f, DESIGN_RATE_HZ) / 10.0)
            })
            .sum::<f64>()
            / POINTS_PER_BAND as f64;
        (10.0 * mean.log10()) as f32
    })
}

/// Largest damage a named problem's model is trained on, dB: [`MAX_DAMAGE_DB`], and
/// [`MAX_NAMED_DULLNESS_DB`] for dullness.
pub fn named_max_db(problem: Problem) -> f32 {
    match problem {
        Problem::Dullness => MAX_NAMED_DULLNESS_DB,
        _ => MAX_DAMAGE_DB,
    }
}

/// The frequency range (Hz) and Q range a problem's damage is drawn from.
pub fn ranges(problem: Problem) -> ((f32, f32), (f32, f32)) {
    match problem {
        Problem::Boom => ((45.0, 125.0), (0.7, 2.0)),
        Problem::Mud => ((160.0, 500.0), (0.7, 2.0)),
        Problem::Harshness => ((2_000.0, 6_300.0), (0.7, 2.0)),
        Problem::Dullness => ((3_000.0, 10_000.0), (0.5, 0.8)),
        Problem::Thinness => ((80.0, 300.0), (0.5, 0.8)),
    }
}

/// A deterministic uniform random source (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A source seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_F42D_4C95_7F2D)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit() as f32
    }

    /// Log-uniform in [lo, hi).
    pub fn log_uniform(&mut self, lo: f32, hi: f32) -> f32 {
        lo * (hi / lo).powf(self.unit() as f32)
    }

    /// One of `n` choices.
    pub fn index(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

/// A damage of `problem` with a gain of `gain_db` (signed), centre and Q drawn from its ranges.
pub fn draw(rng: &mut Rng, problem: Problem, gain_db: f32) -> EqDamage {
    let ((f_lo, f_hi), (q_lo, q_hi)) = ranges(problem);
    EqDamage {
        problem,
        freq_hz: rng.log_uniform(f_lo, f_hi),
        gain_db,
        q: rng.uniform(q_lo, q_hi),
    }
}

/// The track's features after a whole-mix EQ whose band gains are `curve_db` and a side gain
/// of `width_gain`: mid and side move by the curve, the side also by the width gain, the
/// side-to-mid ratio by the width gain only, and both spectra are level-normalised again
/// (K-weighted band powers sum to 0 dB, as the analysis does).
pub fn apply(track: &TrackFeatures, curve_db: &[f32; NUM_BANDS], width_gain: f32) -> TrackFeatures {
    let weights = super::super::analysis::k_weight_per_band();
    let width_db = 20.0 * width_gain.max(1e-6).log10();
    let mut mid: [f32; NUM_BANDS] = std::array::from_fn(|k| track.mid_db[k] + curve_db[k]);
    let total: f64 = (0..NUM_BANDS)
        .map(|k| weights[k] * 10f64.powf(f64::from(mid[k]) / 10.0))
        .sum();
    let offset = if total > 0.0 {
        (10.0 * total.log10()) as f32
    } else {
        0.0
    };
    mid.iter_mut().for_each(|m| *m -= offset);
    let mut out = track.clone();
    out.mid_db = mid;
    for (k, c) in curve_db.iter().enumerate() {
        out.side_db[k] = track.side_db[k] + c + width_db - offset;
        out.side_to_mid_db[k] = track.side_to_mid_db[k] + width_db;
    }
    out.low_end_side_to_mid_db = track.low_end_side_to_mid_db + width_db;
    out
}

/// Sum of the curves of `damages`, dB per band.
pub fn total_curve_db(damages: &[EqDamage]) -> [f32; NUM_BANDS] {
    let mut out = [0.0; NUM_BANDS];
    for d in damages {
        for (o, c) in out.iter_mut().zip(d.curve_db()) {
            *o += c;
        }
    }
    out
}
