//! `lacquer master INPUT -o OUTPUT`: decode, optionally search the Drive that meets a loudness
//! target, render through the plugin's chain at the file's own rate in host-sized blocks with
//! latency compensation ([`lacquer::render`]), requantise with dither, write the WAV safely,
//! print a before/after table and the limiter's figures.

use super::args::{BitDepth, MasterArgs, drive_range_db};
use super::decode::{check_input, decode_file};
use super::encode::{quantize_in_place, write_wav};
use super::output::{TempOutput, check_output, describe_io};
use super::table::{LimiterFigures, before_after_table, limiter_table};
use super::target::{LoudnessTarget, drive_to_use, find_drive, shortfall_warning};
use super::{CliError, print_stdout};
use lacquer::assistant::loudness::DriveSolution;
use lacquer::chain::ChainSettings;
use lacquer::dsp::dither::DEFAULT_SEED;
use lacquer::meter::analysis::{Analysis, analyze};
use lacquer::render::{GainReductionSummary, render};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// One mastering job.
#[derive(Debug, Clone)]
pub struct MasterJob {
    /// File to read.
    pub input: PathBuf,
    /// WAV file to write.
    pub output: PathBuf,
    /// Chain settings (from flags or defaults); with a target, the Drive is searched.
    pub settings: ChainSettings,
    /// Loudness target, if one was asked for.
    pub target: Option<LoudnessTarget>,
    /// Sample format of the output.
    pub bit_depth: BitDepth,
    /// Replace an existing output.
    pub force: bool,
}

/// What a finished job measured.
#[derive(Debug, Clone)]
pub struct MasterReport {
    /// Measurement of the input.
    pub before: Analysis,
    /// Measurement of the written output (after dither).
    pub after: Analysis,
    /// Samples clamped to full scale when requantising.
    pub num_clipped: usize,
    /// Drive the file was rendered at, dB.
    pub drive_db: f32,
    /// What the limiter did in the final render.
    pub gain_reduction: GainReductionSummary,
    /// How the Drive search ended, with a target.
    pub solution: Option<DriveSolution>,
}

/// Runs the command from its arguments.
pub fn run(args: &MasterArgs) -> Result<(), CliError> {
    let job = MasterJob {
        input: args.input.clone(),
        output: args.output_path.clone(),
        settings: args.chain_settings()?,
        target: args.loudness_target()?,
        bit_depth: args.bit_depth,
        force: args.force,
    };
    let report = master(&job)?;
    print_report(&job, &report)
}

/// Prints the before/after table and the limiter's figures, and on stderr a clipping warning
/// and a missed-target warning, if any (one line each).
pub fn print_report(job: &MasterJob, report: &MasterReport) -> Result<(), CliError> {
    if report.num_clipped > 0 {
        eprintln!(
            "lacquer: warning: {} samples were clipped at full scale in the {} output; \
             lower --drive or --output",
            report.num_clipped,
            job.bit_depth.label()
        );
    }
    if let (Some(target), Some(solution)) = (&job.target, &report.solution)
        && let Some(warning) = shortfall_warning(
            target,
            solution,
            drive_range_db(),
            report.after.integrated_lufs,
            report.gain_reduction.max_db,
        )
    {
        eprintln!("lacquer: warning: {warning}");
    }
    let header = format!(
        "Mastered '{}' -> '{}' ({}, {} Hz)\n",
        job.input.display(),
        job.output.display(),
        job.bit_depth.label(),
        report.after.sample_rate_hz
    );
    let limiter = limiter_table(&LimiterFigures {
        drive_db: report.drive_db,
        ceiling_dbtp: job.settings.ceiling_dbtp,
        gain_reduction: report.gain_reduction,
        target: job.target.zip(report.solution),
        written_lufs: report.after.integrated_lufs,
    });
    print_stdout(&format!(
        "{header}{}\n{limiter}",
        before_after_table(&report.before, &report.after)
    ))
}

/// Does the whole job. Nothing is created at `job.output` unless everything succeeds.
pub fn master(job: &MasterJob) -> Result<MasterReport, CliError> {
    check_input(&job.input)?;
    check_output(&job.input, &job.output, job.force)?;
    let audio = decode_file(&job.input)?;
    let sample_rate_hz = audio.sample_rate_hz;
    let measure = |channels: &[Vec<f32>], what: &Path| -> Result<Analysis, CliError> {
        let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
        analyze(&slices, sample_rate_hz)
            .map_err(|e| CliError::new(format!("cannot measure '{}': {e}", what.display())))
    };
    let before = measure(&audio.channels, &job.input)?;

    let mut settings = job.settings;
    let solution = match &job.target {
        Some(target) => {
            let solution = find_drive(
                &audio.channels,
                sample_rate_hz,
                &settings,
                target,
                before.integrated_lufs,
                drive_range_db(),
            )?;
            settings.drive_db = drive_to_use(&solution);
            Some(solution)
        }
        None => None,
    };
    let output = render(audio.channels, sample_rate_hz, &settings);
    let gain_reduction = output.gain_reduction;
    let mut rendered = output.channels;
    let num_clipped = quantize_in_place(&mut rendered, job.bit_depth, DEFAULT_SEED);
    let after = measure(&rendered, &job.output)?;

    let mut temp = TempOutput::create_beside(&job.output)?;
    // Lets the tests check that a bug mid-write still ends in one line and no leftover files.
    #[cfg(debug_assertions)]
    if std::env::var_os("LACQUER_DEBUG_PANIC_WHILE_WRITING").is_some() {
        panic!("LACQUER_DEBUG_PANIC_WHILE_WRITING is set");
    }
    let write_error = |e: hound::Error| {
        CliError::new(format!(
            "cannot write '{}': {}",
            job.output.display(),
            describe_hound(&e)
        ))
    };
    write_wav(
        BufWriter::new(temp.file()?),
        &rendered,
        sample_rate_hz,
        job.bit_depth,
    )
    .map_err(write_error)?;
    temp.commit(&job.output, job.force)?;
    Ok(MasterReport {
        before,
        after,
        num_clipped,
        drive_db: settings.drive_db,
        gain_reduction,
        solution,
    })
}

fn describe_hound(e: &hound::Error) -> String {
    match e {
        hound::Error::IoError(io) => describe_io(io),
        other => other.to_string(),
    }
}
