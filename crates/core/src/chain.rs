//! The mastering chain shared by the plugin, the CLI, the benches and the tests:
//! `sanitize -> drive -> tonal EQ -> resonance -> multiband dynamics -> stereo image -> limiter
//! -> output trim`, with a latency-aligned, crossfaded bypass and Compare around all of it
//! (docs/architecture.md, "Signal flow").

use crate::dsp::bypass::Bypass;
use crate::dsp::eq::ToneEq;
use crate::dsp::gain::SmoothedGain;
use crate::dsp::limiter::{GainReductionStats, Limiter, LimiterSettings};
use crate::dsp::macros::{MacroSettings, StagesSettings};
use crate::dsp::multiband::MultibandCompressor;
use crate::dsp::resonance::{Resonance, ResonanceSettings};
use crate::dsp::sanitize::sanitize;
use crate::dsp::stereo::StereoImage;
use serde::{Deserialize, Serialize};

/// Every user-facing setting of the chain, in display units. The plugin fills this from its
/// parameters; the CLI from its flags. Same values, same output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChainSettings {
    /// Gain into the limiter, dB.
    pub drive_db: f32,
    /// True-peak ceiling of the limiter, dBTP.
    pub ceiling_dbtp: f32,
    /// Output trim after the limiter, dB.
    pub output_db: f32,
    /// Limiter lookahead, ms (sets the chain's latency).
    pub lookahead_ms: f32,
    /// Limiter base release time, ms (the adaptive release starts from it).
    pub release_ms: f32,
    /// Limiter stereo link, percent (100 = both channels get the same gain).
    pub link_pct: f32,
    /// Bypass (the host's): the latency-aligned dry signal, nothing else, is crossfaded in.
    pub bypass: bool,
    /// Compare with Match Loudness: scale Compare's dry signal to the processed signal's
    /// short-term loudness (a fair comparison, not a louder-is-better one), capped so it stays
    /// under the ceiling. Never applies to `bypass`.
    pub match_loudness: bool,
    /// Compare: the latency-aligned dry signal is crossfaded in, loudness-matched (with
    /// `match_loudness`) and kept under the ceiling. Absent from settings saved before 0.3.0,
    /// hence off when missing.
    #[serde(default)]
    pub compare: bool,
    /// Macro controls (tone, dynamics, width, bass mono), applied on top of `stages`.
    pub macros: MacroSettings,
    /// Expert settings of the tone, dynamics and stereo stages; the macros override the fields
    /// they drive (see [`MacroSettings::apply`]).
    pub stages: StagesSettings,
    /// The resonance stage (after the tonal EQ): its amount is the Resonance macro. Absent
    /// from settings saved by 0.3.0 and earlier, hence out when missing.
    #[serde(default)]
    pub resonance: ResonanceSettings,
}

impl ChainSettings {
    /// The limiter's share of the settings.
    pub fn limiter(&self) -> LimiterSettings {
        LimiterSettings {
            ceiling_dbtp: self.ceiling_dbtp,
            lookahead_ms: self.lookahead_ms,
            release_ms: self.release_ms,
            link: self.link_pct / 100.0,
        }
    }

    /// The tone, dynamics and stereo stages' effective settings (expert + macros).
    pub fn effective_stages(&self) -> StagesSettings {
        self.macros.apply(&self.stages)
    }
}

impl Default for ChainSettings {
    fn default() -> Self {
        Self {
            drive_db: 0.0,
            ceiling_dbtp: -1.0,
            output_db: 0.0,
            lookahead_ms: 2.0,
            release_ms: 150.0,
            link_pct: 100.0,
            bypass: false,
            match_loudness: true,
            compare: false,
            macros: MacroSettings::default(),
            stages: StagesSettings::default(),
            resonance: ResonanceSettings::default(),
        }
    }
}

/// The chain itself. Planar channels (1 or 2) in place.
pub struct MasteringChain {
    sample_rate_hz: f32,
    max_block_samples: usize,
    num_channels: usize,
    drive: SmoothedGain,
    eq: ToneEq,
    resonance: Resonance,
    multiband: MultibandCompressor,
    stereo: StereoImage,
    limiter: Limiter,
    output: SmoothedGain,
    bypass: Bypass,
    settings: ChainSettings,
    /// No sound has reached the stages since the last reset: every stage is still in its
    /// reset state (see [`Self::process`]).
    pristine: bool,
}

impl Default for MasteringChain {
    fn default() -> Self {
        Self::new()
    }
}

impl MasteringChain {
    /// A neutral chain at 48 kHz stereo; call [`Self::configure`] before processing.
    pub fn new() -> Self {
        let mut chain = Self {
            sample_rate_hz: 48_000.0,
            max_block_samples: 0,
            num_channels: 2,
            drive: SmoothedGain::default(),
            eq: ToneEq::new(),
            resonance: Resonance::new(),
            multiband: MultibandCompressor::new(),
            stereo: StereoImage::new(),
            limiter: Limiter::new(),
            output: SmoothedGain::default(),
            bypass: Bypass::default(),
            settings: ChainSettings::default(),
            pristine: true,
        };
        chain.configure(48_000.0, 2, 512);
        chain
    }

    /// Prepares every stage for a sample rate, channel count and largest block. May allocate;
    /// call from `initialize`/`activate`, never from `process`.
    pub fn configure(
        &mut self,
        sample_rate_hz: f32,
        num_channels: usize,
        max_block_samples: usize,
    ) {
        self.sample_rate_hz = sample_rate_hz;
        self.num_channels = num_channels;
        self.max_block_samples = max_block_samples;
        self.drive.set_sample_rate(sample_rate_hz);
        self.output.set_sample_rate(sample_rate_hz);
        let max_block_samples = max_block_samples.max(1);
        self.max_block_samples = max_block_samples;
        self.eq
            .configure(sample_rate_hz, num_channels, max_block_samples);
        self.resonance.configure(sample_rate_hz);
        self.multiband
            .configure(sample_rate_hz, num_channels, max_block_samples);
        self.stereo
            .configure(sample_rate_hz, num_channels, max_block_samples);
        self.limiter
            .configure(sample_rate_hz, num_channels, max_block_samples);
        // Size the dry delay for the longest lookahead so lookahead changes never allocate.
        let mut longest = self.limiter.clone();
        longest.set_settings(&LimiterSettings {
            lookahead_ms: crate::dsp::limiter::MAX_LOOKAHEAD_MS,
            ..self.settings.limiter()
        });
        self.bypass.configure(
            sample_rate_hz,
            num_channels,
            max_block_samples,
            (longest.latency_samples() + self.resonance.max_latency_samples()) as usize,
        );
        let settings = self.settings;
        self.apply_settings(&settings);
        self.reset();
    }

    /// Sample rate the chain is configured for, Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// Clears all audio state and jumps every smoothed value to its target. Allocation-free.
    pub fn reset(&mut self) {
        self.drive.reset();
        self.eq.reset();
        self.resonance.reset();
        self.multiband.reset();
        self.stereo.reset();
        self.limiter.reset();
        self.output.reset();
        self.bypass.reset();
        self.pristine = true;
    }

    /// Sets new targets. Gains ramp to them without clicks; allocation-free. Before any sound
    /// has reached the chain since the last reset, they are jumped to instead: nothing could
    /// click yet, and a host that sets the parameters after activating the plugin then plays
    /// the music as a fresh render at those settings does.
    pub fn set_settings(&mut self, settings: &ChainSettings) {
        if *settings != self.settings {
            self.apply_settings(settings);
            if self.pristine {
                self.reset();
            }
        }
    }

    fn apply_settings(&mut self, settings: &ChainSettings) {
        self.settings = *settings;
        self.drive.set_target_db(settings.drive_db);
        let stages = settings.effective_stages();
        self.eq.set_settings(&stages.eq);
        self.resonance.set_settings(&settings.resonance);
        self.multiband.set_settings(&stages.multiband);
        self.stereo.set_settings(&stages.stereo);
        self.limiter.set_settings(&settings.limiter());
        self.output.set_target_db(settings.output_db);
        self.bypass.set_bypassed(settings.bypass);
        self.bypass.set_match_loudness(settings.match_loudness);
        self.bypass.set_compare(settings.compare);
        self.bypass.set_ceiling_dbtp(settings.ceiling_dbtp);
        self.bypass
            .set_latency_samples(self.latency_samples() as usize);
    }

    /// Sets new targets and jumps straight to them (for a fresh render or after `reset`).
    pub fn set_settings_immediately(&mut self, settings: &ChainSettings) {
        self.set_settings(settings);
        self.reset();
    }

    /// The settings last given.
    pub fn settings(&self) -> &ChainSettings {
        &self.settings
    }

    /// Total delay of the chain, in samples at the configured rate: the limiter's lookahead
    /// and detector delay, plus one frame of the resonance stage while it is in (every other
    /// stage is zero-latency).
    pub fn latency_samples(&self) -> u32 {
        self.limiter.latency_samples() + self.resonance.latency_samples()
    }

    /// The resonance stage's current reduction, mid then side, each as the centre frequencies
    /// (Hz) and reductions (dB, >= 0) of its detection bands; `None` while the stage is out.
    /// Allocation-free (borrowed slices): the plugin publishes it to the editor every block.
    pub fn resonance_reduction_db(&self) -> Option<[(&[f32], &[f32]); 2]> {
        if !self.resonance.settings().is_active() {
            return None;
        }
        Some([
            self.resonance.mid_reduction_db(),
            self.resonance.side_reduction_db(),
        ])
    }

    /// The loudness-matching gain (Match Loudness) before Compare's ceiling cap, dB; 0 with it
    /// off.
    pub fn match_gain_db(&self) -> f32 {
        self.bypass.match_gain_db()
    }

    /// The gain Compare's dry signal gets, dB: the matching gain, lowered when the matched dry
    /// signal would pass the ceiling. The host bypass never scales the dry signal.
    pub fn compare_gain_db(&self) -> f32 {
        self.bypass.compare_gain_db()
    }

    /// How far under the matched loudness Compare plays because the matched dry signal would
    /// pass the ceiling, dB (0 when it does not).
    pub fn compare_shortfall_db(&self) -> f32 {
        self.bypass.compare_shortfall_db()
    }

    /// Running short-term loudness of the dry and the processed signal, LUFS (`None` when
    /// silent), as Match Loudness measures them.
    pub fn short_term_lufs(&self) -> (Option<f32>, Option<f32>) {
        let m = self.bypass.matcher();
        (m.dry_lufs(), m.processed_lufs())
    }

    /// Limiter gain reduction on the last sample, dB (>= 0).
    pub fn gain_reduction_db(&self) -> f32 {
        self.limiter.gain_reduction_db()
    }

    /// Largest limiter gain reduction since the previous call, dB; clears it.
    pub fn take_peak_gain_reduction_db(&mut self) -> f32 {
        self.limiter.take_peak_gain_reduction_db()
    }

    /// Turns the limiter's per-sample gain-reduction statistics on or off (offline renders).
    pub fn set_collect_gain_reduction_stats(&mut self, collect: bool) {
        self.limiter.set_collect_stats(collect);
    }

    /// Limiter gain-reduction statistics since the previous call (needs
    /// [`Self::set_collect_gain_reduction_stats`]); clears them.
    pub fn take_gain_reduction_stats(&mut self) -> GainReductionStats {
        self.limiter.take_stats()
    }

    /// Largest gain reduction per multiband band (low, mid, high) since the previous call,
    /// dB; clears it.
    pub fn take_peak_band_gain_reduction_db(&mut self) -> [f32; 3] {
        self.multiband.take_peak_gain_reduction_db()
    }

    /// Processes one block in place. Every channel must have the same length. Never allocates,
    /// locks or panics; the output is always finite.
    ///
    /// Digital silence before the first sound since the last reset is passed over: written
    /// out as the zeros a fresh chain makes of it, without running the stages. So the output
    /// does not depend on how much silence came first: some stages work on a grid of absolute
    /// sample positions (the limiter's bass tracker runs on every 8th sample counted from its
    /// reset), and a host runs silence through the plugin before the music (Ardour 7's export
    /// pre-roll: 1 sample more than a multiple of 8 moved its output by up to 0.0165 from the
    /// CLI's render of the same file). Silent leading samples of a file are passed over the
    /// same way, so the plugin and the CLI agree whatever silence either saw first.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let num_samples = channels.first().map_or(0, |c| c.len());
        let block = self.max_block_samples.max(1);
        let mut start = if self.pristine {
            self.pass_over_silence(channels)
        } else {
            0
        };
        while start < num_samples {
            let end = (start + block).min(num_samples);
            match channels {
                [mono] => self.process_block(&mut [&mut mono[start..end]]),
                [l, r] => self.process_block(&mut [&mut l[start..end], &mut r[start..end]]),
                _ => {}
            }
            start = end;
        }
    }

    /// While the chain is pristine: the number of leading samples that are silent in every
    /// channel once sanitized (zero, subnormal or non-finite), set to 0.0; the chain stops being
    /// pristine at the first other sample.
    fn pass_over_silence(&mut self, channels: &mut [&mut [f32]]) -> usize {
        let num_samples = channels.first().map_or(0, |c| c.len());
        let mut silent = num_samples;
        for ch in channels.iter_mut() {
            let len = silent.min(ch.len());
            let ch = &mut ch[..len];
            sanitize(ch);
            silent = ch.iter().position(|&s| s != 0.0).unwrap_or(ch.len());
        }
        for ch in channels.iter_mut() {
            ch[..silent].fill(0.0);
        }
        if silent < num_samples {
            self.pristine = false;
        }
        silent
    }

    /// One block of at most `max_block_samples`.
    fn process_block(&mut self, channels: &mut [&mut [f32]]) {
        for ch in channels.iter_mut() {
            sanitize(ch);
        }
        self.bypass.capture_dry(channels);
        self.drive.process(channels);
        self.eq.process(channels);
        self.resonance.process(channels);
        self.multiband.process(channels);
        self.stereo.process(channels);
        self.limiter.process(channels);
        self.output.process(channels);
        self.bypass.mix(channels);
    }

    /// Convenience for offline use: processes whole planar buffers in blocks of the configured
    /// maximum size, exactly as a host would.
    pub fn process_buffers(&mut self, channels: &mut [Vec<f32>]) {
        match channels {
            [mono] => self.process(&mut [mono.as_mut_slice()]),
            [l, r] => self.process(&mut [l.as_mut_slice(), r.as_mut_slice()]),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutral_chain_is_identity() {
        let mut chain = MasteringChain::new();
        chain.configure(44_100.0, 2, 256);
        let input: Vec<f32> = (0..2000).map(|i| 0.1 * (i as f32 * 0.05).sin()).collect();
        let mut bufs = vec![input.clone(), input.clone()];
        chain.process_buffers(&mut bufs);
        let d = chain.latency_samples() as usize;
        assert!(d > 0, "the limiter's lookahead must show as latency");
        for ch in &bufs {
            assert!(ch[..d].iter().all(|&s| s == 0.0));
            assert_eq!(&ch[d..], &input[..input.len() - d]);
        }
    }

    #[test]
    fn drive_and_output_add_in_db() {
        let mut chain = MasteringChain::new();
        chain.configure(48_000.0, 1, 512);
        chain.set_settings_immediately(&ChainSettings {
            drive_db: 6.0,
            output_db: -12.0,
            ..Default::default()
        });
        let mut bufs = vec![vec![0.25f32; 1000]];
        chain.process_buffers(&mut bufs);
        let expected = 0.25 * 10f32.powf(-6.0 / 20.0);
        let d = chain.latency_samples() as usize;
        assert!(bufs[0][d..].iter().all(|&s| (s - expected).abs() < 1e-6));
    }

    #[test]
    fn bypass_gives_the_input_back() {
        let mut chain = MasteringChain::new();
        chain.configure(48_000.0, 2, 128);
        chain.set_settings_immediately(&ChainSettings {
            drive_db: 12.0,
            bypass: true,
            match_loudness: false,
            ..Default::default()
        });
        let input: Vec<f32> = (0..3000).map(|i| 0.1 * (i as f32 * 0.031).sin()).collect();
        let mut bufs = vec![input.clone(), input.clone()];
        chain.process_buffers(&mut bufs);
        let delay = chain.latency_samples() as usize;
        assert_eq!(&bufs[0][delay..], &input[..input.len() - delay]);
    }

    #[test]
    fn non_finite_input_gives_finite_output() {
        let mut chain = MasteringChain::new();
        let mut bufs = vec![vec![f32::NAN, f32::INFINITY, 1.0e30, -1.0e30, 0.5]; 2];
        chain.process_buffers(&mut bufs);
        assert!(bufs.iter().flatten().all(|s| s.is_finite()));
    }
}
