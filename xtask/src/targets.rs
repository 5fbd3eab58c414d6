//! `cargo xtask derive-targets DIR [--out DIR] [--holdout-every N] [--features FILE]`: derives
//! the assistant's target profiles (`assets/targets/<family>.json`) and the hold-out list
//! (`assets/targets/holdout.txt`) from a folder of real masters, e.g. the corpus folder
//! `cargo xtask corpus` prints. Builds the `lacquer` binary in release mode and
//! runs its hidden `derive-targets` command, so the analysis is the crate's own.

const USAGE: &str =
    "usage: cargo xtask derive-targets DIR [--out DIR] [--holdout-every N] [--features FILE]";

/// Runs the task with the arguments after `derive-targets`.
pub fn run(args: &[String]) -> Result<(), String> {
    crate::eval::run_on_folder(args, USAGE, "derive-targets", "deriving the targets")
}
