//! A gain stage whose target can change at any sample without clicks.

use super::db_to_gain;

/// Default ramp length for gain changes, in milliseconds. 20 ms is long enough that a jump of
/// tens of dB has no audible click and short enough to follow automation closely.
pub const DEFAULT_RAMP_MS: f32 = 20.0;

/// Linear-in-amplitude gain ramp. A new target starts a fresh ramp of fixed length from the
/// current value, so the output depends only on when targets change, never on block size.
#[derive(Debug, Clone)]
pub struct SmoothedGain {
    current_gain: f32,
    target_gain: f32,
    step: f32,
    steps_left: u32,
    ramp_samples: u32,
    ramp_ms: f32,
}

impl Default for SmoothedGain {
    fn default() -> Self {
        Self::new(DEFAULT_RAMP_MS)
    }
}

impl SmoothedGain {
    /// A unity-gain stage with the given ramp time in milliseconds.
    pub fn new(ramp_ms: f32) -> Self {
        Self {
            current_gain: 1.0,
            target_gain: 1.0,
            step: 0.0,
            steps_left: 0,
            ramp_samples: 1,
            ramp_ms,
        }
    }

    /// Sets the ramp length in samples for this sample rate.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.ramp_samples = ((self.ramp_ms * 0.001 * sample_rate_hz).round() as u32).max(1);
    }

    /// Jumps to the target with no ramp (used on reset and on first activation).
    pub fn reset(&mut self) {
        self.current_gain = self.target_gain;
        self.steps_left = 0;
        self.step = 0.0;
    }

    /// Sets the target in dB; a change starts a new ramp from the current value.
    pub fn set_target_db(&mut self, gain_db: f32) {
        self.set_target_gain(db_to_gain(gain_db));
    }

    /// Sets the target as a linear factor; a change starts a new ramp from the current value.
    pub fn set_target_gain(&mut self, gain: f32) {
        if gain == self.target_gain {
            return;
        }
        self.target_gain = gain;
        self.steps_left = self.ramp_samples;
        self.step = (gain - self.current_gain) / self.ramp_samples as f32;
    }

    /// The gain the next sample will get, as a linear factor.
    pub fn current_gain(&self) -> f32 {
        self.current_gain
    }

    /// True while a ramp is in progress.
    pub fn is_smoothing(&self) -> bool {
        self.steps_left > 0
    }

    /// Advances one sample and returns the gain to apply to it.
    #[inline]
    pub fn next_gain(&mut self) -> f32 {
        if self.steps_left > 0 {
            self.steps_left -= 1;
            self.current_gain = if self.steps_left == 0 {
                self.target_gain
            } else {
                self.current_gain + self.step
            };
        }
        self.current_gain
    }

    /// Applies the gain to every channel of a block, with the same per-sample gain on each.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let num_samples = channels.first().map_or(0, |c| c.len());
        if !self.is_smoothing() {
            let g = self.current_gain;
            if g != 1.0 {
                for ch in channels.iter_mut() {
                    ch.iter_mut().for_each(|s| *s *= g);
                }
            }
            return;
        }
        for i in 0..num_samples {
            let g = self.next_gain();
            for ch in channels.iter_mut() {
                if let Some(s) = ch.get_mut(i) {
                    *s *= g;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_linearly_and_lands_exactly() {
        let mut g = SmoothedGain::new(1.0);
        g.set_sample_rate(10_000.0); // 10-sample ramp
        g.set_target_gain(2.0);
        let seq: Vec<f32> = (0..12).map(|_| g.next_gain()).collect();
        assert!((seq[0] - 1.1).abs() < 1e-6);
        assert!((seq[4] - 1.5).abs() < 1e-6);
        assert_eq!(seq[9], 2.0);
        assert_eq!(seq[11], 2.0);
        // Monotonic: no overshoot.
        assert!(seq.windows(2).all(|w| w[1] >= w[0]));
    }

    #[test]
    fn block_size_does_not_change_output() {
        let input: Vec<f32> = (0..4000).map(|i| ((i as f32) * 0.01).sin()).collect();
        let render = |block: usize| {
            let mut g = SmoothedGain::default();
            g.set_sample_rate(48_000.0);
            g.set_target_db(12.0);
            let mut out = input.clone();
            for chunk in out.chunks_mut(block) {
                g.process(&mut [chunk]);
            }
            out
        };
        let a = render(4000);
        for b in [1, 7, 64, 512] {
            assert_eq!(render(b), a, "block size {b}");
        }
    }
}
