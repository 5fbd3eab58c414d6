//! The resonance detector: from one frame's spectrum to a gain per bin.
//!
//! The bins are grouped into detection bands about 1/24 octave wide (one bin each where a bin
//! is wider than that, below about 800 Hz at 2048-point frames and 48 kHz). Per band:
//!
//! 1. `level`: the band's mean power per bin, smoothed over time with the detector time
//!    constant (a level that lasts, not one frame's noise).
//! 2. `baseline`: the band's neighbourhood, the mean of `ln level` over the bands between
//!    1/6 and 1/2 octave below it and, separately, above it, averaged (so a straight spectral
//!    tilt in log-frequency cancels, and the band itself and a narrow resonance's skirts are
//!    not part of their own reference).
//! 3. `excess = level - baseline` in dB: how far the band sticks out over its neighbours.
//!    A broadband event (a cymbal, a drum hit) raises the neighbours with the band and does
//!    not stick out; a narrow boost (a ringing mode, a harsh partial, a static EQ peak) does.
//! 4. `target = amount * SLOPE * (excess - threshold)`, between 0 and the depth, weighted by the
//!    focus range (a half-octave fade at either end), smoothed across neighbouring bands.
//! 5. The reduction follows the target: at once when it grows (the detector's smoothing is
//!    the attack), with the release time when it shrinks.
//!
//! The gain of each bin is interpolated linearly between the gains of the band centres on
//! either side, so the reduction has no steps across frequency.

use super::ResonanceSettings;

/// Detection bands per octave where bins are narrow enough.
pub const BANDS_PER_OCTAVE: f32 = 24.0;
/// Inner edge of the baseline's neighbourhood, octaves from the band.
pub const BASELINE_INNER_OCT: f32 = 1.0 / 6.0;
/// Outer edge of the baseline's neighbourhood, octaves from the band.
pub const BASELINE_OUTER_OCT: f32 = 0.5;
/// Excess over the baseline below which nothing is reduced, dB, for a band of many bins.
pub const THRESHOLD_DB: f32 = 2.0;
/// Added to the threshold of a band whose local level is as steady as the mean of `n`
/// independent bins: this over `sqrt(n)`, dB. A narrow band's level is the mean of fewer bins
/// and wanders further from its neighbours by chance.
pub const FEW_BINS_MARGIN_DB: f32 = 3.0;
/// Reduction per dB of excess over the threshold at 100 %. Above 1 so that a peak comes down
/// to about its threshold although the smoothing across bands spreads its reduction.
pub const SLOPE: f32 = 2.0;
/// Width of the fade at each end of the focus range, octaves.
pub const FOCUS_FADE_OCT: f32 = 0.5;
/// Lowest frequency the detector considers at all, Hz.
pub const LOWEST_HZ: f32 = 20.0;

/// Difference between the two sides of the neighbourhood that a spectral tilt explains, dB:
/// beyond it the baseline leans towards the higher side (see `run`).
pub const FLANK_SPREAD_DB: f32 = 3.0;
const FLANK_SPREAD_NEPER: f32 = FLANK_SPREAD_DB / DB_PER_NEPER_POWER;

const DB_PER_NEPER_POWER: f32 = 10.0 / std::f32::consts::LN_10;
const NEPER_PER_DB_AMPLITUDE: f32 = std::f32::consts::LN_10 / 20.0;

/// The band layout of one frame size and rate, and the detector's running state.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    /// First bin of each band (the band ends where the next begins); one more entry than bands.
    band_start: Vec<usize>,
    /// Geometric centre of each band, Hz.
    centre_hz: Vec<f32>,
    /// Band ranges of the lower and upper neighbourhoods: `[lo_start, lo_end, hi_start, hi_end)`.
    neighbours: Vec<[usize; 4]>,
    /// For each bin: the fraction of the way from the centre of the band at or below it to
    /// the next band's centre.
    bin_frac: Vec<f32>,
    /// The bins interpolated between the centres of band `b` and `b + 1` end before
    /// `segment_end[b]` (each segment starts where the previous ended, the first at the
    /// first band's first bin).
    segment_end: Vec<usize>,
    /// Smoothed power per band.
    level: Vec<f32>,
    /// This frame's mean power per bin of each band.
    band_mean: Vec<f32>,
    /// `ln level` per band and its prefix sums.
    log_level: Vec<f32>,
    prefix: Vec<f32>,
    /// Target and smoothed reduction per band, dB (>= 0).
    target_db: Vec<f32>,
    reduction_db: Vec<f32>,
    /// Linear gain per band.
    gain: Vec<f32>,
    /// Focus weight per band (0..1).
    focus: Vec<f32>,
    /// Threshold of each band, dB (see [`FEW_BINS_MARGIN_DB`]).
    threshold_db: Vec<f32>,
    /// Smoothing coefficients per frame: detector level and release.
    level_coef: f32,
    release_coef: f32,
    /// What the focus weights and coefficients were made for.
    made_for: Option<(f32, f32, f32)>,
    frame_hz: f32,
    first_frame: bool,
    /// Per band, frames counted in each [`STATS_STEP_DB`] step of reduction (offline
    /// statistics, see [`Detector::set_collect_stats`]); empty while not collecting.
    histogram: Vec<u32>,
    stats_frames: u32,
}

/// Width of a step of the reduction statistics, dB.
pub const STATS_STEP_DB: f32 = 0.25;
/// Steps of the reduction statistics (reductions beyond the last step count in it).
pub const STATS_STEPS: usize = 64;

/// How much one detection band was reduced over the frames counted.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BandStats {
    /// Centre of the band, Hz.
    pub centre_hz: f32,
    /// Mean reduction, dB.
    pub mean_db: f32,
    /// Reduction exceeded in 5 % of the frames, dB (to a [`STATS_STEP_DB`] step).
    pub p95_db: f32,
    /// Share of the frames with more than 1 dB of reduction, 0..1.
    pub share_over_1db: f32,
}

impl Detector {
    /// Lays out the bands for frames of `fft_len` at `sample_rate_hz`. Allocates.
    pub fn configure(&mut self, sample_rate_hz: f32, fft_len: usize) {
        let num_bins = fft_len / 2 + 1;
        let bin_hz = sample_rate_hz / fft_len as f32;
        let ratio = 2f32.powf(1.0 / BANDS_PER_OCTAVE);
        let mut starts = Vec::new();
        let mut bin = (LOWEST_HZ / bin_hz).floor().max(1.0) as usize;
        while bin < num_bins - 1 {
            starts.push(bin);
            let f = bin as f32 * bin_hz;
            let next = ((f * ratio) / bin_hz).round() as usize;
            bin = next.max(bin + 1);
        }
        starts.push(num_bins - 1);
        let num_bands = starts.len() - 1;
        let centre_hz: Vec<f32> = (0..num_bands)
            .map(|b| {
                let lo = (starts[b] as f32 - 0.5).max(0.5) * bin_hz;
                let hi = (starts[b + 1] as f32 - 0.5) * bin_hz;
                (lo * hi).sqrt()
            })
            .collect();
        let band_at = |hz: f32| centre_hz.partition_point(|&c| c < hz);
        let neighbours = centre_hz
            .iter()
            .map(|&c| {
                let inner = 2f32.powf(BASELINE_INNER_OCT);
                let outer = 2f32.powf(BASELINE_OUTER_OCT);
                [
                    band_at(c / outer),
                    band_at(c / inner),
                    band_at(c * inner * 1.0001),
                    band_at(c * outer),
                ]
            })
            .collect();
        let first_bin = starts[0];
        let mut bin_frac = vec![0.0f32; num_bins];
        let mut segment_end = vec![num_bins; num_bands];
        let mut band = 0usize;
        for (bin, slot) in bin_frac.iter_mut().enumerate().skip(first_bin) {
            let f = bin as f32 * bin_hz;
            while band + 1 < num_bands && centre_hz[band + 1] <= f {
                segment_end[band] = bin;
                band += 1;
            }
            let frac = if band + 1 < num_bands && f > centre_hz[band] {
                (f - centre_hz[band]) / (centre_hz[band + 1] - centre_hz[band])
            } else {
                0.0
            };
            *slot = frac.clamp(0.0, 1.0);
        }
        // The local level weighs the band and its two neighbours 1/2, 1/4, 1/4 (see `run`); the
        // variance of that mean is that of this many independent bins.
        let bins: Vec<f32> = starts.windows(2).map(|w| (w[1] - w[0]) as f32).collect();
        let threshold_db = (0..bins.len())
            .map(|b| {
                let own = bins[b];
                let prev = if b > 0 { bins[b - 1] } else { own };
                let next = bins.get(b + 1).copied().unwrap_or(own);
                let variance = 0.25 / own + 0.0625 / prev + 0.0625 / next;
                THRESHOLD_DB + FEW_BINS_MARGIN_DB * variance.sqrt()
            })
            .collect();
        *self = Self {
            band_start: starts,
            centre_hz,
            neighbours,
            bin_frac,
            segment_end,
            level: vec![0.0; num_bands],
            band_mean: vec![0.0; num_bands],
            log_level: vec![0.0; num_bands],
            prefix: vec![0.0; num_bands + 1],
            target_db: vec![0.0; num_bands],
            reduction_db: vec![0.0; num_bands],
            gain: vec![1.0; num_bands],
            focus: vec![0.0; num_bands],
            threshold_db,
            level_coef: 0.0,
            release_coef: 0.0,
            made_for: None,
            frame_hz: 0.0,
            first_frame: true,
            histogram: Vec::new(),
            stats_frames: 0,
        };
    }

    /// Starts (and clears) or stops counting every frame's reductions. Allocates when turned
    /// on: for offline analysis, not the audio thread.
    pub fn set_collect_stats(&mut self, collect: bool) {
        self.histogram = if collect {
            vec![0; self.num_bands() * STATS_STEPS]
        } else {
            Vec::new()
        };
        self.stats_frames = 0;
    }

    /// The statistics of every band since collecting began (empty if not collecting).
    pub fn stats(&self) -> Vec<BandStats> {
        if self.histogram.is_empty() || self.stats_frames == 0 {
            return Vec::new();
        }
        let n = self.stats_frames as f32;
        self.histogram
            .chunks(STATS_STEPS)
            .zip(&self.centre_hz)
            .map(|(h, &centre_hz)| {
                let mut sum = 0.0;
                let mut over_1db = 0u32;
                let mut p95 = None;
                let mut seen = 0u32;
                for (step, &count) in h.iter().enumerate() {
                    let db = (step as f32 + 0.5) * STATS_STEP_DB;
                    sum += db * count as f32;
                    if step as f32 * STATS_STEP_DB >= 1.0 {
                        over_1db += count;
                    }
                    seen += count;
                    if p95.is_none() && seen as f32 >= 0.95 * n {
                        p95 = Some((step as f32 + 1.0) * STATS_STEP_DB);
                    }
                }
                // Step 0 holds the frames without reduction: count them as 0 dB, not 0.125.
                let mean_db = (sum - 0.5 * STATS_STEP_DB * h[0] as f32) / n;
                let p95_db = if h[0] as f32 >= 0.95 * n {
                    0.0
                } else {
                    p95.unwrap_or(STATS_STEPS as f32 * STATS_STEP_DB)
                };
                BandStats {
                    centre_hz,
                    mean_db,
                    p95_db,
                    share_over_1db: over_1db as f32 / n,
                }
            })
            .collect()
    }

    /// Sets how many frames run per second (the hop rate) for the time constants.
    pub fn set_frame_rate(&mut self, frames_per_second: f32) {
        if frames_per_second != self.frame_hz {
            self.frame_hz = frames_per_second;
            self.made_for = None;
        }
    }

    /// Forgets all history: levels start from the next frame, no reduction.
    pub fn reset(&mut self) {
        self.level.fill(0.0);
        self.reduction_db.fill(0.0);
        self.gain.fill(1.0);
        self.first_frame = true;
    }

    /// Number of detection bands.
    pub fn num_bands(&self) -> usize {
        self.centre_hz.len()
    }

    /// Centre frequency of each detection band, Hz.
    pub fn centre_hz(&self) -> &[f32] {
        &self.centre_hz
    }

    /// The current reduction of each detection band, dB (>= 0).
    pub fn reduction_db(&self) -> &[f32] {
        &self.reduction_db
    }

    fn update_coefficients(&mut self, settings: &ResonanceSettings) {
        let key = (settings.low_hz, settings.high_hz, settings.speed_ms);
        if self.made_for == Some(key) {
            return;
        }
        self.made_for = Some(key);
        let per_frame = |ms: f32| {
            let frames = (ms * 0.001 * self.frame_hz).max(1e-3);
            (-1.0 / frames).exp()
        };
        // The level follows with the release time too: the attack is the time it takes the
        // level to rise past the threshold.
        self.level_coef = per_frame(settings.speed_ms);
        self.release_coef = per_frame(settings.speed_ms);
        let (low, high) = (settings.low_hz.min(settings.high_hz), settings.high_hz);
        for (w, &c) in self.focus.iter_mut().zip(&self.centre_hz) {
            let below = (c / low).log2() / FOCUS_FADE_OCT + 1.0;
            let above = (high / c).log2() / FOCUS_FADE_OCT + 1.0;
            *w = below.min(above).clamp(0.0, 1.0);
        }
    }

    /// Runs one frame: reads the spectrum `bins` (power per bin, `fft_len / 2 + 1` values),
    /// updates the reductions and writes the linear gain of every bin into `bin_gain`. Never
    /// allocates.
    pub fn run(&mut self, power: &[f32], bin_gain: &mut [f32], settings: &ResonanceSettings) {
        self.update_coefficients(settings);
        let num_bands = self.num_bands();
        let a = self.level_coef;
        // Each frame's spectrum counts by its shape, not its loudness: a drum hit or a burst of
        // noise scales every band at once and must not outweigh the frames around it.
        let mut total = 0.0f32;
        for b in 0..num_bands {
            let (s, e) = (self.band_start[b], self.band_start[b + 1]);
            let sum = sum4(power.get(s..e).unwrap_or(&[]));
            total += sum;
            self.band_mean[b] = sum / (e - s).max(1) as f32;
        }
        let (first, last) = (self.band_start[0], self.band_start[num_bands]);
        total += sum4(power.get(..first).unwrap_or(&[])) + sum4(power.get(last..).unwrap_or(&[]));
        let norm = if total > 1e-30 {
            power.len() as f32 / total
        } else {
            0.0
        };
        for b in 0..num_bands {
            let mean = norm * self.band_mean[b];
            let level = if self.first_frame {
                mean
            } else {
                a * self.level[b] + (1.0 - a) * mean
            };
            self.level[b] = level;
            self.log_level[b] = fast_ln(level + 1e-20);
        }
        self.first_frame = false;
        let mut sum = 0.0f32;
        self.prefix[0] = 0.0;
        for b in 0..num_bands {
            sum += self.log_level[b];
            self.prefix[b + 1] = sum;
        }
        let amount = (settings.amount_pct / 100.0).clamp(0.0, 1.0);
        let depth = settings.depth_db.max(0.0);
        for b in 0..num_bands {
            let [ls, le, hs, he] = self.neighbours[b];
            let mean = |s: usize, e: usize| {
                (e > s).then(|| (self.prefix[e] - self.prefix[s]) / (e - s) as f32)
            };
            let baseline = match (mean(ls, le), mean(hs, he)) {
                // The two sides averaged, so a tilt cancels; where they differ by more than
                // a tilt would make them, the baseline leans to the higher side: at a cliff
                // (a lossy codec's low-pass, a high-pass) the band beside the drop must not
                // count as sticking out over the empty side.
                (Some(lo), Some(hi)) => {
                    0.5 * (lo + hi) + 0.5 * ((lo - hi).abs() - FLANK_SPREAD_NEPER).max(0.0)
                }
                (Some(x), None) | (None, Some(x)) => x,
                (None, None) => self.log_level[b],
            };
            // The band's own level, smoothed with its neighbours (1/4, 1/2, 1/4) to steady it.
            let prev = if b > 0 {
                self.log_level[b - 1]
            } else {
                self.log_level[b]
            };
            let next = self
                .log_level
                .get(b + 1)
                .copied()
                .unwrap_or(self.log_level[b]);
            let local = 0.25 * prev + 0.5 * self.log_level[b] + 0.25 * next;
            let excess_db = (local - baseline) * DB_PER_NEPER_POWER;
            let over = excess_db - self.threshold_db[b];
            self.target_db[b] = (amount * SLOPE * over).clamp(0.0, depth) * self.focus[b];
        }
        let r = self.release_coef;
        for b in 0..num_bands {
            let prev = if b > 0 { self.target_db[b - 1] } else { 0.0 };
            let next = self.target_db.get(b + 1).copied().unwrap_or(0.0);
            let smoothed = 0.25 * prev + 0.5 * self.target_db[b] + 0.25 * next;
            let target = smoothed.max(0.75 * self.target_db[b]);
            let current = self.reduction_db[b];
            let reduction = if target >= current {
                target
            } else {
                r * current + (1.0 - r) * target
            };
            self.reduction_db[b] = reduction;
            self.gain[b] = if reduction > 0.0 {
                (-reduction * NEPER_PER_DB_AMPLITUDE).exp()
            } else {
                1.0
            };
            if !self.histogram.is_empty() {
                let step = if reduction > 0.0 {
                    ((reduction / STATS_STEP_DB) as usize).min(STATS_STEPS - 1)
                } else {
                    0
                };
                if let Some(count) = self.histogram.get_mut(b * STATS_STEPS + step) {
                    *count += 1;
                }
            }
        }
        if !self.histogram.is_empty() {
            self.stats_frames += 1;
        }
        // Between band centres the gain moves linearly; where both ends are at unity (most of
        // the spectrum, most of the time) the segment is filled without arithmetic.
        let first_bin = self
            .band_start
            .first()
            .copied()
            .unwrap_or(0)
            .min(bin_gain.len());
        bin_gain[..first_bin].fill(1.0);
        let mut start = first_bin;
        for b in 0..num_bands {
            let end = self.segment_end[b].clamp(start, bin_gain.len());
            let g0 = self.gain[b];
            let g1 = self.gain.get(b + 1).copied().unwrap_or(g0);
            let (Some(out), Some(frac)) =
                (bin_gain.get_mut(start..end), self.bin_frac.get(start..end))
            else {
                break;
            };
            if g0 == 1.0 && g1 == 1.0 {
                out.fill(1.0);
            } else {
                for (g, t) in out.iter_mut().zip(frac) {
                    *g = g0 + t * (g1 - g0);
                }
            }
            start = end;
        }
        if let Some(rest) = bin_gain.get_mut(start..) {
            rest.fill(self.gain.last().copied().unwrap_or(1.0));
        }
    }
}

/// Sum of `x` in four interleaved running sums (a single running sum is one long chain of
/// dependent additions the compiler may not reorder).
fn sum4(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 4];
    let chunks = x.chunks_exact(4);
    let rest: f32 = chunks.remainder().iter().sum();
    for c in chunks {
        for (a, v) in acc.iter_mut().zip(c) {
            *a += v;
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + rest
}

/// Natural logarithm of a positive, normal, finite `x` to within about 1e-5 (0.0001 dB of a
/// power ratio), faster than `f32::ln`: the exponent from the bits, `log2` of the mantissa in
/// [1, 2) from a polynomial. Detection needs differences of levels in
/// dB to a few hundredths, not the last digit.
fn fast_ln(x: f32) -> f32 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000) - 1.0;
    // log2(1 + m), m in [0, 1): a least-squares fit of degree 6 through 0, max error 5e-6.
    let log2_m = m
        * (1.442_517
            + m * (-0.717_897_3
                + m * (0.456_888_7 + m * (-0.277_352_9 + m * (0.121_902 - m * 0.026_061_8)))));
    (exponent as f32 + log2_m) * std::f32::consts::LN_2
}

#[cfg(test)]
mod fast_ln_tests {
    use super::fast_ln;

    #[test]
    fn fast_ln_is_within_a_ten_thousandth() {
        let mut x = 1e-20f32;
        while x < 1e20 {
            let err = (fast_ln(x) - x.ln()).abs();
            assert!(err < 2e-5, "ln({x}): {} vs {}", fast_ln(x), x.ln());
            x *= 1.37;
        }
    }
}
