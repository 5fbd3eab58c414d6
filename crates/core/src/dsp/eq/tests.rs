//! Unit tests of the tonal EQ.

use super::*;

const SR: f32 = 48_000.0;

fn sine(freq_hz: f32, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| 0.25 * (std::f32::consts::TAU * freq_hz * i as f32 / SR).sin())
        .collect()
}

#[test]
fn default_is_neutral_and_bit_transparent() {
    assert!(EqSettings::default().is_neutral());
    let mut eq = ToneEq::new();
    let input = sine(440.0, 3000);
    let mut out = input.clone();
    eq.process(&mut [&mut out]);
    assert_eq!(out, input);
}

#[test]
fn tilt_pivots_at_one_kilohertz_and_reaches_its_ends() {
    let s = EqSettings {
        tilt_db: 3.0,
        ..Default::default()
    };
    assert!(s.response_db(TILT_PIVOT_HZ, SR).abs() < 1e-4);
    // Within 0.5 dB of the nominal +-3 dB at the ends of the audio band.
    assert!(
        (s.response_db(20.0, SR) + 3.0).abs() < 0.5,
        "{}",
        s.response_db(20.0, SR)
    );
    assert!((s.response_db(20_000.0, SR) - 3.0).abs() < 0.5);
    // Monotonic rise from bottom to top.
    let mut last = f32::NEG_INFINITY;
    for k in 0..=30 {
        let f = 20.0 * 1000f32.powf(k as f32 / 30.0);
        let db = s.response_db(f, SR);
        assert!(db > last);
        last = db;
    }
}

#[test]
fn high_pass_slope_follows_the_setting() {
    for (slope, expected_db_per_oct) in [(12.0, 12.0), (24.0, 24.0), (48.0, 48.0)] {
        let s = EqSettings {
            high_pass_on: true,
            high_pass_hz: 40.0,
            high_pass_db_per_oct: slope,
            ..Default::default()
        };
        // Far below the corner a Butterworth high-pass falls by the nominal slope.
        let octave = s.response_db(2.5, SR) - s.response_db(1.25, SR);
        assert!(
            (octave - expected_db_per_oct).abs() < 0.5,
            "{slope}: {octave}"
        );
        assert!((s.response_db(40.0, SR) + 3.01).abs() < 0.02);
    }
}

#[test]
fn band_returning_to_zero_becomes_transparent_again() {
    let mut eq = ToneEq::new();
    eq.configure(SR, 1, 512);
    let mut s = EqSettings::default();
    s.bells[2].gain_db = 6.0;
    eq.set_settings(&s);
    let mut warm = sine(440.0, 4800);
    eq.process(&mut [&mut warm]);
    assert!(!eq.is_transparent());
    eq.set_settings(&EqSettings::default());
    let mut tail = sine(440.0, 48_000);
    eq.process(&mut [&mut tail]);
    assert!(eq.is_transparent());
    let input = sine(440.0, 1000);
    let mut out = input.clone();
    eq.process(&mut [&mut out]);
    assert_eq!(out, input);
}

#[test]
fn moving_unused_bands_leaves_the_eq_bit_transparent() {
    let mut eq = ToneEq::new();
    let input = sine(440.0, 2000);
    let mut s = EqSettings::default();
    for k in 0..20 {
        s.bells[k % NUM_BELLS].freq_hz = 100.0 + 400.0 * k as f32;
        s.high_shelf.q = 0.5 + 0.1 * k as f32;
        s.high_pass_hz = 20.0 + k as f32;
        s.high_pass_db_per_oct = 12.0 * (1 + k % 4) as f32;
        eq.set_settings(&s);
        assert!(eq.is_transparent(), "step {k}: no band needs processing");
        let mut out = input.clone();
        eq.process(&mut [&mut out]);
        assert_eq!(out, input);
    }
}

#[test]
fn non_finite_settings_do_not_reach_the_audio() {
    let mut eq = ToneEq::new();
    let mut s = EqSettings {
        tilt_db: f32::NAN,
        ..Default::default()
    };
    s.bells[0] = EqBand {
        freq_hz: f32::INFINITY,
        gain_db: 3.0,
        q: f32::NAN,
    };
    eq.set_settings(&s);
    let mut x = sine(100.0, 2000);
    eq.process(&mut [&mut x]);
    assert!(x.iter().all(|v| v.is_finite()));
}

#[test]
fn pipelined_path_matches_the_span_path_bit_for_bit() {
    // Every band in use and at rest: the fast path runs; the reference runs the
    // tick-and-span path on an identical copy. Odd block lengths move the tick boundaries.
    let mut settings = EqSettings {
        high_pass_on: true,
        high_pass_db_per_oct: 48.0,
        tilt_db: 1.5,
        ..Default::default()
    };
    for (k, b) in settings.bells.iter_mut().enumerate() {
        b.gain_db = 2.0 - k as f32;
    }
    settings.bells[2].gain_db = 0.0; // an idle band in the middle
    settings.low_shelf.gain_db = -3.0;
    settings.high_shelf.gain_db = 2.5;
    let mut fast = ToneEq::new();
    fast.set_settings(&settings);
    fast.reset();
    let mut reference = fast.clone();
    assert!(fast.is_static());
    let mut seed = 0x2468_ace1u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32) - 0.5
    };
    let mut checked = 0;
    for len in [1usize, 5, 16, 37, 512, 3, 100] {
        let l: Vec<f32> = (0..len).map(|_| noise()).collect();
        let r: Vec<f32> = (0..len).map(|_| 0.5 * noise()).collect();
        let (mut fl, mut fr) = (l.clone(), r.clone());
        fast.process(&mut [&mut fl, &mut fr]);
        let (mut rl, mut rr) = (l.clone(), r.clone());
        reference.process_spans(&mut [&mut rl, &mut rr], len);
        assert_eq!((&fl, &fr), (&rl, &rr), "block of {len}");
        assert_ne!(fl, l, "the EQ must be doing something");
        checked += len;
    }
    assert_eq!(fast.clock, reference.clock);
    assert!(checked > 600);
}

/// Settings with every band active and at rest.
fn all_bands_settings() -> EqSettings {
    let mut settings = EqSettings {
        high_pass_on: true,
        high_pass_db_per_oct: 48.0,
        high_pass_hz: 60.0,
        tilt_db: -2.5,
        ..Default::default()
    };
    for (k, b) in settings.bells.iter_mut().enumerate() {
        b.gain_db = 6.0 - 3.0 * k as f32;
    }
    settings.low_shelf.gain_db = 4.0;
    settings.high_shelf.gain_db = -6.0;
    settings
}

#[test]
fn every_simd_kernel_matches_the_portable_pipeline_bit_for_bit_on_hostile_input() {
    use crate::dsp::simd::Simd;
    use crate::dsp::simd::hostile::{TOTAL, bits32, blocks, signal};
    let mut eq = ToneEq::new();
    eq.set_settings(&all_bands_settings());
    eq.reset();
    let active: Vec<(LaneCoefs, LaneState)> = eq
        .bands
        .iter()
        .filter(|b| !b.idle)
        .map(|b| (b.lane_coefs, b.state))
        .collect();
    assert!(active.len() >= 12, "{}", active.len());
    let (l0, r0) = (signal(31, TOTAL), signal(32, TOTAL));
    // The array kernel at a level, or (`registers`) the AVX register kernel.
    let run = |simd: Simd, registers: bool, depth: usize, clock0: usize| {
        let mut pipe = Pipeline::default();
        for (j, (c, s)) in active.iter().take(depth).enumerate() {
            pipe.load(j, c, s);
        }
        let (mut l, mut r) = (l0.clone(), r0.clone());
        let mut clock = clock0;
        for range in blocks(TOTAL, usize::MAX) {
            let (bl, br) = (&mut l[range.clone()], &mut r[range.clone()]);
            if registers {
                #[cfg(target_arch = "x86_64")]
                if let Some(avx) = simd.avx() {
                    assert!(avx_pipeline::run_depth(
                        avx, &mut pipe, bl, br, depth, clock
                    ));
                }
            } else {
                pipe.run(simd, bl, br, depth, clock);
            }
            clock = (clock + range.len()) % UPDATE_INTERVAL_SAMPLES;
        }
        let state: Vec<u64> = pipe
            .s1
            .iter()
            .chain(&pipe.s2)
            .map(|v| v.to_bits())
            .collect();
        (bits32(&l), bits32(&r), state)
    };
    for depth in 1..=active.len() {
        for clock in [0, 13] {
            let reference = run(Simd::portable(), false, depth, clock);
            assert_ne!(
                reference.0,
                bits32(&l0),
                "depth {depth}: the EQ must filter"
            );
            for simd in Simd::available() {
                assert!(
                    reference == run(simd, false, depth, clock),
                    "{simd:?} {depth}"
                );
                if simd.avx().is_some() {
                    assert!(reference == run(simd, true, depth, clock), "AVX {depth}");
                }
            }
        }
    }
}

#[test]
fn the_stage_at_every_simd_level_matches_the_span_path_on_hostile_input() {
    use crate::dsp::simd::Simd;
    use crate::dsp::simd::hostile::{TOTAL, bits32, blocks, signal};
    let (l0, r0) = (signal(41, TOTAL), signal(42, TOTAL));
    let mut reference = ToneEq::new();
    reference.set_settings(&all_bands_settings());
    reference.reset();
    for simd in Simd::available() {
        let mut fast = reference.clone();
        fast.simd = simd;
        let mut spans = reference.clone();
        let (mut fl, mut fr) = (l0.clone(), r0.clone());
        let (mut sl, mut sr) = (l0.clone(), r0.clone());
        for range in blocks(TOTAL, usize::MAX) {
            assert!(fast.is_static());
            fast.process(&mut [&mut fl[range.clone()], &mut fr[range.clone()]]);
            spans.process_spans(
                &mut [&mut sl[range.clone()], &mut sr[range.clone()]],
                range.len(),
            );
        }
        assert_eq!(
            (bits32(&fl), bits32(&fr)),
            (bits32(&sl), bits32(&sr)),
            "{simd:?}"
        );
        assert_eq!(fast.clock, spans.clock);
    }
}
