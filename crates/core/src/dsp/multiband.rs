//! Multiband dynamics: the signal split into three Linkwitz-Riley bands (see
//! [`super::crossover`]), a stereo-linked compressor per band (see [`super::compressor`]), the
//! bands summed back. With every band neutral (ratio 1:1, no make-up) the split is switched out
//! through a 10 ms crossfade and the stage passes audio bit for bit.

use super::biquad::UPDATE_INTERVAL_SAMPLES;
use super::compressor::{BANK_SPAN, Compressor, CompressorSettings, process_bank_at};
use super::crossover::{
    CrossoverCoefs, CrossoverState, DEFAULT_LOW_MID_HZ, DEFAULT_MID_HIGH_HZ, NUM_BANDS,
    SmoothedCrossover, SplitFade, SplitLanes,
};
use super::simd::Simd;
use serde::{Deserialize, Serialize};

/// A band whose smoothed gain reduction is below this may be switched out, dB. 0.01 dB is
/// well under the smallest audible level change (about 0.1-0.2 dB).
const SWITCH_OUT_TOLERANCE_DB: f32 = 0.01;

/// Settings of the multiband dynamics, in display units. The default is neutral.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MultibandSettings {
    /// Low/mid crossover, Hz.
    pub low_mid_hz: f32,
    /// Mid/high crossover, Hz.
    pub mid_high_hz: f32,
    /// Compressor of each band: low, mid, high.
    pub bands: [CompressorSettings; NUM_BANDS],
}

impl Default for MultibandSettings {
    fn default() -> Self {
        Self {
            low_mid_hz: DEFAULT_LOW_MID_HZ,
            mid_high_hz: DEFAULT_MID_HIGH_HZ,
            bands: [CompressorSettings::default(); NUM_BANDS],
        }
    }
}

impl MultibandSettings {
    /// True when no band can change the signal (the split is then switched out).
    pub fn is_neutral(&self) -> bool {
        self.bands.iter().all(CompressorSettings::is_neutral)
    }
}

/// The multiband dynamics stage (planar, 1 or 2 channels, in place, zero latency).
#[derive(Debug, Clone)]
pub struct MultibandCompressor {
    sample_rate_hz: f32,
    settings: MultibandSettings,
    crossover: SmoothedCrossover,
    state: CrossoverState,
    compressors: [Compressor; NUM_BANDS],
    fade: SplitFade,
    /// Samples since the last update tick.
    clock: usize,
    /// Instruction set of the split and the compressor bank (see [`super::simd`]).
    simd: Simd,
}

impl Default for MultibandCompressor {
    fn default() -> Self {
        Self::new()
    }
}

impl MultibandCompressor {
    /// A neutral stage at 48 kHz.
    pub fn new() -> Self {
        let mut stage = Self {
            sample_rate_hz: 48_000.0,
            settings: MultibandSettings::default(),
            crossover: SmoothedCrossover::new(48_000.0),
            state: CrossoverState::default(),
            compressors: [Compressor::default(); NUM_BANDS],
            simd: Simd::detected(),
            fade: SplitFade::default(),
            clock: 0,
        };
        stage.configure(48_000.0, 2, 0);
        stage
    }

    /// Prepares for a sample rate. All state lives in fixed arrays (up to 2 channels): nothing
    /// is allocated and any block length is accepted.
    pub fn configure(
        &mut self,
        sample_rate_hz: f32,
        _num_channels: usize,
        _max_block_samples: usize,
    ) {
        self.sample_rate_hz = sample_rate_hz;
        self.fade.configure(sample_rate_hz);
        self.apply_settings();
        self.reset();
    }

    /// Clears the filters and detectors and jumps to the current settings.
    pub fn reset(&mut self) {
        self.crossover.finish(self.sample_rate_hz);
        self.state.reset();
        for c in &mut self.compressors {
            c.reset();
        }
        self.fade.set_wet(!self.settings.is_neutral());
        self.fade.reset();
        self.clock = 0;
    }

    /// New settings. Crossover frequencies glide, make-up gains ramp, the curve and time
    /// constants apply at once (the detector smooths them). Allocation-free.
    pub fn set_settings(&mut self, settings: &MultibandSettings) {
        if *settings == self.settings {
            return;
        }
        self.settings = *settings;
        self.apply_settings();
    }

    fn apply_settings(&mut self) {
        let s = self.settings;
        self.crossover
            .set_targets(s.low_mid_hz, s.mid_high_hz, self.sample_rate_hz);
        for (c, b) in self.compressors.iter_mut().zip(&s.bands) {
            c.set_settings(b, self.sample_rate_hz);
        }
    }

    /// The settings last given.
    pub fn settings(&self) -> &MultibandSettings {
        &self.settings
    }

    /// Present gain reduction of each band (low, mid, high), dB (>= 0).
    pub fn gain_reduction_db(&self) -> [f32; NUM_BANDS] {
        self.compressors.map(|c| c.gain_reduction_db())
    }

    /// Largest gain reduction of each band since the previous call, dB; clears the hold.
    pub fn take_peak_gain_reduction_db(&mut self) -> [f32; NUM_BANDS] {
        let mut peaks = [0.0; NUM_BANDS];
        for (p, c) in peaks.iter_mut().zip(&mut self.compressors) {
            *p = c.take_peak_gain_reduction_db();
        }
        peaks
    }

    /// True when the split is switched out and the stage leaves audio untouched.
    pub fn is_transparent(&self) -> bool {
        self.fade.is_dry() && self.settings.is_neutral()
    }

    /// Update tick (every [`UPDATE_INTERVAL_SAMPLES`] samples from `reset`): glides, denormal
    /// flush, switching the split in and out.
    fn tick(&mut self) {
        if self.fade.is_dry() {
            // Switched out: start from the targets when switching in.
            self.crossover.finish(self.sample_rate_hz);
        }
        self.crossover.tick(self.sample_rate_hz);
        self.state.flush_tiny();
        if !self.settings.is_neutral() {
            self.fade.set_wet(true);
        } else if self
            .compressors
            .iter()
            .all(|c| c.is_at_rest(SWITCH_OUT_TOLERANCE_DB))
        {
            self.fade.set_wet(false);
        }
    }

    /// Called when the fade has just reached fully dry: forget the split's memory so the
    /// next switch-in starts clean.
    fn clear_split(&mut self) {
        self.state.reset();
        for c in &mut self.compressors {
            c.reset();
        }
    }

    /// Processes planar channels in place (mono, or the first two as a linked stereo pair;
    /// all as long as the shortest). Never allocates, locks or panics.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let num_samples = channels.iter().map(|c| c.len()).min().unwrap_or(0);
        if self.is_transparent() {
            self.clock = (self.clock + num_samples) % UPDATE_INTERVAL_SAMPLES;
            return;
        }
        let mut start = 0;
        while start < num_samples {
            if self.clock == 0 {
                self.tick();
            }
            let end = start + (UPDATE_INTERVAL_SAMPLES - self.clock).min(num_samples - start);
            if self.fade.is_dry() {
                // Still (or again) switched out until the next tick.
            } else {
                match channels {
                    [mono] => {
                        if let Some(m) = mono.get_mut(start..end) {
                            self.span_mono(m);
                        }
                    }
                    [left, right, ..] => {
                        if let (Some(l), Some(r)) =
                            (left.get_mut(start..end), right.get_mut(start..end))
                        {
                            self.span_stereo(l, r);
                        }
                    }
                    [] => {}
                }
                if self.fade.is_dry() {
                    self.clear_split();
                }
            }
            self.clock = (self.clock + end - start) % UPDATE_INTERVAL_SAMPLES;
            start = end;
        }
    }

    fn span_mono(&mut self, samples: &mut [f32]) {
        let coefs = *self.crossover.coefs();
        let mut bands = [[[0.0f64; 2]; SPAN]; NUM_BANDS];
        split_into(self.simd, &mut self.state, &coefs, samples, &[], &mut bands);
        let mut levels = [[0.0f32; SPAN]; NUM_BANDS];
        for (level, band) in levels.iter_mut().zip(&bands) {
            for (p, [x, _]) in level.iter_mut().zip(band) {
                *p = x.abs() as f32;
            }
        }
        let gains = process_bank_at(self.simd, &mut self.compressors, &levels, samples.len());
        let [wet, _] = weighted_sum(&bands, &gains);
        if self.fade.is_wet() {
            write_wet(samples, &wet);
        } else {
            for (s, w) in samples.iter_mut().zip(&wet) {
                *s = mix_weighted(*w, f64::from(*s), self.fade.next_weights());
            }
        }
    }

    fn span_stereo(&mut self, left: &mut [f32], right: &mut [f32]) {
        let coefs = *self.crossover.coefs();
        let mut bands = [[[0.0f64; 2]; SPAN]; NUM_BANDS];
        split_into(self.simd, &mut self.state, &coefs, left, right, &mut bands);
        let mut levels = [[0.0f32; SPAN]; NUM_BANDS];
        for (level, band) in levels.iter_mut().zip(&bands) {
            for (p, [xl, xr]) in level.iter_mut().zip(band) {
                *p = xl.abs().max(xr.abs()) as f32;
            }
        }
        let num_frames = left.len().min(right.len());
        let gains = process_bank_at(self.simd, &mut self.compressors, &levels, num_frames);
        let [wet_l, wet_r] = weighted_sum(&bands, &gains);
        if self.fade.is_wet() {
            write_wet(left, &wet_l);
            write_wet(right, &wet_r);
        } else {
            for ((l, r), (wl, wr)) in left
                .iter_mut()
                .zip(right.iter_mut())
                .zip(wet_l.iter().zip(&wet_r))
            {
                let weights = self.fade.next_weights();
                *l = mix_weighted(*wl, f64::from(*l), weights);
                *r = mix_weighted(*wr, f64::from(*r), weights);
            }
        }
    }
}

/// Span length the split works in: at most one update interval.
pub(crate) const SPAN: usize = BANK_SPAN;
const _: () = assert!(SPAN >= UPDATE_INTERVAL_SAMPLES);

/// Splits up to [`SPAN`] frames into band-major buffers of `[left, right]` lanes. A missing
/// channel (mono: `right` empty) feeds zeros to its lane. With AVX (see [`Simd::vectorize`])
/// the crossover's four-lane filters take one instruction per operation; no FMA is enabled,
/// so the results match the portable build bit for bit.
#[inline(always)]
pub(crate) fn split_into(
    simd: Simd,
    state: &mut CrossoverState,
    coefs: &CrossoverCoefs,
    left: &[f32],
    right: &[f32],
    bands: &mut [[[f64; 2]; SPAN]; NUM_BANDS],
) {
    simd.vectorize(
        #[inline(always)]
        || split_kernel(state, coefs, left, right, bands),
    );
}

/// The body of [`split_into`].
#[inline(always)]
fn split_kernel(
    state: &mut CrossoverState,
    coefs: &CrossoverCoefs,
    left: &[f32],
    right: &[f32],
    bands: &mut [[[f64; 2]; SPAN]; NUM_BANDS],
) {
    let lanes = SplitLanes::new(coefs);
    let [low, mid, high] = bands;
    let mut right = right.iter();
    for (((x, lo), mi), hi) in left.iter().zip(low).zip(mid).zip(high) {
        let xr = right.next().copied().unwrap_or(0.0);
        [*lo, *mi, *hi] = state.split_lanes(&lanes, [f64::from(*x), f64::from(xr)]);
    }
}

/// `sum_b bands[b][i] * gains[b][i]` for every frame `i`, per lane.
#[inline(always)]
fn weighted_sum(
    bands: &[[[f64; 2]; SPAN]; NUM_BANDS],
    gains: &[[f32; SPAN]; NUM_BANDS],
) -> [[f64; SPAN]; 2] {
    let [mut out_l, mut out_r] = [[0.0f64; SPAN]; 2];
    for (band, gain) in bands.iter().zip(gains) {
        for (((l, r), [xl, xr]), g) in out_l.iter_mut().zip(out_r.iter_mut()).zip(band).zip(gain) {
            let g = f64::from(*g);
            *l += xl * g;
            *r += xr * g;
        }
    }
    [out_l, out_r]
}

/// Overwrites `samples` with the processed span.
#[inline(always)]
fn write_wet(samples: &mut [f32], wet: &[f64; SPAN]) {
    for (s, w) in samples.iter_mut().zip(wet) {
        *s = *w as f32;
    }
}

/// `wet * w + dry * d` for crossfade weights `(w, d)`.
#[inline(always)]
fn mix_weighted(wet: f64, dry: f64, (wet_weight, dry_weight): (f32, f32)) -> f32 {
    (wet * f64::from(wet_weight) + dry * f64::from(dry_weight)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glue() -> MultibandSettings {
        let band = CompressorSettings {
            threshold_db: -30.0,
            ratio: 3.0,
            knee_db: 6.0,
            attack_ms: 5.0,
            release_ms: 50.0,
            makeup_db: 0.0,
        };
        MultibandSettings {
            bands: [band; NUM_BANDS],
            ..Default::default()
        }
    }

    fn noise(len: usize, mut seed: u32) -> Vec<f32> {
        (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    #[test]
    fn neutral_stage_is_bit_transparent() {
        let mut mb = MultibandCompressor::new();
        let input = noise(5000, 7);
        let mut l = input.clone();
        let mut r = input.clone();
        mb.process(&mut [&mut l, &mut r]);
        assert_eq!(l, input);
        assert_eq!(r, input);
    }

    #[test]
    fn gain_reduction_is_reported_and_peak_hold_clears() {
        let mut mb = MultibandCompressor::new();
        mb.set_settings(&glue());
        mb.reset();
        let mut x = noise(48_000, 3);
        mb.process(&mut [&mut x]);
        let current = mb.gain_reduction_db();
        let peak = mb.take_peak_gain_reduction_db();
        for b in 0..NUM_BANDS {
            assert!(current[b] > 0.5, "band {b} compresses full-scale noise");
            assert!(peak[b] >= current[b]);
        }
        // After a read the hold restarts from the present reduction.
        assert_eq!(mb.take_peak_gain_reduction_db(), mb.gain_reduction_db());
    }

    #[test]
    fn switching_back_to_neutral_returns_to_bit_transparency() {
        let mut mb = MultibandCompressor::new();
        mb.set_settings(&glue());
        let mut x = noise(9600, 5);
        mb.process(&mut [&mut x]);
        assert!(!mb.is_transparent());
        mb.set_settings(&MultibandSettings::default());
        let mut quiet = vec![0.0f32; 96_000];
        mb.process(&mut [&mut quiet]);
        assert!(mb.is_transparent());
        let input = noise(2000, 9);
        let mut out = input.clone();
        mb.process(&mut [&mut out]);
        assert_eq!(out, input);
    }
    #[test]
    fn every_simd_level_matches_the_portable_stage_bit_for_bit_on_hostile_input() {
        use crate::dsp::simd::Simd;
        use crate::dsp::simd::hostile::{TOTAL, bits32, blocks, signal};
        let (l0, r0) = (signal(91, TOTAL), signal(92, TOTAL));
        let mut stage = MultibandCompressor::new();
        stage.set_settings(&glue());
        stage.reset();
        for stereo in [true, false] {
            let run = |simd: Simd| {
                let mut st = stage.clone();
                st.simd = simd;
                let (mut l, mut r) = (l0.clone(), r0.clone());
                for (k, range) in blocks(TOTAL, usize::MAX).into_iter().enumerate() {
                    if k == 9 {
                        // A settings change mid-run: glides, ramps and the fade move.
                        st.set_settings(&MultibandSettings {
                            low_mid_hz: 300.0,
                            ..glue()
                        });
                    }
                    if stereo {
                        st.process(&mut [&mut l[range.clone()], &mut r[range]]);
                    } else {
                        st.process(&mut [&mut l[range]]);
                    }
                }
                (bits32(&l), bits32(&r), format!("{:?}", st.compressors))
            };
            let reference = run(Simd::portable());
            assert_ne!(
                reference.0,
                bits32(&l0),
                "the stage must be doing something"
            );
            for simd in Simd::available() {
                assert!(reference == run(simd), "{simd:?}, stereo {stereo}");
            }
        }
    }
}
