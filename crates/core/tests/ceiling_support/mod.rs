//! Helpers of the ceiling tests (`tests/ceiling.rs`, `tests/ceiling_search.rs`): hard
//! full-band signals, a limiter render that flushes the lookahead, and the overshoot over the
//! ceiling measured by two meters of `lacquer-test-support`: the independent 16x reference
//! (long Kaiser kernel, flat to 0.49 fs) and the standard BS.1770-4 meter of the `ebur128`
//! crate (short interpolator that over-reads full-band material); a master must read at or
//! under its ceiling on both.

#![allow(dead_code)]

use lacquer_core::dsp::limiter::{Limiter, LimiterSettings};
pub use lacquer_test_support::reference::*;

/// Every sample rate the ceiling is tested at, Hz.
pub const RATES: [f64; 8] = [
    22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0, 384_000.0,
];
/// Allowed true-peak excess over the ceiling, dB.
pub const TOLERANCE_DB: f64 = 0.05;

/// Runs a fresh limiter over stereo input in blocks of `block` samples, with enough silence
/// after the input to flush the lookahead, so the whole input comes out.
pub fn limit(
    rate: f64,
    settings: &LimiterSettings,
    input: &[Vec<f32>; 2],
    block: usize,
) -> [Vec<f32>; 2] {
    let mut limiter = Limiter::new();
    limiter.configure(rate as f32, 2, 512);
    limiter.set_settings(settings);
    limiter.reset();
    let tail = limiter.latency_samples() as usize + 256;
    let mut out = input.clone();
    for c in out.iter_mut() {
        c.resize(c.len() + tail, 0.0);
    }
    let [l, r] = &mut out;
    let block = block.max(1);
    for (a, b) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
        limiter.process(&mut [a, b]);
    }
    out
}

/// Largest true peak of the channels, dBTP, by the 16x reference meter. The channels are
/// measured with 128 samples of silence on each side, so the edges count too.
pub fn true_peak_db(meter: &ReferenceMeter, channels: &[Vec<f32>]) -> f64 {
    channels
        .iter()
        .map(|c| {
            let mut padded = vec![0.0f32; 128];
            padded.extend_from_slice(c);
            padded.extend(std::iter::repeat_n(0.0, 128));
            meter.true_peak_db(&padded)
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The larger true peak of the two meters (16x reference, standard BS.1770-4), dBTP.
pub fn both_meters_db(meter: &ReferenceMeter, rate: f64, channels: &[Vec<f32>]) -> f64 {
    true_peak_db(meter, channels).max(standard_true_peak_db(rate, channels))
}

/// Output true peak over the ceiling on either meter, dB, for the limiter alone.
pub fn limiter_overshoot_db(
    meter: &ReferenceMeter,
    rate: f64,
    settings: &LimiterSettings,
    input: &[Vec<f32>; 2],
) -> f64 {
    let out = limit(rate, settings, input, 512);
    both_meters_db(meter, rate, &out) - settings.ceiling_dbtp as f64
}

fn samples(rate: f64, seconds: f64) -> usize {
    (rate * seconds) as usize
}

/// Scales every channel by the same factor so the largest sample magnitude is `peak`.
pub fn normalised(mut x: [Vec<f32>; 2], peak: f32) -> [Vec<f32>; 2] {
    let max = x.iter().flatten().fold(0.0f32, |m, &s| m.max(s.abs()));
    if max > 0.0 {
        let g = peak / max;
        x.iter_mut().flatten().for_each(|s| *s *= g);
    }
    x
}

/// Noise colours: white, pink-ish and brown-ish.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Colour {
    White,
    Pink,
    Brown,
}

/// Full-scale (sample peak 1) noise of a colour, independent channels. Pink-ish: Paul
/// Kellet's economy three-pole filter (about -3 dB/octave); brown-ish: a leaky integrator
/// (-6 dB/octave above a few Hz).
pub fn coloured_noise(rate: f64, seconds: f64, colour: Colour, seed: u64) -> [Vec<f32>; 2] {
    let n = samples(rate, seconds);
    let mut rng = Rng::new(seed);
    let mut channel = || -> Vec<f32> {
        let (mut b0, mut b1, mut b2) = (0.0f64, 0.0f64, 0.0f64);
        (0..n)
            .map(|_| {
                let w = rng.uniform();
                match colour {
                    Colour::White => w as f32,
                    Colour::Pink => {
                        b0 = 0.99765 * b0 + w * 0.0990460;
                        b1 = 0.96300 * b1 + w * 0.2965164;
                        b2 = 0.57000 * b2 + w * 1.0526913;
                        (b0 + b1 + b2 + w * 0.1848) as f32
                    }
                    Colour::Brown => {
                        b0 = 0.998 * b0 + 0.05 * w;
                        b0 as f32
                    }
                }
            })
            .collect()
    };
    let x = [channel(), channel()];
    normalised(x, 1.0)
}

/// Music-like material (chord, kick, hats) with short full-scale white-noise bursts of
/// `burst_ms` every `every_ms`, peak 1.
pub fn music_with_bursts(
    rate: f64,
    seconds: f64,
    burst_ms: f64,
    every_ms: f64,
    seed: u64,
) -> [Vec<f32>; 2] {
    let mut x = music_like(rate, seconds, seed);
    let mut rng = Rng::new(seed ^ 0x5eed);
    let every = (every_ms * 1e-3 * rate).max(2.0) as usize;
    let burst = (burst_ms * 1e-3 * rate).max(1.0) as usize;
    let offset = rng.range(0, every - 1);
    for c in x.iter_mut() {
        for (i, s) in c.iter_mut().enumerate() {
            if (i + offset) % every < burst {
                *s += rng.uniform() as f32;
            }
        }
    }
    normalised(x, 1.0)
}

/// Naive (aliased) full-scale square waves, `freq_hz` left and 1.37 times it right.
pub fn square(rate: f64, seconds: f64, freq_hz: f64, phase: f64) -> [Vec<f32>; 2] {
    let n = samples(rate, seconds);
    let sq = |f: f64| -> Vec<f32> {
        (0..n)
            .map(|i| {
                if ((i as f64 * f / rate) + phase).fract() < 0.5 {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect()
    };
    [sq(freq_hz), sq(freq_hz * 1.37)]
}

/// Naive (aliased) full-scale sawtooth waves, `freq_hz` left and 1.61 times it right.
pub fn sawtooth(rate: f64, seconds: f64, freq_hz: f64, phase: f64) -> [Vec<f32>; 2] {
    let n = samples(rate, seconds);
    let saw = |f: f64| -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * ((i as f64 * f / rate) + phase).fract() - 1.0) as f32)
            .collect()
    };
    [saw(freq_hz), saw(freq_hz * 1.61)]
}

/// Music-like material pushed `push_db` into a hard clip at full scale (flat tops, square
/// edges), as a loud, already-clipped master is.
pub fn clipped_music(rate: f64, seconds: f64, push_db: f64, seed: u64) -> [Vec<f32>; 2] {
    let mut x = driven(music_like(rate, seconds, seed), push_db);
    x.iter_mut().flatten().for_each(|s| *s = s.clamp(-1.0, 1.0));
    x
}
