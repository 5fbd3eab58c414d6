//! Step i: the coverage-guided fuzzers (`fuzz/`, its own workspace; README's "Fuzzing"). Both
//! targets, `decode` (the CLI's decoder) and `state` (the plugin's state loading), are built
//! with libFuzzer's coverage instrumentation on the toolchain running this xtask (stable is
//! enough: these are the flags `cargo fuzz build --sanitizer none` passes, all stable `-C`
//! options, so neither nightly nor cargo-fuzz is needed), then each runs for
//! [`DEFAULT_SECONDS`] (`LACQUER_FUZZ_SECONDS` overrides) over the committed corpus
//! `fuzz/corpus/<target>/`, one process. New inputs go to a scratch corpus under the target
//! directory, crashes to `<target dir>/fuzz/artifacts/<target>/`. A target passes when libFuzzer
//! ends without finding anything; a crash, leak, timeout or out-of-memory fails it.

use super::counts::Counts;
use super::{Run, banner, cargo};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const STEP: &str = "i. fuzz targets (libFuzzer, stable)";
/// The fuzz targets, as named in fuzz/Cargo.toml.
const TARGETS: [&str; 2] = ["decode", "state"];
/// Seconds each target runs for unless `LACQUER_FUZZ_SECONDS` says otherwise.
const DEFAULT_SECONDS: u64 = 45;
/// cargo-fuzz's instrumentation with `--sanitizer none` (cargo-fuzz 0.13, `project.rs`).
const RUSTFLAGS: &str = "-Cpasses=sancov-module \
    -Cllvm-args=-sanitizer-coverage-level=4 \
    -Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
    -Cllvm-args=-sanitizer-coverage-pc-table \
    -Cllvm-args=-sanitizer-coverage-trace-compares \
    -Cllvm-args=-simplifycfg-branch-fold-threshold=0 \
    -Cllvm-args=-sanitizer-coverage-stack-depth \
    --cfg fuzzing";

/// Builds and runs the fuzz targets; records the step in `run`.
pub(super) fn step(run: &mut Run, target_dir: &Path) {
    banner(STEP);
    let seconds = std::env::var("LACQUER_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(DEFAULT_SECONDS);
    let out = target_dir.join("fuzz");
    let bins = match build(&out) {
        Ok(bins) => bins,
        Err(why) => {
            run.counts.failed += 1;
            run.report.push(format!("{STEP}: FAILED ({why})"));
            run.failed_steps.push(format!("{STEP}: {why}"));
            return;
        }
    };
    let mut counts = Counts::default();
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for name in TARGETS {
        match fuzz(&bins.join(name), name, &out, seconds) {
            Ok(summary) => {
                counts.passed += 1;
                results.push(format!("{name} {summary}"));
            }
            Err(why) => {
                counts.failed += 1;
                failures.push(format!("{name}: {why}"));
            }
        }
    }
    run.counts.add(counts);
    if failures.is_empty() {
        run.report
            .push(format!("{STEP}: ok ({})", results.join("; ")));
    } else {
        let why = failures.join("; ");
        run.report.push(format!("{STEP}: FAILED ({why})"));
        run.failed_steps.push(format!("{STEP}: {why}"));
    }
}

/// Builds both targets into `out`; returns the folder holding the binaries.
fn build(out: &Path) -> Result<std::path::PathBuf, String> {
    let host = host_triple()?;
    let status = Command::new(cargo())
        .args([
            "build",
            "--release",
            "--bins",
            "--manifest-path",
            "fuzz/Cargo.toml",
        ])
        .args(["--target", &host, "--target-dir"])
        .arg(out)
        // Only the target is instrumented (`--target`): build scripts and proc macros are not.
        .env("RUSTFLAGS", RUSTFLAGS)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the fuzz targets failed ({status})"));
    }
    Ok(out.join(host).join("release"))
}

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> Result<String, String> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .map_err(|e| format!("could not run rustc -vV: {e}"))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .ok_or_else(|| "rustc -vV names no host".to_string())
}

/// Runs one target for `seconds` over its committed corpus; `Ok` with its figures
/// (executions, exec/s) when it found nothing.
fn fuzz(bin: &Path, name: &str, out: &Path, seconds: u64) -> Result<String, String> {
    let scratch = out.join("corpus").join(name);
    let artifacts = out.join("artifacts").join(name);
    for dir in [&scratch, &artifacts] {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let committed = Path::new("fuzz/corpus").join(name);
    let mut child = Command::new(bin)
        .arg(&scratch)
        .arg(&committed)
        .arg(format!("-max_total_time={seconds}"))
        .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"])
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not run {}: {e}", bin.display()))?;
    let mut executions = None;
    let mut per_second = None;
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let stat = |key: &str| {
                line.strip_prefix(key)
                    .and_then(|v| v.trim().parse::<u64>().ok())
            };
            if let Some(n) = stat("stat::number_of_executed_units:") {
                executions = Some(n);
            }
            if let Some(n) = stat("stat::average_exec_per_sec:") {
                per_second = Some(n);
            }
            // libFuzzer's progress lines are many; its findings and the stats are what count.
            if !line.starts_with('#') {
                eprintln!("{line}");
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {name}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "libFuzzer found a failure ({status}); the input is in {}",
            artifacts.display()
        ));
    }
    Ok(format!(
        "{} executions in {seconds} s, {} exec/s, no crash",
        executions.map_or("?".to_string(), |n| n.to_string()),
        per_second.map_or("?".to_string(), |n| n.to_string())
    ))
}
