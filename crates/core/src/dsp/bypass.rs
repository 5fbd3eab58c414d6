//! Click-free bypass: the dry signal, delayed by the chain's latency so it lines up with the
//! processed one, crossfaded in and out, and (Match Loudness) played at the processed signal's
//! short-term loudness.

use super::delay::DelayLine;
use super::loudness_match::LoudnessMatch;

/// Crossfade length for bypass switching, ms.
pub const BYPASS_FADE_MS: f32 = 20.0;

/// Mixes the processed ("wet") signal with the latency-aligned dry signal.
///
/// The fade uses complementary raised-cosine weights (`wet = cos^2`, `dry = sin^2`), which sum
/// to one. For two signals that are the same music (dry and processed are highly correlated,
/// and identical when the chain is transparent) weights summing to one *are* the equal-power
/// fade: the power of `w*x + (1-w)*x` is constant, whereas `cos`/`sin` weights, equal-power for
/// uncorrelated signals, would bump the level by up to 3 dB mid-fade. The weights have zero
/// slope at both ends, so there is no click.
#[derive(Debug, Clone, Default)]
pub struct Bypass {
    dry_delay: DelayLine,
    /// Per-channel copy of the block's input, sized in `configure`.
    dry: Vec<Vec<f32>>,
    /// Fade position: 0 = fully processed, `fade_samples` = fully bypassed.
    position: u32,
    fade_samples: u32,
    bypassed: bool,
    /// Short-term loudness of dry and processed, and the dry gain that matches them.
    matcher: LoudnessMatch,
    /// Whether the dry signal is matched to the processed loudness.
    match_loudness: bool,
    /// Whether the matcher's history is current: measuring stops while Match Loudness is off
    /// (nothing uses the offset then) and starts afresh when it is turned on again.
    matcher_current: bool,
}

impl Bypass {
    /// Allocates for a channel count, largest block and largest latency.
    pub fn configure(
        &mut self,
        sample_rate_hz: f32,
        num_channels: usize,
        max_block_samples: usize,
        max_latency_samples: usize,
    ) {
        self.dry_delay.configure(num_channels, max_latency_samples);
        self.dry = vec![vec![0.0; max_block_samples.max(1)]; num_channels];
        self.fade_samples = ((BYPASS_FADE_MS * 0.001 * sample_rate_hz).round() as u32).max(1);
        self.position = if self.bypassed { self.fade_samples } else { 0 };
        self.matcher.configure(sample_rate_hz, num_channels);
        self.matcher_current = true;
    }

    /// Largest block `capture_dry`/`mix` accept at once.
    pub fn max_block_samples(&self) -> usize {
        self.dry.first().map_or(0, |d| d.len())
    }

    /// Sets the dry path's delay (the chain's latency).
    pub fn set_latency_samples(&mut self, latency_samples: usize) {
        self.dry_delay.set_delay_samples(latency_samples);
    }

    /// Requests bypass on or off; the change fades over [`BYPASS_FADE_MS`].
    pub fn set_bypassed(&mut self, bypassed: bool) {
        self.bypassed = bypassed;
    }

    /// Turns Match Loudness on or off; the dry gain glides to its new target.
    pub fn set_match_loudness(&mut self, on: bool) {
        self.match_loudness = on;
    }

    /// The gain the dry signal gets now, dB (0 with Match Loudness off, once glided).
    pub fn match_gain_db(&self) -> f32 {
        self.matcher.gain_db()
    }

    /// The loudness matcher (short-term loudness of dry and processed).
    pub fn matcher(&self) -> &LoudnessMatch {
        &self.matcher
    }

    /// True when the output is entirely the dry signal.
    pub fn is_fully_bypassed(&self) -> bool {
        self.bypassed && self.position == self.fade_samples
    }

    /// Clears the dry delay and jumps to the requested state.
    pub fn reset(&mut self) {
        self.dry_delay.reset();
        self.position = if self.bypassed { self.fade_samples } else { 0 };
        self.matcher.reset();
        self.matcher_current = true;
    }

    /// Stores the input block (before processing). `channels` must be at most
    /// [`Self::max_block_samples`] long; longer blocks are truncated.
    pub fn capture_dry(&mut self, channels: &[&mut [f32]]) {
        for (src, dst) in channels.iter().zip(self.dry.iter_mut()) {
            let n = src.len().min(dst.len());
            dst[..n].copy_from_slice(&src[..n]);
        }
    }

    /// Replaces the processed block in `channels` with the crossfaded mix of it and the
    /// delayed dry block captured by the last [`Self::capture_dry`].
    pub fn mix(&mut self, channels: &mut [&mut [f32]]) {
        let num_samples = channels.first().map_or(0, |c| c.len());
        let n = num_samples.min(self.max_block_samples());
        {
            let num_dry = self.dry.len().min(2);
            let mut dry_slices: [&mut [f32]; 2] = [&mut [], &mut []];
            for (slot, d) in dry_slices.iter_mut().zip(self.dry.iter_mut()) {
                *slot = &mut d[..n];
            }
            self.dry_delay.process(&mut dry_slices[..num_dry]);
        }
        if self.match_loudness {
            if !self.matcher_current {
                self.matcher.forget_history();
                self.matcher_current = true;
            }
            let dry: [&[f32]; 2] = match self.dry.as_slice() {
                [l, r, ..] => [&l[..n], &r[..n]],
                [m] => [&m[..n], &[]],
                [] => [&[], &[]],
            };
            let num_dry = self.dry.len().clamp(1, 2);
            match channels {
                [l, r, ..] => self.matcher.measure(&dry[..num_dry], &[&l[..n], &r[..n]]),
                [m] => self.matcher.measure(&dry[..num_dry], &[&m[..n]]),
                [] => {}
            }
        } else {
            self.matcher_current = false;
        }
        let target = if self.bypassed { self.fade_samples } else { 0 };
        if self.position == target && !self.bypassed {
            self.matcher.advance(n, self.match_loudness);
            return;
        }
        {
            let num_dry = self.dry.len().min(2);
            let mut dry_slices: [&mut [f32]; 2] = [&mut [], &mut []];
            for (slot, d) in dry_slices.iter_mut().zip(self.dry.iter_mut()) {
                *slot = &mut d[..n];
            }
            self.matcher
                .apply(&mut dry_slices[..num_dry], self.match_loudness);
        }
        if self.position == target {
            for (out, dry) in channels.iter_mut().zip(self.dry.iter()) {
                out[..n].copy_from_slice(&dry[..n]);
            }
            return;
        }
        let fade = self.fade_samples as f32;
        for i in 0..n {
            if self.position < target {
                self.position += 1;
            } else if self.position > target {
                self.position -= 1;
            }
            let phase = std::f32::consts::FRAC_PI_2 * self.position as f32 / fade;
            let dry_weight = phase.sin() * phase.sin();
            let wet_weight = 1.0 - dry_weight;
            for (out, dry) in channels.iter_mut().zip(self.dry.iter()) {
                if let (Some(o), Some(d)) = (out.get_mut(i), dry.get(i)) {
                    *o = *o * wet_weight + *d * dry_weight;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(bypass: &mut Bypass, wet: &mut [f32], dry: &[f32]) {
        let mut d = dry.to_vec();
        bypass.capture_dry(&[&mut d]);
        bypass.mix(&mut [wet]);
    }

    #[test]
    fn bypassed_output_is_delayed_dry() {
        let mut b = Bypass::default();
        b.set_bypassed(true);
        b.configure(48_000.0, 1, 64, 100);
        b.set_latency_samples(10);
        b.reset();
        let dry: Vec<f32> = (0..64).map(|i| i as f32).collect();
        let mut wet = vec![99.0f32; 64];
        run(&mut b, &mut wet, &dry);
        assert!(wet[..10].iter().all(|&s| s == 0.0));
        assert_eq!(&wet[10..], &dry[..54]);
    }

    #[test]
    fn fade_is_monotonic_and_complete() {
        let mut b = Bypass::default();
        b.configure(1000.0, 1, 64, 0); // 20-sample fade
        b.set_bypassed(true);
        let dry = vec![1.0f32; 64];
        let mut wet = vec![0.0f32; 64];
        run(&mut b, &mut wet, &dry);
        assert!(wet.windows(2).all(|w| w[1] >= w[0]));
        assert_eq!(wet[19], 1.0);
        assert!(wet[0] > 0.0 && wet[0] < 0.05);
        assert!(b.is_fully_bypassed());
    }
}
