//! Decisions: from a track's features and a target (a family profile or references) to the
//! moves of the mastering chain, and [`apply`], the one function that turns those moves, scaled
//! by the user's amounts, into [`ChainSettings`]. The CLI and the plugin both call it, so the
//! plugin with the same parameters renders what the CLI wrote.
//!
//! - Tone: the chain's own EQ (low shelf, five bells, high shelf, tilt) fitted to the target
//!   by weighted least squares over the 1/3-octave bands, using [`EqSettings::response_db`],
//!   the same maths the DSP runs. The track's mid spectrum is smoothed over three bands
//!   (1/3-octave triangular kernel, so at least 1/3-octave smoothing); a band costs nothing
//!   while it sits inside the target's 10th..90th percentile (for a family widened by
//!   [`FAMILY_MARGIN_DB`] and bent to the track's broad balance, see `shape`, so only
//!   local bumps and dips count) and costs its squared distance to that interval
//!   outside it (a reference collapses the interval to its own curve), after
//!   aligning the track's level with the target median (the spectra are level-normalised and
//!   the Drive sets the level). Bands beyond a low-pass or high-pass cliff of the track (or a
//!   low-pass of a reference), and for a family the bands outside 31.5 Hz..16 kHz, ask for
//!   no move. Slots are chosen greedily (matching pursuit over candidate centres and Qs, bells
//!   half an octave apart), then all gains are refined together (projected Gauss-Newton),
//!   each within [`MAX_EQ_MOVE_DB`]. See `fit_eq`.
//! - Dynamics: the multiband amount from how far PLR and LRA exceed the target's 90th
//!   percentile.
//! - Width: per band of the multiband split, towards the target's side/mid ratio, never
//!   letting the mono fold-down lose more than [`MAX_MONO_LOSS_DB`] in any 1/3-octave band
//!   (against a reference: nor more than the reference's own fold-down loses, whichever is
//!   more; see [`mono_safe_width_gain`]). Against a family, the mids and highs move only
//!   beyond its range plus [`WIDTH_FAMILY_MARGIN_DB`], and the lows only where the mono
//!   fold-down loses more than [`BASS_MONO_FOLD_DOWN_LOSS_DB`], and then only until it loses
//!   that much ([`fold_down_low_gain`]).
//! - Bass mono: against a reference that is mono in the lows, when the track's low end
//!   loses more than [`BASS_MONO_FOLD_DOWN_LOSS_DB`] in mono and carries much more side than
//!   the reference's.
//! - Loudness: the goal's target and ceiling; the Drive is found by rendering the real chain
//!   ([`solve_loudness`], [`super::loudness::solve_drive`]).

mod apply;
mod eq;
mod fit;
mod named;
mod shape;
mod solve;
mod width;

use super::analysis::{LOW_END_HZ, k_weight_per_band};
use super::loudness::{
    DriveSearch, DriveSolution, LOUDNESS_TOLERANCE_LU, TargetOutcome, TrialMeasurement, solve_drive,
};
use super::profile::{
    NUM_BANDS, Percentiles, TargetKind, TargetProfile, TrackFeatures, band_centre_hz, is_core_band,
};
use crate::chain::ChainSettings;
use crate::dsp::crossover::{DEFAULT_LOW_MID_HZ, DEFAULT_MID_HIGH_HZ, NUM_BANDS as NUM_SPLIT};
use crate::dsp::eq::EqSettings;
use crate::dsp::macros::TONE_TILT_DB_AT_FULL;
use crate::dsp::stereo::{BASS_MONO_RANGE_HZ, WIDTH_RANGE_PCT};
use crate::meter::analysis::AnalysisError;
use crate::render::{BlockSource, SliceSource, measure_source};
use fit::{FitInput, fit_eq};
use serde::{Deserialize, Serialize};

pub use fit::{EqMove, EqMoveKind, MAX_EQ_MOVE_DB};
pub use named::{Problem, ProblemEvidence, WEAK_EVIDENCE_CAP_DB};
pub use shape::CLIFF_DB;

/// Most the mono fold-down `(L + R) / 2` may lose against the stereo level in any
/// 1/3-octave band through widening, dB. Widening raises the side and leaves the mid alone,
/// so after loudness normalisation a mono listener hears `10 log10((1 + w^2 r) / (1 + r))` dB
/// less than before (`r` = side/mid power ratio of the band, `w` = width gain).
pub const MAX_MONO_LOSS_DB: f32 = 1.0;

/// Loss of the low end (below 120 Hz) in the mono fold-down above which bass mono is decided,
/// dB: a mono playback of `(L + R) / 2` keeps the mid and drops the side, so the low end comes
/// out `10 log10(1 + S/M)` dB quieter ([`fold_down_loss_db`]); 1 dB is where the loss starts to
/// be heard and matches a low-end side/mid of -5.9 dB ([`BASS_MONO_TRIGGER_DB`]). A low end
/// that folds down with less (a natural stereo bass, the room of an orchestral recording, a
/// wide synth bass mixed with care) loses nothing in mono that bass mono would fix, and bass
/// mono would only take its width away; the target's being narrower is no reason.
pub const BASS_MONO_FOLD_DOWN_LOSS_DB: f32 = 1.0;

/// Low-end side/mid ratio (below 120 Hz) above which the fold-down loses more than
/// [`BASS_MONO_FOLD_DOWN_LOSS_DB`], dB: `10 log10(10^(1/10) - 1)` = -5.87 dB. (It was -12 dB,
/// a level relative to the target, until the never-harm measurement showed bass mono switched
/// on for masters whose low end lost 0.3 to 1 dB in mono.)
pub const BASS_MONO_TRIGGER_DB: f32 = -5.868;

/// How far the track's low-end side/mid must exceed the target's, band by band (median), for
/// bass mono, dB.
pub const BASS_MONO_EXCESS_DB: f32 = 6.0;

/// Margin added outside a family's 10th..90th percentile of side/mid before a band of the
/// mids or highs counts as too narrow or too wide, dB; the move then goes to the widened
/// edge. The width analogue of [`FAMILY_MARGIN_DB`]: finished masters of a family spread
/// beyond its p10..p90 by a few dB (the narrow ones widened by 1-3 dB before this margin, see
/// `docs/eval.md`), and a family's range alone cannot tell a narrow master from a narrowed
/// mix, so only a gross departure is evidence. Against a reference there is no margin.
pub const WIDTH_FAMILY_MARGIN_DB: f32 = 4.0;

/// Smallest side level change made towards a family, dB (6 %: smaller ones are within the
/// estimate's noise and the family's own fuzziness).
pub const MIN_FAMILY_WIDTH_MOVE_DB: f32 = 0.5;

/// Target side/mid ratio (median) below which a band counts as mono in the target, dB.
const MONO_TARGET_DB: f32 = -15.0;

/// Margin added outside a family's 10th..90th percentile before a band counts as off
/// target, dB. By construction a real master lies outside a family's p10..p90 in about one
/// band in five, typically by 1-3 dB (the never-harm run of `cargo xtask eval`), so without
/// a margin the assistant would re-shape good masters towards the family median. Most of
/// that is broad balance, which the interval now follows (`shape`); what is left, local
/// bumps, is as large in good masters as a 4-6 dB EQ damage (`docs/eval.md`), so the margin
/// keeps the family EQ to gross departures: 2.5 dB (1.5 dB still re-shaped good masters by
/// up to 3.4 dB; 1 dB moved more and restored no more). References get no margin.
pub const FAMILY_MARGIN_DB: f32 = 2.5;
/// Narrowest p10..p90 interval read as a family's (a reference's is about 0.5 dB), dB.
const FAMILY_INTERVAL_DB: f32 = 1.0;

/// Multiband dynamics amount per dB that PLR exceeds the target's 90th percentile by more
/// than [`DYNAMICS_MARGIN_DB`], percent.
pub const DYNAMICS_PCT_PER_DB: f32 = 8.0;
/// PLR or LRA excess the limiter is left to handle alone before the multiband joins in, dB.
pub const DYNAMICS_MARGIN_DB: f32 = 2.0;
/// Largest dynamics amount the assistant decides, percent (the rest is the user's call).
pub const MAX_DYNAMICS_PCT: f32 = 60.0;

/// The loudness the assistant aims for, with units (what "Platform" / "Target Loudness" /
/// "Ceiling" resolve to in the plugin, and `--platform` / `--target-lufs` / `--ceiling` or a
/// reference's loudness in the CLI).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// Integrated loudness to reach, LUFS.
    pub target_lufs: f32,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f32,
}

/// How much of each decided move to apply, percent 0..100 (the plugin's `amount_tone`,
/// `amount_dynamics`, `amount_width`). Loudness is not scaled: the goal is always met.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Amounts {
    /// Scales every EQ gain and the tilt linearly.
    pub tone_pct: f32,
    /// Scales the multiband amount linearly.
    pub dynamics_pct: f32,
    /// Scales the width moves in dB (a decided 140 % at 50 % gives 118 %); bass mono needs a
    /// non-zero amount.
    pub width_pct: f32,
}

/// Default amount of every dimension, percent: the full decision. The moves are already
/// bounded (at most 6 dB per EQ band, no move inside the target's 10th..90th percentile,
/// mono fold-down within 1 dB), so full is safe; less is a matter of taste.
pub use crate::contract::DEFAULT_AMOUNT_PCT;

impl Default for Amounts {
    fn default() -> Self {
        Self {
            tone_pct: DEFAULT_AMOUNT_PCT,
            dynamics_pct: DEFAULT_AMOUNT_PCT,
            width_pct: DEFAULT_AMOUNT_PCT,
        }
    }
}

/// The tone decision: the fitted EQ and the curves it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EqDecision {
    /// The EQ at full amount (tilt included; the chain gets it through the tone macro).
    pub settings: EqSettings,
    /// Every non-zero move, low to high, with the numbers its explanation quotes.
    pub moves: Vec<EqMove>,
    /// Correction per 1/3-octave band that would put the (smoothed, level-aligned) track at the
    /// nearest edge of the target interval, dB (0 inside it).
    pub wanted_db: Vec<f32>,
    /// What the fitted EQ does in each band, dB (band-energy average).
    pub fitted_db: Vec<f32>,
    /// Centres of the lowest and highest 1/3-octave bands that hold the track's content, Hz
    /// (20 Hz and 20 kHz unless a high-pass or low-pass cliff ends it earlier, see
    /// `shape::content_bands`); the EQ does not reach beyond them.
    pub content_hz: (f32, f32),
    /// The same for the target's highs (a reference can be low-passed by its codec; the low
    /// end of a target is always followed), Hz; the EQ does not match empty bands.
    pub target_content_hz: (f32, f32),
    /// The evidence for each problem a listener can name, low to high, and which were named
    /// (see `named`).
    #[serde(default)]
    pub problems: Vec<ProblemEvidence>,
    /// What the learned estimator found and decided, when it decided the moves (a family
    /// target with estimator weights; see `learn`).
    #[serde(default)]
    pub learned: Option<crate::assistant::learn::LearnedEvidence>,
}

/// The dynamics decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DynamicsDecision {
    /// Multiband amount (the `dynamics` macro), percent.
    pub amount_pct: f32,
    /// Track's PLR and the target's 90th percentile, dB.
    pub track_plr_db: Option<f32>,
    /// Target PLR, 90th percentile, dB.
    pub target_plr_p90_db: f32,
    /// Track's LRA, LU.
    pub track_lra_lu: Option<f32>,
    /// Target LRA, 90th percentile, LU.
    pub target_lra_p90_lu: f32,
}

/// The width decision, per band of the multiband split (low, mid, high).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WidthDecision {
    /// Crossovers the bands are split at, Hz.
    pub crossovers_hz: (f32, f32),
    /// Width per band at full amount, percent.
    pub band_width_pct: [f32; NUM_SPLIT],
    /// Track's side/mid power ratio per band, dB.
    pub track_side_to_mid_db: [f32; NUM_SPLIT],
    /// Target's side/mid ratio per band (10th, 50th, 90th percentile), dB.
    pub target_side_to_mid_db: [Percentiles; NUM_SPLIT],
    /// True where the mono fold-down limit held the widening back.
    pub mono_limited: [bool; NUM_SPLIT],
    /// Side level change wanted per band before the mono limit, dB (median over the band's
    /// 1/3-octave bands of the distance to the target interval).
    pub move_db: [f32; NUM_SPLIT],
    /// True where a narrowing was refused because the band carries more side than mid (its
    /// channels are mostly in opposite phase: narrowing would cancel the music, not the width).
    #[serde(default)]
    pub anti_phase: [bool; NUM_SPLIT],
    /// L/R correlation of the track's loud parts from its long-term spectra
    /// ([`track_correlation`]); `None` for silence.
    #[serde(default)]
    pub correlation: Option<f32>,
    /// True when the right channel is the left inverted ([`polarity_inverted`]): no width or
    /// bass-mono move is made (the mono fold-down is silent) and the tone is judged on the
    /// polarity-corrected spectra.
    #[serde(default)]
    pub polarity_inverted: bool,
    /// How much the track's low end (below 120 Hz) loses in the mono fold-down, dB
    /// ([`fold_down_loss_db`]).
    #[serde(default)]
    pub low_end_fold_down_loss_db: f32,
    /// True where the lows were narrowed against a family, only until the mono fold-down loses
    /// [`BASS_MONO_FOLD_DOWN_LOSS_DB`] ([`fold_down_low_gain`]).
    #[serde(default)]
    pub fold_down_narrowed: bool,
}

/// Bass mono, when decided.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BassMonoDecision {
    /// Bass-mono frequency, Hz.
    pub freq_hz: f32,
    /// Track's side/mid ratio below 120 Hz, dB.
    pub track_low_end_side_to_mid_db: f32,
    /// Target's median side/mid ratio over the same bands, dB.
    pub target_low_end_side_to_mid_db: f32,
}

/// The loudness decision.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoudnessDecision {
    /// Loudness goal, LUFS.
    pub target_lufs: f32,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f32,
    /// Track's integrated loudness, LUFS.
    pub track_lufs: Option<f32>,
    /// Drive that meets the goal with the applied settings, dB; `None` until
    /// [`solve_loudness`] has run.
    pub drive_db: Option<f32>,
}

/// Everything the assistant decided, at full amount.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// What the track was compared with: a family's range or the user's reference.
    #[serde(default)]
    pub target_kind: TargetKind,
    /// Tone.
    pub eq: EqDecision,
    /// Dynamics.
    pub dynamics: DynamicsDecision,
    /// Width per band.
    pub width: WidthDecision,
    /// Bass mono, if decided.
    pub bass_mono: Option<BassMonoDecision>,
    /// Loudness.
    pub loudness: LoudnessDecision,
}

/// Decides every move for `track` against `target` and `goal` (pure; see the module docs).
pub fn decide(track: &TrackFeatures, target: &TargetProfile, goal: &Goal) -> Decision {
    decide_with(track, target, goal, &[])
}

/// [`decide`] with the problems the listener names (`--fix mud,dull`, the Assistant page's
/// buttons): each is located and sized in this track and corrected even where the evidence
/// alone would not have moved the EQ, within [`WEAK_EVIDENCE_CAP_DB`] where the evidence is
/// weak (see `named`).
pub fn decide_with(
    track: &TrackFeatures,
    target: &TargetProfile,
    goal: &Goal,
    named: &[Problem],
) -> Decision {
    // A polarity-inverted pair has its music in the side: the tone is judged on what the
    // track sounds like once one channel is flipped (mid and side swapped).
    let inverted = polarity_inverted(track);
    let eq = if inverted {
        decide_eq(&polarity_corrected(track), target, named)
    } else {
        decide_eq(track, target, named)
    };
    Decision {
        target_kind: target.kind,
        eq,
        dynamics: decide_dynamics(track, target),
        width: decide_width(track, target, (DEFAULT_LOW_MID_HZ, DEFAULT_MID_HIGH_HZ)),
        // Against a family a wide low end is narrowed only as far as its mono fold-down needs
        // (`decide_width`); Bass Mono, which removes all of its side, follows a reference.
        bass_mono: (!inverted && !is_family(target))
            .then(|| decide_bass_mono(track, target))
            .flatten(),
        loudness: LoudnessDecision {
            target_lufs: goal.target_lufs,
            ceiling_dbtp: goal.ceiling_dbtp,
            track_lufs: track.integrated_lufs,
            drive_db: None,
        },
    }
}

/// A target band's percentiles, or a neutral 0 dB for a short (malformed) profile.
fn band_of(list: &[Percentiles], k: usize) -> Percentiles {
    list.get(k).copied().unwrap_or(Percentiles {
        p10: 0.0,
        p50: 0.0,
        p90: 0.0,
    })
}

/// True when `target` is a family profile (or a blend of them), false for references
/// ([`super::targets::profile_from_references`]).
fn is_family(target: &TargetProfile) -> bool {
    target.kind == TargetKind::Family
}

pub use apply::*;
use eq::*;
pub use solve::*;
pub use width::*;

#[cfg(test)]
mod bass_mono_tests;
#[cfg(test)]
mod learned_tests;
#[cfg(test)]
mod named_tests;
#[cfg(test)]
mod tests;
