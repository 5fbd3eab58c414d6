//! The learned estimator deciding the EQ against a family: its correction realised by the
//! fit, a named problem held to the cap, explanations quoting the estimate. A hand-made
//! estimator (intercepts only) makes the wanted correction known exactly.

use super::tests::{GOAL, add, bump, eq_curve, music_curve, target, track};
use super::*;
use crate::assistant::explain::explain;
use crate::assistant::learn::{
    Estimator, FIRST_CORE, Model, NUM_CORE, NUM_FEATURES, with_estimator,
};

/// A model whose estimate is `curve` whatever the track (intercepts only), with `spread` on
/// undamaged masters in every band.
fn constant_model(kind: &str, curve: [f32; NUM_BANDS], spread: f32) -> Model {
    Model {
        kind: kind.to_string(),
        weights: (0..NUM_CORE)
            .map(|b| {
                let mut w = vec![0.0; NUM_FEATURES + 1];
                w[NUM_FEATURES] = curve[FIRST_CORE + b];
                w
            })
            .collect(),
        null_spread_db: vec![spread; NUM_CORE],
    }
}

/// A 6 dB cookbook bell at 280 Hz, Q 1.2, as band gains.
fn mud_bell() -> [f32; NUM_BANDS] {
    crate::assistant::learn::damage::EqDamage {
        problem: Problem::Mud,
        freq_hz: 280.0,
        gain_db: 6.0,
        q: 1.2,
    }
    .curve_db()
}

fn estimator(models: Vec<Model>) -> Estimator {
    Estimator {
        made_from: "test".into(),
        lambda: 1.0,
        threshold: 1.0,
        models,
    }
}

fn explained(d: &Decision) -> Vec<String> {
    explain(d, &apply(d, Amounts::default(), &ChainSettings::default()))
}

#[test]
fn the_learned_correction_is_what_the_eq_does() {
    // The estimate: a 6 dB bell of mud at 280 Hz, beyond any character (spread 0), so the
    // correction is exactly a cookbook bell the fit can match.
    let e = estimator(vec![constant_model("any", mud_bell(), 0.0)]);
    let curve = music_curve();
    let d = with_estimator(e, || {
        decide(&track(curve, -10.0), &target(curve, 3.0), &GOAL)
    });
    let learned =
        d.eq.learned
            .as_ref()
            .expect("a family target uses the estimator");
    // The EQ realises the wanted curve within 0.75 dB in every band and 0.3 dB RMS (its
    // bells come from a grid of centres and Qs).
    let r = eq_curve(&d.eq.settings);
    let core: Vec<usize> = (0..NUM_BANDS).filter(|&k| is_core_band(k)).collect();
    let mut sq = 0.0;
    for &k in &core {
        let miss = r[k] - learned.correction_db[k];
        assert!(
            miss.abs() < 0.75,
            "{} Hz: EQ {} dB, wanted {} dB",
            band_centre_hz(k),
            r[k],
            learned.correction_db[k]
        );
        sq += miss * miss;
    }
    let rms = (sq / core.len() as f32).sqrt();
    assert!(rms < 0.3, "RMS miss {rms} dB");
    let k = (0..NUM_BANDS)
        .min_by(|&a, &b| r[a].total_cmp(&r[b]))
        .unwrap();
    assert!(
        r[k] < -4.0 && (band_centre_hz(k) / 280.0).log2().abs() < 0.4,
        "{r:?}"
    );
    let lines = explained(&d);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Cut") && l.contains("learned estimate finds")),
        "{lines:#?}"
    );
    // Against a reference the estimator has no say.
    let e = estimator(vec![constant_model("any", mud_bell(), 0.0)]);
    let r = with_estimator(e, || {
        decide(&track(curve, -10.0), &target(curve, 0.0), &GOAL)
    });
    assert!(
        r.eq.learned.is_none() && r.eq.moves.is_empty(),
        "{:?}",
        r.eq.moves
    );
}

#[test]
fn an_estimate_within_its_spread_moves_nothing_and_says_so() {
    let e = estimator(vec![constant_model("any", bump(280.0, 2.0), 2.5)]);
    let curve = music_curve();
    let d = with_estimator(e, || {
        decide(&track(curve, -10.0), &target(curve, 3.0), &GOAL)
    });
    assert!(d.eq.moves.is_empty(), "{:?}", d.eq.moves);
    assert!(explained(&d)[0].starts_with("No EQ: the learned estimate finds no EQ problem"));
}

#[test]
fn a_named_problem_the_evidence_does_not_find_takes_its_usual_shape_within_the_cap() {
    // Named mud typically sits at 250 Hz; the no-hint estimate sees nothing.
    let models = || {
        vec![
            constant_model("any", [0.0; NUM_BANDS], 1.0),
            constant_model("mud", bump(250.0, 5.0), 1.0),
        ]
    };
    let curve = music_curve();
    let t = track(add(curve, bump(250.0, 1.0)), -10.0);
    let plain = with_estimator(estimator(models()), || {
        decide(&t, &target(curve, 3.0), &GOAL)
    });
    assert!(plain.eq.moves.is_empty(), "{:?}", plain.eq.moves);
    let named = with_estimator(estimator(models()), || {
        decide_with(&t, &target(curve, 3.0), &GOAL, &[Problem::Mud])
    });
    let gain = named
        .eq
        .moves
        .iter()
        .fold(0.0f32, |m, v| m.max(v.gain_db.abs()));
    assert!(gain <= WEAK_EVIDENCE_CAP_DB + 0.05, "{:?}", named.eq.moves);
    let r = eq_curve(&named.eq.settings);
    let k = (0..NUM_BANDS)
        .min_by(|&a, &b| r[a].total_cmp(&r[b]))
        .unwrap();
    assert!(
        r[k] < -2.0 && (band_centre_hz(k) / 250.0).log2().abs() <= 0.5,
        "{r:?}"
    );
    assert!(r.iter().all(|&v| v < 0.3), "a boost: {r:?}");
    let lines = explained(&named);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("You named mud") && l.contains("weak evidence")),
        "{lines:#?}"
    );
}

/// A track with `excess_db` of mud at 280 Hz against a family of 3 dB spread, decided with mud
/// named by an estimator whose no-hint model says `any` and whose mud model says 6 dB at
/// 280 Hz: the decision and its mud evidence.
fn named_mud(any: [f32; NUM_BANDS], excess_db: f32) -> (Decision, ProblemEvidence) {
    let models = vec![
        constant_model("any", any, 1.0),
        constant_model("mud", bump(280.0, 6.0), 1.0),
    ];
    let curve = music_curve();
    let t = track(add(curve, bump(280.0, excess_db)), -10.0);
    let named = with_estimator(estimator(models), || {
        decide_with(&t, &target(curve, 3.0), &GOAL, &[Problem::Mud])
    });
    let e = *named
        .eq
        .problems
        .iter()
        .find(|e| e.problem == Problem::Mud)
        .expect("mud evidence");
    (named, e)
}

#[test]
fn a_named_problem_the_spectrum_confirms_is_explained_as_confirmed_not_as_held() {
    // 7 dB of mud at 280 Hz against a family whose spread is 3 dB: strong evidence, within any
    // damage the estimator was trained on, so the learned estimate sizes it up to the
    // departure. The move must say the spectrum confirms it, never that it was held to 3 dB.
    let (named, e) = named_mud([0.0; NUM_BANDS], 7.0);
    assert!(e.named && e.strong, "{e:?}");
    let gain = named.eq.moves.iter().fold(0.0f32, |m, v| m.min(v.gain_db));
    assert!(gain < -WEAK_EVIDENCE_CAP_DB - 0.5, "{:?}", named.eq.moves);
    let lines = explained(&named);
    let cuts: Vec<&String> = lines.iter().filter(|l| l.starts_with("Cut")).collect();
    assert!(!cuts.is_empty(), "{lines:#?}");
    for l in cuts {
        assert!(
            l.contains("the spectrum confirms it") && !l.contains("held to"),
            "{l}"
        );
    }
}

#[test]
fn a_far_named_departure_is_sized_by_the_estimate_not_by_the_family() {
    // 16 dB of mud, the estimate 6 dB: strong evidence lets the estimate reach the departure,
    // but the cut is the estimate's, not the 16 dB to the family's median (on real masters a
    // far departure is mostly character).
    let (named, e) = named_mud(bump(280.0, 3.0), 16.0);
    assert!(e.strong && e.departure_db.unwrap() > 12.0, "{e:?}");
    let deepest = eq_curve(&named.eq.settings)
        .iter()
        .fold(0.0f32, |m, v| m.min(*v));
    assert!((-8.0..-4.0).contains(&deepest), "{deepest}");
    let lines = explained(&named);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Cut") && l.contains("the spectrum confirms it")),
        "{lines:#?}"
    );
}
