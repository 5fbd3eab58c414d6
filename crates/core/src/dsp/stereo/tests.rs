//! Unit tests of the stereo-image stage.

use super::*;

fn stereo_noise(len: usize) -> (Vec<f32>, Vec<f32>) {
    let mut seed = 0x9E37_79B9u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32) - 0.5
    };
    (0..len).map(|_| (next(), next())).unzip()
}

#[test]
fn neutral_is_bit_transparent_and_mono_passes() {
    let mut st = StereoImage::new();
    let (l0, r0) = stereo_noise(3000);
    let (mut l, mut r) = (l0.clone(), r0.clone());
    st.process(&mut [&mut l, &mut r]);
    assert_eq!((l, r), (l0.clone(), r0));
    st.set_settings(&StereoSettings {
        band_width_pct: [0.0; NUM_BANDS],
        ..Default::default()
    });
    let mut m = l0.clone();
    st.process(&mut [&mut m]);
    assert_eq!(m, l0);
}

#[test]
fn zero_width_gives_identical_channels() {
    let mut st = StereoImage::new();
    st.set_settings(&StereoSettings {
        band_width_pct: [0.0; NUM_BANDS],
        bass_mono_on: true,
        ..Default::default()
    });
    st.reset();
    let (mut l, mut r) = stereo_noise(10_000);
    st.process(&mut [&mut l, &mut r]);
    assert_eq!(l, r);
    assert!(l.iter().any(|&x| x.abs() > 0.1));
}

#[test]
fn bass_mono_frequency_is_where_the_side_high_pass_reaches_minus_40_db() {
    for sr in [44_100.0, 48_000.0, 96_000.0] {
        for k in 0..=26 {
            let f = 40.0 + 10.0 * k as f32;
            let settings = StereoSettings {
                bass_mono_on: true,
                bass_mono_hz: f,
                ..Default::default()
            };
            let c = Lr8Coefs::new(f64::from(settings.side_high_pass_corner_hz()), sr);
            let f = f64::from(f);
            let at_f_db = c.high_pass_response(f, sr).db();
            assert!(at_f_db <= -40.0, "{f} Hz at {sr}: {at_f_db:.2} dB");
            // The analog prototype gives 1 / (1 + 1.8^8) = -40.9 dB; the bilinear
            // transform only adds attenuation below the corner, by little at 300 Hz.
            assert!(at_f_db > -41.5, "{f} Hz at {sr}: {at_f_db:.2} dB");
            let below_db = c.high_pass_response(0.5 * f, sr).db();
            assert!(
                below_db < at_f_db - 47.0,
                "an octave below: {below_db:.1} dB"
            );
            let above_db = c.high_pass_response(4.0 * f, sr).db();
            assert!(above_db.abs() < 0.02, "4 f: {above_db:.4} dB");
        }
    }
    let off = StereoSettings::default();
    let parked = Lr8Coefs::new(f64::from(off.side_high_pass_corner_hz()), 44_100.0);
    assert!(parked.high_pass_response(20.0, 44_100.0).db().abs() < 0.04);
}

#[test]
fn returning_to_neutral_switches_the_split_out() {
    let mut st = StereoImage::new();
    st.set_settings(&StereoSettings {
        band_width_pct: [50.0, 150.0, 180.0],
        ..Default::default()
    });
    let (mut l, mut r) = stereo_noise(4800);
    st.process(&mut [&mut l, &mut r]);
    assert!(!st.is_transparent());
    st.set_settings(&StereoSettings::default());
    let (mut l, mut r) = stereo_noise(4800);
    st.process(&mut [&mut l, &mut r]);
    assert!(st.is_transparent());
    let (l0, r0) = stereo_noise(1000);
    let (mut l, mut r) = (l0.clone(), r0.clone());
    st.process(&mut [&mut l, &mut r]);
    assert_eq!((l, r), (l0, r0));
}

#[test]
fn pipelined_path_matches_the_span_path_bit_for_bit() {
    // Uneven widths and bass mono, at rest: the fast path runs; the reference runs the
    // tick-and-span path on an identical copy. Odd block lengths move the tick boundaries,
    // and tiny values planted in every filter memory check the denormal flush.
    let mut fast = StereoImage::new();
    fast.set_settings(&StereoSettings {
        band_width_pct: [40.0, 130.0, 175.0],
        bass_mono_on: true,
        bass_mono_hz: 90.0,
        ..Default::default()
    });
    fast.reset();
    assert!(fast.is_static());
    if fast.simd.avx().is_none() {
        return;
    }
    let mut reference = fast.clone();
    let (l0, r0) = stereo_noise(2000);
    let mut at = 0;
    for (k, len) in [1usize, 5, 16, 37, 512, 3, 100, 7, 700]
        .into_iter()
        .enumerate()
    {
        if k == 5 {
            for f in fast.filters.iter_mut().chain(reference.filters.iter_mut()) {
                let (s1, s2) = f.parts();
                *f = LaneState::from_parts([1e-35, s1[1]], [s2[0], -2e-31]);
            }
        }
        let (mut fl, mut fr) = (l0[at..at + len].to_vec(), r0[at..at + len].to_vec());
        let (mut rl, mut rr) = (fl.clone(), fr.clone());
        fast.process(&mut [&mut fl, &mut fr]);
        reference.process_spans(&mut rl, &mut rr, len);
        assert_eq!((&fl, &fr), (&rl, &rr), "block {k} of {len}");
        assert_eq!(fast.filters, reference.filters, "block {k} of {len}");
        assert_ne!(fl, l0[at..at + len], "the stage must be doing something");
        assert_eq!(fast.clock, reference.clock);
        at += len;
    }
}

#[test]
fn every_simd_level_matches_the_portable_span_path_bit_for_bit_on_hostile_input() {
    use crate::dsp::simd::Simd;
    use crate::dsp::simd::hostile::{TOTAL, bits32, blocks, signal};
    let (l0, r0) = (signal(51, TOTAL), signal(52, TOTAL));
    for settings in [
        StereoSettings {
            band_width_pct: [0.0, 200.0, 130.0],
            bass_mono_on: true,
            bass_mono_hz: 300.0,
            ..Default::default()
        },
        StereoSettings {
            band_width_pct: [100.0, 60.0, 200.0],
            bass_mono_on: false,
            ..Default::default()
        },
    ] {
        let mut stage = StereoImage::new();
        stage.set_settings(&settings);
        stage.reset();
        let run = |simd: Simd| {
            let mut st = stage.clone();
            st.simd = simd;
            let (mut l, mut r) = (l0.clone(), r0.clone());
            for range in blocks(TOTAL, usize::MAX) {
                assert!(st.is_static());
                st.process(&mut [&mut l[range.clone()], &mut r[range.clone()]]);
            }
            (bits32(&l), bits32(&r), st.filters, st.clock)
        };
        let reference = run(Simd::portable());
        assert_ne!(
            reference.0,
            bits32(&l0),
            "the stage must be doing something"
        );
        for simd in Simd::available() {
            assert!(reference == run(simd), "{simd:?}");
        }
    }
}
