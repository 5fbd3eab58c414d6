//! Stereo image: mid/side width per band (the same three Linkwitz-Riley bands as the
//! multiband dynamics, see [`super::crossover`]) and a phase-coherent bass mono.
//!
//! Mid `M = (L + R) / 2`, side `S = (L - R) / 2`, and back `L = M + S`, `R = M - S` (the
//! usual sum/difference matrix). Only the side is split and weighted:
//!
//! ```text
//! S' = sum over bands of width_b * band_b( HP8_c(S) )
//! M' = AP2_f1( AP2_f2( AP4_c(M) ) )
//! ```
//!
//! Bass mono at frequency `f` means: below `f` the side is at least 40 dB down. `HP8_c` is
//! an 8th-order Linkwitz-Riley high-pass (Butterworth-4 squared, 48 dB/oct) with its corner
//! `c` (its -6.02 dB point) at [`BASS_MONO_CORNER_RATIO`] `* f` = `1.8 f`, so at `f` it is
//! `1 / (1 + 1.8^8)` = -40.9 dB, and lower frequencies fall a further 48 dB per octave; at
//! `4 f` it is -0.015 dB. `AP4_c` is the 4th-order all-pass with the same poles
//! (`LP8 + HP8`), and `HP8` is exactly in phase with it at every frequency (see
//! [`Lr8Coefs`]); the split's bands sum to `AP2_f1 AP2_f2`. The mid therefore gets exactly
//! the phase the side gets, and above the bass-mono frequency the image is unchanged apart
//! from the width: a source panned hard left stays hard left. Bass mono "off" parks the side
//! high-pass corner at [`BASS_MONO_PARK_HZ`], below audio, rather than removing it, so
//! switching it on and off just glides a frequency. With every width at 100 % and bass mono
//! off the split is switched out through a 10 ms crossfade and the stage passes audio bit for
//! bit. Mono input passes unchanged.

#[cfg(target_arch = "x86_64")]
mod avx_pipeline;
mod bass_mono;

pub use bass_mono::Lr8Coefs;
use bass_mono::SmoothedLr8;

use super::biquad::{LaneState, ParamRamp, UPDATE_INTERVAL_SAMPLES};
use super::crossover::{
    DEFAULT_LOW_MID_HZ, DEFAULT_MID_HIGH_HZ, NUM_BANDS, SmoothedCrossover, SplitFade,
};
use super::simd::Simd;
use serde::{Deserialize, Serialize};

/// Width range, percent of the original side level (0 = mono, 100 = unchanged).
pub const WIDTH_RANGE_PCT: (f32, f32) = (0.0, 200.0);
/// Bass-mono frequency range, Hz.
pub const BASS_MONO_RANGE_HZ: (f32, f32) = (40.0, 300.0);
/// Corner of the side high-pass (its -6.02 dB point) over the bass-mono frequency. The
/// LR8 magnitude is `w^8 / (1 + w^8)` (`w` = frequency over corner), so at the bass-mono
/// frequency the side is `1 / (1 + 1.8^8)` = -40.9 dB: the smallest round ratio giving at
/// least 40 dB there.
pub const BASS_MONO_CORNER_RATIO: f32 = 1.8;
/// Where the side high-pass corner rests while bass mono is off, Hz (below the audio band:
/// -0.034 dB at 20 Hz).
pub const BASS_MONO_PARK_HZ: f32 = 10.0;
/// Time a width takes to reach a new value, ms (linear, per sample).
pub const WIDTH_RAMP_MS: f32 = 20.0;

/// Settings of the stereo-image stage, in display units. The default is neutral.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StereoSettings {
    /// Low/mid crossover, Hz (normally the multiband dynamics' one).
    pub low_mid_hz: f32,
    /// Mid/high crossover, Hz (normally the multiband dynamics' one).
    pub mid_high_hz: f32,
    /// Side level of each band (low, mid, high), percent: 0 mono, 100 unchanged, 200 twice.
    pub band_width_pct: [f32; NUM_BANDS],
    /// Remove the side below [`Self::bass_mono_hz`].
    pub bass_mono_on: bool,
    /// Bass-mono frequency, Hz: at and below it the side is at least 40 dB down (-40.9 dB
    /// here, 48 dB/oct lower still); the LR8 side high-pass has its corner
    /// [`BASS_MONO_CORNER_RATIO`] times higher and leaves the side within 0.02 dB from
    /// 4 times higher up (-0.015 dB at `4 f`).
    pub bass_mono_hz: f32,
}

impl Default for StereoSettings {
    fn default() -> Self {
        Self {
            low_mid_hz: DEFAULT_LOW_MID_HZ,
            mid_high_hz: DEFAULT_MID_HIGH_HZ,
            band_width_pct: [100.0; NUM_BANDS],
            bass_mono_on: false,
            bass_mono_hz: 120.0,
        }
    }
}

impl StereoSettings {
    /// Width of band `b` as a side gain (1 = unchanged), clamped, NaN-safe.
    fn width_gain(&self, band: usize) -> f64 {
        let pct = self.band_width_pct.get(band).copied().unwrap_or(100.0);
        let pct = if pct.is_finite() { pct } else { 100.0 };
        f64::from(pct.clamp(WIDTH_RANGE_PCT.0, WIDTH_RANGE_PCT.1) / 100.0)
    }

    /// Where the side high-pass corner should sit, Hz: [`BASS_MONO_CORNER_RATIO`] times the
    /// (clamped) bass-mono frequency, or [`BASS_MONO_PARK_HZ`] while bass mono is off.
    pub fn side_high_pass_corner_hz(&self) -> f32 {
        if !self.bass_mono_on {
            return BASS_MONO_PARK_HZ;
        }
        let f = if self.bass_mono_hz.is_finite() {
            self.bass_mono_hz
        } else {
            120.0
        };
        BASS_MONO_CORNER_RATIO * f.clamp(BASS_MONO_RANGE_HZ.0, BASS_MONO_RANGE_HZ.1)
    }

    /// True when the stage cannot change the signal (every width 100 %, bass mono off).
    pub fn is_neutral(&self) -> bool {
        !self.bass_mono_on && (0..NUM_BANDS).all(|b| self.width_gain(b) == 1.0)
    }
}

/// Lane-pair filter memories of one [`StereoImage`] (see [`StereoImage::span`]).
const NUM_FILTERS: usize = 9;

/// The stereo-image stage (planar stereo in place; mono passes; zero latency).
#[derive(Debug, Clone)]
pub struct StereoImage {
    sample_rate_hz: f32,
    settings: StereoSettings,
    crossover: SmoothedCrossover,
    bass_mono: SmoothedLr8,
    /// Filter memories, as lane pairs run together (see [`StereoImage::span`]).
    filters: [LaneState; NUM_FILTERS],
    widths: [ParamRamp; NUM_BANDS],
    width_ramp_samples: u32,
    fade: SplitFade,
    clock: usize,
    /// Instruction set (see [`super::simd`]): with AVX, runs where nothing moves go through
    /// the skewed pipeline.
    simd: Simd,
}

impl Default for StereoImage {
    fn default() -> Self {
        Self::new()
    }
}

impl StereoImage {
    /// A neutral stage at 48 kHz.
    pub fn new() -> Self {
        let mut stage = Self {
            sample_rate_hz: 48_000.0,
            settings: StereoSettings::default(),
            crossover: SmoothedCrossover::new(48_000.0),
            bass_mono: SmoothedLr8::new(BASS_MONO_PARK_HZ, 48_000.0),
            filters: [LaneState::default(); NUM_FILTERS],
            widths: [ParamRamp::new(1.0); NUM_BANDS],
            width_ramp_samples: 1,
            fade: SplitFade::default(),
            clock: 0,
            simd: Simd::detected(),
        };
        stage.configure(48_000.0, 2, 0);
        stage
    }

    /// Prepares for a sample rate. All state lives in fixed fields: nothing is allocated
    /// and any block length is accepted.
    pub fn configure(
        &mut self,
        sample_rate_hz: f32,
        _num_channels: usize,
        _max_block_samples: usize,
    ) {
        self.sample_rate_hz = sample_rate_hz;
        self.width_ramp_samples = ((WIDTH_RAMP_MS * 0.001 * sample_rate_hz) as u32).max(1);
        self.fade.configure(sample_rate_hz);
        self.apply_settings();
        self.reset();
    }

    /// Clears the filters and jumps to the current settings.
    pub fn reset(&mut self) {
        self.crossover.finish(self.sample_rate_hz);
        self.bass_mono.finish(self.sample_rate_hz);
        for w in &mut self.widths {
            w.finish();
        }
        self.clear_filters();
        self.fade.set_wet(!self.settings.is_neutral());
        self.fade.reset();
        self.clock = 0;
    }

    fn clear_filters(&mut self) {
        self.filters = [LaneState::default(); NUM_FILTERS];
    }

    /// New settings: widths ramp over [`WIDTH_RAMP_MS`], frequencies glide. Allocation-free.
    pub fn set_settings(&mut self, settings: &StereoSettings) {
        if *settings == self.settings {
            return;
        }
        self.settings = *settings;
        self.apply_settings();
    }

    fn apply_settings(&mut self) {
        let s = self.settings;
        let sr = self.sample_rate_hz;
        self.crossover.set_targets(s.low_mid_hz, s.mid_high_hz, sr);
        self.bass_mono.set_target(s.side_high_pass_corner_hz(), sr);
        for (b, w) in self.widths.iter_mut().enumerate() {
            w.set_target(s.width_gain(b), self.width_ramp_samples);
        }
    }

    /// The settings last given.
    pub fn settings(&self) -> &StereoSettings {
        &self.settings
    }

    /// True when the split is switched out and the stage leaves audio untouched.
    pub fn is_transparent(&self) -> bool {
        self.fade.is_dry() && self.settings.is_neutral()
    }

    /// Update tick: glides, denormal flush, switching the split in and out.
    fn tick(&mut self) {
        let sr = self.sample_rate_hz;
        if self.fade.is_dry() {
            // Switched out: start from the targets when switching in.
            self.crossover.finish(sr);
            self.bass_mono.finish(sr);
        }
        self.crossover.tick(sr);
        self.bass_mono.tick(sr);
        self.filters.iter_mut().for_each(LaneState::flush_tiny);
        let at_rest = !self.bass_mono.is_moving()
            && self
                .widths
                .iter()
                .all(|w| !w.is_moving() && w.current() == 1.0);
        if !self.settings.is_neutral() {
            self.fade.set_wet(true);
        } else if at_rest {
            self.fade.set_wet(false);
        }
    }

    /// Processes a planar stereo pair in place (the first two channels; as long as the shorter).
    /// Mono (or empty) input is left untouched. Never allocates, locks or panics.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let [left, right, ..] = channels else {
            return;
        };
        let num_samples = left.len().min(right.len());
        if self.is_transparent() {
            self.clock = (self.clock + num_samples) % UPDATE_INTERVAL_SAMPLES;
            return;
        }
        if self.is_static() {
            // A tick would only flush tiny states, which the pipeline does itself.
            if let (Some(l), Some(r)) = (left.get_mut(..num_samples), right.get_mut(..num_samples))
                && self.filter_pipelined(l, r)
            {
                self.clock = (self.clock + num_samples) % UPDATE_INTERVAL_SAMPLES;
                return;
            }
        }
        self.process_spans(left, right, num_samples);
    }

    /// The general path: one update tick per [`UPDATE_INTERVAL_SAMPLES`], then a span.
    fn process_spans(&mut self, left: &mut [f32], right: &mut [f32], num_samples: usize) {
        let mut start = 0;
        while start < num_samples {
            if self.clock == 0 {
                self.tick();
            }
            let end = start + (UPDATE_INTERVAL_SAMPLES - self.clock).min(num_samples - start);
            if !self.fade.is_dry() {
                if let (Some(l), Some(r)) = (left.get_mut(start..end), right.get_mut(start..end)) {
                    self.span(l, r);
                }
                if self.fade.is_dry() {
                    self.clear_filters();
                }
            }
            self.clock = (self.clock + end - start) % UPDATE_INTERVAL_SAMPLES;
            start = end;
        }
    }

    /// True when nothing moves and the split stays fully in: no glide, no width ramp, no
    /// fade, and settings that keep the split switched in. Update ticks then only flush tiny
    /// state values, and any run of frames can go through [`Self::filter_pipelined`].
    fn is_static(&self) -> bool {
        self.fade.is_wet()
            && !self.settings.is_neutral()
            && !self.crossover.is_moving()
            && !self.bass_mono.is_moving()
            && !self.widths.iter().any(ParamRamp::is_moving)
    }

    /// Filtering while [`Self::is_static`], bit-identical to ticking and calling
    /// [`Self::span`] every [`UPDATE_INTERVAL_SAMPLES`] frames, but faster: the nine lane
    /// pairs run as a skewed pipeline in AVX registers (see `avx_pipeline`). Returns false,
    /// having done nothing, where AVX is missing.
    fn filter_pipelined(&mut self, left: &mut [f32], right: &mut [f32]) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx) = self.simd.avx() {
            let split = self.crossover.coefs();
            let bass = self.bass_mono.coefs();
            let [hp_0, hp_1] = bass.hp;
            let [ap_0, ap_1] = bass.ap;
            let (lp1, hp1) = (split.low_mid.lp, split.low_mid.hp);
            let (lp2, hp2) = (split.mid_high.lp, split.mid_high.hp);
            let ap2 = split.mid_high.ap;
            let net = avx_pipeline::Network {
                coefs: [
                    [hp_0, ap_0],
                    [hp_1, ap_1],
                    [hp_0, split.low_mid.ap],
                    [hp_1, ap2],
                    [lp1, hp1],
                    [lp1, hp1],
                    [lp2, hp2],
                    [lp2, hp2],
                    [ap2, ap2],
                ],
                widths: self.widths.map(|w| w.current()),
            };
            avx_pipeline::run(avx, &net, &mut self.filters, left, right, self.clock);
            return true;
        }
        let _ = (left, right);
        false
    }

    /// One span. The side and mid paths are run as lane pairs (see [`LaneState`]), nine
    /// pairs per frame (`HP/AP Qk` are the bass-mono sections, see [`Lr8Coefs`]):
    ///
    /// ```text
    /// [S, M]         -> [HP Q0, AP Q0] -> [HP Q1, AP Q1]
    ///                -> [HP Q0, AP(f1)] -> [HP Q1, AP(f2)]    -> [S1, M']
    /// [S1, S1]       -> [LP(f1), HP(f1)]  x2                   -> [low', rest]
    /// [rest, rest]   -> [LP(f2), HP(f2)]  x2                   -> [mid, high]
    /// [low', 0]      -> [AP(f2), AP(f2)]                       -> [low, -]
    /// ```
    fn span(&mut self, left: &mut [f32], right: &mut [f32]) {
        let split = *self.crossover.coefs();
        let bass = *self.bass_mono.coefs();
        let [hp_0, hp_1] = &bass.hp;
        let [ap_0, ap_1] = &bass.ap;
        let (lp1, hp1) = (&split.low_mid.lp, &split.low_mid.hp);
        let (lp2, hp2) = (&split.mid_high.lp, &split.mid_high.hp);
        let mut f = self.filters;
        let [
            bass_a,
            bass_b,
            bass_c,
            bass_d,
            split_1a,
            split_1b,
            split_2a,
            split_2b,
            all_pass_2,
        ] = &mut f;
        let fading = !self.fade.is_wet();
        let widths_moving = self.widths.iter().any(ParamRamp::is_moving);
        let widths = self.widths.map(|w| w.current());
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (xl, xr) = (f64::from(*l), f64::from(*r));
            let (mid, side) = (0.5 * (xl + xr), 0.5 * (xl - xr));
            let t = bass_a.process_pair([hp_0, ap_0], [side, mid]);
            let t = bass_b.process_pair([hp_1, ap_1], t);
            let t = bass_c.process_pair([hp_0, &split.low_mid.ap], t);
            let [side, mid] = bass_d.process_pair([hp_1, &split.mid_high.ap], t);
            let t = split_1a.process_pair([lp1, hp1], [side, side]);
            let [low, rest] = split_1b.process_pair([lp1, hp1], t);
            let t = split_2a.process_pair([lp2, hp2], [rest, rest]);
            let [band_mid, band_high] = split_2b.process_pair([lp2, hp2], t);
            let [band_low, _] = all_pass_2.process(&split.mid_high.ap, [low, 0.0]);
            let [w_low, w_mid, w_high] = if widths_moving {
                let [a, b, c] = &mut self.widths;
                [a.advance(), b.advance(), c.advance()]
            } else {
                widths
            };
            let new_side = w_low * band_low + w_mid * band_mid + w_high * band_high;
            let (wet_l, wet_r) = (mid + new_side, mid - new_side);
            if fading {
                let (w, d) = self.fade.next_weights();
                let (w, d) = (f64::from(w), f64::from(d));
                *l = (wet_l * w + xl * d) as f32;
                *r = (wet_r * w + xr * d) as f32;
            } else {
                *l = wet_l as f32;
                *r = wet_r as f32;
            }
        }
        self.filters = f;
    }
}

#[cfg(test)]
mod tests;
