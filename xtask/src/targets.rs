//! `cargo xtask derive-targets DIR [--out DIR] [--holdout-every N] [--features FILE]`: derives
//! the assistant's target profiles (`assets/targets/<family>.json`) and the hold-out list
//! (`assets/targets/holdout.txt`) from a folder of real masters, e.g. the corpus from
//! `bash ../shared/corpus/fetch-corpus.sh`. Builds the `lacquer` binary in release mode and
//! runs its hidden `derive-targets` command, so the analysis is the crate's own.

use std::path::PathBuf;
use std::process::Command;

const USAGE: &str =
    "usage: cargo xtask derive-targets DIR [--out DIR] [--holdout-every N] [--features FILE]";

/// Runs the task with the arguments after `derive-targets`.
pub fn run(args: &[String]) -> Result<(), String> {
    let Some(dir) = args.first() else {
        return Err(format!(
            "no corpus folder given; {USAGE} (get one with `bash ../shared/corpus/fetch-corpus.sh`)"
        ));
    };
    if dir == "--help" || dir == "-h" {
        println!("{USAGE}");
        return Ok(());
    }
    if !PathBuf::from(dir).is_dir() {
        return Err(format!("'{dir}' is not a folder; {USAGE}"));
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "run",
            "--release",
            "--quiet",
            "--bin",
            "lacquer",
            "--",
            "derive-targets",
        ])
        .args(args)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("deriving the targets failed ({status})"))
    }
}
