//! `cargo xtask train-assistant DIR [--csv FILE] [--lambda L] [--threshold T] [--seconds S]
//! [--dry-run]`: trains the assistant's damage estimator on a folder of real masters (e.g. the
//! folder `cargo xtask corpus` prints), prints its leave-one-track-out restore-versus-harm
//! figures and writes `assets/estimator/estimator.json` (and the curve as CSV for
//! `cargo xtask plot-tradeoff`). Builds the `lacquer` binary in release mode and runs its
//! hidden `train-assistant` command, so the analysis is the crate's own.

const USAGE: &str = "usage: cargo xtask train-assistant DIR [--csv FILE] [--lambda L] [--threshold T] [--seconds S] [--dry-run]";

/// Runs the task with the arguments after `train-assistant`.
pub fn run(args: &[String]) -> Result<(), String> {
    crate::eval::run_on_folder(args, USAGE, "train-assistant", "training the estimator")
}
