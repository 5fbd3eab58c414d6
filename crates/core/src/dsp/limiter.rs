//! Lookahead true-peak limiter: the chain's last dynamics stage, which keeps the output under
//! a ceiling in dBTP.
//!
//! Per sample (the detector sample `j`, which trails the input by the detector's delay):
//!
//! 1. **Detect** the true peak around the sample ([`TruePeakDetector`]: oversampled points
//!    plus a sinusoidal refinement between them) and turn it into the *required gain*
//!    `r = min(1, ceiling / peak)`.
//! 2. **Link** the channels: each channel's requirement moves towards the smallest one by the
//!    link amount (`r + link (r_min - r)`, never above the channel's own requirement); fully
//!    linked channels share one gain computer.
//! 3. **Hold**: the minimum requirement over the last `attack + 2 guard + 3` samples (van
//!    Herk / Gil-Werman sliding minimum, O(1) per sample), extended, when the programme is
//!    bass-heavy, by 1.25 bass half-periods (up to 25 ms) through a monotonic deque of block
//!    minima, so low notes are not waveform-followed (which would distort them).
//! 4. **Release**: a programme-dependent fast/slow envelope on the reduction depth `1 - gain`.
//! 5. **Attack**: two cascaded moving averages whose lengths add up to `attack + 2`. An average
//!    of values that are all at or below a bound is at or below it, so the smoothed gain
//!    reaches a peak's requirement `attack` samples after the peak enters the hold window and
//!    stays at or below it for the `2 guard + 3` samples around the peak (the peak's sample,
//!    the two neighbours the peak lies between, and `guard` more on each side). On that zone
//!    the waveform is scaled, not distorted, so its interpolated peak scales with it; the
//!    gain ramps are S-curves (piecewise quadratic), with no clicks. (The hold-then-box-filter
//!    construction is the one described in Signalsmith Audio, "Designing a straightforward
//!    limiter", 2022.)
//! 6. **Safety**: the gain is clamped to the exact smallest requirement of every peak whose
//!    flat zone holds the sample, independently of steps 3 to 5, so no rounding or future
//!    change to the smoothing can lift it above what the detector asked for. Sample peaks
//!    are therefore never above the ceiling, and true peaks only by the detector's error and
//!    by what gain changes further away do to the interpolated peak. Measured on two meters
//!    (a 16x interpolator flat to 0.49 fs and the standard BS.1770-4 meter of the `ebur128`
//!    crate) at every rate from 22.05 to 384 kHz, on full-band noise driven 24 dB, bursts,
//!    square and sawtooth waves, clipped material and +100 dB steps, the output reads at most
//!    -0.004 dB over the ceiling in `tests/ceiling.rs`, -0.011 dB in the 2,000 cases of the
//!    randomised `tests/ceiling_search.rs` and +0.022 dB in 20,000 more on demand (the
//!    detector aims 0.05 dB under it). Gain
//!    changes near a peak are what the detector cannot see: they spread full-band content
//!    over Nyquist and move the interpolated waveform; [`GUARD_SAMPLES`] is sized for that.
//! 7. The audio, delayed by [`Limiter::latency_samples`] (detector delay + attack + guard +
//!    1), is multiplied by the gain. A gain of exactly 1 leaves samples bit-identical, so below
//!    the ceiling the stage is a pure delay.
//!
//! The work is done in fixed chunks of at most 128 samples with every stage's state carried
//! from sample to sample, so the output does not depend on the host's block sizes.

mod chunk;
mod envelope;
mod gain_computer;
mod settings;

use self::envelope::HalfPeriodTracker;
use self::gain_computer::GainComputer;
pub use self::settings::{LimiterSettings, MAX_LOOKAHEAD_MS, MIN_LOOKAHEAD_MS};
use super::db_to_gain;
use super::true_peak::{DetectorMode, TruePeakDetector};

/// Samples beyond a peak's two neighbouring samples, on each side, over which the gain is held
/// flat, so the interpolation kernel around the peak sees a scaled, undistorted waveform. With
/// 2 samples a full-band noise limited with 0.5 ms lookahead and 10 ms release overshot by up
/// to 0.1 dB (gain ramps within the kernel's reach). Against a 16x meter flat to 0.49 fs, whose
/// kernel reaches far, 12 samples let naive square and sawtooth waves near Nyquist limited
/// with 0.5 to 1 ms of lookahead through up to 0.25 dB over (11 of 20,000 randomised cases),
/// 24 up to 0.11 dB and 32 up to 0.055 dB; 48 holds all of them within 0.02 dB. It costs
/// latency (48 samples is 1 ms at 48 kHz) and a hold that long around each peak.
pub const GUARD_SAMPLES: usize = 48;
/// The detector aims this far under the ceiling, dB. The residual error of the true-peak
/// estimate (measured up to about +0.02 dB at default settings and +0.044 dB at the extreme
/// 0.5 ms / 10 ms settings, against an independent 16x meter) is absorbed here, so a written
/// master reads at or under its ceiling on any meter; 0.05 dB of loudness is inaudible.
pub const CEILING_MARGIN_DB: f32 = 0.05;
/// Longest bass hold, ms: half a cycle at 20 Hz.
pub const MAX_BASS_HOLD_MS: f32 = 25.0;
/// The bass hold is this many bass half-periods long, so the next half-cycle's peak arrives
/// before the hold ends.
const BASS_HOLD_HALF_PERIODS: f32 = 1.25;
/// A channel counts for the bass hold when its level is at least this fraction of the
/// loudest channel's.
const BASS_HOLD_LEVEL_FRACTION: f32 = 0.25;
/// Samples handled per inner pass (detector, requirements, gain computer, safety, output).
pub(crate) const CHUNK_SAMPLES: usize = 128;
/// The bass tracker runs on every `BASS_DECIMATION`-th sample (by absolute position, so the
/// result does not depend on block sizes); bass half-cycles are hundreds of samples long.
pub(crate) const BASS_DECIMATION: u64 = 8;
/// Link values at or above this run one gain computer for all channels.
const FULL_LINK: f32 = 0.9999;

/// The limiter stage. See the module documentation for the algorithm.
#[derive(Debug, Clone)]
pub struct Limiter {
    settings: LimiterSettings,
    sample_rate_hz: f32,
    num_channels: usize,
    max_block_samples: usize,
    ceiling_gain: f32,
    attack_samples: usize,
    latency_samples: usize,
    max_bass_hold_samples: u32,
    detectors: Vec<TruePeakDetector>,
    trackers: Vec<HalfPeriodTracker>,
    computers: Vec<GainComputer>,
    delay_lines: Vec<Vec<f32>>,
    delay_mask: usize,
    write_pos: usize,
    /// Per-channel scratch of one chunk: peaks, then requirements.
    required: Vec<Vec<f32>>,
    /// Requirement shared by fully linked channels.
    linked_required: Vec<f32>,
    /// Per-channel final gains of one chunk.
    gains: Vec<Vec<f32>>,
    /// Bass hold of each sample of the chunk, samples.
    holds: Vec<u32>,
    /// Release output of one chunk (scratch).
    depths: Vec<f64>,
    sample_index: u64,
    bass_hold: u32,
    linked: bool,
    current_gain: f32,
    peak_min_gain: f32,
    block_min_gain: f32,
    /// Per-sample gain-reduction statistics, collected only when enabled (offline renders).
    stats: GainReductionStats,
    collect_stats: bool,
}

/// Gain reduction counted below this is "not limiting", dB.
pub const ACTIVE_GAIN_REDUCTION_DB: f32 = 0.05;

/// Per-sample limiter gain-reduction statistics (largest reduction over the channels at each
/// sample), accumulated while [`Limiter::set_collect_stats`] is on.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GainReductionStats {
    /// Largest gain reduction, dB.
    pub max_db: f32,
    /// Sum of the gain reduction over the samples where it exceeded
    /// [`ACTIVE_GAIN_REDUCTION_DB`], dB.
    pub active_sum_db: f64,
    /// Samples where the gain reduction exceeded [`ACTIVE_GAIN_REDUCTION_DB`].
    pub num_active_samples: u64,
    /// Samples counted.
    pub num_samples: u64,
}

impl GainReductionStats {
    /// Mean gain reduction over the samples where the limiter was active, dB.
    pub fn mean_active_db(&self) -> Option<f32> {
        (self.num_active_samples > 0)
            .then(|| (self.active_sum_db / self.num_active_samples as f64) as f32)
    }

    /// Share of the samples where the limiter was active, 0..1.
    pub fn active_fraction(&self) -> f32 {
        if self.num_samples == 0 {
            0.0
        } else {
            (self.num_active_samples as f64 / self.num_samples as f64) as f32
        }
    }
}

impl Default for Limiter {
    fn default() -> Self {
        Self::new()
    }
}

impl Limiter {
    /// A limiter with default settings, configured for 48 kHz stereo and 512-sample blocks;
    /// call [`Self::configure`] before processing at another rate.
    pub fn new() -> Self {
        let mut limiter = Self {
            settings: LimiterSettings::default(),
            sample_rate_hz: 48_000.0,
            num_channels: 2,
            max_block_samples: 512,
            ceiling_gain: 1.0,
            attack_samples: 1,
            latency_samples: 0,
            max_bass_hold_samples: 0,
            detectors: Vec::new(),
            trackers: Vec::new(),
            computers: Vec::new(),
            delay_lines: Vec::new(),
            delay_mask: 0,
            write_pos: 0,
            required: Vec::new(),
            linked_required: Vec::new(),
            gains: Vec::new(),
            holds: Vec::new(),
            depths: Vec::new(),
            sample_index: 0,
            bass_hold: 0,
            linked: true,
            current_gain: 1.0,
            peak_min_gain: 1.0,
            block_min_gain: 1.0,
            stats: GainReductionStats::default(),
            collect_stats: false,
        };
        limiter.configure(48_000.0, 2, 512);
        limiter
    }

    /// Prepares for a sample rate (Hz), channel count and largest host block. Allocates every
    /// buffer, sized for the longest lookahead at this rate, then resets. Blocks longer than
    /// `max_block_samples` are still processed correctly (the stage works in fixed internal
    /// chunks), so the value is only recorded.
    pub fn configure(
        &mut self,
        sample_rate_hz: f32,
        num_channels: usize,
        max_block_samples: usize,
    ) {
        let rate = if sample_rate_hz.is_finite() {
            sample_rate_hz.clamp(8_000.0, 1_536_000.0)
        } else {
            48_000.0
        };
        let num_channels = num_channels.max(1);
        self.sample_rate_hz = rate;
        self.num_channels = num_channels;
        self.max_block_samples = max_block_samples;
        let detector = TruePeakDetector::new(rate);
        let max_attack = ms_to_samples(MAX_LOOKAHEAD_MS, rate);
        self.max_bass_hold_samples = ms_to_samples(MAX_BASS_HOLD_MS, rate) as u32;
        let max_latency = detector.delay_samples() + max_attack + GUARD_SAMPLES + 1;
        let delay_len = (max_latency + CHUNK_SAMPLES + 1).next_power_of_two();
        self.detectors = vec![detector; num_channels];
        let mut tracker = HalfPeriodTracker::default();
        tracker.set_sample_rate(rate / BASS_DECIMATION as f32);
        self.trackers = vec![tracker; num_channels];
        self.computers =
            vec![GainComputer::new(self.max_bass_hold_samples as usize, max_attack); num_channels];
        self.delay_lines = vec![vec![0.0; delay_len]; num_channels];
        self.delay_mask = delay_len - 1;
        self.required = vec![vec![0.0; CHUNK_SAMPLES]; num_channels];
        self.linked_required = vec![1.0; CHUNK_SAMPLES];
        self.gains = vec![vec![1.0; CHUNK_SAMPLES]; num_channels];
        self.holds = vec![0; CHUNK_SAMPLES];
        self.depths = vec![0.0; CHUNK_SAMPLES];
        let settings = self.settings;
        self.settings.lookahead_ms = f32::NAN; // force the lookahead to be applied
        self.set_settings(&settings);
        self.reset();
    }

    /// Clears all audio state (delay lines, detectors, envelopes). Allocation-free.
    pub fn reset(&mut self) {
        self.detectors.iter_mut().for_each(TruePeakDetector::reset);
        self.trackers.iter_mut().for_each(HalfPeriodTracker::reset);
        let attack = self.attack_samples;
        self.computers.iter_mut().for_each(|c| c.reset(attack));
        self.delay_lines
            .iter_mut()
            .for_each(|d| d.iter_mut().for_each(|s| *s = 0.0));
        self.write_pos = 0;
        self.sample_index = 0;
        self.bass_hold = 0;
        self.linked = self.is_fully_linked();
        self.current_gain = 1.0;
        self.peak_min_gain = 1.0;
        self.block_min_gain = 1.0;
    }

    /// Applies new settings (clamped to their ranges). Ceiling, release and link take effect
    /// at once, the gain moving to them smoothly; a lookahead change alters the latency and
    /// therefore also clears the audio state as [`Self::reset`] does. Allocation-free.
    pub fn set_settings(&mut self, settings: &LimiterSettings) {
        let new = settings.clamped();
        let lookahead_changed = new.lookahead_ms != self.settings.lookahead_ms;
        self.settings = new;
        self.ceiling_gain = db_to_gain(new.ceiling_dbtp - CEILING_MARGIN_DB);
        for computer in &mut self.computers {
            computer
                .release
                .set_times(new.release_ms, self.sample_rate_hz);
        }
        if lookahead_changed {
            let attack = ms_to_samples(new.lookahead_ms, self.sample_rate_hz).max(1);
            self.attack_samples = attack;
            let first = (attack + 2) / 2;
            for computer in &mut self.computers {
                computer.attack.set_lengths(first, attack + 2 - first);
            }
            self.latency_samples = self.detector_delay() + attack + GUARD_SAMPLES + 1;
            self.reset();
        }
    }

    /// The settings in force (after clamping).
    pub fn settings(&self) -> &LimiterSettings {
        &self.settings
    }

    /// The configured sample rate, Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// How densely the true-peak detector samples the waveform at this rate.
    pub fn detector_mode(&self) -> DetectorMode {
        DetectorMode::for_sample_rate(self.sample_rate_hz)
    }

    /// Exact delay of the stage in samples: detector delay + lookahead + guard + 1.
    pub fn latency_samples(&self) -> u32 {
        self.latency_samples as u32
    }

    /// Gain reduction applied to the last sample processed, dB (>= 0; the largest over the
    /// channels).
    pub fn gain_reduction_db(&self) -> f32 {
        gain_reduction_db(self.current_gain)
    }

    /// Largest gain reduction since the previous call, dB (>= 0); clears it. For a meter that
    /// shows peaks between GUI frames.
    pub fn take_peak_gain_reduction_db(&mut self) -> f32 {
        let db = gain_reduction_db(self.peak_min_gain);
        self.peak_min_gain = 1.0;
        db
    }

    /// Largest gain reduction during the last `process` call, dB (>= 0). For offline
    /// statistics per block.
    pub fn last_block_max_gain_reduction_db(&self) -> f32 {
        gain_reduction_db(self.block_min_gain)
    }

    fn detector_delay(&self) -> usize {
        self.detectors
            .first()
            .map_or(0, TruePeakDetector::delay_samples)
    }

    fn is_fully_linked(&self) -> bool {
        self.settings.link >= FULL_LINK || self.num_channels == 1
    }

    /// Limits planar channels in place (as many as were configured; further channels are left
    /// untouched; all are processed to the length of the shortest). Any block length. Never
    /// allocates, locks or panics.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = channels.len().min(self.num_channels);
        let num_samples = channels
            .iter()
            .take(num_channels)
            .map(|c| c.len())
            .min()
            .unwrap_or(0);
        self.block_min_gain = 1.0;
        let linked = self.is_fully_linked();
        if self.linked && !linked {
            // Every channel's computer would have seen the linked requirement so far.
            if let Some((first, rest)) = self.computers.split_first_mut() {
                rest.iter_mut().for_each(|c| c.copy_from(first));
            }
        }
        self.linked = linked;
        let mut start = 0;
        while start < num_samples {
            let len = (num_samples - start).min(CHUNK_SAMPLES);
            self.process_chunk(channels, num_channels, start, len);
            start += len;
        }
        self.peak_min_gain = self.peak_min_gain.min(self.block_min_gain);
    }

    /// Turns per-sample gain-reduction statistics on or off (off by default: the plugin has
    /// no use for them; offline renders report them).
    pub fn set_collect_stats(&mut self, collect: bool) {
        self.collect_stats = collect;
    }

    /// The statistics since the previous call; clears them.
    pub fn take_stats(&mut self) -> GainReductionStats {
        std::mem::take(&mut self.stats)
    }
}

/// `min` without NaN handling (every value here is finite): one instruction, so loops
/// vectorise.
#[inline(always)]
pub(crate) fn min_f32(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

fn ms_to_samples(ms: f32, sample_rate_hz: f32) -> usize {
    (ms as f64 * 0.001 * sample_rate_hz as f64).round().max(0.0) as usize
}

fn gain_reduction_db(gain: f32) -> f32 {
    if gain >= 1.0 {
        0.0
    } else {
        -20.0 * gain.max(1e-12).log10()
    }
}
