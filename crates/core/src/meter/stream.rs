//! What the streaming meters share: checking a pushed planar block, and cutting a stream of
//! blocks of any lengths into fixed steps counted from the stream's start.
//!
//! The whole-file meters read the `ebur128` meter at fixed positions (every 10 ms, every
//! timeline hop, every 3 s window) and fed it exactly one step per call. [`StepBuffer`] keeps
//! that: a step lying wholly inside a pushed block is handed on as a sub-slice of it, and only
//! the samples of a step that straddles two blocks are copied (at most one step per channel).
//! So the meter gets the same calls, with the same frames, whatever the block sizes.
//!
//! `ebur128` itself is split-invariant on x86 and x86-64 with SSE2: its filters, true-peak
//! interpolator and gating blocks keep their state across calls and count in samples, and it
//! runs its filters with the flush-to-zero mode on, so the results do not depend on how frames are split across `add_frames_planar_f32` calls
//! (`tests::ebur128_results_do_not_depend_on_how_frames_are_split` checks it). On other
//! targets it flushes subnormal filter state only at the end of each call, so a split could
//! change the last bits after a long silence; the meters that read at fixed steps are immune
//! (same calls), while [`super::album::TrackLoudness`] (whose whole-file form fed everything in
//! one call) relies on the invariance. [`super::peak::TruePeakMeter`] is invariant everywhere
//! (the interpolator has no such flush, and a peak is a maximum).

use super::analysis::AnalysisError;

/// Checks a planar block against the meter's channel count: `num_channels` slices, all of the
/// same length. Returns that length (frames).
pub(crate) fn check_block(block: &[&[f32]], num_channels: usize) -> Result<usize, AnalysisError> {
    if block.len() != num_channels {
        return Err(AnalysisError::BadLayout(format!(
            "a block of {} channels pushed into a meter of {num_channels}",
            block.len()
        )));
    }
    let frames = block.first().map_or(0, |c| c.len());
    if block.iter().any(|c| c.len() != frames) {
        return Err(AnalysisError::BadLayout(
            "channels have different lengths".into(),
        ));
    }
    Ok(frames)
}

/// Cuts pushed planar blocks into steps of `step` frames counted from the first frame pushed.
#[derive(Debug, Clone)]
pub(crate) struct StepBuffer {
    step: usize,
    /// The frames of the current, unfinished step, per channel (fewer than `step`).
    pending: Vec<Vec<f32>>,
}

impl StepBuffer {
    /// Steps of `step` frames (at least 1) over `num_channels` channels.
    pub(crate) fn new(num_channels: usize, step: usize) -> Self {
        Self {
            step: step.max(1),
            pending: vec![Vec::new(); num_channels],
        }
    }

    /// Frames per step.
    pub(crate) fn step(&self) -> usize {
        self.step
    }

    /// Frames of the unfinished step held.
    pub(crate) fn pending_frames(&self) -> usize {
        self.pending.first().map_or(0, Vec::len)
    }

    /// Feeds `block` (as many slices as channels, all `frames` long) and calls `on_step` with
    /// every step it completes, in order.
    pub(crate) fn push<E>(
        &mut self,
        block: &[&[f32]],
        mut on_step: impl FnMut(&[&[f32]]) -> Result<(), E>,
    ) -> Result<(), E> {
        let frames = block.first().map_or(0, |c| c.len());
        let mut pos = 0;
        let held = self.pending_frames();
        if held > 0 {
            let take = (self.step - held).min(frames);
            for (buf, c) in self.pending.iter_mut().zip(block) {
                buf.extend_from_slice(&c[..take]);
            }
            pos = take;
            if held + take == self.step {
                let step: Vec<&[f32]> = self.pending.iter().map(Vec::as_slice).collect();
                let result = on_step(&step);
                self.pending.iter_mut().for_each(Vec::clear);
                result?;
            }
        }
        let mut step: Vec<&[f32]> = Vec::with_capacity(block.len());
        while frames - pos >= self.step {
            step.clear();
            step.extend(block.iter().map(|c| &c[pos..pos + self.step]));
            on_step(&step)?;
            pos += self.step;
        }
        if pos < frames {
            for (buf, c) in self.pending.iter_mut().zip(block) {
                if buf.capacity() < self.step {
                    buf.reserve_exact(self.step - buf.len());
                }
                buf.extend_from_slice(&c[pos..]);
            }
        }
        Ok(())
    }

    /// The unfinished final step (shorter than a step; empty when the frames pushed fill whole
    /// steps), one slice per channel.
    pub(crate) fn remainder(&self) -> Vec<&[f32]> {
        self.pending.iter().map(Vec::as_slice).collect()
    }
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests;
