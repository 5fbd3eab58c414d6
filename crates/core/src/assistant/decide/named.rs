//! Problems the listener names ("mud", "harsh", ...): where the track's evidence for each
//! lies, and how a named one changes the tonal fit.
//!
//! A family's range alone cannot tell a 5 dB mud bump made by a mix from a warm master's
//! character (`docs/eval.md`), and for a family target the fit follows the track's broad
//! balance, which absorbs part of a bell and most of a shelf. A listener who hears the problem
//! settles the first question; the assistant still has to find where it is and how large.
//! For each problem it looks at the problem's region of the spectrum in a frame where the
//! track's broad balance is measured *outside* that region (the region's own excess or
//! deficit is not allowed to bend the reference line) and carried across it, and quotes how
//! far the track departs there from the family's median, band by band.
//!
//! - A named problem tightens the fit's interval in its region to that median, on the side
//!   of the problem only (mud is cut towards it, never boosted), so the fit's bells and shelves
//!   locate and size the correction; the correction is at most [`WEAK_EVIDENCE_CAP_DB`]
//!   unless the departure is beyond the family's 90th percentile plus the never-harm margin
//!   (strong evidence), and at most [`STRONG_EVIDENCE_CAP_DB`] then.
//! - A problem nobody named moves nothing, but one whose departure is beyond what 90 % of
//!   comparable masters show is reported as likely, with its evidence and how to correct it.

use super::fit::{smooth, weight};
use super::shape::broad_deviation_db;
use crate::assistant::profile::{NUM_BANDS, band_centre_hz, is_core_band};
use serde::{Deserialize, Serialize};

/// Largest correction a named problem gets when the track's departure is within what good
/// masters show (weak evidence), dB: enough to hear, too little to ruin a master the listener
/// misjudged.
pub const WEAK_EVIDENCE_CAP_DB: f32 = 3.0;

/// Largest correction a named problem gets in one 1/3-octave band when the evidence is
/// strong, dB: a shelf and a bell at their largest ([`super::MAX_EQ_MOVE_DB`] each) stacked,
/// for a mix as dull or as muddy as the listener says and the spectrum confirms.
pub const STRONG_EVIDENCE_CAP_DB: f32 = 2.0 * super::MAX_EQ_MOVE_DB;

/// A tonal problem a listener can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Problem {
    /// Too much bass resonance (40-125 Hz).
    Boom,
    /// Too little low end (31.5-250 Hz).
    Thinness,
    /// Too much low-mid build-up (160-630 Hz).
    Mud,
    /// Too much presence (2-6.3 kHz).
    Harshness,
    /// Too little top (3.15-16 kHz).
    Dullness,
}

impl Problem {
    /// Every problem, low to high.
    pub const ALL: [Problem; 5] = [
        Problem::Boom,
        Problem::Thinness,
        Problem::Mud,
        Problem::Harshness,
        Problem::Dullness,
    ];

    /// The word the CLI's `--fix` takes and the editor's button shows.
    pub fn name(self) -> &'static str {
        match self {
            Problem::Boom => "boom",
            Problem::Thinness => "thin",
            Problem::Mud => "mud",
            Problem::Harshness => "harsh",
            Problem::Dullness => "dull",
        }
    }

    /// The label of its button on the plugin's Assistant page ("Mud", "Harsh", ...), as the
    /// explanations name it too.
    pub fn label(self) -> &'static str {
        match self {
            Problem::Boom => "Boom",
            Problem::Thinness => "Thin",
            Problem::Mud => "Mud",
            Problem::Harshness => "Harsh",
            Problem::Dullness => "Dull",
        }
    }

    /// Reads a problem's name, as engineers and listeners say it ("mud", "muddy", "harsh",
    /// "harshness", "boomy", "dull", "thin", ...), case-insensitive.
    pub fn parse(text: &str) -> Option<Problem> {
        match text.trim().to_ascii_lowercase().as_str() {
            "boom" | "boomy" | "boominess" => Some(Problem::Boom),
            "thin" | "thinness" => Some(Problem::Thinness),
            "mud" | "muddy" | "muddiness" => Some(Problem::Mud),
            "harsh" | "harshness" => Some(Problem::Harshness),
            "dull" | "dullness" => Some(Problem::Dullness),
            _ => None,
        }
    }

    /// Lowest and highest 1/3-octave band centre of the problem's region, Hz.
    pub fn region_hz(self) -> (f32, f32) {
        match self {
            Problem::Boom => (40.0, 125.0),
            Problem::Thinness => (31.5, 250.0),
            Problem::Mud => (160.0, 630.0),
            Problem::Harshness => (2_000.0, 6_300.0),
            Problem::Dullness => (3_150.0, 16_000.0),
        }
    }

    /// True for a problem of too much (cut), false for too little (boost).
    pub fn is_excess(self) -> bool {
        matches!(self, Problem::Boom | Problem::Mud | Problem::Harshness)
    }

    /// How the explanation names the region ("low mids").
    pub fn region_name(self) -> &'static str {
        match self {
            Problem::Boom => "bass",
            Problem::Thinness => "low end",
            Problem::Mud => "low mids",
            Problem::Harshness => "upper mids",
            Problem::Dullness => "top",
        }
    }

    /// True for the problems at the ends of the spectrum (shelves: thinness, dullness), whose
    /// regions are judged first and, when strong, left out of the others' frames.
    pub fn at_an_end(self) -> bool {
        matches!(self, Problem::Thinness | Problem::Dullness)
    }

    /// The bands where a correction for the problem acts: its region, and for a shelf problem
    /// everything beyond it towards the spectrum's end (a shelf keeps its gain there).
    pub fn reach(self) -> std::ops::RangeInclusive<usize> {
        let region = self.bands();
        match self {
            Problem::Thinness => 0..=*region.end(),
            Problem::Dullness => *region.start()..=NUM_BANDS - 1,
            _ => region,
        }
    }

    /// The bands of the region.
    pub fn bands(self) -> std::ops::RangeInclusive<usize> {
        let (lo, hi) = self.region_hz();
        let first = (0..NUM_BANDS)
            .find(|&k| band_centre_hz(k) >= lo * 0.99)
            .unwrap_or(0);
        let last = (0..NUM_BANDS)
            .rev()
            .find(|&k| band_centre_hz(k) <= hi * 1.01)
            .unwrap_or(NUM_BANDS - 1);
        first..=last
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the track shows of one problem, and what was done about it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProblemEvidence {
    /// The problem.
    pub problem: Problem,
    /// True when the listener named it.
    pub named: bool,
    /// Centre of the band where the track departs most in the problem's direction, beyond the
    /// target's spread, Hz.
    pub at_hz: f32,
    /// How far the track departs there from the target's median, in the problem's direction
    /// (positive: more mud, less top, ...), dB; `None` when the region holds no content.
    pub departure_db: Option<f32>,
    /// The part of that departure beyond the target's 90th percentile (10th for a deficit),
    /// dB: positive means more than 90 % of comparable masters show (0 spread for a
    /// reference).
    pub beyond_p90_db: f32,
    /// True when the departure is beyond the 90th percentile and the never-harm margin: the
    /// assistant would correct it unasked in this frame.
    pub strong: bool,
    /// Largest correction the fit was allowed for it (when named), dB.
    pub cap_db: f32,
}

/// One family or reference interval per band, before following the track's broad balance.
pub(super) struct Interval<'a> {
    pub lower_db: &'a [f32; NUM_BANDS],
    pub upper_db: &'a [f32; NUM_BANDS],
    pub median_db: &'a [f32; NUM_BANDS],
    /// The target's own 10th and 90th percentiles (without the margin).
    pub p10_db: &'a [f32; NUM_BANDS],
    pub p90_db: &'a [f32; NUM_BANDS],
}

/// The problem frame: the shift that bends the target to the track's broad balance measured
/// outside the region (and outside `excluded`: the regions of the spectrum's ends that show
/// a strong problem of their own, so a dull top does not make the presence look harsh) and
/// carried across it (linearly between the bands either side, or level from the one side
/// there is). `within` is the track's mid spectrum with NaN outside
/// its content.
fn region_shift(
    problem: Problem,
    excluded: &[bool; NUM_BANDS],
    within: &[f32; NUM_BANDS],
    median_db: &[f32; NUM_BANDS],
    family: bool,
) -> [f32; NUM_BANDS] {
    if !family {
        return [0.0; NUM_BANDS];
    }
    let region = problem.bands();
    let mut outside = *within;
    for k in (0..NUM_BANDS).filter(|k| region.contains(k) || excluded[*k]) {
        outside[k] = f32::NAN;
    }
    let mut shift = broad_deviation_db(&outside, median_db);
    let usable = |k: usize| outside[k].is_finite() && is_core_band(k);
    let below = (0..*region.start()).rev().find(|&k| usable(k));
    let above = (*region.end() + 1..NUM_BANDS).find(|&k| usable(k));
    for k in region {
        shift[k] = match (below, above) {
            (Some(a), Some(b)) => {
                let t = (k - a) as f32 / (b - a) as f32;
                shift[a] + t * (shift[b] - shift[a])
            }
            (Some(a), None) => shift[a],
            (None, Some(b)) => shift[b],
            (None, None) => 0.0,
        };
    }
    shift
}

/// The evidence for `problem` and, when `named`, the interval tightened in its region (in
/// place). `track_db` is the track's mid spectrum, `within` the same with NaN outside its
/// content; `lower`/`upper`/`median` are the fit's interval (already following the broad
/// balance for a family); `excluded` marks bands left out of the frame (see `region_shift`).
#[allow(clippy::too_many_arguments)]
pub(super) fn weigh(
    problem: Problem,
    named: bool,
    excluded: &[bool; NUM_BANDS],
    track_db: &[f32; NUM_BANDS],
    within: &[f32; NUM_BANDS],
    target: &Interval<'_>,
    family: bool,
    lower: &mut [f32; NUM_BANDS],
    upper: &mut [f32; NUM_BANDS],
    median: &mut [f32; NUM_BANDS],
) -> ProblemEvidence {
    let shift = region_shift(problem, excluded, within, target.median_db, family);
    let frame_median: [f32; NUM_BANDS] = std::array::from_fn(|k| target.median_db[k] + shift[k]);
    let y = smooth(track_db);
    let m = smooth(&frame_median);
    let region = problem.bands();
    let in_content = |k: usize| within[k].is_finite() && is_core_band(k);
    // Level alignment as the fit makes it, over the content outside the region (the region's
    // own problem must not move the reference level).
    let (mut sum, mut total) = (0.0f64, 0.0f64);
    for k in (0..NUM_BANDS).filter(|&k| in_content(k) && !region.contains(&k)) {
        sum += weight(k) * f64::from(m[k] - y[k]);
        total += weight(k);
    }
    let offset = if total > 0.0 {
        (sum / total) as f32
    } else {
        0.0
    };
    let sign = if problem.is_excess() { 1.0 } else { -1.0 };
    let mut best: Option<(usize, f32, f32)> = None;
    for k in region.clone().filter(|&k| in_content(k)) {
        let departure = sign * (y[k] + offset - m[k]);
        let spread90 = if problem.is_excess() {
            target.p90_db[k] - target.median_db[k]
        } else {
            target.median_db[k] - target.p10_db[k]
        };
        let beyond = departure - spread90.max(0.0);
        if best.is_none_or(|(_, _, b)| beyond > b) {
            best = Some((k, departure, beyond));
        }
    }
    let Some((at, departure, beyond)) = best else {
        return ProblemEvidence {
            problem,
            named,
            at_hz: band_centre_hz(*region.start()),
            departure_db: None,
            beyond_p90_db: 0.0,
            strong: false,
            cap_db: 0.0,
        };
    };
    let margin = if problem.is_excess() {
        target.upper_db[at] - target.median_db[at]
    } else {
        target.median_db[at] - target.lower_db[at]
    };
    let strong = departure > margin.max(0.0);
    let cap = if strong {
        STRONG_EVIDENCE_CAP_DB
    } else {
        WEAK_EVIDENCE_CAP_DB
    };
    if named {
        for k in region.filter(|&k| in_content(k)) {
            // The track, aligned, in the target's coordinates; the interval's edge on the
            // problem's side goes to the frame's median, but never further than `cap` from the
            // track. The other edge is the frame's too (at least as permissive as before), so
            // the correction is never fought by the broad balance the problem bent, but no
            // further than `cap` from the track either: inside the interval a deeper cut costs
            // the fit nothing, and a broad bell would take it.
            let aligned = y[k] + offset;
            if problem.is_excess() {
                upper[k] = frame_median[k].max(aligned - cap).min(upper[k]);
                let frame_lower = lower[k].min(target.lower_db[k] + shift[k]);
                lower[k] = frame_lower.max(aligned - cap).min(upper[k]);
            } else {
                lower[k] = frame_median[k].min(aligned + cap).max(lower[k]);
                let frame_upper = upper[k].max(target.upper_db[k] + shift[k]);
                upper[k] = frame_upper.min(aligned + cap).max(lower[k]);
            }
            median[k] = median[k].clamp(lower[k], upper[k]);
        }
    }
    ProblemEvidence {
        problem,
        named,
        at_hz: band_centre_hz(at),
        departure_db: Some(departure),
        beyond_p90_db: beyond,
        strong,
        cap_db: if named { cap } else { 0.0 },
    }
}
