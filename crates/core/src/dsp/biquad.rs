//! Second-order IIR sections ("biquads"): coefficient design after Robert Bristow-Johnson's
//! "Cookbook formulae for audio EQ biquad filter coefficients" (the RBJ Audio EQ Cookbook,
//! published as a W3C Audio Working Group note), a transposed direct form II state, and the
//! parameter ramp the stages use to move coefficients without zipper noise.
//!
//! Coefficients are a value type with [`BiquadCoefs::response`], so the editor draws a curve
//! from exactly the numbers the audio thread runs.

mod complex;

pub use complex::Complex;
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
mod tests;
