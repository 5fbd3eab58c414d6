//! `lacquer` with no arguments (or `lacquer demo`): master the bundled demo mix into
//! `lacquer-demo.wav` in the current folder exactly as `lacquer master demo-mix.wav -o
//! lacquer-demo.wav` would (the assistant with its defaults: automatic family, -14 LUFS,
//! -1 dBTP), so a new user hears, sees and reads what Lacquer does without preparing a file.

use super::CliError;
use super::args::{Cli, Command};
use super::encode::software_tag;
use clap::Parser;
use std::path::{Path, PathBuf};

/// The demo mix, relative to the repository root.
pub const DEMO_RELATIVE_PATH: &str = "assets/demo/demo-mix.wav";

/// Name of the file the demo writes in the current folder.
pub const DEMO_OUTPUT: &str = "lacquer-demo.wav";

/// The software name (WAV `LIST`/`INFO`/`ISFT`) that marks a file as written by the demo: the
/// demo replaces an existing `lacquer-demo.wav` only if it carries this mark.
pub const DEMO_MARKER: &str = "Lacquer demo";

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
    // Replacing the demo's own earlier output on a second run is expected; any other file of
    // that name is the user's and is kept.
    let output = Path::new(DEMO_OUTPUT);
    let replace = match std::fs::symlink_metadata(output) {
        Err(_) => false,
        Ok(meta) if meta.is_file() && software_tag(output).as_deref() == Some(DEMO_MARKER) => true,
        Ok(_) => {
            return Err(CliError::new(format!(
                "'{DEMO_OUTPUT}' already exists here and was not written by the demo; move it \
                 away, or replace it with `lacquer master INPUT -o {DEMO_OUTPUT} --force`"
            )));
        }
    };
    let mut argv: Vec<&std::ffi::OsStr> = vec![
        "lacquer".as_ref(),
        "master".as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        DEMO_OUTPUT.as_ref(),
    ];
    if replace {
        argv.push("--force".as_ref());
    }
    let cli: Cli = Cli::try_parse_from::<_, &std::ffi::OsStr>(argv)
        .map_err(|e| CliError::new(format!("internal: the demo's arguments: {e}")))?;
    match cli.command {
        Some(Command::Master(args)) => super::master::run_tagged(&args, Some(DEMO_MARKER)),
        _ => Err(CliError::new(
            "internal: the demo's arguments are not a master command",
        )),
    }
}
