//! The estimator's leave-one-track-out figures in the feature domain: the evaluation's damage
//! (`assistant::eval::damage_for`, the same shapes `lacquer eval-corpus` applies to audio)
//! added to each track's features, corrected by the estimator trained without that track,
//! and the mid-spectrum error measured as the evaluation does. The correction is applied as
//! an ideal EQ (exactly its band gains); the chain's EQ fit comes close to it, and
//! `cargo xtask eval` measures the real thing.

use super::Estimator;
use super::damage::{EqDamage, apply};
use super::train::Trainer;
use crate::assistant::decide::Problem;
use crate::assistant::eval::{DamageKind, damage_for, mid_error_db};
use crate::assistant::profile::{NUM_BANDS, TrackFeatures};
use serde::Serialize;

/// One point of the restore-versus-harm curve.
#[derive(Debug, Clone, Serialize)]
pub struct CurvePoint {
    /// `all` or a problem kind.
    pub kind: String,
    /// Correction strength (1: the assistant's default).
    pub strength: f32,
    /// Mean mid error reduction on damaged mixes against the damaged mix, %.
    pub restored_pct: f32,
    /// Mean mid error the correction causes on undamaged masters, dB.
    pub harm_mean_db: f32,
    /// Undamaged masters whose correction moves a band by more than 1.5 dB, %.
    pub harm_over_1p5_pct: f32,
    /// Largest move on an undamaged master, dB.
    pub harm_max_db: f32,
}

/// The named-problem figures of one kind.
#[derive(Debug, Clone, Serialize)]
pub struct NamedFigures {
    /// The problem.
    pub kind: String,
    /// Damaged mixes measured.
    pub count: usize,
    /// Mean mid error of the damaged mixes, dB.
    pub damaged_db: f32,
    /// Mean mid error with the problem named, dB.
    pub named_db: f32,
    /// Reduction against the damaged mix, %.
    pub restored_pct: f32,
    /// Largest move on an undamaged master with the problem wrongly named, dB.
    pub wrong_name_max_db: f32,
    /// Mean mid error on undamaged masters with the problem wrongly named, dB.
    pub wrong_name_mean_db: f32,
}

/// The problem of an evaluation damage.
pub fn problem_of(kind: DamageKind) -> Problem {
    match kind {
        DamageKind::Mud => Problem::Mud,
        DamageKind::Boom => Problem::Boom,
        DamageKind::Harshness => Problem::Harshness,
        DamageKind::Dullness => Problem::Dullness,
        DamageKind::Thinness => Problem::Thinness,
    }
}

fn add(a: &[f32; NUM_BANDS], b: &[f32; NUM_BANDS]) -> [f32; NUM_BANDS] {
    std::array::from_fn(|k| a[k] + b[k])
}

/// The evaluation's damages of track `t`: `copies` of them (the first is the one
/// `eval-corpus` applies with `seed`), each with its problem and side gain.
fn damages(seed: u64, t: usize, n: usize, copies: usize) -> Vec<(Problem, [f32; NUM_BANDS], f32)> {
    (0..copies)
        .map(|c| {
            let d = damage_for(seed, t + c * n);
            let eq = EqDamage {
                problem: problem_of(d.kind),
                freq_hz: d.freq_hz,
                gain_db: d.gain_db,
                q: d.q,
            };
            (eq.problem, eq.curve_db(), d.width_gain)
        })
        .collect()
}

/// The restore-versus-harm curve at each of `strengths` (`all`, then per kind), and the
/// named-problem figures at strength 1, leave-one-track-out.
pub fn measure(
    trainer: &Trainer,
    loo: &[Estimator],
    seed: u64,
    copies: usize,
    strengths: &[f32],
) -> (Vec<CurvePoint>, Vec<NamedFigures>) {
    let n = trainer.num_tracks();
    let mut curve = Vec::new();
    let kinds: Vec<Option<Problem>> = std::iter::once(None)
        .chain(Problem::ALL.iter().copied().map(Some))
        .collect();
    for &s in strengths {
        // Harm: the correction on each undamaged master.
        let mut harm = Vec::with_capacity(n);
        let mut moved = Vec::with_capacity(n);
        for (t, est) in loo.iter().enumerate() {
            let orig = trainer.track(t);
            let c = est.no_hint_correction(orig, s);
            harm.push(mid_error_db(&apply(orig, &c, 1.0), orig));
            moved.push(c.iter().fold(0.0f32, |m, v| m.max(v.abs())));
        }
        let mut per_kind: Vec<(f64, f64, usize)> = vec![(0.0, 0.0, 0); kinds.len()];
        for (t, est) in loo.iter().enumerate() {
            let orig = trainer.track(t);
            for (p, curve_db, w) in damages(seed, t, n, copies) {
                let damaged = apply(orig, &curve_db, w);
                let c = est.no_hint_correction(&damaged, s);
                let before = mid_error_db(&damaged, orig);
                let after = mid_error_db(&apply(orig, &add(&curve_db, &c), w), orig);
                for (i, k) in kinds.iter().enumerate() {
                    if k.is_none() || *k == Some(p) {
                        per_kind[i].0 += f64::from(before);
                        per_kind[i].1 += f64::from(after);
                        per_kind[i].2 += 1;
                    }
                }
            }
        }
        for (i, k) in kinds.iter().enumerate() {
            let (before, after, _) = per_kind[i];
            curve.push(CurvePoint {
                kind: k.map_or("all".to_string(), |p| p.name().to_string()),
                strength: s,
                restored_pct: (100.0 * (1.0 - after / before.max(1e-9))) as f32,
                harm_mean_db: harm.iter().sum::<f32>() / n.max(1) as f32,
                harm_over_1p5_pct: 100.0 * moved.iter().filter(|&&m| m > 1.5).count() as f32
                    / n.max(1) as f32,
                harm_max_db: moved.iter().fold(0.0, |m: f32, v| m.max(*v)),
            });
        }
    }
    let named = named_figures(trainer, loo, seed, copies, |track, est, p| {
        est.correction(track, &[p], 1.0)
    });
    (curve, named)
}

/// The named-problem figures through the assistant's own decision: each damaged mix decided
/// against its automatic family with the damage's kind named (`decide::decide_with`, the
/// estimator trained without the track in place of the committed one), and the fitted EQ
/// (`EqDecision::fitted_db`, what the chain's bells and shelves do) applied as the correction.
/// Beside [`measure`]'s ideal correction this shows what the decision keeps of it; `cargo
/// xtask eval` then measures the rendered audio.
pub fn measure_named_decided(
    trainer: &Trainer,
    loo: &[Estimator],
    seed: u64,
    copies: usize,
) -> Vec<NamedFigures> {
    use crate::assistant::decide::{Goal, decide_with};
    use crate::assistant::targets::family_target;
    let goal = Goal {
        target_lufs: -14.0,
        ceiling_dbtp: -1.0,
    };
    let fitted = |track: &TrackFeatures, est: &Estimator, p: Problem| {
        let Ok((target, _)) = family_target(track, None) else {
            return [0.0; NUM_BANDS];
        };
        let d = super::with_estimator(est.clone(), || decide_with(track, &target, &goal, &[p]));
        std::array::from_fn(|k| d.eq.fitted_db.get(k).copied().unwrap_or(0.0))
    };
    named_figures(trainer, loo, seed, copies, fitted)
}

/// The named-problem figures of each kind with `correct(track, estimator, problem)` as the
/// correction: on every damaged mix of that kind (against the damaged mix), and on every
/// undamaged master with the problem wrongly named.
fn named_figures(
    trainer: &Trainer,
    loo: &[Estimator],
    seed: u64,
    copies: usize,
    correct: impl Fn(&TrackFeatures, &Estimator, Problem) -> [f32; NUM_BANDS],
) -> Vec<NamedFigures> {
    let n = trainer.num_tracks();
    Problem::ALL
        .iter()
        .map(|&p| {
            let (mut before, mut after, mut count) = (0.0f64, 0.0f64, 0usize);
            let (mut wrong_max, mut wrong_sum) = (0.0f32, 0.0f64);
            for (t, est) in loo.iter().enumerate() {
                let orig = trainer.track(t);
                let c0 = correct(orig, est, p);
                wrong_max = c0.iter().fold(wrong_max, |m, v| m.max(v.abs()));
                wrong_sum += f64::from(mid_error_db(&apply(orig, &c0, 1.0), orig));
                for (q, curve_db, w) in damages(seed, t, n, copies) {
                    if q != p {
                        continue;
                    }
                    let damaged = apply(orig, &curve_db, w);
                    let c = correct(&damaged, est, p);
                    before += f64::from(mid_error_db(&damaged, orig));
                    after += f64::from(mid_error_db(&apply(orig, &add(&curve_db, &c), w), orig));
                    count += 1;
                }
            }
            NamedFigures {
                kind: p.name().to_string(),
                count,
                damaged_db: (before / count.max(1) as f64) as f32,
                named_db: (after / count.max(1) as f64) as f32,
                restored_pct: (100.0 * (1.0 - after / before.max(1e-9))) as f32,
                wrong_name_max_db: wrong_max,
                wrong_name_mean_db: (wrong_sum / n.max(1) as f64) as f32,
            }
        })
        .collect()
}
