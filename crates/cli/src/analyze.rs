//! `lacquer analyze FILE [--json]`: decode, measure, print a table or one JSON object.

use super::args::AnalyzeArgs;
use super::decode::{check_rate, decode_stream, non_finite_warning};
use super::table::analysis_table;
use super::{CliError, print_stdout};
use lacquer_core::meter::analysis::{ANALYSIS_RATE_RANGE_HZ, Analysis, AnalysisError, Analyzer};
use std::path::Path;

/// Measures `path` with an [`Analyzer`] as it decodes (so a file of any length takes the
/// same memory), mapping failures to one-line errors; a rate outside
/// [`ANALYSIS_RATE_RANGE_HZ`] is refused. Warns (one line each, stderr) about samples that
/// were not finite and about a polarity-inverted channel.
pub fn measure(path: &Path, allow_partial: bool) -> Result<Analysis, CliError> {
    let measure_error =
        |e: AnalysisError| CliError::new(format!("cannot measure '{}': {e}", path.display()));
    let mut analyzer: Option<Analyzer> = None;
    let info = decode_stream(path, allow_partial, &mut |block, rate| {
        let analyzer = match analyzer.as_mut() {
            Some(a) => a,
            None => {
                check_rate(rate, path, ANALYSIS_RATE_RANGE_HZ, "measures")?;
                analyzer.insert(Analyzer::new(block.len(), rate).map_err(measure_error)?)
            }
        };
        let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
        analyzer.push(&slices).map_err(measure_error)
    })?;
    check_rate(
        info.sample_rate_hz,
        path,
        ANALYSIS_RATE_RANGE_HZ,
        "measures",
    )?;
    let Some(analyzer) = analyzer else {
        return Err(CliError::new(format!(
            "'{}' contains no audio samples",
            path.display()
        )));
    };
    let mut analysis = analyzer.finish().map_err(measure_error)?;
    // The decoder zeroed them, so the meters saw 0; the count is the decoder's.
    analysis.non_finite_samples = info.non_finite_samples;
    if let Some(warning) = non_finite_warning(info.non_finite_samples, path) {
        eprintln!("lacquer: warning: {warning}");
    }
    if let Some(warning) =
        polarity_warning(path, &analysis, "`lacquer master --flip-polarity right`")
    {
        eprintln!("lacquer: warning: {warning}");
    }
    Ok(analysis)
}

/// One line when `analysis` finds the right channel to be the left inverted, naming the
/// problem and `fix` (the flag to use), else `None`.
pub fn polarity_warning(path: &Path, analysis: &Analysis, fix: &str) -> Option<String> {
    analysis.polarity_inverted().then(|| {
        format!(
            "'{}': the right channel is the left inverted (correlation {:.2} over the loud \
             parts): the mono fold-down is silent; flip one channel's polarity ({fix})",
            path.display(),
            analysis.loud_correlation.unwrap_or(-1.0)
        )
    })
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
