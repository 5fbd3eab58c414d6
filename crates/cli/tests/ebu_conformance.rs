//! EBU Tech 3341 (loudness, true peak) and Tech 3342 (loudness range) compliance cases,
//! synthesised from their published descriptions (48 kHz stereo, 1 kHz sine unless noted),
//! written as 32-bit float WAV and read through `lacquer analyze --json`. Expected values and
//! tolerances are the published ones (see docs/standards.md, tech-3341 and tech-3342).

mod common;

use common::{analyze_json, assert_within, num, phased_sine, stepped_sine, write_wav};
use serde_json::Value;

const SR: u32 = 48_000;

/// Writes the same signal to both channels of a float WAV and analyses it.
fn measure_stereo(name: &str, signal: Vec<f32>) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.wav"));
    write_wav(&path, &[signal.clone(), signal], SR, 32);
    analyze_json(&path)
}

/// A 1 kHz stereo sine stepping through (dBFS, seconds) segments.
fn steps(name: &str, segments: &[(f64, f64)]) -> Value {
    measure_stereo(name, stepped_sine(SR, 1000.0, segments))
}

/// Alternating levels, `repeats` times (cases 9 and 12).
fn alternating(repeats: usize, a: (f64, f64), b: (f64, f64)) -> Vec<(f64, f64)> {
    (0..repeats).flat_map(|_| [a, b]).collect()
}

// ---- EBU Tech 3341: loudness ----

#[test]
fn tech3341_case1_minus_23_dbfs() {
    let v = steps("3341-1", &[(-23.0, 20.0)]);
    assert_within("I", num(&v, "integrated_lufs"), -23.0, 0.1, 0.1);
    assert_within("M max", num(&v, "momentary_max_lufs"), -23.0, 0.1, 0.1);
    assert_within("S max", num(&v, "short_term_max_lufs"), -23.0, 0.1, 0.1);
}

#[test]
fn tech3341_case2_minus_33_dbfs() {
    let v = steps("3341-2", &[(-33.0, 20.0)]);
    assert_within("I", num(&v, "integrated_lufs"), -33.0, 0.1, 0.1);
    assert_within("M max", num(&v, "momentary_max_lufs"), -33.0, 0.1, 0.1);
    assert_within("S max", num(&v, "short_term_max_lufs"), -33.0, 0.1, 0.1);
}

#[test]
fn tech3341_case3_relative_gate() {
    let v = steps("3341-3", &[(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)]);
    assert_within("I", num(&v, "integrated_lufs"), -23.0, 0.1, 0.1);
}

#[test]
fn tech3341_case4_absolute_and_relative_gate() {
    let v = steps(
        "3341-4",
        &[
            (-72.0, 10.0),
            (-36.0, 10.0),
            (-23.0, 60.0),
            (-36.0, 10.0),
            (-72.0, 10.0),
        ],
    );
    assert_within("I", num(&v, "integrated_lufs"), -23.0, 0.1, 0.1);
}

#[test]
fn tech3341_case5_level_steps() {
    let v = steps("3341-5", &[(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)]);
    assert_within("I", num(&v, "integrated_lufs"), -23.0, 0.1, 0.1);
}

#[test]
fn tech3341_case9_short_term_of_alternating_levels() {
    // 1.34 s at -20 dBFS + 1.66 s at -30 dBFS: every 3 s window holds one period, so the
    // short-term loudness is -23.0 from 3 s on and its maximum is -23.0.
    let v = steps("3341-9", &alternating(20, (-20.0, 1.34), (-30.0, 1.66)));
    assert_within("S max", num(&v, "short_term_max_lufs"), -23.0, 0.1, 0.1);
}

#[test]
fn tech3341_case12_momentary_of_alternating_levels() {
    // 0.18 s at -20 dBFS + 0.22 s at -30 dBFS: one period per 400 ms window.
    let v = steps("3341-12", &alternating(25, (-20.0, 0.18), (-30.0, 0.22)));
    assert_within("M max", num(&v, "momentary_max_lufs"), -23.0, 0.1, 0.1);
}

// ---- EBU Tech 3341: true peak (+0.2 / -0.4 dB) ----

fn true_peak_case(name: &str, freq_hz: f64, amplitude: f64, phase_deg: f64, expected_dbtp: f64) {
    let v = measure_stereo(name, phased_sine(SR, freq_hz, amplitude, phase_deg, 5.0));
    assert_within(
        &format!("{name} TP"),
        num(&v, "true_peak_dbtp"),
        expected_dbtp,
        0.4,
        0.2,
    );
}

#[test]
fn tech3341_case15_quarter_rate_phase_0() {
    true_peak_case("3341-15", 12_000.0, 0.5, 0.0, -6.0);
}

#[test]
fn tech3341_case16_quarter_rate_phase_45() {
    true_peak_case("3341-16", 12_000.0, 0.5, 45.0, -6.0);
}

#[test]
fn tech3341_case17_sixth_rate_phase_60() {
    true_peak_case("3341-17", 8_000.0, 0.5, 60.0, -6.0);
}

#[test]
fn tech3341_case18_eighth_rate_phase_67_5() {
    true_peak_case("3341-18", 6_000.0, 0.5, 67.5, -6.0);
}

#[test]
fn tech3341_case19_inter_sample_peak_above_full_scale() {
    // Samples sit at ±1.0 but the waveform between them peaks at +3 dBTP.
    true_peak_case("3341-19", 12_000.0, 1.41, 45.0, 3.0);
}

#[test]
fn true_peak_is_not_the_sample_peak() {
    // Case 16 again: the samples peak at -9 dBFS, the waveform at -6 dBTP.
    let v = measure_stereo("tp-vs-sp", phased_sine(SR, 12_000.0, 0.5, 45.0, 2.0));
    assert_within(
        "sample peak",
        num(&v, "sample_peak_dbfs"),
        -9.03,
        0.05,
        0.05,
    );
    assert!(num(&v, "true_peak_dbtp") > num(&v, "sample_peak_dbfs") + 2.5);
}

// ---- EBU Tech 3342: loudness range (±1 LU) ----

#[test]
fn tech3342_case1_ten_lu() {
    let v = steps("3342-1", &[(-20.0, 20.0), (-30.0, 20.0)]);
    assert_within("LRA", num(&v, "loudness_range_lu"), 10.0, 1.0, 1.0);
}

#[test]
fn tech3342_case2_five_lu() {
    let v = steps("3342-2", &[(-20.0, 20.0), (-15.0, 20.0)]);
    assert_within("LRA", num(&v, "loudness_range_lu"), 5.0, 1.0, 1.0);
}

#[test]
fn tech3342_case3_twenty_lu() {
    let v = steps("3342-3", &[(-40.0, 20.0), (-20.0, 20.0)]);
    assert_within("LRA", num(&v, "loudness_range_lu"), 20.0, 1.0, 1.0);
}

#[test]
fn tech3342_case4_fifteen_lu() {
    let v = steps(
        "3342-4",
        &[
            (-50.0, 20.0),
            (-35.0, 20.0),
            (-20.0, 20.0),
            (-35.0, 20.0),
            (-50.0, 20.0),
        ],
    );
    assert_within("LRA", num(&v, "loudness_range_lu"), 15.0, 1.0, 1.0);
}

// ---- Calibration and undefined values ----

#[test]
fn reference_sine_reads_minus_23_lufs() {
    let v = steps("cal", &[(-23.0, 10.0)]);
    assert_within("I", num(&v, "integrated_lufs"), -23.0, 0.1, 0.1);
    assert_within("PLR", num(&v, "plr_db"), 0.0, 0.2, 0.2);
    assert_within("correlation", num(&v, "correlation"), 1.0, 1e-6, 0.0);
    assert_eq!(v["sample_rate_hz"], 48_000);
    assert_eq!(v["channels"], 2);
    assert_within("duration", num(&v, "duration_s"), 10.0, 1e-6, 1e-6);
}

#[test]
fn silence_has_null_loudness() {
    let v = measure_stereo("silence", vec![0.0; SR as usize * 5]);
    assert!(v["integrated_lufs"].is_null(), "{v}");
    assert!(v["plr_db"].is_null(), "{v}");
    assert!(v["true_peak_dbtp"].is_null(), "{v}");
    assert!(v["correlation"].is_null(), "{v}");
    assert_within("duration", num(&v, "duration_s"), 5.0, 1e-6, 1e-6);
}

#[test]
fn json_has_exactly_the_documented_keys() {
    let v = steps("keys", &[(-20.0, 1.0)]);
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "channels",
            "correlation",
            "duration_s",
            "integrated_lufs",
            "loud_correlation",
            "loudness_range_lu",
            "momentary_max_lufs",
            "non_finite_samples",
            "plr_db",
            "sample_peak_dbfs",
            "sample_rate_hz",
            "short_term_max_lufs",
            "true_peak_dbtp",
        ]
    );
    // One second: no 3 s window exists yet.
    assert!(v["short_term_max_lufs"].is_null(), "{v}");
    assert!(v["momentary_max_lufs"].is_number(), "{v}");
}
