//! The codec check through the binary: a hot master at a -0.1 dBTP ceiling whose MP3 decode
//! passes 0 dBTP gets a warning naming a safer ceiling, `--codec-safe` brings every codec under
//! -0.1 dBTP by lowering the ceiling (the written file's true peak, measured by `analyze`,
//! drops with it), and `--no-codec-check` skips the check.

mod common;

use common::*;
use std::path::Path;
use std::process::Output;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The dBTP figure on the table row that starts with `codec`.
fn codec_row(stdout: &str, codec: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(codec))
        .unwrap_or_else(|| panic!("no {codec} row in {stdout}"));
    line[codec.len()..]
        .trim()
        .trim_end_matches(" dBTP")
        .parse()
        .unwrap_or_else(|e| panic!("{line}: {e}"))
}

fn master(dir: &Path, out: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "master",
        "hot.wav",
        "-o",
        out,
        "--no-assist",
        "--ceiling",
        "-0.1",
    ];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

#[test]
fn a_hot_master_over_0_dbtp_after_mp3_is_warned_and_codec_safe_brings_it_under() {
    let dir = tempfile::tempdir().unwrap();
    // Bright, dense material driven far into the limiter: the codecs' band-limiting and
    // quantisation noise make the decoded waveform overshoot the -0.1 dBTP master.
    write_wav(
        &dir.path().join("hot.wav"),
        &program(44_100, 2, 6.0, -1.0),
        44_100,
        24,
    );
    let out = master(dir.path(), "plain.wav", &["--drive", "14"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let mp3 = codec_row(&stdout, "MP3 320 kb/s");
    assert!(
        mp3 > 0.0,
        "this master's MP3 decode should pass 0 dBTP: {stdout}"
    );
    assert!(
        stderr.contains("peaks over 0 dBTP after lossy encoding")
            && stderr.contains("MP3 320 kb/s")
            && stderr.contains("--codec-safe"),
        "the warning names the codec and the way out: {stderr}"
    );
    let written = analyze_json(&dir.path().join("plain.wav"));
    assert!(num(&written, "true_peak_dbtp") <= -0.05, "{written}");

    let out = master(dir.path(), "safe.wav", &["--drive", "14", "--codec-safe"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("peaks over 0 dBTP"), "{stderr}");
    for codec in ["MP3 320 kb/s", "Ogg Vorbis q5"] {
        let peak = codec_row(&stdout, codec);
        assert!(
            peak <= -0.1,
            "{codec} after --codec-safe: {peak} dBTP\n{stdout}"
        );
    }
    assert!(stdout.contains("Ceiling lowered from -0.1 to"), "{stdout}");
    let safe = analyze_json(&dir.path().join("safe.wav"));
    assert!(
        num(&safe, "true_peak_dbtp") < num(&written, "true_peak_dbtp") - 0.2,
        "the codec-safe master sits lower: {safe} vs {written}"
    );

    let out = master(
        dir.path(),
        "unchecked.wav",
        &["--drive", "14", "--no-codec-check"],
    );
    assert!(out.status.success());
    assert!(!text(&out.stdout).contains("after the codecs"));
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
}
