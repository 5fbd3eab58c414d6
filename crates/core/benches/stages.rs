//! Throughput of the tone (EQ), dynamics (multiband) and stereo-image stages, each alone and
//! all three in chain order, at 48 kHz stereo in 512-sample blocks with every part active
//! (all EQ bands and a 24 dB/oct high-pass, all three compressors working, per-band widths and
//! bass mono). Criterion reports elements (stereo frames) per second; divide by 48 000 for
//! "x real time".

use lacquer_test_support::bench as common;

use common::music_like;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lacquer_core::dsp::bypass::Bypass;
use lacquer_core::dsp::eq::{EqBand, ToneEq};
use lacquer_core::dsp::macros::{MacroSettings, StagesSettings};
use lacquer_core::dsp::multiband::MultibandCompressor;
use lacquer_core::dsp::stereo::StereoImage;
use std::hint::black_box;

const SAMPLE_RATE_HZ: f32 = 48_000.0;
const BLOCK: usize = 512;

/// Every stage fully active.
fn busy_settings() -> StagesSettings {
    let mut base = StagesSettings::default();
    base.eq.high_pass_on = true;
    base.eq.low_shelf.gain_db = 1.5;
    base.eq.high_shelf.gain_db = -1.0;
    for (band, gain_db) in base.eq.bells.iter_mut().zip([1.0, -2.0, 1.5, -1.0, 2.0]) {
        *band = EqBand { gain_db, ..*band };
    }
    MacroSettings {
        tone: 30.0,
        dynamics_pct: 80.0,
        width_pct: 150.0,
        bass_mono_on: true,
        bass_mono_hz: 120.0,
        programme_lufs: -16.0,
        ..Default::default()
    }
    .apply(&base)
}

fn bench_stages(c: &mut Criterion) {
    let input = music_like(SAMPLE_RATE_HZ);
    let settings = busy_settings();
    let mut eq = ToneEq::new();
    let mut multiband = MultibandCompressor::new();
    let mut stereo = StereoImage::new();
    eq.configure(SAMPLE_RATE_HZ, 2, BLOCK);
    multiband.configure(SAMPLE_RATE_HZ, 2, BLOCK);
    stereo.configure(SAMPLE_RATE_HZ, 2, BLOCK);
    eq.set_settings(&settings.eq);
    multiband.set_settings(&settings.multiband);
    stereo.set_settings(&settings.stereo);
    eq.reset();
    multiband.reset();
    stereo.reset();

    let mut group = c.benchmark_group("stages_48k_stereo");
    group.throughput(Throughput::Elements(input[0].len() as u64));
    let mut l = input[0].clone();
    let mut r = input[1].clone();
    {
        let mut run = |name: &str, which: [bool; 3]| {
            group.bench_function(name, |b| {
                b.iter(|| {
                    l.copy_from_slice(&input[0]);
                    r.copy_from_slice(&input[1]);
                    for (lc, rc) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
                        let block = &mut [lc, rc];
                        if which[0] {
                            eq.process(block);
                        }
                        if which[1] {
                            multiband.process(block);
                        }
                        if which[2] {
                            stereo.process(block);
                        }
                    }
                    black_box(&l);
                })
            });
        };
        run("eq", [true, false, false]);
        run("multiband", [false, true, false]);
        run("stereo", [false, false, true]);
        run("all_three", [true, true, true]);
    }

    // A lighter, more typical setting for comparison: tilt, two bells, a 12 dB/oct high-pass,
    // moderate glue and width, no bass mono.
    let mut typical = StagesSettings::default();
    typical.eq.high_pass_on = true;
    typical.eq.high_pass_db_per_oct = 12.0;
    typical.eq.bells[1].gain_db = -1.5;
    typical.eq.bells[3].gain_db = 1.0;
    let typical = MacroSettings {
        tone: 20.0,
        dynamics_pct: 40.0,
        width_pct: 120.0,
        programme_lufs: -16.0,
        ..Default::default()
    }
    .apply(&typical);
    eq.set_settings(&typical.eq);
    multiband.set_settings(&typical.multiband);
    stereo.set_settings(&typical.stereo);
    eq.reset();
    multiband.reset();
    stereo.reset();
    group.bench_function("all_three_typical", |b| {
        b.iter(|| {
            l.copy_from_slice(&input[0]);
            r.copy_from_slice(&input[1]);
            for (lc, rc) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
                let block = &mut [lc, rc];
                eq.process(block);
                multiband.process(block);
                stereo.process(block);
            }
            black_box(&l);
        })
    });

    // The bypass mix while not bypassed, Match Loudness on (the chain's default): the dry
    // delay and the loudness measurement of dry and processed.
    let mut bypass = Bypass::default();
    bypass.configure(SAMPLE_RATE_HZ, 2, BLOCK, 1024);
    bypass.set_latency_samples(150);
    bypass.set_match_loudness(true);
    bypass.reset();
    let mut dry_l = input[0].clone();
    let mut dry_r = input[1].clone();
    group.bench_function("bypass_mix_matching", |b| {
        b.iter(|| {
            l.copy_from_slice(&input[0]);
            r.copy_from_slice(&input[1]);
            for (((lc, rc), dl), dr) in l
                .chunks_mut(BLOCK)
                .zip(r.chunks_mut(BLOCK))
                .zip(dry_l.chunks_mut(BLOCK))
                .zip(dry_r.chunks_mut(BLOCK))
            {
                bypass.capture_dry(&[dl, dr]);
                bypass.mix(&mut [lc, rc]);
            }
            black_box(&l);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_stages);
criterion_main!(benches);
