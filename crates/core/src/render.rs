//! Offline rendering through the [`MasteringChain`]: whole files in host-sized blocks, with the
//! chain's latency compensated, plus the limiter's gain-reduction statistics. Framework-free,
//! so the CLI renders with it now and the plugin's assistant can render trial passes with it
//! on a background thread later.
//!
//! Two ways to render: [`render`] works in place on owned audio (one copy of the file in
//! memory), and the [`StreamRenderer`] (`render/stream.rs`) renders whatever blocks it is
//! pushed, from a [`BlockSource`] that may never be whole in memory, to a sink: the writing
//! pass of `lacquer master`, and [`measure_source`] / [`measure_render`], which only measure
//! the result (integrated loudness, gain reduction), as a loudness search's trials need.

use crate::chain::{ChainSettings, MasteringChain};
pub use crate::dsp::limiter::{ACTIVE_GAIN_REDUCTION_DB, GainReductionStats};
use crate::meter::analysis::AnalysisError;
pub use stream::{
    BlockSink, BlockSource, SinkResult, SliceSource, StreamRenderer, StreamSummary, measure_source,
    render_source,
};

mod stream;

/// Block size the chain is fed with, samples: what a typical host uses, so offline renders
/// exercise the same block handling as the plugin.
pub const HOST_BLOCK_SAMPLES: usize = 512;

/// What the limiter did during a render, per sample: at each sample the largest gain
/// reduction over the channels ([`GainReductionStats`], collected by the limiter itself).
/// A sample counts as "limiting" when its reduction exceeds [`ACTIVE_GAIN_REDUCTION_DB`]
/// (0.05 dB: inaudible, and under the 0.1 dB resolution reports show).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GainReductionSummary {
    /// Largest gain reduction anywhere in the render, dB (>= 0).
    pub max_db: f32,
    /// Mean gain reduction over the samples where the limiter was working, dB; `None` if it
    /// never was.
    pub mean_active_db: Option<f32>,
    /// Share of samples in which the limiter was working, 0..=1.
    pub active_fraction: f32,
}

impl From<GainReductionStats> for GainReductionSummary {
    fn from(stats: GainReductionStats) -> Self {
        Self {
            max_db: stats.max_db,
            mean_active_db: stats.mean_active_db(),
            active_fraction: stats.active_fraction(),
        }
    }
}

/// A finished in-place render.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    /// The output, planar, time-aligned with the input and of the same length.
    pub channels: Vec<Vec<f32>>,
    /// What the limiter did.
    pub gain_reduction: GainReductionSummary,
    /// The limiter's largest gain reduction in each [`HOST_BLOCK_SAMPLES`]-sample block of the
    /// render, dB (>= 0), in order: block `i` holds the output from sample
    /// `i * HOST_BLOCK_SAMPLES` less the latency (so the curve leads the audio by the
    /// lookahead, a few ms, invisible at a report's resolution).
    pub gain_reduction_per_block_db: Vec<f32>,
}

/// What a measuring render found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderLoudness {
    /// Integrated loudness of the aligned output, LUFS (ITU-R BS.1770-4 gating, exact, as
    /// [`crate::meter::analysis::analyze`] measures it); `None` if everything is gated out.
    pub integrated_lufs: Option<f64>,
    /// What the limiter did.
    pub gain_reduction: GainReductionSummary,
}

/// A fresh chain for `num_channels` at `sample_rate_hz`, already at `settings` (no ramps).
fn fresh_chain(
    sample_rate_hz: u32,
    num_channels: usize,
    settings: &ChainSettings,
) -> MasteringChain {
    let mut chain = MasteringChain::new();
    chain.configure(sample_rate_hz as f32, num_channels, HOST_BLOCK_SAMPLES);
    chain.set_settings_immediately(settings);
    chain.set_collect_gain_reduction_stats(true);
    chain
}

/// Renders planar audio (in place, to keep memory at one copy) through a fresh
/// [`MasteringChain`] at `sample_rate_hz` with `settings`, in blocks of
/// [`HOST_BLOCK_SAMPLES`], compensating the chain's latency.
pub fn render(input: Vec<Vec<f32>>, sample_rate_hz: u32, settings: &ChainSettings) -> Rendered {
    let mut chain = fresh_chain(sample_rate_hz, input.len(), settings);
    let latency_samples = chain.latency_samples() as usize;
    let frames = input.first().map_or(0, Vec::len) + latency_samples;
    let mut per_block = Vec::with_capacity(frames.div_ceil(HOST_BLOCK_SAMPLES));
    chain.take_peak_gain_reduction_db();
    let channels = render_aligned(input, latency_samples, HOST_BLOCK_SAMPLES, |block| {
        chain.process(block);
        per_block.push(chain.take_peak_gain_reduction_db());
    });
    Rendered {
        channels,
        gain_reduction: chain.take_gain_reduction_stats().into(),
        gain_reduction_per_block_db: per_block,
    }
}

/// Renders borrowed planar audio through a fresh chain exactly as [`render`] does (same
/// blocks, same alignment) and measures the output instead of keeping it: integrated loudness
/// and gain reduction. Memory stays at one block per channel plus the loudness meter's
/// 100 ms gating blocks.
pub fn measure_render(
    input: &[&[f32]],
    sample_rate_hz: u32,
    settings: &ChainSettings,
) -> Result<RenderLoudness, AnalysisError> {
    measure_source(&SliceSource::new(input, sample_rate_hz), settings)
}

/// Runs `process` over the planar audio `padded` in blocks of `block_samples` and removes a
/// processing delay of `latency_samples`: the audio is extended in place by that many zeros (to
/// flush the delayed tail out) and that many samples are dropped from the start. The result has
/// the input's length and is time-aligned with it.
pub fn render_aligned<F>(
    mut padded: Vec<Vec<f32>>,
    latency_samples: usize,
    block_samples: usize,
    mut process: F,
) -> Vec<Vec<f32>>
where
    F: FnMut(&mut [&mut [f32]]),
{
    let num_frames = padded.first().map_or(0, Vec::len);
    let padded_len = num_frames + latency_samples;
    for channel in &mut padded {
        channel.resize(padded_len, 0.0);
    }
    let block_samples = block_samples.max(1);
    let mut start = 0;
    while start < padded_len {
        let end = (start + block_samples).min(padded_len);
        let mut block: Vec<&mut [f32]> = padded.iter_mut().map(|c| &mut c[start..end]).collect();
        process(&mut block);
        start = end;
    }
    for channel in &mut padded {
        channel.drain(..latency_samples);
    }
    padded
}

#[cfg(test)]
mod tests;
