//! Tonal EQ: high-pass, low shelf, five bells, high shelf and a tilt, all minimum-phase RBJ
//! biquads (see [`super::biquad`]), so every move reads as "-2.1 dB at 250 Hz".
//!
//! Changes never zipper: each band's frequency (in octaves), gain (in dB), Q (in octaves) and
//! high-pass engagement ramp linearly over [`EQ_RAMP_MS`], and the coefficients are redesigned
//! every [`UPDATE_INTERVAL_SAMPLES`] samples on a counter that runs from `reset`, so the output
//! is bit-identical for any block split. A band at 0 dB (a high-pass switched off) is skipped
//! entirely once its filter memory has died away, so a neutral EQ is bit-transparent.

use super::biquad::{
    BiquadCoefs, FLUSH_THRESHOLD, LaneCoefs, LaneState, ParamRamp, UPDATE_INTERVAL_SAMPLES,
    ramp_steps,
};

#[cfg(target_arch = "x86_64")]
mod avx_pipeline;
mod pipeline;
mod settings;

use super::simd::Simd;
use pipeline::{PIPE_LANES, Pipeline};
use settings::{BandKind, BandParams, KINDS};
pub use settings::{EqBand, EqSettings};

/// The EQ's pipeline kernels, public only for `benches/simd.rs` (the comparison of the
/// hand-written AVX kernel with a port to `pulp`); not part of the API.
#[doc(hidden)]
pub mod bench_kernels {
    pub use super::pipeline::{PIPE_LANES, Pipeline};

    /// Magnitude below which the pipeline flushes its state to zero on a tick.
    pub const FLUSH_THRESHOLD: f64 = super::FLUSH_THRESHOLD;
    use super::{Simd, ToneEq};

    /// A pipeline loaded with `eq`'s active bands, and their number (the depth).
    pub fn pipeline(eq: &ToneEq) -> (Pipeline, usize) {
        let mut pipe = Pipeline::default();
        let mut depth = 0;
        for band in eq.bands.iter().filter(|b| !b.idle) {
            pipe.load(depth, &band.lane_coefs, &band.state);
            depth += 1;
        }
        (pipe, depth)
    }

    /// The hand-written AVX register kernel; false (nothing done) where AVX is missing.
    pub fn run_registers(
        pipe: &mut Pipeline,
        left: &mut [f32],
        right: &mut [f32],
        depth: usize,
        clock: usize,
    ) -> bool {
        #[cfg(target_arch = "x86_64")]
        return Simd::detected().avx().is_some_and(|avx| {
            super::avx_pipeline::run_depth(avx, pipe, left, right, depth, clock)
        });
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (pipe, left, right, depth, clock);
            false
        }
    }

    /// The array kernel at `simd`'s level.
    pub fn run_array(
        simd: Simd,
        pipe: &mut Pipeline,
        left: &mut [f32],
        right: &mut [f32],
        depth: usize,
        clock: usize,
    ) {
        pipe.run(simd, left, right, depth, clock);
    }
}

/// Number of peaking bells.
pub const NUM_BELLS: usize = 5;
/// Most biquad sections the high-pass uses (48 dB/oct).
pub const MAX_HIGH_PASS_SECTIONS: usize = 4;
/// Lowest and highest high-pass corner, Hz (a mastering high-pass only removes rumble).
pub const HIGH_PASS_RANGE_HZ: (f32, f32) = (10.0, 60.0);
/// Frequency the tilt pivots around, Hz: it stays at exactly 0 dB there.
pub const TILT_PIVOT_HZ: f32 = 1000.0;
/// Q of the two tilt shelves. 0.5 (cookbook slope S = 0.5 at small gains) spreads the
/// transition over about three octaves each side of the pivot, the broad "tilt" shape rather
/// than a shelf.
pub const TILT_Q: f64 = 0.5;
/// Time every EQ parameter takes to reach a new value, ms.
pub const EQ_RAMP_MS: f32 = 20.0;
/// Largest boost or cut of any band, dB.
pub const MAX_BAND_GAIN_DB: f32 = 24.0;

/// Internal band layout: high-pass sections, low shelf, bells, high shelf, tilt pair.
const NUM_BANDS: usize = MAX_HIGH_PASS_SECTIONS + NUM_BELLS + 4;
/// A flat band is skipped once every state value is below this (1e-12 = -240 dB: dropping it
/// cannot change a single-precision output sample of an audible signal).
const SETTLE_THRESHOLD: f64 = 1e-12;

/// One smoothed band: ramps, current coefficients, per-channel state.
#[derive(Debug, Clone)]
struct Band {
    kind: BandKind,
    log2_freq: ParamRamp,
    gain_db: ParamRamp,
    log2_q: ParamRamp,
    mix: ParamRamp,
    coefs: BiquadCoefs,
    /// `coefs` for both lanes.
    lane_coefs: LaneCoefs,
    /// Filter memory, left and right as the two lanes.
    state: LaneState,
    /// Transparent at rest with no memory left: skipped.
    idle: bool,
}

impl Band {
    fn new(kind: BandKind) -> Self {
        Self {
            kind,
            log2_freq: ParamRamp::new(10.0),
            gain_db: ParamRamp::new(0.0),
            log2_q: ParamRamp::new(0.0),
            mix: ParamRamp::new(if kind == BandKind::HighPass { 1.0 } else { 0.0 }),
            coefs: BiquadCoefs::IDENTITY,
            lane_coefs: LaneCoefs::default(),
            state: LaneState::default(),
            idle: true,
        }
    }

    fn ramps(&mut self) -> [&mut ParamRamp; 4] {
        [
            &mut self.log2_freq,
            &mut self.gain_db,
            &mut self.log2_q,
            &mut self.mix,
        ]
    }

    fn current(&self) -> BandParams {
        BandParams {
            freq_hz: self.log2_freq.current().exp2(),
            gain_db: self.gain_db.current(),
            q: self.log2_q.current().exp2(),
            mix: self.mix.current(),
        }
    }

    fn is_moving(&self) -> bool {
        self.log2_freq.is_moving()
            || self.gain_db.is_moving()
            || self.log2_q.is_moving()
            || self.mix.is_moving()
    }

    /// New targets, reached in `steps` update ticks. A band that is transparent and stays
    /// transparent (say, a 0 dB bell whose frequency moves) jumps at once and stays skipped,
    /// so moving unused bands never touches the audio.
    fn set_target(&mut self, p: &BandParams, steps: u32, sample_rate_hz: f64) {
        let values = [p.freq_hz.log2(), p.gain_db, p.q.log2(), p.mix];
        for (ramp, v) in self.ramps().into_iter().zip(values) {
            ramp.set_target(v, steps);
        }
        if self.idle && p.is_flat(self.kind) {
            for ramp in self.ramps() {
                ramp.finish();
            }
            self.redesign(sample_rate_hz);
        } else if self.is_moving() {
            self.idle = false;
        }
    }

    /// Coefficients for the current parameters; a flat band keeps its poles (so leftover
    /// state decays naturally) with a numerator equal to them.
    fn redesign(&mut self, sample_rate_hz: f64) {
        let p = self.current();
        let c = p.coefs(self.kind, sample_rate_hz);
        self.coefs = if !self.is_moving() && p.is_flat(self.kind) {
            c.flat_with_same_poles()
        } else {
            c
        };
        self.lane_coefs = LaneCoefs::splat(&self.coefs);
    }

    /// One update tick: advance the ramps and redesign, or retire a settled flat band.
    fn tick(&mut self, sample_rate_hz: f64) {
        if self.idle {
            return;
        }
        if self.is_moving() {
            for ramp in self.ramps() {
                ramp.advance();
            }
            self.redesign(sample_rate_hz);
        } else if self.coefs.is_flat() && self.state.magnitude() < SETTLE_THRESHOLD {
            self.state.reset();
            self.idle = true;
            return;
        }
        self.state.flush_tiny();
    }

    /// Jumps to the targets and forgets the past.
    fn reset(&mut self, sample_rate_hz: f64) {
        for ramp in self.ramps() {
            ramp.finish();
        }
        self.redesign(sample_rate_hz);
        self.state.reset();
        self.idle = self.coefs.is_flat();
    }
}

/// The tonal EQ stage (planar, 1 or 2 channels, in place, zero latency).
#[derive(Debug, Clone)]
pub struct ToneEq {
    sample_rate_hz: f32,
    settings: EqSettings,
    bands: [Band; NUM_BANDS],
    ramp_steps: u32,
    /// Samples since the last update tick, 0..UPDATE_INTERVAL_SAMPLES.
    clock: usize,
    /// Instruction set (see [`super::simd`]): with AVX the pipeline runs 4 lanes per
    /// instruction.
    simd: Simd,
}

impl Default for ToneEq {
    fn default() -> Self {
        Self::new()
    }
}

impl ToneEq {
    /// A flat EQ at 48 kHz.
    pub fn new() -> Self {
        let mut eq = Self {
            sample_rate_hz: 48_000.0,
            settings: EqSettings::default(),
            bands: KINDS.map(Band::new),
            ramp_steps: 1,
            clock: 0,
            simd: Simd::detected(),
        };
        eq.configure(48_000.0, 2, 0);
        eq
    }

    /// Prepares for a sample rate. The EQ keeps all state in fixed arrays (up to 2
    /// channels), so nothing is allocated; the block size is not needed.
    pub fn configure(
        &mut self,
        sample_rate_hz: f32,
        _num_channels: usize,
        _max_block_samples: usize,
    ) {
        self.sample_rate_hz = sample_rate_hz;
        self.ramp_steps = ramp_steps(EQ_RAMP_MS, sample_rate_hz);
        let params = self.settings.band_params(sample_rate_hz);
        for (band, p) in self.bands.iter_mut().zip(&params) {
            band.set_target(p, 1, f64::from(sample_rate_hz));
        }
        self.reset();
    }

    /// Clears the filter memories and jumps every parameter to its target.
    pub fn reset(&mut self) {
        let sr = f64::from(self.sample_rate_hz);
        for band in &mut self.bands {
            band.reset(sr);
        }
        self.clock = 0;
    }

    /// New settings; every parameter ramps to them over [`EQ_RAMP_MS`]. Allocation-free.
    pub fn set_settings(&mut self, settings: &EqSettings) {
        if *settings == self.settings {
            return;
        }
        self.settings = *settings;
        let params = settings.band_params(self.sample_rate_hz);
        let sr = f64::from(self.sample_rate_hz);
        for (band, p) in self.bands.iter_mut().zip(&params) {
            band.set_target(p, self.ramp_steps, sr);
        }
    }

    /// The settings last given.
    pub fn settings(&self) -> &EqSettings {
        &self.settings
    }

    /// True when no band is doing anything: `process` leaves the audio untouched.
    pub fn is_transparent(&self) -> bool {
        self.bands.iter().all(|b| b.idle)
    }

    /// One span (at most one update interval) of left and right through every active band,
    /// in double precision. The active bands' coefficients and states are gathered into local
    /// arrays first, so the inner loop runs on memory the compiler knows nothing else touches.
    fn filter_span(&mut self, left: &mut [f32], right: &mut [f32]) {
        let mut coefs = [LaneCoefs::default(); NUM_BANDS];
        let mut states = [LaneState::default(); NUM_BANDS];
        let mut num_active = 0;
        for (band, (c, s)) in self
            .bands
            .iter()
            .filter(|b| !b.idle)
            .zip(coefs.iter_mut().zip(states.iter_mut()))
        {
            *c = band.lane_coefs;
            *s = band.state;
            num_active += 1;
        }
        for (a, b) in left.iter_mut().zip(right.iter_mut()) {
            let mut y = [f64::from(*a), f64::from(*b)];
            for (c, s) in coefs.iter().zip(states.iter_mut()).take(num_active) {
                y = s.process_lanes(c, y);
            }
            *a = y[0] as f32;
            *b = y[1] as f32;
        }
        for (band, s) in self.bands.iter_mut().filter(|b| !b.idle).zip(states) {
            band.state = s;
        }
    }

    /// True when every band in use is at rest and not flat, so the coefficients stay fixed
    /// and no band can retire: update ticks then only flush tiny state values, and any run of
    /// samples can go through [`Self::filter_pipelined`].
    fn is_static(&self) -> bool {
        self.bands
            .iter()
            .filter(|b| !b.idle)
            .all(|b| !b.is_moving() && !b.coefs.is_flat())
    }

    /// Stereo filtering while [`Self::is_static`], bit-identical to ticking and calling
    /// [`Self::filter_span`] every [`UPDATE_INTERVAL_SAMPLES`] samples, but much faster.
    ///
    /// The cascade is a skewed pipeline: at step `t` band `j` filters sample `t - j` (its
    /// input is what band `j - 1` produced at step `t - 1`), so within a step the bands do not
    /// depend on each other and run side by side as SIMD lanes (`left, right` of every band),
    /// instead of each waiting for the previous band's result. Lanes of bands whose sample lies
    /// outside the run (pipeline fill and drain) keep their state. The denormal flush of an
    /// update tick is applied to each band just before it filters the sample the tick falls on.
    fn filter_pipelined(&mut self, left: &mut [f32], right: &mut [f32]) {
        let mut pipe = Pipeline::default();
        let mut depth = 0;
        for band in self.bands.iter().filter(|b| !b.idle) {
            pipe.load(depth, &band.lane_coefs, &band.state);
            depth += 1;
        }
        if depth == 0 {
            return;
        }
        // With AVX the register kernel (it has an instance for every depth the EQ can have);
        // otherwise, or past its depths, the array kernel compiled for the token's level.
        #[cfg(target_arch = "x86_64")]
        let done = self.simd.avx().is_some_and(|avx| {
            avx_pipeline::run_depth(avx, &mut pipe, left, right, depth, self.clock)
        });
        #[cfg(not(target_arch = "x86_64"))]
        let done = false;
        if !done {
            pipe.run(self.simd, left, right, depth, self.clock);
        }
        for (k, band) in self.bands.iter_mut().filter(|b| !b.idle).enumerate() {
            pipe.store(k, &mut band.state);
        }
    }

    /// Filters planar channels in place (the first two of `channels`; all as long as the
    /// shortest). Never allocates, locks or panics.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let num_samples = channels.iter().take(2).map(|c| c.len()).min().unwrap_or(0);
        if self.is_transparent() {
            self.clock = (self.clock + num_samples) % UPDATE_INTERVAL_SAMPLES;
            return;
        }
        if let [left, right, ..] = channels
            && self.is_static()
        {
            // A tick on the first sample would only flush, which the pipeline does itself.
            if let (Some(l), Some(r)) = (left.get_mut(..num_samples), right.get_mut(..num_samples))
            {
                self.filter_pipelined(l, r);
            }
            self.clock = (self.clock + num_samples) % UPDATE_INTERVAL_SAMPLES;
            return;
        }
        self.process_spans(channels, num_samples);
    }

    /// The general path: one update tick per [`UPDATE_INTERVAL_SAMPLES`], then a span.
    fn process_spans(&mut self, channels: &mut [&mut [f32]], num_samples: usize) {
        let sr = f64::from(self.sample_rate_hz);
        let mut start = 0;
        while start < num_samples {
            if self.clock == 0 {
                for band in &mut self.bands {
                    band.tick(sr);
                }
            }
            let len = (UPDATE_INTERVAL_SAMPLES - self.clock).min(num_samples - start);
            match channels {
                [mono] => {
                    let mut silent = [0.0f32; UPDATE_INTERVAL_SAMPLES];
                    if let (Some(m), Some(z)) =
                        (mono.get_mut(start..start + len), silent.get_mut(..len))
                    {
                        self.filter_span(m, z);
                    }
                }
                [left, right, ..] => {
                    if let (Some(l), Some(r)) = (
                        left.get_mut(start..start + len),
                        right.get_mut(start..start + len),
                    ) {
                        self.filter_span(l, r);
                    }
                }
                [] => {}
            }
            self.clock = (self.clock + len) % UPDATE_INTERVAL_SAMPLES;
            start += len;
        }
    }
}

#[cfg(test)]
mod tests;
