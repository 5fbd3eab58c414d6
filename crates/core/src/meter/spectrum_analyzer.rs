//! GUI-side spectrum analysis of a [`SpectrumFrame`]: Hann window, real FFT (`realfft`), then
//! the energy in a 1/6-octave band around each display frequency, as an RTA shows it (a sine
//! reads its RMS level; pink noise reads flat). Runs on the editor thread only, and only when
//! the editor is open and a new frame arrived.
//!
//! Scaling (Parseval, e.g. Heinzel, Rüdiger & Schilling, "Spectrum and spectral density
//! estimation by the DFT", 2002, §9): with window `w` of length `N`, the one-sided
//! mean-square contribution of bin `k` is `2 |X_k|^2 / (N * sum(w^2))`, so the energies of a
//! band's bins add up to the band's mean square, and `10 log10` of it is the band level in
//! dB RMS re full scale (a 0 dBFS-peak sine reads -3.01 dB).

use super::spectrum::{SPECTRUM_FFT_SIZE, SpectrumFrame};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::f32::consts::PI;
use std::sync::Arc;

/// Lowest display frequency, Hz.
pub const DISPLAY_MIN_HZ: f32 = 20.0;
/// Highest display frequency, Hz (clamped below Nyquist).
pub const DISPLAY_MAX_HZ: f32 = 20_000.0;
/// Display points per octave (finer than the smoothing, so the curve is smooth).
pub const POINTS_PER_OCTAVE: usize = 24;
/// Smoothing bandwidth, octaves: each point is the energy in 1/6 octave around it.
pub const SMOOTHING_OCTAVES: f32 = 1.0 / 6.0;
/// Floor of the reported levels, dB (digital silence reads this, not -inf).
pub const FLOOR_DB: f32 = -150.0;
/// A band is never narrower than this many bins either side of its centre: the Hann main
/// lobe spreads a tone over +-1.5 bins, so a narrower band would under-read a low tone.
const MIN_HALF_WIDTH_BINS: f32 = 1.5;

/// FFT, window and buffers for one spectrum (allocated once in [`SpectrumAnalyzer::new`]).
pub struct SpectrumAnalyzer {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// `2 / (N * sum(w^2))`: bin power to one-sided mean square.
    power_scale: f32,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    /// `cumulative[k]` = energy of bins `0..k`.
    cumulative: Vec<f64>,
    frequencies_hz: Vec<f32>,
    levels_db: Vec<f32>,
}

impl Default for SpectrumAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl SpectrumAnalyzer {
    /// Plans the FFT and allocates every buffer.
    pub fn new() -> Self {
        let n = SPECTRUM_FFT_SIZE;
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n);
        // Periodic Hann window.
        let window: Vec<f32> = (0..n)
            .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f32 / n as f32).cos())
            .collect();
        let sum_sq: f32 = window.iter().map(|w| w * w).sum();
        let num_octaves = (DISPLAY_MAX_HZ / DISPLAY_MIN_HZ).log2();
        let num_points = (num_octaves * POINTS_PER_OCTAVE as f32).round() as usize + 1;
        let frequencies_hz = (0..num_points)
            .map(|i| DISPLAY_MIN_HZ * 2f32.powf(i as f32 / POINTS_PER_OCTAVE as f32))
            .collect();
        Self {
            input: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            cumulative: vec![0.0; n / 2 + 2],
            fft,
            window,
            power_scale: 2.0 / (n as f32 * sum_sq),
            frequencies_hz,
            levels_db: vec![FLOOR_DB; num_points],
        }
    }

    /// Display frequencies, Hz, log-spaced from [`DISPLAY_MIN_HZ`] to [`DISPLAY_MAX_HZ`].
    pub fn frequencies_hz(&self) -> &[f32] {
        &self.frequencies_hz
    }

    /// Levels of the last analysed frame, dB RMS re full scale, one per display frequency.
    pub fn levels_db(&self) -> &[f32] {
        &self.levels_db
    }

    /// Analyses a frame; returns the band levels (dB RMS), one per display frequency.
    pub fn analyze(&mut self, frame: &SpectrumFrame) -> &[f32] {
        for ((x, &s), &w) in self.input.iter_mut().zip(&frame.samples).zip(&self.window) {
            *x = s * w;
        }
        if self
            .fft
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .is_err()
        {
            self.levels_db.fill(FLOOR_DB);
            return &self.levels_db;
        }
        let mut total = 0.0f64;
        self.cumulative[0] = 0.0;
        for (k, c) in self.spectrum.iter().enumerate() {
            total += f64::from(c.norm_sqr() * self.power_scale);
            self.cumulative[k + 1] = total;
        }
        let bin_hz = frame.sample_rate_hz / SPECTRUM_FFT_SIZE as f32;
        let nyquist_hz = frame.sample_rate_hz * 0.5;
        let half_band = 2f32.powf(SMOOTHING_OCTAVES * 0.5);
        for (level, &f) in self.levels_db.iter_mut().zip(&self.frequencies_hz) {
            if f >= nyquist_hz {
                *level = FLOOR_DB;
                continue;
            }
            let centre_bins = f / bin_hz;
            let half_width = (centre_bins * (half_band - 1.0)).max(MIN_HALF_WIDTH_BINS);
            let energy = energy_between(
                &self.cumulative,
                centre_bins - half_width,
                centre_bins + half_width,
            );
            *level = (10.0 * energy.log10() as f32).max(FLOOR_DB);
        }
        &self.levels_db
    }
}

/// Energy between two positions measured in bins (bin `k` spans `k - 0.5 .. k + 0.5`), with
/// the bins at the edges counted in proportion to their overlap.
fn energy_between(cumulative: &[f64], lo_bins: f32, hi_bins: f32) -> f64 {
    let at = |x: f32| -> f64 {
        // Position in "bin edges": edge k is the lower edge of bin k.
        let pos = (f64::from(x) + 0.5).clamp(0.0, (cumulative.len() - 1) as f64);
        let k = pos.floor() as usize;
        let frac = pos - k as f64;
        match (cumulative.get(k), cumulative.get(k + 1)) {
            (Some(&a), Some(&b)) => a + (b - a) * frac,
            (Some(&a), None) => a,
            _ => 0.0,
        }
    };
    (at(hi_bins) - at(lo_bins)).max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_of(signal: impl Fn(f32) -> f32, sample_rate_hz: f32) -> SpectrumFrame {
        SpectrumFrame {
            samples: (0..SPECTRUM_FFT_SIZE)
                .map(|i| signal(i as f32 / sample_rate_hz))
                .collect(),
            sample_rate_hz,
            sequence: 0,
        }
    }

    /// Highest level within 1/20 octave of `freq_hz` (the display points nearest a tone).
    fn peak_near(analyzer: &SpectrumAnalyzer, freq_hz: f32) -> f32 {
        analyzer
            .frequencies_hz()
            .iter()
            .zip(analyzer.levels_db())
            .filter(|(f, _)| (**f / freq_hz).log2().abs() < 0.05)
            .map(|(_, &l)| l)
            .fold(f32::MIN, f32::max)
    }

    #[test]
    fn a_sine_reads_its_rms_level_and_nothing_far_from_it() {
        let mut analyzer = SpectrumAnalyzer::new();
        for (sr, freq, amp) in [
            (48_000.0, 1000.0, 0.5),
            (44_100.0, 63.0, 0.25),
            (96_000.0, 8000.0, 1.0),
        ] {
            let tone = move |t: f32| amp * (2.0 * PI * freq * t).sin();
            analyzer.analyze(&frame_of(tone, sr));
            // Expected: the RMS of a sine, amp / sqrt(2), in dB.
            let expected_db = 20.0 * (amp / 2f32.sqrt()).log10();
            let peak = peak_near(&analyzer, freq);
            assert!(
                (peak - expected_db).abs() < 0.5,
                "{freq} Hz at {sr} Hz: {peak:.2} dB, expected {expected_db:.2} dB"
            );
            // Two octaves away the Hann leakage is far below.
            let far_hz = if freq * 4.0 <= DISPLAY_MAX_HZ {
                freq * 4.0
            } else {
                freq / 4.0
            };
            let far_db = peak_near(&analyzer, far_hz);
            assert!(
                far_db > f32::MIN && far_db < expected_db - 60.0,
                "{far_hz} Hz: {far_db}"
            );
        }
    }

    #[test]
    fn two_tones_keep_their_level_difference() {
        let mut analyzer = SpectrumAnalyzer::new();
        let signal =
            |t: f32| 0.5 * (2.0 * PI * 200.0 * t).sin() + 0.05 * (2.0 * PI * 5000.0 * t).sin();
        analyzer.analyze(&frame_of(signal, 48_000.0));
        let low = peak_near(&analyzer, 200.0);
        let high = peak_near(&analyzer, 5000.0);
        assert!(
            (low - high - 20.0).abs() < 0.5,
            "low {low:.2}, high {high:.2}"
        );
    }

    #[test]
    fn silence_reads_the_floor() {
        let mut analyzer = SpectrumAnalyzer::new();
        let levels = analyzer.analyze(&frame_of(|_| 0.0, 48_000.0));
        assert!(levels.iter().all(|&l| l == FLOOR_DB));
    }
}
