//! `lacquer master` with the assistant, end to end: the built binary on synthesised files in a
//! temporary folder. Loudness of the written files is measured here with the `ebur128` crate,
//! true peak with the independent 16x meter of `lacquer-test-support`, band levels with a
//! band-pass written here; nothing is taken from the code under test.

mod common;
use lacquer_test_support::measure::{integrated_lufs, true_peak_dbtp};
use lacquer_test_support::reference as limiter_support;

use common::{read_wav, run_in, write_wav};
use lacquer::params::LacquerParams;
use lacquer_core::chain::ChainSettings;
use limiter_support::{Rng, music_like};
use nice_plug::prelude::Params;
use serde_json::Value;
use std::f64::consts::PI;
use std::path::Path;
use std::process::Output;

const RATE: u32 = 44_100;
const SECONDS: f64 = 12.0;

/// Cookbook biquad (RBJ) run in f64 over every channel.
fn biquad(audio: &mut [Vec<f32>], b: [f64; 3], a: [f64; 3]) {
    for ch in audio.iter_mut() {
        let (mut x1, mut x2, mut y1, mut y2) = (0.0, 0.0, 0.0, 0.0);
        for s in ch.iter_mut() {
            let x = f64::from(*s);
            let y = (b[0] * x + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2) / a[0];
            (x2, x1, y2, y1) = (x1, x, y1, y);
            *s = y as f32;
        }
    }
}

/// RBJ peaking EQ of `gain_db` at `freq_hz`.
fn peaking(audio: &mut [Vec<f32>], freq_hz: f64, gain_db: f64, q: f64) {
    let w = 2.0 * PI * freq_hz / f64::from(RATE);
    let amp = 10f64.powf(gain_db / 40.0);
    let alpha = w.sin() / (2.0 * q);
    biquad(
        audio,
        [1.0 + alpha * amp, -2.0 * w.cos(), 1.0 - alpha * amp],
        [1.0 + alpha / amp, -2.0 * w.cos(), 1.0 - alpha / amp],
    );
}

/// Level of the mid signal in a band around `freq_hz` (RBJ band-pass, Q 2) relative to the
/// whole mid signal, dB: a tonal balance figure independent of loudness.
fn band_share_db(audio: &[Vec<f32>], freq_hz: f64) -> f64 {
    let mid: Vec<f32> = audio[0]
        .iter()
        .zip(&audio[1])
        .map(|(l, r)| 0.5 * (l + r))
        .collect();
    let mut band = vec![mid.clone()];
    let w = 2.0 * PI * freq_hz / f64::from(RATE);
    let alpha = w.sin() / 4.0;
    biquad(
        &mut band,
        [alpha, 0.0, -alpha],
        [1.0 + alpha, -2.0 * w.cos(), 1.0 - alpha],
    );
    let power = |x: &[f32]| x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>();
    10.0 * (power(&band[0]) / power(&mid)).log10()
}

/// Side-to-mid power ratio, dB.
fn side_to_mid_db(audio: &[Vec<f32>]) -> f64 {
    let (mut m, mut s) = (0.0f64, 0.0f64);
    for (l, r) in audio[0].iter().zip(&audio[1]) {
        m += f64::from(0.5 * (l + r)).powi(2);
        s += f64::from(0.5 * (l - r)).powi(2);
    }
    10.0 * (s / m).log10()
}

/// Music-like stereo (chord, bursts, kick) with a second, differently seeded layer mixed into
/// the right channel for some width, at `peak_dbfs`.
fn music(seed: u64, peak_dbfs: f64) -> Vec<Vec<f32>> {
    let [l, _] = music_like(f64::from(RATE), SECONDS, seed);
    let [other, _] = music_like(f64::from(RATE), SECONDS, seed + 1);
    let mut rng = Rng::new(seed);
    let right: Vec<f32> = l
        .iter()
        .zip(&other)
        .map(|(a, b)| 0.75 * a + 0.25 * b + 0.01 * (rng.uniform() as f32 - 0.5))
        .collect();
    let mut audio = vec![l, right];
    set_peak(&mut audio, peak_dbfs);
    audio
}

fn set_peak(audio: &mut [Vec<f32>], peak_dbfs: f64) {
    let peak = audio.iter().flatten().fold(0.0f32, |m, v| m.max(v.abs()));
    let g = (10f64.powf(peak_dbfs / 20.0) / f64::from(peak)) as f32;
    audio.iter_mut().flatten().for_each(|v| *v *= g);
}

fn master(dir: &Path, args: &[&str]) -> Output {
    let mut all = vec!["master", "in.wav", "-o", "out.wav", "--force"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn read_report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// A muddy, narrow mix: +6 dB at 300 Hz, side halved, peak -8 dBFS.
fn muddy_mix(seed: u64) -> Vec<Vec<f32>> {
    let mut mix = music(seed, -3.0);
    peaking(&mut mix, 300.0, 6.0, 1.0);
    let (left, right) = (mix[0].clone(), mix[1].clone());
    for (i, (l, r)) in left.iter().zip(&right).enumerate() {
        let (m, s) = (0.5 * (l + r), 0.25 * (l - r));
        mix[0][i] = m + s;
        mix[1][i] = m - s;
    }
    set_peak(&mut mix, -8.0);
    mix
}

#[test]
fn master_runs_the_assistant_by_default_meets_minus_14_and_explains() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("in.wav"), &muddy_mix(3), RATE, 24);
    let out = master(
        dir.path(),
        &["--report", "report.json", "--bit-depth", "32f"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Assistant, against the family target"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Drive +") && stdout.contains("-14.0 LUFS"),
        "{stdout}"
    );

    let (_, written) = read_wav(&dir.path().join("out.wav"));
    let lufs = integrated_lufs(&written, RATE);
    assert!((lufs + 14.0).abs() <= 0.1, "{lufs} LUFS");
    let tp = true_peak_dbtp(&written);
    assert!(tp <= -1.0, "{tp} dBTP");

    let report = read_report(dir.path());
    assert_eq!(report["mode"], "family");
    let weights = report["family_weights"].as_array().unwrap();
    let total: f64 = weights.iter().map(|w| w["weight"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-3, "{weights:?}");
    let explanations = report["explanations"].as_array().unwrap();
    assert!(explanations.len() >= 3, "{explanations:?}");
    for e in explanations {
        let line = e.as_str().unwrap();
        assert!(stdout.contains(line), "{line} not printed");
        let is_move = [
            "Cut",
            "Boost",
            "Tilt",
            "Widen",
            "Narrow",
            "Multiband",
            "Drive",
        ]
        .iter()
        .any(|w| line.starts_with(w));
        if is_move {
            assert!(line.chars().any(|c| c.is_ascii_digit()), "{line}");
        }
    }
    for key in ["before", "after"] {
        assert_eq!(
            report["features"][key]["mid_db"].as_array().unwrap().len(),
            31
        );
    }
}

#[test]
fn a_reference_sets_the_loudness_and_pulls_the_tone_towards_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut reference = music(11, -1.0);
    // A loud reference: soft-clipped so it sits near -10 LUFS.
    reference
        .iter_mut()
        .flatten()
        .for_each(|v| *v = (2.0 * *v).tanh() * 0.85);
    let ref_lufs = integrated_lufs(&reference, RATE);
    let mut mix = music(11, -3.0);
    peaking(&mut mix, 300.0, 6.0, 1.0);
    set_peak(&mut mix, -8.0);
    write_wav(&dir.path().join("ref.wav"), &reference, RATE, 24);
    write_wav(&dir.path().join("in.wav"), &mix, RATE, 24);

    let out = master(
        dir.path(),
        &[
            "--reference",
            "ref.wav",
            "--report",
            "report.json",
            "--bit-depth",
            "32f",
        ],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let (_, written) = read_wav(&dir.path().join("out.wav"));
    let lufs = integrated_lufs(&written, RATE);
    assert!(
        (lufs - ref_lufs).abs() <= 0.1,
        "{lufs} LUFS vs the reference's {ref_lufs}"
    );
    let before = band_share_db(&mix, 300.0) - band_share_db(&reference, 300.0);
    let after = band_share_db(&written, 300.0) - band_share_db(&reference, 300.0);
    assert!(
        before > 3.0,
        "the mix is {before:.2} dB muddier than the reference"
    );
    assert!(after.abs() < 1.5, "still {after:.2} dB off at 300 Hz");
    let report = read_report(dir.path());
    assert_eq!(report["mode"], "reference");
    let cut = report["explanations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .any(|e| e.starts_with("Cut") && e.contains("above the reference"));
    assert!(cut, "{:?}", report["explanations"]);
}

#[test]
fn the_reported_parameters_put_the_plugin_on_the_same_settings() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("in.wav"), &muddy_mix(5), RATE, 24);
    let out = master(
        dir.path(),
        &["--report", "report.json", "--amount-tone", "70"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let report = read_report(dir.path());
    let parameters = report["parameters"].as_object().unwrap();
    let cli: ChainSettings = serde_json::from_value(report["chain_settings"].clone()).unwrap();

    let params = LacquerParams::default();
    let map = params.param_map();
    let mut num_set = 0;
    for (id, value) in parameters {
        let (_, ptr, _) = map
            .iter()
            .find(|(pid, _, _)| pid == id)
            .unwrap_or_else(|| panic!("report id {id} is not a plugin parameter"));
        let plain = match value {
            Value::Number(n) => n.as_f64().unwrap() as f32,
            Value::Bool(b) => f32::from(u8::from(*b)),
            _ => continue, // the platform choice does not reach the chain
        };
        // What a host does with a stored value: normalise it and set it.
        unsafe {
            let normalized = ptr.preview_normalized(plain);
            ptr._internal_set_normalized_value(normalized);
            assert_eq!(
                ptr.unmodulated_plain_value(),
                plain,
                "{id}: {plain} is not on the parameter's grid"
            );
        }
        num_set += 1;
    }
    assert!(num_set > 40, "only {num_set} parameters reported");
    assert_eq!(params.chain_settings(), cli);
    assert_eq!(parameters["amount_tone"], 70.0);
    // The automatic family is the plugin's Family = Auto (an enum id, like the platform's).
    assert_eq!(parameters["family"], "auto");
}

#[test]
fn amounts_at_zero_leave_only_the_loudness_move() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("in.wav"), &muddy_mix(7), RATE, 24);
    let out = master(
        dir.path(),
        &[
            "--amount-tone",
            "0",
            "--amount-dynamics",
            "0",
            "--amount-width",
            "0",
            "--report",
            "report.json",
            "--bit-depth",
            "32f",
        ],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let p = read_report(dir.path())["parameters"].clone();
    for id in [
        "eq_ls_gain",
        "eq_b1_gain",
        "eq_b3_gain",
        "eq_b5_gain",
        "eq_hs_gain",
        "tone",
    ] {
        assert_eq!(p[id], 0.0, "{id}");
    }
    assert_eq!(p["dynamics"], 0.0);
    for id in ["low_width", "mid_width", "high_width"] {
        assert_eq!(p[id], 100.0, "{id}");
    }
    let (_, written) = read_wav(&dir.path().join("out.wav"));
    assert!((integrated_lufs(&written, RATE) + 14.0).abs() <= 0.1);
    // Below the limiter the image is untouched: width as in the input (within 0.2 dB; the
    // limiter's linked gain does not change side/mid).
    let (_, input) = read_wav(&dir.path().join("in.wav"));
    let delta = side_to_mid_db(&written) - side_to_mid_db(&input);
    assert!(delta.abs() < 0.2, "{delta}");
}

#[test]
fn no_assist_renders_the_plain_chain_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mix = muddy_mix(9);
    write_wav(&dir.path().join("in.wav"), &mix, RATE, 32);
    let out = master(dir.path(), &["--no-assist", "--bit-depth", "32f"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Assistant"));
    let (_, written) = read_wav(&dir.path().join("out.wav"));
    assert_eq!(written, mix);
}

#[test]
fn assistant_flags_are_checked_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("in.wav"), &music(1, -6.0), RATE, 16);
    for (args, needles) in [
        (
            vec!["--no-assist", "--reference", "in.wav"],
            vec!["--reference", "--no-assist"],
        ),
        (
            vec!["--amount-tone", "150"],
            vec!["--amount-tone", "0 to 100"],
        ),
        (
            vec!["--reference", "in.wav", "--weight", "1", "--weight", "2"],
            vec!["2 --weight values", "1 --reference"],
        ),
        (
            vec!["--family", "polka"],
            vec!["unknown family 'polka'", "auto"],
        ),
        (vec!["--reference", "missing.wav"], vec!["missing.wav"]),
    ] {
        let out = master(dir.path(), &args);
        let err = stderr_of(&out);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("lacquer: "), "{err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: {n:?} missing in {err}");
        }
        assert!(!dir.path().join("out.wav").exists(), "{args:?}");
    }
}

#[test]
fn a_file_too_short_to_analyse_gets_the_plain_chain_and_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut short = music(2, -20.0);
    for c in short.iter_mut() {
        c.truncate(2 * RATE as usize);
    }
    write_wav(&dir.path().join("in.wav"), &short, RATE, 32);
    let out = master(dir.path(), &["--bit-depth", "32f"]);
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("lacquer: warning: ") && err.contains("at least 3 s"),
        "{err}"
    );
    let (_, written) = read_wav(&dir.path().join("out.wav"));
    assert_eq!(written, short);
}
