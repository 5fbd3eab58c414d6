//! Track analysis for the assistant: everything [`TrackFeatures`] holds, measured on a whole
//! file or on audio captured in the plugin, as one pure function ([`analyze_track`]).
//!
//! - Loudness: integrated loudness, loudness range and true peak from the `ebur128` crate
//!   (ITU-R BS.1770-4, EBU Tech 3342), fed in consecutive 3 s windows so the same pass also
//!   gives each window's short-term loudness.
//! - Long-term spectrum: Welch's method (Hann windows, 50 % overlap, power spectra averaged;
//!   P. D. Welch, IEEE Trans. Audio Electroacoust. 15(2), 1967) on mid = (L + R) / 2 and
//!   side = (L - R) / 2. Every FFT frame belongs to the 3 s window holding its centre; only
//!   the windows within 10 LU of the loud part count ([`RELATIVE_GATE_LU`], a level gate in
//!   the manner of BS.1770's relative gate), each by its energy, so intros, breaks and
//!   fade-outs do not pull the balance towards their quieter, thinner sound (the same idea
//!   as Ozone's "loudest part" and Matchering's loudest pieces) and a small level change
//!   cannot swap which windows count. Band power is the sum of the
//!   bin powers whose frequency lies inside the band's edges (IEC 61260-1 base-10 bands).
//! - Percussiveness: see [`percussiveness`].

use super::profile::{NUM_BANDS, TrackFeatures, band_edges_hz};
use crate::dsp::loudness_match::k_weighting;
use crate::meter::stream::StepBuffer;
use ebur128::{EbuR128, Mode};
use percussion::Percussion;
#[cfg(test)]
use realfft::RealFftPlanner;
#[cfg(test)]
use welch::bin_weights;
use welch::{WelchBands, WindowPower};

mod percussion;
mod welch;

/// Length of the windows the spectrum is gated by, seconds (the EBU short-term window,
/// EBU Tech 3341).
pub const WINDOW_S: f32 = 3.0;

/// Least number of FFT bins the lowest band (20 Hz: 17.8 to 22.4 Hz, 4.6 Hz wide) must get.
/// With three or more bins the band's power is a sum over several independent estimates
/// instead of hanging on one or two bins whose Hann main lobe (4 bins wide) mostly lies in
/// the neighbouring bands.
pub const MIN_BINS_LOWEST_BAND: f32 = 3.0;

/// Upper frequency of the "low end" whose side-to-mid ratio measures mono-ness, Hz (below
/// about 120 Hz mastering engineers keep bass mono; vinyl cutting and club systems need it).
pub const LOW_END_HZ: f32 = 120.0;

/// How far below the energy mean of the loudest half of the windows a window may lie and
/// still count in the long-term spectrum, LU (the BS.1770-4 relative gate's 10 LU, applied to
/// 3 s windows). A level gate instead of "the loudest half by count": a 5 dB EQ change moves
/// a window's loudness by a fraction of that and cannot swap half the windows in or out, and a
/// window near the gate adds a tenth of a loud window's power at most.
pub const RELATIVE_GATE_LU: f64 = 10.0;

/// Absolute gate of the windows, LUFS (BS.1770-4): silence never counts.
pub const ABSOLUTE_GATE_LUFS: f64 = -70.0;

/// Band powers are floored this far below the K-weighted total, dB, so silent bands (above
/// Nyquist, or the side of a mono file) have a finite level.
pub const BAND_FLOOR_DB: f32 = -100.0;

/// Side-to-mid ratios (per band and low end) are clamped to +/- this, dB: beyond 60 dB a band
/// is simply mono (or side-only) and the exact figure means nothing.
pub const SIDE_TO_MID_LIMIT_DB: f32 = 60.0;

/// Frame length of the percussiveness envelope, ms.
pub const PERCUSSION_FRAME_MS: f32 = 10.0;

/// Neighbourhood the percussiveness compares each frame with: this many frames either side
/// (15 x 10 ms: 310 ms in all, longer than a drum hit's decay, shorter than a bar).
pub const PERCUSSION_NEIGHBOURS: usize = 15;

/// A frame counts as a transient when its energy is at least this many times the mean energy
/// of its neighbourhood (6 dB).
pub const PERCUSSION_RATIO: f64 = 4.0;

/// FFT length for the long-term spectrum at `sample_rate_hz`: the smallest power of two whose
/// bin spacing gives the 20 Hz band at least [`MIN_BINS_LOWEST_BAND`] bins (32768 at 44.1 and
/// 48 kHz: 1.35 and 1.46 Hz bins, 0.74 and 0.68 s frames; 65536 at 96 kHz).
pub fn fft_len_for(sample_rate_hz: f32) -> usize {
    let (lo, hi) = band_edges_hz(0);
    let max_bin_hz = (hi - lo) / MIN_BINS_LOWEST_BAND;
    let wanted = (sample_rate_hz.max(1.0) / max_bin_hz).ceil() as usize;
    wanted.next_power_of_two().max(1024)
}

/// Relative power weight of each band for the level normalisation: the BS.1770-4 K-weighting
/// (pre-filter and RLB high-pass) at the band centre, evaluated on the analog prototype (the
/// digital filters at 192 kHz, where bilinear warping below 20 kHz is negligible).
pub fn k_weight_per_band() -> [f64; NUM_BANDS] {
    let fs = 192_000.0f64;
    let stages = k_weighting(fs as f32);
    std::array::from_fn(|band| {
        let w = 2.0 * std::f64::consts::PI * f64::from(super::profile::band_centre_hz(band)) / fs;
        stages
            .iter()
            .map(|&[b0, b1, b2, a1, a2]| {
                // |H(e^jw)|^2 of b0 + b1 z^-1 + b2 z^-2 over 1 + a1 z^-1 + a2 z^-2.
                let num_re = b0 + b1 * w.cos() + b2 * (2.0 * w).cos();
                let num_im = -b1 * w.sin() - b2 * (2.0 * w).sin();
                let den_re = 1.0 + a1 * w.cos() + a2 * (2.0 * w).cos();
                let den_im = -a1 * w.sin() - a2 * (2.0 * w).sin();
                (num_re * num_re + num_im * num_im) / (den_re * den_re + den_im * den_im)
            })
            .product()
    })
}

/// Measures one track: `channels` holds one slice per channel (mono or stereo; a mono track
/// has silence as its side; further channels are ignored; all are cut to the shortest),
/// `sample_rate_hz` its rate. Silence or an empty track gives `None` loudness figures and a
/// spectrum at the floor.
///
/// The whole-slice form of [`TrackAnalyzer`]: the same features, bit for bit.
pub fn analyze_track(channels: &[&[f32]], sample_rate_hz: f32) -> TrackFeatures {
    let mut analyzer = TrackAnalyzer::new(channels.len(), sample_rate_hz);
    analyzer.push(channels);
    analyzer.finish()
}

/// [`analyze_track`] in constant memory: audio is pushed block by block (planar, of any
/// lengths) and [`TrackAnalyzer::finish`] gives the [`TrackFeatures`], bit-identical to
/// [`analyze_track`] on the concatenated audio whatever the block sizes.
///
/// - The `ebur128` meter is fed one 3 s window per call, counted from the track's start (a
///   window that straddles two blocks is gathered first: at most 3 s of the first two
///   channels, 9 MB at 384 kHz), and read after each, as the whole-slice analysis did.
/// - Mid and side go through a sliding buffer of one FFT frame ([`fft_len_for`]); each frame
///   is transformed as soon as its last sample arrives, at the same positions as before.
/// - Percussiveness keeps only the last 32 frame energies.
///
/// Memory per hour of audio: 65 band powers and one loudness per 3 s window (about 630 KB), plus `ebur128`'s gating history (one number per 100 ms block).
pub struct TrackAnalyzer {
    /// The rate, at least 1 Hz.
    rate: f32,
    num_channels: usize,
    num_frames: usize,
    loudness: WindowLoudness,
    spectrum: WelchBands,
    percussion: Percussion,
    /// Mid and side of the current block (stereo).
    mid: Vec<f32>,
    side: Vec<f32>,
}

impl std::fmt::Debug for TrackAnalyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrackAnalyzer")
            .field("num_channels", &self.num_channels)
            .field("num_frames", &self.num_frames)
            .finish_non_exhaustive()
    }
}

impl TrackAnalyzer {
    /// A track of `num_channels` channels (only the first two count) at `sample_rate_hz`.
    pub fn new(num_channels: usize, sample_rate_hz: f32) -> Self {
        let num_channels = num_channels.min(2);
        let rate = sample_rate_hz.max(1.0);
        let window_len = ((WINDOW_S * rate).round() as usize).max(1);
        Self {
            rate,
            num_channels,
            num_frames: 0,
            loudness: WindowLoudness::new(num_channels, rate, window_len),
            spectrum: WelchBands::new(rate, window_len),
            percussion: Percussion::new(rate),
            mid: Vec::new(),
            side: Vec::new(),
        }
    }

    /// Measures the next `block`: one slice per channel. Only the first two count, and they
    /// are cut to the shortest of them (a missing one counts as empty), as [`analyze_track`]
    /// cuts a whole track; give every block all channels at one length.
    pub fn push(&mut self, block: &[&[f32]]) {
        let chans = &block[..block.len().min(self.num_channels)];
        let frames = if chans.len() < self.num_channels {
            0
        } else {
            chans.iter().map(|c| c.len()).min().unwrap_or(0)
        };
        if frames == 0 {
            return;
        }
        self.num_frames += frames;
        match *chans {
            [left, right] => {
                let (left, right) = (&left[..frames], &right[..frames]);
                self.loudness.push(&[left, right]);
                self.mid.clear();
                self.mid
                    .extend(left.iter().zip(right).map(|(l, r)| 0.5 * (l + r)));
                self.side.clear();
                self.side
                    .extend(left.iter().zip(right).map(|(l, r)| 0.5 * (l - r)));
                self.spectrum.push(&self.mid, Some(&self.side));
                self.percussion.push(&self.mid);
            }
            [mono] => {
                let mono = &mono[..frames];
                self.loudness.push(&[mono]);
                self.spectrum.push(mono, None);
                self.percussion.push(mono);
            }
            _ => {}
        }
    }

    /// The [`TrackFeatures`] of everything pushed.
    pub fn finish(self) -> TrackFeatures {
        let num_frames = self.num_frames;
        let loudness = self.loudness.finish(num_frames);
        let windows = self.spectrum.finish();
        let rate = self.rate;
        let percussiveness = self.percussion.finish();

        let gated = gated_windows(&windows, &loudness.window_lufs);
        let mut total = WindowPower::default();
        for &w in &gated {
            let src = &windows[w];
            for band in 0..NUM_BANDS {
                total.mid[band] += src.mid[band];
                total.side[band] += src.side[band];
            }
            total.low_mid += src.low_mid;
            total.low_side += src.low_side;
            total.num_frames += src.num_frames;
        }

        let (mid_db, side_db) = normalised_bands(&total.mid, &total.side);
        let side_to_mid_db = std::array::from_fn(|b| clamp_ratio_db(side_db[b] - mid_db[b]));
        let low_end_side_to_mid_db = if total.low_mid > 0.0 || total.low_side > 0.0 {
            let ratio =
                total.low_side.max(f64::MIN_POSITIVE) / total.low_mid.max(f64::MIN_POSITIVE);
            clamp_ratio_db((10.0 * ratio.log10()) as f32)
        } else {
            -SIDE_TO_MID_LIMIT_DB
        };

        TrackFeatures {
            integrated_lufs: loudness.integrated_lufs,
            loudness_range_lu: loudness.loudness_range_lu,
            plr_db: match (loudness.true_peak_dbtp, loudness.integrated_lufs) {
                (Some(tp), Some(i)) => Some(tp - i),
                _ => None,
            },
            true_peak_dbtp: loudness.true_peak_dbtp,
            mid_db,
            side_db,
            side_to_mid_db,
            low_end_side_to_mid_db,
            percussiveness,
            duration_s: num_frames as f32 / rate,
        }
    }
}

/// The windows whose powers make the long-term spectrum: those holding at least one FFT
/// frame, above [`ABSOLUTE_GATE_LUFS`], and no more than [`RELATIVE_GATE_LU`] below the
/// energy mean of the loudest half of them (the gate's reference, a mean of powers, moves
/// smoothly when windows trade places around the median). Their powers are summed as they
/// are, so each window counts by its energy, as in BS.1770 gating. If none passes (a track
/// shorter than a window, or all silent windows), every window with frames counts.
fn gated_windows(windows: &[WindowPower], window_lufs: &[f64]) -> Vec<usize> {
    let loud = |w: usize| window_lufs.get(w).copied().unwrap_or(f64::NEG_INFINITY);
    let with_frames: Vec<usize> = (0..windows.len())
        .filter(|&w| windows[w].num_frames > 0)
        .collect();
    let mut levels: Vec<f64> = with_frames
        .iter()
        .map(|&w| loud(w))
        .filter(|&l| l.is_finite() && l > ABSOLUTE_GATE_LUFS)
        .collect();
    if levels.is_empty() {
        return with_frames;
    }
    levels.sort_by(|a, b| b.total_cmp(a));
    let top = &levels[..levels.len().div_ceil(2)];
    let mean_power = top.iter().map(|l| 10f64.powf(l / 10.0)).sum::<f64>() / top.len() as f64;
    let gate = (10.0 * mean_power.log10() - RELATIVE_GATE_LU).max(ABSOLUTE_GATE_LUFS);
    with_frames
        .into_iter()
        .filter(|&w| loud(w) > gate)
        .collect()
}

fn clamp_ratio_db(db: f32) -> f32 {
    db.clamp(-SIDE_TO_MID_LIMIT_DB, SIDE_TO_MID_LIMIT_DB)
}

/// Level in dB per band, normalised so the K-weighted power sum of the mid bands is 0 dB
/// (see [`TrackFeatures::mid_db`]); the side uses the same offset. A track with no mid at all
/// (left = -right) is normalised by its side instead, so its side-to-mid ratio still says
/// "all side".
fn normalised_bands(
    mid: &[f64; NUM_BANDS],
    side: &[f64; NUM_BANDS],
) -> ([f32; NUM_BANDS], [f32; NUM_BANDS]) {
    let weights = k_weight_per_band();
    let weighted =
        |bands: &[f64; NUM_BANDS]| -> f64 { bands.iter().zip(&weights).map(|(p, w)| p * w).sum() };
    let reference = match weighted(mid) {
        m if m > 0.0 => m,
        _ => weighted(side),
    };
    if !(reference > 0.0 && reference.is_finite()) {
        return ([BAND_FLOOR_DB; NUM_BANDS], [BAND_FLOOR_DB; NUM_BANDS]);
    }
    let floor = 10f64.powf(f64::from(BAND_FLOOR_DB) / 10.0);
    let to_db = |p: f64| (10.0 * (p / reference).max(floor).log10()) as f32;
    (mid.map(to_db), side.map(to_db))
}

/// Loudness figures of the whole track and the short-term loudness of each 3 s window.
struct Loudness {
    integrated_lufs: Option<f32>,
    loudness_range_lu: Option<f32>,
    true_peak_dbtp: Option<f32>,
    window_lufs: Vec<f64>,
}

/// One `ebur128` pass in 3 s steps: after each full window, its short-term loudness is the
/// loudness of exactly that window. A final partial window is kept only when it is the only
/// one (tracks under 3 s). The meter gets one window per call, as the whole-slice analysis
/// fed it.
struct WindowLoudness {
    num_channels: usize,
    /// `None` when the meter could not be made; a failed call stops the measurement.
    meter: Option<EbuR128>,
    failed: bool,
    steps: StepBuffer,
    window_lufs: Vec<f64>,
}

impl WindowLoudness {
    fn new(num_channels: usize, rate: f32, window_len: usize) -> Self {
        let mode = Mode::I | Mode::S | Mode::LRA | Mode::TRUE_PEAK;
        Self {
            num_channels,
            meter: EbuR128::new(num_channels as u32, rate.round() as u32, mode).ok(),
            failed: false,
            steps: StepBuffer::new(num_channels, window_len),
            window_lufs: Vec::new(),
        }
    }

    fn push(&mut self, block: &[&[f32]]) {
        let Some(meter) = self.meter.as_mut().filter(|_| !self.failed) else {
            return;
        };
        let window_lufs = &mut self.window_lufs;
        let result = self
            .steps
            .push(block, |window| read_window(meter, window_lufs, window));
        self.failed = result.is_err();
    }

    fn finish(mut self, num_frames: usize) -> Loudness {
        let mut out = Loudness {
            integrated_lufs: None,
            loudness_range_lu: None,
            true_peak_dbtp: None,
            window_lufs: Vec::new(),
        };
        let Some(mut meter) = self.meter.take() else {
            return out;
        };
        let rest = self.steps.remainder();
        if !self.failed && rest.first().is_some_and(|c| !c.is_empty()) {
            if self.window_lufs.is_empty() {
                // The first window, partial: the track is shorter than a window.
                self.failed = read_window(&mut meter, &mut self.window_lufs, &rest).is_err();
            } else {
                self.failed = meter.add_frames_planar_f32(&rest).is_err();
            }
        }
        out.window_lufs = self.window_lufs;
        if self.failed {
            return out;
        }
        let finite = |v: f64| v.is_finite().then_some(v as f32);
        out.integrated_lufs = meter.loudness_global().ok().and_then(finite);
        if out.integrated_lufs.is_some() && num_frames >= self.steps.step() {
            out.loudness_range_lu = meter.loudness_range().ok().and_then(finite);
        }
        let peak = (0..self.num_channels as u32)
            .map(|ch| meter.true_peak(ch).unwrap_or(0.0))
            .fold(0.0f64, f64::max);
        out.true_peak_dbtp = (peak > 0.0).then(|| (20.0 * peak.log10()) as f32);
        out
    }
}

/// Feeds one window to the meter and reads its short-term loudness.
fn read_window(
    meter: &mut EbuR128,
    window_lufs: &mut Vec<f64>,
    window: &[&[f32]],
) -> Result<(), ebur128::Error> {
    meter.add_frames_planar_f32(window)?;
    let lufs = meter.loudness_shortterm().unwrap_or(f64::NEG_INFINITY);
    window_lufs.push(if lufs.is_nan() {
        f64::NEG_INFINITY
    } else {
        lufs
    });
    Ok(())
}

/// How percussive the track is, 0..1: the share of the energy of the pre-emphasised mid signal
/// that lies in transient frames.
///
/// The mid is first differentiated (y\[n\] = x\[n\] - x[n-1], +6 dB/octave), so broadband drum
/// attacks stand out over sustained bass and pads, whose energy is mostly low. Its energy is
/// taken in consecutive 10 ms frames; a frame is a transient when its energy is at least
/// [`PERCUSSION_RATIO`] (6 dB) times the mean energy of the +/- 150 ms around it. Steady
/// sounds (sustained notes, noise: 10 ms frames of noise vary by a fraction of a dB) give 0;
/// isolated hits, whose energy mostly arrives in the first frames after the attack, approach
/// 1; a dense, heavily limited mix lies in between. This is the energy-based onset idea of
/// Bello et al., "A tutorial on onset detection in music signals" (IEEE TSAP 13(5), 2005),
/// reduced to one number; it is cheap (one pass) and its meaning can be said in one sentence.
pub fn percussiveness(mid: &[f32], sample_rate_hz: f32) -> f32 {
    let mut percussion = Percussion::new(sample_rate_hz);
    percussion.push(mid);
    percussion.finish()
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod stream_tests;
