//! The passes `master` makes over its input, each block by block so that memory does not grow
//! with the file's length: the measuring pass (the "before" column, the assistant's features,
//! the report's loudness over time) and the writing pass (render, requantise, write the WAV or
//! FLAC, measure the "after" column, feed the codec check), both over a [`BlockSource`]. The
//! Drive search's trial renders are passes too ([`lacquer_core::render::measure_source`]).

use super::super::CliError;
use super::super::args::BitDepth;
use super::super::codec::{CodecCheck, CodecPeak};
use super::super::encode::{Quantizer, SampleWriter, finish_wav};
use super::super::output::{OutputFormat, describe_io};
use lacquer_core::assistant::analysis::TrackAnalyzer;
use lacquer_core::assistant::profile::TrackFeatures;
use lacquer_core::chain::ChainSettings;
use lacquer_core::dsp::dither::DEFAULT_SEED;
use lacquer_core::meter::album::TrackLoudness;
use lacquer_core::meter::analysis::{Analysis, Analyzer};
use lacquer_core::meter::timeline::{Timeline, TimelineMeter};
use lacquer_core::render::{BlockSource, GainReductionSummary, render_source};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom};
use std::path::Path;

/// What a pass measures besides the [`Analysis`], which it always measures.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wants {
    /// The assistant's features ([`TrackAnalyzer`]).
    pub features: bool,
    /// Loudness over time and per-channel true peaks, for the HTML report.
    pub timeline: bool,
    /// The gating blocks, for an album's loudness.
    pub loudness: bool,
}

/// What a pass measured.
#[derive(Debug)]
pub struct Measured {
    /// The measurement of the audio.
    pub analysis: Analysis,
    /// The assistant's features, if wanted.
    pub features: Option<TrackFeatures>,
    /// Loudness over time, if wanted.
    pub timeline: Option<Timeline>,
    /// The gating blocks, if wanted.
    pub loudness: Option<TrackLoudness>,
}

/// The meters of one pass, fed block by block.
struct Meters {
    analysis: Analyzer,
    features: Option<TrackAnalyzer>,
    timeline: Option<TimelineMeter>,
    loudness: Option<TrackLoudness>,
}

impl Meters {
    fn new(num_channels: usize, sample_rate_hz: u32, wants: Wants) -> Result<Self, String> {
        let text = |e: lacquer_core::meter::analysis::AnalysisError| e.to_string();
        Ok(Self {
            analysis: Analyzer::new(num_channels, sample_rate_hz).map_err(text)?,
            features: wants
                .features
                .then(|| TrackAnalyzer::new(num_channels, sample_rate_hz as f32)),
            timeline: match wants.timeline {
                true => Some(TimelineMeter::new(num_channels, sample_rate_hz).map_err(text)?),
                false => None,
            },
            loudness: match wants.loudness {
                true => Some(TrackLoudness::new(num_channels, sample_rate_hz).map_err(text)?),
                false => None,
            },
        })
    }

    fn push(&mut self, block: &[&[f32]]) -> Result<(), String> {
        let text = |e: lacquer_core::meter::analysis::AnalysisError| e.to_string();
        self.analysis.push(block).map_err(text)?;
        if let Some(f) = self.features.as_mut() {
            f.push(block);
        }
        if let Some(t) = self.timeline.as_mut() {
            t.push(block).map_err(text)?;
        }
        if let Some(l) = self.loudness.as_mut() {
            l.push(block).map_err(text)?;
        }
        Ok(())
    }

    fn finish(self) -> Result<Measured, String> {
        let text = |e: lacquer_core::meter::analysis::AnalysisError| e.to_string();
        Ok(Measured {
            analysis: self.analysis.finish().map_err(text)?,
            features: self.features.map(TrackAnalyzer::finish),
            timeline: self
                .timeline
                .map(TimelineMeter::finish)
                .transpose()
                .map_err(text)?,
            loudness: self.loudness,
        })
    }
}

/// Measures `source` in one pass; `path` names it in errors.
pub fn measure(source: &dyn BlockSource, path: &Path, wants: Wants) -> Result<Measured, CliError> {
    let fail = |e: String| CliError::new(format!("cannot measure '{}': {e}", path.display()));
    let mut meters =
        Meters::new(source.num_channels(), source.sample_rate_hz(), wants).map_err(fail)?;
    source
        .for_each_block(&mut |block| meters.push(block))
        .map_err(CliError::new)?;
    meters.finish().map_err(fail)
}

/// How the writing pass writes.
#[derive(Debug, Clone, Copy)]
pub struct WriteSpec<'a> {
    /// The output's final path (for messages and its format).
    pub output: &'a Path,
    /// Sample format.
    pub bit_depth: BitDepth,
    /// Software name for a WAV's `LIST`/`INFO` chunk.
    pub software_tag: Option<&'a str>,
    /// Tags for a FLAC output.
    pub tags: &'a [(String, String)],
    /// Run the codec check on the master as it is written.
    pub codec_check: bool,
}

/// What the writing pass did.
#[derive(Debug)]
pub struct Written {
    /// The written master, measured (after requantisation).
    pub measured: Measured,
    /// Samples clamped at full scale when requantising.
    pub num_clipped: usize,
    /// What the limiter did.
    pub gain_reduction: GainReductionSummary,
    /// The limiter's largest gain reduction per host block, dB.
    pub gain_reduction_per_block_db: Vec<f32>,
    /// The codec check (empty when not asked for).
    pub codec: Vec<CodecPeak>,
}

/// Renders `source` with `settings`, requantises with dither, writes the result into `file`
/// (emptied first: `--codec-safe` writes again) as `spec` says, and measures it as it goes.
pub fn write(
    source: &dyn BlockSource,
    settings: &ChainSettings,
    file: &mut File,
    spec: &WriteSpec<'_>,
    wants: Wants,
) -> Result<Written, CliError> {
    let shown = spec.output.display();
    let write_error = |e: std::io::Error| format!("cannot write '{shown}': {}", describe_io(&e));
    file.set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
        .map_err(|e| CliError::new(write_error(e)))?;
    let num_channels = source.num_channels();
    let rate = source.sample_rate_hz();
    let mut meters = Meters::new(num_channels, rate, wants)
        .map_err(|e| CliError::new(format!("cannot measure '{shown}': {e}")))?;
    let mut quantizer = Quantizer::new(spec.bit_depth, DEFAULT_SEED);
    let mut codec = spec
        .codec_check
        .then(|| CodecCheck::start(num_channels, rate));
    let mut sink = BufWriter::new(file);
    let flac = OutputFormat::of(spec.output) == Some(OutputFormat::Flac);
    let mut writer = if flac {
        SampleWriter::flac(&mut sink, num_channels, rate, spec.bit_depth, spec.tags)
    } else {
        SampleWriter::wav(&mut sink, num_channels, rate, spec.bit_depth)
    }
    .map_err(|e| CliError::new(write_error(e)))?;
    let mut buffer: Vec<Vec<f32>> = vec![Vec::new(); num_channels];
    let summary = render_source(source, settings, &mut |block| {
        for (b, c) in buffer.iter_mut().zip(block) {
            b.clear();
            b.extend_from_slice(c);
        }
        let mut samples: Vec<&mut [f32]> = buffer.iter_mut().map(Vec::as_mut_slice).collect();
        quantizer.apply(&mut samples);
        let samples: Vec<&[f32]> = buffer.iter().map(Vec::as_slice).collect();
        writer.write(&samples).map_err(write_error)?;
        meters.push(&samples)?;
        if let Some(c) = codec.as_mut() {
            c.push(&samples);
        }
        Ok(())
    })
    .map_err(CliError::new)?;
    writer.finish().map_err(|e| CliError::new(write_error(e)))?;
    let software = if flac { None } else { spec.software_tag };
    finish_wav(&mut sink, software).map_err(|e| CliError::new(write_error(e)))?;
    let measured = meters
        .finish()
        .map_err(|e| CliError::new(format!("cannot measure '{shown}': {e}")))?;
    Ok(Written {
        measured,
        num_clipped: quantizer.num_clipped,
        gain_reduction: summary.gain_reduction,
        gain_reduction_per_block_db: summary.gain_reduction_per_block_db,
        codec: codec.map(CodecCheck::finish).unwrap_or_default(),
    })
}
