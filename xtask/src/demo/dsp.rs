//! Building blocks of the demo synthesiser: band-limited oscillators, filters, envelopes,
//! delay and reverb. Offline only (allocation is fine here; this never runs in a plugin), and
//! built solely on [`super::math`] so that every machine renders the same bits.

use super::math::{cos, exp, sin, tan};
use std::f64::consts::PI;

/// Sample rate of the demo mix in Hz (CD rate, as the brief asks).
pub const SAMPLE_RATE_HZ: f64 = 44_100.0;

/// Two-sample polynomial band-limited step residual (polyBLEP).
///
/// Subtracting it around each discontinuity of a naive saw/square removes most of the aliasing
/// (Välimäki & Huovilainen, "Antialiasing oscillators in subtractive synthesis", IEEE Signal
/// Processing Magazine 24(2), 2007). `phase` is in cycles [0, 1), `phase_inc` cycles/sample.
fn poly_blep(phase: f64, phase_inc: f64) -> f64 {
    if phase < phase_inc {
        let x = phase / phase_inc;
        2.0 * x - x * x - 1.0
    } else if phase > 1.0 - phase_inc {
        let x = (phase - 1.0) / phase_inc;
        x * x + 2.0 * x + 1.0
    } else {
        0.0
    }
}

/// Band-limited sawtooth / pulse oscillator with a phase in cycles.
#[derive(Clone, Debug)]
pub struct Osc {
    phase: f64,
}

impl Osc {
    /// An oscillator starting at `phase` cycles (different start phases decorrelate voices).
    pub fn new(phase: f64) -> Self {
        Self {
            phase: phase - phase.floor(),
        }
    }

    /// Next sample of a rising sawtooth in [-1, 1] at `freq_hz`.
    pub fn saw(&mut self, freq_hz: f64) -> f64 {
        let inc = freq_hz / SAMPLE_RATE_HZ;
        let out = 2.0 * self.phase - 1.0 - poly_blep(self.phase, inc);
        self.advance(inc);
        out
    }

    /// Next sample of a square wave in [-1, 1] at `freq_hz` (polyBLEP at both edges).
    pub fn square(&mut self, freq_hz: f64) -> f64 {
        let inc = freq_hz / SAMPLE_RATE_HZ;
        let naive = if self.phase < 0.5 { 1.0 } else { -1.0 };
        let mut half = self.phase + 0.5;
        half -= half.floor();
        let out = naive + poly_blep(self.phase, inc) - poly_blep(half, inc);
        self.advance(inc);
        out
    }

    /// Next sample of a sine at `freq_hz` (alias-free by construction).
    pub fn sine(&mut self, freq_hz: f64) -> f64 {
        let out = sin(2.0 * PI * self.phase);
        self.advance(freq_hz / SAMPLE_RATE_HZ);
        out
    }

    fn advance(&mut self, inc: f64) {
        self.phase += inc;
        self.phase -= self.phase.floor();
    }
}

/// Normalised biquad coefficients (a0 = 1), from R. Bristow-Johnson's "Cookbook formulae for
/// audio EQ biquad filter coefficients".
#[derive(Clone, Copy, Debug)]
pub struct BiquadCoefs {
    b: [f64; 3],
    a: [f64; 2],
}

impl BiquadCoefs {
    fn from_raw(b: [f64; 3], a: [f64; 3]) -> Self {
        Self {
            b: [b[0] / a[0], b[1] / a[0], b[2] / a[0]],
            a: [a[1] / a[0], a[2] / a[0]],
        }
    }

    /// w0 = 2 pi f0 / fs and alpha = sin(w0) / (2 Q), shared by every cookbook shape.
    fn w0_alpha(freq_hz: f64, q: f64) -> (f64, f64, f64) {
        let w0 = 2.0 * PI * freq_hz / SAMPLE_RATE_HZ;
        (cos(w0), sin(w0), sin(w0) / (2.0 * q))
    }

    /// Second-order low-pass at `freq_hz` with quality `q` (0.707 = Butterworth).
    pub fn low_pass(freq_hz: f64, q: f64) -> Self {
        let (c, _, alpha) = Self::w0_alpha(freq_hz, q);
        let b1 = 1.0 - c;
        Self::from_raw(
            [b1 / 2.0, b1, b1 / 2.0],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    /// Second-order high-pass at `freq_hz` with quality `q`.
    pub fn high_pass(freq_hz: f64, q: f64) -> Self {
        let (c, _, alpha) = Self::w0_alpha(freq_hz, q);
        let b1 = 1.0 + c;
        Self::from_raw(
            [b1 / 2.0, -b1, b1 / 2.0],
            [1.0 + alpha, -2.0 * c, 1.0 - alpha],
        )
    }

    /// Band-pass with 0 dB peak gain at `freq_hz`; `q` sets the bandwidth.
    pub fn band_pass(freq_hz: f64, q: f64) -> Self {
        let (c, _, alpha) = Self::w0_alpha(freq_hz, q);
        Self::from_raw([alpha, 0.0, -alpha], [1.0 + alpha, -2.0 * c, 1.0 - alpha])
    }

    /// Peaking (bell) EQ: `gain_db` at `freq_hz`, bandwidth from `q`.
    pub fn peaking(freq_hz: f64, q: f64, gain_db: f64) -> Self {
        let (c, _, alpha) = Self::w0_alpha(freq_hz, q);
        let a = super::math::db_to_gain(gain_db / 2.0);
        Self::from_raw(
            [1.0 + alpha * a, -2.0 * c, 1.0 - alpha * a],
            [1.0 + alpha / a, -2.0 * c, 1.0 - alpha / a],
        )
    }
}

/// Biquad filter state, transposed direct form II (one channel).
#[derive(Clone, Debug)]
pub struct Biquad {
    coefs: BiquadCoefs,
    s1: f64,
    s2: f64,
}

impl Biquad {
    /// A filter with zeroed state.
    pub fn new(coefs: BiquadCoefs) -> Self {
        Self {
            coefs,
            s1: 0.0,
            s2: 0.0,
        }
    }

    /// Filters one sample.
    pub fn process(&mut self, x: f64) -> f64 {
        let BiquadCoefs { b, a } = self.coefs;
        let y = b[0] * x + self.s1;
        self.s1 = b[1] * x - a[0] * y + self.s2;
        self.s2 = b[2] * x - a[1] * y;
        y
    }

    /// Filters a whole buffer in place.
    pub fn process_buffer(&mut self, buf: &mut [f64]) {
        for x in buf.iter_mut() {
            *x = self.process(*x);
        }
    }
}

/// Trapezoidal state-variable filter whose cutoff can move every sample (filter envelopes).
///
/// Topology-preserving transform after A. Simper, "Linear trapezoidal integrated SVF"
/// (Cytomic technical paper, 2013): g = tan(pi fc / fs), k = 1/Q.
#[derive(Clone, Debug, Default)]
pub struct Svf {
    ic1: f64,
    ic2: f64,
}

impl Svf {
    /// Low-pass output for input `x`, cutoff `cutoff_hz` (clamped below Nyquist), quality `q`.
    pub fn low_pass(&mut self, x: f64, cutoff_hz: f64, q: f64) -> f64 {
        let fc = cutoff_hz.clamp(10.0, 0.45 * SAMPLE_RATE_HZ);
        let g = tan(PI * fc / SAMPLE_RATE_HZ);
        let k = 1.0 / q;
        let a1 = 1.0 / (1.0 + g * (g + k));
        let a2 = g * a1;
        let a3 = g * a2;
        let v3 = x - self.ic2;
        let v1 = a1 * self.ic1 + a2 * v3;
        let v2 = self.ic2 + a2 * self.ic1 + a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        v2
    }
}

/// One-pole smoother / low-pass: y += (x - y) * (1 - e^(-2 pi fc / fs)).
#[derive(Clone, Debug)]
pub struct OnePole {
    coef: f64,
    state: f64,
}

impl OnePole {
    /// A one-pole low-pass at `cutoff_hz`.
    pub fn new(cutoff_hz: f64) -> Self {
        Self {
            coef: 1.0 - exp(-2.0 * PI * cutoff_hz / SAMPLE_RATE_HZ),
            state: 0.0,
        }
    }

    /// Low-pass output for one sample.
    pub fn process(&mut self, x: f64) -> f64 {
        self.state += (x - self.state) * self.coef;
        self.state
    }
}

/// Exponential decay envelope value at `t_s` seconds: e^(-t / tau), with tau derived from a
/// -60 dB time `t60_s` (tau = t60 / ln(1000)).
pub fn decay(t_s: f64, t60_s: f64) -> f64 {
    exp(-t_s * 6.907_755_278_982_137 / t60_s)
}

/// Attack/decay/sustain/release amplitude in [0, 1] at `t_s` seconds after note-on, for a note
/// held `hold_s` seconds. Linear attack, exponential decay and release (times to -60 dB).
pub fn adsr(
    t_s: f64,
    hold_s: f64,
    attack_s: f64,
    decay_s: f64,
    sustain: f64,
    release_s: f64,
) -> f64 {
    let level_at = |t: f64| {
        if t < attack_s {
            t / attack_s
        } else {
            sustain + (1.0 - sustain) * decay(t - attack_s, decay_s)
        }
    };
    if t_s < 0.0 {
        0.0
    } else if t_s < hold_s {
        level_at(t_s)
    } else {
        level_at(hold_s) * decay(t_s - hold_s, release_s)
    }
}

/// Equal-power pan gains (left, right) for `pan` in [-1 (left), 1 (right)]: cos/sin law.
pub fn pan_gains(pan: f64) -> (f64, f64) {
    let angle = (pan.clamp(-1.0, 1.0) + 1.0) * PI / 4.0;
    (cos(angle), sin(angle))
}

/// Stereo ping-pong delay with a low-passed feedback path (tape-echo darkening).
///
/// Input is mono; the first echo comes from the left, the next from the right, and so on.
pub fn ping_pong_delay(input: &[f64], delay_samples: usize, feedback: f64) -> (Vec<f64>, Vec<f64>) {
    let n = input.len();
    let mut left = vec![0.0; n];
    let mut right = vec![0.0; n];
    let mut lp_l = OnePole::new(3_000.0);
    let mut lp_r = OnePole::new(3_000.0);
    for i in delay_samples..n {
        // Left echoes the input and the right channel's previous echo; right echoes left.
        let into_left = input[i - delay_samples] + feedback * right[i - delay_samples];
        left[i] = lp_l.process(into_left);
        right[i] = lp_r.process(left[i - delay_samples]);
    }
    (left, right)
}

/// Feedback comb with a one-pole low-pass in the loop (Moorer's damped comb).
struct Comb {
    buf: Vec<f64>,
    pos: usize,
    feedback: f64,
    damp: f64,
    lp: f64,
}

impl Comb {
    fn new(len: usize, feedback: f64, damp: f64) -> Self {
        Self {
            buf: vec![0.0; len],
            pos: 0,
            feedback,
            damp,
            lp: 0.0,
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let out = self.buf[self.pos];
        self.lp = out + (self.lp - out) * self.damp;
        self.buf[self.pos] = x + self.lp * self.feedback;
        self.pos = (self.pos + 1) % self.buf.len();
        out
    }
}

/// Schroeder all-pass diffuser with gain 0.5.
struct AllPass {
    buf: Vec<f64>,
    pos: usize,
}

impl AllPass {
    fn new(len: usize) -> Self {
        Self {
            buf: vec![0.0; len],
            pos: 0,
        }
    }

    fn process(&mut self, x: f64) -> f64 {
        let delayed = self.buf[self.pos];
        let v = x + 0.5 * delayed;
        self.buf[self.pos] = v;
        self.pos = (self.pos + 1) % self.buf.len();
        delayed - 0.5 * v
    }
}

/// Schroeder/Moorer reverb: parallel damped combs into series all-passes, one network per
/// channel with different delay lengths so the tail is decorrelated (M. R. Schroeder, "Natural
/// sounding artificial reverberation", JAES 10(3), 1962; J. A. Moorer, "About this
/// reverberation business", CMJ 3(2), 1979). `size` in (0, 1) sets the comb feedback (decay).
pub fn reverb(input: &[f64], size: f64, damp: f64) -> (Vec<f64>, Vec<f64>) {
    // Mutually prime comb lengths around 25-40 ms, all-passes around 5-12 ms (at 44.1 kHz).
    const COMBS_L: [usize; 6] = [1117, 1277, 1361, 1439, 1523, 1613];
    const COMBS_R: [usize; 6] = [1151, 1249, 1381, 1459, 1559, 1637];
    const ALLPASS_L: [usize; 3] = [541, 431, 227];
    const ALLPASS_R: [usize; 3] = [563, 409, 241];
    let run = |combs: &[usize], allpasses: &[usize]| {
        let mut cs: Vec<Comb> = combs.iter().map(|&l| Comb::new(l, size, damp)).collect();
        let mut aps: Vec<AllPass> = allpasses.iter().map(|&l| AllPass::new(l)).collect();
        input
            .iter()
            .map(|&x| {
                let mut y: f64 = cs.iter_mut().map(|c| c.process(x)).sum::<f64>() / 6.0;
                for ap in aps.iter_mut() {
                    y = ap.process(y);
                }
                y
            })
            .collect::<Vec<f64>>()
    };
    (run(&COMBS_L, &ALLPASS_L), run(&COMBS_R, &ALLPASS_R))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RMS of a buffer after skipping `skip` samples of start-up transient.
    fn rms(x: &[f64], skip: usize) -> f64 {
        let tail = &x[skip..];
        (tail.iter().map(|v| v * v).sum::<f64>() / tail.len() as f64).sqrt()
    }

    /// Energy of `x` at `freq_hz` by correlation with a complex exponential (one DFT bin).
    fn bin_level(x: &[f64], freq_hz: f64) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, v) in x.iter().enumerate() {
            let ph = 2.0 * PI * freq_hz * i as f64 / SAMPLE_RATE_HZ;
            re += v * ph.cos();
            im += v * ph.sin();
        }
        (re * re + im * im).sqrt() * 2.0 / x.len() as f64
    }

    #[test]
    fn poly_blep_saw_aliases_less_than_naive_saw() {
        // 3 kHz saw at 44.1 kHz: harmonic 8 (24 kHz) folds to 20.1 kHz, harmonic 15 (45 kHz)
        // folds to 900 Hz. Measure the 900 Hz alias, far from any true harmonic.
        let f = 3_000.0;
        let n = 44_100;
        let mut osc = Osc::new(0.0);
        let blep: Vec<f64> = (0..n).map(|_| osc.saw(f)).collect();
        let naive: Vec<f64> = (0..n)
            .map(|i| {
                let p = (i as f64 * f / SAMPLE_RATE_HZ).fract();
                2.0 * p - 1.0
            })
            .collect();
        let alias_blep = bin_level(&blep, 900.0);
        let alias_naive = bin_level(&naive, 900.0);
        let fundamental = bin_level(&blep, f);
        assert!(fundamental > 0.5, "fundamental {fundamental}");
        assert!(
            alias_blep < alias_naive / 4.0,
            "blep alias {alias_blep}, naive {alias_naive}"
        );
    }

    #[test]
    fn square_has_no_even_harmonics() {
        let mut osc = Osc::new(0.0);
        let x: Vec<f64> = (0..44_100).map(|_| osc.square(441.0)).collect();
        let h1 = bin_level(&x, 441.0);
        let h2 = bin_level(&x, 882.0);
        let h3 = bin_level(&x, 1323.0);
        // Fourier series of a square: 4/pi at h1, 4/(3 pi) at h3, none at even harmonics.
        assert!((h1 - 4.0 / PI).abs() < 0.02, "h1 {h1}");
        assert!((h3 - 4.0 / (3.0 * PI)).abs() < 0.02, "h3 {h3}");
        assert!(h2 < 0.01, "h2 {h2}");
    }

    #[test]
    fn cookbook_filters_have_expected_gains() {
        let tone = |f: f64| -> Vec<f64> {
            (0..44_100)
                .map(|i| (2.0 * PI * f * i as f64 / SAMPLE_RATE_HZ).sin())
                .collect()
        };
        let through = |coefs: BiquadCoefs, f: f64| {
            let mut x = tone(f);
            Biquad::new(coefs).process_buffer(&mut x);
            20.0 * (rms(&x, 4_410) * 2f64.sqrt()).log10()
        };
        // Butterworth low-pass: -3.01 dB at cutoff, about -12 dB one octave above.
        assert!((through(BiquadCoefs::low_pass(1_000.0, 0.707), 1_000.0) + 3.01).abs() < 0.1);
        assert!(through(BiquadCoefs::low_pass(1_000.0, 0.707), 4_000.0) < -23.0);
        assert!(through(BiquadCoefs::high_pass(1_000.0, 0.707), 100.0) < -39.0);
        // Peaking EQ: full gain at centre, close to 0 dB three octaves away.
        assert!((through(BiquadCoefs::peaking(300.0, 0.7, 5.0), 300.0) - 5.0).abs() < 0.05);
        assert!(through(BiquadCoefs::peaking(300.0, 0.7, 5.0), 5_000.0).abs() < 0.3);
        assert!(through(BiquadCoefs::band_pass(500.0, 1.4), 500.0).abs() < 0.05);
    }

    #[test]
    fn svf_low_pass_matches_cutoff() {
        let mut svf = Svf::default();
        let x: Vec<f64> = (0..44_100)
            .map(|i| {
                svf.low_pass(
                    (2.0 * PI * 2_000.0 * i as f64 / SAMPLE_RATE_HZ).sin(),
                    2_000.0,
                    0.707,
                )
            })
            .collect();
        let gain_db = 20.0 * (rms(&x, 4_410) * 2f64.sqrt()).log10();
        assert!((gain_db + 3.01).abs() < 0.1, "gain {gain_db}");
    }

    #[test]
    fn envelopes_and_pan() {
        assert!((decay(0.5, 0.5) - 0.001).abs() < 1e-12);
        assert_eq!(adsr(-0.1, 1.0, 0.01, 0.1, 0.5, 0.2), 0.0);
        assert!((adsr(0.005, 1.0, 0.01, 0.1, 0.5, 0.2) - 0.5).abs() < 1e-12);
        assert!((adsr(0.9, 1.0, 0.01, 0.1, 0.5, 0.2) - 0.5).abs() < 1e-6);
        assert!(adsr(1.2, 1.0, 0.01, 0.1, 0.5, 0.2) < 0.5 * 0.0011);
        let (l, r) = pan_gains(0.0);
        assert!((l - r).abs() < 1e-15 && (l * l + r * r - 1.0).abs() < 1e-14);
        assert!(pan_gains(-1.0).1.abs() < 1e-15);
    }

    #[test]
    fn reverb_tail_decays_and_is_decorrelated() {
        let mut impulse = vec![0.0; 3 * 44_100];
        impulse[0] = 1.0;
        let (l, r) = reverb(&impulse, 0.84, 0.3);
        let early = rms(&l[..22_050], 0);
        let late = rms(&l[2 * 44_100..], 0);
        assert!(
            early > 1e-3 && late < early / 100.0,
            "early {early} late {late}"
        );
        let dot: f64 = l.iter().zip(&r).map(|(a, b)| a * b).sum();
        let norm =
            (l.iter().map(|a| a * a).sum::<f64>() * r.iter().map(|b| b * b).sum::<f64>()).sqrt();
        assert!((dot / norm).abs() < 0.5, "correlation {}", dot / norm);
    }

    #[test]
    fn ping_pong_alternates_sides() {
        let mut input = vec![0.0; 1_000];
        input[0] = 1.0;
        let (l, r) = ping_pong_delay(&input, 100, 0.5);
        let energy = |x: &[f64]| x.iter().map(|v| v * v).sum::<f64>();
        assert!(energy(&l[100..200]) > 0.01 && energy(&r[100..200]) < 1e-12);
        assert!(energy(&r[200..300]) > energy(&l[200..300]) * 10.0);
    }
}
