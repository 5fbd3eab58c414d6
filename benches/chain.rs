//! Whole-chain throughput at 44.1/48/96 kHz stereo in 512-sample blocks, on a music-like
//! signal driven into the limiter. Criterion reports elements (stereo frames) per second;
//! divide by the sample rate for "x real time".

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lacquer::chain::{ChainSettings, MasteringChain};
use lacquer::dsp::macros::MacroSettings;
use std::hint::black_box;

const BLOCK: usize = 512;

/// One second of a deterministic music-like stereo signal: a few harmonics, a bass line and
/// a noise hat, around -12 dBFS.
fn music_like(sample_rate_hz: f32) -> [Vec<f32>; 2] {
    let n = sample_rate_hz as usize;
    let mut seed = 0x1234_5678u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let tau = std::f32::consts::TAU;
    let mut l = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f32 / sample_rate_hz;
        let beat = (t * 2.0).fract();
        let bass = 0.3 * (tau * 55.0 * t).sin() * (1.0 - beat).powi(2);
        let chord =
            0.08 * ((tau * 220.0 * t).sin() + (tau * 277.2 * t).sin() + (tau * 329.6 * t).sin());
        let hat = 0.05 * noise() * (1.0 - (t * 8.0).fract()).powi(8);
        l.push(bass + chord + hat);
        r.push(bass + 0.9 * chord - hat);
    }
    [l, r]
}

/// Every stage doing work: EQ bands and tilt, multiband compression, width and bass mono,
/// the limiter driven into gain reduction.
fn all_active() -> ChainSettings {
    let mut settings = ChainSettings {
        drive_db: 8.0,
        macros: MacroSettings {
            tone: 30.0,
            dynamics_pct: 70.0,
            width_pct: 130.0,
            bass_mono_on: true,
            bass_mono_hz: 100.0,
            ..Default::default()
        },
        ..Default::default()
    };
    settings.stages.eq.high_pass_on = true;
    for (band, gain_db) in settings
        .stages
        .eq
        .bells
        .iter_mut()
        .zip([1.0, -2.0, 1.0, -1.5, 2.0])
    {
        band.gain_db = gain_db;
    }
    settings.stages.eq.low_shelf.gain_db = 1.0;
    settings.stages.eq.high_shelf.gain_db = 1.5;
    settings
}

fn bench_chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("chain");
    for sample_rate_hz in [44_100.0f32, 48_000.0, 96_000.0] {
        for (label, settings) in [
            (
                "limiter_only",
                ChainSettings {
                    drive_db: 8.0,
                    ..Default::default()
                },
            ),
            ("all_stages", all_active()),
        ] {
            let input = music_like(sample_rate_hz);
            let mut chain = MasteringChain::new();
            chain.configure(sample_rate_hz, 2, BLOCK);
            chain.set_settings_immediately(&settings);
            let mut l = input[0].clone();
            let mut r = input[1].clone();
            group.throughput(Throughput::Elements(l.len() as u64));
            group.bench_function(
                format!("{label}_{}k_stereo", sample_rate_hz / 1000.0),
                |b| {
                    b.iter(|| {
                        l.copy_from_slice(&input[0]);
                        r.copy_from_slice(&input[1]);
                        for (lc, rc) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
                            chain.process(&mut [lc, rc]);
                        }
                        black_box(&l);
                    })
                },
            );
        }
    }
    group.finish();
}

criterion_group!(benches, bench_chain);
criterion_main!(benches);
