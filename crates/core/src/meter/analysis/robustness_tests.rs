//! Robustness of the whole-file analysis: non-finite and subnormal input, rate range, loud-part
//! correlation.

use super::*;
use std::f64::consts::PI;

fn sine_at(sr: u32, amplitude_dbfs: f64, freq_hz: f64, seconds: f64) -> Vec<f32> {
    let amp = 10f64.powf(amplitude_dbfs / 20.0);
    (0..(seconds * f64::from(sr)) as usize)
        .map(|i| (amp * (2.0 * PI * freq_hz * i as f64 / f64::from(sr)).sin()) as f32)
        .collect()
}

#[test]
fn non_finite_samples_are_measured_as_zero_and_counted() {
    let clean = sine_at(48_000, -20.0, 1000.0, 5.0);
    let mut dirty = clean.clone();
    for i in [10, 4_800, 100_000, 200_000] {
        dirty[i] = f32::NAN;
    }
    dirty[150_000] = f32::INFINITY;
    let right = dirty.clone();
    let a = analyze(&[&dirty, &right], 48_000).unwrap();
    assert_eq!(a.non_finite_samples, 10);
    // Five zeroed samples out of 240 000 move nothing visibly.
    let i = a.integrated_lufs.expect("loudness of the finite samples");
    assert!((i + 20.0).abs() < 0.05, "I {i}");
    assert!(a.momentary_max_lufs.is_some() && a.true_peak_dbtp.is_some());
    assert!((a.correlation.unwrap() - 1.0).abs() < 1e-9);
    let plain = analyze(&[&clean, &clean], 48_000).unwrap();
    assert_eq!(plain.non_finite_samples, 0);
}

#[test]
fn subnormal_input_measures_as_silence() {
    let tiny: Vec<f32> = (0..48_000 * 4)
        .map(|i| if i % 2 == 0 { 1.0e-40 } else { -3.0e-41 })
        .collect();
    let zero = vec![0.0f32; tiny.len()];
    assert_eq!(
        analyze(&[&tiny, &tiny], 48_000).unwrap(),
        analyze(&[&zero, &zero], 48_000).unwrap()
    );
}

#[test]
fn rates_outside_the_meters_range_are_refused_and_inside_read_right() {
    for sr in [1u32, 1_000, 7_999, 384_001, 4_000_000_000] {
        let s = vec![0.1f32; 1000];
        assert_eq!(
            analyze(&[&s, &s], sr),
            Err(AnalysisError::UnsupportedRate(sr)),
            "{sr} Hz"
        );
    }
    // The calibration tone reads -20 LUFS (and dBTP) at the range's ends and within.
    for sr in [8_000u32, 22_050, 44_100, 384_000] {
        let s = sine_at(sr, -20.0, 1000.0, 4.0);
        let a = analyze(&[&s, &s], sr).unwrap();
        for v in [
            a.integrated_lufs,
            a.momentary_max_lufs,
            a.short_term_max_lufs,
        ] {
            let v = v.unwrap();
            assert!((v + 20.0).abs() < 0.05, "{sr} Hz: {v}");
        }
        let tp = a.true_peak_dbtp.unwrap();
        assert!((tp + 20.0).abs() < 0.05, "{sr} Hz: TP {tp}");
    }
}

#[test]
fn loud_correlation_sees_an_inverted_channel_through_quiet_parts() {
    let sr = 48_000;
    let music = sine_at(sr, -12.0, 220.0, 6.0);
    let inverted: Vec<f32> = music.iter().map(|x| -0.7 * x).collect();
    let a = analyze(&[&music, &inverted], sr).unwrap();
    assert!(a.loud_correlation.unwrap() < -0.999);
    assert!(a.polarity_inverted());
    // A loud in-phase part with a quiet inverted tail: the loud part decides.
    let (mut l, mut r) = (music.clone(), music.clone());
    let tail = music.len() - sr as usize;
    for (x, y) in l[tail..].iter_mut().zip(&mut r[tail..]) {
        *x *= 0.001;
        *y *= -0.001;
    }
    let a = analyze(&[&l, &r], sr).unwrap();
    assert!(a.loud_correlation.unwrap() > 0.99);
    assert!(!a.polarity_inverted());
    // Decorrelated channels (sine and cosine) read 0, far from inverted.
    let cos: Vec<f32> = (0..music.len())
        .map(|i| (0.25 * (2.0 * PI * 220.0 * i as f64 / f64::from(sr)).cos()) as f32)
        .collect();
    let a = analyze(&[&music, &cos], sr).unwrap();
    assert!(a.loud_correlation.unwrap().abs() < 0.01);
    assert!(analyze(&[&music], sr).unwrap().loud_correlation.is_none());
}
