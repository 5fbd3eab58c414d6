//! `lacquer master --target-lufs / --platform / --max-gr` end to end: the built binary on
//! generated music-like files at 44.1 and 48 kHz, written at 16, 24 and 32f, and on the demo
//! mix. Loudness of the written files is measured here with the `ebur128` crate and true peak
//! with the independent 16x windowed-sinc meter of `lacquer-test-support`, not by the code
//! under test.

mod common;
use lacquer_test_support::measure::{integrated_lufs, true_peak_dbtp};
use lacquer_test_support::reference as limiter_support;

use common::{read_wav, run_in, write_wav};
use limiter_support::Rng;
use std::f64::consts::PI;
use std::path::Path;
use std::process::Output;

/// True peak at most this far over the ceiling, dB: none. The limiter aims
/// `CEILING_MARGIN_DB` (0.05 dB) under the ceiling to absorb its detector's residual error,
/// so the written file is at or under the ceiling on the independent 16x meter.
const CEILING_TOLERANCE_DB: f64 = 0.0;

/// `--target-lufs` promises the written file within this of the target, LU.
const TARGET_TOLERANCE_LU: f64 = 0.1;

/// Music-like stereo material at 120 BPM: a kick-like thump on every beat (sine gliding
/// 120 -> 48 Hz), a bass line (four harmonics, one note a beat), a chord a bar (three notes
/// with harmonics, slightly detuned between channels), and noise hats on the eighths
/// (differentiated noise, alternately panned). Peaks near `peak_dbfs`; its loudness sits about
/// 15 dB below the peak, so -14 LUFS needs the limiter.
fn music(rate: u32, seconds: f64, peak_dbfs: f64, seed: u64) -> Vec<Vec<f32>> {
    let sr = f64::from(rate);
    let n = (seconds * sr) as usize;
    let beat = (0.5 * sr) as usize;
    let eighth = beat / 2;
    let bass_notes = [55.0, 55.0, 65.41, 73.42, 55.0, 82.41, 73.42, 65.41];
    let chords = [
        [220.0, 277.18, 329.63],
        [196.0, 246.94, 293.66],
        [174.61, 220.0, 261.63],
        [196.0, 246.94, 293.66],
    ];
    let mut rng = Rng::new(seed);
    let mut out = vec![vec![0.0f64; n], vec![0.0f64; n]];
    let (mut kick_phase, mut last_noise) = (0.0f64, 0.0f64);
    for i in 0..n {
        let t = i as f64 / sr;
        let since_beat = (i % beat) as f64 / sr;
        if i % beat == 0 {
            kick_phase = 0.0;
        }
        kick_phase += 2.0 * PI * (48.0 + 72.0 * (-since_beat / 0.04).exp()) / sr;
        let kick = 0.55 * (-since_beat / 0.12).exp() * kick_phase.sin();
        let bass_f = bass_notes[(i / beat) % bass_notes.len()];
        let bass: f64 = (1..=4)
            .map(|h| (2.0 * PI * bass_f * h as f64 * t).sin() / h as f64)
            .sum::<f64>()
            * 0.12
            * (-since_beat / 0.3).exp();
        let noise = rng.uniform();
        let hat = 0.18 * (-((i % eighth) as f64 / sr) / 0.03).exp() * (noise - last_noise);
        last_noise = noise;
        let hat_left = (i / eighth).is_multiple_of(2);
        let chord = chords[(i / (4 * beat)) % chords.len()];
        for (ch, buf) in out.iter_mut().enumerate() {
            let detune = 0.4 * ch as f64;
            let pad: f64 = chord
                .iter()
                .flat_map(|&f| (1..=3).map(move |h| (f + detune, h as f64)))
                .map(|(f, h)| (2.0 * PI * f * h * t + 0.9 * ch as f64).sin() * 0.03 / h)
                .sum();
            let hat_gain = if hat_left == (ch == 0) { 1.0 } else { 0.4 };
            buf[i] = kick + bass + pad + hat * hat_gain;
        }
    }
    let peak = out.iter().flatten().fold(0.0f64, |m, s| m.max(s.abs()));
    let scale = 10f64.powf(peak_dbfs / 20.0) / peak;
    out.into_iter()
        .map(|c| c.into_iter().map(|s| (s * scale) as f32).collect())
        .collect()
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `lacquer master IN -o OUT EXTRA..` in `dir`.
/// `lacquer master` with the plain chain (`--no-assist`): these tests are about loudness
/// targeting through the limiter; the assistant's own decisions are tested in
/// tests/assistant.rs.
fn master(dir: &Path, input: &str, output: &str, extra: &[&str]) -> Output {
    let mut args = vec!["master", input, "-o", output, "--no-assist"];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

/// A successful run with nothing on stderr.
fn assert_quiet_success(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what}: {}", stderr_of(out));
    assert!(out.stderr.is_empty(), "{what}: {}", stderr_of(out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A failed run: non-zero exit, exactly one stderr line starting `lacquer: `, no output file.
fn assert_one_line_failure(dir: &Path, out: &Output, output_name: &str, what: &str) -> String {
    let err = stderr_of(out);
    assert!(
        !out.status.success(),
        "{what}: expected failure; stderr {err:?}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{what}: expected one stderr line, got {err:?}"
    );
    assert!(lines[0].starts_with("lacquer: "), "{what}: {err:?}");
    assert!(
        !dir.join(output_name).exists(),
        "{what}: an output was written"
    );
    lines[0].to_string()
}

/// The value after `name` on its line of the report, up to the first space after the number:
/// `row_value(stdout, "Drive")` is `+7.35` for `Drive                 +7.35 dB`.
fn row_value(stdout: &str, name: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name:?} row in\n{stdout}"));
    let number = line[name.len()..].split_whitespace().next().unwrap_or("");
    number
        .parse()
        .unwrap_or_else(|_| panic!("no number in {line:?}"))
}

/// Masters `input` (in `dir`) with `extra` flags to 32-bit float or the given depth and returns
/// the written audio, its rate and stdout, checking the run was clean.
fn master_and_read(
    dir: &Path,
    input: &str,
    output: &str,
    extra: &[&str],
) -> (Vec<Vec<f32>>, u32, String) {
    let out = master(dir, input, output, extra);
    let stdout = assert_quiet_success(&out, &format!("{input} {extra:?}"));
    let (spec, audio) = read_wav(&dir.join(output));
    (audio, spec.sample_rate, stdout)
}

/// `--target-lufs -14` on music at `rate`, written at each bit depth.
fn check_minus_14_at(rate: u32) {
    let dir = tempfile::tempdir().unwrap();
    for (in_bits, depth) in [(16u16, "16"), (24, "24"), (32, "32f")] {
        let source = music(rate, 6.0, -3.0, u64::from(rate) + u64::from(in_bits));
        let input = format!("in{in_bits}.wav");
        write_wav(&dir.path().join(&input), &source, rate, in_bits);
        let before = integrated_lufs(&read_wav(&dir.path().join(&input)).1, rate);
        let output = format!("out{depth}.wav");
        let (audio, out_rate, stdout) = master_and_read(
            dir.path(),
            &input,
            &output,
            &["--target-lufs", "-14", "--bit-depth", depth],
        );
        assert_eq!(out_rate, rate);
        let what = format!("{rate} Hz, {depth}");
        let lufs = integrated_lufs(&audio, rate);
        let tp = true_peak_dbtp(&audio);
        println!("{what}: input {before:.2} LUFS -> {lufs:.3} LUFS, {tp:.3} dBTP");
        assert!(
            (lufs + 14.0).abs() <= TARGET_TOLERANCE_LU,
            "{what}: {lufs:.3} LUFS\n{stdout}"
        );
        assert!(tp <= -1.0 + CEILING_TOLERANCE_DB, "{what}: {tp:.3} dBTP");
        // The material really needed the limiter (else the ceiling check proves nothing),
        // and the report says so.
        assert!(
            tp > -1.5,
            "{what}: {tp:.3} dBTP, the limiter was not reached"
        );
        assert!(row_value(&stdout, "Max gain reduction") > 0.5, "{stdout}");
        assert!(
            (row_value(&stdout, "Reached") - lufs).abs() <= 0.051,
            "{stdout}"
        );
        let passes = row_value(&stdout, "Render passes");
        assert!((1.0..=16.0).contains(&passes), "{stdout}");
    }
}

#[test]
fn minus_14_lufs_is_met_at_44k1_at_every_bit_depth() {
    check_minus_14_at(44_100);
}

#[test]
fn minus_14_lufs_is_met_at_48k_at_every_bit_depth() {
    check_minus_14_at(48_000);
}

#[test]
fn minus_14_lufs_is_met_on_the_demo_mix() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/demo-mix.wav");
    let dir = tempfile::tempdir().unwrap();
    let (audio, rate, stdout) = master_and_read(
        dir.path(),
        demo.to_str().unwrap(),
        "demo.wav",
        &["--target-lufs", "-14"],
    );
    let lufs = integrated_lufs(&audio, rate);
    let tp = true_peak_dbtp(&audio);
    println!("demo mix: {lufs:.3} LUFS, {tp:.3} dBTP\n{stdout}");
    assert!(
        (lufs + 14.0).abs() <= TARGET_TOLERANCE_LU,
        "{lufs}\n{stdout}"
    );
    assert!(tp <= -1.0 + CEILING_TOLERANCE_DB, "{tp}");
}

#[test]
fn platforms_set_target_and_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 48_000;
    write_wav(
        &dir.path().join("in.wav"),
        &music(rate, 5.0, -3.0, 7),
        rate,
        24,
    );
    // (platform, LUFS, dBTP, name in the report)
    for (platform, lufs_wanted, ceiling, shown) in [
        ("apple", -16.0, -1.0, "Apple Music"),
        ("amazon", -14.0, -2.0, "Amazon Music"),
        ("ebu-r128", -23.0, -1.0, "EBU R128"),
    ] {
        let output = format!("{platform}.wav");
        let (audio, _, stdout) = master_and_read(
            dir.path(),
            "in.wav",
            &output,
            &["--platform", platform, "--bit-depth", "32f"],
        );
        let lufs = integrated_lufs(&audio, rate);
        let tp = true_peak_dbtp(&audio);
        println!("{platform}: {lufs:.3} LUFS, {tp:.3} dBTP");
        assert!(
            (lufs - lufs_wanted).abs() <= TARGET_TOLERANCE_LU,
            "{platform}: {lufs}"
        );
        assert!(tp <= ceiling + CEILING_TOLERANCE_DB, "{platform}: {tp}");
        assert!(stdout.contains(shown), "{platform}: {stdout}");
        assert_eq!(row_value(&stdout, "Ceiling"), ceiling, "{stdout}");
        if platform == "amazon" {
            // -14 LUFS needs the limiter on this material, so Amazon's -2 dBTP (not the
            // default -1) is what held the peaks: they sit just under it.
            assert!(tp > -2.5, "{platform}: {tp}");
        }
    }
    // An explicit target or ceiling overrides that part of the preset.
    let (audio, _, stdout) = master_and_read(
        dir.path(),
        "in.wav",
        "override.wav",
        &[
            "--platform",
            "amazon",
            "--target-lufs",
            "-18",
            "--ceiling",
            "-3",
            "--bit-depth",
            "32f",
        ],
    );
    let lufs = integrated_lufs(&audio, rate);
    assert!((lufs + 18.0).abs() <= TARGET_TOLERANCE_LU, "{lufs}");
    assert!(true_peak_dbtp(&audio) <= -3.0 + CEILING_TOLERANCE_DB);
    assert_eq!(row_value(&stdout, "Ceiling"), -3.0, "{stdout}");
}

/// Very dynamic material: a quiet pad (peaks about -40 dBFS) with a short, loud hit (a 150 Hz
/// thump decaying in 4 ms, peaking at -1 dBFS) every 2 s, long enough for the limiter to
/// recover fully between hits. Its peaks stand more than 20 dB above its integrated loudness,
/// so -6 LUFS under a -1 dBTP ceiling would need far more than 12 dB of limiting.
fn very_dynamic(rate: u32, seconds: f64) -> Vec<Vec<f32>> {
    let sr = f64::from(rate);
    let n = (seconds * sr) as usize;
    let period = 2 * rate as usize;
    let x: Vec<f64> = (0..n)
        .map(|i| {
            let t = i as f64 / sr;
            let since = (i % period) as f64 / sr;
            let hit = (-since / 0.004).exp() * (2.0 * PI * 150.0 * since).sin();
            let pad = 0.01 * (2.0 * PI * 330.0 * t).sin();
            hit + pad
        })
        .collect();
    let peak = x.iter().fold(0.0f64, |m, s| m.max(s.abs()));
    let scale = 10f64.powf(-1.0 / 20.0) / peak;
    let left: Vec<f32> = x.iter().map(|s| (s * scale) as f32).collect();
    let right: Vec<f32> = x.iter().map(|s| (s * scale * 0.9) as f32).collect();
    vec![left, right]
}

/// The gain the chain applied at each sample, as output / input over samples where the input
/// is well above the float noise floor: the chain is neutral apart from drive and limiter,
/// and the limiter is linked, so this is `drive * limiter gain`. Returns (largest, smallest)
/// in dB.
fn applied_gain_range_db(input: &[Vec<f32>], output: &[Vec<f32>]) -> (f64, f64) {
    let ratios = input
        .iter()
        .flatten()
        .zip(output.iter().flatten())
        .filter(|(x, _)| x.abs() > 1e-3)
        .map(|(&x, &y)| 20.0 * (f64::from(y) / f64::from(x)).log10());
    ratios.fold((f64::NEG_INFINITY, f64::INFINITY), |(hi, lo), g| {
        (hi.max(g), lo.min(g))
    })
}

#[test]
fn a_target_needing_too_much_limiting_stops_at_max_gr_and_warns() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 44_100;
    let source = very_dynamic(rate, 8.0);
    write_wav(&dir.path().join("in.wav"), &source, rate, 32);
    let input_lufs = integrated_lufs(&source, rate);
    let plr = true_peak_dbtp(&source) - input_lufs;
    println!("input: {input_lufs:.2} LUFS, PLR {plr:.2} dB");
    assert!(
        plr > 20.0,
        "the test signal is not dynamic enough: PLR {plr}"
    );

    for (extra, limit_db) in [(vec![], 12.0), (vec!["--max-gr", "6"], 6.0)] {
        let mut flags = vec!["--target-lufs", "-6", "--bit-depth", "32f"];
        flags.extend_from_slice(&extra);
        let output = format!("limited{limit_db}.wav");
        let out = master(dir.path(), "in.wav", &output, &flags);
        assert!(out.status.success(), "{}", stderr_of(&out));
        let err = stderr_of(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "expected one warning line: {err:?}");
        assert!(lines[0].starts_with("lacquer: warning: "), "{err}");
        assert!(
            lines[0].contains(&format!("{limit_db:.1} dB")) && lines[0].contains("--max-gr"),
            "{err}"
        );
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let (_, audio) = read_wav(&dir.path().join(&output));

        // Short of the target, and the report says how far it got.
        let lufs = integrated_lufs(&audio, rate);
        assert!(
            lufs < -6.0 - TARGET_TOLERANCE_LU,
            "{lufs}: the target was not too loud"
        );
        assert!(
            (row_value(&stdout, "Reached") - lufs).abs() <= 0.051,
            "{stdout}"
        );

        // Gain reduction measured from the file: the applied gain is the Drive where the
        // limiter is idle (between hits) and Drive minus the gain reduction elsewhere. The
        // report prints the Drive to 0.005 dB.
        let drive_db = row_value(&stdout, "Drive");
        let (highest_db, deepest_db) = applied_gain_range_db(&source, &audio);
        let measured_gr = drive_db - deepest_db;
        let reported_gr = row_value(&stdout, "Max gain reduction");
        println!(
            "max-gr {limit_db}: {lufs:.2} LUFS, drive {drive_db} dB (highest gain applied \
             {highest_db:.3} dB), GR {measured_gr:.3} dB (reported {reported_gr})"
        );
        assert!(
            highest_db <= drive_db + 0.006 && highest_db >= drive_db - 0.05,
            "the reported drive {drive_db} is not what was applied ({highest_db:.3})"
        );
        assert!(reported_gr <= limit_db, "{stdout}");
        assert!(
            measured_gr <= limit_db + 0.01,
            "measured GR {measured_gr:.3}"
        );
        // Stopped at the limit, not far below it.
        assert!(
            measured_gr >= limit_db - 0.5,
            "measured GR {measured_gr:.3}"
        );
        assert!((reported_gr - measured_gr).abs() <= 0.06, "{stdout}");
        assert!(true_peak_dbtp(&audio) <= -1.0 + CEILING_TOLERANCE_DB);
    }
}

#[test]
fn drive_range_and_silence_warn_and_still_write() {
    let dir = tempfile::tempdir().unwrap();
    let rate = 48_000;
    // 37 dB quieter than the music: -14 LUFS would need about +37 dB of drive.
    let quiet = music(rate, 4.0, -40.0, 3);
    write_wav(&dir.path().join("quiet.wav"), &quiet, rate, 32);
    let out = master(
        dir.path(),
        "quiet.wav",
        "q.wav",
        &["--target-lufs", "-14", "--bit-depth", "32f"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("lacquer: warning: ") && err.contains("+24 dB"),
        "{err}"
    );
    let (_, audio) = read_wav(&dir.path().join("q.wav"));
    // At the top of the range with the limiter idle: exactly 24 dB louder.
    let gain = integrated_lufs(&audio, rate) - integrated_lufs(&quiet, rate);
    assert!((gain - 24.0).abs() <= 0.01, "{gain}");

    write_wav(
        &dir.path().join("silent.wav"),
        &[vec![0.0; 48_000], vec![0.0; 48_000]],
        rate,
        16,
    );
    let out = master(
        dir.path(),
        "silent.wav",
        "s.wav",
        &["--platform", "spotify", "--bit-depth", "32f"],
    );
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("silent") && err.contains("drive 0 dB"),
        "{err}"
    );
    let (_, audio) = read_wav(&dir.path().join("s.wav"));
    assert_eq!(audio[0].len(), 48_000);
    assert!(audio.iter().flatten().all(|&s| s == 0.0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(row_value(&stdout, "Drive"), 0.0, "{stdout}");
}

#[test]
fn conflicting_flags_and_bad_values_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(
        &dir.path().join("in.wav"),
        &music(44_100, 0.5, -6.0, 1),
        44_100,
        16,
    );
    let cases: [(&[&str], &[&str]); 12] = [
        (
            &["--drive", "3", "--target-lufs", "-14"],
            &["--drive", "--target-lufs"],
        ),
        (
            &["--drive", "3", "--platform", "apple"],
            &["--drive", "--platform"],
        ),
        (
            &["--platform", "napster"],
            &["'napster'", "spotify", "ebu-r128"],
        ),
        (
            &["--target-lufs", "-5"],
            &["--target-lufs", "-30 to -6 LUFS"],
        ),
        (
            &["--target-lufs", "-31"],
            &["--target-lufs", "-30 to -6 LUFS"],
        ),
        (&["--target-lufs", "NaN"], &["--target-lufs"]),
        (
            &["--target-lufs", "-14", "--max-gr", "30"],
            &["--max-gr", "0 to 24 dB"],
        ),
        (&["--max-gr", "6"], &["--max-gr", "--target-lufs"]),
        (&["--lookahead", "20"], &["--lookahead", "0.5 to 10 ms"]),
        (&["--release", "2"], &["--release", "10 to 1000 ms"]),
        (&["--link", "150"], &["--link", "0 to 100 %"]),
        (
            &["--platform", "cd", "--ceiling", "0.5"],
            &["--ceiling", "-12 to 0 dBTP"],
        ),
    ];
    for (flags, needles) in cases {
        let out = master(dir.path(), "in.wav", "o.wav", flags);
        let line = assert_one_line_failure(dir.path(), &out, "o.wav", &format!("{flags:?}"));
        for needle in needles {
            assert!(
                line.contains(needle),
                "{flags:?}: {needle:?} missing in {line}"
            );
        }
    }
}
