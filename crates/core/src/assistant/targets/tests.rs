//! Tests of target profiles: the committed families, the automatic choice, blends and
//! reference mode.

use super::*;
use crate::assistant::analysis::analyze_track;
use crate::assistant::profile::{band_centre_hz, band_edges_hz};
use realfft::RealFftPlanner;
use realfft::num_complex::Complex;

const RATE: f32 = 44_100.0;

fn pct(p10: f32, p50: f32, p90: f32) -> Percentiles {
    Percentiles { p10, p50, p90 }
}

/// A track with a given mid curve, side-to-mid, loudness and PLR (other fields neutral).
fn track(mid: [f32; NUM_BANDS], side_to_mid_db: f32, lufs: f32, plr_db: f32) -> TrackFeatures {
    TrackFeatures {
        integrated_lufs: Some(lufs),
        loudness_range_lu: Some(5.0),
        plr_db: Some(plr_db),
        true_peak_dbtp: Some(lufs + plr_db),
        mid_db: mid,
        side_db: mid.map(|m| m + side_to_mid_db),
        side_to_mid_db: [side_to_mid_db; NUM_BANDS],
        low_end_side_to_mid_db: side_to_mid_db,
        percussiveness: 0.2,
        duration_s: 60.0,
    }
}

/// Gaussian noise of `len_pow2` samples whose 1/3-octave band levels follow `band_db` (dB per
/// band, interpolated linearly over log-frequency between band centres): every bin gets the
/// power 10^(L(f)/10) / f (a band's bins span a width proportional to f, so the band power
/// follows L) and a random phase.
fn shaped_noise(band_db: &[f32; NUM_BANDS], len_pow2: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32
    };
    let level_at = |f: f32| {
        let x = 17.0 + 10.0 * (f / 1000.0).log10();
        let k = x.floor().clamp(0.0, (NUM_BANDS - 2) as f32) as usize;
        let t = (x - k as f32).clamp(0.0, 1.0);
        band_db[k] + t * (band_db[k + 1] - band_db[k])
    };
    let ifft = RealFftPlanner::<f32>::new().plan_fft_inverse(len_pow2);
    let mut spectrum = ifft.make_input_vec();
    let bin_hz = RATE / len_pow2 as f32;
    let (lowest, _) = band_edges_hz(0);
    for (k, bin) in spectrum.iter_mut().enumerate() {
        let f = k as f32 * bin_hz;
        if f < lowest || k == len_pow2 / 2 {
            *bin = Complex::new(0.0, 0.0);
            continue;
        }
        let magnitude = (10f32.powf(level_at(f) / 10.0) / f).sqrt();
        let phase = std::f32::consts::TAU * next();
        *bin = Complex::new(magnitude * phase.cos(), magnitude * phase.sin());
    }
    let mut out = ifft.make_output_vec();
    ifft.process(&mut spectrum, &mut out).unwrap();
    out
}

/// Stereo noise whose mid follows `mid_db` and side follows `mid_db + side_to_mid_db`, scaled
/// to peak at -3 dBFS.
fn stereo_like(mid_db: &[f32; NUM_BANDS], side_to_mid_db: &[f32; NUM_BANDS]) -> [Vec<f32>; 2] {
    let side_db: [f32; NUM_BANDS] = std::array::from_fn(|k| mid_db[k] + side_to_mid_db[k]);
    let mid = shaped_noise(mid_db, 1 << 20, 11);
    let side = shaped_noise(&side_db, 1 << 20, 23);
    let mut left: Vec<f32> = mid.iter().zip(&side).map(|(m, s)| m + s).collect();
    let mut right: Vec<f32> = mid.iter().zip(&side).map(|(m, s)| m - s).collect();
    let peak = left
        .iter()
        .chain(&right)
        .fold(0.0f32, |p, v| p.max(v.abs()));
    let gain = 10f32.powf(-3.0 / 20.0) / peak;
    left.iter_mut()
        .chain(right.iter_mut())
        .for_each(|v| *v *= gain);
    [left, right]
}

#[test]
fn the_committed_families_parse_and_are_sane() {
    let names: Vec<&str> = families().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["modern", "bass-heavy", "acoustic"]);
    let num_features = classifier_features(&track([0.0; NUM_BANDS], -10.0, -14.0, 10.0)).len();
    for p in families() {
        assert!(p.num_tracks >= 5, "{}: {} tracks", p.name, p.num_tracks);
        assert_eq!(p.mid_db.len(), NUM_BANDS);
        assert_eq!(p.side_to_mid_db.len(), NUM_BANDS);
        assert_eq!(p.centroid.len(), num_features);
        for q in p.mid_db.iter().chain(&p.side_to_mid_db).chain([
            &p.integrated_lufs,
            &p.plr_db,
            &p.loudness_range_lu,
        ]) {
            assert!(q.p10 <= q.p50 && q.p50 <= q.p90, "{}: {q:?}", p.name);
        }
        // Real masters: loud, and the mids carry the energy (1 kHz well above 20 Hz).
        assert!(p.integrated_lufs.p50 > -20.0 && p.integrated_lufs.p50 < -6.0);
        assert!(p.mid_db[17].p50 > p.mid_db[0].p50 + 10.0, "{}", p.name);
    }
    assert!(family("Bass-Heavy").is_some());
    assert!(family("polka").is_none());
}

#[test]
fn percentiles_interpolate_between_order_statistics() {
    // Hyndman & Fan type 7 on 1..=5: position q * 4.
    let values = [5.0, 1.0, 4.0, 2.0, 3.0];
    assert!((percentile(&values, 0.1) - 1.4).abs() < 1e-6);
    assert_eq!(percentile(&values, 0.5), 3.0);
    assert!((percentile(&values, 0.9) - 4.6).abs() < 1e-6);
    assert!(percentile(&[], 0.5).is_nan());
    assert_eq!(percentile(&[f32::NAN, 2.0], 0.5), 2.0);
}

#[test]
fn a_signal_shaped_like_a_family_is_weighted_most_to_that_family() {
    for (index, family) in families().iter().enumerate() {
        let mid: [f32; NUM_BANDS] = std::array::from_fn(|k| family.mid_db[k].p50);
        let stm: [f32; NUM_BANDS] = std::array::from_fn(|k| family.side_to_mid_db[k].p50);
        let [left, right] = stereo_like(&mid, &stm);
        let features = analyze_track(&[&left, &right], RATE);
        let weights = family_weights(&features);
        let total: f32 = weights.iter().map(|(_, w)| w).sum();
        assert!((total - 1.0).abs() < 1e-5);
        let best = (0..weights.len()).max_by(|&a, &b| weights[a].1.total_cmp(&weights[b].1));
        assert_eq!(best, Some(index), "{}: {weights:?}", family.name);
    }
}

#[test]
fn a_bass_heavy_signal_goes_to_the_bass_heavy_family() {
    // A generic pink-ish master (-3 dB/octave above 100 Hz, flat below) with 10 dB more
    // below 70 Hz, side 8 dB under the mid and mono below 120 Hz.
    let mid: [f32; NUM_BANDS] = std::array::from_fn(|k| {
        let f = band_centre_hz(k);
        -3.0 * (f / 100.0).log2().max(0.0) + if f < 70.0 { 10.0 } else { 0.0 }
    });
    let stm: [f32; NUM_BANDS] = std::array::from_fn(|k| {
        if band_centre_hz(k) < 120.0 {
            -40.0
        } else {
            -8.0
        }
    });
    let [left, right] = stereo_like(&mid, &stm);
    let weights = family_weights(&analyze_track(&[&left, &right], RATE));
    let best = weights
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(n, _)| n.as_str());
    assert_eq!(best, Some("bass-heavy"), "{weights:?}");
}

#[test]
fn blending_one_profile_gives_it_back_and_two_give_the_weighted_mean() {
    let [a, b, ..] = families() else {
        panic!("need two families")
    };
    let same = blend(&[(a, 2.0)]);
    assert_eq!(same.mid_db, a.mid_db);
    assert_eq!(same.integrated_lufs, a.integrated_lufs);
    assert_eq!(same.name, a.name);
    let mix = blend(&[(a, 3.0), (b, 1.0)]);
    for k in 0..NUM_BANDS {
        let want = 0.75 * a.mid_db[k].p50 + 0.25 * b.mid_db[k].p50;
        assert!((mix.mid_db[k].p50 - want).abs() < 1e-4);
        let want = 0.75 * a.side_to_mid_db[k].p90 + 0.25 * b.side_to_mid_db[k].p90;
        assert!((mix.side_to_mid_db[k].p90 - want).abs() < 1e-4);
    }
    assert!((mix.plr_db.p10 - (0.75 * a.plr_db.p10 + 0.25 * b.plr_db.p10)).abs() < 1e-4);
    assert_eq!(mix.num_tracks, a.num_tracks + b.num_tracks);
    // Zero and negative weights are ignored.
    assert_eq!(blend(&[(a, 1.0), (b, 0.0)]).mid_db, a.mid_db);
    assert_eq!(blend(&[(a, -1.0), (b, 1.0)]).mid_db, b.mid_db);
}

#[test]
fn one_reference_is_the_target_within_the_tolerance() {
    let mid: [f32; NUM_BANDS] = std::array::from_fn(|k| -(k as f32) * 0.7);
    let reference = track(mid, -9.0, -11.3, 8.5);
    let p = profile_from_references(&[(reference.clone(), 1.0)]);
    for (k, &m) in mid.iter().enumerate() {
        assert_eq!(p.mid_db[k].p50, m);
        assert!((p.mid_db[k].p10 - (m - REFERENCE_TOLERANCE_DB)).abs() < 1e-5);
        assert!((p.mid_db[k].p90 - (m + REFERENCE_TOLERANCE_DB)).abs() < 1e-5);
        assert_eq!(p.side_to_mid_db[k].p50, -9.0);
    }
    assert_eq!(p.integrated_lufs, pct(-11.3, -11.3, -11.3));
    assert_eq!(p.plr_db.p50, 8.5);
    assert_eq!(p.centroid, classifier_features(&reference));
}

#[test]
fn weighted_references_mix_by_weight_and_widen_by_their_spread() {
    let a = track([0.0; NUM_BANDS], -6.0, -10.0, 8.0);
    let b = track([-4.0; NUM_BANDS], -10.0, -14.0, 12.0);
    let p = profile_from_references(&[(a, 3.0), (b, 1.0)]);
    // Mean 0.75 * 0 + 0.25 * -4 = -1; weighted sd sqrt(0.75 * 1 + 0.25 * 9) = sqrt(3).
    let sd = 3f32.sqrt();
    assert!((p.mid_db[5].p50 + 1.0).abs() < 1e-5);
    assert!((p.mid_db[5].p90 - (-1.0 + REFERENCE_TOLERANCE_DB + sd)).abs() < 1e-4);
    assert!((p.side_to_mid_db[5].p50 + 7.0).abs() < 1e-5);
    assert!((p.integrated_lufs.p50 + 11.0).abs() < 1e-5);
    assert!((p.integrated_lufs.p10 - (-11.0 - sd)).abs() < 1e-4);
    assert_eq!(p.num_tracks, 2);
}

#[test]
fn profiles_from_tracks_take_percentiles_per_band() {
    // Eleven tracks whose band k sits at i dB (i = 0..=10): p10 = 1, p50 = 5, p90 = 9.
    let tracks: Vec<TrackFeatures> = (0..=10)
        .map(|i| track([i as f32; NUM_BANDS], -(i as f32), -20.0 + i as f32, 10.0))
        .collect();
    let p = profile_from_tracks("test", "eleven tracks", &tracks);
    assert_eq!(p.num_tracks, 11);
    for k in 0..NUM_BANDS {
        assert_eq!(p.mid_db[k], pct(1.0, 5.0, 9.0));
        assert_eq!(p.side_to_mid_db[k], pct(-9.0, -5.0, -1.0));
    }
    assert_eq!(p.integrated_lufs, pct(-19.0, -15.0, -11.0));
}
