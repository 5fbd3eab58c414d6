//! The bass-mono filter pair: an 8th-order Linkwitz-Riley high-pass for the side and the
//! 4th-order all-pass that matches it for the mid.
//!
//! Design (S. Linkwitz, JAES 1976; the Linkwitz-Riley filter of order 2N is a Butterworth
//! filter of order N squared). With the 4th-order Butterworth polynomial
//! `B4(s) = (s^2 + s/Q0 + 1)(s^2 + s/Q1 + 1)`, `Q0 = 0.5412`, `Q1 = 1.3066`
//! (see [`butterworth_q`]):
//!
//! ```text
//! HP8(s) = s^8 / B4(s)^2          LP8(s) = 1 / B4(s)^2
//! LP8 + HP8 = (1 + s^8) / B4(s)^2 = B4(-s) / B4(s) = AP4(s)   since B4(s) B4(-s) = 1 + s^8
//! HP8 / AP4 = s^8 / (1 + s^8) = w^8 / (1 + w^8) at s = jw      (real and positive)
//! ```
//!
//! So the high-pass is exactly in phase with the all-pass `AP4`, which is the product of two
//! RBJ cookbook 2nd-order all-passes with the Butterworth Qs, and `|HP8| = w^8 / (1 + w^8)`:
//! -6.02 dB at the corner, 48 dB per octave below it. The bilinear transform (prewarped at
//! the corner, as the cookbook does) keeps every identity exactly; it only maps `w` to
//! `tan(pi f / fs) / tan(pi fc / fs)`, which below the corner attenuates slightly more than
//! the analog prototype.

use super::super::biquad::{BiquadCoefs, Complex, ParamRamp, butterworth_q, ramp_steps};

/// Time the bass-mono corner takes to glide to a new frequency (moved in octaves), ms.
/// Longer than the crossovers' 20 ms: as the corner passes a low note, the LR8 pair turns
/// its phase by 720 degrees (twice the LR4's), which briefly shifts the note's pitch; at
/// 20 ms switching bass mono off under a 100 Hz tone gave sample steps 1.5 times the tone's
/// own, at 50 ms 1.33 times.
pub const BASS_MONO_GLIDE_MS: f32 = 50.0;

/// Coefficients of the bass-mono pair at one corner frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lr8Coefs {
    /// The two Butterworth-4 high-pass sections (Q0, Q1); the side runs through each twice.
    pub hp: [BiquadCoefs; 2],
    /// The two all-pass sections with the same poles (Q0, Q1); the mid runs through each once.
    pub ap: [BiquadCoefs; 2],
}

impl Lr8Coefs {
    /// The pair with its corner (-6.02 dB point of the high-pass) at `corner_hz`.
    pub fn new(corner_hz: f64, sample_rate_hz: f64) -> Self {
        let q = [butterworth_q(4, 0), butterworth_q(4, 1)];
        Self {
            hp: q.map(|q| BiquadCoefs::high_pass(corner_hz, q, sample_rate_hz)),
            ap: q.map(|q| BiquadCoefs::all_pass(corner_hz, q, sample_rate_hz)),
        }
    }

    /// Complex response of the side path, the 8th-order high-pass `(HP_Q0 HP_Q1)^2`.
    pub fn high_pass_response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        let h = self.hp[0].response(freq_hz, sample_rate_hz)
            * self.hp[1].response(freq_hz, sample_rate_hz);
        h * h
    }

    /// Complex response of the mid path, the 4th-order all-pass `AP_Q0 AP_Q1`.
    pub fn all_pass_response(&self, freq_hz: f64, sample_rate_hz: f64) -> Complex {
        self.ap[0].response(freq_hz, sample_rate_hz) * self.ap[1].response(freq_hz, sample_rate_hz)
    }
}

/// A bass-mono corner that glides in octaves to new targets over [`BASS_MONO_GLIDE_MS`],
/// with its coefficients redesigned at every update tick while it moves (as the crossover's
/// `SmoothedLr4` does).
#[derive(Debug, Clone, Copy)]
pub struct SmoothedLr8 {
    log2_corner: ParamRamp,
    coefs: Lr8Coefs,
}

impl SmoothedLr8 {
    /// At rest at `corner_hz`.
    pub fn new(corner_hz: f32, sample_rate_hz: f32) -> Self {
        Self {
            log2_corner: ParamRamp::new(f64::from(corner_hz).log2()),
            coefs: Lr8Coefs::new(f64::from(corner_hz), f64::from(sample_rate_hz)),
        }
    }

    /// Starts a glide to `corner_hz` at `sample_rate_hz`.
    pub fn set_target(&mut self, corner_hz: f32, sample_rate_hz: f32) {
        let steps = ramp_steps(BASS_MONO_GLIDE_MS, sample_rate_hz);
        self.log2_corner
            .set_target(f64::from(corner_hz).log2(), steps);
    }

    /// Jumps to the target.
    pub fn finish(&mut self, sample_rate_hz: f32) {
        self.log2_corner.finish();
        self.redesign(sample_rate_hz);
    }

    /// One update tick: advances the glide and redesigns if it moved.
    pub fn tick(&mut self, sample_rate_hz: f32) {
        if self.log2_corner.is_moving() {
            self.log2_corner.advance();
            self.redesign(sample_rate_hz);
        }
    }

    fn redesign(&mut self, sample_rate_hz: f32) {
        let corner_hz = self.log2_corner.current().exp2();
        self.coefs = Lr8Coefs::new(corner_hz, f64::from(sample_rate_hz));
    }

    /// True while gliding.
    pub fn is_moving(&self) -> bool {
        self.log2_corner.is_moving()
    }

    /// Current corner, Hz.
    #[cfg(test)]
    pub fn corner_hz(&self) -> f32 {
        self.log2_corner.current().exp2() as f32
    }

    /// Current coefficients.
    pub fn coefs(&self) -> &Lr8Coefs {
        &self.coefs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATES_HZ: [f64; 3] = [44_100.0, 48_000.0, 96_000.0];

    #[test]
    fn lr8_halves_sum_to_the_all_pass_and_the_high_pass_is_in_phase_with_it() {
        for sr in RATES_HZ {
            let c = Lr8Coefs::new(216.0, sr);
            // The low-pass half, built here from the cookbook with the Butterworth-4 Qs.
            let lp = [0, 1].map(|k| BiquadCoefs::low_pass(216.0, butterworth_q(4, k), sr));
            for f in [20.0, 100.0, 216.0, 400.0, 1000.0, 10_000.0, 20_000.0] {
                let l = lp[0].response(f, sr) * lp[1].response(f, sr);
                let sum = l * l + c.high_pass_response(f, sr);
                let ap = c.all_pass_response(f, sr);
                assert!(
                    (ap.abs() - 1.0).abs() < 1e-12,
                    "{f} Hz: |AP| = {}",
                    ap.abs()
                );
                assert!(
                    (sum.re - ap.re).abs() < 1e-9 && (sum.im - ap.im).abs() < 1e-9,
                    "{f} Hz at {sr}: LP8 + HP8 = {sum:?}, AP4 = {ap:?}"
                );
                // HP8 / AP4 is real and positive: no phase difference between side and mid.
                let ratio = c.high_pass_response(f, sr) / ap;
                assert!(ratio.re > 0.0 && ratio.im.abs() < 1e-9 * ratio.re.max(1e-30));
            }
        }
    }

    #[test]
    fn lr8_high_pass_follows_the_analog_magnitude() {
        // |HP8| = w^8 / (1 + w^8) with w = tan(pi f / fs) / tan(pi fc / fs) (bilinear
        // transform prewarped at the corner): -6.02 dB at the corner, 48 dB/oct below.
        for sr in RATES_HZ {
            let fc = 300.0;
            let c = Lr8Coefs::new(fc, sr);
            let t = |f: f64| (std::f64::consts::PI * f / sr).tan();
            for f in [30.0, 75.0, 150.0, 300.0, 600.0, 2400.0] {
                let w8 = (t(f) / t(fc)).powi(8);
                let expected_db = 20.0 * (w8 / (1.0 + w8)).log10();
                let got_db = c.high_pass_response(f, sr).db();
                assert!(
                    (got_db - expected_db).abs() < 1e-6,
                    "{f} Hz at {sr}: {got_db} vs {expected_db}"
                );
            }
            assert!((c.high_pass_response(fc, sr).db() + 6.0206).abs() < 1e-3);
        }
    }

    #[test]
    fn glide_lands_on_the_target() {
        let sr = 48_000.0;
        let mut s = SmoothedLr8::new(10.0, sr);
        s.set_target(540.0, sr);
        assert!(s.is_moving());
        let mut ticks = 0;
        while s.is_moving() {
            s.tick(sr);
            ticks += 1;
        }
        assert_eq!(ticks, ramp_steps(BASS_MONO_GLIDE_MS, sr));
        assert!((s.corner_hz() - 540.0).abs() < 1e-3);
        let expected = Lr8Coefs::new(540.0, 48_000.0).high_pass_response(540.0, 48_000.0);
        let got = s.coefs().high_pass_response(540.0, 48_000.0);
        assert!((got.re - expected.re).abs() < 1e-9 && (got.im - expected.im).abs() < 1e-9);
    }
}
