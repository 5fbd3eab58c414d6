//! Platform-independent maths for the demo generator.
//!
//! `cargo xtask demo --check` proves that the committed WAV is made by this code by comparing
//! bytes, so the synthesis must give bit-identical results on every machine. IEEE 754 makes
//! `+ - * / sqrt floor round` exact and portable, but `sin`, `exp`, `tan` and `powf` come from
//! the platform's libm, which may differ in the last bit between glibc, musl, macOS and
//! Windows. Every transcendental function the renderer needs is therefore written here from
//! those exact operations only (range reduction plus a Taylor polynomial, as in any textbook on
//! elementary-function evaluation, e.g. J.-M. Muller, "Elementary Functions", ch. 11).

use std::f64::consts::{LN_2, PI, TAU};

/// Sine of `x` radians, accurate to about 1e-14 for |x| < 1e6.
///
/// Reduces to [-pi, pi], folds to [-pi/2, pi/2] by sin(pi - x) = sin(x), then evaluates the
/// Taylor series up to x^17 by Horner's rule (truncation error < 3e-15 at pi/2).
pub fn sin(x: f64) -> f64 {
    let mut r = x - TAU * (x / TAU).round();
    if r > PI / 2.0 {
        r = PI - r;
    } else if r < -PI / 2.0 {
        r = -PI - r;
    }
    let r2 = r * r;
    // Coefficients (-1)^k / (2k+1)! for k = 8 down to 1, applied by Horner's rule.
    let mut p = 1.0 / 355_687_428_096_000.0;
    p = -1.0 / 1_307_674_368_000.0 + r2 * p;
    p = 1.0 / 6_227_020_800.0 + r2 * p;
    p = -1.0 / 39_916_800.0 + r2 * p;
    p = 1.0 / 362_880.0 + r2 * p;
    p = -1.0 / 5_040.0 + r2 * p;
    p = 1.0 / 120.0 + r2 * p;
    p = -1.0 / 6.0 + r2 * p;
    r + r * r2 * p
}

/// Cosine of `x` radians: cos(x) = sin(x + pi/2).
pub fn cos(x: f64) -> f64 {
    sin(x + PI / 2.0)
}

/// Tangent of `x` radians as sin/cos; callers keep |x| well below pi/2 (filter pre-warping).
pub fn tan(x: f64) -> f64 {
    sin(x) / cos(x)
}

/// e^x, relative error about 1e-15; saturates to 0 below -700 and to e^700 above 700.
///
/// Splits x = k ln 2 + r with |r| <= ln2/2, evaluates e^r by a degree-14 Taylor polynomial and
/// scales by 2^k built directly from the IEEE 754 exponent bits (exact).
pub fn exp(x: f64) -> f64 {
    let x = x.clamp(-700.0, 700.0);
    let k = (x / LN_2).round();
    let r = x - k * LN_2;
    let mut p = 1.0;
    let mut n = 14.0;
    while n >= 1.0 {
        p = 1.0 + p * r / n;
        n -= 1.0;
    }
    // 2^k with k in [-1010, 1010]: biased exponent k + 1023 stays within the normal range.
    let scale = f64::from_bits(((k as i64 + 1023) as u64) << 52);
    p * scale
}

/// 2^x, used for pitch (semitone = 2^(1/12)) and envelope curves.
pub fn exp2(x: f64) -> f64 {
    exp(x * LN_2)
}

/// Linear gain of a level in dB: 10^(db/20).
pub fn db_to_gain(db: f64) -> f64 {
    exp(db * (std::f64::consts::LN_10 / 20.0))
}

/// Hyperbolic tangent, the soft saturator of the synth voices: (e^2x - 1) / (e^2x + 1).
pub fn tanh(x: f64) -> f64 {
    if x > 20.0 {
        return 1.0;
    }
    if x < -20.0 {
        return -1.0;
    }
    let e = exp(2.0 * x);
    (e - 1.0) / (e + 1.0)
}

/// Frequency in Hz of MIDI note `note` (A4 = 69 = 440 Hz, 12-tone equal temperament).
pub fn note_hz(note: f64) -> f64 {
    440.0 * exp2((note - 69.0) / 12.0)
}

/// Deterministic noise source: xorshift64* (Vigna, "An experimental exploration of Marsaglia's
/// xorshift generators, scrambled", ACM TOMS 42(4), 2016). Each instrument owns one with its
/// own fixed seed, so changing one part does not reshuffle the noise of the others.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator from a fixed seed (0 is mapped to a non-zero state; xorshift needs one).
    pub fn new(seed: u64) -> Self {
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform value in [-1, 1) from the top 53 bits.
    pub fn bipolar(&mut self) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        2.0 * unit - 1.0
    }

    /// Uniform value in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_cos_match_libm() {
        let mut x = -40.0;
        while x < 40.0 {
            assert!((sin(x) - x.sin()).abs() < 1e-13, "sin({x})");
            assert!((cos(x) - x.cos()).abs() < 1e-13, "cos({x})");
            x += 0.0137;
        }
    }

    #[test]
    fn exp_and_tanh_match_libm() {
        let mut x = -30.0;
        while x < 30.0 {
            let rel = (exp(x) - x.exp()).abs() / x.exp();
            assert!(rel < 1e-14, "exp({x}) rel err {rel}");
            assert!((tanh(x) - x.tanh()).abs() < 1e-14, "tanh({x})");
            x += 0.0173;
        }
    }

    #[test]
    fn pitch_and_decibels() {
        assert!((note_hz(57.0) - 220.0).abs() < 1e-10);
        assert!((note_hz(81.0) - 880.0).abs() < 1e-10);
        assert!((db_to_gain(-6.020_599_913_279_624) - 0.5).abs() < 1e-14);
        assert!((db_to_gain(20.0) - 10.0).abs() < 1e-13);
    }

    #[test]
    fn rng_is_reproducible_and_centred() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut sum = 0.0;
        for _ in 0..100_000 {
            let v = a.bipolar();
            assert_eq!(v.to_bits(), b.bipolar().to_bits());
            assert!((-1.0..1.0).contains(&v));
            sum += v;
        }
        assert!((sum / 100_000.0).abs() < 0.01, "mean {}", sum / 100_000.0);
        assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
    }
}
