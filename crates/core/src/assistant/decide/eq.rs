//! The tonal EQ and dynamics decisions: where the track departs from the target's range,
//! band by band, and how much glue compression a dynamics departure asks for.

use super::named::Interval;
use super::*;
use crate::assistant::learn;
use crate::assistant::profile::band_edges_hz;

pub(super) fn decide_eq(
    track: &TrackFeatures,
    target: &TargetProfile,
    named: &[Problem],
) -> EqDecision {
    let mut lower_db = [0.0f32; NUM_BANDS];
    let mut upper_db = [0.0f32; NUM_BANDS];
    let mut median_db = [0.0f32; NUM_BANDS];
    let mut p10_db = [0.0f32; NUM_BANDS];
    let mut p90_db = [0.0f32; NUM_BANDS];
    for k in 0..NUM_BANDS {
        let p = band_of(&target.mid_db, k);
        lower_db[k] = p.p10.min(p.p90);
        upper_db[k] = p.p90.max(p.p10);
        (p10_db[k], p90_db[k]) = (lower_db[k], upper_db[k]);
        median_db[k] = p.p50.clamp(lower_db[k], upper_db[k]);
        // A family's percentiles: leave a margin (see FAMILY_MARGIN_DB).
        if upper_db[k] - lower_db[k] >= FAMILY_INTERVAL_DB {
            lower_db[k] -= FAMILY_MARGIN_DB;
            upper_db[k] += FAMILY_MARGIN_DB;
        }
    }
    // Bands beyond a low-pass or high-pass cliff hold no content to correct: they neither
    // bend the broad balance nor ask for a move (free in the fit, level with the track).
    // The same for a target without highs (a reference with a codec low-pass): no move
    // matches those empty bands either. At the low end a reference without sub-bass is
    // followed (cutting a track's rumble to match a high-passed reference is what the user
    // asked for).
    let track_content = shape::content_bands(&track.mid_db, &median_db);
    let target_content = 0..=*shape::content_bands(&median_db, &track.mid_db).end();
    let content = *track_content.start().max(target_content.start())
        ..=*track_content.end().min(target_content.end());
    let within: [f32; NUM_BANDS] = std::array::from_fn(|k| {
        if content.contains(&k) {
            track.mid_db[k]
        } else {
            f32::NAN
        }
    });
    let family_interval = (lower_db, upper_db, median_db);
    // A family target follows the track's broad balance (character); a reference does not.
    if is_family(target) {
        shape::follow_broad_balance(&within, &mut lower_db, &mut upper_db, &mut median_db);
    }
    // Against a family, the bands outside 31.5 Hz..16 kHz (the least reliable estimates, and
    // where masters differ most: sub-bass drops, codec low-passes) do not ask for moves
    // either; a reference is matched there too.
    let family = is_family(target);
    // The problems a listener can name: evidence for each, and the named ones' regions
    // tightened (see `named`).
    let interval = Interval {
        lower_db: &family_interval.0,
        upper_db: &family_interval.1,
        median_db: &family_interval.2,
        p10_db: &p10_db,
        p90_db: &p90_db,
    };
    // The ends first: a strong shelf problem there is left out of the middle ones' frames.
    let mut excluded = [false; NUM_BANDS];
    let mut problems = Vec::with_capacity(Problem::ALL.len());
    for pass in [true, false] {
        let mut strong_ends = Vec::new();
        for &p in Problem::ALL.iter().filter(|p| p.at_an_end() == pass) {
            let e = named::weigh(
                p,
                named.contains(&p),
                &excluded,
                &track.mid_db,
                &within,
                &interval,
                family,
                &mut lower_db,
                &mut upper_db,
                &mut median_db,
            );
            if e.strong {
                strong_ends.push(p);
            }
            problems.push(e);
        }
        for p in strong_ends {
            for k in p.bands() {
                excluded[k] = true;
            }
        }
    }
    problems.sort_by_key(|e| e.problem);
    let free = |k: &usize| !content.contains(k) || (family && !is_core_band(*k));
    for k in (0..NUM_BANDS).filter(free) {
        lower_db[k] = track.mid_db[k] - OUTSIDE_CONTENT_DB;
        upper_db[k] = track.mid_db[k] + OUTSIDE_CONTENT_DB;
        median_db[k] = track.mid_db[k];
    }
    // Against a family, the learned estimator decides the moves (see `learn`): the target is
    // the track with the estimator's correction, within `LEARNED_TOLERANCE_DB`, so the fit's
    // bells and shelves realise the correction and nothing else.
    // A named problem is held to the weak-evidence cap unless the spectrum gives strong
    // evidence against the family (beyond its 90th percentile plus the never-harm margin):
    // then its estimate may reach the departure from the family's median.
    // A named dullness may be far beyond the other problems' trained range (a low-passed top):
    // its model is trained on losses up to `learn::damage::MAX_NAMED_DULLNESS_DB`, so the
    // estimate sizes it too; the family's median never does (on real masters a far departure is
    // mostly character, and correcting towards the median over-corrects by it).
    let caps: Vec<(Problem, f32)> = problems
        .iter()
        .filter(|e| e.named)
        .map(|e| {
            let departure = e.departure_db.unwrap_or(0.0).abs();
            let cap = if e.strong {
                departure.max(WEAK_EVIDENCE_CAP_DB)
            } else {
                WEAK_EVIDENCE_CAP_DB
            };
            (e.problem, cap)
        })
        .collect();
    let learned = family
        .then(|| learn::with_current(|e| e.map(|e| e.evidence(track, &caps, 1.0))))
        .flatten();
    if let Some(evidence) = &learned {
        // The fit smooths the track and the interval alike.
        for k in (0..NUM_BANDS).filter(|k| !free(k)) {
            median_db[k] = track.mid_db[k] + evidence.correction_db[k];
            lower_db[k] = median_db[k] - LEARNED_TOLERANCE_DB;
            upper_db[k] = median_db[k] + LEARNED_TOLERANCE_DB;
        }
    }
    let mut fit = fit_eq(&FitInput {
        track_db: track.mid_db,
        lower_db,
        upper_db,
        median_db,
    });
    // A named problem's correction stays within its cap as a gain, not only as a change of
    // balance: the fit aligns levels after the EQ (a cut's lost loudness comes back with the
    // Drive), so a region tightened to `cap` from the track can take a gain about the cut's
    // mean over the spectrum larger. Move the region's interval back by what the gain exceeds
    // and fit again (a few rounds converge; each is a fresh fit).
    for _ in 0..MAX_CAP_ROUNDS {
        let mut over_any = false;
        for e in problems
            .iter()
            .filter(|e| e.named && e.departure_db.is_some())
        {
            let sign = if e.problem.is_excess() { -1.0 } else { 1.0 };
            let region = e.problem.bands();
            let reach = e.problem.reach();
            let (lo_hz, hi_hz) = (
                band_edges_hz(*reach.start()).0,
                band_edges_hz(*reach.end()).1,
            );
            let gains = fit
                .moves
                .iter()
                .filter(|m| (lo_hz..=hi_hz).contains(&m.freq_hz))
                .map(|m| sign * m.gain_db);
            let over = reach
                .map(|k| sign * fit.fitted_db[k])
                .chain(gains)
                .fold(f32::NEG_INFINITY, f32::max)
                - e.cap_db;
            if over > CAP_SLACK_DB {
                over_any = true;
                for k in region {
                    upper_db[k] -= sign * over;
                    lower_db[k] -= sign * over;
                }
            }
        }
        if !over_any {
            break;
        }
        fit = fit_eq(&FitInput {
            track_db: track.mid_db,
            lower_db,
            upper_db,
            median_db,
        });
    }
    EqDecision {
        settings: fit.settings,
        moves: fit.moves,
        wanted_db: fit.wanted_db.to_vec(),
        fitted_db: fit.fitted_db.to_vec(),
        content_hz: (
            band_centre_hz(*track_content.start()),
            band_centre_hz(*track_content.end()),
        ),
        target_content_hz: (
            band_centre_hz(*target_content.start()),
            band_centre_hz(*target_content.end()),
        ),
        problems,
        learned,
    }
}

/// Half-width of the target interval around the learned correction, dB: the fit realises
/// the correction within this and leaves the other bands within it of the track.
pub(super) const LEARNED_TOLERANCE_DB: f32 = 0.25;

/// Most refits that bring a named problem's gain back within its cap.
const MAX_CAP_ROUNDS: usize = 4;
/// How far a named problem's gain may exceed its cap before a refit, dB.
const CAP_SLACK_DB: f32 = 0.05;

/// Half-width of the free interval given to bands outside the track's content, dB (wider
/// than any move, so they never ask for one).
pub(super) const OUTSIDE_CONTENT_DB: f32 = 100.0;

pub(super) fn decide_dynamics(track: &TrackFeatures, target: &TargetProfile) -> DynamicsDecision {
    let plr_excess = track
        .plr_db
        .map_or(0.0, |p| p - target.plr_db.p90 - DYNAMICS_MARGIN_DB);
    let lra_excess = track.loudness_range_lu.map_or(0.0, |l| {
        0.5 * (l - target.loudness_range_lu.p90 - DYNAMICS_MARGIN_DB)
    });
    let excess = plr_excess.max(lra_excess).max(0.0);
    let amount_pct = (DYNAMICS_PCT_PER_DB * excess).clamp(0.0, MAX_DYNAMICS_PCT);
    DynamicsDecision {
        amount_pct: if amount_pct.is_finite() {
            amount_pct
        } else {
            0.0
        },
        track_plr_db: track.plr_db,
        target_plr_p90_db: target.plr_db.p90,
        track_lra_lu: track.loudness_range_lu,
        target_lra_p90_lu: target.loudness_range_lu.p90,
    }
}
