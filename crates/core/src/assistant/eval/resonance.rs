//! The evaluation's resonance case (issue 14, items 3 and 8): narrow resonances and 5-7 kHz
//! shimmer bursts added to good masters for part of the time, what the resonance stage takes
//! off them while they are present, and what it takes off the undamaged master in every
//! third-octave band (`lacquer eval-resonance DIR`, `cargo xtask eval-resonance DIR`).
//!
//! Measurement: STFT band powers (Hann window, [`FRAME`] samples, half overlap) of the
//! original, the damaged mix and the stage's output (aligned by its latency), mid plus side
//! power (both channels' sum). The excess is measured in the damage's own band while it is
//! fully on: added = damaged - original, left = processed damaged - original, removed =
//! 1 - left / added. On the undamaged master the reduction per third-octave (40 Hz-16 kHz)
//! and frame is original - processed, in dB, over the frames where the band is within
//! [`ACTIVE_RANGE_DB`] of its loudest: its mean over time and its 95th percentile.

use super::split_mix;
use crate::dsp::biquad::BiquadCoefs;
use crate::dsp::resonance::{Resonance, ResonanceSettings};
use realfft::RealFftPlanner;
use serde::{Deserialize, Serialize};

/// STFT frame of the measurement, samples (at every rate: 186 ms at 44.1 kHz, fine enough
/// for a third-octave at 40 Hz, about 9 bins).
pub const FRAME: usize = 8192;
/// A band-frame counts on the undamaged master when within this of the band's loudest
/// frame, dB (quieter ones are the music's pauses in that band, where a ratio is noise).
pub const ACTIVE_RANGE_DB: f32 = 30.0;
/// Ramp of every switch of the damage on or off, seconds (no clicks, no broadband event).
const RAMP_S: f64 = 0.02;

/// What is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResonanceKind {
    /// A peaking resonance (Q 5-12, +6..10 dB) at 300 Hz-8 kHz, on for two stretches.
    Resonance,
    /// Band-passed noise bursts in 5-7 kHz (0.3 s every 1.2 s in the middle half), raising
    /// that band by 6..10 dB while on.
    Shimmer,
}

/// One track's resonance damage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResonanceDamage {
    /// Resonance or shimmer.
    pub kind: ResonanceKind,
    /// Centre frequency, Hz.
    pub freq_hz: f32,
    /// Q of the resonance (0 for the shimmer, a fixed 5-7 kHz band-pass).
    pub q: f32,
    /// Gain of the resonance at its centre, or the shimmer band's rise while on, dB.
    pub gain_db: f32,
}

/// Deterministic damage of track `index` for `seed`: even indices a resonance, odd a shimmer.
pub fn resonance_damage_for(seed: u64, index: usize) -> ResonanceDamage {
    let mut state = seed ^ (index as u64).wrapping_mul(0xA24B_AED4_963E_E407) ^ 0x5EED;
    let mut u = |lo: f64, hi: f64| (lo + (hi - lo) * split_mix(&mut state)) as f32;
    let gain_db = u(6.0, 10.0);
    if index.is_multiple_of(2) {
        let freq_hz = (u(300f64.ln(), 8000f64.ln())).exp();
        ResonanceDamage {
            kind: ResonanceKind::Resonance,
            freq_hz,
            q: u(5.0, 12.0),
            gain_db,
        }
    } else {
        ResonanceDamage {
            kind: ResonanceKind::Shimmer,
            freq_hz: 5_916.0,
            q: 0.0,
            gain_db,
        }
    }
}

/// Where the damage is on, 0..1, at `t` of a `len_s` long excerpt (ramps of [`RAMP_S`]).
fn envelope(kind: ResonanceKind, t: f64, len_s: f64) -> f64 {
    let stretch = |a: f64, b: f64| {
        if t <= a || t >= b {
            0.0
        } else {
            ((t - a) / RAMP_S).min((b - t) / RAMP_S).min(1.0)
        }
    };
    match kind {
        ResonanceKind::Resonance => {
            stretch(0.2 * len_s, 0.45 * len_s).max(stretch(0.6 * len_s, 0.85 * len_s))
        }
        ResonanceKind::Shimmer => {
            if t < 0.25 * len_s || t > 0.75 * len_s {
                return 0.0;
            }
            let phase = (t - 0.25 * len_s) % 1.2;
            let start = t - phase;
            stretch(start, start + 0.3).min(if start + 0.3 <= 0.75 * len_s {
                1.0
            } else {
                0.0
            })
        }
    }
}

fn biquad(c: &BiquadCoefs, x: &[f32]) -> Vec<f32> {
    let (mut x1, mut x2, mut y1, mut y2) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    x.iter()
        .map(|&s| {
            let x0 = f64::from(s);
            let y = c.b0 * x0 + c.b1 * x1 + c.b2 * x2 - c.a1 * y1 - c.a2 * y2;
            (x2, x1, y2, y1) = (x1, x0, y1, y);
            y as f32
        })
        .collect()
}

impl ResonanceDamage {
    /// The damage's measurement band, Hz: a sixth of an octave around a resonance (its
    /// bandwidth at Q 5-12 is a twelfth to a quarter of an octave), 5-7 kHz for the shimmer.
    pub fn band_hz(&self) -> (f32, f32) {
        match self.kind {
            ResonanceKind::Resonance => {
                let w = 2f32.powf(1.0 / 12.0);
                (self.freq_hz / w, self.freq_hz * w)
            }
            ResonanceKind::Shimmer => (5_000.0, 7_000.0),
        }
    }

    /// Where the damage is fully on, per sample of a `len` long excerpt at `rate`.
    pub fn fully_on(&self, len: usize, sample_rate_hz: u32) -> Vec<bool> {
        let len_s = len as f64 / f64::from(sample_rate_hz);
        (0..len)
            .map(|n| envelope(self.kind, n as f64 / f64::from(sample_rate_hz), len_s) >= 1.0)
            .collect()
    }

    /// Adds the damage to planar audio in place.
    pub fn apply(&self, channels: &mut [Vec<f32>], sample_rate_hz: u32) {
        let rate = f64::from(sample_rate_hz);
        let len = channels.iter().map(Vec::len).min().unwrap_or(0);
        let len_s = len as f64 / rate;
        let env: Vec<f64> = (0..len)
            .map(|n| envelope(self.kind, n as f64 / rate, len_s))
            .collect();
        match self.kind {
            ResonanceKind::Resonance => {
                let c = BiquadCoefs::peaking(
                    f64::from(self.freq_hz),
                    f64::from(self.gain_db),
                    f64::from(self.q),
                    rate,
                );
                for ch in channels.iter_mut() {
                    let peaked = biquad(&c, ch);
                    for ((s, p), e) in ch.iter_mut().zip(&peaked).zip(&env) {
                        *s += (*e * f64::from(*p - *s)) as f32;
                    }
                }
            }
            ResonanceKind::Shimmer => {
                // 5-7 kHz: two high-passes at 5 kHz and two low-passes at 7 kHz.
                let hp = BiquadCoefs::high_pass(5_000.0, std::f64::consts::FRAC_1_SQRT_2, rate);
                let lp = BiquadCoefs::low_pass(7_000.0, std::f64::consts::FRAC_1_SQRT_2, rate);
                let band_pass =
                    |x: &[f32]| biquad(&lp, &biquad(&lp, &biquad(&hp, &biquad(&hp, x))));
                // Band power as the measurement reads it (STFT, 5-7 kHz), over the excerpt.
                let power = |x: &[f32]| {
                    band_powers(&[x.to_vec()], sample_rate_hz, &[self.band_hz()])
                        .iter()
                        .map(|f| f[0])
                        .sum::<f64>()
                };
                let rise = 10f64.powf(f64::from(self.gain_db) / 10.0) - 1.0;
                let mut state = u64::from(self.gain_db.to_bits()) ^ 0xB0A5;
                for ch in channels.iter_mut() {
                    // The track's own mean power in the band sets the bursts' level; each
                    // channel gets its own noise.
                    let track = power(ch).max(1e-12);
                    let noise: Vec<f32> = (0..len)
                        .map(|_| (2.0 * split_mix(&mut state) - 1.0) as f32)
                        .collect();
                    let shaped = band_pass(&noise);
                    let scale = (track * rise / power(&shaped).max(1e-24)).sqrt();
                    for ((s, v), e) in ch.iter_mut().zip(&shaped).zip(&env) {
                        *s += (e * scale * f64::from(*v)) as f32;
                    }
                }
            }
        }
    }
}

/// Runs the resonance stage at `settings` over planar audio, returning its output aligned
/// with the input (the stage's latency removed).
pub fn process_stage(
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
    settings: &ResonanceSettings,
) -> Vec<Vec<f32>> {
    let mut stage = Resonance::new();
    stage.configure(sample_rate_hz as f32);
    stage.set_settings(settings);
    stage.reset();
    let latency = stage.latency_samples() as usize;
    let len = channels.iter().map(Vec::len).min().unwrap_or(0);
    let mut out: Vec<Vec<f32>> = channels
        .iter()
        .map(|c| {
            let mut v = c[..len].to_vec();
            v.resize(len + latency, 0.0);
            v
        })
        .collect();
    let mut start = 0;
    while start < len + latency {
        let end = (start + 512).min(len + latency);
        match out.as_mut_slice() {
            [l, r, ..] => stage.process(&mut [&mut l[start..end], &mut r[start..end]]),
            [m] => stage.process(&mut [&mut m[start..end]]),
            [] => {}
        }
        start = end;
    }
    out.into_iter().map(|c| c[latency..].to_vec()).collect()
}

/// Band powers per frame: `bands` (Hz edges) of both channels' summed power spectrum.
pub fn band_powers(
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
    bands: &[(f32, f32)],
) -> Vec<Vec<f64>> {
    let len = channels.iter().map(Vec::len).min().unwrap_or(0);
    let hop = FRAME / 2;
    let mut planner = RealFftPlanner::<f32>::new();
    let fft = planner.plan_fft_forward(FRAME);
    let window: Vec<f32> = (0..FRAME)
        .map(|n| {
            (std::f32::consts::PI * n as f32 / FRAME as f32)
                .sin()
                .powi(2)
        })
        .collect();
    let bin_hz = sample_rate_hz as f32 / FRAME as f32;
    let ranges: Vec<(usize, usize)> = bands
        .iter()
        .map(|&(lo, hi)| {
            let a = (lo / bin_hz).ceil().max(1.0) as usize;
            let b = ((hi / bin_hz).floor() as usize).min(FRAME / 2);
            (a, b.max(a))
        })
        .collect();
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut out = Vec::new();
    let mut start = 0;
    while start + FRAME <= len {
        let mut power = vec![0.0f64; FRAME / 2 + 1];
        for ch in channels {
            for ((i, x), w) in input.iter_mut().zip(&ch[start..start + FRAME]).zip(&window) {
                *i = x * w;
            }
            if fft.process(&mut input, &mut spectrum).is_err() {
                continue;
            }
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p += f64::from(c.norm_sqr());
            }
        }
        out.push(
            ranges
                .iter()
                .map(|&(a, b)| power[a..=b].iter().sum::<f64>())
                .collect(),
        );
        start += hop;
    }
    out
}

/// What the stage took off one damaged excerpt while the damage was fully on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExcessFigures {
    /// The damage's band level rise over the original, dB.
    pub added_db: f32,
    /// What is left of it after the stage, dB.
    pub left_db: f32,
    /// `1 - left / added`, percent.
    pub removed_pct: f32,
}

/// The excess figures of `damage` given the original, the damaged mix and the stage's
/// output of it (all aligned, same length).
pub fn excess_figures(
    damage: &ResonanceDamage,
    original: &[Vec<f32>],
    damaged: &[Vec<f32>],
    processed: &[Vec<f32>],
    sample_rate_hz: u32,
) -> Option<ExcessFigures> {
    let band = [damage.band_hz()];
    let len = original.iter().map(Vec::len).min().unwrap_or(0);
    let on = damage.fully_on(len, sample_rate_hz);
    let frames_on: Vec<bool> = (0..)
        .map(|f| f * FRAME / 2)
        .take_while(|s| s + FRAME <= len)
        .map(|s| on[s..s + FRAME].iter().all(|&b| b))
        .collect();
    let level = |x: &[Vec<f32>]| {
        let p = band_powers(x, sample_rate_hz, &band);
        let (sum, n) = p
            .iter()
            .zip(&frames_on)
            .filter(|(_, on)| **on)
            .fold((0.0f64, 0usize), |(s, n), (v, _)| (s + v[0], n + 1));
        (n > 0 && sum > 0.0).then(|| (10.0 * (sum / n as f64).log10()) as f32)
    };
    let (o, d, p) = (level(original)?, level(damaged)?, level(processed)?);
    let added = d - o;
    let left = p - o;
    Some(ExcessFigures {
        added_db: added,
        left_db: left,
        removed_pct: 100.0 * (1.0 - left / added.max(1e-6)),
    })
}

/// Third-octave bands from 40 Hz to 16 kHz (below Nyquist), as (centre, lower, upper) Hz.
pub fn third_octaves(sample_rate_hz: u32) -> Vec<(f32, f32, f32)> {
    (-14..=12)
        .map(|k| 1000.0 * 2f32.powf(k as f32 / 3.0))
        .filter(|c| c * 2f32.powf(1.0 / 6.0) < 0.5 * sample_rate_hz as f32)
        .map(|c| (c, c / 2f32.powf(1.0 / 6.0), c * 2f32.powf(1.0 / 6.0)))
        .collect()
}

/// The stage's reduction of an undamaged master per third-octave: (centre Hz, mean over
/// time dB, 95th percentile dB) over the band's active frames.
pub fn reduction_per_band(
    original: &[Vec<f32>],
    processed: &[Vec<f32>],
    sample_rate_hz: u32,
) -> Vec<(f32, f32, f32)> {
    let bands = third_octaves(sample_rate_hz);
    let edges: Vec<(f32, f32)> = bands.iter().map(|b| (b.1, b.2)).collect();
    let x = band_powers(original, sample_rate_hz, &edges);
    let y = band_powers(processed, sample_rate_hz, &edges);
    bands
        .iter()
        .enumerate()
        .map(|(b, &(centre, _, _))| {
            let loudest = x.iter().map(|f| f[b]).fold(0.0f64, f64::max);
            let floor = loudest * 10f64.powf(-f64::from(ACTIVE_RANGE_DB) / 10.0);
            let mut r: Vec<f32> = x
                .iter()
                .zip(&y)
                .filter(|(xf, yf)| xf[b] > floor && xf[b] > 1e-20 && yf[b] > 1e-30)
                .map(|(xf, yf)| (10.0 * (xf[b] / yf[b]).log10()) as f32)
                .collect();
            if r.is_empty() {
                return (centre, 0.0, 0.0);
            }
            let mean = r.iter().sum::<f32>() / r.len() as f32;
            r.sort_by(f32::total_cmp);
            let p95 = r[((r.len() - 1) as f32 * 0.95).round() as usize];
            (centre, mean, p95)
        })
        .collect()
}

#[cfg(test)]
mod tests;
