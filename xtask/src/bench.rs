//! `cargo xtask bench-batch [--files N] [--seconds S] [-- MASTER_FLAGS...]`: whole-CLI figures
//! for batch mastering (flags after `--` go to every `lacquer master`).
//!
//! Builds the release `lacquer`, writes N songs of S seconds (default 8 of 60 s: the demo mix
//! looped, each at its own level and starting point, 44.1 kHz 24-bit stereo) under
//! `target/bench-batch`, masters each alone (one after another, timing each), then all of them
//! as one batch, and prints the times. It fails if the batch's wall time is more than 0.6x the
//! sum of the single-file times, or if any batch master differs from its single-file master.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask bench-batch [--files N] [--seconds S] [-- MASTER_FLAGS...]";

/// Largest batch wall time allowed, as a share of the single-file times' sum.
const MAX_RATIO: f64 = 0.6;

pub fn workspace_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

fn parse(args: &[String]) -> Result<(usize, f64, Vec<String>), String> {
    let (mut files, mut seconds) = (8usize, 60.0f64);
    let (args, flags) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], args[i + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = |v: Option<&String>| {
            v.cloned()
                .ok_or_else(|| format!("{arg} needs a value; {USAGE}"))
        };
        match arg.as_str() {
            "--files" => {
                files = value(it.next())?
                    .parse()
                    .map_err(|e| format!("--files: {e}"))?;
            }
            "--seconds" => {
                seconds = value(it.next())?
                    .parse()
                    .map_err(|e| format!("--seconds: {e}"))?;
            }
            other => return Err(format!("unknown option `{other}`; {USAGE}")),
        }
    }
    if files < 2 || !(1.0..=3600.0).contains(&seconds) {
        return Err(format!("at least 2 files of 1 to 3600 s; {USAGE}"));
    }
    Ok((files, seconds, flags))
}

/// The demo mix, planar stereo in -1..1.
pub fn demo_mix(root: &Path) -> Result<[Vec<f32>; 2], String> {
    let path = root.join("assets/demo/demo-mix.wav");
    let mut reader = hound::WavReader::open(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let scale = 1.0 / f32::from(i16::MAX);
    let samples: Vec<f32> = reader
        .samples::<i16>()
        .map(|s| s.map(|v| f32::from(v) * scale))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("cannot decode {}: {e}", path.display()))?;
    let left = samples.iter().step_by(2).copied().collect();
    let right = samples.iter().skip(1).step_by(2).copied().collect();
    Ok([left, right])
}

/// Song `index`: the mix looped from its own starting point, at its own level.
fn write_song(path: &Path, mix: &[Vec<f32>; 2], index: usize, seconds: f64) -> Result<(), String> {
    let rate = 44_100u32;
    let n = (seconds * f64::from(rate)) as usize;
    let len = mix[0].len().max(1);
    let start = index * len / 8;
    let gain = 10f32.powf(-(index as f32 % 5.0) * 2.0 / 20.0);
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let full = 8_388_607.0f32;
    for i in 0..n {
        for ch in mix {
            let v = (ch[(start + i) % len] * gain * full).round() as i32;
            writer
                .write_sample(v.clamp(-8_388_608, 8_388_607))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
    }
    writer
        .finalize()
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Runs `lacquer` and returns its wall time in seconds.
fn timed(lacquer: &Path, args: &[&Path], extra: &[&str]) -> Result<f64, String> {
    let started = Instant::now();
    let out = Command::new(lacquer)
        .arg("master")
        .args(args)
        .args(extra)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", lacquer.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(format!(
            "lacquer master failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(seconds)
}

/// Builds the release `lacquer`; returns the target folder and the binary's path.
pub fn build_release_lacquer(root: &Path) -> Result<(PathBuf, PathBuf), String> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "lacquer-cli"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("`cargo build --release -p lacquer-cli` failed".into());
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let lacquer = target.join("release").join("lacquer");
    Ok((target, lacquer))
}

/// Runs the benchmark.
pub fn run(args: &[String]) -> Result<(), String> {
    let (files, seconds, flags) = parse(args)?;
    let mut extra: Vec<&str> = vec!["--quiet"];
    extra.extend(flags.iter().map(String::as_str));
    let root = workspace_root();
    let (target, lacquer) = build_release_lacquer(&root)?;
    let work = target.join("bench-batch");
    let _ = std::fs::remove_dir_all(&work);
    let (songs, single, batch) = (work.join("songs"), work.join("single"), work.join("batch"));
    for dir in [&songs, &single] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mix = demo_mix(&root)?;
    let names: Vec<String> = (1..=files).map(|i| format!("song{i:02}.wav")).collect();
    for (i, name) in names.iter().enumerate() {
        write_song(&songs.join(name), &mix, i, seconds)?;
    }
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    println!(
        "{files} songs of {seconds} s (44.1 kHz 24-bit stereo), {threads} cores, flags {:?}",
        &extra[1..]
    );
    let mut sum = 0.0;
    for name in &names {
        let t = timed(
            &lacquer,
            &[&songs.join(name), Path::new("-o"), &single.join(name)],
            &extra,
        )?;
        println!("  alone: {name} {t:.2} s");
        sum += t;
    }
    let wall = timed(&lacquer, &[&songs, Path::new("-o"), &batch], &extra)?;
    let ratio = wall / sum;
    println!(
        "sum of single-file times {sum:.2} s; batch wall time {wall:.2} s = {ratio:.2}x the sum \
         (at most {MAX_RATIO}x); the batch masters {:.1}x real time",
        files as f64 * seconds / wall
    );
    for name in &names {
        let a = std::fs::read(single.join(name)).map_err(|e| format!("{name}: {e}"))?;
        let b = std::fs::read(batch.join(name)).map_err(|e| format!("{name}: {e}"))?;
        if a != b {
            return Err(format!(
                "the batch's {name} differs from the single-file master"
            ));
        }
    }
    println!("every batch master is byte-identical to its single-file master");
    if ratio > MAX_RATIO {
        return Err(format!(
            "the batch took {ratio:.2}x the single-file sum, more than {MAX_RATIO}x"
        ));
    }
    Ok(())
}
