//! TPDF dither and requantisation to integer PCM, for writing 16- and 24-bit files.
//!
//! Requantising a float signal to `bits` bits by plain rounding leaves an error that depends on
//! the signal (distortion, and for quiet fades a gated "truncation" sound). Adding triangular
//! probability density (TPDF) dither of 2 LSB peak-to-peak before rounding makes the first and
//! second moments of the total error independent of the signal: mean 0 and power Δ²/4, with Δ
//! one LSB (Lipshitz, Wannamaker & Vanderkooy, "Quantization and Dither: A Theoretical Survey",
//! JAES 40(5), 1992). TPDF noise is the sum of two independent uniform variables of 1 LSB width.
//!
//! The random numbers come from SplitMix64 (Steele, Lea & Flood, "Fast Splittable Pseudorandom
//! Number Generators", OOPSLA 2014) with a fixed seed, so a render is bit-for-bit repeatable.
//! Nothing here allocates; [`TpdfDither::quantize`] is safe on the audio thread.

/// The seed every Lacquer render uses, so that the same input and settings give the same file.
pub const DEFAULT_SEED: u64 = 0x4C41_4351_5545_5231; // "LACQUER1"

/// SplitMix64 pseudo-random generator: 64 bits of state, one add and a mixing function per
/// output. Statistically good enough for dither and trivially reproducible.
#[derive(Debug, Clone)]
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits (constants from Steele, Lea & Flood 2014).
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform value in [0, 1) with 53 bits of resolution.
    #[inline]
    fn next_unit_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Requantises float samples (full scale ±1.0) to signed integers of `bits` bits with TPDF
/// dither. One instance per render; feed samples in a fixed order (e.g. frame by frame,
/// channel by channel) and the output is deterministic.
#[derive(Debug, Clone)]
pub struct TpdfDither {
    rng: SplitMix64,
    /// Integer value of full scale: 2^(bits-1).
    full_scale: f64,
    /// Largest representable code, 2^(bits-1) - 1.
    max_code: i32,
    /// Smallest representable code, -2^(bits-1).
    min_code: i32,
}

impl TpdfDither {
    /// A ditherer for `bits` bits (clamped to 2..=31) seeded with `seed`.
    pub fn new(bits: u32, seed: u64) -> Self {
        let bits = bits.clamp(2, 31);
        let full_scale_code = 1i64 << (bits - 1);
        Self {
            rng: SplitMix64::new(seed),
            full_scale: full_scale_code as f64,
            max_code: (full_scale_code - 1) as i32,
            min_code: (-full_scale_code) as i32,
        }
    }

    /// The size of one least significant bit relative to full scale (2^-(bits-1)).
    pub fn lsb(&self) -> f64 {
        1.0 / self.full_scale
    }

    /// The next TPDF dither value in LSB: the sum of two independent uniform values in
    /// [-0.5, 0.5), so it lies in [-1, 1) with a triangular density.
    #[inline]
    pub fn next_dither_lsb(&mut self) -> f64 {
        self.rng.next_unit_f64() + self.rng.next_unit_f64() - 1.0
    }

    /// Requantises one sample: scale to integer codes, add dither, round to nearest, clamp to
    /// the code range. Returns the code and whether it had to be clamped (clipped).
    /// Non-finite input gives code 0.
    #[inline]
    pub fn quantize(&mut self, sample: f32) -> (i32, bool) {
        let dither = self.next_dither_lsb();
        if !sample.is_finite() {
            return (0, false);
        }
        let code = (f64::from(sample) * self.full_scale + dither).round();
        if code > f64::from(self.max_code) {
            (self.max_code, true)
        } else if code < f64::from(self.min_code) {
            (self.min_code, true)
        } else {
            (code as i32, false)
        }
    }

    /// The float value (full scale ±1.0) a code stands for; exact in f32 for up to 24 bits.
    #[inline]
    pub fn code_to_sample(&self, code: i32) -> f32 {
        (f64::from(code) / self.full_scale) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Error of requantising `value_lsb` (a level given in LSB) many times, in LSB.
    fn errors_lsb(bits: u32, value_lsb: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut d = TpdfDither::new(bits, seed);
        let lsb = d.lsb();
        let x = (value_lsb * lsb) as f32;
        (0..n)
            .map(|_| {
                let (code, clipped) = d.quantize(x);
                assert!(!clipped);
                f64::from(code) - f64::from(x) / lsb
            })
            .collect()
    }

    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }

    #[test]
    fn error_mean_is_zero_even_between_codes() {
        // Plain rounding of 0.3 LSB gives 0, an error of -0.3 LSB on every sample. With TPDF
        // dither the error averages out for any input level.
        for &level in &[0.0, 0.3, 0.5, -0.7, 1234.25] {
            let e = errors_lsb(16, level, 200_000, DEFAULT_SEED);
            let m = mean(&e);
            assert!(m.abs() < 0.01, "level {level} LSB: mean error {m} LSB");
        }
    }

    #[test]
    fn error_power_is_a_quarter_lsb_squared_whatever_the_level() {
        // TPDF theory: total error power = Δ²/12 (rounding) + Δ²/6 (dither) = Δ²/4.
        for &level in &[0.0, 0.25, 0.5, 0.9] {
            let e = errors_lsb(24, level, 200_000, 7);
            let power = e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64;
            assert!((power - 0.25).abs() < 0.01, "level {level}: power {power}");
        }
    }

    #[test]
    fn error_is_bounded_by_one_and_a_half_lsb() {
        for &level in &[0.0, 0.49, 0.51, -3.5] {
            let e = errors_lsb(16, level, 100_000, 3);
            let worst = e.iter().fold(0.0f64, |a, &x| a.max(x.abs()));
            assert!(
                worst <= 1.5 + 1e-9,
                "level {level}: worst error {worst} LSB"
            );
        }
    }

    #[test]
    fn dither_is_triangular_in_minus_one_to_one() {
        let mut d = TpdfDither::new(16, 11);
        let n = 400_000;
        let mut near_zero = 0usize;
        let mut near_edge = 0usize;
        for _ in 0..n {
            let v = d.next_dither_lsb();
            assert!((-1.0..1.0).contains(&v));
            if v.abs() < 0.1 {
                near_zero += 1;
            }
            if v.abs() > 0.9 {
                near_edge += 1;
            }
        }
        // Triangular density: P(|v| < 0.1) = 0.19, P(|v| > 0.9) = 0.01.
        let p0 = near_zero as f64 / n as f64;
        let p1 = near_edge as f64 / n as f64;
        assert!((p0 - 0.19).abs() < 0.005, "P(|v|<0.1) = {p0}");
        assert!((p1 - 0.01).abs() < 0.002, "P(|v|>0.9) = {p1}");
    }

    #[test]
    fn same_seed_same_codes_other_seed_other_codes() {
        let signal: Vec<f32> = (0..4096).map(|i| 0.3 * (i as f32 * 0.01).sin()).collect();
        let run = |seed| {
            let mut d = TpdfDither::new(16, seed);
            signal.iter().map(|&s| d.quantize(s).0).collect::<Vec<_>>()
        };
        assert_eq!(run(DEFAULT_SEED), run(DEFAULT_SEED));
        assert_ne!(run(DEFAULT_SEED), run(DEFAULT_SEED + 1));
    }

    #[test]
    fn full_scale_clamps_and_reports_clipping() {
        let mut d = TpdfDither::new(16, 1);
        assert_eq!(d.quantize(2.0), (32_767, true));
        assert_eq!(d.quantize(-2.0), (-32_768, true));
        let (_, clipped) = d.quantize(0.5);
        assert!(!clipped);
        assert_eq!(d.quantize(f32::NAN), (0, false));
    }

    #[test]
    fn codes_map_back_to_exact_samples() {
        let d = TpdfDither::new(24, 1);
        assert_eq!(d.code_to_sample(1 << 22), 0.5);
        assert_eq!(d.code_to_sample(-(1 << 23)), -1.0);
        assert_eq!(d.code_to_sample(1), 1.0 / 8_388_608.0);
    }
}
