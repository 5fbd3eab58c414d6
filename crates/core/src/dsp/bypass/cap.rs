//! Compare's ceiling cap: the largest gain the dry signal may get in Compare so that its true
//! peak stays under the ceiling. The dry signal is the input delayed by the chain's latency, so
//! its peaks are known that long before they are heard; the cap ramps down to a new, higher
//! peak's limit within that lookahead (never late), holds it while the peak is within the last
//! 3 s (the loudness window), then glides back up as slowly as the loudness match does.

use crate::dsp::loudness_match::{GLIDE_MS, MAX_OFFSET_DB, WINDOW_S};

/// The hold is kept as this many sub-blocks (100 ms each), as the loudness window is.
const NUM_SUB_BLOCKS: usize = 30;

/// Headroom the cap keeps under the ceiling, dB: the dry's true peak is estimated on the
/// detector's four-point grid (refined), and the gain changes during a ramp or a glide; this
/// covers both against a 16x reference meter.
pub const CAP_MARGIN_DB: f32 = 0.1;

/// The cap's state. Allocation-free (fixed-size arrays).
#[derive(Debug, Clone)]
pub struct CeilingCap {
    /// The ceiling less the margin, linear.
    limit: f32,
    /// Largest gain the cap ever allows (the loudness match's largest offset), linear.
    max_gain: f32,
    sub_block_samples: usize,
    samples_in_sub_block: usize,
    /// True-peak maximum of each finished sub-block.
    sub_blocks: [f32; NUM_SUB_BLOCKS],
    next_sub_block: usize,
    /// Maximum over the finished sub-blocks.
    held: f32,
    /// Maximum of the sub-block being filled.
    current: f32,
    /// The cap now, linear.
    gain: f32,
    /// Fall per sample of the ramp in progress (0 when not ramping).
    slope: f32,
    glide_coeff: f32,
}

impl Default for CeilingCap {
    fn default() -> Self {
        let mut cap = Self {
            limit: 1.0,
            max_gain: 10f32.powf(MAX_OFFSET_DB / 20.0),
            sub_block_samples: 4800,
            samples_in_sub_block: 0,
            sub_blocks: [0.0; NUM_SUB_BLOCKS],
            next_sub_block: 0,
            held: 0.0,
            current: 0.0,
            gain: 1.0,
            slope: 0.0,
            glide_coeff: 0.0,
        };
        cap.configure(48_000.0);
        cap.set_ceiling_dbtp(-1.0);
        cap
    }
}

impl CeilingCap {
    /// Sets the sample rate and starts afresh.
    pub fn configure(&mut self, sample_rate_hz: f32) {
        self.sub_block_samples =
            ((WINDOW_S * sample_rate_hz / NUM_SUB_BLOCKS as f32).round() as usize).max(1);
        self.glide_coeff = (-1.0 / (GLIDE_MS * 0.001 * sample_rate_hz)).exp();
        self.start();
    }

    /// Sets the ceiling the dry signal's true peak must stay under, dBTP.
    pub fn set_ceiling_dbtp(&mut self, ceiling_dbtp: f32) {
        self.limit = 10f32.powf((ceiling_dbtp - CAP_MARGIN_DB) / 20.0);
    }

    /// Forgets every peak: the cap is open (the largest gain) until peaks are seen.
    pub fn start(&mut self) {
        self.samples_in_sub_block = 0;
        self.sub_blocks = [0.0; NUM_SUB_BLOCKS];
        self.next_sub_block = 0;
        self.held = 0.0;
        self.current = 0.0;
        self.gain = self.max_gain;
        self.slope = 0.0;
    }

    /// The cap now, linear.
    #[cfg(test)]
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// The cap for a held true peak.
    fn limit_for(&self, peak: f32) -> f32 {
        if peak * self.max_gain > self.limit {
            self.limit / peak
        } else {
            self.max_gain
        }
    }

    /// A peak about to be heard with no lookahead left (the dry samples already in the delay
    /// when Compare starts): held, and the cap drops to its limit at once. Used only while
    /// Compare's crossfade is still at its start, where a step of the dry gain is inaudible.
    pub fn prime(&mut self, peak: f32) {
        self.current = self.current.max(peak);
        self.gain = self.gain.min(self.limit_for(self.current.max(self.held)));
    }

    /// One sample: `peak` is the true peak of the dry sample heard `lookahead` samples from
    /// now. Returns the cap for the sample heard now, linear.
    #[inline]
    pub fn step(&mut self, peak: f32, lookahead: f32) -> f32 {
        self.current = self.current.max(peak);
        self.samples_in_sub_block += 1;
        if self.samples_in_sub_block >= self.sub_block_samples {
            if let Some(slot) = self.sub_blocks.get_mut(self.next_sub_block) {
                *slot = self.current;
            }
            self.next_sub_block = (self.next_sub_block + 1) % NUM_SUB_BLOCKS;
            self.held = self.sub_blocks.iter().fold(0.0f32, |m, &p| m.max(p));
            self.current = 0.0;
            self.samples_in_sub_block = 0;
        }
        let target = self.limit_for(self.held.max(self.current));
        if target < self.gain {
            // Down to the new limit before the peak is heard: a linear ramp over the
            // lookahead, steepened (never flattened) by each later, higher peak.
            self.slope = self.slope.max((self.gain - target) / lookahead.max(1.0));
            self.gain = (self.gain - self.slope).max(target);
        } else {
            self.slope = 0.0;
            self.gain = target + self.glide_coeff * (self.gain - target);
        }
        self.gain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_down_before_the_peak_is_heard_and_holds() {
        let mut cap = CeilingCap::default();
        cap.configure(48_000.0);
        cap.set_ceiling_dbtp(-1.0);
        let limit = 10f32.powf((-1.0 - CAP_MARGIN_DB) / 20.0);
        // Quiet, then a peak of 0.9 seen 100 samples ahead.
        for _ in 0..1000 {
            cap.step(0.01, 100.0);
        }
        assert!(cap.gain() > 15.0);
        let mut gains = Vec::new();
        gains.push(cap.step(0.9, 100.0));
        for _ in 0..99 {
            gains.push(cap.step(0.0, 100.0));
        }
        // The 100th sample from the peak's arrival is the peak itself.
        assert!(gains[99] * 0.9 <= limit * 1.000_01, "{}", gains[99]);
        assert!(gains.windows(2).all(|w| w[1] <= w[0]));
        // Held for the window, then released slowly.
        for _ in 0..(2.5 * 48_000.0) as usize {
            cap.step(0.0, 100.0);
        }
        assert!((cap.gain() * 0.9 - limit).abs() < 1e-4);
        for _ in 0..(1.0 * 48_000.0) as usize {
            cap.step(0.0, 100.0);
        }
        assert!(cap.gain() * 0.9 > limit * 1.5);
    }
}
