//! Command-line arguments (clap derive) and their validation against the plugin's parameter
//! ranges, so that `lacquer master --drive 6` means exactly what Drive = 6 dB means in a DAW.

use super::CliError;
use clap::{Parser, Subcommand, ValueEnum};
use lacquer::chain::ChainSettings;
use lacquer::params::LacquerParams;
use nice_plug::prelude::{FloatParam, Param};
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
    /// Master a file through the Lacquer chain and write a WAV.
    Master(MasterArgs),
    /// Master the bundled demo mix into `lacquer-demo.wav` (same as no command).
    Demo,
}

/// Arguments of `lacquer analyze`.
#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// Audio file to measure (WAV, FLAC, MP3, Ogg Vorbis, AIFF; mono or stereo).
    pub input: PathBuf,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `lacquer master`.
#[derive(Debug, clap::Args)]
pub struct MasterArgs {
    /// Audio file to master (WAV, FLAC, MP3, Ogg Vorbis, AIFF; mono or stereo).
    pub input: PathBuf,
    /// Where to write the mastered WAV (never the input; an existing file needs --force).
    #[arg(short = 'o', long = "out", value_name = "OUTPUT")]
    pub output_path: PathBuf,
    /// Gain into the limiter, dB (plugin default 0).
    #[arg(long, value_name = "DB", allow_negative_numbers = true)]
    pub drive: Option<f32>,
    /// True-peak ceiling of the limiter, dBTP (plugin default -1).
    #[arg(long, value_name = "DBTP", allow_negative_numbers = true)]
    pub ceiling: Option<f32>,
    /// Output trim after the limiter, dB (plugin default 0).
    #[arg(long = "output", value_name = "DB", allow_negative_numbers = true)]
    pub output_db: Option<f32>,
    /// Sample format of the written WAV; 16 and 24 get TPDF dither.
    #[arg(long, value_enum, default_value_t = BitDepth::Int24)]
    pub bit_depth: BitDepth,
    /// Overwrite OUTPUT if it exists.
    #[arg(long)]
    pub force: bool,
}

/// Sample format of a written WAV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BitDepth {
    /// 16-bit integer PCM, TPDF-dithered.
    #[value(name = "16")]
    Int16,
    /// 24-bit integer PCM, TPDF-dithered.
    #[value(name = "24")]
    Int24,
    /// 32-bit IEEE float, written as rendered (no dither).
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
    param: &FloatParam,
) -> Result<f32, CliError> {
    let min = param.preview_plain(0.0);
    let max = param.preview_plain(1.0);
    match given {
        None => Ok(param.default_plain_value()),
        Some(v) if v.is_finite() && (min..=max).contains(&v) => Ok(v),
        Some(v) => Err(CliError::new(format!(
            "{flag} {v} is out of range; use a value from {min} to {max} {unit}"
        ))),
    }
}

impl MasterArgs {
    /// The chain settings these flags stand for: the plugin's defaults and its translation of
    /// parameters into settings, with the given flags applied.
    pub fn chain_settings(&self) -> Result<ChainSettings, CliError> {
        let params = LacquerParams::default();
        Ok(ChainSettings {
            drive_db: param_value("--drive", "dB", self.drive, &params.drive)?,
            ceiling_dbtp: param_value("--ceiling", "dBTP", self.ceiling, &params.ceiling)?,
            output_db: param_value("--output", "dB", self.output_db, &params.output)?,
            ..params.chain_settings()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("lacquer").chain(args.iter().copied()))
    }

    fn master(args: &[&str]) -> MasterArgs {
        match parse(args).unwrap().command {
            Some(Command::Master(m)) => m,
            other => panic!("expected master, got {other:?}"),
        }
    }

    #[test]
    fn no_arguments_means_demo() {
        assert!(parse(&[]).unwrap().command.is_none());
        assert!(matches!(
            parse(&["demo"]).unwrap().command,
            Some(Command::Demo)
        ));
    }

    #[test]
    fn master_defaults_are_the_plugin_defaults() {
        let m = master(&["master", "in.wav", "-o", "out.wav"]);
        assert_eq!(m.bit_depth, BitDepth::Int24);
        assert!(!m.force);
        let s = m.chain_settings().unwrap();
        assert_eq!(s.drive_db, 0.0);
        assert_eq!(s.ceiling_dbtp, -1.0);
        assert_eq!(s.output_db, 0.0);
        assert!(!s.bypass);
    }

    #[test]
    fn negative_values_and_bit_depths_parse() {
        let m = master(&[
            "master",
            "in.wav",
            "-o",
            "out.wav",
            "--drive",
            "-3.5",
            "--ceiling",
            "-0.3",
            "--output",
            "-6",
            "--bit-depth",
            "32f",
            "--force",
        ]);
        let s = m.chain_settings().unwrap();
        assert_eq!(
            (s.drive_db, s.ceiling_dbtp, s.output_db),
            (-3.5, -0.3, -6.0)
        );
        assert_eq!(m.bit_depth, BitDepth::Float32);
        assert!(m.force);
        assert_eq!(
            master(&["master", "a", "-o", "b", "--bit-depth", "16"]).bit_depth,
            BitDepth::Int16
        );
        assert!(parse(&["master", "a", "-o", "b", "--bit-depth", "8"]).is_err());
    }

    #[test]
    fn out_of_range_and_non_finite_values_are_refused() {
        for bad in [["--drive", "99"], ["--ceiling", "1"], ["--output", "NaN"]] {
            let m = master(&["master", "in.wav", "-o", "out.wav", bad[0], bad[1]]);
            let err = m.chain_settings().unwrap_err().to_string();
            assert!(
                err.contains(bad[0]) && err.contains("out of range"),
                "{err}"
            );
        }
    }

    #[test]
    fn master_needs_an_output() {
        assert!(parse(&["master", "in.wav"]).is_err());
    }
}
