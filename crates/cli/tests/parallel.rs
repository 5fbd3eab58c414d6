//! README's recipe for mastering a catalogue on several machines with GNU parallel, run here
//! on this machine (`--sshlogin 2/:`, two jobs on the local host): each file is an
//! independent `lacquer master` job, so every master equals the one a plain run writes, and a
//! broken file fails its own job only (parallel's exit status counts the failed jobs).
//!
//! Needs GNU parallel (Debian's `parallel`, which `cargo xtask deps` installs); without it
//! the test says so and passes vacuously, as a machine without the tool cannot run it.

mod common;

use common::*;
use std::fs;
use std::process::Command;

#[test]
fn readmes_gnu_parallel_recipe_masters_each_file_as_a_plain_run_does() {
    if Command::new("parallel").arg("--version").output().is_err() {
        eprintln!("skipped: GNU parallel is not installed (`apt-get install parallel`)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let songs = dir.path().join("songs");
    fs::create_dir(&songs).unwrap();
    write_wav(
        &songs.join("one.wav"),
        &program(44_100, 2, 4.0, -6.0),
        44_100,
        24,
    );
    write_wav(
        &songs.join("two.wav"),
        &program(48_000, 2, 4.0, -14.0),
        48_000,
        16,
    );
    let good = fs::read(songs.join("one.wav")).unwrap();
    fs::write(songs.join("three.wav"), &good[..60]).unwrap();

    // README, "More than one machine", with this machine as the only host.
    let recipe = format!(
        "mkdir -p masters && '{}' master {{}} -o masters/{{/.}}.wav --quiet",
        lacquer().display()
    );
    let out = Command::new("parallel")
        .args([
            "--will-cite",
            "--sshlogin",
            "2/:",
            "--trc",
            "masters/{/.}.wav",
        ])
        .arg(&recipe)
        .arg(":::")
        .args(["songs/one.wav", "songs/two.wav", "songs/three.wav"])
        .current_dir(dir.path())
        .output()
        .expect("run parallel");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "parallel's exit status is the number of failed jobs (one): {stderr}"
    );
    assert!(
        stderr.contains("three.wav"),
        "the broken file is named: {stderr}"
    );
    assert_eq!(
        names_in(&dir.path().join("masters")),
        ["one.wav", "two.wav"],
        "nothing of the broken file: {stderr}"
    );

    for name in ["one.wav", "two.wav"] {
        let plain = dir.path().join(format!("plain-{name}"));
        let out = run_in(
            dir.path(),
            &[
                "master",
                songs.join(name).to_str().unwrap(),
                "-o",
                plain.to_str().unwrap(),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            fs::read(&plain).unwrap() == fs::read(dir.path().join("masters").join(name)).unwrap(),
            "{name}: the parallel job's master differs from a plain run's"
        );
    }
}
