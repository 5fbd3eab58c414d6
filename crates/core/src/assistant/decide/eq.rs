//! The tonal EQ and dynamics decisions: where the track departs from the target's range,
//! band by band, and how much glue compression a dynamics departure asks for.

use super::*;

pub(super) fn decide_eq(track: &TrackFeatures, target: &TargetProfile) -> EqDecision {
    let mut lower_db = [0.0f32; NUM_BANDS];
    let mut upper_db = [0.0f32; NUM_BANDS];
    let mut median_db = [0.0f32; NUM_BANDS];
    for k in 0..NUM_BANDS {
        let p = band_of(&target.mid_db, k);
        lower_db[k] = p.p10.min(p.p90);
        upper_db[k] = p.p90.max(p.p10);
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
    // A family target follows the track's broad balance (character); a reference does not.
    if is_family(target) {
        shape::follow_broad_balance(&within, &mut lower_db, &mut upper_db, &mut median_db);
    }
    // Against a family, the bands outside 31.5 Hz..16 kHz (the least reliable estimates, and
    // where masters differ most: sub-bass drops, codec low-passes) do not ask for moves
    // either; a reference is matched there too.
    let family = is_family(target);
    let free = |k: &usize| !content.contains(k) || (family && !is_core_band(*k));
    for k in (0..NUM_BANDS).filter(free) {
        lower_db[k] = track.mid_db[k] - OUTSIDE_CONTENT_DB;
        upper_db[k] = track.mid_db[k] + OUTSIDE_CONTENT_DB;
        median_db[k] = track.mid_db[k];
    }
    let fit = fit_eq(&FitInput {
        track_db: track.mid_db,
        lower_db,
        upper_db,
        median_db,
    });
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
    }
}

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
