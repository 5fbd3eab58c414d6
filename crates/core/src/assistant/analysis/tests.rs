//! Tests of the track analysis with synthesised signals whose answer follows from theory.

use super::*;
use crate::assistant::profile::band_centre_hz;
use realfft::num_complex::Complex;

const RATE: f32 = 44_100.0;

/// Small deterministic generator (xorshift64*), uniform in [0, 1).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 40) as f32 / (1u64 << 24) as f32
    }
    /// White noise, uniform in [-1, 1).
    fn noise(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| 2.0 * self.next() - 1.0).collect()
    }
}

/// Pink noise by inverse FFT: every bin magnitude 1/sqrt(f) (power 1/f), random phase. The
/// power in a band [lo, hi) is then proportional to ln(hi / lo), the same for every
/// 1/3-octave band. Scaled to RMS `rms`.
fn pink(len_pow2: usize, seed: u64, rms: f32) -> Vec<f32> {
    let mut rng = Rng(seed);
    let ifft = RealFftPlanner::<f32>::new().plan_fft_inverse(len_pow2);
    let mut spectrum = ifft.make_input_vec();
    for (k, bin) in spectrum.iter_mut().enumerate() {
        if k == 0 || k == len_pow2 / 2 {
            *bin = Complex::new(0.0, 0.0);
            continue;
        }
        let phase = 2.0 * std::f32::consts::PI * rng.next();
        let magnitude = 1.0 / (k as f32).sqrt();
        *bin = Complex::new(magnitude * phase.cos(), magnitude * phase.sin());
    }
    let mut out = ifft.make_output_vec();
    ifft.process(&mut spectrum, &mut out).unwrap();
    scale_to_rms(&mut out, rms);
    out
}

fn scale_to_rms(x: &mut [f32], rms: f32) {
    let now = (x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64).sqrt();
    let gain = rms / now as f32;
    x.iter_mut().for_each(|v| *v *= gain);
}

/// A sine, phase computed in f64 and wrapped (an f32 phase of minutes of audio would be a
/// noise source of its own, about -45 dB).
fn sine(freq_hz: f32, amplitude: f32, len: usize) -> Vec<f32> {
    let step = f64::from(freq_hz) / f64::from(RATE);
    (0..len)
        .map(|n| {
            let cycles = (n as f64 * step).fract();
            amplitude * (2.0 * std::f64::consts::PI * cycles).sin() as f32
        })
        .collect()
}

/// Band index of a nominal centre frequency (band k has centre 1000 * 10^((k - 17) / 10) Hz).
fn band(centre_hz: f32) -> usize {
    (17.0 + 10.0 * (centre_hz / 1000.0).log10()).round() as usize
}

fn seconds(s: f32) -> usize {
    (s * RATE) as usize
}

#[test]
fn fft_length_gives_the_lowest_band_several_bins() {
    assert_eq!(fft_len_for(44_100.0), 32_768);
    assert_eq!(fft_len_for(48_000.0), 32_768);
    assert_eq!(fft_len_for(96_000.0), 65_536);
    for rate in [22_050.0, 44_100.0, 48_000.0, 88_200.0, 96_000.0, 192_000.0] {
        let (lo, hi) = band_edges_hz(0);
        let bins = (hi - lo) / (rate / fft_len_for(rate) as f32);
        assert!(bins >= 3.0, "{rate} Hz: {bins} bins");
    }
}

#[test]
fn k_weight_matches_bs1770_at_1_khz_and_falls_in_the_bass() {
    // BS.1770-4: a 997 Hz sine reads 0.691 dB above its mean square, which the -0.691 offset
    // cancels; so K-weighting is +0.69 dB near 1 kHz. The RLB high-pass is -3 dB near 38 Hz.
    let w = k_weight_per_band();
    let db = |b: usize| 10.0 * w[b].log10();
    assert!((db(17) - 0.69).abs() < 0.05, "1 kHz: {} dB", db(17));
    assert!(db(0) < -8.0, "20 Hz: {} dB", db(0));
    assert!(db(27) > 3.5 && db(27) < 4.5, "10 kHz: {} dB", db(27));
}

#[test]
fn pink_noise_is_flat_per_third_octave() {
    // L = a + b, R = a - b: mid is exactly a, side exactly b, two independent pink noises.
    let a = pink(1 << 22, 1, 0.1);
    let b = pink(1 << 22, 2, 0.1);
    let left: Vec<f32> = a.iter().zip(&b).map(|(a, b)| a + b).collect();
    let right: Vec<f32> = a.iter().zip(&b).map(|(a, b)| a - b).collect();
    let f = analyze_track(&[&left, &right], RATE);
    // Welch estimates scatter: the tolerance per band is 3 standard deviations of a band
    // power averaged over K frames and B bins, sigma = 4.34 dB * sqrt(1.5 / (0.95 K B))
    // (Welch 1967: 50 %-overlapped Hann frames give 0.95 K independent averages; adjacent
    // Hann bins are correlated, about 1.5 bins per independent value), plus 0.1 dB of bias.
    let fft_len = fft_len_for(RATE);
    let num_frames = (left.len() - fft_len) / (fft_len / 2) + 1;
    let num_windows = left.len().div_ceil(seconds(WINDOW_S));
    let num_frames_used = num_frames * num_windows.div_ceil(2) / num_windows;
    let tolerance_db = |band: usize| {
        let (lo, hi) = band_edges_hz(band);
        let num_bins = (hi - lo) / (RATE / fft_len as f32);
        3.0 * 4.34 * (1.5 / (0.95 * num_frames_used as f32 * num_bins)).sqrt() + 0.1
    };
    // Band 30 straddles Nyquist at 44.1 kHz, so it holds less.
    for levels in [&f.mid_db[..30], &f.side_db[..30]] {
        // The flat level, from the well-resolved bands above 100 Hz.
        let mean = levels[7..].iter().sum::<f32>() / levels[7..].len() as f32;
        for (band, level) in levels.iter().enumerate() {
            assert!(
                (level - mean).abs() < tolerance_db(band),
                "band {band} ({} Hz): {level} dB vs mean {mean} dB, tolerance {}",
                band_centre_hz(band),
                tolerance_db(band)
            );
        }
    }
    // Equal-power mid and side: side-to-mid 0 dB everywhere (a difference of two independent
    // estimates: sqrt(2) times the scatter).
    for band in 0..30 {
        let r = f.side_to_mid_db[band];
        assert!(
            r.abs() < 2f32.sqrt() * tolerance_db(band),
            "band {band}: {r}"
        );
    }
    assert!(
        tolerance_db(20) < 0.3,
        "the test must stay sharp in the mids"
    );
    assert!(f.low_end_side_to_mid_db.abs() < 0.3);
}

#[test]
fn a_sine_lands_in_its_band_at_minus_its_k_weight() {
    let x = sine(1000.0, 0.1, seconds(12.0));
    let f = analyze_track(&[&x, &x], RATE);
    // All the power is in band 17; normalisation makes the K-weighted sum 0 dB, so the band
    // sits at minus the K-weighting at 1 kHz (-0.69 dB).
    assert!(
        (f.mid_db[17] + 0.69).abs() < 0.05,
        "band 17: {}",
        f.mid_db[17]
    );
    for band in (0..NUM_BANDS).filter(|&b| b != 17) {
        assert!(f.mid_db[band] < -60.0, "band {band}: {}", f.mid_db[band]);
    }
    // L = R: no side at all.
    assert_eq!(f.side_to_mid_db[17], -SIDE_TO_MID_LIMIT_DB);
    assert_eq!(f.low_end_side_to_mid_db, -SIDE_TO_MID_LIMIT_DB);
}

#[test]
fn stereo_sine_loudness_follows_bs1770() {
    // EBU Tech 3341 case 1: stereo 1 kHz sine at -23 dBFS reads -23 LUFS; true peak is the
    // sine's amplitude; so PLR is 0 dB and LRA 0 LU.
    let amplitude = 10f32.powf(-23.0 / 20.0);
    let x = sine(1000.0, amplitude, seconds(20.0));
    let f = analyze_track(&[&x, &x], RATE);
    let i = f.integrated_lufs.unwrap();
    assert!((i + 23.0).abs() < 0.1, "{i} LUFS");
    let tp = f.true_peak_dbtp.unwrap();
    assert!((tp + 23.0).abs() < 0.1, "{tp} dBTP");
    assert!(f.plr_db.unwrap().abs() < 0.2);
    assert!(f.loudness_range_lu.unwrap() < 0.1);
    assert!((f.duration_s - 20.0).abs() < 1e-3);
}

#[test]
fn side_only_and_scaled_side_give_the_expected_ratio() {
    let n = pink(1 << 19, 3, 0.1);
    let inverted: Vec<f32> = n.iter().map(|v| -v).collect();
    let f = analyze_track(&[&n, &inverted], RATE);
    for band in 0..30 {
        assert_eq!(f.side_to_mid_db[band], SIDE_TO_MID_LIMIT_DB, "band {band}");
    }
    assert_eq!(f.low_end_side_to_mid_db, SIDE_TO_MID_LIMIT_DB);

    // L = 1.5 n, R = 0.5 n: mid = n, side = n / 2, so side is 20 log10(0.5) = -6.02 dB.
    let left: Vec<f32> = n.iter().map(|v| 1.5 * v).collect();
    let right: Vec<f32> = n.iter().map(|v| 0.5 * v).collect();
    let f = analyze_track(&[&left, &right], RATE);
    for band in 0..30 {
        assert!(
            (f.side_to_mid_db[band] + 6.02).abs() < 0.01,
            "band {band}: {}",
            f.side_to_mid_db[band]
        );
    }
    assert!((f.low_end_side_to_mid_db + 6.02).abs() < 0.01);
}

#[test]
fn mono_has_a_silent_side() {
    let n = pink(1 << 19, 4, 0.1);
    let f = analyze_track(&[&n], RATE);
    assert!(f.side_db.iter().all(|&s| s == BAND_FLOOR_DB));
    assert!(
        f.side_to_mid_db[..30]
            .iter()
            .all(|&r| r == -SIDE_TO_MID_LIMIT_DB)
    );
    assert_eq!(f.low_end_side_to_mid_db, -SIDE_TO_MID_LIMIT_DB);
    assert!(f.integrated_lufs.is_some());
}

#[test]
fn windows_far_below_the_loud_part_do_not_count() {
    // 30 s of a quiet 1 kHz sine (-40 dBFS) then 30 s of a loud 100 Hz one (-10 dBFS): the
    // long-term average of the whole track would hold both (1 kHz only 30 dB down), but the
    // quiet part lies about 30 LU under the loud one, far beyond the 10 LU gate.
    let mut x = sine(1000.0, 0.01, seconds(30.0));
    x.extend(sine(100.0, 0.316, seconds(30.0)));
    let f = analyze_track(&[&x, &x], RATE);
    let (low, high) = (band(100.0), band(1000.0));
    assert_eq!((low, high), (7, 17));
    assert!(f.mid_db[low] > 0.0, "100 Hz band: {}", f.mid_db[low]);
    assert!(
        f.mid_db[high] < f.mid_db[low] - 45.0,
        "1 kHz band: {}",
        f.mid_db[high]
    );

    // Swapped in time: the same answer.
    let mut y = sine(100.0, 0.316, seconds(30.0));
    y.extend(sine(1000.0, 0.01, seconds(30.0)));
    let g = analyze_track(&[&y, &y], RATE);
    assert!(
        g.mid_db[high] < g.mid_db[low] - 45.0,
        "1 kHz band: {}",
        g.mid_db[high]
    );
}

/// mid_db at 1 kHz minus mid_db at 100 Hz for 30 s of a 100 Hz sine of amplitude `low`
/// followed by 30 s of a 1 kHz sine of amplitude `high` (both sections 10 whole windows).
fn high_minus_low_db(low: f32, high: f32) -> f32 {
    let mut x = sine(100.0, low, seconds(30.0));
    x.extend(sine(1000.0, high, seconds(30.0)));
    let f = analyze_track(&[&x, &x], RATE);
    f.mid_db[band(1000.0)] - f.mid_db[band(100.0)]
}

#[test]
fn windows_within_the_gate_count_by_their_energy() {
    // Two halves a few LU apart (100 Hz at 0.2, about -15 LUFS; 1 kHz at 0.1, about
    // -20 LUFS): both lie within 10 LU of the loud part, so both count, each by its energy,
    // and the 1 kHz band sits 20 log10(0.1 / 0.2) = -6.02 dB under the 100 Hz band (equal
    // durations, sine power a^2 / 2). Counting the loudest half of the windows instead
    // would keep only the 100 Hz half.
    let diff = high_minus_low_db(0.2, 0.1);
    assert!((diff - (-6.02)).abs() < 0.2, "{diff}");
    // Raising the loud half by 1 dB moves the balance by exactly 1 dB: no window swaps.
    let louder = high_minus_low_db(0.2 * 10f32.powf(1.0 / 20.0), 0.1);
    assert!((louder - (diff - 1.0)).abs() < 0.05, "{louder} vs {diff}");
    // The quiet half just louder than the loud one: still both, now +1.9 dB.
    let swapped = high_minus_low_db(0.2, 0.25);
    assert!((swapped - 1.94).abs() < 0.2, "{swapped}");
}

#[test]
fn spectrum_shape_does_not_depend_on_level() {
    let n = pink(1 << 19, 5, 0.2);
    let quiet: Vec<f32> = n.iter().map(|v| 0.01 * v).collect();
    let a = analyze_track(&[&n, &n], RATE);
    let b = analyze_track(&[&quiet, &quiet], RATE);
    for band in 0..NUM_BANDS {
        assert!(
            (a.mid_db[band] - b.mid_db[band]).abs() < 0.01,
            "band {band}"
        );
    }
    let la = a.integrated_lufs.unwrap();
    let lb = b.integrated_lufs.unwrap();
    assert!((la - lb - 40.0).abs() < 0.05, "{la} vs {lb}");
}

#[test]
fn percussiveness_separates_hits_from_steady_sound() {
    let mut rng = Rng(7);
    let steady = rng.noise(seconds(10.0));
    let tone = sine(440.0, 0.5, seconds(10.0));
    // Noise bursts decaying with a 20 ms time constant, two per second.
    let period = seconds(0.5);
    let hits: Vec<f32> = rng
        .noise(seconds(10.0))
        .iter()
        .enumerate()
        .map(|(n, v)| v * (-((n % period) as f32 / RATE) / 0.02).exp())
        .collect();
    let p_steady = percussiveness(&steady, RATE);
    let p_tone = percussiveness(&tone, RATE);
    let p_hits = percussiveness(&hits, RATE);
    assert!(p_steady < 0.02, "noise: {p_steady}");
    assert!(p_tone < 0.02, "sine: {p_tone}");
    assert!(p_hits > 0.6, "hits: {p_hits}");
    // Hits over a steady bed are in between.
    let mixed: Vec<f32> = hits.iter().zip(&steady).map(|(h, s)| h + 0.1 * s).collect();
    let p_mixed = percussiveness(&mixed, RATE);
    assert!(p_mixed > p_steady && p_mixed < p_hits, "mixed: {p_mixed}");
}

#[test]
fn silence_and_empty_input_give_no_loudness() {
    let zeros = vec![0.0f32; seconds(5.0)];
    for f in [
        analyze_track(&[&zeros, &zeros], RATE),
        analyze_track(&[], RATE),
        analyze_track(&[&[], &[]], RATE),
    ] {
        assert_eq!(f.integrated_lufs, None);
        assert_eq!(f.true_peak_dbtp, None);
        assert_eq!(f.plr_db, None);
        assert_eq!(f.percussiveness, 0.0);
        assert!(f.mid_db.iter().all(|&m| m == BAND_FLOOR_DB));
    }
}

#[test]
fn a_short_track_is_still_measured() {
    // 0.5 s: shorter than one FFT frame and one 3 s window.
    let x = sine(250.0, 0.5, seconds(0.5));
    let f = analyze_track(&[&x, &x], RATE);
    let loudest = (0..NUM_BANDS).max_by(|&a, &b| f.mid_db[a].total_cmp(&f.mid_db[b]));
    assert_eq!(loudest, Some(band(250.0)));
    assert_eq!(f.loudness_range_lu, None);
}

#[test]
fn edge_bins_are_shared_so_each_band_gets_its_exact_width() {
    // Summed over bins, a band's weights must equal its width in bins (whole-bin counting
    // would be off by up to one bin: 18 % of the 31.5 Hz band at 1.35 Hz bins), and the
    // low end's must equal (120 Hz - 17.8 Hz) in bins.
    let bin_hz = RATE / fft_len_for(RATE) as f32;
    let weights = bin_weights(fft_len_for(RATE) / 2 + 1, bin_hz);
    for band in 0..30 {
        let total: f64 = weights
            .iter()
            .flat_map(|w| w.bands)
            .filter(|&(b, _)| b == band)
            .map(|(_, w)| w)
            .sum();
        let (lo, hi) = band_edges_hz(band);
        let width_bins = f64::from((hi - lo) / bin_hz);
        assert!(
            (total - width_bins).abs() < 1e-3 * width_bins,
            "band {band}: {total} vs {width_bins}"
        );
    }
    let low: f64 = weights.iter().map(|w| w.low).sum();
    let expected = f64::from((LOW_END_HZ - band_edges_hz(0).0) / bin_hz);
    assert!((low - expected).abs() < 1e-3, "{low} vs {expected}");
}
