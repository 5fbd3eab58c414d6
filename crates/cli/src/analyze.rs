//! `lacquer analyze FILE [--json]`: decode, measure, print a table or one JSON object.

use super::args::AnalyzeArgs;
use super::decode::decode_file_with;
use super::table::analysis_table;
use super::{CliError, print_stdout};
use lacquer_core::meter::analysis::{Analysis, analyze};

/// Measures `path` with [`analyze`], mapping failures to one-line errors.
pub fn measure(path: &std::path::Path, allow_partial: bool) -> Result<Analysis, CliError> {
    let audio = decode_file_with(path, allow_partial)?;
    analyze(&audio.slices(), audio.sample_rate_hz)
        .map_err(|e| CliError::new(format!("cannot measure '{}': {e}", path.display())))
}

/// Runs the command.
pub fn run(args: &AnalyzeArgs) -> Result<(), CliError> {
    let analysis = measure(&args.input, args.allow_partial)?;
    if args.json {
        let json = serde_json::to_string(&analysis)
            .map_err(|e| CliError::new(format!("cannot format the result as JSON: {e}")))?;
        print_stdout(&format!("{json}\n"))
    } else {
        let name = args.input.display().to_string();
        print_stdout(&analysis_table(&name, &analysis))
    }
}
