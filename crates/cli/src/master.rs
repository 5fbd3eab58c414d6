//! `lacquer master INPUT -o OUTPUT`: decode, run the assistant (analysis, target, decisions,
//! Drive for the loudness goal; [`assist`]) unless `--no-assist` (then optionally search the
//! Drive that meets a loudness target), render through the plugin's chain at the file's own
//! rate in host-sized blocks with latency compensation ([`lacquer_core::render`]), requantise with
//! dither, write the WAV or FLAC safely, print a before/after table, the limiter's figures and the
//! assistant's explanations, and write the JSON report if asked.

pub mod album;
pub mod assist;
pub mod batch;
pub mod html;
pub mod pass;
pub mod report;

use super::analyze::polarity_warning;
use super::args::{BitDepth, FlipChannel, MasterArgs, drive_range_db};
use super::codec::{self, CODEC_SAFE_DBTP, CODEC_WARNING_DBTP, CodecPeak};
use super::decode::{check_input, check_rate, non_finite_warning};
use super::output::{
    OutputFormat, ReadFile, TempOutput, WriteFile, check_outputs, commit_all, master_output,
};
use super::progress::{Phase, Progress, ProgressSource, RunProgress};
use super::source::InputAudio;
use super::table::{LimiterFigures, before_after_table, codec_table, limiter_table};
use super::target::{LoudnessTarget, drive_to_use, find_drive, shortfall_warning};
use super::{CliError, print_stdout};
use assist::{AssistJob, Assisted, load_references};
use batch::{Plan, PlannedFile};
use lacquer_core::assistant::loudness::DriveSolution;
use lacquer_core::chain::ChainSettings;
use lacquer_core::contract;
use lacquer_core::meter::album::TrackLoudness;
use lacquer_core::meter::analysis::{ANALYSIS_RATE_RANGE_HZ, Analysis};
use lacquer_core::platform::Platform;
use lacquer_core::render::GainReductionSummary;
use pass::{Wants, WriteSpec, Written};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One mastering job.
#[derive(Debug, Clone)]
pub struct MasterJob {
    /// File to read.
    pub input: PathBuf,
    /// WAV or FLAC file to write (by its extension, see [`OutputFormat`]).
    pub output: PathBuf,
    /// Chain settings (from flags or defaults); with a target, the Drive is searched.
    pub settings: ChainSettings,
    /// Loudness target, if one was asked for (without the assistant).
    pub target: Option<LoudnessTarget>,
    /// Sample format of the output.
    pub bit_depth: BitDepth,
    /// Replace an existing output (and report).
    pub force: bool,
    /// Master what could be read of a truncated input or reference, with a warning.
    pub allow_partial: bool,
    /// Software name written into the WAV's `LIST`/`INFO` chunk (the demo marks its file); a
    /// FLAC output carries the input's common tags instead (see [`write_flac`]).
    pub software_tag: Option<&'static str>,
    /// Channel whose polarity is inverted before anything else (`--flip-polarity`).
    pub flip_polarity: Option<FlipChannel>,
    /// Measure the master's peaks after MP3 and Ogg Vorbis ([`codec`]).
    pub codec_check: bool,
    /// Lower the ceiling until every codec's peak is under [`CODEC_SAFE_DBTP`].
    pub codec_safe: bool,
    /// Keep the written master's gating blocks ([`MasterReport::loudness`]) for an album's
    /// loudness.
    pub measure_loudness: bool,
}

/// Sample rates `master` accepts, Hz (inclusive): those the loudness meters measure correctly
/// ([`ANALYSIS_RATE_RANGE_HZ`], 8 to 384 kHz), since every master is measured before and after
/// and the Drive search reads the meter. The chain is specified from 22.05 kHz (README, "Host
/// conditions"); below that it still renders plausibly (a low-rate file has no content where
/// its upper stages act), so such files are mastered rather than refused.
pub const MASTER_RATE_RANGE_HZ: (u32, u32) = ANALYSIS_RATE_RANGE_HZ;

/// Shortest input the assistant analyses, seconds: one EBU short-term window (3 s), the unit
/// the analysis chooses its loudest windows in; shorter files are rendered as the flags set
/// the chain, with a warning.
pub const MIN_ASSIST_SECONDS: f32 = 3.0;

/// Whether a report path asks for the HTML page (`.html` or `.htm`, any case).
pub fn is_html(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// Most renders `--codec-safe` adds.
const MAX_CODEC_SAFE_ROUNDS: usize = 4;

/// How far under the worst codec's excess `--codec-safe` lowers the ceiling each round, dB.
const CODEC_SAFE_MARGIN_DB: f32 = 0.1;

/// The assistant's part of a job (the default is the plain chain).
#[derive(Debug, Clone, Default)]
pub struct AssistOptions {
    /// The assistant's job; `None` with `--no-assist`.
    pub assist: Option<AssistJob>,
    /// Platform asked for, if any (for the report's parameters).
    pub platform: Option<Platform>,
    /// Where to write reports: HTML for a `.html` or `.htm` name ([`is_html`]), else JSON.
    pub report: Vec<PathBuf>,
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
    /// The loudness target the Drive was searched for (the assistant's goal, or the flags').
    pub target: Option<LoudnessTarget>,
    /// The assistant's record, when it ran.
    pub assisted: Option<Assisted>,
    /// Why the assistant was asked for but did not run (one line for stderr).
    pub assist_skipped: Option<String>,
    /// Warnings about the input itself (non-finite samples, inverted polarity), one line each
    /// for stderr.
    pub input_warnings: Vec<String>,
    /// The codec check of the written master (empty with `--no-codec-check`).
    pub codec: Vec<CodecPeak>,
    /// The ceiling the master was rendered at, dBTP (lower than asked after `--codec-safe`).
    pub ceiling_dbtp: f32,
    /// With `--codec-safe`: the ceiling asked for, when it had to be lowered.
    pub codec_safe_from_dbtp: Option<f32>,
    /// The written master's gating blocks, if the job asked for them.
    pub loudness: Option<Arc<TrackLoudness>>,
}

/// Runs the command from its arguments.
pub fn run(args: &MasterArgs) -> Result<(), CliError> {
    run_tagged(args, None)
}

/// Runs the command from its arguments, marking a WAV with `software_tag` if given: one file,
/// or a batch ([`batch`]) when there are several inputs or a folder.
pub fn run_tagged(args: &MasterArgs, software_tag: Option<&'static str>) -> Result<(), CliError> {
    let settings = args.chain_settings()?;
    let target = args.loudness_target()?;
    let options = AssistOptions {
        assist: args.assist_job()?,
        platform: args.platform()?,
        report: args.report.clone(),
    };
    let threads = match args.jobs {
        Some(0) => {
            return Err(CliError::new(
                "--jobs 0 would master nothing; give at least 1",
            ));
        }
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let make_job = |_: usize, file: &PlannedFile| MasterJob {
        input: file.input.clone(),
        output: file.output.clone(),
        settings,
        target,
        bit_depth: args.bit_depth,
        force: args.force,
        allow_partial: args.allow_partial,
        software_tag,
        flip_polarity: args.flip_polarity,
        codec_check: !args.no_codec_check,
        codec_safe: args.codec_safe,
        measure_loudness: false,
    };
    match batch::plan(args)? {
        Plan::Single(_) if args.album => Err(CliError::new(
            "--album needs the album's tracks: give several files or a folder, and -o a folder",
        )),
        Plan::Single(file) => {
            let job = make_job(0, &file);
            let options = AssistOptions {
                report: file.report.clone(),
                ..options
            };
            let display = RunProgress::new(1, args.quiet);
            let bar = display.start_file(1, &file.input);
            let result = master_with(&job, &options, &bar);
            display.end_file(
                bar,
                &file.input,
                result.is_ok(),
                display.elapsed_seconds(),
                1,
            );
            print_report(&job, &result?)
        }
        Plan::Batch { files, album_page } if args.album => album::run(
            &files,
            album_page.as_deref(),
            &make_job,
            &options,
            threads,
            args.quiet,
        ),
        Plan::Batch { files, .. } => batch::run(&files, &make_job, &options, threads, args.quiet),
    }
}

/// Prints the before/after table and the limiter's figures, and on stderr a clipping warning
/// and a missed-target warning, if any (one line each).
pub fn print_report(job: &MasterJob, report: &MasterReport) -> Result<(), CliError> {
    for warning in &report.input_warnings {
        eprintln!("lacquer: warning: {warning}");
    }
    if let Some(why) = &report.assist_skipped {
        eprintln!("lacquer: warning: {why}");
    }
    if report.num_clipped > 0 {
        eprintln!(
            "lacquer: warning: {} samples were clipped at full scale in the {} output; \
             lower --drive or --output",
            report.num_clipped,
            format_label(job)
        );
    }
    if let (Some(target), Some(solution)) = (&report.target, &report.solution)
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
    if let Some(worst) = codec::worst_dbtp(&report.codec)
        && worst > CODEC_WARNING_DBTP
    {
        let codecs: Vec<String> = report
            .codec
            .iter()
            .filter_map(|c| match c.true_peak_dbtp {
                Ok(p) if p > CODEC_WARNING_DBTP => Some(format!("{} {p:+.1} dBTP", c.codec)),
                _ => None,
            })
            .collect();
        // Codec overshoot grows with the level going in, so lowering the ceiling by the
        // excess brings the worst decode to about CODEC_SAFE_DBTP.
        let needed =
            ((f64::from(report.ceiling_dbtp) - (worst - CODEC_SAFE_DBTP)) * 10.0).floor() / 10.0;
        let advice = if job.codec_safe {
            "even at the lowest ceiling --codec-safe may set".to_string()
        } else {
            format!(
                "a ceiling of about {needed:.1} dBTP keeps them under {CODEC_SAFE_DBTP:.1} dBTP; add --codec-safe to find it"
            )
        };
        eprintln!(
            "lacquer: warning: the master '{}' peaks over 0 dBTP after lossy encoding ({}), \
             so players may clip it; {advice}",
            job.output.display(),
            codecs.join(", ")
        );
    }
    let header = format!(
        "Mastered '{}' -> '{}' ({}, {} Hz)\n",
        job.input.display(),
        job.output.display(),
        format_label(job),
        report.after.sample_rate_hz
    );
    let limiter = limiter_table(&LimiterFigures {
        drive_db: report.drive_db,
        ceiling_dbtp: report.ceiling_dbtp,
        gain_reduction: report.gain_reduction,
        target: report.target.zip(report.solution),
        written_lufs: report.after.integrated_lufs,
    });
    let assistant = report
        .assisted
        .as_ref()
        .map_or(String::new(), assistant_text);
    let lowered = report.codec_safe_from_dbtp.map_or(String::new(), |asked| {
        format!(
            "Ceiling lowered from {asked:.1} to {:.1} dBTP by --codec-safe\n",
            report.ceiling_dbtp
        )
    });
    print_stdout(&format!(
        "{header}{}\n{limiter}{lowered}{}{assistant}",
        before_after_table(&report.before, &report.after),
        codec_table(&report.codec)
    ))
}

/// The output's format for the printout: "24-bit PCM" (WAV), "24-bit FLAC".
fn format_label(job: &MasterJob) -> String {
    match OutputFormat::of(&job.output) {
        Some(OutputFormat::Flac) => format!("{}-bit FLAC", job.bit_depth.bits()),
        _ => job.bit_depth.label().to_string(),
    }
}

/// The assistant's part of the printout: what it compared with, then one line per decision.
fn assistant_text(a: &Assisted) -> String {
    let against = if a.references.is_empty() {
        let weights: Vec<String> = a
            .family_weights
            .iter()
            .map(|(name, w)| format!("{name} {:.0} %", 100.0 * w))
            .collect();
        format!("family target ({})", weights.join(", "))
    } else {
        let names: Vec<String> = a
            .references
            .iter()
            .map(|r| format!("'{}' x{}", r.file, r.weight))
            .collect();
        format!("reference {}", names.join(", "))
    };
    let mut text = format!("\nAssistant, against the {against}:\n");
    for line in &a.explanations {
        text.push_str(&format!("  - {line}\n"));
    }
    text
}

/// Does the whole job, with the assistant if `options` ask for it. Every file to write is
/// checked (and its temporary file created) before anything is decoded; nothing is created at
/// `job.output` or the report's path unless everything succeeds, and then both at once.
/// `progress` hears each phase as it starts.
pub fn master_with(
    job: &MasterJob,
    options: &AssistOptions,
    progress: &dyn Progress,
) -> Result<MasterReport, CliError> {
    let format = OutputFormat::of(&job.output);
    if format == Some(OutputFormat::Flac) && job.bit_depth == BitDepth::Float32 {
        return Err(CliError::new(format!(
            "FLAC has no float samples, so '{}' cannot be written at --bit-depth 32f; use \
             --bit-depth 16 or 24, or a .wav output",
            job.output.display()
        )));
    }
    check_input(&job.input)?;
    let mut reads = vec![ReadFile {
        path: &job.input,
        role: "input file",
    }];
    if let Some(a) = &options.assist {
        reads.extend(a.references.iter().map(|(path, _)| ReadFile {
            path,
            role: "reference",
        }));
    }
    let mut writes = vec![master_output(&job.output)];
    writes.extend(options.report.iter().map(|path| WriteFile {
        path,
        role: "the report ",
        advice: "choose another --report path",
        wav: false,
    }));
    check_outputs(&reads, &writes, job.force)?;
    // Creating the temporary files now proves the folders writable before the long work.
    let mut temp = TempOutput::create_beside(&job.output)?;
    let mut report_temps = Vec::new();
    for path in &options.report {
        report_temps.push((TempOutput::create_beside(path)?, path.as_path()));
    }
    let wants_html = options.report.iter().any(|p| is_html(p));
    // Lets the tests check that a bug mid-write still ends in one line and no leftover files.
    #[cfg(debug_assertions)]
    if std::env::var_os("LACQUER_DEBUG_PANIC_WHILE_WRITING").is_some() {
        panic!("LACQUER_DEBUG_PANIC_WHILE_WRITING is set");
    }
    progress.phase(Phase::Decoding);
    let audio = InputAudio::open(&job.input, job.allow_partial, job.flip_polarity)?;
    check_rate(
        audio.info.sample_rate_hz,
        &job.input,
        MASTER_RATE_RANGE_HZ,
        "masters",
    )?;
    let mut input_warnings: Vec<String> =
        non_finite_warning(audio.info.non_finite_samples, &job.input)
            .into_iter()
            .collect();
    let sample_rate_hz = audio.info.sample_rate_hz;
    let seconds = audio.seconds();
    let too_short = options.assist.is_some() && seconds < MIN_ASSIST_SECONDS;
    let assist_job = options.assist.as_ref().filter(|_| !too_short);
    // Every pass over the input moves the file's progress bar (a long file takes minutes).
    let source = ProgressSource::new(&audio, progress);
    source.phase(Phase::Analysing);
    let measured = pass::measure(
        &source,
        &job.input,
        Wants {
            features: assist_job.is_some(),
            timeline: wants_html && assist_job.is_some(),
            loudness: false,
        },
    )?;
    let mut before = measured.analysis;
    before.non_finite_samples = audio.info.non_finite_samples;
    // Measured after any --flip-polarity: a flip of the wrong file is caught too.
    input_warnings.extend(polarity_warning(
        &job.input,
        &before,
        if job.flip_polarity.is_some() {
            "drop --flip-polarity"
        } else {
            "`--flip-polarity right`"
        },
    ));

    let mut settings = job.settings;
    let mut target = job.target;
    let mut assisted = None;
    let assist_skipped = too_short.then(|| {
        format!(
            "'{}' is {seconds:.1} s long; the assistant needs at least {MIN_ASSIST_SECONDS:.0} s \
             to analyse, so the chain ran as the flags set it (as with --no-assist){}",
            job.input.display(),
            if !options.report.is_empty() {
                "; no report written"
            } else {
                ""
            }
        )
    });
    if assist_job.is_some() || job.target.is_some() {
        source.phase(Phase::Deciding);
    }
    let solution = match (assist_job, &job.target, measured.features) {
        (Some(a), _, Some(features)) => {
            let references = load_references(&a.references, job.allow_partial)?;
            let mut result = assist::assist(&source, features, &settings, a, references)?;
            settings = result.settings;
            target = (!a.fixed_drive).then_some(LoudnessTarget {
                target_lufs: result.goal.target_lufs,
                max_gain_reduction_db: a.max_gain_reduction_db,
                platform: options.platform,
            });
            let solution = result.solution;
            if let Some(channel) = job.flip_polarity {
                result.explanations.insert(
                    0,
                    format!(
                        "Polarity of the {} channel inverted before everything else \
                         (--flip-polarity {})",
                        channel.name(),
                        channel.name()
                    ),
                );
            }
            assisted = Some(result);
            solution
        }
        (None, Some(target), _) => {
            let solution = find_drive(
                &source,
                &settings,
                target,
                before.integrated_lufs,
                drive_range_db(),
            )?;
            settings.drive_db = drive_to_use(&solution);
            Some(solution)
        }
        _ => None,
    };
    let timeline_before = measured.timeline;
    source.phase(Phase::Rendering);
    let temp_file = temp.file()?;
    let spec = WriteSpec {
        output: &job.output,
        bit_depth: job.bit_depth,
        software_tag: job.software_tag,
        tags: &audio.info.tags,
        codec_check: job.codec_check,
    };
    let wants_after = Wants {
        features: assisted.is_some(),
        timeline: timeline_before.is_some(),
        loudness: job.measure_loudness,
    };
    let mut written = pass::write(&source, &settings, temp_file, &spec, wants_after)?;
    let asked_ceiling = settings.ceiling_dbtp;
    if job.codec_safe {
        let lowest = contract::float("ceiling").range().0;
        // Each round lowers the ceiling by the worst codec's excess (codec overshoot scales
        // with the level going in) and a little more; two rounds are usually enough.
        for _ in 0..MAX_CODEC_SAFE_ROUNDS {
            let Some(worst) = codec::worst_dbtp(&written.codec) else {
                break;
            };
            if worst <= CODEC_SAFE_DBTP || settings.ceiling_dbtp <= lowest {
                break;
            }
            let excess = (worst - CODEC_SAFE_DBTP) as f32 + CODEC_SAFE_MARGIN_DB;
            settings.ceiling_dbtp = ((settings.ceiling_dbtp - excess) * 10.0).floor() / 10.0;
            settings.ceiling_dbtp = settings.ceiling_dbtp.max(lowest);
            written = pass::write(&source, &settings, temp_file, &spec, wants_after)?;
        }
        if let Some(a) = assisted.as_mut()
            && settings.ceiling_dbtp < asked_ceiling
        {
            a.settings.ceiling_dbtp = settings.ceiling_dbtp;
            a.explanations.push(format!(
                "Ceiling lowered from {asked_ceiling:.1} to {:.1} dBTP (--codec-safe) so that \
                 the MP3 and Ogg Vorbis decodes peak at {} (at most {CODEC_SAFE_DBTP:.1} dBTP)",
                settings.ceiling_dbtp,
                codec::worst_dbtp(&written.codec).map_or("n/a".into(), |w| format!("{w:.1} dBTP"))
            ));
        }
    }
    let Written {
        measured: after_measured,
        num_clipped,
        gain_reduction,
        gain_reduction_per_block_db,
        codec,
    } = written;
    let after = after_measured.analysis;
    let loudness = after_measured.loudness.map(Arc::new);
    let mut temps = vec![(temp, job.output.as_path())];
    if let (Some(a), Some(features_after)) = (&assisted, &after_measured.features) {
        let timelines = match (&timeline_before, &after_measured.timeline) {
            (Some(before), Some(after)) if wants_html => Some((before, after)),
            _ => None,
        };
        for (mut report_temp, path) in report_temps {
            if is_html(path) {
                let Some((timeline_before, timeline_after)) = timelines else {
                    continue;
                };
                let page = html::report_html(&html::HtmlInputs {
                    input: &job.input,
                    output: &job.output,
                    before: &before,
                    after: &after,
                    assisted: a,
                    features_after,
                    timeline_before,
                    timeline_after,
                    gain_reduction_per_block_db: &gain_reduction_per_block_db,
                    sample_rate_hz,
                    ceiling_dbtp: settings.ceiling_dbtp,
                    target_lufs: a.goal.target_lufs,
                    codec: &codec,
                })?;
                report::write_text(report_temp.file()?, path, &page)?;
            } else {
                let json = report::report_json(
                    a,
                    &report::ReportInputs {
                        input: &job.input,
                        output: &job.output,
                        before: &before,
                        after: &after,
                        features_after,
                        platform: options.platform,
                        amounts: options
                            .assist
                            .as_ref()
                            .map(|j| j.amounts)
                            .unwrap_or_default(),
                        flip_polarity: job.flip_polarity.map(FlipChannel::name),
                        codec: &codec,
                    },
                );
                report::write_report(report_temp.file()?, path, &json)?;
            }
            temps.push((report_temp, path));
        }
    }
    // The master and the report appear together or not at all.
    commit_all(temps, job.force)?;
    Ok(MasterReport {
        before,
        after,
        num_clipped,
        drive_db: settings.drive_db,
        gain_reduction,
        solution,
        target,
        assisted,
        assist_skipped,
        input_warnings,
        codec,
        ceiling_dbtp: settings.ceiling_dbtp,
        codec_safe_from_dbtp: (settings.ceiling_dbtp < asked_ceiling).then_some(asked_ceiling),
        loudness,
    })
}
