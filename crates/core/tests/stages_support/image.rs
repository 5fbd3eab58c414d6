//! Stereo-image acceptance: width 0 % is mono, widths act per band, bass mono leaves the
//! side at least 40 dB down below its frequency (measured as noise energy) and keeps mid and
//! side in phase above it.

use super::RATES_HZ;
use super::fft::welch_power;
use super::signals::{Split, noise, render, rms, sine};
use lacquer_core::dsp::stereo::{StereoImage, StereoSettings};

#[test]
fn zero_width_gives_identical_channels() {
    for bass_mono_on in [false, true] {
        let mut st = StereoImage::new();
        st.configure(48_000.0, 2, 512);
        st.set_settings(&StereoSettings {
            band_width_pct: [0.0; 3],
            bass_mono_on,
            ..Default::default()
        });
        st.reset();
        let input = [noise(20_000, 3, 0.5), noise(20_000, 4, 0.5)];
        let out = render(
            &mut st,
            &input,
            Split::Random(5),
            &[],
            |_, _| {},
            |v, c| v.process(c),
        );
        assert_eq!(out[0], out[1]);
        assert!(rms(&out[0]) > 0.1);
    }
}

#[test]
fn band_widths_scale_the_side_of_their_band_only() {
    let sr = 48_000.0;
    let mut st = StereoImage::new();
    st.configure(sr, 2, 512);
    st.set_settings(&StereoSettings {
        band_width_pct: [100.0, 100.0, 200.0],
        ..Default::default()
    });
    st.reset();
    for (freq_hz, expected_db) in [(8000.0, 6.0206), (50.0, 0.0)] {
        let s = sine(freq_hz, 0.25, sr, 96_000);
        let minus: Vec<f32> = s.iter().map(|x| -x).collect();
        let out = render(
            &mut st,
            &[s.clone(), minus],
            Split::Fixed(512),
            &[],
            |_, _| {},
            |v, c| v.process(c),
        );
        let side: Vec<f32> = out[0]
            .iter()
            .zip(&out[1])
            .map(|(l, r)| 0.5 * (l - r))
            .collect();
        let gain_db = 20.0 * (rms(&side[48_000..]) / rms(&s[48_000..])).log10();
        assert!(
            (gain_db - expected_db).abs() < 0.1,
            "{freq_hz} Hz: {gain_db} dB"
        );
    }
}

/// Energy of the bins of `power` (bin width `bin_hz`) from `lo_hz` to `hi_hz`.
fn band_energy(power: &[f64], bin_hz: f64, lo_hz: f64, hi_hz: f64) -> f64 {
    ((lo_hz / bin_hz).ceil() as usize..=(hi_hz / bin_hz) as usize)
        .map(|k| power[k])
        .sum()
}

/// A stereo-image stage at `sample_rate_hz` with bass mono on at `bass_mono_hz`.
fn bass_mono_stage(sample_rate_hz: f32, bass_mono_hz: f32) -> StereoImage {
    let mut st = StereoImage::new();
    st.configure(sample_rate_hz, 2, 512);
    st.set_settings(&StereoSettings {
        bass_mono_on: true,
        bass_mono_hz,
        ..Default::default()
    });
    st.reset();
    st
}

#[test]
fn bass_mono_leaves_the_side_40_db_down_below_its_frequency_and_keeps_it_above() {
    // The acceptance measure: white noise in the side only, side energy of the output in the
    // FFT bins from 20 Hz to f against the input's side energy in the same bins.
    for sr in RATES_HZ {
        // Bins of about 1.5 Hz so 20 Hz .. 40 Hz spans a dozen of them; 15 Welch segments.
        let seg = if sr > 50_000.0 { 1 << 16 } else { 1 << 15 };
        let bin_hz = f64::from(sr) / seg as f64;
        let n = noise(8 * seg, 11, 0.5);
        let input = [n.clone(), n.iter().map(|x| -x).collect()];
        let side_in = welch_power(&n, seg);
        for bass_mono_hz in [40.0f32, 120.0, 300.0] {
            let mut st = bass_mono_stage(sr, bass_mono_hz);
            let out = render(
                &mut st,
                &input,
                Split::Fixed(512),
                &[],
                |_, _| {},
                |v, c| v.process(c),
            );
            // No mid in, no mid out: the right channel is exactly the negated left.
            assert!(out[0].iter().zip(&out[1]).all(|(l, r)| *l == -r));
            let side: Vec<f32> = out[0]
                .iter()
                .zip(&out[1])
                .map(|(l, r)| 0.5 * (l - r))
                .collect();
            let side_out = welch_power(&side, seg);
            let f = f64::from(bass_mono_hz);
            let ratio_db = |lo: f64, hi: f64| {
                10.0 * (band_energy(&side_out, bin_hz, lo, hi)
                    / band_energy(&side_in, bin_hz, lo, hi))
                .log10()
            };
            let below_db = ratio_db(20.0, f);
            assert!(
                below_db <= -40.0,
                "{bass_mono_hz} Hz at {sr}: side 20 Hz..f only {below_db:.1} dB down"
            );
            // Two octaves above and higher, the side is kept (within 0.2 dB).
            let above_db = ratio_db(4.0 * f, 20_000.0);
            assert!(
                above_db.abs() < 0.2,
                "{bass_mono_hz} Hz at {sr}: side above 4f changed by {above_db:.2} dB"
            );
        }
    }
}

#[test]
fn bass_mono_never_changes_the_mid_level() {
    for sr in RATES_HZ {
        let n = noise(1 << 17, 13, 0.5);
        let mut st = bass_mono_stage(sr, 300.0);
        let out = render(
            &mut st,
            &[n.clone(), n.clone()],
            Split::Fixed(512),
            &[],
            |_, _| {},
            |v, c| v.process(c),
        );
        assert_eq!(out[0], out[1], "mono in, mono out");
        let seg = 1 << 13;
        let bin_hz = f64::from(sr) / seg as f64;
        let (p_in, p_out) = (welch_power(&n, seg), welch_power(&out[0], seg));
        for (lo, hi) in [(20.0, 300.0), (300.0, 20_000.0)] {
            let db = 10.0
                * (band_energy(&p_out, bin_hz, lo, hi) / band_energy(&p_in, bin_hz, lo, hi))
                    .log10();
            assert!(
                db.abs() < 0.1,
                "{sr}: mid {lo}..{hi} Hz changed by {db:.2} dB"
            );
        }
    }
}

#[test]
fn bass_mono_keeps_mid_and_side_in_phase_above_its_frequency() {
    // A source panned hard left (M = S) must stay hard left, and a half-right pan must keep
    // its balance: if the mid and side paths disagreed in phase, levels would move and the
    // hard-left source would leak into the right channel. The mono fold-down is the mid.
    let level_db = |x: &[f32], reference: &[f32]| {
        let half = x.len() / 2;
        20.0 * (rms(&x[half..]) / rms(&reference[half..])).log10()
    };
    for sr in RATES_HZ {
        let len = (0.5 * sr) as usize;
        for bass_mono_hz in [40.0f32, 120.0, 300.0] {
            for freq_hz in [4.0 * bass_mono_hz, 10.0 * bass_mono_hz, 5000.0] {
                for right_gain in [0.0f32, 0.5] {
                    let l = sine(freq_hz, 0.5, sr, len);
                    let r: Vec<f32> = l.iter().map(|x| right_gain * x).collect();
                    let mono_in: Vec<f32> = l.iter().zip(&r).map(|(a, b)| 0.5 * (a + b)).collect();
                    let mut st = bass_mono_stage(sr, bass_mono_hz);
                    let out = render(
                        &mut st,
                        &[l.clone(), r.clone()],
                        Split::Fixed(512),
                        &[],
                        |_, _| {},
                        |v, c| v.process(c),
                    );
                    let mono_out: Vec<f32> = out[0]
                        .iter()
                        .zip(&out[1])
                        .map(|(a, b)| 0.5 * (a + b))
                        .collect();
                    let case = format!("{freq_hz} Hz, f {bass_mono_hz}, pan {right_gain}, {sr}");
                    let left_db = level_db(&out[0], &l);
                    assert!(left_db.abs() < 0.1, "{case}: left moved {left_db:.3} dB");
                    let mono_db = level_db(&mono_out, &mono_in);
                    assert!(mono_db.abs() < 0.1, "{case}: mono moved {mono_db:.3} dB");
                    if right_gain > 0.0 {
                        let right_db = level_db(&out[1], &r);
                        assert!(right_db.abs() < 0.1, "{case}: right moved {right_db:.3} dB");
                    } else {
                        let leak_db = level_db(&out[1], &out[0]);
                        assert!(leak_db < -55.0, "{case}: right only {leak_db:.1} dB down");
                    }
                }
            }
        }
    }
}
