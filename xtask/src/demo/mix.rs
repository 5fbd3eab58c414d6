//! Mixing the stems into a balanced mix, then deliberately spoiling it the way real
//! unmastered mixes often are (muddy, dull, narrow, quiet), then quantising to 16 bits.
//!
//! The balanced mix is kept so the measurements can state each problem relative to it.

use super::dsp::{Biquad, BiquadCoefs, SAMPLE_RATE_HZ, ping_pong_delay, reverb};
use super::instruments::Stereo;
use super::math::{Rng, cos, db_to_gain};
use super::score::{Stems, beat_to_samples};
use std::f64::consts::PI;

/// Centre of the broad low-mid bump that makes the mix muddy (Hz), between 200 and 400 Hz.
pub const MUD_HZ: f64 = 285.0;
/// Gain of the bump in dB (the brief asks for +4 to +6 dB over a balanced mix).
pub const MUD_GAIN_DB: f64 = 6.0;
/// Quality of the bump: Q 0.9 spans about 1.5 octaves, i.e. roughly 170-480 Hz at -3 dB
/// of the bump gain (RBJ cookbook bandwidth relation).
pub const MUD_Q: f64 = 0.9;
/// Corner of the 12 dB/octave low-pass that dulls the top (Hz).
pub const DULL_HZ: f64 = 5_500.0;
/// Gain applied to the side signal (M/S) to narrow the image; 1.0 would keep the mix as is.
pub const SIDE_GAIN: f64 = 0.3;
/// Sample peak the finished mix is scaled to (dBFS): quiet, with headroom, not limited.
pub const PEAK_DBFS: f64 = -7.5;
/// Length of the anti-click fade at the very end of the file (s), over the last echo only.
const END_FADE_S: f64 = 0.3;
/// Seed of the TPDF dither added before rounding to 16 bits.
const DITHER_SEED: u64 = 0xd17e;

/// The outputs of [`mix`].
pub struct Mixdown {
    /// The balanced mix before the deliberate problems, at the same gain as `samples`.
    pub balanced: Stereo,
    /// The delivered 16-bit samples, interleaved L R L R.
    pub samples: Vec<i16>,
}

/// Mixes the stems: levels, panning, a dotted-8th ping-pong delay and a plate-like reverb on
/// the lead, a shared room reverb on snare, clap and pad, then the spoiling and the 16-bit
/// conversion.
pub fn mix(stems: &Stems) -> Mixdown {
    let n = stems.kick.len();
    let mut balanced = Stereo::silent(n);
    balanced.add_mono(&stems.kick, db_to_gain(-2.0), 0.0);
    balanced.add_mono(&stems.snare, db_to_gain(-4.0), 0.05);
    balanced.add_mono(&stems.clap, db_to_gain(-9.0), -0.05);
    balanced.add_mono(&stems.hats, db_to_gain(-13.0), 0.35);
    balanced.add_mono(&stems.toms, db_to_gain(-6.0), -0.25);
    balanced.add_mono(&stems.crash, db_to_gain(-12.0), -0.3);
    balanced.add_mono(&stems.bass, db_to_gain(-3.0), 0.0);
    balanced.add(&stems.pad, db_to_gain(-7.5));
    balanced.add_mono(&stems.lead, db_to_gain(-6.0), 0.0);

    // Lead echo: dotted eighth (3/4 beat), left then right, fed at -16 dB.
    let (echo_l, echo_r) = ping_pong_delay(&stems.lead, beat_to_samples(0.75), 0.3);
    let echo = Stereo {
        left: echo_l,
        right: echo_r,
    };
    balanced.add(&echo, db_to_gain(-16.0));

    // Reverb send: snare, clap, pad (mid) and lead, one shared room.
    let send: Vec<f64> = (0..n)
        .map(|i| {
            0.35 * stems.snare[i]
                + 0.3 * stems.clap[i]
                + 0.12 * (stems.pad.left[i] + stems.pad.right[i])
                + 0.3 * stems.lead[i]
        })
        .collect();
    let (verb_l, verb_r) = reverb(&send, 0.82, 0.35);
    let verb = Stereo {
        left: verb_l,
        right: verb_r,
    };
    balanced.add(&verb, db_to_gain(-8.0));

    // The last echo repeat is still at about -65 dBFS when the file ends: a raised-cosine
    // fade over the final [`END_FADE_S`] keeps that from ending on a cut. The music itself
    // has decayed naturally by then; there is no fade on it.
    let fade_len = (END_FADE_S * SAMPLE_RATE_HZ) as usize;
    for k in 0..fade_len.min(n) {
        let gain = 0.5 + 0.5 * cos(PI * (k + 1) as f64 / fade_len as f64);
        balanced.left[n - fade_len + k] *= gain;
        balanced.right[n - fade_len + k] *= gain;
    }

    let mut spoiled = spoil(&balanced);
    let peak = spoiled
        .left
        .iter()
        .chain(&spoiled.right)
        .fold(0.0_f64, |m, v| m.max(v.abs()));
    let gain = db_to_gain(PEAK_DBFS) / peak;
    for buf in [
        &mut spoiled.left,
        &mut spoiled.right,
        &mut balanced.left,
        &mut balanced.right,
    ] {
        for v in buf.iter_mut() {
            *v *= gain;
        }
    }
    let samples = quantise(&spoiled);
    Mixdown { balanced, samples }
}

/// The deliberate problems: low-mid bump (RBJ peaking EQ), high cut (RBJ low-pass), and
/// narrowing by scaling the side signal (M = (L+R)/2, S = (L-R)/2).
pub fn spoil(balanced: &Stereo) -> Stereo {
    let mut out = balanced.clone();
    for buf in [&mut out.left, &mut out.right] {
        Biquad::new(BiquadCoefs::peaking(MUD_HZ, MUD_Q, MUD_GAIN_DB)).process_buffer(buf);
        Biquad::new(BiquadCoefs::low_pass(DULL_HZ, 0.707)).process_buffer(buf);
    }
    for (l, r) in out.left.iter_mut().zip(out.right.iter_mut()) {
        let mid = 0.5 * (*l + *r);
        let side = 0.5 * (*l - *r) * SIDE_GAIN;
        *l = mid + side;
        *r = mid - side;
    }
    out
}

/// 16-bit conversion with TPDF dither (two uniform values, +/-1 LSB triangular; Lipshitz,
/// Wannamaker & Vanderkooy, "Quantization and dither: a theoretical survey", JAES 40(5),
/// 1992), rounded and clamped. Interleaves L R.
fn quantise(mix: &Stereo) -> Vec<i16> {
    let mut rng = Rng::new(DITHER_SEED);
    let mut out = Vec::with_capacity(2 * mix.len());
    for (l, r) in mix.left.iter().zip(&mix.right) {
        for v in [l, r] {
            let dither = rng.unit() - rng.unit();
            let q = (v * 32_768.0 + dither).round().clamp(-32_768.0, 32_767.0);
            out.push(q as i16);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq_hz: f64, amp_l: f64, amp_r: f64) -> Stereo {
        let x: Vec<f64> = (0..44_100)
            .map(|i| (2.0 * PI * freq_hz * i as f64 / SAMPLE_RATE_HZ).sin())
            .collect();
        Stereo {
            left: x.iter().map(|v| v * amp_l).collect(),
            right: x.iter().map(|v| v * amp_r).collect(),
        }
    }

    fn rms_db(x: &[f64]) -> f64 {
        let tail = &x[4_410..];
        10.0 * (tail.iter().map(|v| v * v).sum::<f64>() / tail.len() as f64).log10()
    }

    #[test]
    fn spoil_boosts_low_mids_and_cuts_highs() {
        let low_mid = spoil(&tone(285.0, 0.1, 0.1));
        let highs = spoil(&tone(11_000.0, 0.1, 0.1));
        let mids = spoil(&tone(1_500.0, 0.1, 0.1));
        let reference = rms_db(&tone(285.0, 0.1, 0.1).left);
        assert!((rms_db(&low_mid.left) - reference - MUD_GAIN_DB).abs() < 0.2);
        assert!(rms_db(&highs.left) - reference < -10.0);
        assert!((rms_db(&mids.left) - reference).abs() < 1.5);
    }

    #[test]
    fn spoil_narrows_a_hard_panned_signal() {
        let out = spoil(&tone(1_000.0, 0.1, 0.0));
        // Hard left: M = S, after narrowing R = (1 - g)/(1 + g) of L.
        let ratio_db = rms_db(&out.right) - rms_db(&out.left);
        let expected_db = 20.0 * ((1.0 - SIDE_GAIN) / (1.0 + SIDE_GAIN)).log10();
        assert!(
            (ratio_db - expected_db).abs() < 0.05,
            "{ratio_db} vs {expected_db}"
        );
    }

    #[test]
    fn quantise_rounds_within_one_lsb() {
        let x = tone(440.0, 0.5, -0.25);
        let q = quantise(&x);
        assert_eq!(q.len(), 2 * x.len());
        for (i, v) in x.left.iter().enumerate() {
            assert!((q[2 * i] as f64 - v * 32_768.0).abs() <= 1.5);
            assert!((q[2 * i + 1] as f64 - x.right[i] * 32_768.0).abs() <= 1.5);
        }
    }
}
