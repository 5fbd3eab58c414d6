//! True-peak estimation for the limiter's detector (detection only: the audio path is never
//! resampled).
//!
//! The waveform a DAC reconstructs from the samples can peak between them (ITU-R BS.1770-4
//! Annex 2, "true peak"). At every sample rate the detector evaluates four points per input
//! sample with two cascaded half-band interpolators (a polyphase FIR oversampler split in two
//! stages):
//!
//! 1. a long half-band stage gives the 2x points; it decides how faithfully content close to
//!    Nyquist is reconstructed, which is what the inter-sample peaks of full-band material
//!    (noise, square waves, cymbals) depend on;
//! 2. a short half-band stage interpolates between the 2x points (the 2x stream holds nothing
//!    above a quarter of its rate, so 8 taps suffice) and gives the 4x points;
//! 3. the points of the standard BS.1770-4 meter itself ([`MeterKernel`], the short filter
//!    `lacquer analyze` and most loudness tools use), which lets images through and so reads
//!    full-band material up to about 0.6 dB higher than the waveform a long interpolator
//!    reconstructs: the estimate is the larger of the two, so a master reads at or under its
//!    ceiling on both kinds of meter.
//!
//! What no finite detector follows is the ideal (brick-wall) reconstruction of content within
//! 1 % of Nyquist: full-scale white noise limited at -1 dBTP reads about -0.35 dBTP when
//! reconstructed by FFT, and a 16x meter with a short, leaky filter (10 zero crossings) about
//! -0.4 dBTP at 44.1 kHz, because of that last 1 % of the band and of images. A DAC's
//! reconstruction filter has its transition band there (typically 0.45 to 0.55 fs), so neither
//! reading is what a listener's converter produces; both are recorded in `docs/standards.md`.
//!
//! The same four points are needed at every rate: what decides the inter-sample peaks is the
//! content's frequency relative to the sample rate, not in Hz, and noise, clipped or
//! synthesised material fills the band up to Nyquist at 192 or 384 kHz as it does at 44.1 kHz.
//! (The input samples themselves used to be the grid at 176.4 kHz and above, on the
//! assumption that programme content sits far below Nyquist there; full-scale white noise
//! driven 24 dB then came out up to +4 dB over the ceiling, clipped music and bursts +2 to
//! +3 dB, aliased square waves up to +7 dB: see `tests/ceiling.rs`.)
//!
//! Points on any grid can still miss the peak between them (a sine at 0.45 fs reads up to
//! 0.55 dB low on a 4x grid). The largest point of each sample's group is therefore refined by
//! fitting the sinusoid through it and its two neighbours ([`refine_peak`]): exact for a single
//! sinusoid, never below the grid point, and never above the most a band-limited waveform can
//! rise between grid points.
//!
//! Filter design: the ideal interpolator (sinc) truncated by a Kaiser window, the Kaiser window
//! method of Oppenheim & Schafer, "Discrete-Time Signal Processing", 3rd ed., section 7.5.3.

mod kernels;

use self::kernels::{PairTap, cpu_has_avx, max_abs_fir, pair_sum, refine, refine_groups};

/// Half-length (taps on each side of the midpoint) of the first, long half-band stage.
pub const STAGE_A_HALF_LENGTH: usize = 80;
/// Kaiser beta of the first stage. A low beta buys a narrow transition band at the price of
/// ripple: with 80 taps a side and beta 5 the response is within 0.25 % of the ideal
/// half-sample delay up to 0.485 fs and 0.5 % at 0.49 fs (ripple 0.23 %). What decides the
/// true peak of full-band material is how much of the band just below Nyquist is
/// reconstructed: with 40 taps a side (beta 4.5: 0.8 % off at 0.48 fs, 23 % at 0.49 fs)
/// full-scale white noise limited at -1 dBTP read -0.58 dBTP on a 16x meter flat to
/// 0.49 fs; with 72 taps (beta 4.5) a naive 13.8 kHz sawtooth at 44.1 kHz still came out
/// 0.06 dB over in the randomised search; 80 taps hold both. The price is speed: the limiter
/// runs at about 710x real time (48 kHz stereo) against about 1100x with 40 taps.
pub const STAGE_A_BETA: f64 = 5.0;
/// Half-length of the second, short half-band stage (8 taps in all).
pub const STAGE_B_HALF_LENGTH: usize = 4;
/// Kaiser beta of the second stage.
pub const STAGE_B_BETA: f64 = 6.0;
/// Input samples processed per internal pass; longer inputs are split, which changes nothing
/// in the output (every value depends only on the input stream).
const CHUNK_SAMPLES: usize = 128;

/// Zeroth-order modified Bessel function of the first kind, by its power series
/// (Abramowitz & Stegun 9.6.12); converges quickly for the arguments a Kaiser window uses.
pub fn bessel_i0(x: f64) -> f64 {
    let quarter_x2 = 0.25 * x * x;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    while term > 1e-17 * sum && k < 500.0 {
        term *= quarter_x2 / (k * k);
        sum += term;
        k += 1.0;
    }
    sum
}

/// Kaiser window at normalised position `u` in [-1, 1] (0 outside): `I0(beta sqrt(1 - u^2)) /
/// I0(beta)` (Oppenheim & Schafer, section 7.5.3).
pub fn kaiser_window(u: f64, beta: f64) -> f64 {
    if u.abs() >= 1.0 {
        return 0.0;
    }
    bessel_i0(beta * (1.0 - u * u).sqrt()) / bessel_i0(beta)
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

/// The midpoint phase of a 2x interpolator: the value halfway between two samples as a
/// weighted sum of `half_length` samples on each side. The even phase of a half-band filter is
/// the input itself, so this one phase is the whole oversampler.
#[derive(Debug, Clone, PartialEq)]
pub struct HalfBandInterpolator {
    /// Weight of the samples at distance `k + 0.5` from the midpoint, `k = 0..half_length`.
    side_taps: Vec<f64>,
}

impl HalfBandInterpolator {
    /// Designs the stage: ideal half-sample interpolator `sinc(t)` (cut-off at the input's
    /// Nyquist frequency) times a Kaiser window spanning `half_length` samples each side,
    /// normalised to unity gain at DC.
    pub fn design(half_length: usize, beta: f64) -> Self {
        let half_length = half_length.max(1);
        let mut side_taps: Vec<f64> = (0..half_length)
            .map(|k| {
                let t = k as f64 + 0.5;
                sinc(t) * kaiser_window(t / half_length as f64, beta)
            })
            .collect();
        let dc: f64 = 2.0 * side_taps.iter().sum::<f64>();
        side_taps.iter_mut().for_each(|t| *t /= dc);
        Self { side_taps }
    }

    /// Taps on each side of the midpoint; the midpoint after sample `n` needs input up to
    /// `n + half_length`.
    pub fn half_length(&self) -> usize {
        self.side_taps.len()
    }

    /// Weight of the samples at distance `k + 0.5` from the midpoint.
    pub fn side_taps(&self) -> &[f64] {
        &self.side_taps
    }

    /// Amplitude response of the midpoint phase at `freq` (cycles per input sample), relative
    /// to an ideal half-sample delay: 1 in the passband, 0 at Nyquist by half-band symmetry.
    /// The 2x interpolator passes `(1 + r) / 2` of a tone and leaves an image of `(1 - r) / 2`.
    pub fn response(&self, freq: f64) -> f64 {
        self.side_taps
            .iter()
            .enumerate()
            .map(|(k, &t)| 2.0 * t * (2.0 * std::f64::consts::PI * freq * (k as f64 + 0.5)).cos())
            .sum()
    }
}

/// How densely the detector samples the reconstructed waveform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectorMode {
    /// Four points per input sample (two half-band stages), at every sample rate.
    FourPoints,
}

impl DetectorMode {
    /// The mode for a sample rate in Hz: four points at every rate (full-band material needs
    /// them at 192 kHz as much as at 44.1 kHz; see the module documentation).
    pub fn for_sample_rate(_sample_rate_hz: f32) -> Self {
        Self::FourPoints
    }

    /// Points evaluated per input sample.
    pub fn points_per_sample(self) -> usize {
        match self {
            Self::FourPoints => 4,
        }
    }

    /// Largest phase step of a sinusoid between neighbouring points that the peak refinement
    /// assumes, radians: a tone at Nyquist for four points.
    pub fn max_phase_step(self) -> f32 {
        match self {
            Self::FourPoints => std::f32::consts::FRAC_PI_4,
        }
    }

    /// Most [`refine_peak`] raises a point: `1 / cos(w_max / 2)`, the ratio of a sinusoid's
    /// peak to its value half a phase step away, for the highest frequency the grid carries.
    /// For a band-limited signal `f` with `|f| <= M` and angular bandwidth `s`,
    /// `f'^2 + s^2 f^2 <= s^2 M^2` (Duffin and Schaeffer, Bull. AMS 43, 1937), so
    /// `f(t0 + d) >= M cos(s d)` next to a peak `f(t0) = M`: the grid point nearest the
    /// largest peak is within this factor of it.
    pub fn max_refinement_gain(self) -> f32 {
        1.0 / (0.5 * self.max_phase_step()).cos()
    }
}

/// Peak of the sinusoid through three equally spaced points `prev`, `mid`, `next` when `mid`
/// is a local maximum (or minimum, for a negative `mid`); `|mid|` otherwise.
///
/// For `y(k) = A cos(w k + phi)`: `cos w = (prev + next) / (2 mid)` and
/// `A^2 = mid^2 + ((next - prev) / (2 sin w))^2`, i.e.
/// `A = b sqrt(1 + (c - a)^2 / (4 b^2 - (a + c)^2))` with `a, b, c` the three values
/// multiplied by the sign of `mid`. `w` is clamped to `[0, max_phase_step]` (the highest
/// frequency the grid can carry), which only raises the estimate, and the result is capped at
/// `|mid| / cos(max_phase_step / 2)` (see [`DetectorMode::max_refinement_gain`]). Never below
/// `|mid|`.
pub fn refine_peak(prev: f32, mid: f32, next: f32, max_phase_step: f32) -> f32 {
    let cap = 1.0 / (0.5 * max_phase_step).cos();
    refine(prev, mid, next, max_phase_step.cos(), cap * cap - 1.0)
}

/// Stage A midpoints kept from earlier chunks: the grid lags stage A by `hb / 2` samples and
/// stage B reaches `hb / 2` midpoints further back.
const HB_HISTORY: usize = STAGE_B_HALF_LENGTH;

/// Streaming true-peak estimator for one channel.
///
/// `process` turns each input sample into the estimated peak magnitude of the reconstructed
/// waveform around the input sample `n` that entered [`Self::delay_samples`] earlier: the
/// largest of the grid points at `n - 1/4`, `n`, `n + 1/4` and `n + 1/2`, refined by
/// [`refine_peak`] with its neighbours, so every peak in `[n - 3/8, n + 5/8)` is attributed to
/// `n` (and each peak to exactly one sample).
///
/// The grid is kept planar (one array per phase), so stage B and the refinement run as vector
/// loops over the chunk.
#[derive(Debug, Clone)]
pub struct TruePeakDetector {
    mode: DetectorMode,
    use_avx: bool,
    /// Half-lengths of the two stages.
    ha: usize,
    hb: usize,
    stage_a: Vec<PairTap>,
    /// Stage B for the points at `n + 1/4` and `n + 3/4`, as taps over the input samples
    /// (left) and the stage A midpoints (right).
    stage_b_quarter: Vec<PairTap>,
    stage_b_three_quarters: Vec<PairTap>,
    /// Input history (`2 ha - 1` samples) followed by the current chunk.
    samples: Vec<f32>,
    /// Stage A midpoints, `x(m + 1/2)`: [`HB_HISTORY`] earlier ones, then the chunk's.
    halves: Vec<f32>,
    /// `x(m + 1/4)` for the chunk's grid samples.
    quarters: Vec<f32>,
    /// `x(m + 3/4)`: the previous chunk's last, then the chunk's.
    three_quarters: Vec<f32>,
    /// The standard meter's short interpolator (see [`MeterKernel`]), one entry per point it
    /// evaluates between two samples; empty at 192 kHz and above.
    meter_phases: Vec<MeterPhase>,
}

/// One point between samples of the standard meter's interpolator: the value at `m + f` is
/// `sum_j taps[j] x[m + first + j]`.
#[derive(Debug, Clone)]
struct MeterPhase {
    first: isize,
    taps: Vec<f32>,
}

/// The short interpolator of the BS.1770-4 true-peak meter as libebur128 (and the `ebur128`
/// crate that `lacquer analyze` uses) builds it: a Hann-windowed sinc spanning 48 taps of
/// the oversampled stream, 4x below 96 kHz and 2x below 192 kHz, none above (ITU-R BS.1770-4
/// Annex 2 gives the 4x factor and a 48-tap filter). Such a short filter lets part of the
/// images above the input's Nyquist frequency through, so on full-band material it reads up
/// to about 0.6 dB *over* the waveform a long interpolator reconstructs. The detector takes
/// the larger of its own estimate and this one, so the meter every loudness tool and
/// streaming service uses also reads the master at or under the ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeterKernel {
    /// 4x, 12 input taps per point (below 96 kHz).
    Four,
    /// 2x, 24 input taps per point (96 to 192 kHz).
    Two,
    /// No oversampling: the standard's meter reads sample peaks (192 kHz and above).
    None,
}

impl MeterKernel {
    /// The kernel libebur128 uses at `sample_rate_hz`.
    pub fn for_sample_rate(sample_rate_hz: f32) -> Self {
        if sample_rate_hz < 96_000.0 {
            Self::Four
        } else if sample_rate_hz < 192_000.0 {
            Self::Two
        } else {
            Self::None
        }
    }

    /// Oversampling factor.
    pub fn factor(self) -> usize {
        match self {
            Self::Four => 4,
            Self::Two => 2,
            Self::None => 1,
        }
    }

    /// The kernel at `t` input samples from the point: `sinc(t)` times a Hann window over the
    /// 48 taps (`24 / factor` input samples each side).
    pub fn weight(self, t: f64) -> f64 {
        let half = 24.0 / self.factor() as f64;
        if t.abs() >= half {
            return 0.0;
        }
        let hann = 0.5 * (1.0 + (std::f64::consts::PI * t / half).cos());
        hann * sinc(t)
    }

    fn phases(self) -> Vec<MeterPhase> {
        let factor = self.factor();
        let half = (24 / factor) as isize;
        (1..factor)
            .map(|p| {
                let f = p as f64 / factor as f64;
                // Samples m + j with |f - j| < half: j from 1 - half to half.
                let first = 1 - half;
                let taps = (first..=half)
                    .map(|j| self.weight(f - j as f64) as f32)
                    .collect();
                MeterPhase { first, taps }
            })
            .collect()
    }
}

impl Default for TruePeakDetector {
    fn default() -> Self {
        Self::new(48_000.0)
    }
}

impl TruePeakDetector {
    /// A detector for a sample rate in Hz. Allocates its buffers.
    pub fn new(sample_rate_hz: f32) -> Self {
        let a = HalfBandInterpolator::design(STAGE_A_HALF_LENGTH, STAGE_A_BETA);
        let b = HalfBandInterpolator::design(STAGE_B_HALF_LENGTH, STAGE_B_BETA);
        let (ha, hb) = (a.half_length(), b.half_length());
        let lag = hb / 2;
        // Stage A over its own window: sample n+h-1-k (left) and n+h+k (right).
        let stage_a = a
            .side_taps()
            .iter()
            .enumerate()
            .map(|(k, &w)| PairTap {
                weight: w as f32,
                left_offset: ha - 1 - k,
                right_offset: ha + k,
            })
            .collect();
        // Stage B on the 2x stream z (z[2m] = x[m], z[2m+1] = x(m + 1/2)), written over the
        // planar arrays X (input, offset `lag - 1` = X[i]) and H (midpoints, offset `lag` =
        // H[i]). Tap j of the point at 2x index k pairs z[k - j] and z[k + 1 + j].
        let (mut quarter, mut three) = (Vec::new(), Vec::new());
        for (j, &w) in b.side_taps().iter().enumerate() {
            let u = j / 2;
            let weight = w as f32;
            let (x, h) = (lag - 1, lag); // offsets of X[i] and H[i]
            if j % 2 == 0 {
                // k = 2m: x[m - u] + x(m + u + 1/2); k = 2m + 1: x(m - u + 1/2) + x[m + 1 + u].
                quarter.push(PairTap {
                    weight,
                    left_offset: x - u,
                    right_offset: h + u,
                });
                three.push(PairTap {
                    weight,
                    left_offset: x + 1 + u,
                    right_offset: h - u,
                });
            } else {
                // k = 2m: x(m - u - 1/2) + x[m + u + 1]; k = 2m + 1: x[m - u] + x(m + u + 3/2).
                quarter.push(PairTap {
                    weight,
                    left_offset: x + u + 1,
                    right_offset: h - u - 1,
                });
                three.push(PairTap {
                    weight,
                    left_offset: x - u,
                    right_offset: h + u + 1,
                });
            }
        }
        let mut detector = Self {
            mode: DetectorMode::for_sample_rate(sample_rate_hz),
            use_avx: cpu_has_avx(),
            ha,
            hb,
            stage_a,
            stage_b_quarter: quarter,
            stage_b_three_quarters: three,
            samples: vec![0.0; 2 * ha - 1 + CHUNK_SAMPLES],
            halves: vec![0.0; HB_HISTORY + CHUNK_SAMPLES],
            quarters: vec![0.0; CHUNK_SAMPLES],
            three_quarters: vec![0.0; 1 + CHUNK_SAMPLES],
            meter_phases: MeterKernel::for_sample_rate(sample_rate_hz).phases(),
        };
        detector.reset();
        detector
    }

    /// The grid density in use.
    pub fn mode(&self) -> DetectorMode {
        self.mode
    }

    /// Samples between an input sample entering and the estimate around it leaving: the first
    /// stage's half-length plus half the second's (the grid's right-hand neighbour falls
    /// inside that).
    pub fn delay_samples(&self) -> usize {
        match self.mode {
            DetectorMode::FourPoints => self.ha + self.hb / 2,
        }
    }

    /// Clears the history (as if preceded by silence). Allocation-free.
    pub fn reset(&mut self) {
        for buf in [
            &mut self.samples,
            &mut self.halves,
            &mut self.three_quarters,
        ] {
            buf.iter_mut().for_each(|x| *x = 0.0);
        }
    }

    /// Writes one estimate per input sample to `peaks` (the shorter of the two lengths is
    /// used). Allocation-free; any length.
    pub fn process(&mut self, input: &[f32], peaks: &mut [f32]) {
        for (x, p) in input
            .chunks(CHUNK_SAMPLES)
            .zip(peaks.chunks_mut(CHUNK_SAMPLES))
        {
            let n = x.len().min(p.len());
            let (Some(x), Some(p)) = (x.get(..n), p.get_mut(..n)) else {
                continue;
            };
            match self.mode {
                DetectorMode::FourPoints => self.process_four(x, p),
            }
        }
    }

    fn process_four(&mut self, input: &[f32], peaks: &mut [f32]) {
        let n = input.len();
        let (ha, lag) = (self.ha, self.hb / 2);
        let a_hist = 2 * ha - 1;
        if n == 0 || n > CHUNK_SAMPLES {
            return;
        }
        // Stage A: the midpoints after the samples `ha` back.
        if let Some(dst) = self.samples.get_mut(a_hist..a_hist + n) {
            dst.copy_from_slice(input);
        }
        if let Some(mid) = self.halves.get_mut(HB_HISTORY..HB_HISTORY + n) {
            pair_sum(
                self.use_avx,
                &self.stage_a,
                &self.samples,
                &self.samples,
                mid,
            );
        }
        // Stage B on the planar arrays, for the grid samples m = chunk start - ha - lag + i.
        // X[i] = x[m] sits at samples[ha - 1 - lag + i], H[i] = x(m + 1/2) at
        // halves[HB_HISTORY - lag + i]; the taps reach lag - 1 and lag before those.
        let x_base = ha - 1 - lag - (lag - 1);
        let h_base = HB_HISTORY - 2 * lag;
        if let (Some(xs), Some(hs), Some(q)) = (
            self.samples.get(x_base..),
            self.halves.get(h_base..),
            self.quarters.get_mut(..n),
        ) {
            pair_sum(self.use_avx, &self.stage_b_quarter, xs, hs, q);
        }
        if let (Some(xs), Some(hs), Some(q)) = (
            self.samples.get(x_base..),
            self.halves.get(h_base..),
            self.three_quarters.get_mut(1..1 + n),
        ) {
            pair_sum(self.use_avx, &self.stage_b_three_quarters, xs, hs, q);
        }
        // Grid around m: x(m - 1/4), x(m), x(m + 1/4), x(m + 1/2); neighbours x(m - 1/2) and
        // x(m + 3/4).
        let (Some(xm), Some(half_prev), Some(half), Some(quarter), Some(three), Some(three_next)) = (
            self.samples.get(ha - 1 - lag..ha - 1 - lag + n),
            self.halves
                .get(HB_HISTORY - lag - 1..HB_HISTORY - lag - 1 + n),
            self.halves.get(HB_HISTORY - lag..HB_HISTORY - lag + n),
            self.quarters.get(..n),
            self.three_quarters.get(..n),
            self.three_quarters.get(1..n + 1),
        ) else {
            return;
        };
        let cap = self.mode.max_refinement_gain();
        refine_groups(
            self.use_avx,
            [half_prev, three, xm, quarter, half, three_next],
            peaks,
            self.mode.max_phase_step().cos(),
            cap * cap - 1.0,
        );
        // The standard meter's points between m and m + 1 (its reach, 12 input samples, is
        // far inside the `ha - 1 - lag` samples of history and look-ahead held here).
        let centre = ha - 1 - lag;
        for phase in &self.meter_phases {
            let start = centre.saturating_add_signed(phase.first);
            if let Some(xs) = self.samples.get(start..) {
                max_abs_fir(self.use_avx, &phase.taps, xs, peaks);
            }
        }
        // Keep the histories.
        self.samples.copy_within(n..n + a_hist, 0);
        self.halves.copy_within(n..n + HB_HISTORY, 0);
        self.three_quarters.copy_within(n..n + 1, 0);
    }
}

#[cfg(test)]
mod tests;
