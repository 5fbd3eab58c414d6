//! `cargo xtask bench-memory [--minutes M] [--rate HZ] [-- MASTER_FLAGS...]`: the peak memory
//! of mastering a long file, and the proof that streaming changes nothing.
//!
//! Builds the release `lacquer` and, under `target/bench-memory`:
//! 1. writes a 5-minute 44.1 kHz 24-bit stereo song (the demo mix looped) and masters it twice
//!    with each of `--no-assist` and the assistant: once decoded into memory (a song's usual
//!    path) and once streamed (`LACQUER_IN_MEMORY_LIMIT=0`: decoded again for every pass, as a
//!    long file is); the masters must be byte-identical and the printed decisions the same;
//! 2. writes an M-minute (default 60) 24-bit stereo WAV at HZ (default 96 kHz), the demo mix
//!    looped, and masters it with the default flags (the assistant, the codec check) under
//!    `/usr/bin/time -v`, printing the wall time and the peak resident memory. It fails above
//!    300 MB.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

const USAGE: &str =
    "usage: cargo xtask bench-memory [--minutes M] [--rate HZ] [-- MASTER_FLAGS...]";

/// Most resident memory the long master may take, MB (10^6 bytes).
const MAX_RSS_MB: f64 = 300.0;

fn parse(args: &[String]) -> Result<(f64, u32, Vec<String>), String> {
    let (mut minutes, mut rate) = (60.0f64, 96_000u32);
    let (args, flags) = match args.iter().position(|a| a == "--") {
        Some(i) => (&args[..i], args[i + 1..].to_vec()),
        None => (args, Vec::new()),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| format!("{arg} needs a value; {USAGE}"))?;
        match arg.as_str() {
            "--minutes" => minutes = value.parse().map_err(|e| format!("--minutes: {e}"))?,
            "--rate" => rate = value.parse().map_err(|e| format!("--rate: {e}"))?,
            other => return Err(format!("unknown option `{other}`; {USAGE}")),
        }
    }
    if !(1.0..=600.0).contains(&minutes) || !(22_050..=384_000).contains(&rate) {
        return Err(format!("1 to 600 minutes at 22050 to 384000 Hz; {USAGE}"));
    }
    Ok((minutes, rate, flags))
}

/// Writes the demo mix looped to `seconds` of 24-bit stereo at `rate` (the mix's samples as
/// they are: at another rate than its own it plays at another pitch, which is still music).
fn write_looped(path: &Path, mix: &[Vec<f32>; 2], rate: u32, seconds: f64) -> Result<(), String> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: rate,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let fail = |e: hound::Error| format!("cannot write {}: {e}", path.display());
    let mut writer = hound::WavWriter::create(path, spec).map_err(fail)?;
    let n = (seconds * f64::from(rate)) as usize;
    let len = mix[0].len().max(1);
    for i in 0..n {
        for ch in mix {
            let v = (ch[i % len] * 8_388_607.0).round() as i32;
            writer
                .write_sample(v.clamp(-8_388_608, 8_388_607))
                .map_err(fail)?;
        }
    }
    writer.finalize().map_err(fail)
}

/// Runs `lacquer master` (streamed if asked) and returns its stdout.
fn master(lacquer: &Path, args: &[&str], streamed: bool) -> Result<String, String> {
    let mut command = Command::new(lacquer);
    if streamed {
        command.env("LACQUER_IN_MEMORY_LIMIT", "0");
    }
    let out = command
        .arg("master")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", lacquer.display()))?;
    if !out.status.success() {
        return Err(format!(
            "lacquer master {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Step 1 of the module docs.
fn streaming_changes_nothing(
    lacquer: &Path,
    work: &Path,
    mix: &[Vec<f32>; 2],
) -> Result<(), String> {
    let song = work.join("song-5min.wav");
    write_looped(&song, mix, 44_100, 300.0)?;
    let song = song.to_string_lossy().into_owned();
    for flags in [&["--no-assist", "--drive", "4"][..], &[]] {
        let mut outputs = Vec::new();
        for streamed in [false, true] {
            let out = work.join(format!(
                "song-{}.wav",
                if streamed { "streamed" } else { "memory" }
            ));
            let out_arg = out.to_string_lossy().into_owned();
            let mut args = vec![song.as_str(), "-o", out_arg.as_str(), "--force", "--quiet"];
            args.extend(flags);
            let started = Instant::now();
            let stdout = master(lacquer, &args, streamed)?;
            println!(
                "  5-minute song {flags:?} {}: {:.1} s",
                if streamed { "streamed" } else { "in memory" },
                started.elapsed().as_secs_f64()
            );
            let bytes = std::fs::read(&out).map_err(|e| format!("{}: {e}", out.display()))?;
            // The table names the output file; everything else must match.
            let stdout = stdout.replace(&out_arg, "OUT");
            outputs.push((bytes, stdout));
        }
        if outputs[0].0 != outputs[1].0 {
            return Err(format!(
                "{flags:?}: the streamed master differs from the in-memory one"
            ));
        }
        if outputs[0].1 != outputs[1].1 {
            return Err(format!(
                "{flags:?}: the streamed run printed other figures or decisions:\n{}\n---\n{}",
                outputs[0].1, outputs[1].1
            ));
        }
        println!("  {flags:?}: byte-identical masters, the same decisions and figures");
    }
    Ok(())
}

/// Runs the benchmark.
pub fn run(args: &[String]) -> Result<(), String> {
    let (minutes, rate, flags) = parse(args)?;
    let root = super::bench::workspace_root();
    let (target, lacquer) = super::bench::build_release_lacquer(&root)?;
    let work = target.join("bench-memory");
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let mix = super::bench::demo_mix(&root)?;
    println!("streaming against decoding into memory:");
    streaming_changes_nothing(&lacquer, &work, &mix)?;

    let long = work.join(format!("long-{minutes}min-{rate}.wav"));
    if !long.exists() {
        println!("writing {} ...", long.display());
        write_looped(&long, &mix, rate, minutes * 60.0)?;
    }
    let out = work.join("long-master.wav");
    let started = Instant::now();
    let run = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(&lacquer)
        .arg("master")
        .arg(&long)
        .arg("-o")
        .arg(&out)
        .args(["--force", "--quiet"])
        .args(&flags)
        .output()
        .map_err(|e| format!("cannot run /usr/bin/time (Debian's `time` package): {e}"))?;
    let wall = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&run.stderr);
    if !run.status.success() {
        return Err(format!("the long master failed: {stderr}"));
    }
    let rss_kb: f64 = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("no peak memory in /usr/bin/time's output")?;
    let rss_mb = rss_kb * 1024.0 / 1e6;
    let stdout = String::from_utf8_lossy(&run.stdout);
    println!("{stdout}");
    println!(
        "{minutes} minutes at {rate} Hz, 24-bit stereo, flags {flags:?}: {wall:.0} s wall \
         ({:.0}x real time), peak resident memory {rss_mb:.0} MB (at most {MAX_RSS_MB} MB)",
        minutes * 60.0 / wall
    );
    let _ = std::fs::remove_file(&out);
    if rss_mb > MAX_RSS_MB {
        return Err(format!(
            "the long master took {rss_mb:.0} MB, more than {MAX_RSS_MB} MB"
        ));
    }
    Ok(())
}
