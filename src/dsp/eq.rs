//! Tonal EQ: high-pass, low shelf, five bells, high shelf and a tilt, all minimum-phase RBJ
//! biquads (see [`super::biquad`]), so every move reads as "-2.1 dB at 250 Hz".
//!
//! Changes never zipper: each band's frequency (in octaves), gain (in dB), Q (in octaves) and
//! high-pass engagement ramp linearly over [`EQ_RAMP_MS`], and the coefficients are redesigned
//! every [`UPDATE_INTERVAL_SAMPLES`] samples on a counter that runs from `reset`, so the output
//! is bit-identical for any block split. A band at 0 dB (a high-pass switched off) is skipped
//! entirely once its filter memory has died away, so a neutral EQ is bit-transparent.

use super::biquad::{
    BiquadCoefs, Complex, FLUSH_THRESHOLD, LaneCoefs, LaneState, ParamRamp,
    UPDATE_INTERVAL_SAMPLES, butterworth_q, ramp_steps,
};
use serde::{Deserialize, Serialize};

#[cfg(target_arch = "x86_64")]
mod avx_pipeline;

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

/// One shelf or bell: corner/centre frequency (Hz), gain (dB, 0 = off) and Q.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EqBand {
    /// Centre (bell) or corner (shelf) frequency, Hz; clamped to 10 Hz..0.45 fs.
    pub freq_hz: f32,
    /// Boost (+) or cut (-), dB; 0 dB makes the band exactly transparent.
    pub gain_db: f32,
    /// Bandwidth: cookbook Q (0.707 = shelf slope 1, the steepest without overshoot).
    pub q: f32,
}

impl EqBand {
    /// A band at 0 dB.
    pub const fn flat(freq_hz: f32, q: f32) -> Self {
        Self {
            freq_hz,
            gain_db: 0.0,
            q,
        }
    }
}

/// Every setting of the tonal EQ, in display units. The default is flat (every gain 0 dB,
/// high-pass off, tilt 0 dB).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EqSettings {
    /// High-pass (rumble filter) on.
    pub high_pass_on: bool,
    /// High-pass corner, Hz (-3 dB for 12 dB/oct; Butterworth cascade), 10..60 Hz.
    pub high_pass_hz: f32,
    /// High-pass slope, dB/octave: 12, 24, 36 or 48 (rounded to the nearest).
    pub high_pass_db_per_oct: f32,
    /// Low shelf.
    pub low_shelf: EqBand,
    /// Peaking bells, low to high by default (any order works).
    pub bells: [EqBand; NUM_BELLS],
    /// High shelf.
    pub high_shelf: EqBand,
    /// Tilt, dB at the top of the spectrum relative to the pivot ([`TILT_PIVOT_HZ`]); the
    /// bottom gets the opposite: +2 dB means +2 dB at 20 kHz and -2 dB at 20 Hz.
    /// Made of a low shelf of `-tilt_db` and a high shelf of `+tilt_db` at the pivot
    /// (cookbook shelves, [`TILT_Q`]): each gives half its gain at the pivot, so they cancel
    /// there exactly.
    pub tilt_db: f32,
}

impl Default for EqSettings {
    fn default() -> Self {
        Self {
            high_pass_on: false,
            high_pass_hz: 30.0,
            high_pass_db_per_oct: 24.0,
            low_shelf: EqBand::flat(100.0, 0.707),
            bells: [
                EqBand::flat(80.0, 1.0),
                EqBand::flat(250.0, 1.0),
                EqBand::flat(1000.0, 1.0),
                EqBand::flat(3500.0, 1.0),
                EqBand::flat(8000.0, 1.0),
            ],
            high_shelf: EqBand::flat(10_000.0, 0.707),
            tilt_db: 0.0,
        }
    }
}

/// Which cookbook shape a band is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum BandKind {
    HighPass,
    LowShelf,
    HighShelf,
    Peaking,
}

/// Design parameters of one band. `mix` only matters for the high-pass: 0 = filter fully in,
/// 1 = identity (see [`BiquadCoefs::blend_with_identity`]).
#[derive(Debug, Clone, Copy, PartialEq)]
struct BandParams {
    freq_hz: f64,
    gain_db: f64,
    q: f64,
    mix: f64,
}

impl BandParams {
    fn coefs(&self, kind: BandKind, sample_rate_hz: f64) -> BiquadCoefs {
        let (f, g, q) = (self.freq_hz, self.gain_db, self.q);
        match kind {
            BandKind::HighPass => {
                BiquadCoefs::high_pass(f, q, sample_rate_hz).blend_with_identity(self.mix)
            }
            BandKind::LowShelf => BiquadCoefs::low_shelf(f, g, q, sample_rate_hz),
            BandKind::HighShelf => BiquadCoefs::high_shelf(f, g, q, sample_rate_hz),
            BandKind::Peaking => BiquadCoefs::peaking(f, g, q, sample_rate_hz),
        }
    }

    fn is_flat(&self, kind: BandKind) -> bool {
        match kind {
            BandKind::HighPass => self.mix >= 1.0,
            _ => self.gain_db == 0.0,
        }
    }
}

const KINDS: [BandKind; NUM_BANDS] = {
    let mut kinds = [BandKind::Peaking; NUM_BANDS];
    let mut i = 0;
    while i < MAX_HIGH_PASS_SECTIONS {
        kinds[i] = BandKind::HighPass;
        i += 1;
    }
    kinds[MAX_HIGH_PASS_SECTIONS] = BandKind::LowShelf;
    kinds[NUM_BANDS - 3] = BandKind::HighShelf;
    kinds[NUM_BANDS - 2] = BandKind::LowShelf;
    kinds[NUM_BANDS - 1] = BandKind::HighShelf;
    kinds
};

/// `x` if finite, else `fallback` (keeps a NaN from a broken host out of the filters).
fn finite_or(x: f32, fallback: f32) -> f32 {
    if x.is_finite() { x } else { fallback }
}

impl EqSettings {
    /// Number of high-pass biquads for the chosen slope (12 dB/oct per section).
    fn high_pass_sections(&self) -> usize {
        let per_oct = finite_or(self.high_pass_db_per_oct, 24.0);
        ((per_oct / 12.0).round() as usize).clamp(1, MAX_HIGH_PASS_SECTIONS)
    }

    /// The design parameters of every internal band, clamped for this sample rate.
    fn band_params(&self, sample_rate_hz: f32) -> [BandParams; NUM_BANDS] {
        let nyquist_guard_hz = 0.45 * f64::from(sample_rate_hz);
        let band = |b: &EqBand, mix: f64| BandParams {
            freq_hz: f64::from(finite_or(b.freq_hz, 1000.0).max(10.0)).min(nyquist_guard_hz),
            gain_db: f64::from(
                finite_or(b.gain_db, 0.0).clamp(-MAX_BAND_GAIN_DB, MAX_BAND_GAIN_DB),
            ),
            q: f64::from(finite_or(b.q, 0.707).clamp(0.1, 20.0)),
            mix,
        };
        let mut out = [band(&EqBand::flat(1000.0, 1.0), 0.0); NUM_BANDS];
        let sections = self.high_pass_sections();
        let hp_hz =
            finite_or(self.high_pass_hz, 30.0).clamp(HIGH_PASS_RANGE_HZ.0, HIGH_PASS_RANGE_HZ.1);
        for (k, p) in out.iter_mut().take(MAX_HIGH_PASS_SECTIONS).enumerate() {
            let used = self.high_pass_on && k < sections;
            *p = BandParams {
                freq_hz: f64::from(hp_hz),
                gain_db: 0.0,
                q: if k < sections {
                    butterworth_q(2 * sections, k)
                } else {
                    std::f64::consts::FRAC_1_SQRT_2
                },
                mix: if used { 0.0 } else { 1.0 },
            };
        }
        out[MAX_HIGH_PASS_SECTIONS] = band(&self.low_shelf, 0.0);
        for (p, b) in out[MAX_HIGH_PASS_SECTIONS + 1..]
            .iter_mut()
            .zip(&self.bells)
        {
            *p = band(b, 0.0);
        }
        out[NUM_BANDS - 3] = band(&self.high_shelf, 0.0);
        let tilt_db = finite_or(self.tilt_db, 0.0).clamp(-MAX_BAND_GAIN_DB, MAX_BAND_GAIN_DB);
        let tilt = |gain_db: f32| BandParams {
            freq_hz: f64::from(TILT_PIVOT_HZ),
            gain_db: f64::from(gain_db),
            q: TILT_Q,
            mix: 0.0,
        };
        out[NUM_BANDS - 2] = tilt(-tilt_db);
        out[NUM_BANDS - 1] = tilt(tilt_db);
        out
    }

    /// Complex response of the whole EQ at `freq_hz`, from the same coefficients the audio
    /// thread settles on (for drawing the curve, or phase).
    pub fn response(&self, freq_hz: f32, sample_rate_hz: f32) -> Complex {
        let sr = f64::from(sample_rate_hz);
        let params = self.band_params(sample_rate_hz);
        params
            .iter()
            .zip(KINDS)
            .filter(|(p, kind)| !p.is_flat(*kind))
            .fold(Complex::ONE, |acc, (p, kind)| {
                acc * p.coefs(kind, sr).response(f64::from(freq_hz), sr)
            })
    }

    /// Magnitude response of the whole EQ at `freq_hz`, dB.
    pub fn response_db(&self, freq_hz: f32, sample_rate_hz: f32) -> f32 {
        self.response(freq_hz, sample_rate_hz).db() as f32
    }

    /// True when every band is transparent (the EQ then passes audio bit for bit).
    pub fn is_neutral(&self) -> bool {
        let params = self.band_params(48_000.0);
        params.iter().zip(KINDS).all(|(p, kind)| p.is_flat(kind))
    }
}

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

/// Lanes of the skewed pipeline: left and right of every band.
const PIPE_LANES: usize = 2 * NUM_BANDS;

fn cpu_has_avx() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The active bands of the EQ as one skewed pipeline (see [`ToneEq::filter_pipelined`]):
/// lane `2 j + c` is channel `c` of the `j`-th active band, in lane-major arrays so every
/// operation of a step is one loop over all lanes (vectorised by the compiler).
#[derive(Clone, Copy)]
struct Pipeline {
    b0: [f64; PIPE_LANES],
    b1: [f64; PIPE_LANES],
    b2: [f64; PIPE_LANES],
    a1: [f64; PIPE_LANES],
    a2: [f64; PIPE_LANES],
    s1: [f64; PIPE_LANES],
    s2: [f64; PIPE_LANES],
    /// Band index of each lane, as a float for branch-free lane masks.
    band_of_lane: [f64; PIPE_LANES],
}

impl Default for Pipeline {
    fn default() -> Self {
        let identity = LaneCoefs::default();
        let mut pipe = Self {
            b0: [0.0; PIPE_LANES],
            b1: [0.0; PIPE_LANES],
            b2: [0.0; PIPE_LANES],
            a1: [0.0; PIPE_LANES],
            a2: [0.0; PIPE_LANES],
            s1: [0.0; PIPE_LANES],
            s2: [0.0; PIPE_LANES],
            band_of_lane: std::array::from_fn(|k| (k / 2) as f64),
        };
        for j in 0..NUM_BANDS {
            pipe.load(j, &identity, &LaneState::default());
        }
        pipe
    }
}

impl Pipeline {
    /// Puts a band's coefficients and state at pipeline position `j`.
    fn load(&mut self, j: usize, c: &LaneCoefs, state: &LaneState) {
        let lanes = 2 * j..2 * j + 2;
        let (Some(b0), Some(b1), Some(b2), Some(a1), Some(a2)) = (
            self.b0.get_mut(lanes.clone()),
            self.b1.get_mut(lanes.clone()),
            self.b2.get_mut(lanes.clone()),
            self.a1.get_mut(lanes.clone()),
            self.a2.get_mut(lanes.clone()),
        ) else {
            return;
        };
        b0.copy_from_slice(&c.b0);
        b1.copy_from_slice(&c.b1);
        b2.copy_from_slice(&c.b2);
        a1.copy_from_slice(&c.a1);
        a2.copy_from_slice(&c.a2);
        let (s1, s2) = state.parts();
        if let (Some(d1), Some(d2)) = (self.s1.get_mut(lanes.clone()), self.s2.get_mut(lanes)) {
            d1.copy_from_slice(&s1);
            d2.copy_from_slice(&s2);
        }
    }

    /// Writes pipeline position `j`'s state back to a band.
    fn store(&self, j: usize, state: &mut LaneState) {
        let lanes = 2 * j..2 * j + 2;
        if let (Some(s1), Some(s2)) = (self.s1.get(lanes.clone()), self.s2.get(lanes)) {
            *state = LaneState::from_parts([s1[0], s1[1]], [s2[0], s2[1]]);
        }
    }

    /// Filters `left`/`right` through the first `depth` positions. `clock` is the update
    /// clock at the first sample: a band flushes tiny state values before each sample `t`
    /// with `(clock + t) % UPDATE_INTERVAL_SAMPLES == 0`, as its tick would.
    #[inline(always)]
    fn run_kernel(&mut self, left: &mut [f32], right: &mut [f32], depth: usize, clock: usize) {
        let n = left.len().min(right.len());
        let depth = depth.clamp(1, NUM_BANDS);
        let mut y = [0.0f64; PIPE_LANES];
        for step in 0..n + depth - 1 {
            // Bands filtering a sample of the run at this step: j in [lo, hi].
            let lo = (step + 1).saturating_sub(n);
            let hi = step.min(depth - 1);
            // The band whose sample falls on a tick boundary (at most one: depth < interval).
            let ticking = (clock + step) % UPDATE_INTERVAL_SAMPLES;
            if ticking >= lo && ticking <= hi {
                for k in 2 * ticking..2 * ticking + 2 {
                    if let (Some(a), Some(b)) = (self.s1.get_mut(k), self.s2.get_mut(k)) {
                        if a.abs() < FLUSH_THRESHOLD {
                            *a = 0.0;
                        }
                        if b.abs() < FLUSH_THRESHOLD {
                            *b = 0.0;
                        }
                    }
                }
            }
            // Band j's input is band j - 1's output of the previous step.
            let mut x = [0.0f64; PIPE_LANES];
            let (x_in, x_rest) = x.split_at_mut(2);
            x_in.copy_from_slice(&[
                f64::from(left.get(step).copied().unwrap_or(0.0)),
                f64::from(right.get(step).copied().unwrap_or(0.0)),
            ]);
            x_rest.copy_from_slice(y.get(..PIPE_LANES - 2).unwrap_or(&[0.0; PIPE_LANES - 2]));
            let (lo, hi) = (lo as f64, hi as f64);
            let lanes = y
                .iter_mut()
                .zip(x)
                .zip(self.s1.iter_mut().zip(self.s2.iter_mut()))
                .zip(self.b0.iter().zip(&self.b1).zip(&self.b2))
                .zip(self.a1.iter().zip(&self.a2).zip(&self.band_of_lane));
            for ((((yk, xk), (s1k, s2k)), ((b0, b1), b2)), ((a1, a2), band)) in lanes {
                let out = b0 * xk + *s1k;
                let s1 = b1 * xk - a1 * out + *s2k;
                let s2 = b2 * xk - a2 * out;
                let live = *band >= lo && *band <= hi;
                *s1k = if live { s1 } else { *s1k };
                *s2k = if live { s2 } else { *s2k };
                *yk = out;
            }
            if let Some(t) = (step + 1).checked_sub(depth)
                && let (Some(l), Some(r), Some(&yl), Some(&yr)) = (
                    left.get_mut(t),
                    right.get_mut(t),
                    y.get(2 * depth - 2),
                    y.get(2 * depth - 1),
                )
            {
                *l = yl as f32;
                *r = yr as f32;
            }
        }
    }

    /// [`Self::run_kernel`], portable build.
    fn run(&mut self, left: &mut [f32], right: &mut [f32], depth: usize, clock: usize) {
        self.run_kernel(left, right, depth, clock);
    }

    /// [`Self::run_kernel`] compiled for AVX (4 lanes per instruction). No FMA is enabled, so
    /// the results match the portable build bit for bit.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn run_avx(&mut self, left: &mut [f32], right: &mut [f32], depth: usize, clock: usize) {
        self.run_kernel(left, right, depth, clock);
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
    /// The CPU has AVX: the pipeline runs 4 lanes per instruction.
    use_avx: bool,
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
            use_avx: cpu_has_avx(),
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
        #[cfg(target_arch = "x86_64")]
        if self.use_avx {
            // SAFETY: `use_avx` comes from run-time detection of AVX on this CPU.
            let done =
                unsafe { avx_pipeline::run_depth(&mut pipe, left, right, depth, self.clock) };
            if !done {
                // SAFETY: as above.
                unsafe { pipe.run_avx(left, right, depth, self.clock) };
            }
        } else {
            pipe.run(left, right, depth, self.clock);
        }
        #[cfg(not(target_arch = "x86_64"))]
        pipe.run(left, right, depth, self.clock);
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
mod tests {
    use super::*;

    const SR: f32 = 48_000.0;

    fn sine(freq_hz: f32, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| 0.25 * (std::f32::consts::TAU * freq_hz * i as f32 / SR).sin())
            .collect()
    }

    #[test]
    fn default_is_neutral_and_bit_transparent() {
        assert!(EqSettings::default().is_neutral());
        let mut eq = ToneEq::new();
        let input = sine(440.0, 3000);
        let mut out = input.clone();
        eq.process(&mut [&mut out]);
        assert_eq!(out, input);
    }

    #[test]
    fn tilt_pivots_at_one_kilohertz_and_reaches_its_ends() {
        let s = EqSettings {
            tilt_db: 3.0,
            ..Default::default()
        };
        assert!(s.response_db(TILT_PIVOT_HZ, SR).abs() < 1e-4);
        // Within 0.5 dB of the nominal +-3 dB at the ends of the audio band.
        assert!(
            (s.response_db(20.0, SR) + 3.0).abs() < 0.5,
            "{}",
            s.response_db(20.0, SR)
        );
        assert!((s.response_db(20_000.0, SR) - 3.0).abs() < 0.5);
        // Monotonic rise from bottom to top.
        let mut last = f32::NEG_INFINITY;
        for k in 0..=30 {
            let f = 20.0 * 1000f32.powf(k as f32 / 30.0);
            let db = s.response_db(f, SR);
            assert!(db > last);
            last = db;
        }
    }

    #[test]
    fn high_pass_slope_follows_the_setting() {
        for (slope, expected_db_per_oct) in [(12.0, 12.0), (24.0, 24.0), (48.0, 48.0)] {
            let s = EqSettings {
                high_pass_on: true,
                high_pass_hz: 40.0,
                high_pass_db_per_oct: slope,
                ..Default::default()
            };
            // Far below the corner a Butterworth high-pass falls by the nominal slope.
            let octave = s.response_db(2.5, SR) - s.response_db(1.25, SR);
            assert!(
                (octave - expected_db_per_oct).abs() < 0.5,
                "{slope}: {octave}"
            );
            assert!((s.response_db(40.0, SR) + 3.01).abs() < 0.02);
        }
    }

    #[test]
    fn band_returning_to_zero_becomes_transparent_again() {
        let mut eq = ToneEq::new();
        eq.configure(SR, 1, 512);
        let mut s = EqSettings::default();
        s.bells[2].gain_db = 6.0;
        eq.set_settings(&s);
        let mut warm = sine(440.0, 4800);
        eq.process(&mut [&mut warm]);
        assert!(!eq.is_transparent());
        eq.set_settings(&EqSettings::default());
        let mut tail = sine(440.0, 48_000);
        eq.process(&mut [&mut tail]);
        assert!(eq.is_transparent());
        let input = sine(440.0, 1000);
        let mut out = input.clone();
        eq.process(&mut [&mut out]);
        assert_eq!(out, input);
    }

    #[test]
    fn moving_unused_bands_leaves_the_eq_bit_transparent() {
        let mut eq = ToneEq::new();
        let input = sine(440.0, 2000);
        let mut s = EqSettings::default();
        for k in 0..20 {
            s.bells[k % NUM_BELLS].freq_hz = 100.0 + 400.0 * k as f32;
            s.high_shelf.q = 0.5 + 0.1 * k as f32;
            s.high_pass_hz = 20.0 + k as f32;
            s.high_pass_db_per_oct = 12.0 * (1 + k % 4) as f32;
            eq.set_settings(&s);
            assert!(eq.is_transparent(), "step {k}: no band needs processing");
            let mut out = input.clone();
            eq.process(&mut [&mut out]);
            assert_eq!(out, input);
        }
    }

    #[test]
    fn non_finite_settings_do_not_reach_the_audio() {
        let mut eq = ToneEq::new();
        let mut s = EqSettings {
            tilt_db: f32::NAN,
            ..Default::default()
        };
        s.bells[0] = EqBand {
            freq_hz: f32::INFINITY,
            gain_db: 3.0,
            q: f32::NAN,
        };
        eq.set_settings(&s);
        let mut x = sine(100.0, 2000);
        eq.process(&mut [&mut x]);
        assert!(x.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn pipelined_path_matches_the_span_path_bit_for_bit() {
        // Every band in use and at rest: the fast path runs; the reference runs the
        // tick-and-span path on an identical copy. Odd block lengths move the tick boundaries.
        let mut settings = EqSettings {
            high_pass_on: true,
            high_pass_db_per_oct: 48.0,
            tilt_db: 1.5,
            ..Default::default()
        };
        for (k, b) in settings.bells.iter_mut().enumerate() {
            b.gain_db = 2.0 - k as f32;
        }
        settings.bells[2].gain_db = 0.0; // an idle band in the middle
        settings.low_shelf.gain_db = -3.0;
        settings.high_shelf.gain_db = 2.5;
        let mut fast = ToneEq::new();
        fast.set_settings(&settings);
        fast.reset();
        let mut reference = fast.clone();
        assert!(fast.is_static());
        let mut seed = 0x2468_ace1u32;
        let mut noise = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32) - 0.5
        };
        let mut checked = 0;
        for len in [1usize, 5, 16, 37, 512, 3, 100] {
            let l: Vec<f32> = (0..len).map(|_| noise()).collect();
            let r: Vec<f32> = (0..len).map(|_| 0.5 * noise()).collect();
            let (mut fl, mut fr) = (l.clone(), r.clone());
            fast.process(&mut [&mut fl, &mut fr]);
            let (mut rl, mut rr) = (l.clone(), r.clone());
            reference.process_spans(&mut [&mut rl, &mut rr], len);
            assert_eq!((&fl, &fr), (&rl, &rr), "block of {len}");
            assert_ne!(fl, l, "the EQ must be doing something");
            checked += len;
        }
        assert_eq!(fast.clock, reference.clock);
        assert!(checked > 600);
    }
}
