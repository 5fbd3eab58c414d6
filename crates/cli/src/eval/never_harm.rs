//! The never-harm block of `lacquer eval-corpus` (issue 14, items 4 and 8): how far mastering
//! an undamaged, finished master without a reference changes its width and its dynamics.
//!
//! - **Width**: [`width_change_db`], the side/mid ratio per 1/3-octave band from 40 Hz to
//!   12.5 kHz, floored at -30 dB where the side is inaudible, RMS over the bands of its change;
//!   a master counts as kept when it changes by at most [`KEPT_WIDTH_DB`].
//! - **Dynamics**: the multiband amount the assistant set, and the change of the loudness range
//!   (LRA, EBU Tech 3342) and of the peak-to-loudness ratio (PLR, true peak minus integrated
//!   loudness) from the input to the master. Both are ratios of levels, so they compare the
//!   two at matched loudness whatever the Drive. LRA is what the multiband compression changes
//!   (a master's macro-dynamics); PLR also falls wherever the limiter has to work to reach
//!   -14 LUFS, which is the loudness goal, not a dynamics decision, so the two are reported
//!   apart.

use super::TrackFigures;
use crate::master::assist::Assisted;
use lacquer_core::assistant::eval::{WIDTH_FLOOR_DB, mean, width_change_db};
use lacquer_core::assistant::profile::TrackFeatures;
use serde::Serialize;
use std::fmt::Write;

/// Largest width change that counts as keeping a master's width, dB (issue 14).
pub const KEPT_WIDTH_DB: f32 = 1.0;
/// Share of good masters that should keep their width (issue 14), percent.
const KEPT_WIDTH_GOAL_PCT: f32 = 90.0;
/// Tracks named in each "worst" list.
const WORST: usize = 5;

/// What one mastering run changed in width and dynamics, and the decisions behind it.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Change {
    /// Width change against the original ([`width_change_db`]), dB.
    pub width_change_db: f32,
    /// Width per split band (lows, mids, highs) as applied, percent.
    pub band_width_pct: [f32; 3],
    /// Side level change each split band wanted before the mono limit, dB.
    pub width_move_db: [f32; 3],
    /// The dynamics macro as applied, percent.
    pub dynamics_pct: f32,
    /// Loudness range of the master minus the input's, LU (NaN when either is unknown).
    pub lra_change_lu: f32,
    /// Peak-to-loudness ratio of the master minus the input's, dB (NaN when unknown).
    pub plr_change_db: f32,
}

impl Change {
    /// Measures the run `a` whose rendered result analyses as `result`, against `original`.
    pub fn measure(a: &Assisted, result: &TrackFeatures, original: &TrackFeatures) -> Self {
        let diff = |after: Option<f32>, before: Option<f32>| match (after, before) {
            (Some(x), Some(y)) => x - y,
            _ => f32::NAN,
        };
        Self {
            width_change_db: width_change_db(result, original),
            band_width_pct: a.settings.stages.stereo.band_width_pct,
            width_move_db: a.decision.width.move_db,
            dynamics_pct: a.settings.macros.dynamics_pct,
            lra_change_lu: diff(result.loudness_range_lu, a.features.loudness_range_lu),
            plr_change_db: diff(result.plr_db, a.features.plr_db),
        }
    }
}

/// The `n` tracks with the largest `key`, as "name value" items.
fn worst(
    tracks: &[TrackFigures],
    key: &dyn Fn(&TrackFigures) -> f32,
    show: &dyn Fn(&TrackFigures) -> String,
) -> String {
    let mut sorted: Vec<&TrackFigures> = tracks.iter().filter(|t| key(t).is_finite()).collect();
    sorted.sort_by(|a, b| key(b).total_cmp(&key(a)));
    sorted
        .iter()
        .take(WORST)
        .map(|t| {
            format!(
                "{} {}",
                t.name.chars().take(24).collect::<String>(),
                show(t)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn mean_of(tracks: &[TrackFigures], f: &dyn Fn(&TrackFigures) -> f32) -> f32 {
    let values: Vec<f32> = tracks.iter().map(f).filter(|v| v.is_finite()).collect();
    mean(&values).unwrap_or(f32::NAN)
}

/// The never-harm width and dynamics lines, and the width restoration of the damaged mixes
/// on the same measure.
pub fn summary(tracks: &[TrackFigures]) -> String {
    let mut s = String::new();
    if tracks.is_empty() {
        return s;
    }
    let n = tracks.len();
    let kept = tracks
        .iter()
        .filter(|t| t.never_harm.change.width_change_db <= KEPT_WIDTH_DB)
        .count();
    let share = 100.0 * kept as f32 / n as f32;
    let _ = writeln!(
        s,
        "never harm, width (side/mid per 1/3 octave 40 Hz-12.5 kHz, floored at {WIDTH_FLOOR_DB:.0} \
         dB, RMS change): within {KEPT_WIDTH_DB:.0} dB on {kept} of {n} masters ({share:.1} %, \
         goal {KEPT_WIDTH_GOAL_PCT:.0} %), mean {:.2} dB",
        mean_of(tracks, &|t| t.never_harm.change.width_change_db),
    );
    let _ = writeln!(
        s,
        "  worst: {}",
        worst(tracks, &|t| t.never_harm.change.width_change_db, &|t| {
            let w = t.never_harm.change.band_width_pct;
            format!(
                "{:.2} dB (widths {:.0}/{:.0}/{:.0} %{})",
                t.never_harm.change.width_change_db,
                w[0],
                w[1],
                w[2],
                if t.never_harm.bass_mono {
                    ", bass mono"
                } else {
                    ""
                }
            )
        })
    );
    let moved = |b: usize| {
        tracks
            .iter()
            .filter(|t| (t.never_harm.change.band_width_pct[b] - 100.0).abs() > 0.5)
            .count()
    };
    let _ = writeln!(
        s,
        "  width moved on lows / mids / highs: {} / {} / {} masters",
        moved(0),
        moved(1),
        moved(2)
    );
    let dyn_on: Vec<&TrackFigures> = tracks
        .iter()
        .filter(|t| t.never_harm.change.dynamics_pct > 0.0)
        .collect();
    let _ = writeln!(
        s,
        "never harm, dynamics: multiband on {} of {n} masters (max {:.0} %); LRA change mean \
         {:+.2} LU, mean |change| {:.2} LU; PLR change mean {:+.2} dB (includes the limiting \
         the -14 LUFS goal needs)",
        dyn_on.len(),
        dyn_on
            .iter()
            .map(|t| t.never_harm.change.dynamics_pct)
            .fold(0.0, f32::max),
        mean_of(tracks, &|t| t.never_harm.change.lra_change_lu),
        mean_of(tracks, &|t| t.never_harm.change.lra_change_lu.abs()),
        mean_of(tracks, &|t| t.never_harm.change.plr_change_db),
    );
    let _ = writeln!(
        s,
        "  largest LRA change: {}",
        worst(tracks, &|t| t.never_harm.change.lra_change_lu.abs(), &|t| {
            format!(
                "{:+.2} LU (multiband {:.0} %)",
                t.never_harm.change.lra_change_lu, t.never_harm.change.dynamics_pct
            )
        })
    );
    let _ = writeln!(
        s,
        "  largest PLR drop: {}",
        worst(tracks, &|t| -t.never_harm.change.plr_change_db, &|t| {
            format!(
                "{:+.2} dB (multiband {:.0} %)",
                t.never_harm.change.plr_change_db, t.never_harm.change.dynamics_pct
            )
        })
    );
    let _ = writeln!(
        s,
        "width restoration on the same measure, mean dB: damaged {:.2}, with reference {:.2}, \
         without reference {:.2} (within {KEPT_WIDTH_DB:.0} dB: {} / {} / {} of {n})",
        mean_of(tracks, &|t| t.damaged_width_change_db),
        mean_of(tracks, &|t| t.with_reference.change.width_change_db),
        mean_of(tracks, &|t| t.without_reference.change.width_change_db),
        tracks
            .iter()
            .filter(|t| t.damaged_width_change_db <= KEPT_WIDTH_DB)
            .count(),
        tracks
            .iter()
            .filter(|t| t.with_reference.change.width_change_db <= KEPT_WIDTH_DB)
            .count(),
        tracks
            .iter()
            .filter(|t| t.without_reference.change.width_change_db <= KEPT_WIDTH_DB)
            .count(),
    );
    s
}
