//! Rendering and measuring audio that is never whole in memory: a [`BlockSource`] hands out
//! a file block by block (as often as asked, from the start each time), and the
//! [`StreamRenderer`] runs the chain over whatever blocks it is pushed, producing exactly
//! what [`super::render`] produces for the same audio (the chain sees the same
//! [`HOST_BLOCK_SAMPLES`]-sample blocks counted from the start, and the same latency
//! compensation), in pieces, to a sink. Memory stays at a block per channel whatever the
//! length, so a 1-hour 96 kHz file is mastered in the same few megabytes as a song.

use super::{GainReductionSummary, HOST_BLOCK_SAMPLES, RenderLoudness, fresh_chain};
use crate::chain::{ChainSettings, MasteringChain};
use crate::meter::analysis::AnalysisError;
use ebur128::{EbuR128, Mode};

/// A sink's answer: go on, or the error that stops the pass.
pub type SinkResult = Result<(), String>;

/// Where a pass hands its planar blocks (one slice per channel, all the same length).
pub type BlockSink<'a> = dyn FnMut(&[&[f32]]) -> SinkResult + 'a;

/// Planar audio that can be read from its start, block by block, any number of times (a
/// buffer in memory, or a file decoded again for every pass).
pub trait BlockSource {
    /// Number of channels of every block.
    fn num_channels(&self) -> usize;
    /// Sample rate, Hz.
    fn sample_rate_hz(&self) -> u32;
    /// Length, frames (every pass delivers exactly this many).
    fn num_frames(&self) -> usize;
    /// Calls `sink` with consecutive planar blocks (one slice per channel, all the same
    /// length, of any length) covering the whole audio once, in order. Stops at the first
    /// error, the source's (reading a file) or the sink's, and returns it.
    fn for_each_block(&self, sink: &mut BlockSink<'_>) -> Result<(), String>;
}

/// Frames a [`SliceSource`] hands out at a time.
const SLICE_BLOCK_FRAMES: usize = 1 << 16;

/// Planar audio in memory as a [`BlockSource`].
#[derive(Debug, Clone, Copy)]
pub struct SliceSource<'a> {
    channels: &'a [&'a [f32]],
    sample_rate_hz: u32,
}

impl<'a> SliceSource<'a> {
    /// `channels` (one slice per channel, cut to the shortest) at `sample_rate_hz`.
    pub fn new(channels: &'a [&'a [f32]], sample_rate_hz: u32) -> Self {
        Self {
            channels,
            sample_rate_hz,
        }
    }
}

impl BlockSource for SliceSource<'_> {
    fn num_channels(&self) -> usize {
        self.channels.len()
    }

    fn sample_rate_hz(&self) -> u32 {
        self.sample_rate_hz
    }

    fn num_frames(&self) -> usize {
        self.channels.iter().map(|c| c.len()).min().unwrap_or(0)
    }

    fn for_each_block(&self, sink: &mut BlockSink<'_>) -> Result<(), String> {
        let frames = self.num_frames();
        let mut start = 0;
        let mut block: Vec<&[f32]> = Vec::with_capacity(self.channels.len());
        while start < frames {
            let end = (start + SLICE_BLOCK_FRAMES).min(frames);
            block.clear();
            block.extend(self.channels.iter().map(|c| &c[start..end]));
            sink(&block)?;
            start = end;
        }
        Ok(())
    }
}

/// What a finished [`StreamRenderer`] reports.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSummary {
    /// What the limiter did.
    pub gain_reduction: GainReductionSummary,
    /// The limiter's largest gain reduction per host block, as
    /// [`super::Rendered::gain_reduction_per_block_db`].
    pub gain_reduction_per_block_db: Vec<f32>,
    /// Frames handed to the sink (the input's length).
    pub frames: usize,
}

/// Runs a fresh chain over pushed blocks of any size and hands the latency-compensated output
/// to a sink as it comes: concatenated, exactly [`super::render`]'s output for the
/// concatenated input.
pub struct StreamRenderer {
    chain: MasteringChain,
    latency_samples: usize,
    /// One host block per channel, filled up to `fill` frames.
    scratch: Vec<Vec<f32>>,
    fill: usize,
    /// Frames the chain has produced so far (the first `latency_samples` are dropped).
    produced: usize,
    /// Input frames pushed so far.
    pushed: usize,
    per_block: Vec<f32>,
}

impl std::fmt::Debug for StreamRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamRenderer")
            .field("latency_samples", &self.latency_samples)
            .field("pushed", &self.pushed)
            .finish_non_exhaustive()
    }
}

impl StreamRenderer {
    /// A renderer of `num_channels` at `sample_rate_hz` with `settings` (no ramps).
    pub fn new(num_channels: usize, sample_rate_hz: u32, settings: &ChainSettings) -> Self {
        let mut chain = fresh_chain(sample_rate_hz, num_channels, settings);
        chain.take_peak_gain_reduction_db();
        let latency_samples = chain.latency_samples() as usize;
        Self {
            chain,
            latency_samples,
            scratch: vec![vec![0.0; HOST_BLOCK_SAMPLES]; num_channels],
            fill: 0,
            produced: 0,
            pushed: 0,
            per_block: Vec::new(),
        }
    }

    /// The chain's latency, samples (compensated: the output is aligned with the input).
    pub fn latency_samples(&self) -> usize {
        self.latency_samples
    }

    /// Feeds `block` (planar, one slice per channel of the same length); whole host blocks
    /// are rendered at once and their aligned output handed to `sink`.
    pub fn push(&mut self, block: &[&[f32]], sink: &mut BlockSink<'_>) -> SinkResult {
        let len = block.first().map_or(0, |c| c.len());
        debug_assert!(block.iter().all(|c| c.len() == len));
        self.pushed += len;
        let mut offset = 0;
        while offset < len {
            let take = (HOST_BLOCK_SAMPLES - self.fill).min(len - offset);
            for (buf, source) in self.scratch.iter_mut().zip(block) {
                buf[self.fill..self.fill + take].copy_from_slice(&source[offset..offset + take]);
            }
            self.fill += take;
            offset += take;
            if self.fill == HOST_BLOCK_SAMPLES {
                self.process(sink)?;
            }
        }
        Ok(())
    }

    /// Flushes the chain's delayed tail (zeros pushed for its latency), renders the last
    /// partial block and reports what the limiter did.
    pub fn finish(mut self, sink: &mut BlockSink<'_>) -> Result<StreamSummary, String> {
        let mut left = self.latency_samples;
        while left > 0 {
            let take = (HOST_BLOCK_SAMPLES - self.fill).min(left);
            for buf in &mut self.scratch {
                buf[self.fill..self.fill + take].fill(0.0);
            }
            self.fill += take;
            left -= take;
            if self.fill == HOST_BLOCK_SAMPLES {
                self.process(sink)?;
            }
        }
        if self.fill > 0 {
            self.process(sink)?;
        }
        Ok(StreamSummary {
            gain_reduction: self.chain.take_gain_reduction_stats().into(),
            gain_reduction_per_block_db: self.per_block,
            frames: self.pushed,
        })
    }

    /// Renders the `fill` frames in the scratch block and hands on what lies past the latency.
    fn process(&mut self, sink: &mut BlockSink<'_>) -> SinkResult {
        let len = self.fill;
        self.fill = 0;
        {
            let mut block: Vec<&mut [f32]> =
                self.scratch.iter_mut().map(|c| &mut c[..len]).collect();
            self.chain.process(&mut block);
        }
        self.per_block
            .push(self.chain.take_peak_gain_reduction_db());
        let start = self.produced;
        self.produced += len;
        let skip = self.latency_samples.saturating_sub(start).min(len);
        if skip < len {
            let aligned: Vec<&[f32]> = self.scratch.iter().map(|c| &c[skip..len]).collect();
            sink(&aligned)?;
        }
        Ok(())
    }
}

/// Renders `source` through a fresh chain with `settings`, handing the aligned output to
/// `sink` block by block.
pub fn render_source(
    source: &dyn BlockSource,
    settings: &ChainSettings,
    sink: &mut BlockSink<'_>,
) -> Result<StreamSummary, String> {
    let mut renderer =
        StreamRenderer::new(source.num_channels(), source.sample_rate_hz(), settings);
    source.for_each_block(&mut |block| renderer.push(block, sink))?;
    renderer.finish(sink)
}

/// [`super::measure_render`] for a [`BlockSource`]: integrated loudness and gain reduction of
/// the render, nothing kept.
pub fn measure_source(
    source: &dyn BlockSource,
    settings: &ChainSettings,
) -> Result<RenderLoudness, AnalysisError> {
    let mut meter = EbuR128::new(
        source.num_channels() as u32,
        source.sample_rate_hz(),
        Mode::I,
    )
    .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;
    let mut meter_error = None;
    let summary = render_source(source, settings, &mut |aligned| {
        meter.add_frames_planar_f32(aligned).map_err(|e| {
            let message = format!("{e:?}");
            meter_error = Some(AnalysisError::Meter(message.clone()));
            message
        })
    });
    if let Some(e) = meter_error {
        return Err(e);
    }
    let summary = summary.map_err(AnalysisError::Read)?;
    let integrated = meter.loudness_global().ok().filter(|l| l.is_finite());
    Ok(RenderLoudness {
        integrated_lufs: integrated,
        gain_reduction: summary.gain_reduction,
    })
}
