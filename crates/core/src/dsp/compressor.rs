//! Feed-forward compressor after D. Giannoulis, M. Massberg and J. D. Reiss, "Digital Dynamic
//! Range Compressor Design - A Tutorial and Analysis", JAES 60(6), 2012:
//!
//! 1. level `x_G = 20 log10 |x|` (sample peak; the caller passes the largest magnitude over
//!    the channels for linked stereo),
//! 2. static gain computer in the log domain with a quadratic soft knee (their eq. 4),
//! 3. the gain reduction `x_L = x_G - y_G` smoothed by a "smooth branching peak detector"
//!    (their eq. 17): a one-pole filter with the attack coefficient while the reduction grows
//!    and the release coefficient while it shrinks,
//! 4. make-up gain, then `10^(gain/20)`.
//!
//! Time constants: `alpha = exp(-1 / (tau fs))`, so after a step in the wanted gain reduction
//! the applied reduction has covered `1 - 1/e` (63.2 %) of the step after `tau` (attack when
//! the reduction grows, release when it falls), as in the paper's section 3.

use super::biquad::ParamRamp;
use super::simd::Simd;
use serde::{Deserialize, Serialize};

/// Time the make-up gain takes to reach a new value, ms (linear in dB, per sample).
pub const MAKEUP_RAMP_MS: f32 = 20.0;
/// Smoothed gain reduction below this is treated as exactly none, dB (a millionth of a dB).
const ENVELOPE_FLOOR_DB: f32 = 1e-6;

/// Settings of one compressor, in display units. The default (ratio 1:1, no make-up) does
/// nothing at all.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CompressorSettings {
    /// Level where compression starts (centre of the knee), dBFS sample peak. -80..+20.
    pub threshold_db: f32,
    /// Input dB per output dB above the threshold; 1 = no compression. 1..20.
    pub ratio: f32,
    /// Width of the soft knee, dB (0 = hard knee). 0..24.
    pub knee_db: f32,
    /// Time to 63 % of a growing gain reduction, ms. 0.1..500.
    pub attack_ms: f32,
    /// Time to 63 % of a shrinking gain reduction, ms. 5..5000.
    pub release_ms: f32,
    /// Gain after compression, dB. -24..+24.
    pub makeup_db: f32,
}

impl Default for CompressorSettings {
    fn default() -> Self {
        Self {
            threshold_db: 0.0,
            ratio: 1.0,
            knee_db: 6.0,
            attack_ms: 10.0,
            release_ms: 100.0,
            makeup_db: 0.0,
        }
    }
}

/// `x` if finite, else `fallback`, then clamped.
fn sane(x: f32, fallback: f32, lo: f32, hi: f32) -> f32 {
    (if x.is_finite() { x } else { fallback }).clamp(lo, hi)
}

impl CompressorSettings {
    /// The settings with every field finite and inside its documented range.
    pub fn sanitized(&self) -> Self {
        Self {
            threshold_db: sane(self.threshold_db, 0.0, -80.0, 20.0),
            ratio: sane(self.ratio, 1.0, 1.0, 20.0),
            knee_db: sane(self.knee_db, 6.0, 0.0, 24.0),
            attack_ms: sane(self.attack_ms, 10.0, 0.1, 500.0),
            release_ms: sane(self.release_ms, 100.0, 5.0, 5000.0),
            makeup_db: sane(self.makeup_db, 0.0, -24.0, 24.0),
        }
    }

    /// True when the compressor cannot change the signal: ratio 1:1 and no make-up.
    pub fn is_neutral(&self) -> bool {
        let s = self.sanitized();
        s.ratio == 1.0 && s.makeup_db == 0.0
    }
}

/// The static curve: how many dB a steady level is turned down.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GainComputer {
    threshold_db: f32,
    /// `1 - 1/ratio`: dB of reduction per dB above the threshold.
    reduction_slope: f32,
    knee_db: f32,
    /// `1 / (2 W)`, or 0 for a hard knee.
    inv_twice_knee: f32,
}

impl GainComputer {
    /// The curve of `settings` (sanitised first).
    pub fn new(settings: &CompressorSettings) -> Self {
        let s = settings.sanitized();
        Self {
            threshold_db: s.threshold_db,
            reduction_slope: 1.0 - 1.0 / s.ratio,
            knee_db: s.knee_db,
            inv_twice_knee: if s.knee_db > 0.0 {
                0.5 / s.knee_db
            } else {
                0.0
            },
        }
    }

    /// Gain reduction (>= 0 dB) for an input level in dB, Giannoulis et al. eq. 4 written as
    /// `x_G - y_G`: 0 below the knee, `(1 - 1/R)(x - T + W/2)^2 / (2W)` inside it,
    /// `(1 - 1/R)(x - T)` above it.
    #[inline]
    pub fn gain_reduction_db(&self, level_db: f32) -> f32 {
        // Branch-free form of the three cases: `k` is the distance into the knee (0 below it,
        // W above it); above the knee the straight part adds `(x - T - W/2)`, which makes
        // `(1 - 1/R)(W/2 + x - T - W/2) = (1 - 1/R)(x - T)`.
        let over_db = level_db - self.threshold_db;
        let half_knee = 0.5 * self.knee_db;
        let k = (over_db + half_knee).clamp(0.0, self.knee_db);
        self.reduction_slope * (k * k * self.inv_twice_knee + (over_db - half_knee).max(0.0))
    }

    /// Output level of the static curve for an input level, dB.
    pub fn output_db(&self, level_db: f32) -> f32 {
        level_db - self.gain_reduction_db(level_db)
    }
}

/// dB per doubling of amplitude: `20 log10(2)`.
const DB_PER_OCTAVE: f32 = 6.020_6;

/// `log2(x)` for finite `x > 0`, to within 2e-6 (1e-5 dB when scaled to decibels).
///
/// `x = 2^e m` with `m` in `[sqrt(1/2), sqrt(2))`, then `log2(m) = 2/ln 2 * atanh(t)` with
/// `t = (m - 1) / (m + 1)`, `|t| < 0.172`, by the series `atanh t = t + t^3/3 + t^5/5 + ...`
/// (truncated after `t^7 / 7`). Several times faster than the library call, which matters at
/// three bands per sample frame.
#[inline]
pub fn fast_log2(x: f32) -> f32 {
    let bits = x.to_bits();
    let mut exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    if m > std::f32::consts::SQRT_2 {
        m *= 0.5;
        exponent += 1;
    }
    let t = (m - 1.0) / (m + 1.0);
    let t2 = t * t;
    let series = t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0))));
    exponent as f32 + series * (2.0 / std::f32::consts::LN_2)
}

/// `2^x` for `x` in `[-126, 126]` (clamped), relative error below 1e-6.
///
/// `x = i + f` with `i = round(x)` and `f` in `[-1/2, 1/2]`; `2^f = e^(f ln 2)` by its Taylor
/// series to the 7th power, `2^i` written straight into the exponent bits. The rounding adds
/// and subtracts `1.5 * 2^23`, which leaves the integer in the low mantissa bits; all of it
/// is plain arithmetic the compiler can vectorise.
#[inline]
pub fn fast_exp2(x: f32) -> f32 {
    const ROUNDER: f32 = 12_582_912.0;
    let x = x.clamp(-126.0, 126.0);
    let shifted = x + ROUNDER;
    let i = shifted.to_bits().wrapping_sub(ROUNDER.to_bits()) as i32;
    let y = (x - (shifted - ROUNDER)) * std::f32::consts::LN_2;
    let mut p = 1.0 / 5040.0;
    for k in [720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0] {
        p = p * y + 1.0 / k;
    }
    p * f32::from_bits(((i + 127) as u32) << 23)
}

/// One-pole coefficient for a time constant: `exp(-1 / (tau fs))`.
pub fn time_constant_coef(time_ms: f32, sample_rate_hz: f32) -> f32 {
    (-1.0 / (time_ms * 0.001 * sample_rate_hz).max(1e-3)).exp()
}

/// A compressor's running state: the gain computer, the smoothed gain reduction, the make-up
/// ramp and a peak hold of the reduction for meters.
#[derive(Debug, Clone, Copy)]
pub struct Compressor {
    computer: GainComputer,
    attack_coef: f32,
    release_coef: f32,
    /// Smoothed gain reduction `y_L`, dB (>= 0).
    envelope_db: f32,
    /// Largest `envelope_db` since the last [`Compressor::take_peak_gain_reduction_db`].
    peak_envelope_db: f32,
    makeup_db: ParamRamp,
}

impl Default for Compressor {
    fn default() -> Self {
        let mut c = Self {
            computer: GainComputer::new(&CompressorSettings::default()),
            attack_coef: 0.0,
            release_coef: 0.0,
            envelope_db: 0.0,
            peak_envelope_db: 0.0,
            makeup_db: ParamRamp::new(0.0),
        };
        c.set_settings(&CompressorSettings::default(), 48_000.0);
        c.reset();
        c
    }
}

impl Compressor {
    /// Applies settings at a sample rate. Curve and time constants change at once (the
    /// smoothing of the gain reduction already keeps that click-free); the make-up gain ramps
    /// over [`MAKEUP_RAMP_MS`].
    pub fn set_settings(&mut self, settings: &CompressorSettings, sample_rate_hz: f32) {
        let s = settings.sanitized();
        self.computer = GainComputer::new(&s);
        self.attack_coef = time_constant_coef(s.attack_ms, sample_rate_hz);
        self.release_coef = time_constant_coef(s.release_ms, sample_rate_hz);
        let makeup_steps = ((MAKEUP_RAMP_MS * 0.001 * sample_rate_hz) as u32).max(1);
        self.makeup_db
            .set_target(f64::from(s.makeup_db), makeup_steps);
    }

    /// No gain reduction, make-up at its target.
    pub fn reset(&mut self) {
        self.envelope_db = 0.0;
        self.peak_envelope_db = 0.0;
        self.makeup_db.finish();
    }

    /// Wanted gain reduction (dB) for a detector level (linear peak).
    #[inline(always)]
    fn wanted_db(&self, peak: f32) -> f32 {
        self.computer
            .gain_reduction_db(DB_PER_OCTAVE * fast_log2(peak.max(1e-30)))
    }

    /// Smooths one wanted reduction into the envelope (the branching one-pole) and returns
    /// the gain in dB for this frame: make-up minus smoothed reduction.
    #[inline(always)]
    fn step_db(&mut self, wanted_db: f32) -> f32 {
        self.envelope_db = smooth(
            self.envelope_db,
            wanted_db,
            self.attack_coef,
            self.release_coef,
        );
        self.peak_envelope_db = self.peak_envelope_db.max(self.envelope_db);
        self.makeup_db.advance() as f32 - self.envelope_db
    }

    /// The gain to apply to the current sample frame (linear), given its detector level: the
    /// largest absolute sample value over the linked channels.
    #[inline]
    pub fn next_gain(&mut self, peak: f32) -> f32 {
        let wanted = self.wanted_db(peak);
        fast_exp2(self.step_db(wanted) * (1.0 / DB_PER_OCTAVE))
    }

    /// [`Self::next_gain`] for a run of frames: `gains[i]` for `peaks[i]` (as many as the
    /// shorter slice). Bit-identical to calling `next_gain` per frame.
    pub fn process_levels(&mut self, peaks: &[f32], gains: &mut [f32]) {
        for (g, p) in gains.iter_mut().zip(peaks) {
            *g = self.next_gain(*p);
        }
    }

    /// Present smoothed gain reduction, dB (>= 0).
    pub fn gain_reduction_db(&self) -> f32 {
        self.envelope_db
    }

    /// Largest smoothed gain reduction since the previous call, dB; clears the hold.
    pub fn take_peak_gain_reduction_db(&mut self) -> f32 {
        std::mem::replace(&mut self.peak_envelope_db, self.envelope_db)
    }

    /// True when the compressor is doing nothing and will keep doing nothing while its
    /// settings stay neutral: reduction below `tolerance_db`, make-up at rest at 0 dB.
    pub fn is_at_rest(&self, tolerance_db: f32) -> bool {
        self.envelope_db < tolerance_db
            && !self.makeup_db.is_moving()
            && self.makeup_db.current() == 0.0
    }
}

/// One step of the smooth branching peak detector (Giannoulis et al. eq. 17) in the dB
/// domain: `y = x + coef (y_prev - x)` with the attack coefficient while the wanted reduction
/// `x` exceeds the present one, the release coefficient otherwise; tiny values become 0.
#[inline(always)]
fn smooth(envelope_db: f32, wanted_db: f32, attack_coef: f32, release_coef: f32) -> f32 {
    let coef = if wanted_db > envelope_db {
        attack_coef
    } else {
        release_coef
    };
    let env = wanted_db + coef * (envelope_db - wanted_db);
    if env < ENVELOPE_FLOOR_DB { 0.0 } else { env }
}

/// Frames [`process_bank`] handles per call.
pub const BANK_SPAN: usize = 16;

/// [`Compressor::next_gain`] for several compressors over up to [`BANK_SPAN`] frames:
/// `levels[b][i]` is band `b`'s detector level at frame `i`; returns the linear gains in the
/// same layout (frames past `num_frames` are 1). Bit-identical to calling `next_gain` frame by
/// frame, but organised for speed: the logarithms and exponentials run in loops without a
/// recursion (vectorised by the compiler), and the bands' envelope recursions are interleaved
/// so they overlap in the CPU instead of waiting on each other.
pub fn process_bank<const N: usize>(
    compressors: &mut [Compressor; N],
    levels: &[[f32; BANK_SPAN]; N],
    num_frames: usize,
) -> [[f32; BANK_SPAN]; N] {
    process_bank_at(Simd::detected(), compressors, levels, num_frames)
}

/// [`process_bank`] at a given instruction set. With AVX (see [`Simd::vectorize`]) the
/// logarithms and exponentials run eight lanes per instruction; no FMA is enabled, so the
/// results match the portable build bit for bit.
#[inline(always)]
pub(crate) fn process_bank_at<const N: usize>(
    simd: Simd,
    compressors: &mut [Compressor; N],
    levels: &[[f32; BANK_SPAN]; N],
    num_frames: usize,
) -> [[f32; BANK_SPAN]; N] {
    simd.vectorize(
        #[inline(always)]
        || process_bank_kernel(compressors, levels, num_frames),
    )
}

/// The body of [`process_bank`].
#[inline(always)]
fn process_bank_kernel<const N: usize>(
    compressors: &mut [Compressor; N],
    levels: &[[f32; BANK_SPAN]; N],
    num_frames: usize,
) -> [[f32; BANK_SPAN]; N] {
    let mut out = [[0.0f32; BANK_SPAN]; N];
    for ((o, l), c) in out.iter_mut().zip(levels).zip(compressors.iter()) {
        for (w, x) in o.iter_mut().zip(l) {
            *w = c.wanted_db(*x);
        }
    }
    let num_frames = num_frames.min(BANK_SPAN);
    if compressors.iter().any(|c| c.makeup_db.is_moving()) {
        for i in 0..num_frames {
            for (c, o) in compressors.iter_mut().zip(out.iter_mut()) {
                if let Some(v) = o.get_mut(i) {
                    *v = c.step_db(*v);
                }
            }
        }
    } else {
        // Same arithmetic as `step_db`, on local copies the compiler keeps in registers
        // (the make-up is constant here), so the recursion does not go through memory.
        let mut env = [0.0f32; N];
        let mut peak = [0.0f32; N];
        let mut coefs = [(0.0f32, 0.0f32, 0.0f32); N];
        for (((e, p), k), c) in env
            .iter_mut()
            .zip(&mut peak)
            .zip(&mut coefs)
            .zip(compressors.iter())
        {
            *e = c.envelope_db;
            *p = c.peak_envelope_db;
            *k = (c.attack_coef, c.release_coef, c.makeup_db.current() as f32);
        }
        for i in 0..num_frames {
            for (((o, e), p), (attack, release, makeup)) in
                out.iter_mut().zip(&mut env).zip(&mut peak).zip(&coefs)
            {
                if let Some(v) = o.get_mut(i) {
                    *e = smooth(*e, *v, *attack, *release);
                    *p = p.max(*e);
                    *v = makeup - *e;
                }
            }
        }
        for ((c, e), p) in compressors.iter_mut().zip(env).zip(peak) {
            c.envelope_db = e;
            c.peak_envelope_db = p;
        }
    }
    for o in out.iter_mut() {
        for (k, v) in o.iter_mut().enumerate() {
            *v = if k < num_frames {
                fast_exp2(*v * (1.0 / DB_PER_OCTAVE))
            } else {
                1.0
            };
        }
    }
    out
}

#[cfg(test)]
mod tests;
