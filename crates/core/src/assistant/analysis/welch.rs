//! Welch power spectra of mid and side, streamed: FFT frames of `fft_len` every `fft_len / 2`
//! samples from the track's start, each summed into the 3 s window holding its centre, from a
//! sliding buffer of one frame of mid and side.

use super::{LOW_END_HZ, fft_len_for};
use crate::assistant::profile::{NUM_BANDS, band_edges_hz};
use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};
use std::sync::Arc;

/// Band powers of one 3 s window, summed over its FFT frames.
#[derive(Debug, Clone, Default)]
pub(super) struct WindowPower {
    pub(super) mid: [f64; NUM_BANDS],
    pub(super) side: [f64; NUM_BANDS],
    pub(super) low_mid: f64,
    pub(super) low_side: f64,
    pub(super) num_frames: usize,
}

/// Where one FFT bin's power goes: up to two bands (index [`NUM_BANDS`] = none) and the low
/// end, each with the fraction of the bin's frequency interval (centre +/- half a bin) that
/// lies inside it. Splitting the edge bins this way, instead of counting a bin wholly in or
/// out by its centre, removes the bias of up to half a bin per edge: at 1.35 Hz bins the 31.5
/// Hz band spans 5.4 bins, and whole-bin counting would read pink noise 0.5 dB high there.
#[derive(Debug, Clone, Copy)]
pub(super) struct BinWeights {
    pub(super) bands: [(usize, f64); 2],
    pub(super) low: f64,
}

/// Overlap of `[a0, a1)` with `[b0, b1)` as a fraction of `a1 - a0`.
fn overlap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    ((a1.min(b1) - a0.max(b0)) / (a1 - a0)).max(0.0)
}

/// [`BinWeights`] of every bin of a spectrum of `num_bins` bins spaced `bin_hz`.
pub(super) fn bin_weights(num_bins: usize, bin_hz: f32) -> Vec<BinWeights> {
    let bin_hz = f64::from(bin_hz);
    let edges: Vec<(f64, f64)> = (0..NUM_BANDS)
        .map(|b| {
            let (lo, hi) = band_edges_hz(b);
            (f64::from(lo), f64::from(hi))
        })
        .collect();
    let lowest_hz = edges[0].0;
    (0..num_bins)
        .map(|bin| {
            let lo = (bin as f64 - 0.5) * bin_hz;
            let hi = (bin as f64 + 0.5) * bin_hz;
            let mut bands = [(NUM_BANDS, 0.0); 2];
            let mut slot = 0;
            for (band, &(b0, b1)) in edges.iter().enumerate() {
                let w = overlap(lo, hi, b0, b1);
                if w > 0.0 && slot < 2 {
                    bands[slot] = (band, w);
                    slot += 1;
                }
            }
            let low = overlap(lo, hi, lowest_hz, f64::from(LOW_END_HZ));
            BinWeights { bands, low }
        })
        .collect()
}

/// The FFT and what goes with it, made when the first sample arrives (as the whole-slice
/// analysis planned it only for a non-empty track).
struct Fft {
    fft_len: usize,
    hop: usize,
    fft: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    spectrum: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    hann: Vec<f32>,
    bins: Vec<BinWeights>,
}

impl Fft {
    fn new(rate: f32) -> Self {
        let fft_len = fft_len_for(rate);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(fft_len);
        let input = fft.make_input_vec();
        let spectrum = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        // Periodic Hann window (the form whose 50 %-overlapped copies sum to a constant).
        let hann: Vec<f32> = (0..fft_len)
            .map(|n| {
                let x = std::f32::consts::PI * n as f32 / fft_len as f32;
                x.sin() * x.sin()
            })
            .collect();
        let bins = bin_weights(spectrum.len(), rate / fft_len as f32);
        Self {
            fft_len,
            hop: fft_len / 2,
            fft,
            input,
            spectrum,
            scratch,
            hann,
            bins,
        }
    }
}

/// Welch power spectra of mid and side, summed into bands per 3 s window, fed block by block.
///
/// Frame starts are every hop while a whole frame fits (a frame is taken as soon as its last
/// sample arrives); a track shorter than one frame gets one zero-padded frame at the end.
/// Power spectra are summed per window bin by bin (cheap, vectorised) and reduced to bands
/// once per window, when the frames move on to the next window. Memory: one frame of mid and
/// side, and one [`WindowPower`] (65 numbers) per 3 s window.
pub(super) struct WelchBands {
    rate: f32,
    window_len: usize,
    fft: Option<Fft>,
    /// Samples pushed.
    len: usize,
    /// Position of `buf_mid[0]` in the track.
    buf_start: usize,
    buf_mid: Vec<f32>,
    buf_side: Vec<f32>,
    frames_done: usize,
    acc_mid: Vec<f32>,
    acc_side: Vec<f32>,
    current: usize,
    windows: Vec<WindowPower>,
}

impl WelchBands {
    /// Windows of `window_len` samples at `rate` (at least 1 Hz).
    pub(super) fn new(rate: f32, window_len: usize) -> Self {
        Self {
            rate,
            window_len,
            fft: None,
            len: 0,
            buf_start: 0,
            buf_mid: Vec::new(),
            buf_side: Vec::new(),
            frames_done: 0,
            acc_mid: Vec::new(),
            acc_side: Vec::new(),
            current: 0,
            windows: vec![WindowPower::default()],
        }
    }

    /// The next samples of mid and (for stereo, as long) side.
    pub(super) fn push(&mut self, mid: &[f32], side: Option<&[f32]>) {
        if mid.is_empty() {
            return;
        }
        if self.fft.is_none() {
            let fft = Fft::new(self.rate);
            self.acc_mid = vec![0.0; fft.spectrum.len()];
            self.acc_side = vec![0.0; fft.spectrum.len()];
            self.buf_mid.reserve_exact(fft.fft_len);
            if side.is_some() {
                self.buf_side.reserve_exact(fft.fft_len);
            }
            self.fft = Some(fft);
        }
        let Some((fft_len, hop)) = self.fft.as_ref().map(|f| (f.fft_len, f.hop)) else {
            return;
        };
        let mut pos = 0;
        while pos < mid.len() {
            let take = (fft_len - self.buf_mid.len()).min(mid.len() - pos);
            self.buf_mid.extend_from_slice(&mid[pos..pos + take]);
            if let Some(side) = side {
                self.buf_side.extend_from_slice(&side[pos..pos + take]);
            }
            pos += take;
            self.len += take;
            if self.buf_mid.len() == fft_len {
                self.frame(self.buf_start + fft_len / 2);
                for buf in [&mut self.buf_mid, &mut self.buf_side] {
                    if buf.len() == fft_len {
                        buf.copy_within(hop.., 0);
                        buf.truncate(fft_len - hop);
                    }
                }
                self.buf_start += hop;
            }
        }
    }

    /// Transforms the buffered frame (whole, or the zero-padded short track) whose centre is
    /// at `centre` and adds its power spectra to its window.
    fn frame(&mut self, centre: usize) {
        let Some(fft) = self.fft.as_mut() else { return };
        let window = centre / self.window_len;
        if self.windows.len() <= window {
            self.windows.resize(window + 1, WindowPower::default());
        }
        if window != self.current {
            reduce_to_bands(
                &self.acc_mid,
                &self.acc_side,
                &fft.bins,
                &mut self.windows[self.current],
            );
            self.acc_mid.fill(0.0);
            self.acc_side.fill(0.0);
            self.current = window;
        }
        self.windows[window].num_frames += 1;
        self.frames_done += 1;
        let side = (!self.buf_side.is_empty()).then_some(self.buf_side.as_slice());
        let signals = [
            (Some(self.buf_mid.as_slice()), &mut self.acc_mid),
            (side, &mut self.acc_side),
        ];
        for (signal, acc) in signals {
            let Some(chunk) = signal else { continue };
            for ((x, &s), &w) in fft.input.iter_mut().zip(chunk).zip(&fft.hann) {
                *x = s * w;
            }
            fft.input[chunk.len()..].fill(0.0);
            if fft
                .fft
                .process_with_scratch(&mut fft.input, &mut fft.spectrum, &mut fft.scratch)
                .is_ok()
            {
                for (a, bin) in acc.iter_mut().zip(&fft.spectrum) {
                    *a += bin.norm_sqr();
                }
            }
        }
    }

    /// The band powers of every 3 s window of the track (as many as it has started, at least
    /// one).
    pub(super) fn finish(mut self) -> Vec<WindowPower> {
        let len = self.len;
        let num_windows = len.div_ceil(self.window_len).max(1);
        if len == 0 {
            return vec![WindowPower::default(); num_windows];
        }
        if self.frames_done == 0 {
            // Shorter than one frame: one frame, zero-padded, centred where it can be.
            let fft_len = self.fft.as_ref().map_or(0, |f| f.fft_len);
            self.frame((fft_len / 2).min(len - 1));
        }
        if let Some(fft) = self.fft.as_ref() {
            reduce_to_bands(
                &self.acc_mid,
                &self.acc_side,
                &fft.bins,
                &mut self.windows[self.current],
            );
        }
        self.windows.resize(num_windows, WindowPower::default());
        self.windows
    }
}

/// Adds summed bin powers of mid and side into the bands and low end of `window`.
pub(super) fn reduce_to_bands(
    mid: &[f32],
    side: &[f32],
    bins: &[BinWeights],
    window: &mut WindowPower,
) {
    for ((&m, &s), weights) in mid.iter().zip(side).zip(bins) {
        let (m, s) = (f64::from(m), f64::from(s));
        for &(band, weight) in &weights.bands {
            if band < NUM_BANDS {
                window.mid[band] += weight * m;
                window.side[band] += weight * s;
            }
        }
        window.low_mid += weights.low * m;
        window.low_side += weights.low * s;
    }
}
