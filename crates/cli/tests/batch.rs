//! `lacquer master` with several inputs or a folder: the masters equal the single-file ones,
//! a broken file fails alone, every output is checked against every input and existing file
//! before anything starts, progress is shown as plain lines when stderr is not a terminal.

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::Output;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Three short songs of different levels in `dir`: a.wav, b.flac, c.wav.
fn three_songs(dir: &Path) {
    write_wav(
        &dir.join("a.wav"),
        &program(44_100, 2, 4.0, -6.0),
        44_100,
        24,
    );
    write_flac(&dir.join("b.flac"), &program(48_000, 2, 4.0, -12.0), 48_000);
    write_wav(
        &dir.join("c.wav"),
        &program(44_100, 1, 4.0, -3.0),
        44_100,
        16,
    );
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    run_in(cwd, args)
}

fn assert_refused_before_anything(out: &Output, what: &str, needle: &str) {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{what}: succeeded; stderr {err:?}");
    assert_eq!(err.lines().count(), 1, "{what}: one line expected: {err:?}");
    assert!(err.contains(needle), "{what}: {err:?} lacks {needle:?}");
    assert!(
        !err.contains("mastering"),
        "{what}: a file was started: {err:?}"
    );
}

#[test]
fn a_batch_writes_what_single_runs_write_and_a_broken_file_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let songs = dir.path().join("songs");
    fs::create_dir(&songs).unwrap();
    three_songs(&songs);
    // A WAV header promising audio that is not there, and a text file with an audio name.
    let good = fs::read(songs.join("a.wav")).unwrap();
    fs::write(songs.join("broken.wav"), &good[..60]).unwrap();
    fs::write(songs.join("notes.txt"), b"not audio").unwrap();

    let out = run(
        dir.path(),
        &["master", "songs", "-o", "masters", "--jobs", "2"],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        !out.status.success(),
        "a failed file must fail the run: {stderr}"
    );
    assert_eq!(
        names_in(&dir.path().join("masters")),
        ["a.wav", "b.wav", "c.wav"],
        "the three good files are written, nothing of the broken one; stderr {stderr}"
    );
    let progress = |l: &&str| l.starts_with("lacquer: [");
    let failures: Vec<&str> = stderr
        .lines()
        .filter(|l| !progress(l) && l.contains("broken.wav"))
        .collect();
    assert_eq!(
        failures.len(),
        2,
        "one line for the broken file, one sum: {stderr}"
    );
    assert!(failures[0].contains("damaged or truncated"), "{stderr}");
    assert!(
        stderr
            .lines()
            .last()
            .unwrap()
            .contains("1 of 4 files failed"),
        "the last line sums up: {stderr}"
    );
    assert!(stdout.contains("Batch: 3 of 4 files mastered"), "{stdout}");
    for name in ["a.wav", "b.flac", "c.wav", "broken.wav"] {
        assert!(stdout.contains(name), "summary lacks {name}: {stdout}");
    }
    assert!(stdout.contains("FAILED"), "{stdout}");
    // Plain progress lines (stderr is a pipe here): a start and an end line per file.
    assert_eq!(stderr.matches("] mastering '").count(), 4, "{stderr}");
    assert_eq!(stderr.matches("' mastered in ").count(), 3, "{stderr}");
    assert_eq!(stderr.matches("' failed in ").count(), 1, "{stderr}");

    // Each master equals the single-file run's, byte for byte (same decisions, same render).
    let single = dir.path().join("single");
    fs::create_dir(&single).unwrap();
    for (input, output) in [("a.wav", "a.wav"), ("b.flac", "b.wav"), ("c.wav", "c.wav")] {
        let want = single.join(output);
        let out = run(
            dir.path(),
            &[
                "master",
                songs.join(input).to_str().unwrap(),
                "-o",
                want.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{input}: {}", text(&out.stderr));
        assert!(
            fs::read(&want).unwrap() == fs::read(dir.path().join("masters").join(output)).unwrap(),
            "{input}: the batch's master differs from the single run's"
        );
    }
}

#[test]
fn quiet_batches_print_no_progress_and_reports_go_one_per_file() {
    let dir = tempfile::tempdir().unwrap();
    three_songs(dir.path());
    let out = run(
        dir.path(),
        &[
            "master", "a.wav", "b.flac", "-o", "out", "--quiet", "--report", "reports", "--format",
            "flac",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        !stderr.contains("mastering"),
        "--quiet shows no progress: {stderr}"
    );
    assert_eq!(names_in(&dir.path().join("out")), ["a.flac", "b.flac"]);
    assert_eq!(
        names_in(&dir.path().join("reports")),
        ["a.html", "a.json", "b.html", "b.json"]
    );
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("reports/b.json")).unwrap()).unwrap();
    assert!(
        report.to_string().contains("b.flac"),
        "b's report is about b: {report}"
    );
    let codecs = report["codec_check"]
        .as_array()
        .expect("codec_check in the report");
    assert_eq!(codecs.len(), 2, "{report}");
    for c in codecs {
        let peak = c["true_peak_dbtp"].as_f64().expect("a measured codec peak");
        assert!((-30.0..=3.0).contains(&peak), "{c}");
    }
}

#[test]
fn outputs_are_checked_against_every_input_and_each_other_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let songs = dir.path().join("songs");
    fs::create_dir(&songs).unwrap();
    three_songs(&songs);
    fs::copy(songs.join("a.wav"), dir.path().join("a.wav")).unwrap();

    // Two inputs with one name would write one master.
    let out = run(dir.path(), &["master", "songs", "a.wav", "-o", "m"]);
    assert_refused_before_anything(&out, "same names", "would both be written");
    assert!(
        !dir.path().join("m").exists(),
        "the output folder is not left behind"
    );

    // Writing into the inputs' folder: c's master would replace the input c.wav, even with
    // --force, and nothing else is written either.
    let out = run(
        dir.path(),
        &[
            "master",
            "songs/b.flac",
            "songs/c.wav",
            "-o",
            "songs",
            "--force",
        ],
    );
    assert_refused_before_anything(&out, "an input", "refusing to overwrite the input file");
    assert_eq!(names_in(&songs), ["a.wav", "b.flac", "c.wav"]);

    // An existing master needs --force, and is named.
    fs::create_dir(dir.path().join("out")).unwrap();
    fs::write(dir.path().join("out/c.wav"), b"keep me").unwrap();
    let out = run(dir.path(), &["master", "songs", "-o", "out"]);
    assert_refused_before_anything(&out, "existing", "already exists; add --force");
    assert_eq!(names_in(&dir.path().join("out")), ["c.wav"]);
    assert_eq!(fs::read(dir.path().join("out/c.wav")).unwrap(), b"keep me");

    // Several inputs need a folder, not a file.
    let out = run(
        dir.path(),
        &["master", "songs/a.wav", "songs/c.wav", "-o", "x.wav"],
    );
    assert_refused_before_anything(&out, "file output", "need -o to name a folder");
    assert!(!dir.path().join("x.wav").exists());

    // An empty folder is an error, not a silent success.
    fs::create_dir(dir.path().join("empty")).unwrap();
    let out = run(dir.path(), &["master", "empty", "-o", "out2"]);
    assert_refused_before_anything(&out, "empty folder", "has no audio files");

    let out = run(
        dir.path(),
        &["master", "songs", "-o", "out3", "--jobs", "0"],
    );
    assert_refused_before_anything(&out, "no jobs", "--jobs 0");
}

#[test]
fn a_folder_of_one_file_is_a_batch_and_format_must_agree_with_a_file_output() {
    let dir = tempfile::tempdir().unwrap();
    let songs = dir.path().join("songs");
    fs::create_dir(&songs).unwrap();
    write_flac(
        &songs.join("b.flac"),
        &program(48_000, 2, 4.0, -12.0),
        48_000,
    );
    let out = run(
        dir.path(),
        &[
            "master",
            "songs",
            "-o",
            "masters",
            "--no-assist",
            "--format",
            "flac",
        ],
    );
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(names_in(&dir.path().join("masters")), ["b.flac"]);
    assert!(text(&out.stdout).contains("24-bit FLAC"));
    assert!(text(&out.stdout).contains("Batch: 1 of 1 files mastered"));

    let out = run(
        dir.path(),
        &["master", "songs/b.flac", "-o", "a2.wav", "--format", "flac"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--format flac disagrees"),
        "{}",
        text(&out.stderr)
    );
    assert!(!dir.path().join("a2.wav").exists());
}
