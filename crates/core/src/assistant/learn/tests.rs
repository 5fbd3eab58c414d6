//! The estimator: features, damage, the ridge fit, leave-one-track-out, and the corrections,
//! on a synthetic corpus (smooth spectra with a random tilt and random gentle bumps, the way
//! masters differ) so nothing here depends on real music.

use super::damage::{EqDamage, Rng, apply, band_gains_db};
use super::train::Trainer;
use super::*;
use crate::assistant::analysis::k_weight_per_band;
use crate::assistant::decide::WEAK_EVIDENCE_CAP_DB;
use crate::assistant::eval::mid_error_db;
use crate::assistant::profile::band_centre_hz;
use crate::dsp::biquad::BiquadCoefs;

/// A master of the synthetic corpus: pink-ish slope, a random tilt (+/-1.5 dB per octave
/// around 1 kHz), two gentle bumps (+/-2 dB, an octave wide) and a little noise; side 10 dB
/// under the mid with some variation.
fn synthetic_master(rng: &mut Rng) -> TrackFeatures {
    let tilt = rng.uniform(-1.5, 1.5);
    let bumps: Vec<(f32, f32)> = (0..2)
        .map(|_| (rng.log_uniform(60.0, 10_000.0), rng.uniform(-2.0, 2.0)))
        .collect();
    let side = rng.uniform(-14.0, -6.0);
    let mut mid = [0.0f32; NUM_BANDS];
    let mut side_to_mid = [0.0f32; NUM_BANDS];
    for k in 0..NUM_BANDS {
        let oct = (band_centre_hz(k) / 1000.0).log2();
        let mut v = -3.0 * oct + tilt * oct;
        for (f, g) in &bumps {
            let d = (band_centre_hz(k) / f).log2();
            v += g * (-d * d * 2.0).exp();
        }
        mid[k] = v + rng.uniform(-0.3, 0.3);
        side_to_mid[k] = side + rng.uniform(-1.0, 1.0);
    }
    let t = TrackFeatures {
        integrated_lufs: Some(-12.0),
        loudness_range_lu: Some(6.0),
        plr_db: Some(10.0),
        true_peak_dbtp: Some(-1.0),
        mid_db: mid,
        side_db: std::array::from_fn(|k| mid[k] + side_to_mid[k]),
        side_to_mid_db: side_to_mid,
        low_end_side_to_mid_db: side,
        percussiveness: 0.3,
        duration_s: 180.0,
    };
    // Level-normalised as the analysis leaves every track.
    apply(&t, &[0.0; NUM_BANDS], 1.0)
}

fn corpus(n: usize, seed: u64) -> Vec<TrackFeatures> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| synthetic_master(&mut rng)).collect()
}

fn mud(gain_db: f32) -> EqDamage {
    EqDamage {
        problem: Problem::Mud,
        freq_hz: 280.0,
        gain_db,
        q: 1.2,
    }
}

fn band_of(hz: f32) -> usize {
    (0..NUM_BANDS)
        .min_by(|&a, &b| {
            let d = |k: usize| (band_centre_hz(k) / hz).log2().abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap()
}

#[test]
fn features_see_shape_not_level_and_width_only_in_the_side() {
    let t = corpus(1, 3).remove(0);
    let mut louder = t.clone();
    louder.mid_db.iter_mut().for_each(|m| *m += 7.0);
    for (a, b) in features(&t).iter().zip(features(&louder)) {
        assert!((a - b).abs() < 1e-4);
    }
    let wider = apply(&t, &[0.0; NUM_BANDS], 2.0);
    let (a, b) = (features(&t), features(&wider));
    for j in 0..NUM_CORE {
        assert!((a[j] - b[j]).abs() < 1e-4, "mid feature {j} moved");
        assert!((b[NUM_CORE + j] - a[NUM_CORE + j] - 6.02).abs() < 0.01);
    }
    let bumped = apply(&t, &mud(6.0).curve_db(), 1.0);
    let k = band_of(280.0) - FIRST_CORE;
    let moved = features(&bumped)[k] - a[k];
    assert!((4.0..6.5).contains(&moved), "{moved}");
}

#[test]
fn a_bells_band_gains_peak_at_its_centre_and_a_shelf_holds_its_gain() {
    let bell = mud(6.0).curve_db();
    let peak = (0..NUM_BANDS)
        .max_by(|&a, &b| bell[a].total_cmp(&bell[b]))
        .unwrap();
    assert!((band_centre_hz(peak) / 280.0).log2().abs() < 0.2);
    assert!((5.0..=6.01).contains(&bell[peak]), "{}", bell[peak]);
    assert!(bell[band_of(40.0)].abs() < 0.3 && bell[band_of(5000.0)].abs() < 0.2);
    let shelf = EqDamage {
        problem: Problem::Dullness,
        freq_hz: 5000.0,
        gain_db: -6.0,
        q: 0.7,
    }
    .curve_db();
    assert!((shelf[band_of(16_000.0)] + 6.0).abs() < 0.5, "{:?}", shelf);
    assert!(shelf[band_of(200.0)].abs() < 0.1);
    // A flat filter gives 0 dB everywhere.
    let flat = band_gains_db(&BiquadCoefs::peaking(1000.0, 0.0, 1.0, 48_000.0));
    assert!(flat.iter().all(|g| g.abs() < 1e-4));
}

#[test]
fn damage_is_renormalised_as_the_analysis_does() {
    let t = corpus(1, 5).remove(0);
    let d = apply(&t, &mud(8.0).curve_db(), 1.0);
    let w = k_weight_per_band();
    let total: f64 = (0..NUM_BANDS)
        .map(|k| w[k] * 10f64.powf(f64::from(d.mid_db[k]) / 10.0))
        .sum();
    assert!((10.0 * total.log10()).abs() < 1e-3, "{total}");
    // Shape: the bump, everything else moved by one offset.
    let diff: Vec<f32> = (0..NUM_BANDS).map(|k| d.mid_db[k] - t.mid_db[k]).collect();
    let far = diff[band_of(8000.0)];
    assert!((diff[band_of(4000.0)] - far).abs() < 0.05);
    assert!(diff[band_of(280.0)] - far > 5.0);
}

/// Leave-one-track-out on a synthetic corpus: a large mud bump is found and a third or more
/// of it removed (the soft threshold and the ridge both shrink the estimate),
/// undamaged masters are left almost alone, a named problem is located and held to the cap.
#[test]
fn the_estimator_restores_large_damage_and_leaves_typical_masters() {
    let tracks = corpus(40, 11);
    let trainer = Trainer::new(tracks, 9, 2.0e4, 1.0);
    let loo = trainer.leave_one_out();
    let (mut before, mut after, mut harm, mut largest) = (0.0, 0.0, 0.0, 0.0f32);
    for (t, est) in loo.iter().enumerate() {
        let orig = trainer.track(t);
        let curve = mud(8.0).curve_db();
        let damaged = apply(orig, &curve, 1.0);
        let c = est.no_hint_correction(&damaged, 1.0);
        before += mid_error_db(&damaged, orig);
        let fixed: [f32; NUM_BANDS] = std::array::from_fn(|k| curve[k] + c[k]);
        after += mid_error_db(&apply(orig, &fixed, 1.0), orig);
        let c0 = est.no_hint_correction(orig, 1.0);
        harm += mid_error_db(&apply(orig, &c0, 1.0), orig);
        largest = c0.iter().fold(largest, |m, v| m.max(v.abs()));
        // Named mud, not there: a cut in the low mids, within the cap, no boost anywhere.
        let named = est.correction(orig, &[Problem::Mud], 1.0);
        let deepest = (0..NUM_BANDS)
            .min_by(|&a, &b| named[a].total_cmp(&named[b]))
            .unwrap();
        assert!(
            (150.0..=650.0).contains(&band_centre_hz(deepest)),
            "{deepest}"
        );
        assert!(named[deepest] >= -(WEAK_EVIDENCE_CAP_DB.max(c0[deepest].abs())) - 1e-4);
    }
    let n = loo.len() as f32;
    assert!(
        after < 0.67 * before,
        "restored too little: {} -> {} dB",
        before / n,
        after / n
    );
    assert!(harm / n < 0.3, "mean harm {} dB", harm / n);
    assert!(
        largest < 3.0,
        "largest move on an undamaged master {largest} dB"
    );
}

#[test]
fn strength_scales_the_no_hint_correction_and_zero_moves_nothing() {
    let trainer = Trainer::new(corpus(20, 2), 3, 2.0e4, 0.5);
    let est = trainer.full("test".into());
    let t = apply(trainer.track(0), &mud(8.0).curve_db(), 1.0);
    assert!(est.no_hint_correction(&t, 0.0).iter().all(|c| *c == 0.0));
    let (one, two) = (
        est.no_hint_correction(&t, 1.0),
        est.no_hint_correction(&t, 2.0),
    );
    assert!(one.iter().any(|c| c.abs() > 0.5), "{one:?}");
    for k in 0..NUM_BANDS {
        let want = (2.0 * one[k]).clamp(-MAX_NO_HINT_DB, MAX_NO_HINT_DB);
        assert!((two[k] - want).abs() < 1e-4);
    }
}

#[test]
fn the_committed_estimator_has_every_model_in_shape() {
    let e = Estimator::committed().expect("assets/estimator/estimator.json parses");
    assert!(e.threshold.is_finite() && e.threshold > 0.0 && e.lambda > 0.0);
    let mut kinds: Vec<&str> = e.models.iter().map(|m| m.kind.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["any", "boom", "dull", "harsh", "mud", "thin"]);
    for m in &e.models {
        assert_eq!(m.weights.len(), NUM_CORE, "{}", m.kind);
        assert!(m.weights.iter().all(|w| w.len() == NUM_FEATURES + 1));
        assert!(m.weights.iter().flatten().all(|w| w.is_finite()));
        assert_eq!(m.null_spread_db.len(), NUM_CORE);
        assert!(m.null_spread_db.iter().all(|s| s.is_finite() && *s >= 0.0));
    }
}

#[test]
fn an_estimator_set_for_a_thread_is_used_there_and_then_restored() {
    let committed = with_current(|e| e.map(|e| e.made_from.clone()));
    let inner = with_estimator(Estimator::none(), || with_current(|e| e.is_none()));
    assert!(inner, "an estimator without models counts as none");
    assert_eq!(with_current(|e| e.map(|e| e.made_from.clone())), committed);
}

#[test]
fn soft_threshold_moves_towards_zero() {
    assert_eq!(soft_threshold(3.0, 1.0), 2.0);
    assert_eq!(soft_threshold(-3.0, 1.0), -2.0);
    assert_eq!(soft_threshold(0.5, 1.0), 0.0);
    assert_eq!(soft_threshold(f32::NAN, 1.0), 0.0);
}
