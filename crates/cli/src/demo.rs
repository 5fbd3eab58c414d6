//! `lacquer` with no arguments (or `lacquer demo`): master the bundled demo mix into
//! `lacquer-demo.wav` in the current folder exactly as `lacquer master demo-mix.wav -o
//! lacquer-demo.wav` would (the assistant with its defaults: automatic family, -14 LUFS,
//! -1 dBTP), so a new user hears, sees and reads what Lacquer does without preparing a file.

use super::CliError;
use super::args::{Cli, Command};
use clap::Parser;
use std::path::{Path, PathBuf};

/// The demo mix, relative to the repository root.
pub const DEMO_RELATIVE_PATH: &str = "assets/demo/demo-mix.wav";

/// Name of the file the demo writes in the current folder.
pub const DEMO_OUTPUT: &str = "lacquer-demo.wav";

/// The repository this binary was built from (the CLI crate is `crates/cli/` in it).
pub fn source_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .unwrap_or(manifest)
        .to_path_buf()
}

/// Where the demo mix is: in the source tree this binary was built from, else under the
/// current folder (e.g. an unpacked release archive). `None` if neither exists.
pub fn locate_demo_mix() -> Option<PathBuf> {
    [
        source_root().join(DEMO_RELATIVE_PATH),
        Path::new(".").join(DEMO_RELATIVE_PATH),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// Runs the demo.
pub fn run() -> Result<(), CliError> {
    let input = locate_demo_mix().ok_or_else(|| {
        CliError::new(format!(
            "the demo mix is missing (looked for {} and ./{DEMO_RELATIVE_PATH}); master your own \
             file with `lacquer master INPUT -o OUTPUT.wav`",
            source_root().join(DEMO_RELATIVE_PATH).display()
        ))
    })?;
    // The demo output is our own file: replacing it on a second run is expected (--force).
    let argv = [
        "lacquer".as_ref(),
        "master".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        DEMO_OUTPUT.as_ref(),
        "--force".as_ref(),
    ];
    let cli: Cli = Cli::try_parse_from::<_, &std::ffi::OsStr>(argv)
        .map_err(|e| CliError::new(format!("internal: the demo's arguments: {e}")))?;
    match cli.command {
        Some(Command::Master(args)) => super::master::run(&args),
        _ => Err(CliError::new(
            "internal: the demo's arguments are not a master command",
        )),
    }
}
