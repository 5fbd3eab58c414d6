//! The limiter stage alone at 44.1/48/96 kHz stereo in 512-sample blocks.
//!
//! Input: one second of music-like stereo material (bass line, chord, kick, noise hats) driven
//! so its peaks sit 6 dB over the -1 dBTP ceiling (a few dB of gain reduction, as in
//! mastering), plus, at 48 kHz, the same material driven 20 dB (limiting all the time).
//! Criterion reports elements per second with one element per sample frame (a sample of each
//! channel): "x real time" is that rate divided by the sample rate. The input is copied back
//! outside the timed part, so only `Limiter::process` is measured.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lacquer_core::dsp::limiter::{Limiter, LimiterSettings};
use std::hint::black_box;

const BLOCK: usize = 512;

/// One second of deterministic music-like stereo material peaking near 0 dBFS.
fn music_like(sample_rate_hz: f32) -> [Vec<f32>; 2] {
    let n = sample_rate_hz as usize;
    let mut seed = 0x2545_f491u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let tau = std::f32::consts::TAU;
    let mut l = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    let mut kick_phase = 0.0f32;
    for i in 0..n {
        let t = i as f32 / sample_rate_hz;
        let beat = (t * 2.0).fract();
        let kick_freq = 45.0 + 60.0 * (-beat / 0.03).exp();
        kick_phase = (kick_phase + tau * kick_freq / sample_rate_hz).rem_euclid(tau);
        let kick = 0.45 * (-beat / 0.12).exp() * kick_phase.sin();
        let bass = 0.2 * (tau * 55.0 * t).sin();
        let chord = 0.07
            * ((tau * 220.0 * t).sin()
                + (tau * 277.2 * t).sin()
                + (tau * 329.6 * t).sin()
                + 0.5 * (tau * 1318.5 * t).sin());
        let hat = 0.15 * noise() * (1.0 - (t * 8.0).fract()).powi(6);
        l.push(kick + bass + chord + hat);
        r.push(kick + bass + 0.9 * chord - hat);
    }
    [l, r]
}

/// Scales the material so its sample peak is `peak_db` dBFS.
fn with_peak(mut x: [Vec<f32>; 2], peak_db: f32) -> [Vec<f32>; 2] {
    let peak = x.iter().flatten().fold(0.0f32, |m, &s| m.max(s.abs()));
    let gain = 10f32.powf(peak_db / 20.0) / peak;
    x.iter_mut().flatten().for_each(|s| *s *= gain);
    x
}

fn bench_limiter(c: &mut Criterion) {
    let mut group = c.benchmark_group("limiter");
    let cases = [
        (44_100.0f32, 5.0f32, "music"),
        (48_000.0, 5.0, "music"),
        (96_000.0, 5.0, "music"),
        (48_000.0, 19.0, "dense"),
    ];
    for (sample_rate_hz, peak_db, what) in cases {
        let input = with_peak(music_like(sample_rate_hz), peak_db);
        let mut limiter = Limiter::new();
        limiter.configure(sample_rate_hz, 2, BLOCK);
        limiter.set_settings(&LimiterSettings::default());
        group.throughput(Throughput::Elements(input[0].len() as u64));
        let name = format!("{}k_stereo_{what}", sample_rate_hz / 1000.0);
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || input.clone(),
                |[l, r]| {
                    for (lc, rc) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
                        limiter.process(&mut [lc, rc]);
                    }
                    black_box(&l);
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_limiter);
criterion_main!(benches);
