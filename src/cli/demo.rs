//! `lacquer` with no arguments (or `lacquer demo`): master the bundled demo mix with the
//! plugin's default settings into `lacquer-demo.wav` in the current folder, so a new user hears
//! and sees what Lacquer does without preparing a file.

use super::CliError;
use super::args::BitDepth;
use super::master::{MasterJob, master, print_report};
use lacquer::params::LacquerParams;
use std::path::{Path, PathBuf};

/// The demo mix, relative to the repository root.
pub const DEMO_RELATIVE_PATH: &str = "assets/demo/demo-mix.wav";

/// Name of the file the demo writes in the current folder.
pub const DEMO_OUTPUT: &str = "lacquer-demo.wav";

/// Where the demo mix is: in the source tree this binary was built from, else under the
/// current folder (e.g. an unpacked release archive). `None` if neither exists.
pub fn locate_demo_mix() -> Option<PathBuf> {
    [
        Path::new(env!("CARGO_MANIFEST_DIR")).join(DEMO_RELATIVE_PATH),
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
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(DEMO_RELATIVE_PATH)
                .display()
        ))
    })?;
    let job = MasterJob {
        input,
        output: PathBuf::from(DEMO_OUTPUT),
        settings: LacquerParams::default().chain_settings(),
        target: None,
        bit_depth: BitDepth::Int24,
        // The demo output is our own file: replacing it on a second run is expected.
        force: true,
    };
    let report = master(&job)?;
    print_report(&job, &report)
}
