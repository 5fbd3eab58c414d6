//! The streaming [`TrackAnalyzer`] against the whole-slice [`analyze_track`] and against the
//! frozen pre-streaming implementation (copied below as it was before the streaming meters):
//! bit for bit, whatever the block sizes.

use super::welch::reduce_to_bands;
use super::*;
use crate::meter::stream::test_support::{assert_bits, block_plans, push_in_blocks, signals};

/// Pre-streaming `analyze_track`, frozen (the reference the streaming analyzer must reproduce).
fn old_analyze_track(channels: &[&[f32]], sample_rate_hz: f32) -> TrackFeatures {
    let chans: Vec<&[f32]> = channels.iter().take(2).copied().collect();
    let num_frames = chans.iter().map(|c| c.len()).min().unwrap_or(0);
    let chans: Vec<&[f32]> = chans.iter().map(|c| &c[..num_frames]).collect();
    let rate = sample_rate_hz.max(1.0);
    let window_len = ((WINDOW_S * rate).round() as usize).max(1);

    let loudness = old_measure_loudness(&chans, rate, window_len);
    let (mid, side) = old_mid_side(&chans);
    let windows = old_window_powers(&mid, side.as_deref(), rate, window_len);

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
        percussiveness: old_percussiveness(&mid, rate),
        duration_s: num_frames as f32 / rate,
    }
}

/// Pre-streaming `mid_side`, frozen.
fn old_mid_side(chans: &[&[f32]]) -> (Vec<f32>, Option<Vec<f32>>) {
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

/// Loudness figures of the whole track and the short-term loudness of each 3 s window.
struct OldLoudness {
    integrated_lufs: Option<f32>,
    loudness_range_lu: Option<f32>,
    true_peak_dbtp: Option<f32>,
    window_lufs: Vec<f64>,
}

/// Pre-streaming `measure_loudness`, frozen.
fn old_measure_loudness(chans: &[&[f32]], rate: f32, window_len: usize) -> OldLoudness {
    let mut out = OldLoudness {
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

/// Pre-streaming `window_powers`, frozen.
fn old_window_powers(
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

/// Pre-streaming `percussiveness`, frozen.
fn old_percussiveness(mid: &[f32], sample_rate_hz: f32) -> f32 {
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

/// `analyze_track` through a [`TrackAnalyzer`] fed in blocks following `plan`.
fn streamed(channels: &[&[f32]], rate: f32, plan: &[usize]) -> TrackFeatures {
    let mut analyzer = TrackAnalyzer::new(channels.len(), rate);
    push_in_blocks(channels, plan, |b| analyzer.push(b));
    analyzer.finish()
}

#[test]
fn analyze_track_and_the_streaming_analyzer_equal_the_pre_streaming_analyze_track() {
    // Shorter than one FFT frame (0.68 s at 48 kHz), than 3 s, a few windows with a partial
    // last one, and more; mono and stereo.
    let cases: &[(u32, f64)] = &[
        (22_050, 0.0001),
        (48_000, 0.3),
        (44_100, 2.5),
        (96_000, 3.0),
        (48_000, 7.7),
        (22_050, 13.0),
    ];
    for &(rate, seconds) in cases {
        let len = (f64::from(rate) * seconds) as usize + 1;
        let small = len < 200_000;
        for (name, l, r) in signals(rate, len, u64::from(rate) ^ len as u64) {
            for channels in [vec![&l[..], &r[..]], vec![&l[..]]] {
                let what = format!("{rate} Hz, {len} frames, {name}, {} ch", channels.len());
                let sr = rate as f32;
                let old = old_analyze_track(&channels, sr);
                let whole = analyze_track(&channels, sr);
                assert_bits(&whole, &old, &what);
                assert_eq!(whole, old, "{what}");
                for plan in block_plans(len as u64 + 1, small) {
                    let got = streamed(&channels, sr, &plan);
                    assert_bits(&got, &whole, &format!("{what}, blocks {plan:?}"));
                }
            }
        }
    }
}

#[test]
fn minutes_at_a_low_rate_stream_bit_for_bit() {
    let rate = 22_050;
    let len = rate as usize * 200 + 5;
    let (name, l, r) = signals(rate, len, 3).swap_remove(4);
    let sr = rate as f32;
    let whole = analyze_track(&[&l, &r], sr);
    assert_bits(&whole, &old_analyze_track(&[&l, &r], sr), name);
    for plan in [vec![4096], vec![1, 2, 7, 511, 512, 4096, 65_537]] {
        assert_bits(&streamed(&[&l, &r], sr, &plan), &whole, name);
    }
}

#[test]
fn percussiveness_is_the_pre_streaming_figure() {
    for rate in [22_050u32, 44_100, 48_000] {
        for len in [0usize, 1, 2, 100, 4_410, 30_000, rate as usize * 5 + 17] {
            for (name, l, _) in signals(rate, len, 9) {
                let (new, old) = (
                    percussiveness(&l, rate as f32),
                    old_percussiveness(&l, rate as f32),
                );
                assert_eq!(new.to_bits(), old.to_bits(), "{rate} Hz {len} {name}");
            }
        }
    }
    // Non-finite input behaves as before too.
    let x = [0.5f32, f32::NAN, 0.25, f32::INFINITY, 0.0];
    assert_eq!(
        percussiveness(&x, 100.0).to_bits(),
        old_percussiveness(&x, 100.0).to_bits()
    );
}

#[test]
fn extra_and_uneven_channels_are_treated_as_before() {
    let (name, l, r) = signals(44_100, 100_000, 1).swap_remove(2);
    let third = vec![0.5f32; 100_000];
    let short = &r[..70_000];
    for channels in [
        vec![&l[..], &r[..], &third[..]],
        vec![&l[..], short],
        vec![],
    ] {
        let old = old_analyze_track(&channels, 44_100.0);
        assert_bits(&analyze_track(&channels, 44_100.0), &old, name);
    }
}
