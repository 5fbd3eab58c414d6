//! A long input is never whole in memory: `lacquer master` decodes it again for every pass
//! (`LACQUER_IN_MEMORY_LIMIT` sets the size above which it does; 0 streams every file). The
//! streamed master must be the in-memory master byte for byte, with the same decisions, the
//! same report and the same codec figures, for every output format and option that touches
//! the samples. (`golden.rs` checks the demo mix both ways against its pinned hashes; `cargo xtask
//! bench-memory` measures the memory of a 1-hour 96 kHz master.)

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `lacquer master` with `args` in `dir`, streaming the input if `streamed`.
fn master(dir: &Path, args: &[&str], streamed: bool) -> Output {
    let mut command = Command::new(lacquer());
    if streamed {
        command.env("LACQUER_IN_MEMORY_LIMIT", "0");
    }
    let out = command
        .arg("master")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run lacquer");
    assert!(
        out.status.success(),
        "lacquer master {args:?} (streamed: {streamed}) failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Hostile, music-like material: the test program with full-scale noise bursts, a stretch of
/// square wave and a few clipped samples, 20 s of stereo at `rate`.
fn hostile(rate: u32) -> Vec<Vec<f32>> {
    let mut audio = program(rate, 2, 20.0, -6.0);
    let n = audio[0].len();
    let mut state = 0x1234_5678u32;
    let (left, right) = audio.split_at_mut(1);
    for (i, (l, r)) in left[0].iter_mut().zip(right[0].iter_mut()).enumerate() {
        let t = i as f64 / f64::from(rate);
        if t.fract() < 0.05 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (f64::from(state) / f64::from(u32::MAX) * 2.0 - 1.0) as f32;
            *l = noise;
            *r = -noise;
        }
        if (12.0..13.0).contains(&t) {
            let square = if (i / 40) % 2 == 0 { 0.9 } else { -0.9 };
            *l = square;
            *r = square;
        }
        if i % (n / 7) == 3 {
            *l = 1.0;
        }
    }
    audio
}

#[test]
fn a_streamed_master_is_the_in_memory_master() {
    let dir = tempfile::tempdir().unwrap();
    write_wav(&dir.path().join("in.wav"), &hostile(48_000), 48_000, 24);
    let cases: [&[&str]; 3] = [
        // The assistant with both reports (the decisions, the codec figures, the plots).
        &[
            "in.wav", "-o", "out.wav", "--report", "out.json", "--report", "out.html", "--force",
        ],
        // The plain chain, polarity flipped, to FLAC.
        &[
            "in.wav",
            "-o",
            "out.flac",
            "--no-assist",
            "--drive",
            "6",
            "--flip-polarity",
            "right",
            "--no-codec-check",
            "--force",
        ],
        // A loudness target searched without the assistant, 16-bit, codec-safe.
        &[
            "in.wav",
            "-o",
            "out.wav",
            "--no-assist",
            "--target-lufs",
            "-9",
            "--bit-depth",
            "16",
            "--codec-safe",
            "--force",
        ],
    ];
    for args in cases {
        let outputs: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| a.starts_with("out."))
            .collect();
        let read_all = || -> Vec<Vec<u8>> {
            outputs
                .iter()
                .map(|o| std::fs::read(dir.path().join(o)).unwrap())
                .collect()
        };
        let in_memory = master(dir.path(), args, false);
        let expected = read_all();
        let streamed = master(dir.path(), args, true);
        let got = read_all();
        for ((name, a), b) in outputs.iter().zip(&expected).zip(&got) {
            assert!(a == b, "{args:?}: the streamed {name} differs");
        }
        assert_eq!(
            String::from_utf8_lossy(&in_memory.stdout),
            String::from_utf8_lossy(&streamed.stdout),
            "{args:?}: the printed tables and decisions differ"
        );
    }
}
