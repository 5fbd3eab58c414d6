//! Explanations: one sentence per decision, with its numbers, in the words a mastering
//! engineer would use ("Cut 2.4 dB at 250 Hz: low mids 3.1 dB above the target's range
//! (for this balance)"; a family's range is its percentiles, narrowed, widened by a margin
//! and bent to the track's broad balance, see `decide`). The CLI prints them, the JSON report
//! stores them, the editor shows them.
//! The amounts quoted (gains, percentages, bass mono) are read from the settings that
//! [`super::decide::apply`] made, so a sentence says exactly what was set; the reasons come
//! from the analysis.

use super::decide::{
    BASS_MONO_FOLD_DOWN_LOSS_DB, CLIFF_DB, Decision, EqMove, EqMoveKind, HZ_STEP, ProblemEvidence,
    Q_STEP, WIDTH_FAMILY_MARGIN_DB, fold_down_loss_db, snap,
};
use super::decide::{Problem, WEAK_EVIDENCE_CAP_DB};
use super::learn::LearnedEvidence;
use super::profile::{NUM_BANDS, TargetKind, band_centre_hz};
use crate::chain::ChainSettings;
use crate::dsp::macros::tone_to_tilt_db;

/// Name of the region around `freq_hz`, as engineers talk about it (boundaries after the
/// usual mastering vocabulary: sub below 60 Hz, bass to 150 Hz, low mids to 500 Hz, mids to
/// 2 kHz, upper mids to 5 kHz, highs to 10 kHz, air above).
pub fn region_name(freq_hz: f32) -> &'static str {
    match freq_hz {
        f if f < 60.0 => "sub-bass",
        f if f < 150.0 => "bass",
        f if f < 500.0 => "low mids",
        f if f < 2000.0 => "mids",
        f if f < 5000.0 => "upper mids",
        f if f < 10_000.0 => "highs",
        _ => "air",
    }
}

/// A frequency for reading: "250 Hz", "2.5 kHz", "12 kHz".
pub fn format_hz(freq_hz: f32) -> String {
    if freq_hz < 1000.0 {
        format!("{:.0} Hz", freq_hz)
    } else if freq_hz < 10_000.0 {
        let khz = freq_hz / 1000.0;
        if (khz - khz.round()).abs() < 0.05 {
            format!("{:.0} kHz", khz)
        } else {
            format!("{:.1} kHz", khz)
        }
    } else {
        format!("{:.0} kHz", freq_hz / 1000.0)
    }
}

/// Why one EQ move was made: how far outside the target the track was where the move acts.
fn eq_reason(m: &EqMove, reference: bool) -> String {
    let region = region_name(m.at_hz);
    let at = format_hz(m.at_hz);
    let centre = 0.5 * (m.upper_db + m.lower_db);
    if m.track_db > m.upper_db + 0.05 {
        if reference {
            let by = m.track_db - centre;
            format!("{region} at {at} {by:.1} dB above the reference")
        } else {
            let by = m.track_db - m.upper_db;
            format!("{region} at {at} {by:.1} dB above the target's range (for this balance)")
        }
    } else if m.track_db < m.lower_db - 0.05 {
        if reference {
            let by = centre - m.track_db;
            format!("{region} at {at} {by:.1} dB below the reference")
        } else {
            let by = m.lower_db - m.track_db;
            format!("{region} at {at} {by:.1} dB below the target's range (for this balance)")
        }
    } else {
        format!("balances the neighbouring moves ({region} at {at} already on target)")
    }
}

/// The gain `applied` gives the band that carries move `m`, dB (the move scaled by the Tone
/// Amount and snapped to the parameter's step, as [`super::decide::apply`] set it).
fn applied_gain_db(m: &EqMove, applied: &ChainSettings) -> f32 {
    let eq = &applied.stages.eq;
    match m.kind {
        EqMoveKind::LowShelf => eq.low_shelf.gain_db,
        EqMoveKind::HighShelf => eq.high_shelf.gain_db,
        EqMoveKind::Tilt => tone_to_tilt_db(applied.macros.tone),
        EqMoveKind::Bell => {
            let (freq_hz, q) = (snap(m.freq_hz, HZ_STEP), snap(m.q, Q_STEP));
            let bell = eq.bells.iter().find(|b| b.freq_hz == freq_hz && b.q == q);
            debug_assert!(bell.is_some(), "no applied bell carries the move {m:?}");
            bell.map_or(0.0, |b| b.gain_db)
        }
    }
}

/// Why one EQ move was made when the learned estimator decided it: what it estimated at the
/// move's band and how far beyond character that is, or (a named problem the evidence alone
/// did not find) that it follows what the listener named.
fn learned_reason(m: &EqMove, learned: &LearnedEvidence, problems: &[ProblemEvidence]) -> String {
    let region = region_name(m.at_hz);
    let at = format_hz(m.at_hz);
    let Some(k) = (0..NUM_BANDS)
        .filter(|&k| learned.correction_db.get(k).is_some_and(|c| c.abs() > 0.0))
        .min_by(|&a, &b| {
            let d = |k: usize| (band_centre_hz(k) / m.at_hz).log2().abs();
            d(a).total_cmp(&d(b))
        })
    else {
        return format!("balances the neighbouring moves ({region} at {at})");
    };
    let (estimate, threshold) = (learned.estimate_db[k], learned.threshold_db[k]);
    let at = format_hz(band_centre_hz(k));
    // The no-hint part of the correction there; the rest is a named problem's.
    let no_hint = -estimate.signum() * (estimate.abs() - threshold).max(0.0);
    if no_hint.abs() + 0.05 >= learned.correction_db[k].abs() {
        let (word, by) = if estimate > 0.0 {
            ("too much", estimate)
        } else {
            ("too little", -estimate)
        };
        format!(
            "{region} at {at}: the learned estimate finds {by:.1} dB {word} from the mix, \
             {:.1} dB more than character alone gives comparable masters",
            by - threshold
        )
    } else if let Some(e) = problems
        .iter()
        .find(|e| e.named && e.strong && e.problem.reach().contains(&k))
    {
        // A named problem the spectrum confirms: its cap was the departure, not the weak cap.
        format!(
            "{region} at {at}: the problem you named, sized by the learned estimate; the \
             spectrum confirms it ({:.1} dB {} the median of comparable music at {}, more than \
             90 % of them show)",
            e.departure_db.unwrap_or(0.0),
            if e.problem.is_excess() {
                "above"
            } else {
                "below"
            },
            format_hz(e.at_hz)
        )
    } else {
        format!(
            "{region} at {at}: the problem you named, where it usually lies (held to {:.0} dB: \
             the evidence alone cannot tell it from the track's character)",
            WEAK_EVIDENCE_CAP_DB
        )
    }
}

/// The sentence for one EQ move, with the gain `applied` gives it; `reference` when the
/// target is the user's reference rather than a family.
pub fn explain_eq_move(m: &EqMove, applied: &ChainSettings, reference: bool) -> String {
    explain_eq_move_with(m, applied, reference, None, &[])
}

/// [`explain_eq_move`] for a move the learned estimator decided (`learned`), if any, with the
/// decision's named-problem evidence (`problems`: a named problem the spectrum confirms is
/// said so, not held to the weak cap).
pub fn explain_eq_move_with(
    m: &EqMove,
    applied: &ChainSettings,
    reference: bool,
    learned: Option<&LearnedEvidence>,
    problems: &[ProblemEvidence],
) -> String {
    let gain = applied_gain_db(m, applied);
    let verb = if gain < 0.0 { "Cut" } else { "Boost" };
    let size = gain.abs();
    let what = match m.kind {
        EqMoveKind::Bell => format!(
            "{verb} {size:.1} dB at {} (Q {:.1})",
            format_hz(m.freq_hz),
            m.q
        ),
        EqMoveKind::LowShelf => format!(
            "{verb} {size:.1} dB below {} (low shelf)",
            format_hz(m.freq_hz)
        ),
        EqMoveKind::HighShelf => format!(
            "{verb} {size:.1} dB above {} (high shelf)",
            format_hz(m.freq_hz)
        ),
        EqMoveKind::Tilt => {
            let dir = if gain < 0.0 { "darker" } else { "brighter" };
            format!("Tilt {size:.1} dB {dir} around 1 kHz")
        }
    };
    let reason = match learned {
        Some(l) => learned_reason(m, l, problems),
        None => eq_reason(m, reference),
    };
    format!("{what}: {reason}")
}

/// What the applied EQ (bands and tilt) does at `freq_hz`, dB.
fn applied_eq_db(applied: &ChainSettings, freq_hz: f32) -> f32 {
    let mut eq = applied.stages.eq;
    eq.tilt_db = tone_to_tilt_db(applied.macros.tone);
    eq.response_db(freq_hz, 48_000.0)
}

/// The sentence about one problem a listener can name: for a named one, the evidence found
/// and what the EQ does about it; for an unnamed one, only when the evidence makes it likely
/// (beyond what 90 % of comparable masters show) and the EQ left it, how to correct it.
pub fn explain_problem(
    e: &ProblemEvidence,
    applied: &ChainSettings,
    reference: bool,
) -> Option<String> {
    explain_problem_with(e, applied, reference, None)
}

/// [`explain_problem`] when the learned estimator decided the moves (`learned`): a named
/// problem is described by what the estimate found in its region.
pub fn explain_problem_with(
    e: &ProblemEvidence,
    applied: &ChainSettings,
    reference: bool,
    learned: Option<&LearnedEvidence>,
) -> Option<String> {
    if let (Some(l), true) = (learned, e.named && !e.strong) {
        return Some(learned_problem(e.problem, applied, l));
    }
    let p = e.problem;
    let name = p.name();
    let region = p.region_name();
    let is = if region.ends_with('s') { "are" } else { "is" };
    let at = format_hz(e.at_hz);
    let (more, verb) = if p.is_excess() {
        ("above", "cut")
    } else {
        ("below", "boost")
    };
    let against = if reference {
        "the reference"
    } else {
        "the median of comparable music"
    };
    let eq_db = applied_eq_db(applied, e.at_hz);
    let doing = if p.is_excess() { -eq_db } else { eq_db };
    let Some(departure) = e.departure_db else {
        return e.named.then(|| {
            format!("You named {name}: the track has no {region} content to judge; nothing changed")
        });
    };
    let rare = if reference {
        ""
    } else {
        ", beyond what 90 % of comparable masters show"
    };
    if !e.named {
        // Unnamed: said only when likely and left (the EQ does less than half of it there).
        let likely = e.strong && doing < 0.5 * departure;
        return likely.then(|| {
            format!(
                "Possible {name}: the {region} at {at} {is} {departure:.1} dB {more} {against}{rare}; \
                 left alone because good masters can differ this much. If you hear it, name it \
                 (--fix {name}, or the {} button on the Assistant page)",
                p.label()
            )
        });
    }
    if departure <= 0.05 {
        let opposite = if p.is_excess() { "below" } else { "above" };
        return Some(format!(
            "You named {name}: the {region} {is} not {more} {against} (at {at}, {:.1} dB \
             {opposite}), so there is nothing to {verb}",
            -departure
        ));
    }
    let evidence = if e.strong {
        format!("strong evidence{rare}")
    } else {
        format!(
            "weak evidence, within what good masters show, so the {verb} is held to {:.0} dB",
            e.cap_db
        )
    };
    let action = if doing >= 0.1 {
        format!("the EQ {verb}s {doing:.1} dB there")
    } else {
        format!("too small a departure for the EQ to {verb}")
    };
    Some(format!(
        "You named {name}: the {region} at {at} {is} {departure:.1} dB {more} {against} \
         ({evidence}); {action}"
    ))
}

/// The sentence about a named problem when the learned estimator decided the moves.
fn learned_problem(p: Problem, applied: &ChainSettings, l: &LearnedEvidence) -> String {
    let name = p.name();
    let region = p.region_name();
    let sign = if p.is_excess() { 1.0 } else { -1.0 };
    let verb = if p.is_excess() { "cut" } else { "boost" };
    // Where the correction for it is largest, and whether the estimate alone finds it there.
    let Some(k) = p.bands().max_by(|&a, &b| {
        let c = |k: usize| l.correction_db.get(k).map_or(0.0, |c| -sign * c);
        c(a).total_cmp(&c(b))
    }) else {
        return format!("You named {name}: nothing to {verb}");
    };
    let at = format_hz(band_centre_hz(k));
    let doing = sign * -applied_eq_db(applied, band_centre_hz(k));
    let found = p.bands().any(|k| {
        let (e, t) = (l.estimate_db[k], l.threshold_db[k]);
        sign * e > t
    });
    let evidence = if found {
        format!(
            "the learned estimate finds it too ({:.1} dB {} at {at})",
            sign * l.estimate_db[k],
            if p.is_excess() {
                "too much"
            } else {
                "too little"
            }
        )
    } else {
        format!(
            "weak evidence: the estimate cannot tell it from the track's character, so the \
             {verb} takes its usual shape and is held to {:.0} dB",
            WEAK_EVIDENCE_CAP_DB
        )
    };
    let action = if doing >= 0.1 {
        format!("the EQ {verb}s {doing:.1} dB at {at}")
    } else {
        format!("too small for the EQ to {verb}")
    };
    format!("You named {name} ({region}): {evidence}; {action}")
}

/// Band names of the multiband split.
const SPLIT_NAMES: [&str; 3] = ["lows", "mids", "highs"];

/// Every explanation of `decision` as `applied` (what [`super::decide::apply`] made of it at
/// the user's amounts), in chain order: EQ moves (low to high), dynamics, width, bass mono,
/// loudness.
pub fn explain(decision: &Decision, applied: &ChainSettings) -> Vec<String> {
    let reference = decision.target_kind == TargetKind::Reference;
    let mut out: Vec<String> = if decision.eq.moves.is_empty() {
        vec![if decision.eq.learned.is_some() {
            "No EQ: the learned estimate finds no EQ problem in the mix beyond what comparable \
             masters' character explains"
                .to_string()
        } else {
            "No EQ: the tonal balance is within the target in every band".to_string()
        }]
    } else {
        decision
            .eq
            .moves
            .iter()
            .map(|m| {
                explain_eq_move_with(
                    m,
                    applied,
                    reference,
                    decision.eq.learned.as_ref(),
                    &decision.eq.problems,
                )
            })
            .collect()
    };
    out.extend(
        decision.eq.problems.iter().filter_map(|e| {
            explain_problem_with(e, applied, reference, decision.eq.learned.as_ref())
        }),
    );
    for (whose, (low_hz, high_hz)) in [
        ("track's", decision.eq.content_hz),
        ("target's", decision.eq.target_content_hz),
    ] {
        if high_hz < band_centre_hz(NUM_BANDS - 1) * 0.99 {
            out.push(format!(
                "No EQ above {}: the {whose} content ends there (a low-pass, more than \
                 {CLIFF_DB:.0} dB down within a third of an octave), so nothing there is \
                 boosted or matched",
                format_hz(high_hz),
            ));
        }
        if low_hz > band_centre_hz(0) * 1.01 {
            out.push(format!(
                "No EQ below {}: the {whose} content starts there (a high-pass, more than \
                 {CLIFF_DB:.0} dB down within a third of an octave)",
                format_hz(low_hz),
            ));
        }
    }

    let dy = &decision.dynamics;
    let plr = dy
        .track_plr_db
        .map_or("unknown".to_string(), |p| format!("{p:.1} dB"));
    let amount = applied.macros.dynamics_pct;
    // The decision follows whichever of PLR and LRA is further over its target (LRA at half
    // weight, as decide_dynamics weighs it); the sentence quotes that one.
    let plr_over = dy
        .track_plr_db
        .map_or(f32::NEG_INFINITY, |p| p - dy.target_plr_p90_db);
    let lra_over = dy
        .track_lra_lu
        .map_or(f32::NEG_INFINITY, |l| l - dy.target_lra_p90_lu);
    out.push(if amount > 0.0 && 0.5 * lra_over > plr_over {
        format!(
            "Multiband compression at {amount:.0} %: loudness range {:.1} LU is {lra_over:.1} LU \
             above the target's 90th percentile ({:.1} LU)",
            dy.track_lra_lu.unwrap_or(0.0),
            dy.target_lra_p90_lu
        )
    } else if amount > 0.0 {
        format!(
            "Multiband compression at {amount:.0} %: peak-to-loudness ratio {plr} is \
             {plr_over:.1} dB above the target's 90th percentile ({:.1} dB)",
            dy.target_plr_p90_db
        )
    } else {
        format!(
            "No multiband compression: peak-to-loudness ratio {plr}, not more than {:.0} dB \
             above the target's 90th percentile of {:.1} dB; the limiter handles the peaks",
            super::decide::DYNAMICS_MARGIN_DB,
            dy.target_plr_p90_db
        )
    });

    let w = &decision.width;
    let ranges = [
        format!("below {}", format_hz(w.crossovers_hz.0)),
        format!(
            "{} to {}",
            format_hz(w.crossovers_hz.0),
            format_hz(w.crossovers_hz.1)
        ),
        format!("above {}", format_hz(w.crossovers_hz.1)),
    ];
    let mut any_width = false;
    if w.polarity_inverted {
        any_width = true;
        out.push(format!(
            "Width and bass mono unchanged: the right channel is the left inverted (correlation \
             {:.2} over the loud parts), so the mono fold-down is silent and narrowing would \
             silence the track; the tone was judged as if one channel were flipped. Flip one \
             channel's polarity",
            w.correlation.unwrap_or(-1.0)
        ));
    }
    for b in 0..3 {
        if w.anti_phase[b] && !w.polarity_inverted {
            any_width = true;
            out.push(format!(
                "The {} ({}) left at 100 %: more side than mid (side/mid {:.1} dB), so its \
                 channels are mostly in opposite phase; narrowing would cancel the music there, \
                 not the width (check the polarity of its sources)",
                SPLIT_NAMES[b], ranges[b], w.track_side_to_mid_db[b]
            ));
            continue;
        }
        let decided = w.band_width_pct[b] / 100.0;
        if (decided - 1.0).abs() < 0.005 {
            continue;
        }
        any_width = true;
        let pct = applied.stages.stereo.band_width_pct[b];
        let track = w.track_side_to_mid_db[b];
        let by = w.move_db[b].abs();
        if b == 0 && w.fold_down_narrowed {
            out.push(format!(
                "Narrow the {} ({}) to {pct:.0} %: mono playback loses {:.1} dB of the low end \
                 (side/mid {track:.1} dB), more than {BASS_MONO_FOLD_DOWN_LOSS_DB:.0} dB; \
                 narrowed only until it loses {BASS_MONO_FOLD_DOWN_LOSS_DB:.0} dB, so the rest \
                 of its width stays (no Bass Mono, which would remove all of it)",
                SPLIT_NAMES[b], ranges[b], w.low_end_fold_down_loss_db
            ));
            continue;
        }
        let range = if reference {
            "the reference".to_string()
        } else {
            format!("the target's range widened by {WIDTH_FAMILY_MARGIN_DB:.0} dB")
        };
        let (verb, reason) = if decided > 1.0 {
            ("Widen", format!("side {by:.1} dB under {range}"))
        } else {
            ("Narrow", format!("side {by:.1} dB over {range}"))
        };
        let held = if !w.mono_limited[b] {
            ""
        } else if reference {
            ", held back so mono playback loses at most 1 dB more than now, or what it \
             loses with the reference"
        } else {
            ", held back so mono playback loses at most 1 dB more than now"
        };
        out.push(format!(
            "{verb} the {} ({}) to {pct:.0} %: {reason} (side/mid {track:.1} dB){held}",
            SPLIT_NAMES[b], ranges[b]
        ));
    }
    if !any_width {
        out.push(if reference {
            "Width unchanged: every band's side/mid ratio is within the reference's".into()
        } else {
            format!(
                "Width unchanged: every band's side/mid ratio is within the target's range \
                 (plus {WIDTH_FAMILY_MARGIN_DB:.0} dB), and the low end loses {:.1} dB in mono \
                 (not more than {BASS_MONO_FOLD_DOWN_LOSS_DB:.0} dB)",
                w.low_end_fold_down_loss_db
            )
        });
    }

    if let Some(b) = &decision.bass_mono {
        out.push(if applied.macros.bass_mono_on {
            format!(
                "Bass mono below {}: the low end loses {:.1} dB when played in mono (side/mid \
                 {:.1} dB, against {:.1} dB in the target)",
                format_hz(b.freq_hz),
                fold_down_loss_db(b.track_low_end_side_to_mid_db),
                b.track_low_end_side_to_mid_db,
                b.target_low_end_side_to_mid_db
            )
        } else {
            "Bass mono off: Width Amount is 0 %".to_string()
        });
    }

    let l = &decision.loudness;
    let track = l
        .track_lufs
        .map_or("silent".to_string(), |v| format!("{v:.1} LUFS"));
    out.push(match l.drive_db {
        Some(d) => format!(
            "Drive {d:+.1} dB for {:.1} LUFS (track at {track}), ceiling {:.1} dBTP",
            l.target_lufs, l.ceiling_dbtp
        ),
        None => format!(
            "Loudness goal {:.1} LUFS (track at {track}), ceiling {:.1} dBTP",
            l.target_lufs, l.ceiling_dbtp
        ),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bell(gain_db: f32, track_db: f32, lower_db: f32, upper_db: f32) -> EqMove {
        EqMove {
            kind: EqMoveKind::Bell,
            freq_hz: 250.0,
            gain_db,
            q: 1.0,
            at_hz: 251.2,
            track_db,
            lower_db,
            upper_db,
        }
    }

    /// Settings whose first bell carries a move at 250 Hz, Q 1, with `gain_db` (what `apply`
    /// set after the Tone Amount).
    fn applied(gain_db: f32) -> ChainSettings {
        let mut s = ChainSettings::default();
        s.stages.eq.bells[0] = crate::dsp::eq::EqBand {
            freq_hz: 250.0,
            gain_db,
            q: 1.0,
        };
        s
    }

    #[test]
    fn a_cut_quotes_its_size_place_and_excess() {
        let s = explain_eq_move(&bell(-2.4, 5.1, -1.0, 2.0), &applied(-2.4), false);
        assert_eq!(
            s,
            "Cut 2.4 dB at 250 Hz (Q 1.0): low mids at 251 Hz 3.1 dB above the target's range \
             (for this balance)"
        );
        // The sentence quotes what was set (here the move at half Tone Amount).
        let half = explain_eq_move(&bell(-2.4, 5.1, -1.0, 2.0), &applied(-1.2), false);
        assert!(half.starts_with("Cut 1.2 dB"), "{half}");
    }

    #[test]
    fn a_reference_is_named_as_such() {
        // A reference: its level +/- 0.25 dB; the distance is quoted to the reference itself.
        let s = explain_eq_move(&bell(1.5, -2.0, -0.25, 0.25), &applied(1.5), true);
        assert!(s.starts_with("Boost 1.5 dB at 250 Hz"), "{s}");
        assert!(s.ends_with("2.0 dB below the reference"), "{s}");
    }

    #[test]
    fn frequencies_and_regions_read_naturally() {
        assert_eq!(format_hz(250.0), "250 Hz");
        assert_eq!(format_hz(2512.0), "2.5 kHz");
        assert_eq!(format_hz(3000.0), "3 kHz");
        assert_eq!(format_hz(12_589.0), "13 kHz");
        assert_eq!(region_name(40.0), "sub-bass");
        assert_eq!(region_name(250.0), "low mids");
        assert_eq!(region_name(3150.0), "upper mids");
        assert_eq!(region_name(12_500.0), "air");
    }
}
