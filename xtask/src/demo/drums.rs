//! Synthesised drum kit of the demo: every hit is rendered (added) into a mono stem buffer
//! from a start sample and a velocity in (0, 1]. Recipes follow the classic analogue drum
//! machines (pitch-swept sine kick, tone + noise snare, metallic square cluster for cymbals,
//! multi-burst clap), as described e.g. in Gordon Reid's "Synth Secrets" (Sound On Sound,
//! 2002, parts 34-43).

use super::dsp::{Biquad, BiquadCoefs, Osc, SAMPLE_RATE_HZ, decay};
use super::math::{Rng, tanh};

/// Inharmonic square frequencies (Hz) of the Roland TR-808 cymbal/hat oscillator bank, the
/// widely published values from the 808 service notes; summed they give a metallic clang.
const METAL_HZ: [f64; 6] = [205.3, 304.4, 369.6, 522.7, 540.0, 800.0];

/// Adds `len_s` seconds of `voice(t_s)` into `out` from sample `start` on (clipped at the end).
fn add_hit(out: &mut [f64], start: usize, len_s: f64, mut voice: impl FnMut(f64) -> f64) {
    let len = (len_s * SAMPLE_RATE_HZ) as usize;
    let end = (start + len).min(out.len());
    for (n, slot) in out[start.min(end)..end].iter_mut().enumerate() {
        *slot += voice(n as f64 / SAMPLE_RATE_HZ);
    }
}

/// The drum machine: one noise generator per instrument, each with its own fixed seed.
pub struct Kit {
    snare_rng: Rng,
    hat_rng: Rng,
    clap_rng: Rng,
    kick_rng: Rng,
}

impl Default for Kit {
    fn default() -> Self {
        Self {
            snare_rng: Rng::new(0x5a4e),
            hat_rng: Rng::new(0x4a77),
            clap_rng: Rng::new(0xc1a9),
            kick_rng: Rng::new(0x6b1c),
        }
    }
}

impl Kit {
    /// Kick: a sine swept from about 170 Hz down to 48 Hz in ~100 ms (the "thump"), a 300 ms
    /// body decay, a 1.5 ms noise click for the beater, gently saturated.
    pub fn kick(&mut self, out: &mut [f64], start: usize, velocity: f64) {
        let mut osc = Osc::new(0.25);
        let rng = &mut self.kick_rng;
        let mut click_hp = Biquad::new(BiquadCoefs::high_pass(1_500.0, 0.7));
        add_hit(out, start, 0.6, |t| {
            let freq_hz = 48.0 + 122.0 * decay(t, 0.12);
            let body = osc.sine(freq_hz) * decay(t, 0.55) * (t / 0.002).min(1.0);
            let click = click_hp.process(rng.bipolar()) * decay(t, 0.012) * 0.35;
            velocity * tanh(1.6 * (body + click))
        });
    }

    /// Snare: two drum-head modes (185 and 330 Hz, slightly pitch-dropping) for the body plus a
    /// band-limited noise burst for the wires.
    pub fn snare(&mut self, out: &mut [f64], start: usize, velocity: f64) {
        let mut head1 = Osc::new(0.0);
        let mut head2 = Osc::new(0.3);
        let mut wires_hp = Biquad::new(BiquadCoefs::high_pass(1_200.0, 0.6));
        let mut wires_lp = Biquad::new(BiquadCoefs::low_pass(9_000.0, 0.7));
        let rng = &mut self.snare_rng;
        add_hit(out, start, 0.45, |t| {
            let drop = 1.0 + 0.25 * decay(t, 0.03);
            let body = 0.55 * head1.sine(185.0 * drop) * decay(t, 0.16)
                + 0.3 * head2.sine(330.0 * drop) * decay(t, 0.1);
            let wires = wires_lp.process(wires_hp.process(rng.bipolar())) * decay(t, 0.28);
            velocity * (body + wires) * (t / 0.001).min(1.0)
        });
    }

    /// Hi-hat: 808-style metallic square cluster plus noise, high-passed at 7 kHz. `open`
    /// selects the 400 ms open hat instead of the 60 ms closed one.
    pub fn hat(&mut self, out: &mut [f64], start: usize, velocity: f64, open: bool) {
        let t60_s = if open { 0.45 } else { 0.06 };
        let mut bank: Vec<Osc> = (0..METAL_HZ.len())
            .map(|i| Osc::new(0.13 * i as f64))
            .collect();
        let mut hp1 = Biquad::new(BiquadCoefs::high_pass(7_000.0, 0.7));
        let mut hp2 = Biquad::new(BiquadCoefs::high_pass(7_000.0, 0.7));
        let rng = &mut self.hat_rng;
        add_hit(out, start, t60_s * 1.2, |t| {
            let metal: f64 = bank
                .iter_mut()
                .zip(METAL_HZ)
                .map(|(o, f)| o.square(f))
                .sum::<f64>()
                / 6.0;
            let source = 0.6 * metal + 0.7 * rng.bipolar();
            let attack = (t / 0.0005).min(1.0);
            velocity * hp2.process(hp1.process(source)) * decay(t, t60_s) * attack
        });
    }

    /// Crash cymbal for the final downbeat: the hat recipe with a lower high-pass (4 kHz) and
    /// a 2.2 s decay.
    pub fn crash(&mut self, out: &mut [f64], start: usize, velocity: f64) {
        let mut bank: Vec<Osc> = (0..METAL_HZ.len())
            .map(|i| Osc::new(0.07 * i as f64))
            .collect();
        let mut hp1 = Biquad::new(BiquadCoefs::high_pass(4_000.0, 0.7));
        let mut hp2 = Biquad::new(BiquadCoefs::high_pass(4_000.0, 0.7));
        let rng = &mut self.hat_rng;
        add_hit(out, start, 2.6, |t| {
            let metal: f64 = bank
                .iter_mut()
                .zip(METAL_HZ)
                .map(|(o, f)| o.square(f * 1.47))
                .sum::<f64>()
                / 6.0;
            let source = 0.5 * metal + 0.8 * rng.bipolar();
            velocity * hp2.process(hp1.process(source)) * decay(t, 2.2) * (t / 0.002).min(1.0)
        });
    }

    /// Hand clap: three quick noise bursts 10 ms apart then a longer one, band-passed around
    /// 1.4 kHz (many hands slightly out of time).
    pub fn clap(&mut self, out: &mut [f64], start: usize, velocity: f64) {
        let mut bp = Biquad::new(BiquadCoefs::band_pass(1_400.0, 1.0));
        let mut hp = Biquad::new(BiquadCoefs::high_pass(600.0, 0.7));
        let rng = &mut self.clap_rng;
        add_hit(out, start, 0.35, |t| {
            let burst = |onset: f64| {
                if t >= onset {
                    decay(t - onset, 0.03)
                } else {
                    0.0
                }
            };
            let env = if t < 0.03 {
                burst(0.0).max(burst(0.01)).max(burst(0.02))
            } else {
                decay(t - 0.03, 0.22)
            };
            velocity * 1.8 * hp.process(bp.process(rng.bipolar())) * env
        });
    }

    /// Tom for fills: a sine dropping from 1.4x to 1x `freq_hz` with a 350 ms decay and a
    /// little noise on the attack.
    pub fn tom(&mut self, out: &mut [f64], start: usize, velocity: f64, freq_hz: f64) {
        let mut osc = Osc::new(0.0);
        let rng = &mut self.snare_rng;
        add_hit(out, start, 0.5, |t| {
            let f = freq_hz * (1.0 + 0.4 * decay(t, 0.08));
            let skin = osc.sine(f) * decay(t, 0.35) + 0.15 * rng.bipolar() * decay(t, 0.02);
            velocity * 0.9 * skin * (t / 0.001).min(1.0)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn energy(x: &[f64]) -> f64 {
        x.iter().map(|v| v * v).sum()
    }

    /// Zero crossings per second in a window, a crude pitch estimate for a sine-based drum.
    fn crossing_rate_hz(x: &[f64]) -> f64 {
        let crossings = x
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        crossings as f64 / 2.0 / (x.len() as f64 / SAMPLE_RATE_HZ)
    }

    #[test]
    fn kick_pitch_falls_and_decays() {
        let mut out = vec![0.0; 44_100];
        Kit::default().kick(&mut out, 0, 1.0);
        let early = crossing_rate_hz(&out[0..2_205]); // first 50 ms
        let late = crossing_rate_hz(&out[8_820..13_230]); // 200-300 ms
        assert!(
            early > 80.0 && late < 60.0 && late > 40.0,
            "early {early} late {late}"
        );
        assert!(energy(&out[0..4_410]) > 50.0 * energy(&out[22_050..26_460]));
        assert!(out.iter().all(|v| v.abs() <= 1.0));
    }

    #[test]
    fn hits_start_where_asked_and_stay_in_buffer() {
        let mut out = vec![0.0; 10_000];
        let mut kit = Kit::default();
        kit.snare(&mut out, 5_000, 1.0);
        kit.hat(&mut out, 9_990, 1.0, true);
        assert_eq!(energy(&out[..5_000]), 0.0);
        assert!(energy(&out[5_000..5_500]) > 1.0);
    }

    #[test]
    fn closed_hat_is_short_and_bright() {
        let mut closed = vec![0.0; 22_050];
        let mut open = vec![0.0; 22_050];
        let mut kit = Kit::default();
        kit.hat(&mut closed, 0, 1.0, false);
        kit.hat(&mut open, 0, 1.0, true);
        // 100-200 ms after the hit the open hat still rings, the closed one is gone.
        assert!(energy(&open[4_410..8_820]) > 1_000.0 * energy(&closed[4_410..8_820]));
        // Bright: almost no energy below 2 kHz.
        let mut low = closed.clone();
        Biquad::new(BiquadCoefs::low_pass(2_000.0, 0.7)).process_buffer(&mut low);
        assert!(energy(&low) < 0.01 * energy(&closed));
    }
}
