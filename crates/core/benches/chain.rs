//! Whole-chain throughput at 44.1/48/96 kHz stereo in 512-sample blocks, on a music-like
//! signal driven into the limiter. Criterion reports elements (stereo frames) per second;
//! divide by the sample rate for "x real time".

use lacquer_test_support::bench as common;

use common::music_like;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lacquer_core::chain::{ChainSettings, MasteringChain};
use lacquer_core::dsp::macros::MacroSettings;
use std::hint::black_box;

const BLOCK: usize = 512;

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
            ("all_stages_resonance", {
                let mut s = all_active();
                s.resonance.amount_pct = 100.0;
                s
            }),
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
