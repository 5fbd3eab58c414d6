//! `cargo xtask eval DIR [--seconds S] [--seed N] [--limit N] [--json FILE] [--verbose]`: the
//! assistant's degrade-and-restore evaluation (issue #5, item 10) on a folder of real masters,
//! e.g. the corpus folder `cargo xtask corpus` prints. Builds the `lacquer` binary in release
//! mode and runs its hidden `eval-corpus` command, so the figures come from the very
//! code `lacquer master` runs. `docs/eval.md` holds the latest figures.

const USAGE: &str =
    "usage: cargo xtask eval DIR [--seconds S] [--seed N] [--limit N] [--json FILE] [--verbose]";

/// Runs the task with the arguments after `eval`.
pub fn run(args: &[String]) -> Result<(), String> {
    run_on_folder(args, USAGE, "eval-corpus", "the evaluation")
}

/// `cargo xtask eval-resonance DIR [--seconds S] [--seed N] [--amounts A,B] [--limit N]
/// [--verbose]`: the resonance case (issue 14, items 3 and 8), the hidden `eval-resonance`
/// command of the release `lacquer`.
pub fn run_resonance(args: &[String]) -> Result<(), String> {
    run_on_folder(
        args,
        "usage: cargo xtask eval-resonance DIR [--seconds S] [--seed N] [--amounts A,B] [--limit N] [--verbose]",
        "eval-resonance",
        "the resonance evaluation",
    )
}

/// Runs the hidden `lacquer` command `subcommand` (release build) with `args`, whose first
/// item must be a folder of real masters; shared by `eval` and `derive-targets`, which both
/// need the crate's own analysis on a corpus.
pub fn run_on_folder(
    args: &[String],
    usage: &str,
    subcommand: &str,
    what: &str,
) -> Result<(), String> {
    let Some(dir) = args.first() else {
        return Err(format!(
            "no corpus folder given; {usage} (get one with `cargo xtask corpus`, which prints its folder)"
        ));
    };
    if dir == "--help" || dir == "-h" {
        println!("{usage}");
        return Ok(());
    }
    if !std::path::Path::new(dir).is_dir() {
        return Err(format!("'{dir}' is not a folder; {usage}"));
    }
    let status =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args([
                "run",
                "--release",
                "--quiet",
                "--bin",
                "lacquer",
                "--",
                subcommand,
            ])
            .args(args)
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}
