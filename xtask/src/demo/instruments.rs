//! Pitched instruments of the demo: a filtered saw bass, a detuned-saw chord pad and a
//! monophonic lead with portamento and delayed vibrato. Each renders notes into a stem.

use super::dsp::{Osc, SAMPLE_RATE_HZ, Svf, adsr, decay, pan_gains};
use super::math::{Rng, exp, exp2, note_hz, sin, tanh};
use std::f64::consts::PI;

/// A stereo buffer (left, right), the shape of every stem and of the mix.
#[derive(Clone, Debug, PartialEq)]
pub struct Stereo {
    /// Left channel samples, full scale = 1.0.
    pub left: Vec<f64>,
    /// Right channel samples, full scale = 1.0.
    pub right: Vec<f64>,
}

impl Stereo {
    /// A silent buffer of `num_samples` frames.
    pub fn silent(num_samples: usize) -> Self {
        Self {
            left: vec![0.0; num_samples],
            right: vec![0.0; num_samples],
        }
    }

    /// Adds a mono buffer at linear gain `gain`, placed by `pan` in [-1, 1] (equal power).
    pub fn add_mono(&mut self, mono: &[f64], gain: f64, pan: f64) {
        let (gl, gr) = pan_gains(pan);
        for ((l, r), m) in self.left.iter_mut().zip(self.right.iter_mut()).zip(mono) {
            *l += gain * gl * m;
            *r += gain * gr * m;
        }
    }

    /// Adds another stereo buffer at linear gain `gain`.
    pub fn add(&mut self, other: &Stereo, gain: f64) {
        for (l, o) in self.left.iter_mut().zip(&other.left) {
            *l += gain * o;
        }
        for (r, o) in self.right.iter_mut().zip(&other.right) {
            *r += gain * o;
        }
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.left.len()
    }
}

/// One note of a part: when (samples), how long it is held (seconds), which pitch (MIDI note
/// number, fractional allowed) and how hard (velocity in (0, 1]).
#[derive(Clone, Copy, Debug)]
pub struct Note {
    /// Note-on position in samples from the start of the piece.
    pub start_samples: usize,
    /// Time from note-on to note-off in seconds (release rings on after it).
    pub hold_s: f64,
    /// MIDI note number (69 = A4 = 440 Hz).
    pub pitch: f64,
    /// Velocity in (0, 1], scales level and filter opening.
    pub velocity: f64,
}

/// Renders `voice(t_s)` for a note, from its start for `hold_s + tail_s` seconds.
fn render_note(out: &mut [f64], note: &Note, tail_s: f64, mut voice: impl FnMut(f64) -> f64) {
    let len = ((note.hold_s + tail_s) * SAMPLE_RATE_HZ) as usize;
    let start = note.start_samples.min(out.len());
    let end = (start + len).min(out.len());
    for (n, slot) in out[start..end].iter_mut().enumerate() {
        *slot += voice(n as f64 / SAMPLE_RATE_HZ);
    }
}

/// Bass: a saw plus a sine at the fundamental for weight, through a resonant low-pass whose
/// cutoff jumps with velocity and decays in ~300 ms (the classic "plucked" subtractive bass),
/// softly saturated.
pub fn bass(out: &mut [f64], notes: &[Note]) {
    for note in notes {
        let freq_hz = note_hz(note.pitch);
        let mut saw = Osc::new(0.0);
        let mut sub = Osc::new(0.0);
        let mut filter = Svf::default();
        let vel = note.velocity;
        render_note(out, note, 0.12, |t| {
            let cutoff_hz = 140.0 + 1_300.0 * vel * decay(t, 0.3);
            let raw = 0.7 * saw.saw(freq_hz) + 0.6 * sub.sine(freq_hz);
            let filtered = filter.low_pass(raw, cutoff_hz, 1.3);
            let amp = adsr(t, note.hold_s, 0.004, 0.35, 0.75, 0.06);
            0.8 * vel * tanh(1.4 * filtered) * amp
        });
    }
}

/// Chord pad: three saws per note detuned by -9, 0 and +9 cents (chorus-like beating), spread
/// left/centre/right, through a low-pass that breathes slowly; soft attack and long release.
pub fn pad(out: &mut Stereo, notes: &[Note], seed: u64) {
    const DETUNE_CENTS: [f64; 3] = [-9.0, 0.0, 9.0];
    const SPREAD: [f64; 3] = [-0.6, 0.0, 0.6];
    let mut rng = Rng::new(seed);
    let mut left = vec![0.0; out.len()];
    let mut right = vec![0.0; out.len()];
    for note in notes {
        for (cents, pan) in DETUNE_CENTS.iter().zip(SPREAD) {
            let freq_hz = note_hz(note.pitch + cents / 100.0);
            let mut osc = Osc::new(rng.unit());
            let mut filter = Svf::default();
            let mut mono = vec![0.0; out.len()];
            let lfo_phase = rng.unit() * 2.0 * PI;
            render_note(&mut mono, note, 0.7, |t| {
                let cutoff_hz = 2_400.0 + 700.0 * sin(2.0 * PI * 0.35 * t + lfo_phase);
                let amp = adsr(t, note.hold_s, 0.09, 1.2, 0.7, 0.5);
                0.22 * note.velocity * filter.low_pass(osc.saw(freq_hz), cutoff_hz, 0.8) * amp
            });
            let (gl, gr) = pan_gains(pan);
            for ((l, r), m) in left.iter_mut().zip(right.iter_mut()).zip(&mono) {
                *l += gl * m;
                *r += gr * m;
            }
        }
    }
    out.add(&Stereo { left, right }, 1.0);
}

/// Lead: saw + square through an enveloped low-pass. Notes starting within 30 ms of the
/// previous note-off glide to their pitch (portamento, time constant 35 ms); vibrato (5.5 Hz,
/// +/-0.18 semitone) fades in after 180 ms, as a singer or violinist would.
pub fn lead(out: &mut [f64], notes: &[Note]) {
    let mut previous: Option<(f64, f64)> = None; // (pitch, note-off time in s)
    for note in notes {
        let start_s = note.start_samples as f64 / SAMPLE_RATE_HZ;
        let glide_from = match previous {
            Some((pitch, off_s)) if start_s - off_s < 0.03 => pitch,
            _ => note.pitch,
        };
        previous = Some((note.pitch, start_s + note.hold_s));
        let mut saw = Osc::new(0.0);
        let mut square = Osc::new(0.5);
        let mut filter = Svf::default();
        let vel = note.velocity;
        render_note(out, note, 0.2, |t| {
            let glide = (glide_from - note.pitch) * exp(-t / 0.035);
            let vibrato_depth = 0.18 * ((t - 0.18) / 0.25).clamp(0.0, 1.0);
            let vibrato = vibrato_depth * sin(2.0 * PI * 5.5 * t);
            let freq_hz = note_hz(note.pitch + glide + vibrato);
            let raw = 0.6 * saw.saw(freq_hz) + 0.35 * square.square(freq_hz * exp2(0.04 / 12.0));
            let cutoff_hz = 1_500.0 + 3_500.0 * vel * decay(t, 0.6);
            let amp = adsr(t, note.hold_s, 0.01, 0.4, 0.7, 0.15);
            0.5 * vel * filter.low_pass(raw, cutoff_hz, 1.2) * amp
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(start_samples: usize, pitch: f64) -> Note {
        Note {
            start_samples,
            hold_s: 0.4,
            pitch,
            velocity: 1.0,
        }
    }

    /// Fundamental in Hz from the autocorrelation peak over lags for 30-200 Hz.
    fn autocorr_pitch_hz(x: &[f64]) -> f64 {
        let lo = (SAMPLE_RATE_HZ / 200.0) as usize;
        let hi = (SAMPLE_RATE_HZ / 30.0) as usize;
        let score = |lag: usize| -> f64 { x.iter().zip(&x[lag..]).map(|(a, b)| a * b).sum() };
        let best = (lo..hi)
            .max_by(|&a, &b| score(a).total_cmp(&score(b)))
            .unwrap_or(lo);
        SAMPLE_RATE_HZ / best as f64
    }

    #[test]
    fn bass_plays_its_pitch() {
        let mut out = vec![0.0; 44_100];
        bass(&mut out, &[note(0, 33.0)]); // A1 = 55 Hz
        let pitch_hz = autocorr_pitch_hz(&out[2_000..15_000]);
        assert!((pitch_hz - 55.0).abs() < 1.0, "pitch {pitch_hz}");
        assert!(
            out[25_000..].iter().all(|v| v.abs() < 1e-3),
            "release must end"
        );
    }

    #[test]
    fn lead_glides_between_legato_notes() {
        let mut out = vec![0.0; 44_100];
        let first = note(0, 69.0);
        let second = Note {
            start_samples: (0.4 * SAMPLE_RATE_HZ) as usize,
            ..note(0, 81.0)
        };
        lead(&mut out, &[first, second]);
        let mut glided = vec![0.0; 44_100];
        lead(&mut glided, &[second]);
        // Without a preceding note the second note starts on pitch; with one it glides up,
        // so the first 20 ms of the two renders differ.
        let s = second.start_samples;
        let diff: f64 = (s..s + 882).map(|i| (out[i] - glided[i]).abs()).sum();
        assert!(diff > 1.0, "diff {diff}");
    }

    #[test]
    fn pad_is_stereo_but_mostly_centred() {
        let mut out = Stereo::silent(44_100);
        pad(&mut out, &[note(0, 57.0), note(0, 60.0), note(0, 64.0)], 1);
        let (mut ll, mut rr, mut lr) = (0.0, 0.0, 0.0);
        for (l, r) in out.left.iter().zip(&out.right) {
            ll += l * l;
            rr += r * r;
            lr += l * r;
        }
        let corr = lr / (ll * rr).sqrt();
        assert!(ll > 1.0 && (ll / rr - 1.0).abs() < 0.5, "ll {ll} rr {rr}");
        assert!(corr > 0.2 && corr < 0.98, "corr {corr}");
    }
}
