//! Tests of the whole-file analysis: calibration, silence, mono, windowed maxima, errors.

use super::*;
use std::f64::consts::PI;

const SR: u32 = 48_000;

fn sine(amplitude_dbfs: f64, freq_hz: f64, seconds: f64) -> Vec<f32> {
    let amp = 10f64.powf(amplitude_dbfs / 20.0);
    let n = (seconds * f64::from(SR)) as usize;
    (0..n)
        .map(|i| (amp * (2.0 * PI * freq_hz * i as f64 / f64::from(SR)).sin()) as f32)
        .collect()
}

#[test]
fn reference_sine_reads_minus_23_everywhere() {
    // BS.1770 calibration: a 1 kHz stereo sine at -23 dBFS peak reads -23 LUFS.
    let s = sine(-23.0, 1000.0, 10.0);
    let a = analyze(&[&s, &s], SR).unwrap();
    for (name, v) in [
        ("I", a.integrated_lufs),
        ("M max", a.momentary_max_lufs),
        ("S max", a.short_term_max_lufs),
    ] {
        let v = v.unwrap();
        assert!((v + 23.0).abs() < 0.1, "{name} = {v}");
    }
    let tp = a.true_peak_dbtp.unwrap();
    assert!((tp + 23.0).abs() < 0.1, "TP {tp}");
    let sp = a.sample_peak_dbfs.unwrap();
    assert!((sp + 23.0).abs() < 0.01, "sample peak {sp}");
    // A steady tone has no loudness range and a PLR near 0 dB.
    assert!(a.loudness_range_lu.unwrap().abs() < 0.1);
    assert!(a.plr_db.unwrap().abs() < 0.2);
    assert!((a.correlation.unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(a.channels, 2);
    assert_eq!(a.sample_rate_hz, SR);
    assert!((a.duration_s - 10.0).abs() < 1e-9);
}

#[test]
fn silence_has_no_loudness_and_no_peaks() {
    let z = vec![0.0f32; SR as usize * 5];
    let a = analyze(&[&z, &z], SR).unwrap();
    assert_eq!(a.integrated_lufs, None);
    assert_eq!(a.loudness_range_lu, None);
    assert_eq!(a.true_peak_dbtp, None);
    assert_eq!(a.sample_peak_dbfs, None);
    assert_eq!(a.momentary_max_lufs, None);
    assert_eq!(a.plr_db, None);
    assert_eq!(a.correlation, None);
}

#[test]
fn mono_has_no_correlation_but_is_measured() {
    let s = sine(-20.0, 1000.0, 4.0);
    let a = analyze(&[&s], SR).unwrap();
    assert_eq!(a.correlation, None);
    assert_eq!(a.channels, 1);
    // One channel carries half the power of two: 3 dB less than the stereo reading.
    let i = a.integrated_lufs.unwrap();
    assert!((i + 23.01).abs() < 0.1, "mono I = {i}");
}

#[test]
fn window_maxima_need_enough_audio() {
    let short = sine(-20.0, 1000.0, 0.39);
    let a = analyze(&[&short, &short], SR).unwrap();
    assert_eq!(a.momentary_max_lufs, None);
    assert_eq!(a.short_term_max_lufs, None);
    let medium = sine(-20.0, 1000.0, 1.0);
    let a = analyze(&[&medium, &medium], SR).unwrap();
    assert!(a.momentary_max_lufs.is_some());
    assert_eq!(a.short_term_max_lufs, None);
    assert_eq!(a.loudness_range_lu, None);
}

#[test]
fn correlation_follows_polarity_and_independence() {
    let s = sine(-20.0, 440.0, 1.0);
    let inverted: Vec<f32> = s.iter().map(|x| -x).collect();
    let quadrature: Vec<f32> = (0..s.len())
        .map(|i| (0.1 * (2.0 * PI * 440.0 * i as f64 / f64::from(SR)).cos()) as f32)
        .collect();
    assert!((pearson(&s, &inverted).unwrap() + 1.0).abs() < 1e-9);
    // sin and cos over whole cycles are uncorrelated (440 Hz * 1 s = 440 cycles).
    assert!(pearson(&s, &quadrature).unwrap().abs() < 1e-3);
    assert_eq!(pearson(&s, &vec![0.25; s.len()]), None);
}

#[test]
fn windowed_maxima_equal_direct_ebur128_reads() {
    // Bursts of varying length and level, plus a partial final 10 ms step (the length is
    // not a multiple of 10 ms), at two rates that take the fast path.
    for sr in [48_000u32, 44_100] {
        let n = (f64::from(sr) * 7.3) as usize + 17;
        let mut state = 0x1234_5678u32;
        let mut noise = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / u32::MAX as f32 - 0.5
        };
        let l: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f64 / f64::from(sr);
                let gain = if (t * 1.7).fract() < 0.3 { 0.8 } else { 0.05 };
                gain * noise()
            })
            .collect();
        let r: Vec<f32> = l
            .iter()
            .enumerate()
            .map(|(i, x)| x * (1.0 - i as f32 / n as f32))
            .collect();
        let fast = analyze_with(&[&l, &r], sr, true).unwrap();
        let direct = analyze_with(&[&l, &r], sr, false).unwrap();
        let (fm, dm) = (
            fast.momentary_max_lufs.unwrap(),
            direct.momentary_max_lufs.unwrap(),
        );
        let (fs, ds) = (
            fast.short_term_max_lufs.unwrap(),
            direct.short_term_max_lufs.unwrap(),
        );
        assert!((fm - dm).abs() < 1e-6, "{sr} Hz: M max {fm} vs {dm}");
        assert!((fs - ds).abs() < 1e-6, "{sr} Hz: S max {fs} vs {ds}");
        assert_eq!(fast.integrated_lufs, direct.integrated_lufs);
    }
}

#[test]
fn rates_off_the_100_hz_grid_are_measured_too() {
    let sr = 22_050;
    let amp = 10f64.powf(-23.0 / 20.0);
    let s: Vec<f32> = (0..sr as usize * 4)
        .map(|i| (amp * (2.0 * PI * 1000.0 * i as f64 / f64::from(sr)).sin()) as f32)
        .collect();
    let a = analyze(&[&s, &s], sr).unwrap();
    for v in [
        a.integrated_lufs,
        a.momentary_max_lufs,
        a.short_term_max_lufs,
    ] {
        let v = v.unwrap();
        assert!((v + 23.0).abs() < 0.15, "{v}");
    }
}

#[test]
fn mismatched_channels_are_an_error() {
    let a = vec![0.0f32; 100];
    let b = vec![0.0f32; 99];
    assert!(matches!(
        analyze(&[&a, &b], SR),
        Err(AnalysisError::BadLayout(_))
    ));
    assert!(analyze(&[], SR).is_err());
    assert!(matches!(
        analyze(&[&a], 0),
        Err(AnalysisError::UnsupportedRate(0))
    ));
}
