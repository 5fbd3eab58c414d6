//! The dispatch itself, and the kernels reachable from here (the multiband split and the
//! compressor bank), at every level this CPU has against the portable build, bit for bit, on
//! hostile input. The other kernels are tested the same way next to their code (they are
//! private to their stage): `eq/tests.rs`, `stereo/tests.rs`, `loudness_match/kweight.rs`,
//! `true_peak/kernels.rs`.

use super::hostile::{BLOCK_LENGTHS, TOTAL, bits32, blocks, signal};
use super::*;
use crate::dsp::compressor::{BANK_SPAN, Compressor, CompressorSettings, process_bank_at};
use crate::dsp::crossover::{CrossoverState, NUM_BANDS, SmoothedCrossover};
use crate::dsp::multiband::{SPAN, split_into};

#[test]
fn detection_is_cached_and_tokens_never_widen() {
    let first = Simd::detected();
    assert_eq!(Simd::detected(), first);
    let levels: Vec<Level> = Simd::available().map(Simd::level).collect();
    assert_eq!(levels.first(), Some(&Level::Portable));
    assert_eq!(levels.last(), Some(&first.level()));
    assert_eq!(Simd::portable().capped(Level::Avx).level(), Level::Portable);
    assert!(Simd::portable().avx().is_none());
    assert_eq!(first.avx().is_some(), first.level() == Level::Avx);
    #[cfg(target_arch = "x86_64")]
    {
        assert!(first.level() >= Level::Sse);
        assert_eq!(
            first.level() == Level::Avx,
            std::arch::is_x86_feature_detected!("avx")
        );
    }
}

#[test]
fn hostile_signal_has_what_it_promises() {
    let x = signal(7, TOTAL);
    assert_eq!(x.len(), TOTAL);
    assert!(x.iter().all(|v| v.is_finite() && v.abs() <= 1.0));
    assert!(x.iter().any(|v| v.is_subnormal()));
    assert!(x.iter().any(|v| v.abs() == 1.0));
    assert!(x.iter().any(|v| *v != 0.0 && v.abs() < 1.0e-5));
    let covered: Vec<usize> = blocks(TOTAL, usize::MAX).iter().map(|r| r.len()).collect();
    for n in BLOCK_LENGTHS {
        assert!(covered.contains(&n), "{n}");
    }
}

/// Bands of a split as bits.
fn band_bits(bands: &[[[f64; 2]; SPAN]; NUM_BANDS]) -> Vec<u64> {
    bands
        .iter()
        .flatten()
        .flatten()
        .map(|v| v.to_bits())
        .collect()
}

#[test]
fn multiband_split_is_bit_identical_at_every_level() {
    let (l, r) = (signal(11, TOTAL), signal(12, TOTAL));
    for (low_mid, mid_high) in [(120.0, 2000.0), (40.0, 15_000.0)] {
        let mut crossover = SmoothedCrossover::new(44_100.0);
        crossover.set_targets(low_mid, mid_high, 44_100.0);
        crossover.finish(44_100.0);
        let coefs = *crossover.coefs();
        let run = |simd: Simd, mono: bool| {
            let mut state = CrossoverState::default();
            let mut out = Vec::new();
            for range in blocks(TOTAL, SPAN) {
                let mut bands = [[[0.0f64; 2]; SPAN]; NUM_BANDS];
                let right = if mono { &[][..] } else { &r[range.clone()] };
                split_into(simd, &mut state, &coefs, &l[range], right, &mut bands);
                out.extend(band_bits(&bands));
            }
            (out, state)
        };
        for mono in [false, true] {
            let reference = run(Simd::portable(), mono);
            for simd in Simd::available() {
                assert!(reference == run(simd, mono), "{simd:?}, mono {mono}");
            }
        }
    }
}

#[test]
fn compressor_bank_is_bit_identical_at_every_level() {
    let levels_in: Vec<[f32; 3]> = {
        let s = [signal(21, TOTAL), signal(22, TOTAL), signal(23, TOTAL)];
        (0..TOTAL)
            .map(|i| [s[0][i].abs(), 4.0 * s[1][i].abs(), 0.01 * s[2][i].abs()])
            .collect()
    };
    let run = |simd: Simd, makeup_moves: bool| {
        let mut bank: [Compressor; 3] = std::array::from_fn(|b| {
            let mut c = Compressor::default();
            c.set_settings(
                &CompressorSettings {
                    threshold_db: -30.0 + 10.0 * b as f32,
                    ratio: 2.0 + 3.0 * b as f32,
                    knee_db: 6.0 * b as f32,
                    ..Default::default()
                },
                48_000.0,
            );
            c.reset();
            c
        });
        let mut out = Vec::new();
        for (k, range) in blocks(TOTAL, BANK_SPAN).into_iter().enumerate() {
            if makeup_moves && k % 7 == 0 {
                for (b, c) in bank.iter_mut().enumerate() {
                    c.set_settings(
                        &CompressorSettings {
                            threshold_db: -30.0 + 10.0 * b as f32,
                            ratio: 2.0 + 3.0 * b as f32,
                            makeup_db: (k % 5) as f32 - 2.0,
                            ..Default::default()
                        },
                        48_000.0,
                    );
                }
            }
            let mut levels = [[0.0f32; BANK_SPAN]; 3];
            for (i, frame) in levels_in[range.clone()].iter().enumerate() {
                for (b, v) in frame.iter().enumerate() {
                    levels[b][i] = *v;
                }
            }
            let gains = process_bank_at(simd, &mut bank, &levels, range.len());
            out.extend(gains.iter().flat_map(|g| bits32(g)));
        }
        // Debug prints every float in round-trip form: equal strings, equal states.
        (out, format!("{bank:?}"))
    };
    for makeup_moves in [false, true] {
        let reference = run(Simd::portable(), makeup_moves);
        for simd in Simd::available() {
            assert!(reference == run(simd, makeup_moves), "{simd:?}");
        }
    }
}
