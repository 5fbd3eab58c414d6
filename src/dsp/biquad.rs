//! Second-order IIR sections ("biquads"): coefficient design after Robert Bristow-Johnson's
//! "Cookbook formulae for audio EQ biquad filter coefficients" (the RBJ Audio EQ Cookbook,
//! published as a W3C Audio Working Group note), a transposed direct form II state, and the
//! parameter ramp the stages use to move coefficients without zipper noise.
//!
//! Coefficients are a value type with [`BiquadCoefs::response`], so the editor draws a curve
//! from exactly the numbers the audio thread runs.

use std::f64::consts::PI;

/// Coefficient-recomputation interval of every smoothed filter, in samples. Parameter ramps
/// advance one step per interval, on a per-sample counter that runs from `reset`, so the output
/// does not depend on how the host splits blocks. 16 samples (0.33 ms at 48 kHz) is far below
/// the time resolution of hearing, and keeps the cost of the `sin`/`cos`/`powf` of a
/// redesign to a few percent of the filtering itself.
pub const UPDATE_INTERVAL_SAMPLES: usize = 16;

/// Filter states smaller than this are flushed to zero at each update tick, so a long silence
/// never leaves subnormal numbers (slow on x86) in the recursion. 1e-30 is 600 dB below
/// full scale: flushing it cannot change an audible sample.
pub(crate) const FLUSH_THRESHOLD: f64 = 1e-30;

/// A complex number, for frequency responses.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Complex {
    /// Real part.
    pub re: f64,
    /// Imaginary part.
    pub im: f64,
}

impl Complex {
    /// The multiplicative identity, 1 + 0i.
    pub const ONE: Complex = Complex { re: 1.0, im: 0.0 };

    /// `re + i im`.
    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// `e^(i phase)`, phase in radians.
    pub fn from_phase(phase_rad: f64) -> Self {
        Self::new(phase_rad.cos(), phase_rad.sin())
    }

    /// Squared magnitude (a power gain when `self` is an amplitude response).
    pub fn norm_sqr(self) -> f64 {
        self.re * self.re + self.im * self.im
    }

    /// Magnitude (a linear amplitude gain when `self` is a response).
    pub fn abs(self) -> f64 {
        self.norm_sqr().sqrt()
    }

    /// Phase in radians, in (-pi, pi].
    pub fn arg(self) -> f64 {
        self.im.atan2(self.re)
    }

    /// Magnitude in dB (`20 log10 |z|`; `-inf` for 0).
    pub fn db(self) -> f64 {
        10.0 * self.norm_sqr().log10()
    }
}

impl std::ops::Mul for Complex {
    type Output = Complex;
    fn mul(self, rhs: Complex) -> Complex {
        Complex::new(
            self.re * rhs.re - self.im * rhs.im,
            self.re * rhs.im + self.im * rhs.re,
        )
    }
}

impl std::ops::Div for Complex {
    type Output = Complex;
    fn div(self, rhs: Complex) -> Complex {
        let d = rhs.norm_sqr();
        Complex::new(
            (self.re * rhs.re + self.im * rhs.im) / d,
            (self.im * rhs.re - self.re * rhs.im) / d,
        )
    }
}

impl std::ops::Add for Complex {
    type Output = Complex;
    fn add(self, rhs: Complex) -> Complex {
        Complex::new(self.re + rhs.re, self.im + rhs.im)
    }
}

/// Normalised biquad coefficients (a0 = 1):
/// `H(z) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)`.
///
/// Constructors follow the RBJ Audio EQ Cookbook: `w0 = 2 pi f0 / fs`,
/// `alpha = sin(w0) / (2 Q)`, `A = 10^(gain_db / 40)`. Frequencies are clamped to
/// `(0, 0.499 fs)` and Q to at least 0.01 so every design is stable.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiquadCoefs {
    /// Feed-forward coefficient of `x[n]`.
    pub b0: f64,
    /// Feed-forward coefficient of `x[n-1]`.
    pub b1: f64,
    /// Feed-forward coefficient of `x[n-2]`.
    pub b2: f64,
    /// Feedback coefficient of `y[n-1]` (sign as in the denominator above).
    pub a1: f64,
    /// Feedback coefficient of `y[n-2]`.
    pub a2: f64,
}

impl Default for BiquadCoefs {
    fn default() -> Self {
        Self::IDENTITY
    }
}

/// `(cos w0, alpha)` of the cookbook for a centre/corner frequency and Q.
fn cos_alpha(freq_hz: f64, q: f64, sample_rate_hz: f64) -> (f64, f64) {
    let w0 = (2.0 * PI * freq_hz / sample_rate_hz).clamp(1e-7, 0.998 * PI);
    (w0.cos(), w0.sin() / (2.0 * q.max(0.01)))
}

impl BiquadCoefs {
    /// `H(z) = 1`: passes the signal unchanged.
    pub const IDENTITY: BiquadCoefs = BiquadCoefs {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// Divides every coefficient by `a0`.
    fn normalised(b: [f64; 3], a: [f64; 3]) -> Self {
        let inv = 1.0 / a[0];
        Self {
            b0: b[0] * inv,
            b1: b[1] * inv,
            b2: b[2] * inv,
            a1: a[1] * inv,
            a2: a[2] * inv,
        }
    }

    /// Second-order low-pass (cookbook "LPF"), -3 dB at `freq_hz` for Q = 1/sqrt(2).
    pub fn low_pass(freq_hz: f64, q: f64, sample_rate_hz: f64) -> Self {
        let (c, alpha) = cos_alpha(freq_hz, q, sample_rate_hz);
        let b1 = 1.0 - c;
        Self::normalised(
            [b1 * 0.5, b1, b1 * 0.5],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    /// Second-order high-pass (cookbook "HPF"), -3 dB at `freq_hz` for Q = 1/sqrt(2).
    pub fn high_pass(freq_hz: f64, q: f64, sample_rate_hz: f64) -> Self {
        let (c, alpha) = cos_alpha(freq_hz, q, sample_rate_hz);
        let b1 = -(1.0 + c);
        Self::normalised(
            [-b1 * 0.5, b1, -b1 * 0.5],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    /// Second-order all-pass (cookbook "APF"): unit magnitude, phase -180 degrees at
    /// `freq_hz`. With Q = 1/sqrt(2) it is the sum of a Linkwitz-Riley 4th-order low-pass and
    /// high-pass at the same frequency.
    pub fn all_pass(freq_hz: f64, q: f64, sample_rate_hz: f64) -> Self {
        let (c, alpha) = cos_alpha(freq_hz, q, sample_rate_hz);
        Self::normalised(
            [1.0 - alpha, -2.0 * c, 1.0 + alpha],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    /// Peaking bell (cookbook "peakingEQ"): `gain_db` at `freq_hz`, bandwidth set by Q.
    /// At 0 dB the numerator equals the denominator exactly, so the filter is the identity.
    pub fn peaking(freq_hz: f64, gain_db: f64, q: f64, sample_rate_hz: f64) -> Self {
        let (c, alpha) = cos_alpha(freq_hz, q, sample_rate_hz);
        let a = 10f64.powf(gain_db / 40.0);
        Self::normalised(
            [1.0 + alpha * a, -2.0 * c, 1.0 - alpha * a],
            [1.0 + alpha / a, -2.0 * c, 1.0 - alpha / a],
        )
    }

    /// Low shelf (cookbook "lowShelf"): `gain_db` below `freq_hz`, 0 dB above, half the gain
    /// (in dB) at `freq_hz`. Q = 1/sqrt(2) is the steepest slope without overshoot
    /// (cookbook shelf slope S = 1); see [`shelf_q_from_slope`].
    pub fn low_shelf(freq_hz: f64, gain_db: f64, q: f64, sample_rate_hz: f64) -> Self {
        let (c, alpha) = cos_alpha(freq_hz, q, sample_rate_hz);
        let a = 10f64.powf(gain_db / 40.0);
        let k = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            [
                a * ((a + 1.0) - (a - 1.0) * c + k),
                2.0 * a * ((a - 1.0) - (a + 1.0) * c),
                a * ((a + 1.0) - (a - 1.0) * c - k),
            ],
            [
                (a + 1.0) + (a - 1.0) * c + k,
                -2.0 * ((a - 1.0) + (a + 1.0) * c),
                (a + 1.0) + (a - 1.0) * c - k,
            ],
        )
    }

    /// High shelf (cookbook "highShelf"): `gain_db` above `freq_hz`, 0 dB below, half the gain
    /// (in dB) at `freq_hz`. Q as for [`Self::low_shelf`].
    pub fn high_shelf(freq_hz: f64, gain_db: f64, q: f64, sample_rate_hz: f64) -> Self {
        let (c, alpha) = cos_alpha(freq_hz, q, sample_rate_hz);
        let a = 10f64.powf(gain_db / 40.0);
        let k = 2.0 * a.sqrt() * alpha;
        Self::normalised(
            [
                a * ((a + 1.0) + (a - 1.0) * c + k),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * c),
                a * ((a + 1.0) + (a - 1.0) * c - k),
            ],
            [
                (a + 1.0) - (a - 1.0) * c + k,
                2.0 * ((a - 1.0) - (a + 1.0) * c),
                (a + 1.0) - (a - 1.0) * c - k,
            ],
        )
    }

    /// Crossfades the transfer function towards the identity: `(1 - mix) H(z) + mix`, done on
    /// the numerator (`b' = (1 - mix) b + mix a`) so the poles stay put. `mix = 1` gives a
    /// numerator exactly equal to the denominator. Used to switch a high-pass in and out
    /// without a click.
    pub fn blend_with_identity(&self, mix: f64) -> Self {
        let keep = 1.0 - mix;
        Self {
            b0: keep * self.b0 + mix,
            b1: keep * self.b1 + mix * self.a1,
            b2: keep * self.b2 + mix * self.a2,
            a1: self.a1,
            a2: self.a2,
        }
    }

    /// The same poles with the numerator set equal to the denominator: exactly `H(z) = 1`, but
    /// a state left by earlier coefficients still decays through the poles instead of being
    /// cut off.
    pub fn flat_with_same_poles(&self) -> Self {
        Self {
            b0: 1.0,
            b1: self.a1,
            b2: self.a2,
            a1: self.a1,
            a2: self.a2,
        }
    }

    /// True when the numerator equals the denominator, i.e. `H(z) = 1` exactly.
    pub fn is_flat(&self) -> bool {
        self.b0 == 1.0 && self.b1 == self.a1 && self.b2 == self.a2
    }

    /// Complex response at `freq_hz`: `H(e^(i w))`, `w = 2 pi f / fs`.
    pub fn response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        let w = 2.0 * PI * freq_hz / sample_rate_hz;
        let z1 = Complex::from_phase(-w);
        let z2 = Complex::from_phase(-2.0 * w);
        let scale = |k: f64, z: Complex| Complex::new(k * z.re, k * z.im);
        let num = Complex::new(self.b0, 0.0) + scale(self.b1, z1) + scale(self.b2, z2);
        let den = Complex::ONE + scale(self.a1, z1) + scale(self.a2, z2);
        num / den
    }

    /// Magnitude response at `freq_hz`, in dB.
    pub fn response_db(&self, freq_hz: f64, sample_rate_hz: f64) -> f64 {
        self.response(freq_hz, sample_rate_hz).db()
    }
}

/// Cookbook shelf Q for a shelf slope `S` (1 = steepest without overshoot, smaller = gentler):
/// `1/Q = sqrt((A + 1/A)(1/S - 1) + 2)`, `A = 10^(gain_db / 40)`.
pub fn shelf_q_from_slope(gain_db: f64, slope: f64) -> f64 {
    let a = 10f64.powf(gain_db / 40.0);
    let s = slope.clamp(0.01, 1.0);
    1.0 / ((a + 1.0 / a) * (1.0 / s - 1.0) + 2.0).sqrt()
}

/// Q of section `k` (0-based) of an even-order Butterworth filter made of `order / 2` biquads:
/// `Q_k = 1 / (2 cos(pi (2k + 1) / (2 order)))` (pole angles of the Butterworth polynomial).
pub fn butterworth_q(order: usize, k: usize) -> f64 {
    let n = order.max(2) as f64;
    1.0 / (2.0 * (PI * (2 * k + 1) as f64 / (2.0 * n)).cos())
}

/// Transposed direct form II state of one biquad on one channel. `f64` so low-frequency
/// filters at high sample rates keep their precision (TDF-II in single precision loses the
/// bottom octaves to rounding noise).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BiquadState {
    s1: f64,
    s2: f64,
}

impl BiquadState {
    /// Filters one sample: `y = b0 x + s1; s1 = b1 x - a1 y + s2; s2 = b2 x - a2 y`.
    #[inline(always)]
    pub fn process(&mut self, c: &BiquadCoefs, x: f64) -> f64 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    /// Filters a slice in place.
    #[inline]
    pub fn process_slice(&mut self, c: &BiquadCoefs, samples: &mut [f32]) {
        for s in samples.iter_mut() {
            *s = self.process(c, f64::from(*s)) as f32;
        }
    }

    /// Clears the state (silence in the past).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Largest absolute value in the state; 0 means the filter has forgotten its past.
    pub fn magnitude(&self) -> f64 {
        self.s1.abs().max(self.s2.abs())
    }

    /// Sets states below 1e-30 to zero (avoids subnormal arithmetic in long silences).
    #[inline]
    pub fn flush_tiny(&mut self) {
        if self.s1.abs() < FLUSH_THRESHOLD {
            self.s1 = 0.0;
        }
        if self.s2.abs() < FLUSH_THRESHOLD {
            self.s2 = 0.0;
        }
    }
}

/// Coefficients for the two lanes of a [`LaneState`], stored lane-interleaved so the
/// multiplications take them straight from memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LaneCoefs {
    /// `b0` of lane 0 and lane 1.
    pub b0: [f64; 2],
    /// `b1` of lane 0 and lane 1.
    pub b1: [f64; 2],
    /// `b2` of lane 0 and lane 1.
    pub b2: [f64; 2],
    /// `a1` of lane 0 and lane 1.
    pub a1: [f64; 2],
    /// `a2` of lane 0 and lane 1.
    pub a2: [f64; 2],
}

impl Default for LaneCoefs {
    fn default() -> Self {
        Self::splat(&BiquadCoefs::IDENTITY)
    }
}

impl LaneCoefs {
    /// The same filter in both lanes.
    #[inline(always)]
    pub fn splat(c: &BiquadCoefs) -> Self {
        Self::pair(c, c)
    }

    /// Filter `a` in lane 0, `b` in lane 1.
    #[inline(always)]
    pub fn pair(a: &BiquadCoefs, b: &BiquadCoefs) -> Self {
        Self {
            b0: [a.b0, b.b0],
            b1: [a.b1, b.b1],
            b2: [a.b2, b.b2],
            a1: [a.a1, b.a1],
            a2: [a.a2, b.a2],
        }
    }
}

/// Two biquad states run side by side ("lanes"): the two channels of a stereo pair through
/// the same filter, or two different filters of one signal path. Written lane-wise so the
/// compiler keeps both lanes in one SIMD register (SSE2 / NEON `f64x2`): one instruction
/// stream for two filters. Each lane computes exactly what [`BiquadState::process`] would.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LaneState {
    s1: [f64; 2],
    s2: [f64; 2],
}

impl LaneState {
    /// Both lanes through the same coefficients.
    #[inline(always)]
    pub fn process(&mut self, c: &BiquadCoefs, x: [f64; 2]) -> [f64; 2] {
        self.process_lanes(&LaneCoefs::splat(c), x)
    }

    /// Lane `k` through `c[k]`.
    #[inline(always)]
    pub fn process_pair(&mut self, c: [&BiquadCoefs; 2], x: [f64; 2]) -> [f64; 2] {
        self.process_lanes(&LaneCoefs::pair(c[0], c[1]), x)
    }

    /// Lane `k` through lane `k` of `c`: the TDF-II update of [`BiquadState::process`], lane
    /// by lane.
    #[inline(always)]
    pub fn process_lanes(&mut self, c: &LaneCoefs, x: [f64; 2]) -> [f64; 2] {
        let [x0, x1] = x;
        let [s10, s11] = self.s1;
        let [s20, s21] = self.s2;
        let y0 = c.b0[0] * x0 + s10;
        let y1 = c.b0[1] * x1 + s11;
        self.s1 = [
            c.b1[0] * x0 - c.a1[0] * y0 + s20,
            c.b1[1] * x1 - c.a1[1] * y1 + s21,
        ];
        self.s2 = [c.b2[0] * x0 - c.a2[0] * y0, c.b2[1] * x1 - c.a2[1] * y1];
        [y0, y1]
    }

    /// Clears both lanes.
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The state as `(s1, s2)`, each `[lane 0, lane 1]` (for kernels that keep many states
    /// in their own layout).
    pub fn parts(&self) -> ([f64; 2], [f64; 2]) {
        (self.s1, self.s2)
    }

    /// A state from `(s1, s2)` as given by [`Self::parts`].
    pub fn from_parts(s1: [f64; 2], s2: [f64; 2]) -> Self {
        Self { s1, s2 }
    }

    /// Largest absolute value in either lane's state.
    pub fn magnitude(&self) -> f64 {
        self.s1
            .iter()
            .chain(&self.s2)
            .fold(0.0f64, |m, v| m.max(v.abs()))
    }

    /// Sets state values below 1e-30 to zero (see [`BiquadState::flush_tiny`]).
    #[inline]
    pub fn flush_tiny(&mut self) {
        // Branch-free select: this runs for every state every update tick.
        let keep = |v: f64| if v.abs() < FLUSH_THRESHOLD { 0.0 } else { v };
        self.s1 = self.s1.map(keep);
        self.s2 = self.s2.map(keep);
    }
}

/// Number of update steps a ramp of `ramp_ms` takes at `sample_rate_hz` (at least 1).
pub fn ramp_steps(ramp_ms: f32, sample_rate_hz: f32) -> u32 {
    let samples = ramp_ms * 0.001 * sample_rate_hz;
    ((samples / UPDATE_INTERVAL_SAMPLES as f32).ceil() as u32).max(1)
}

/// A value moving linearly to its target in a fixed number of steps. A new target starts a
/// fresh ramp from wherever the value is, so automation never jumps.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ParamRamp {
    current: f64,
    target: f64,
    step: f64,
    steps_left: u32,
}

impl ParamRamp {
    /// A ramp at rest at `value`.
    pub fn new(value: f64) -> Self {
        Self {
            current: value,
            target: value,
            step: 0.0,
            steps_left: 0,
        }
    }

    /// Sets a new target reached after `steps` calls to [`Self::advance`]. No-op if unchanged.
    pub fn set_target(&mut self, target: f64, steps: u32) {
        if target == self.target {
            return;
        }
        self.target = target;
        self.steps_left = steps.max(1);
        self.step = (target - self.current) / f64::from(self.steps_left);
    }

    /// Jumps to the target.
    pub fn finish(&mut self) {
        self.current = self.target;
        self.steps_left = 0;
    }

    /// Moves one step; the last step lands exactly on the target. Returns the new value.
    #[inline]
    pub fn advance(&mut self) -> f64 {
        if self.steps_left > 0 {
            self.steps_left -= 1;
            self.current = if self.steps_left == 0 {
                self.target
            } else {
                self.current + self.step
            };
        }
        self.current
    }

    /// The present value.
    pub fn current(&self) -> f64 {
        self.current
    }

    /// The value being moved to.
    pub fn target(&self) -> f64 {
        self.target
    }

    /// True while the value is still moving.
    pub fn is_moving(&self) -> bool {
        self.steps_left > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SR: f64 = 48_000.0;

    #[test]
    fn identity_has_unit_response_and_passes_samples_unchanged() {
        let c = BiquadCoefs::IDENTITY;
        assert_eq!(c.response_db(1234.0, SR), 0.0);
        let mut st = BiquadState::default();
        let mut x = [0.5f32, -0.25, 1e-20, -0.0, 0.75];
        let orig = x;
        st.process_slice(&c, &mut x);
        assert_eq!(x, orig);
    }

    #[test]
    fn zero_db_bell_is_exactly_flat() {
        for f in [30.0, 1000.0, 15000.0] {
            assert!(BiquadCoefs::peaking(f, 0.0, 2.0, SR).is_flat());
        }
        assert!(!BiquadCoefs::peaking(1000.0, 0.01, 2.0, SR).is_flat());
    }

    #[test]
    fn cookbook_shapes_hit_their_defining_points() {
        // Bell: full gain at the centre.
        let bell = BiquadCoefs::peaking(1000.0, 6.0, 1.0, SR);
        assert!((bell.response_db(1000.0, SR) - 6.0).abs() < 1e-9);
        // Shelves: half the dB gain at the corner, full gain far away.
        let ls = BiquadCoefs::low_shelf(200.0, -8.0, std::f64::consts::FRAC_1_SQRT_2, SR);
        assert!((ls.response_db(200.0, SR) + 4.0).abs() < 1e-9);
        assert!((ls.response_db(5.0, SR) + 8.0).abs() < 0.01);
        assert!(ls.response_db(10_000.0, SR).abs() < 0.01);
        let hs = BiquadCoefs::high_shelf(4000.0, 5.0, std::f64::consts::FRAC_1_SQRT_2, SR);
        assert!((hs.response_db(4000.0, SR) - 2.5).abs() < 1e-9);
        assert!((hs.response_db(23_000.0, SR) - 5.0).abs() < 0.05);
        // Butterworth low/high-pass: -3.01 dB at the corner.
        let q = std::f64::consts::FRAC_1_SQRT_2;
        let lp = BiquadCoefs::low_pass(500.0, q, SR);
        let hp = BiquadCoefs::high_pass(500.0, q, SR);
        assert!((lp.response_db(500.0, SR) + 3.0103).abs() < 1e-3);
        assert!((hp.response_db(500.0, SR) + 3.0103).abs() < 1e-3);
        // All-pass: unit magnitude everywhere, -180 degrees at the corner.
        let ap = BiquadCoefs::all_pass(500.0, q, SR);
        for f in [20.0, 500.0, 20_000.0] {
            assert!(ap.response_db(f, SR).abs() < 1e-9);
        }
        assert!((ap.response(500.0, SR).arg().abs() - PI).abs() < 1e-6);
    }

    #[test]
    fn butterworth_qs_match_the_textbook_values() {
        // Published 4th- and 8th-order Butterworth section Qs.
        assert!((butterworth_q(2, 0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        assert!((butterworth_q(4, 0) - 0.54120).abs() < 1e-5);
        assert!((butterworth_q(4, 1) - 1.30656).abs() < 1e-5);
        assert!((butterworth_q(8, 3) - 2.56292).abs() < 1e-5);
    }

    #[test]
    fn shelf_slope_one_is_q_one_over_root_two() {
        for g in [-12.0, 0.0, 6.0] {
            assert!((shelf_q_from_slope(g, 1.0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
        }
        assert!(shelf_q_from_slope(6.0, 0.5) < 0.7);
    }

    #[test]
    fn blend_with_identity_interpolates_the_transfer_function() {
        let hp = BiquadCoefs::high_pass(100.0, 0.7, SR);
        assert!(hp.blend_with_identity(1.0).is_flat());
        let half = hp.blend_with_identity(0.5);
        for f in [20.0, 100.0, 1000.0] {
            let h = hp.response(f, SR);
            let expected = Complex::new(0.5 * h.re + 0.5, 0.5 * h.im);
            let got = half.response(f, SR);
            assert!((got.re - expected.re).abs() < 1e-9 && (got.im - expected.im).abs() < 1e-9);
        }
    }

    #[test]
    fn ramp_is_linear_and_lands_on_target() {
        let mut r = ParamRamp::new(0.0);
        r.set_target(1.0, 4);
        let v: Vec<f64> = (0..6).map(|_| r.advance()).collect();
        assert_eq!(v, vec![0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
        assert!(!r.is_moving());
        r.set_target(1.0, 4);
        assert!(
            !r.is_moving(),
            "an unchanged target must not restart the ramp"
        );
    }

    #[test]
    fn lanes_compute_exactly_what_single_states_compute() {
        let lp = BiquadCoefs::low_pass(300.0, 0.9, SR);
        let hs = BiquadCoefs::high_shelf(3000.0, 4.0, 0.7, SR);
        let (mut a, mut b) = (BiquadState::default(), BiquadState::default());
        let mut lanes = LaneState::default();
        for i in 0..500 {
            let x = [(i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()];
            let y = lanes.process_pair([&lp, &hs], x);
            assert_eq!(y, [a.process(&lp, x[0]), b.process(&hs, x[1])]);
        }
    }

    #[test]
    fn tiny_states_are_flushed() {
        let mut st = BiquadState {
            s1: 1e-35,
            s2: 1e-3,
        };
        st.flush_tiny();
        assert_eq!(st.s1, 0.0);
        assert_eq!(st.s2, 1e-3);
    }
}
