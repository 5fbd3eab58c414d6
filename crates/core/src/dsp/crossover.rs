//! Three-band Linkwitz-Riley crossover shared by the multiband dynamics and the stereo-image
//! stages, plus the crossfade that switches a split path in and out without a click.
//!
//! Design (S. Linkwitz, "Active crossover networks for noncoincident drivers", JAES 1976;
//! LR 4th order = two cascaded 2nd-order Butterworth sections, built here from RBJ cookbook
//! low/high-pass biquads with Q = 1/sqrt(2)): at one frequency `LP4 + HP4 = AP2`, a
//! 2nd-order all-pass with the same Q, and LP4 and HP4 are in phase with that all-pass at every
//! frequency (each is -6.02 dB at the crossover). The bilinear transform keeps these identities
//! exactly. Three bands:
//!
//! ```text
//! low  = LP4(f1) * AP2(f2)      (all-pass compensation: the low band gets f2's phase)
//! mid  = HP4(f1) * LP4(f2)
//! high = HP4(f1) * HP4(f2)
//! low + mid + high = AP2(f1) * AP2(f2)      |.| = 1 at every frequency
//! ```

use super::biquad::{BiquadCoefs, Complex, FLUSH_THRESHOLD, LaneState, ParamRamp, ramp_steps};
use std::f64::consts::FRAC_1_SQRT_2;

/// Number of bands of the split.
pub const NUM_BANDS: usize = 3;
/// Default low/mid crossover, Hz.
pub const DEFAULT_LOW_MID_HZ: f32 = 120.0;
/// Default mid/high crossover, Hz.
pub const DEFAULT_MID_HIGH_HZ: f32 = 2500.0;
/// Allowed crossover range, Hz (also kept below 0.45 fs).
pub const CROSSOVER_RANGE_HZ: (f32, f32) = (20.0, 16_000.0);
/// Time a crossover frequency takes to reach a new value (moved in octaves), ms.
pub const CROSSOVER_RAMP_MS: f32 = 20.0;
/// Length of the crossfade between the untouched signal and a split path, ms.
pub const SPLIT_FADE_MS: f32 = 10.0;

/// Clamps a pair of crossover frequencies to [`CROSSOVER_RANGE_HZ`], below 0.45 fs, and in
/// order (`low_mid <= mid_high`). Non-finite values fall back to the defaults.
pub fn clamp_crossovers(low_mid_hz: f32, mid_high_hz: f32, sample_rate_hz: f32) -> (f32, f32) {
    let top = CROSSOVER_RANGE_HZ.1.min(0.45 * sample_rate_hz);
    let pick = |x: f32, fallback: f32| if x.is_finite() { x } else { fallback };
    let f1 = pick(low_mid_hz, DEFAULT_LOW_MID_HZ).clamp(CROSSOVER_RANGE_HZ.0, top);
    let f2 = pick(mid_high_hz, DEFAULT_MID_HIGH_HZ).clamp(f1, top);
    (f1, f2)
}

/// Coefficients of a Linkwitz-Riley 4th-order pair at one frequency: the Butterworth low- and
/// high-pass sections (each used twice) and the matching 2nd-order all-pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lr4Coefs {
    /// One of the two identical low-pass sections.
    pub lp: BiquadCoefs,
    /// One of the two identical high-pass sections.
    pub hp: BiquadCoefs,
    /// `LP4 + HP4`: unit magnitude, same phase as both outputs.
    pub ap: BiquadCoefs,
}

impl Lr4Coefs {
    /// The LR4 pair crossing over at `freq_hz`.
    pub fn new(freq_hz: f64, sample_rate_hz: f64) -> Self {
        Self {
            lp: BiquadCoefs::low_pass(freq_hz, FRAC_1_SQRT_2, sample_rate_hz),
            hp: BiquadCoefs::high_pass(freq_hz, FRAC_1_SQRT_2, sample_rate_hz),
            ap: BiquadCoefs::all_pass(freq_hz, FRAC_1_SQRT_2, sample_rate_hz),
        }
    }

    /// Response of the 4th-order low-pass (`LP^2`) at `freq_hz`.
    pub fn low_pass_response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        let h = self.lp.response(freq_hz, sample_rate_hz);
        h * h
    }

    /// Response of the 4th-order high-pass (`HP^2`) at `freq_hz`.
    pub fn high_pass_response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        let h = self.hp.response(freq_hz, sample_rate_hz);
        h * h
    }
}

/// Coefficients of the three-band split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CrossoverCoefs {
    /// The low/mid crossover (f1).
    pub low_mid: Lr4Coefs,
    /// The mid/high crossover (f2).
    pub mid_high: Lr4Coefs,
}

impl CrossoverCoefs {
    /// The split at `low_mid_hz` and `mid_high_hz` (use [`clamp_crossovers`] first).
    pub fn new(low_mid_hz: f64, mid_high_hz: f64, sample_rate_hz: f64) -> Self {
        Self {
            low_mid: Lr4Coefs::new(low_mid_hz, sample_rate_hz),
            mid_high: Lr4Coefs::new(mid_high_hz, sample_rate_hz),
        }
    }

    /// Complex response of band `band` (0 low, 1 mid, 2 high) at `freq_hz`.
    pub fn band_response(&self, band: usize, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        let (f, sr) = (freq_hz, sample_rate_hz);
        match band {
            0 => self.low_mid.low_pass_response(f, sr) * self.mid_high.ap.response(f, sr),
            1 => self.low_mid.high_pass_response(f, sr) * self.mid_high.low_pass_response(f, sr),
            _ => self.low_mid.high_pass_response(f, sr) * self.mid_high.high_pass_response(f, sr),
        }
    }

    /// Complex response of the three bands summed (an all-pass).
    pub fn sum_response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        (0..NUM_BANDS).fold(Complex::default(), |acc, b| {
            acc + self.band_response(b, freq_hz, sample_rate_hz)
        })
    }
}

/// Filter memory of a 4th-order Linkwitz-Riley low- or high-pass (two sections), for two
/// lanes (see [`LaneState`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Lr4State {
    sections: [LaneState; 2],
}

impl Lr4State {
    /// Runs both lanes through both sections of `section` (an LR4 half: `lp` or `hp`).
    #[inline(always)]
    pub fn process(&mut self, section: &BiquadCoefs, x: [f64; 2]) -> [f64; 2] {
        let [a, b] = &mut self.sections;
        b.process(section, a.process(section, x))
    }

    /// Flushes tiny values (see [`LaneState::flush_tiny`]).
    pub fn flush_tiny(&mut self) {
        self.sections.iter_mut().for_each(LaneState::flush_tiny);
    }
}

/// Coefficients of four biquad lanes: filter `a` in lanes 0-1, filter `b` in lanes 2-3.
#[derive(Debug, Clone, Copy, PartialEq)]
struct QuadCoefs {
    b0: [f64; 4],
    b1: [f64; 4],
    b2: [f64; 4],
    a1: [f64; 4],
    a2: [f64; 4],
}

impl QuadCoefs {
    #[inline(always)]
    fn pair(a: &BiquadCoefs, b: &BiquadCoefs) -> Self {
        Self {
            b0: [a.b0, a.b0, b.b0, b.b0],
            b1: [a.b1, a.b1, b.b1, b.b1],
            b2: [a.b2, a.b2, b.b2, b.b2],
            a1: [a.a1, a.a1, b.a1, b.a1],
            a2: [a.a2, a.a2, b.a2, b.a2],
        }
    }
}

/// Four TDF-II biquad lanes side by side: the crossover's low- and high-pass halves of both
/// channels at one frequency, which depend only on the same input. Lane by lane the same
/// arithmetic as [`LaneState::process_lanes`], written as loops over four lanes so one AVX
/// instruction (or two SSE2 ones) serves all of them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct QuadState {
    s1: [f64; 4],
    s2: [f64; 4],
}

impl QuadState {
    #[inline(always)]
    fn process(&mut self, c: &QuadCoefs, x: [f64; 4]) -> [f64; 4] {
        let mut y = [0.0; 4];
        for k in 0..4 {
            y[k] = c.b0[k] * x[k] + self.s1[k];
            self.s1[k] = c.b1[k] * x[k] - c.a1[k] * y[k] + self.s2[k];
            self.s2[k] = c.b2[k] * x[k] - c.a2[k] * y[k];
        }
        y
    }

    /// Flushes tiny values (see [`LaneState::flush_tiny`]), branch-free.
    #[inline]
    fn flush_tiny(&mut self) {
        let keep = |v: f64| if v.abs() < FLUSH_THRESHOLD { 0.0 } else { v };
        self.s1 = self.s1.map(keep);
        self.s2 = self.s2.map(keep);
    }
}

/// The crossover's coefficients as four-lane pairs for [`CrossoverState::split_lanes`]:
/// `(LP1, HP1)`, `(LP2, HP2)` and the all-pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitLanes {
    first: QuadCoefs,
    second: QuadCoefs,
    all_pass: BiquadCoefs,
}

impl SplitLanes {
    /// The lanes of `c`.
    #[inline(always)]
    pub fn new(c: &CrossoverCoefs) -> Self {
        Self {
            first: QuadCoefs::pair(&c.low_mid.lp, &c.low_mid.hp),
            second: QuadCoefs::pair(&c.mid_high.lp, &c.mid_high.hp),
            all_pass: c.mid_high.ap,
        }
    }
}

/// Filter memory of the three-band split for two channels (lanes: left and right, or one
/// signal and an unused lane). The f1 low- and high-pass run side by side in four lanes
/// (both channels of each), then the f2 low- and high-pass on the high-passed signal.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CrossoverState {
    /// `[LP1 left, LP1 right, HP1 left, HP1 right]`, two sections.
    first: [QuadState; 2],
    /// `[LP2 left, LP2 right, HP2 left, HP2 right]` of the high-passed signal, two sections.
    second: [QuadState; 2],
    all_pass_2: LaneState,
}

impl CrossoverState {
    /// Splits one frame of both lanes into `[low, mid, high]`, each `[lane 0, lane 1]`.
    #[inline(always)]
    pub fn split(&mut self, c: &CrossoverCoefs, x: [f64; 2]) -> [[f64; 2]; NUM_BANDS] {
        self.split_lanes(&SplitLanes::new(c), x)
    }

    /// [`Self::split`] with the coefficients already laid out (hoist [`SplitLanes::new`] out
    /// of sample loops).
    #[inline(always)]
    pub fn split_lanes(&mut self, c: &SplitLanes, x: [f64; 2]) -> [[f64; 2]; NUM_BANDS] {
        let [f0, f1] = &mut self.first;
        let a = f1.process(&c.first, f0.process(&c.first, [x[0], x[1], x[0], x[1]]));
        let rest = [a[2], a[3], a[2], a[3]];
        let [g0, g1] = &mut self.second;
        let b = g1.process(&c.second, g0.process(&c.second, rest));
        let low = self.all_pass_2.process(&c.all_pass, [a[0], a[1]]);
        [low, [b[0], b[1]], [b[2], b[3]]]
    }

    /// Clears the memory.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Flushes tiny values (see [`LaneState::flush_tiny`]).
    pub fn flush_tiny(&mut self) {
        for q in self.first.iter_mut().chain(self.second.iter_mut()) {
            q.flush_tiny();
        }
        self.all_pass_2.flush_tiny();
    }
}

/// An LR4 frequency that glides (in octaves) to new targets over [`CROSSOVER_RAMP_MS`], with
/// its coefficients redesigned at every update tick while it moves.
#[derive(Debug, Clone, Copy)]
pub struct SmoothedLr4 {
    log2_freq: ParamRamp,
    coefs: Lr4Coefs,
}

impl SmoothedLr4 {
    /// At rest at `freq_hz`.
    pub fn new(freq_hz: f32, sample_rate_hz: f32) -> Self {
        Self {
            log2_freq: ParamRamp::new(f64::from(freq_hz).log2()),
            coefs: Lr4Coefs::new(f64::from(freq_hz), f64::from(sample_rate_hz)),
        }
    }

    /// Starts a glide to `freq_hz` at `sample_rate_hz`.
    pub fn set_target(&mut self, freq_hz: f32, sample_rate_hz: f32) {
        let steps = ramp_steps(CROSSOVER_RAMP_MS, sample_rate_hz);
        self.log2_freq.set_target(f64::from(freq_hz).log2(), steps);
    }

    /// Jumps to the target.
    pub fn finish(&mut self, sample_rate_hz: f32) {
        self.log2_freq.finish();
        self.redesign(sample_rate_hz);
    }

    /// One update tick: advances the glide and redesigns if it moved.
    pub fn tick(&mut self, sample_rate_hz: f32) {
        if self.log2_freq.is_moving() {
            self.log2_freq.advance();
            self.redesign(sample_rate_hz);
        }
    }

    fn redesign(&mut self, sample_rate_hz: f32) {
        let f = self.log2_freq.current().exp2();
        self.coefs = Lr4Coefs::new(f, f64::from(sample_rate_hz));
    }

    /// True while gliding.
    pub fn is_moving(&self) -> bool {
        self.log2_freq.is_moving()
    }

    /// Current frequency, Hz.
    pub fn freq_hz(&self) -> f32 {
        self.log2_freq.current().exp2() as f32
    }

    /// Current coefficients.
    pub fn coefs(&self) -> &Lr4Coefs {
        &self.coefs
    }
}

/// The two crossover frequencies of a three-band split, each gliding like [`SmoothedLr4`].
#[derive(Debug, Clone, Copy)]
pub struct SmoothedCrossover {
    low_mid: SmoothedLr4,
    mid_high: SmoothedLr4,
    coefs: CrossoverCoefs,
}

impl SmoothedCrossover {
    /// At rest at the default frequencies.
    pub fn new(sample_rate_hz: f32) -> Self {
        let low_mid = SmoothedLr4::new(DEFAULT_LOW_MID_HZ, sample_rate_hz);
        let mid_high = SmoothedLr4::new(DEFAULT_MID_HIGH_HZ, sample_rate_hz);
        Self {
            low_mid,
            mid_high,
            coefs: CrossoverCoefs {
                low_mid: low_mid.coefs,
                mid_high: mid_high.coefs,
            },
        }
    }

    /// Starts glides to new frequencies (clamped with [`clamp_crossovers`]).
    pub fn set_targets(&mut self, low_mid_hz: f32, mid_high_hz: f32, sample_rate_hz: f32) {
        let (f1, f2) = clamp_crossovers(low_mid_hz, mid_high_hz, sample_rate_hz);
        self.low_mid.set_target(f1, sample_rate_hz);
        self.mid_high.set_target(f2, sample_rate_hz);
    }

    /// Jumps to the targets.
    pub fn finish(&mut self, sample_rate_hz: f32) {
        self.low_mid.finish(sample_rate_hz);
        self.mid_high.finish(sample_rate_hz);
        self.sync();
    }

    /// One update tick.
    pub fn tick(&mut self, sample_rate_hz: f32) {
        if self.is_moving() {
            self.low_mid.tick(sample_rate_hz);
            self.mid_high.tick(sample_rate_hz);
            self.sync();
        }
    }

    fn sync(&mut self) {
        self.coefs = CrossoverCoefs {
            low_mid: self.low_mid.coefs,
            mid_high: self.mid_high.coefs,
        };
    }

    /// True while either frequency glides.
    pub fn is_moving(&self) -> bool {
        self.low_mid.is_moving() || self.mid_high.is_moving()
    }

    /// Current coefficients.
    pub fn coefs(&self) -> &CrossoverCoefs {
        &self.coefs
    }

    /// Current frequencies `(low_mid, mid_high)`, Hz.
    pub fn freqs_hz(&self) -> (f32, f32) {
        (self.low_mid.freq_hz(), self.mid_high.freq_hz())
    }
}

/// Crossfade between the untouched input ("dry") and a split path ("wet"), so a split can be
/// switched in and out without a click. Raised-cosine weights `wet = sin^2`, `dry = cos^2`
/// (summing to one, zero slope at both ends) over [`SPLIT_FADE_MS`], advanced per sample.
#[derive(Debug, Clone, Copy, Default)]
pub struct SplitFade {
    /// 0 = fully dry .. `length` = fully wet.
    position: u32,
    length: u32,
    wet: bool,
}

impl SplitFade {
    /// Sets the fade length for a sample rate.
    pub fn configure(&mut self, sample_rate_hz: f32) {
        self.length = ((SPLIT_FADE_MS * 0.001 * sample_rate_hz).round() as u32).max(1);
        self.reset();
    }

    /// Requests the wet (split) or dry path; the change fades per sample.
    pub fn set_wet(&mut self, wet: bool) {
        self.wet = wet;
    }

    /// The requested path.
    pub fn wants_wet(&self) -> bool {
        self.wet
    }

    /// Jumps to the requested path.
    pub fn reset(&mut self) {
        self.position = if self.wet { self.length } else { 0 };
    }

    /// Fully dry and staying so: the split can be skipped.
    pub fn is_dry(&self) -> bool {
        !self.wet && self.position == 0
    }

    /// Fully wet and staying so: the dry signal is not needed.
    pub fn is_wet(&self) -> bool {
        self.wet && self.position == self.length
    }

    /// Advances one sample and returns `(wet_weight, dry_weight)`.
    #[inline]
    pub fn next_weights(&mut self) -> (f32, f32) {
        if self.wet {
            self.position = (self.position + 1).min(self.length);
        } else {
            self.position = self.position.saturating_sub(1);
        }
        if self.position == 0 {
            return (0.0, 1.0);
        }
        if self.position >= self.length {
            return (1.0, 0.0);
        }
        let phase = std::f32::consts::FRAC_PI_2 * self.position as f32 / self.length.max(1) as f32;
        let s = phase.sin();
        let wet = s * s;
        (wet, 1.0 - wet)
    }
}

#[cfg(test)]
mod tests;
