//! Command-line arguments (clap derive) and their validation against the plugin's parameter
//! ranges, so that `lacquer master --drive 6` means exactly what Drive = 6 dB means in a DAW.

use super::CliError;
use super::master::assist::{AssistJob, FamilyChoice};
use super::output::OutputFormat;
use super::target::{
    DEFAULT_MAX_GAIN_REDUCTION_DB, LoudnessTarget, MAX_GAIN_REDUCTION_RANGE_DB, TARGET_LUFS_RANGE,
};
use clap::{Parser, Subcommand, ValueEnum};
use lacquer_core::assistant::decide::{Amounts, DEFAULT_AMOUNT_PCT, Problem};
use lacquer_core::chain::ChainSettings;
use lacquer_core::contract::{self, FloatSpec};
use lacquer_core::platform::Platform;
use lacquer_core::presets::{FACTORY_PRESETS, FactoryPreset, preset_settings};
use std::path::PathBuf;

/// Lacquer: a mastering assistant. Measures loudness (EBU R128) and renders files through the
/// same chain as the Lacquer plugin. With no command, masters the bundled demo mix into
/// `lacquer-demo.wav` in the current folder.
#[derive(Debug, Parser)]
#[command(name = "lacquer", version, about, long_about = None)]
pub struct Cli {
    /// What to do; omit to master the demo mix.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure a file: integrated loudness, loudness range, true peak, PLR, correlation.
    Analyze(AnalyzeArgs),
    /// Master a file through the Lacquer chain and write a WAV or FLAC.
    Master(Box<MasterArgs>),
    /// Master the bundled demo mix into `lacquer-demo.wav` (same as no command).
    Demo,
    /// Degrade-and-restore evaluation of the assistant on a folder of masters (for
    /// `cargo xtask eval`).
    #[command(hide = true)]
    EvalCorpus(super::eval::EvalArgs),
    /// Derive the target profiles from a folder of masters (for `cargo xtask derive-targets`).
    #[command(hide = true)]
    DeriveTargets(super::derive::DeriveArgs),
    /// The resonance stage on narrow resonances and shimmer bursts added to a folder of
    /// masters (for `cargo xtask eval-resonance`).
    #[command(hide = true)]
    EvalResonance(super::eval::resonance::ResonanceEvalArgs),
    /// Train the assistant's damage estimator on a folder of masters (for
    /// `cargo xtask train-assistant`).
    #[command(hide = true)]
    TrainAssistant(super::train::TrainArgs),
}

/// Arguments of `lacquer analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Audio file to measure (WAV, FLAC, MP3, Ogg Vorbis, AIFF; mono or stereo).
    pub input: PathBuf,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Measure what could be read of a damaged or truncated file (with a warning) instead of
    /// refusing it.
    #[arg(long)]
    pub allow_partial: bool,
}

/// Arguments of `lacquer master`.
#[derive(Debug, clap::Args)]
pub struct MasterArgs {
    /// Audio files to master (WAV, FLAC, MP3, Ogg Vorbis, AIFF; mono or stereo), or folders
    /// of them (their audio files, not their subfolders). More than one, or a folder, is a
    /// batch: the files are mastered in parallel into the -o folder.
    #[arg(required = true, num_args = 1.., value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Where to write the master: a .wav or .flac name sets the format (never the input; an
    /// existing file needs --force). For a batch, or when it is an existing folder, a folder:
    /// each master is written there under its input's name (created if missing).
    #[arg(short = 'o', long = "out", value_name = "OUTPUT")]
    pub output_path: PathBuf,
    /// Format of masters written into a folder: wav (default) or flac; else the extension.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<OutputFormat>,
    /// Files mastered at once in a batch (default: one per CPU core).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Master the inputs as one record: tone, dynamics and width decided once for all (a
    /// track that departs gets its own), one gain so the album meets the target as mixed.
    #[arg(long)]
    pub album: bool,
    /// No progress display (errors, warnings and the tables are still printed).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Gain into the limiter, dB (plugin default 0).
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub drive: Option<f32>,
    /// True-peak ceiling of the limiter, dBTP (plugin default -1).
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    pub ceiling: Option<f32>,
    /// Output trim after the limiter, dB (plugin default 0).
    #[arg(long = "output", value_name = "DB", allow_negative_numbers = true)]
    pub output_db: Option<f32>,
    /// Find the drive that makes the output this loud, LUFS integrated (-30 to -6), by
    /// rendering the chain; replaces --drive.
    #[arg(long, value_name = "LUFS", allow_negative_numbers = true)]
    pub target_lufs: Option<f32>,
    /// Loudness target and ceiling of a platform: spotify, apple, youtube, tidal, amazon,
    /// deezer, soundcloud, cd, ebu-r128. --target-lufs and --ceiling override its parts.
    #[arg(long, value_name = "NAME")]
    pub platform: Option<String>,
    /// A factory preset (the plugin's list): streaming, apple-music, club, gentle, podcast,
    /// broadcast-r128. Its goal, ceiling, macros and amounts; other flags override its parts.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// With a target: most limiter gain reduction allowed, dB (default 12); the target is
    /// given up, with a warning, where it would need more.
    #[arg(long = "max-gr", value_name = "DB", allow_negative_numbers = true)]
    pub max_gr_db: Option<f32>,
    /// Limiter lookahead, ms (plugin default 2; sets the latency, which the render removes).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub lookahead: Option<f32>,
    /// Limiter base release, ms (plugin default 150; the adaptive release starts from it).
    #[arg(long, value_name = "MS", allow_negative_numbers = true)]
    pub release: Option<f32>,
    /// Limiter stereo link, percent (plugin default 100 = same gain on both channels).
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub link: Option<f32>,
    /// Sample format of the output; 16 and 24 get TPDF dither. FLAC takes 16 or 24 (no
    /// float); the default, 24, is the same for both.
    #[arg(long, value_enum, default_value_t = DEFAULT_BIT_DEPTH)]
    pub bit_depth: BitDepth,
    /// Overwrite OUTPUT (and the --report file) if it exists; never an input or a reference.
    #[arg(long)]
    pub force: bool,
    /// Master what could be read of a damaged or truncated input or reference (with a
    /// warning) instead of refusing it.
    #[arg(long)]
    pub allow_partial: bool,
    /// Invert the polarity of one channel of the input before anything else (measurement,
    /// assistant, chain): the fix for a file whose right channel is its left inverted.
    #[arg(long, value_enum, value_name = "CHANNEL")]
    pub flip_polarity: Option<FlipChannel>,
    /// Lower the ceiling until the master's MP3 and Ogg Vorbis decodes peak under -0.1 dBTP
    /// (the codec check; the Drive stays, so the master ends a little quieter).
    #[arg(long)]
    pub codec_safe: bool,
    /// Skip the codec check (MP3 and Ogg Vorbis peaks), which doubles a master's time.
    #[arg(long, conflicts_with = "codec_safe")]
    pub no_codec_check: bool,
    /// Plain chain: no analysis and no decisions, only what the flags set (the assistant runs
    /// by default).
    #[arg(long)]
    pub no_assist: bool,
    /// Master towards this reference instead of a family target (repeatable); its loudness
    /// becomes the target unless --target-lufs or --platform is given.
    #[arg(long = "reference", value_name = "FILE")]
    pub references: Vec<PathBuf>,
    /// Weight of each --reference, in the same order (default 1 each).
    #[arg(long = "weight", value_name = "W")]
    pub weights: Vec<f32>,
    /// Target family without references: auto (blend by similarity, the default) or a
    /// family name.
    #[arg(long, value_name = "NAME|auto")]
    pub family: Option<String>,
    /// Problems you hear, comma-separated: mud, harsh, boom, dull, thin. The assistant finds
    /// where each is in this track and how large, and corrects it even where the evidence
    /// alone would not (at most 3 dB when the evidence is weak).
    #[arg(long, value_name = "PROBLEMS", value_delimiter = ',', value_parser = parse_problem)]
    pub fix: Vec<Problem>,
    /// How much of the assistant's EQ moves to apply, percent (default 100).
    #[arg(long, value_name = "PCT")]
    pub amount_tone: Option<f32>,
    /// How much of the assistant's dynamics decision to apply, percent (default 100).
    #[arg(long, value_name = "PCT")]
    pub amount_dynamics: Option<f32>,
    /// How much of the assistant's width moves to apply, percent (default 100).
    #[arg(long, value_name = "PCT")]
    pub amount_width: Option<f32>,
    /// Write a report (repeatable): FILE.html is a visual page (plots before and after,
    /// decisions, codec check), any other name JSON (features before/after, family weights,
    /// decisions, explanations, every plugin parameter by id). For a batch, a folder: one
    /// NAME.json and one NAME.html per master.
    #[arg(long, value_name = "FILE")]
    pub report: Vec<PathBuf>,
}

/// Reads one `--fix` problem name.
fn parse_problem(text: &str) -> Result<Problem, String> {
    Problem::parse(text).ok_or_else(|| {
        let names: Vec<&str> = Problem::ALL.iter().map(|p| p.name()).collect();
        format!("unknown problem `{text}`; name one of {}", names.join(", "))
    })
}

/// The channel `--flip-polarity` inverts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FlipChannel {
    /// The left channel.
    Left,
    /// The right channel.
    Right,
}

impl FlipChannel {
    /// The flag's value ("left" or "right").
    pub fn name(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Right => "right",
        }
    }

    /// Index of the channel in planar audio.
    pub fn index(self) -> usize {
        match self {
            Self::Left => 0,
            Self::Right => 1,
        }
    }
}

/// Default `--bit-depth`, for WAV and FLAC alike: an integer depth, which FLAC can hold (were
/// the WAV default ever float, a FLAC output would need its own default of 24).
pub const DEFAULT_BIT_DEPTH: BitDepth = BitDepth::Int24;
const _: () = assert!(!matches!(DEFAULT_BIT_DEPTH, BitDepth::Float32));

/// Sample format of a written WAV or FLAC file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BitDepth {
    /// 16-bit integer PCM, TPDF-dithered.
    #[value(name = "16")]
    Int16,
    /// 24-bit integer PCM, TPDF-dithered.
    #[value(name = "24")]
    Int24,
    /// 32-bit IEEE float, written as rendered (no dither); WAV only.
    #[value(name = "32f")]
    Float32,
}

impl BitDepth {
    /// Bits per sample in the file.
    pub fn bits(self) -> u16 {
        match self {
            Self::Int16 => 16,
            Self::Int24 => 24,
            Self::Float32 => 32,
        }
    }

    /// Human-readable name for reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::Int16 => "16-bit PCM",
            Self::Int24 => "24-bit PCM",
            Self::Float32 => "32-bit float",
        }
    }
}

/// Checks one flag against its plugin parameter and returns the value to use: the flag if
/// given (it must be finite and inside the parameter's range), else the parameter's default.
fn param_value(
    flag: &str,
    unit: &str,
    given: Option<f32>,
    param: &FloatSpec,
) -> Result<f32, CliError> {
    match given {
        None => Ok(param.default),
        Some(v) => checked(flag, unit, v, param.range()),
    }
}

/// A finite value inside `lo..=hi` or a one-line error naming the flag and the range.
fn checked(flag: &str, unit: &str, value: f32, (lo, hi): (f32, f32)) -> Result<f32, CliError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(CliError::new(format!(
            "{flag} {value} is out of range; use a value from {lo} to {hi} {unit}"
        )))
    }
}

/// Lowest and highest Drive, dB: the plugin parameter's range, so a found Drive can be typed
/// into the plugin.
pub fn drive_range_db() -> (f32, f32) {
    contract::float("drive").range()
}

impl MasterArgs {
    /// The preset named by `--preset`, or a one-line error listing the valid names.
    pub fn preset(&self) -> Result<Option<&'static FactoryPreset>, CliError> {
        let Some(name) = &self.preset else {
            return Ok(None);
        };
        FactoryPreset::by_name(name).map(Some).ok_or_else(|| {
            let names: Vec<&str> = FACTORY_PRESETS.iter().map(|p| p.cli_name).collect();
            CliError::new(format!(
                "unknown preset '{name}'; use one of: {}",
                names.join(", ")
            ))
        })
    }

    /// The platform named by `--platform`, or a one-line error listing the valid names.
    pub fn platform(&self) -> Result<Option<Platform>, CliError> {
        let Some(name) = &self.platform else {
            return Ok(None);
        };
        Platform::from_cli_name(name).map(Some).ok_or_else(|| {
            let names: Vec<&str> = Platform::ALL.iter().map(|p| p.cli_name()).collect();
            CliError::new(format!(
                "unknown platform '{name}'; use one of: {}",
                names.join(", ")
            ))
        })
    }

    /// The chain settings these flags stand for: the plugin's defaults and its translation of
    /// parameters into settings, with the given flags applied (a platform's ceiling unless
    /// `--ceiling` is given). With a loudness target, `drive_db` is a placeholder (0) that
    /// the search replaces.
    pub fn chain_settings(&self) -> Result<ChainSettings, CliError> {
        let platform = self.platform()?;
        if self.drive.is_some() && (self.target_lufs.is_some() || platform.is_some()) {
            let other = if self.target_lufs.is_some() {
                "--target-lufs"
            } else {
                "--platform"
            };
            return Err(CliError::new(format!(
                "--drive and {other} cannot be used together: the target sets the drive; \
                 drop one of them"
            )));
        }
        let preset = self.preset()?;
        if self.drive.is_some() && preset.is_some() {
            return Err(CliError::new(
                "--drive and --preset cannot be used together: the preset's loudness goal sets \
                 the drive; drop one of them",
            ));
        }
        let base = match preset {
            Some(p) => preset_settings(p, &ChainSettings::default()),
            None => ChainSettings::default(),
        };
        let ceiling = self
            .ceiling
            .or(platform.map(Platform::ceiling_dbtp))
            .or(preset.map(|p| p.ceiling_dbtp));
        Ok(ChainSettings {
            drive_db: param_value("--drive", "dB", self.drive, contract::float("drive"))?,
            ceiling_dbtp: param_value("--ceiling", "dBTP", ceiling, contract::float("ceiling"))?,
            output_db: param_value("--output", "dB", self.output_db, contract::float("output"))?,
            lookahead_ms: param_value(
                "--lookahead",
                "ms",
                self.lookahead,
                contract::float("lookahead"),
            )?,
            release_ms: param_value("--release", "ms", self.release, contract::float("release"))?,
            link_pct: param_value("--link", "%", self.link, contract::float("link"))?,
            ..base
        })
    }

    /// The assistant's job from the flags, or `None` with `--no-assist` (assistant-only flags
    /// are then an error). Amounts are checked against 0..100 %, weights must be positive and
    /// one per reference.
    pub fn assist_job(&self) -> Result<Option<AssistJob>, CliError> {
        let given: Vec<&str> = [
            ("--reference", !self.references.is_empty()),
            ("--weight", !self.weights.is_empty()),
            ("--family", self.family.is_some()),
            ("--fix", !self.fix.is_empty()),
            ("--amount-tone", self.amount_tone.is_some()),
            ("--amount-dynamics", self.amount_dynamics.is_some()),
            ("--amount-width", self.amount_width.is_some()),
            ("--report", !self.report.is_empty()),
        ]
        .into_iter()
        .filter_map(|(flag, on)| on.then_some(flag))
        .collect();
        if self.no_assist {
            return match given.first() {
                Some(flag) => Err(CliError::new(format!(
                    "{flag} only applies to the assistant; drop --no-assist or {flag}"
                ))),
                None => Ok(None),
            };
        }
        if !self.weights.is_empty() && self.weights.len() != self.references.len() {
            return Err(CliError::new(format!(
                "{} --weight values for {} --reference files; give one weight per reference",
                self.weights.len(),
                self.references.len()
            )));
        }
        if self.family.is_some() && !self.references.is_empty() {
            return Err(CliError::new(
                "--family and --reference cannot be used together: references replace the \
                 family target; drop one of them",
            ));
        }
        let mut references = Vec::new();
        for (i, path) in self.references.iter().enumerate() {
            let weight = self.weights.get(i).copied().unwrap_or(1.0);
            if !(weight.is_finite() && weight > 0.0) {
                return Err(CliError::new(format!(
                    "--weight {weight} is not a positive number; use weights above 0"
                )));
            }
            references.push((path.clone(), weight));
        }
        let preset_amounts = self.preset()?.map(|p| p.amounts_pct);
        let amount = |flag: &str, v: Option<f32>, index: usize| match v {
            Some(v) => checked(flag, "%", v, (0.0, 100.0)),
            None => Ok(preset_amounts.map_or(DEFAULT_AMOUNT_PCT, |a| a[index])),
        };
        let family = match self.family.as_deref().map(str::trim) {
            None => FamilyChoice::Auto,
            Some(f) if f.eq_ignore_ascii_case("auto") => FamilyChoice::Auto,
            Some(f) => FamilyChoice::Named(f.to_string()),
        };
        let target = self.loudness_target()?;
        let mut fix = self.fix.clone();
        fix.sort();
        fix.dedup();
        Ok(Some(AssistJob {
            references,
            family,
            fix,
            amounts: Amounts {
                tone_pct: amount("--amount-tone", self.amount_tone, 0)?,
                dynamics_pct: amount("--amount-dynamics", self.amount_dynamics, 1)?,
                width_pct: amount("--amount-width", self.amount_width, 2)?,
            },
            target_lufs: target.map(|t| t.target_lufs),
            default_target_lufs: contract::float("target_lufs").default,
            target_range_lufs: TARGET_LUFS_RANGE,
            max_gain_reduction_db: target
                .map_or(DEFAULT_MAX_GAIN_REDUCTION_DB, |t| t.max_gain_reduction_db),
            drive_range_db: drive_range_db(),
            fixed_drive: self.drive.is_some(),
            album: None,
        }))
    }

    /// The loudness target asked for by `--target-lufs` or `--platform` (the explicit target
    /// wins), with `--max-gr`; `None` without either. `--max-gr` alone is an error: it has
    /// nothing to limit.
    pub fn loudness_target(&self) -> Result<Option<LoudnessTarget>, CliError> {
        let platform = self.platform()?;
        let preset = self.preset()?;
        let target_lufs = match (self.target_lufs, platform) {
            (Some(t), _) => checked("--target-lufs", "LUFS", t, TARGET_LUFS_RANGE)?,
            (None, Some(p)) => p.target_lufs(),
            (None, None) if preset.is_some() => preset.map_or(-14.0, |p| p.target_lufs),
            (None, None) if self.max_gr_db.is_some() => {
                return Err(CliError::new(
                    "--max-gr only applies to a loudness target; add --target-lufs or \
                     --platform, or drop --max-gr",
                ));
            }
            (None, None) => return Ok(None),
        };
        let max_gain_reduction_db = match self.max_gr_db {
            Some(v) => checked("--max-gr", "dB", v, MAX_GAIN_REDUCTION_RANGE_DB)?,
            None => DEFAULT_MAX_GAIN_REDUCTION_DB,
        };
        Ok(Some(LoudnessTarget {
            target_lufs,
            max_gain_reduction_db,
            platform: platform.or(preset.and_then(|p| p.platform)),
        }))
    }
}

#[cfg(test)]
mod tests;
