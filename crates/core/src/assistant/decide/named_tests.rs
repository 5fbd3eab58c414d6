//! Problems the listener names: located, sized, bounded, explained.

use super::tests::{
    GOAL, add, bump, eq_curve, family_only, music_curve, rms_shape_error, target, track,
};
use super::*;
use crate::assistant::explain::explain;

/// A family's p10..p90 half-width in these tests, dB (the never-harm margin comes on top).
const SPREAD_DB: f32 = 3.0;

fn explained(d: &Decision) -> Vec<String> {
    explain(d, &apply(d, Amounts::default(), &ChainSettings::default()))
}

fn evidence(d: &Decision, p: Problem) -> ProblemEvidence {
    *d.eq.problems.iter().find(|e| e.problem == p).unwrap()
}

/// The deepest point of the decided EQ within an octave of `hz`: (dB, Hz).
fn deepest_near(d: &Decision, hz: f32) -> (f32, f32) {
    let r = eq_curve(&d.eq.settings);
    (0..NUM_BANDS)
        .filter(|&k| (band_centre_hz(k) / hz).log2().abs() <= 1.0)
        .map(|k| (r[k], band_centre_hz(k)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap()
}

/// A dull top: a smooth high shelf of `gain_db` around 5 kHz (under 3 dB per third, so no
/// cliff).
fn dull(gain_db: f32) -> [f32; NUM_BANDS] {
    std::array::from_fn(|k| {
        let oct = (band_centre_hz(k) / 5_000.0).log2();
        gain_db / (1.0 + (-3.0 * oct).exp())
    })
}

#[test]
fn names_are_read_as_people_say_them() {
    for p in Problem::ALL {
        assert_eq!(Problem::parse(p.name()), Some(p));
    }
    for (text, p) in [
        ("muddy", Problem::Mud),
        (" Harshness", Problem::Harshness),
        ("BOOMY", Problem::Boom),
        ("dullness", Problem::Dullness),
        ("thin", Problem::Thinness),
    ] {
        assert_eq!(Problem::parse(text), Some(p), "{text}");
    }
    assert_eq!(Problem::parse("bright"), None);
    assert_eq!(Problem::parse(""), None);
}

#[test]
fn a_named_mud_within_the_familys_spread_is_cut_where_it_is_and_held_to_3_db() {
    family_only(|| {
        let curve = music_curve();
        let muddy = track(add(curve, bump(280.0, 5.0)), -10.0);
        let t = target(curve, SPREAD_DB);
        // Unnamed: within what good masters show, no move and no "possible" note.
        let plain = decide(&muddy, &t, &GOAL);
        assert!(plain.eq.moves.is_empty(), "{:?}", plain.eq.moves);
        assert!(!explained(&plain).iter().any(|l| l.contains("mud")));
        // Named: a cut within an octave of 280 Hz, at most the weak-evidence cap, none elsewhere.
        let named = decide_with(&muddy, &t, &GOAL, &[Problem::Mud]);
        let (depth, at) = deepest_near(&named, 280.0);
        assert!(
            (-WEAK_EVIDENCE_CAP_DB - 0.2..=-2.0).contains(&depth),
            "{depth} dB at {at} Hz"
        );
        assert!((at / 280.0).log2().abs() <= 0.5, "at {at} Hz");
        let r = eq_curve(&named.eq.settings);
        assert!(r.iter().all(|&v| v < 0.3), "a boost somewhere: {r:?}");
        let e = evidence(&named, Problem::Mud);
        assert!(e.named && !e.strong, "{e:?}");
        let departure = e.departure_db.unwrap();
        assert!((3.5..=5.5).contains(&departure), "{departure}");
        let lines = explained(&named);
        let line = lines
            .iter()
            .find(|l| l.starts_with("You named mud"))
            .unwrap();
        assert!(
            line.contains("weak evidence") && line.contains("held to 3 dB"),
            "{line}"
        );
    })
}

#[test]
fn a_named_mud_beyond_the_familys_spread_gets_the_full_cut() {
    family_only(|| {
        let curve = music_curve();
        let muddy = track(add(curve, bump(280.0, 10.0)), -10.0);
        let t = target(curve, SPREAD_DB);
        let plain = decide(&muddy, &t, &GOAL);
        let named = decide_with(&muddy, &t, &GOAL, &[Problem::Mud]);
        let e = evidence(&named, Problem::Mud);
        assert!(e.strong, "{e:?}");
        let (plain_depth, _) = deepest_near(&plain, 280.0);
        let (depth, at) = deepest_near(&named, 280.0);
        assert!(
            depth < -6.0 && depth < plain_depth - 2.0,
            "{depth} vs {plain_depth}"
        );
        assert!((at / 280.0).log2().abs() <= 0.5, "at {at} Hz");
        // The named cut removes most of the bump's shape.
        let eq = eq_curve(&named.eq.settings);
        let fixed = add(muddy.mid_db, eq);
        let before = rms_shape_error(&muddy.mid_db, &curve);
        let after = rms_shape_error(&fixed, &curve);
        assert!(after < 0.6 * before, "{after} vs {before}");
    })
}

#[test]
fn a_dull_top_is_character_unless_named_and_then_restored() {
    family_only(|| {
        let curve = music_curve();
        let dark = track(add(curve, dull(-8.0)), -10.0);
        let t = target(curve, SPREAD_DB);
        // Unnamed: the broad balance follows the shelf, so no move, but the note names it.
        let plain = decide(&dark, &t, &GOAL);
        let top = |d: &Decision| eq_curve(&d.eq.settings)[27];
        assert!(top(&plain).abs() < 1.0, "{}", top(&plain));
        let lines = explained(&plain);
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("Possible dull") && l.contains("--fix dull")),
            "{lines:#?}"
        );
        // The presence next to a dull top is not taken for harshness.
        assert!(!evidence(&plain, Problem::Harshness).strong);
        assert!(!lines.iter().any(|l| l.contains("Possible harsh")));
        // Named: boosted at 10 kHz by most of the shelf, and the shape error falls by half.
        let named = decide_with(&dark, &t, &GOAL, &[Problem::Dullness]);
        assert!(top(&named) > 5.0, "{}", top(&named));
        let fixed = add(dark.mid_db, eq_curve(&named.eq.settings));
        let before = rms_shape_error(&dark.mid_db, &curve);
        let after = rms_shape_error(&fixed, &curve);
        assert!(after < 0.5 * before, "{after} vs {before}");
    })
}

#[test]
fn a_named_problem_that_is_not_there_moves_little_and_says_so() {
    family_only(|| {
        let curve = music_curve();
        let t = target(curve, SPREAD_DB);
        for p in Problem::ALL {
            let d = decide_with(&track(curve, -10.0), &t, &GOAL, &[p]);
            // Every move's gain within the cap (what the evaluation's EQ max counts); the summed
            // response of stacked moves within a fraction of a dB of it.
            let gain =
                d.eq.moves
                    .iter()
                    .fold(0.0f32, |m, v| m.max(v.gain_db.abs()));
            assert!(gain <= WEAK_EVIDENCE_CAP_DB + 0.05, "{p}: {gain} dB");
            let r = eq_curve(&d.eq.settings);
            let largest = r.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(largest <= WEAK_EVIDENCE_CAP_DB + 0.25, "{p}: {largest} dB");
            let lines = explained(&d);
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(&format!("You named {p}"))),
                "{p}: {lines:#?}"
            );
        }
        // A dip where mud would be: naming mud never boosts it.
        let hollow = track(add(curve, bump(280.0, -6.0)), -10.0);
        let d = decide_with(&hollow, &t, &GOAL, &[Problem::Mud]);
        let (region_lo, region_hi) = Problem::Mud.region_hz();
        let r = eq_curve(&d.eq.settings);
        for k in (0..NUM_BANDS).filter(|&k| (region_lo..=region_hi).contains(&band_centre_hz(k))) {
            assert!(r[k] > -0.1, "cut at {} Hz: {}", band_centre_hz(k), r[k]);
        }
        let lines = explained(&d);
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("You named mud") && l.contains("nothing to cut")),
            "{lines:#?}"
        );
    })
}

#[test]
fn naming_a_problem_leaves_the_rest_of_the_decision_alone() {
    let curve = music_curve();
    let muddy = track(add(curve, bump(280.0, 5.0)), -10.0);
    let t = target(curve, SPREAD_DB);
    let plain = decide(&muddy, &t, &GOAL);
    let named = decide_with(&muddy, &t, &GOAL, &[Problem::Mud]);
    assert_eq!(plain.width, named.width);
    assert_eq!(plain.dynamics, named.dynamics);
    assert_eq!(plain.bass_mono, named.bass_mono);
    // Evidence is reported for every problem either way; only the named flag differs.
    assert_eq!(plain.eq.problems.len(), Problem::ALL.len());
    for (a, b) in plain.eq.problems.iter().zip(&named.eq.problems) {
        assert_eq!(a.problem, b.problem);
        assert_eq!(b.named, b.problem == Problem::Mud);
        assert_eq!(a.departure_db, b.departure_db);
    }
}
