//! The two ways to hear the input, both latency-aligned and crossfaded over 20 ms:
//!
//! - **Bypass** (the host's bypass): the dry signal delayed by the chain's latency and nothing
//!   else. Once the fade is done the output is the delayed input, bit for bit, whatever Match
//!   Loudness says.
//! - **Compare**: the delayed dry signal played (Match Loudness on) at the processed signal's
//!   short-term loudness, for a comparison of sound rather than of level. Its gain is capped so
//!   the dry signal's true peak stays under the ceiling (`cap`); when the cap binds, Compare
//!   plays lower than matched and says by how much ([`Bypass::compare_shortfall_db`]).
//!
//! Bypass is the outer switch: with both on, the output is the plain delayed input.

mod cap;

pub use self::cap::CAP_MARGIN_DB;
use self::cap::CeilingCap;
use super::delay::DelayLine;
use super::loudness_match::LoudnessMatch;
use super::true_peak::TruePeakDetector;

/// Crossfade length for Bypass and Compare switching, ms.
pub const BYPASS_FADE_MS: f32 = 20.0;

/// Mixes the processed ("wet") signal with the latency-aligned dry signal.
///
/// The fades use complementary raised-cosine weights (`wet = cos^2`, `dry = sin^2`), which sum
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
    fade_samples: u32,
    /// Bypass fade position: 0 = not bypassed, `fade_samples` = fully bypassed.
    bypass_position: u32,
    bypassed: bool,
    /// Compare fade position: 0 = processed, `fade_samples` = fully the matched dry signal.
    compare_position: u32,
    compare: bool,
    /// Short-term loudness of dry and processed, and the dry gain that matches them.
    matcher: LoudnessMatch,
    /// Whether Compare's dry signal is matched to the processed loudness.
    match_loudness: bool,
    /// Whether the matcher's history is current: measuring stops while Match Loudness is off
    /// (nothing uses the offset then) and starts afresh when it is turned on again.
    matcher_current: bool,
    /// True-peak detectors on the undelayed input (one per channel), run while comparing.
    detectors: Vec<TruePeakDetector>,
    /// Samples between a sample entering a detector and its estimate leaving.
    detector_delay: usize,
    /// The block's true peaks, largest over the channels; and one channel's, scratch.
    peaks: Vec<f32>,
    channel_peaks: Vec<f32>,
    /// Compare's ceiling cap.
    cap: CeilingCap,
    /// Whether the cap and the detectors follow the input (they run only while comparing and
    /// start afresh, from what is in the delay, when Compare is pressed).
    cap_current: bool,
    /// Compare's dry gain on the last sample (matched and capped), and the matched one.
    compare_gain: f32,
    matched_gain: f32,
}

/// Raised-cosine weight of the dry signal at `position` of `fade` samples.
#[inline]
fn dry_weight(position: u32, fade: f32) -> f32 {
    let phase = std::f32::consts::FRAC_PI_2 * position as f32 / fade;
    let s = phase.sin();
    s * s
}

/// One step of a fade position towards its target.
#[inline]
fn step_towards(position: &mut u32, target: u32) {
    if *position < target {
        *position += 1;
    } else if *position > target {
        *position -= 1;
    }
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
        let max_block = max_block_samples.max(1);
        self.dry_delay.configure(num_channels, max_latency_samples);
        self.dry = vec![vec![0.0; max_block]; num_channels];
        self.fade_samples = ((BYPASS_FADE_MS * 0.001 * sample_rate_hz).round() as u32).max(1);
        self.matcher.configure(sample_rate_hz, num_channels);
        self.detectors = vec![TruePeakDetector::new(sample_rate_hz); num_channels.min(2)];
        self.detector_delay = self
            .detectors
            .first()
            .map_or(0, TruePeakDetector::delay_samples);
        self.peaks = vec![0.0; max_block];
        self.channel_peaks = vec![0.0; max_block];
        self.cap.configure(sample_rate_hz);
        self.reset();
    }

    /// Largest block `capture_dry`/`mix` accept at once.
    pub fn max_block_samples(&self) -> usize {
        self.dry.first().map_or(0, |d| d.len())
    }

    /// Sets the dry path's delay (the chain's latency).
    pub fn set_latency_samples(&mut self, latency_samples: usize) {
        self.dry_delay.set_delay_samples(latency_samples);
    }

    /// Samples a dry peak is known before it is heard: the latency less the detector's delay.
    /// The chain's latency always exceeds the detector's delay (the limiter's own detector is
    /// the same one, and its lookahead comes on top).
    fn cap_lookahead(&self) -> f32 {
        self.dry_delay
            .delay_samples()
            .saturating_sub(self.detector_delay)
            .max(1) as f32
    }

    /// Requests the host bypass on or off; the change fades over [`BYPASS_FADE_MS`].
    pub fn set_bypassed(&mut self, bypassed: bool) {
        self.bypassed = bypassed;
    }

    /// Requests Compare on or off; the change fades over [`BYPASS_FADE_MS`].
    pub fn set_compare(&mut self, compare: bool) {
        self.compare = compare;
    }

    /// Turns Match Loudness (Compare's level match) on or off; the dry gain glides to its new
    /// target.
    pub fn set_match_loudness(&mut self, on: bool) {
        self.match_loudness = on;
    }

    /// Sets the ceiling Compare's dry signal stays under, dBTP.
    pub fn set_ceiling_dbtp(&mut self, ceiling_dbtp: f32) {
        self.cap.set_ceiling_dbtp(ceiling_dbtp);
    }

    /// The loudness-matching gain now, dB, before the ceiling cap (0 with Match Loudness off,
    /// once glided).
    pub fn match_gain_db(&self) -> f32 {
        self.matcher.gain_db()
    }

    /// The gain Compare's dry signal gets now, dB: the matching gain, lowered by the ceiling
    /// cap when the matched dry signal would pass the ceiling.
    pub fn compare_gain_db(&self) -> f32 {
        20.0 * self.compare_gain.max(1e-12).log10()
    }

    /// How far the ceiling cap holds Compare under the matched level, dB (0 when it does not).
    pub fn compare_shortfall_db(&self) -> f32 {
        if self.compare_gain < self.matched_gain {
            20.0 * (self.matched_gain / self.compare_gain.max(1e-12)).log10()
        } else {
            0.0
        }
    }

    /// The loudness matcher (short-term loudness of dry and processed).
    pub fn matcher(&self) -> &LoudnessMatch {
        &self.matcher
    }

    /// True when the output is entirely the (unscaled) dry signal.
    pub fn is_fully_bypassed(&self) -> bool {
        self.bypassed && self.bypass_position == self.fade_samples
    }

    /// Clears the dry delay and jumps to the requested states.
    pub fn reset(&mut self) {
        self.dry_delay.reset();
        self.bypass_position = if self.bypassed { self.fade_samples } else { 0 };
        self.compare_position = if self.compare { self.fade_samples } else { 0 };
        self.matcher.reset();
        self.matcher_current = true;
        for d in &mut self.detectors {
            d.reset();
        }
        self.cap.start();
        self.cap_current = true;
        self.compare_gain = self.matcher.gain();
        self.matched_gain = self.compare_gain;
    }

    /// Stores the input block (before processing). `channels` must be at most
    /// [`Self::max_block_samples`] long; longer blocks are truncated.
    pub fn capture_dry(&mut self, channels: &[&mut [f32]]) {
        for (src, dst) in channels.iter().zip(self.dry.iter_mut()) {
            let n = src.len().min(dst.len());
            dst[..n].copy_from_slice(&src[..n]);
        }
    }

    /// Compare was pressed: the detectors and the cap start afresh, and the dry samples already
    /// in the delay (heard before any lookahead could see them) set the cap at once.
    fn start_cap(&mut self) {
        self.cap.start();
        let chunk = self.channel_peaks.len();
        for (ch, detector) in self.detectors.iter_mut().enumerate() {
            detector.reset();
            let (older, newer) = self.dry_delay.pending(ch);
            for part in [older, newer] {
                for piece in part.chunks(chunk.max(1)) {
                    let Some(out) = self.channel_peaks.get_mut(..piece.len()) else {
                        continue;
                    };
                    detector.process(piece, out);
                    self.cap.prime(out.iter().fold(0.0f32, |m, &p| m.max(p)));
                }
            }
        }
        self.cap_current = true;
    }

    /// True peaks of the block's undelayed input, largest over the channels, into `peaks`.
    fn detect_peaks(&mut self, n: usize) {
        let (Some(peaks), Some(scratch)) =
            (self.peaks.get_mut(..n), self.channel_peaks.get_mut(..n))
        else {
            return;
        };
        peaks.iter_mut().for_each(|p| *p = 0.0);
        for (detector, dry) in self.detectors.iter_mut().zip(self.dry.iter()) {
            if let Some(x) = dry.get(..n) {
                detector.process(x, scratch);
                for (p, s) in peaks.iter_mut().zip(scratch.iter()) {
                    *p = p.max(*s);
                }
            }
        }
    }

    /// Replaces the processed block in `channels` with the crossfaded mix of it and the
    /// delayed dry block captured by the last [`Self::capture_dry`].
    pub fn mix(&mut self, channels: &mut [&mut [f32]]) {
        let num_samples = channels.first().map_or(0, |c| c.len());
        let n = num_samples.min(self.max_block_samples());
        let comparing = self.compare || self.compare_position > 0;
        if comparing {
            if !self.cap_current {
                self.start_cap();
            }
            self.detect_peaks(n);
        } else {
            self.cap_current = false;
        }
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
        let fade = self.fade_samples;
        let bypass_target = if self.bypassed { fade } else { 0 };
        if !comparing && self.bypass_position == 0 && bypass_target == 0 {
            // Processed only: the output is left alone.
            self.matcher.advance(n, self.match_loudness);
            self.compare_gain = self.matcher.gain();
            self.matched_gain = self.compare_gain;
            return;
        }
        let match_target = self.matcher.target_gain(self.match_loudness);
        if !comparing {
            // Bypass without Compare: no dry gain to follow sample by sample.
            self.matcher.advance(n, self.match_loudness);
            self.compare_gain = self.matcher.gain();
            self.matched_gain = self.compare_gain;
            if self.bypass_position == fade && bypass_target == fade {
                for (out, dry) in channels.iter_mut().zip(self.dry.iter()) {
                    out[..n].copy_from_slice(&dry[..n]);
                }
                return;
            }
        }
        let compare_target = if self.compare { fade } else { 0 };
        let lookahead = self.cap_lookahead();
        let fade_f = fade as f32;
        for i in 0..n {
            let mut gain = 1.0;
            if comparing {
                let matched = self.matcher.next_gain(match_target);
                let peak = self.peaks.get(i).copied().unwrap_or(0.0);
                gain = matched.min(self.cap.step(peak, lookahead));
                self.matched_gain = matched;
                self.compare_gain = gain;
            }
            step_towards(&mut self.compare_position, compare_target);
            step_towards(&mut self.bypass_position, bypass_target);
            let (cp, bp) = (self.compare_position, self.bypass_position);
            let wc = if cp > 0 && cp < fade {
                dry_weight(cp, fade_f)
            } else {
                0.0
            };
            let wb = if bp > 0 && bp < fade {
                dry_weight(bp, fade_f)
            } else {
                0.0
            };
            for (out, dry) in channels.iter_mut().zip(self.dry.iter()) {
                if let (Some(o), Some(&d)) = (out.get_mut(i), dry.get(i)) {
                    // Bypass is the outer switch: once faded in, the dry sample exactly.
                    if bp == fade {
                        *o = d;
                        continue;
                    }
                    let inner = if cp == 0 {
                        *o
                    } else if cp == fade {
                        d * gain
                    } else {
                        *o * (1.0 - wc) + d * gain * wc
                    };
                    *o = if bp == 0 {
                        inner
                    } else {
                        inner * (1.0 - wb) + d * wb
                    };
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
    fn the_host_bypass_ignores_match_loudness_and_compare() {
        let mut b = Bypass::default();
        b.configure(48_000.0, 1, 512, 1000);
        b.set_latency_samples(100);
        b.set_match_loudness(true);
        b.set_compare(true);
        b.reset();
        // The processed signal is far louder than the dry: the match wants a large gain.
        let dry: Vec<f32> = (0..512).map(|i| 0.01 * (i as f32 * 0.07).sin()).collect();
        for _ in 0..400 {
            let mut wet: Vec<f32> = dry.iter().map(|s| s * 50.0).collect();
            run(&mut b, &mut wet, &dry);
        }
        assert!(b.match_gain_db() > 20.0, "{}", b.match_gain_db());
        b.set_bypassed(true);
        for _ in 0..4 {
            let was = b.is_fully_bypassed();
            let mut wet = vec![0.5f32; 512];
            run(&mut b, &mut wet, &dry);
            if was {
                // The block is the dry one delayed by 100 samples (the blocks repeat).
                assert_eq!(&wet[100..], &dry[..412]);
                assert_eq!(&wet[..100], &dry[412..]);
            }
        }
        assert!(b.is_fully_bypassed());
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
