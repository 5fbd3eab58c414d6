//! Resonance control: reduces narrow, time-varying excess that a static EQ cannot fix without
//! dulling the whole song (a ringing room mode, a harsh partial, the 5-7 kHz shimmer of
//! generated songs, a boomy note), and nothing else.
//!
//! A short-time Fourier transform (weighted overlap-add): frames of [`frame_len`] samples
//! (about 43 ms; about 11 ms in the low-latency mode), a new frame every half frame, the
//! square root of a periodic Hann window on analysis and again on synthesis (their product
//! sums to 1 across frames half a frame apart). The reduction is smoothed over several frames,
//! so the gains change little from one frame to the next and half-frame overlap is enough;
//! it halves the work of a quarter-frame hop. Each frame's spectrum goes through the
//! [`detector`], which measures how far each narrow band sticks out over its neighbours and
//! turns the excess beyond a threshold into a bounded reduction, smoothed across frequency and
//! time; the frame is resynthesised with those gains. Mid and side are measured and reduced
//! separately (`M = (L + R) / 2`, `S = (L - R) / 2`), so a resonance of the centre does not
//! touch the sides.
//!
//! Latency: exactly [`Resonance::latency_samples`] = one frame while the stage is in (the
//! amount above 0), none while it is out; with unity gains the output is the input delayed by
//! one frame (within float rounding). At 0 % the stage is out of the signal path, so a fresh
//! instance adds neither latency nor processing. Delta listens to what it removes: the input
//! minus the output, delayed alike.
//!
//! The approach (a spectral gate against a smoothed local baseline, mid/side apart) is that of
//! the dynamic resonance suppressors mastering engineers use; the numbers here are the
//! project's own, tuned on its corpus (docs/eval.md, "Resonance").

pub mod detector;

use detector::Detector;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Frame duration of the full-resolution mode, seconds (2048 samples at 48 kHz).
pub const FRAME_SECONDS: f32 = 2048.0 / 48_000.0;
/// Frame duration of the low-latency mode, seconds (512 samples at 48 kHz).
pub const LOW_LATENCY_FRAME_SECONDS: f32 = 512.0 / 48_000.0;
/// Frames overlap by this factor (a new frame every `1 / OVERLAP` of a frame).
pub const OVERLAP: usize = 2;
/// Default deepest reduction, dB.
pub const DEFAULT_DEPTH_DB: f32 = 6.0;
/// Default focus range, Hz.
pub const DEFAULT_FOCUS_HZ: (f32, f32) = (100.0, 16_000.0);
/// Default release time of the reduction, ms (the detector's level follows at half of it).
pub const DEFAULT_SPEED_MS: f32 = 150.0;

/// Settings of the resonance stage in display units. The default is out (0 %).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResonanceSettings {
    /// How strongly excess is reduced, percent; 0 takes the stage out.
    pub amount_pct: f32,
    /// Deepest reduction of any band, dB.
    pub depth_db: f32,
    /// Lower edge of the focus range, Hz (a half-octave fade below it).
    pub low_hz: f32,
    /// Upper edge of the focus range, Hz (a half-octave fade above it).
    pub high_hz: f32,
    /// Release time of the reduction, ms; the detector's level follows at half of it.
    pub speed_ms: f32,
    /// Output only what the stage removes.
    pub delta: bool,
    /// Quarter-length frames: a quarter of the latency, coarser frequency resolution.
    pub low_latency: bool,
}

impl Default for ResonanceSettings {
    fn default() -> Self {
        Self {
            amount_pct: 0.0,
            depth_db: DEFAULT_DEPTH_DB,
            low_hz: DEFAULT_FOCUS_HZ.0,
            high_hz: DEFAULT_FOCUS_HZ.1,
            speed_ms: DEFAULT_SPEED_MS,
            delta: false,
            low_latency: false,
        }
    }
}

impl ResonanceSettings {
    /// The stage is in the signal path (and adds its latency).
    pub fn is_active(&self) -> bool {
        self.amount_pct.is_finite() && self.amount_pct > 0.0
    }
}

/// Frame length at a sample rate: the power of two nearest to the mode's frame duration.
pub fn frame_len(sample_rate_hz: f32, low_latency: bool) -> usize {
    let seconds = if low_latency {
        LOW_LATENCY_FRAME_SECONDS
    } else {
        FRAME_SECONDS
    };
    let samples = (seconds * sample_rate_hz).max(64.0);
    let exp = samples.log2().round() as u32;
    1usize << exp.clamp(6, 16)
}

/// One mid or side signal's overlap-add state.
#[derive(Debug, Clone, Default)]
struct Lane {
    /// The last frame of input samples.
    input: Vec<f32>,
    /// Overlap-add accumulator, one frame long.
    acc: Vec<f32>,
    /// The hop of finished output samples being played out.
    ready: Vec<f32>,
}

impl Lane {
    fn configure(&mut self, len: usize, hop: usize) {
        self.input = vec![0.0; len];
        self.acc = vec![0.0; len];
        self.ready = vec![0.0; hop];
    }

    fn reset(&mut self) {
        self.input.fill(0.0);
        self.acc.fill(0.0);
        self.ready.fill(0.0);
    }
}

/// The FFT and the buffers of one frame length.
#[derive(Clone)]
struct Engine {
    len: usize,
    hop: usize,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    window: Vec<f32>,
    /// Synthesis window times the overlap-add normalisation and 1/len.
    synthesis: Vec<f32>,
    frame: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    power: Vec<f32>,
    gain: Vec<f32>,
    lanes: [Lane; 2],
    detectors: [Detector; 2],
}

impl Engine {
    fn new(sample_rate_hz: f32, len: usize) -> Self {
        let hop = len / OVERLAP;
        let mut planner = RealFftPlanner::<f32>::new();
        let forward = planner.plan_fft_forward(len);
        let inverse = planner.plan_fft_inverse(len);
        // The square root of a periodic Hann window on analysis and again on synthesis: their
        // product, the Hann window, sums to exactly 1 at every sample across frames half a
        // frame apart (the sum is computed and divided out all the same).
        let window: Vec<f32> = (0..len)
            .map(|n| {
                let x = std::f32::consts::TAU * n as f32 / len as f32;
                (0.5 - 0.5 * x.cos()).sqrt()
            })
            .collect();
        let overlap_sum: f32 = (0..OVERLAP).map(|m| window[m * hop].powi(2)).sum();
        let synthesis = window
            .iter()
            .map(|w| w / (overlap_sum * len as f32))
            .collect();
        let scratch_len = forward
            .get_scratch_len()
            .max(inverse.get_scratch_len())
            .max(1);
        let num_bins = len / 2 + 1;
        let mut detectors: [Detector; 2] = Default::default();
        for d in &mut detectors {
            d.configure(sample_rate_hz, len);
            d.set_frame_rate(sample_rate_hz / hop as f32);
        }
        let mut lanes: [Lane; 2] = Default::default();
        for lane in &mut lanes {
            lane.configure(len, hop);
        }
        Self {
            len,
            hop,
            frame: forward.make_input_vec(),
            spectrum: forward.make_output_vec(),
            scratch: vec![Complex::default(); scratch_len],
            forward,
            inverse,
            window,
            synthesis,
            power: vec![0.0; num_bins],
            gain: vec![1.0; num_bins],
            lanes,
            detectors,
        }
    }

    fn reset(&mut self) {
        for lane in &mut self.lanes {
            lane.reset();
        }
        for d in &mut self.detectors {
            d.reset();
        }
    }

    /// One frame of lane `k`: analyse, reduce, resynthesise, move the hop out.
    fn run_frame(&mut self, k: usize, settings: &ResonanceSettings) {
        let lane = &mut self.lanes[k];
        for ((f, x), w) in self.frame.iter_mut().zip(&lane.input).zip(&self.window) {
            *f = x * w;
        }
        let _ = self.forward.process_with_scratch(
            &mut self.frame,
            &mut self.spectrum,
            &mut self.scratch,
        );
        for (p, c) in self.power.iter_mut().zip(&self.spectrum) {
            *p = c.norm_sqr();
        }
        self.detectors[k].run(&self.power, &mut self.gain, settings);
        if settings.delta {
            for (c, g) in self.spectrum.iter_mut().zip(&self.gain) {
                *c *= 1.0 - g;
            }
        } else {
            for (c, g) in self.spectrum.iter_mut().zip(&self.gain) {
                *c *= *g;
            }
        }
        // The DC and Nyquist bins of a real signal's spectrum are real.
        if let Some(c) = self.spectrum.first_mut() {
            c.im = 0.0;
        }
        if let Some(c) = self.spectrum.last_mut() {
            c.im = 0.0;
        }
        let _ = self.inverse.process_with_scratch(
            &mut self.spectrum,
            &mut self.frame,
            &mut self.scratch,
        );
        for ((a, y), w) in lane.acc.iter_mut().zip(&self.frame).zip(&self.synthesis) {
            *a += y * w;
        }
        let hop = self.hop;
        lane.ready.copy_from_slice(&lane.acc[..hop]);
        lane.acc.copy_within(hop.., 0);
        let len = lane.acc.len();
        lane.acc[len - hop..].fill(0.0);
        lane.input.copy_within(hop.., 0);
    }
}

/// The resonance stage. Planar channels (1 or 2) in place.
pub struct Resonance {
    sample_rate_hz: f32,
    settings: ResonanceSettings,
    full: Engine,
    low: Engine,
    /// Samples of the current hop taken in so far.
    fill: usize,
}

impl Default for Resonance {
    fn default() -> Self {
        Self::new()
    }
}

impl Resonance {
    /// A stage at 48 kHz; call [`Self::configure`] before processing.
    pub fn new() -> Self {
        let mut stage = Self {
            sample_rate_hz: 0.0,
            settings: ResonanceSettings::default(),
            full: Engine::new(48_000.0, frame_len(48_000.0, false)),
            low: Engine::new(48_000.0, frame_len(48_000.0, true)),
            fill: 0,
        };
        stage.sample_rate_hz = 48_000.0;
        stage
    }

    /// Prepares both modes' frames for a sample rate. Allocates.
    pub fn configure(&mut self, sample_rate_hz: f32) {
        if sample_rate_hz != self.sample_rate_hz {
            self.sample_rate_hz = sample_rate_hz;
            self.full = Engine::new(sample_rate_hz, frame_len(sample_rate_hz, false));
            self.low = Engine::new(sample_rate_hz, frame_len(sample_rate_hz, true));
        }
        self.reset();
    }

    /// Clears all audio state. Allocation-free.
    pub fn reset(&mut self) {
        self.full.reset();
        self.low.reset();
        self.fill = 0;
    }

    /// Sets new settings. A change of mode (or in or out) restarts the frames: the host is
    /// asked to restart anyway, as the latency changes.
    pub fn set_settings(&mut self, settings: &ResonanceSettings) {
        let before = (self.settings.is_active(), self.settings.low_latency);
        self.settings = *settings;
        if (settings.is_active(), settings.low_latency) != before {
            self.reset();
        }
    }

    /// The settings last given.
    pub fn settings(&self) -> &ResonanceSettings {
        &self.settings
    }

    /// Delay the stage adds, samples: one frame while active, 0 while out.
    pub fn latency_samples(&self) -> u32 {
        if self.settings.is_active() {
            self.engine().len as u32
        } else {
            0
        }
    }

    /// The longest latency any setting gives at the configured rate, samples.
    pub fn max_latency_samples(&self) -> u32 {
        self.full.len as u32
    }

    fn engine(&self) -> &Engine {
        if self.settings.low_latency {
            &self.low
        } else {
            &self.full
        }
    }

    /// Centre frequencies (Hz) and current reductions (dB) of the mid's detection bands.
    pub fn mid_reduction_db(&self) -> (&[f32], &[f32]) {
        let d = &self.engine().detectors[0];
        (d.centre_hz(), d.reduction_db())
    }

    /// Centre frequencies (Hz) and current reductions (dB) of the side's detection bands.
    pub fn side_reduction_db(&self) -> (&[f32], &[f32]) {
        let d = &self.engine().detectors[1];
        (d.centre_hz(), d.reduction_db())
    }

    /// Starts (clearing) or stops the per-band reduction statistics of the current mode's mid
    /// and side detectors. Allocates when turned on: for offline analysis and evaluation.
    pub fn set_collect_stats(&mut self, collect: bool) {
        let engine = if self.settings.low_latency {
            &mut self.low
        } else {
            &mut self.full
        };
        for d in &mut engine.detectors {
            d.set_collect_stats(collect);
        }
    }

    /// Reduction statistics per detection band since collecting began: mid, then side.
    pub fn stats(&self) -> [Vec<detector::BandStats>; 2] {
        let d = &self.engine().detectors;
        [d[0].stats(), d[1].stats()]
    }

    /// Processes one block in place (mono, or stereo as mid and side). Never allocates.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        if !self.settings.is_active() {
            return;
        }
        match channels {
            [mono] => self.run(mono, None),
            [l, r] => self.run(l, Some(r)),
            _ => {}
        }
    }

    fn run(&mut self, left: &mut [f32], mut right: Option<&mut &mut [f32]>) {
        let settings = self.settings;
        let engine = if settings.low_latency {
            &mut self.low
        } else {
            &mut self.full
        };
        let (len, hop) = (engine.len, engine.hop);
        let num_samples = match &right {
            Some(r) => left.len().min(r.len()),
            None => left.len(),
        };
        let mut start = 0;
        while start < num_samples {
            let take = (hop - self.fill).min(num_samples - start);
            let base = len - hop + self.fill;
            let [mid, side] = &mut engine.lanes;
            let (Some(l), Some(mid_in), Some(side_in), Some(mid_out), Some(side_out)) = (
                left.get_mut(start..start + take),
                mid.input.get_mut(base..base + take),
                side.input.get_mut(base..base + take),
                mid.ready.get(self.fill..self.fill + take),
                side.ready.get(self.fill..self.fill + take),
            ) else {
                return;
            };
            match right.as_mut().and_then(|r| r.get_mut(start..start + take)) {
                Some(r) => {
                    for i in 0..take.min(l.len()).min(r.len()) {
                        let (x_l, x_r) = (l[i], r[i]);
                        mid_in[i] = 0.5 * (x_l + x_r);
                        side_in[i] = 0.5 * (x_l - x_r);
                        l[i] = mid_out[i] + side_out[i];
                        r[i] = mid_out[i] - side_out[i];
                    }
                }
                None => {
                    mid_in.copy_from_slice(l);
                    l.copy_from_slice(mid_out);
                }
            }
            self.fill += take;
            start += take;
            if self.fill == hop {
                self.fill = 0;
                engine.run_frame(0, &settings);
                if right.is_some() {
                    engine.run_frame(1, &settings);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
