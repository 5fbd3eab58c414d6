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
use ebur128::{EbuR128, Mode};
use realfft::RealFftPlanner;

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

/// Band powers of one 3 s window, summed over its FFT frames.
#[derive(Debug, Clone, Default)]
struct WindowPower {
    mid: [f64; NUM_BANDS],
    side: [f64; NUM_BANDS],
    low_mid: f64,
    low_side: f64,
    num_frames: usize,
}

/// Measures one track: `channels` holds one slice per channel (mono or stereo; a mono track
/// has silence as its side; further channels are ignored; all are cut to the shortest),
/// `sample_rate_hz` its rate. Silence or an empty track gives `None` loudness figures and a
/// spectrum at the floor.
pub fn analyze_track(channels: &[&[f32]], sample_rate_hz: f32) -> TrackFeatures {
    let chans: Vec<&[f32]> = channels.iter().take(2).copied().collect();
    let num_frames = chans.iter().map(|c| c.len()).min().unwrap_or(0);
    let chans: Vec<&[f32]> = chans.iter().map(|c| &c[..num_frames]).collect();
    let rate = sample_rate_hz.max(1.0);
    let window_len = ((WINDOW_S * rate).round() as usize).max(1);

    let loudness = measure_loudness(&chans, rate, window_len);
    let (mid, side) = mid_side(&chans);
    let windows = window_powers(&mid, side.as_deref(), rate, window_len);

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
        let ratio = total.low_side.max(f64::MIN_POSITIVE) / total.low_mid.max(f64::MIN_POSITIVE);
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
        percussiveness: percussiveness(&mid, rate),
        duration_s: num_frames as f32 / rate,
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

/// Mid and side as planar Vecs (`None` side for mono).
fn mid_side(chans: &[&[f32]]) -> (Vec<f32>, Option<Vec<f32>>) {
    match chans {
        [left, right] => {
            let mid = left
                .iter()
                .zip(*right)
                .map(|(l, r)| 0.5 * (l + r))
                .collect();
            let side = left
                .iter()
                .zip(*right)
                .map(|(l, r)| 0.5 * (l - r))
                .collect();
            (mid, Some(side))
        }
        [mono] => (mono.to_vec(), None),
        _ => (Vec::new(), None),
    }
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
/// one (tracks under 3 s).
fn measure_loudness(chans: &[&[f32]], rate: f32, window_len: usize) -> Loudness {
    let mut out = Loudness {
        integrated_lufs: None,
        loudness_range_lu: None,
        true_peak_dbtp: None,
        window_lufs: Vec::new(),
    };
    let num_frames = chans.first().map_or(0, |c| c.len());
    let mode = Mode::I | Mode::S | Mode::LRA | Mode::TRUE_PEAK;
    let Ok(mut meter) = EbuR128::new(chans.len() as u32, rate.round() as u32, mode) else {
        return out;
    };
    let mut start = 0;
    while start < num_frames {
        let end = (start + window_len).min(num_frames);
        let block: Vec<&[f32]> = chans.iter().map(|c| &c[start..end]).collect();
        if meter.add_frames_planar_f32(&block).is_err() {
            return out;
        }
        if end - start == window_len || start == 0 {
            let lufs = meter.loudness_shortterm().unwrap_or(f64::NEG_INFINITY);
            out.window_lufs.push(if lufs.is_nan() {
                f64::NEG_INFINITY
            } else {
                lufs
            });
        }
        start = end;
    }
    let finite = |v: f64| v.is_finite().then_some(v as f32);
    out.integrated_lufs = meter.loudness_global().ok().and_then(finite);
    if out.integrated_lufs.is_some() && num_frames >= window_len {
        out.loudness_range_lu = meter.loudness_range().ok().and_then(finite);
    }
    let peak = (0..chans.len() as u32)
        .map(|ch| meter.true_peak(ch).unwrap_or(0.0))
        .fold(0.0f64, f64::max);
    out.true_peak_dbtp = (peak > 0.0).then(|| (20.0 * peak.log10()) as f32);
    out
}

/// Where one FFT bin's power goes: up to two bands (index [`NUM_BANDS`] = none) and the low
/// end, each with the fraction of the bin's frequency interval (centre +/- half a bin) that
/// lies inside it. Splitting the edge bins this way, instead of counting a bin wholly in or
/// out by its centre, removes the bias of up to half a bin per edge: at 1.35 Hz bins the 31.5
/// Hz band spans 5.4 bins, and whole-bin counting would read pink noise 0.5 dB high there.
#[derive(Debug, Clone, Copy)]
struct BinWeights {
    bands: [(usize, f64); 2],
    low: f64,
}

/// Overlap of `[a0, a1)` with `[b0, b1)` as a fraction of `a1 - a0`.
fn overlap(a0: f64, a1: f64, b0: f64, b1: f64) -> f64 {
    ((a1.min(b1) - a0.max(b0)) / (a1 - a0)).max(0.0)
}

/// [`BinWeights`] of every bin of a spectrum of `num_bins` bins spaced `bin_hz`.
fn bin_weights(num_bins: usize, bin_hz: f32) -> Vec<BinWeights> {
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

/// Welch power spectra of mid and side, summed into bands per 3 s window.
fn window_powers(
    mid: &[f32],
    side: Option<&[f32]>,
    rate: f32,
    window_len: usize,
) -> Vec<WindowPower> {
    let len = mid.len();
    let num_windows = len.div_ceil(window_len).max(1);
    let mut windows = vec![WindowPower::default(); num_windows];
    if len == 0 {
        return windows;
    }
    let fft_len = fft_len_for(rate);
    let hop = fft_len / 2;
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(fft_len);
    let mut input = fft.make_input_vec();
    let mut spectrum = fft.make_output_vec();
    let mut scratch = fft.make_scratch_vec();
    // Periodic Hann window (the form whose 50 %-overlapped copies sum to a constant).
    let hann: Vec<f32> = (0..fft_len)
        .map(|n| {
            let x = std::f32::consts::PI * n as f32 / fft_len as f32;
            x.sin() * x.sin()
        })
        .collect();
    let bins = bin_weights(spectrum.len(), rate / fft_len as f32);
    // Frame starts: every hop while a whole frame fits; a short track gets one padded frame.
    let num_ffts = if len >= fft_len {
        (len - fft_len) / hop + 1
    } else {
        1
    };
    // Power spectra are summed per window bin by bin (cheap, vectorised) and reduced to bands
    // once per window, when the frames move on to the next window.
    let mut acc_mid = vec![0.0f32; spectrum.len()];
    let mut acc_side = vec![0.0f32; spectrum.len()];
    let mut current = 0;
    for frame in 0..num_ffts {
        let start = frame * hop;
        let centre = (start + fft_len / 2).min(len - 1);
        let window = (centre / window_len).min(num_windows - 1);
        if window != current {
            reduce_to_bands(&acc_mid, &acc_side, &bins, &mut windows[current]);
            acc_mid.fill(0.0);
            acc_side.fill(0.0);
            current = window;
        }
        windows[window].num_frames += 1;
        let signals = [(Some(mid), &mut acc_mid), (side, &mut acc_side)];
        for (signal, acc) in signals {
            let Some(signal) = signal else { continue };
            let chunk = &signal[start..(start + fft_len).min(len)];
            for ((x, &s), &w) in input.iter_mut().zip(chunk).zip(&hann) {
                *x = s * w;
            }
            input[chunk.len()..].fill(0.0);
            if fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .is_ok()
            {
                for (a, bin) in acc.iter_mut().zip(&spectrum) {
                    *a += bin.norm_sqr();
                }
            }
        }
    }
    reduce_to_bands(&acc_mid, &acc_side, &bins, &mut windows[current]);
    windows
}

/// Adds summed bin powers of mid and side into the bands and low end of `window`.
fn reduce_to_bands(mid: &[f32], side: &[f32], bins: &[BinWeights], window: &mut WindowPower) {
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
    let frame_len = ((PERCUSSION_FRAME_MS / 1000.0 * sample_rate_hz).round() as usize).max(1);
    let energies: Vec<f64> = mid
        .chunks(frame_len)
        .enumerate()
        .map(|(i, chunk)| {
            let mut prev = if i == 0 {
                chunk[0]
            } else {
                mid[i * frame_len - 1]
            };
            chunk
                .iter()
                .map(|&x| {
                    let d = f64::from(x - prev);
                    prev = x;
                    d * d
                })
                .sum()
        })
        .collect();
    let total: f64 = energies.iter().sum();
    if !(total > 0.0 && total.is_finite()) {
        return 0.0;
    }
    // Prefix sums give each neighbourhood's mean in O(1).
    let mut prefix = Vec::with_capacity(energies.len() + 1);
    prefix.push(0.0f64);
    for e in &energies {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + e);
    }
    let transient: f64 = energies
        .iter()
        .enumerate()
        .filter(|&(i, &e)| {
            let lo = i.saturating_sub(PERCUSSION_NEIGHBOURS);
            let hi = (i + PERCUSSION_NEIGHBOURS + 1).min(energies.len());
            let mean = (prefix[hi] - prefix[lo]) / (hi - lo) as f64;
            e > 0.0 && e >= PERCUSSION_RATIO * mean
        })
        .map(|(_, &e)| e)
        .sum();
    (transient / total) as f32
}

#[cfg(test)]
mod tests;
