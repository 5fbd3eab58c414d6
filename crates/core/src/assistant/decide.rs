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
//!   [`FAMILY_MARGIN_DB`] and bent to the track's broad balance, see [`shape`], so only
//!   local bumps and dips count) and costs its squared distance to that interval
//!   outside it (a reference collapses the interval to its own curve), after
//!   aligning the track's level with the target median (the spectra are level-normalised and
//!   the Drive sets the level). Bands beyond a low-pass or high-pass cliff of the track (or a
//!   low-pass of a reference), and for a family the bands outside 31.5 Hz..16 kHz, ask for
//!   no move. Slots are chosen greedily (matching pursuit over candidate centres and Qs, bells
//!   half an octave apart), then all gains are refined together (projected Gauss-Newton),
//!   each within [`MAX_EQ_MOVE_DB`]. See [`fit_eq`].
//! - Dynamics: the multiband amount from how far PLR and LRA exceed the target's 90th
//!   percentile.
//! - Width: per band of the multiband split, towards the target's side/mid ratio, never
//!   letting the mono fold-down lose more than [`MAX_MONO_LOSS_DB`] in any 1/3-octave band
//!   (against a reference: nor more than the reference's own fold-down loses, whichever is
//!   more; see [`mono_safe_width_gain`]).
//! - Bass mono: when the track's low end carries much more side than the target's.
//! - Loudness: the goal's target and ceiling; the Drive is found by rendering the real chain
//!   ([`solve_loudness`], [`super::loudness::solve_drive`]).

mod fit;
mod shape;

use super::analysis::k_weight_per_band;
use super::loudness::{
    DriveSearch, DriveSolution, LOUDNESS_TOLERANCE_LU, TargetOutcome, TrialMeasurement, solve_drive,
};
use super::profile::{
    NUM_BANDS, Percentiles, TargetProfile, TrackFeatures, band_centre_hz, is_core_band,
};
use crate::chain::ChainSettings;
use crate::dsp::crossover::{DEFAULT_LOW_MID_HZ, DEFAULT_MID_HIGH_HZ, NUM_BANDS as NUM_SPLIT};
use crate::dsp::eq::EqSettings;
use crate::dsp::macros::TONE_TILT_DB_AT_FULL;
use crate::dsp::stereo::{BASS_MONO_RANGE_HZ, WIDTH_RANGE_PCT};
use crate::meter::analysis::AnalysisError;
use crate::render::{Rendered, measure_render, render};
use ebur128::{EbuR128, Mode};
use fit::{FitInput, fit_eq};
use serde::{Deserialize, Serialize};

pub use fit::{EqMove, EqMoveKind, MAX_EQ_MOVE_DB};
pub use shape::CLIFF_DB;

/// Most the mono fold-down `(L + R) / 2` may lose against the stereo level in any
/// 1/3-octave band through widening, dB. Widening raises the side and leaves the mid alone,
/// so after loudness normalisation a mono listener hears `10 log10((1 + w^2 r) / (1 + r))` dB
/// less than before (`r` = side/mid power ratio of the band, `w` = width gain).
pub const MAX_MONO_LOSS_DB: f32 = 1.0;

/// Low-end side/mid ratio (below 120 Hz) above which the low end counts as wide, dB: -12 dB
/// is where low-frequency side energy starts to cost cutting-lathe tracking and mono
/// compatibility (bass parts in masters usually sit 20-40 dB below their mid).
pub const BASS_MONO_TRIGGER_DB: f32 = -12.0;

/// How far the track's low-end side/mid must exceed the target's, band by band (median), for
/// bass mono, dB.
pub const BASS_MONO_EXCESS_DB: f32 = 6.0;

/// Smallest side level change made towards a family, dB (6 %: smaller ones are within the
/// estimate's noise and the family's own fuzziness).
pub const MIN_FAMILY_WIDTH_MOVE_DB: f32 = 0.5;

/// Target side/mid ratio (median) below which a band counts as mono in the target, dB.
const MONO_TARGET_DB: f32 = -15.0;

/// Margin added outside a family's 10th..90th percentile before a band counts as off
/// target, dB. By construction a real master lies outside a family's p10..p90 in about one
/// band in five, typically by 1-3 dB (the never-harm run of `cargo xtask eval`), so without
/// a margin the assistant would re-shape good masters towards the family median. Most of
/// that is broad balance, which the interval now follows ([`shape`]); what is left, local
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
    let eq = decide_eq(track, target);
    Decision {
        eq,
        dynamics: decide_dynamics(track, target),
        width: decide_width(track, target, (DEFAULT_LOW_MID_HZ, DEFAULT_MID_HIGH_HZ)),
        bass_mono: decide_bass_mono(track, target),
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
    target.name != super::targets::REFERENCE_PROFILE_NAME
}

fn decide_eq(track: &TrackFeatures, target: &TargetProfile) -> EqDecision {
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
const OUTSIDE_CONTENT_DB: f32 = 100.0;

fn decide_dynamics(track: &TrackFeatures, target: &TargetProfile) -> DynamicsDecision {
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

/// Which split band (0 low, 1 mid, 2 high) a 1/3-octave band belongs to, or `None` outside
/// 31.5 Hz..16 kHz, where side/mid ratios are too noisy to steer by.
fn split_band_of(k: usize, crossovers_hz: (f32, f32)) -> Option<usize> {
    let f = band_centre_hz(k);
    if !is_core_band(k) {
        None
    } else if f < crossovers_hz.0 {
        Some(0)
    } else if f < crossovers_hz.1 {
        Some(1)
    } else {
        Some(2)
    }
}

fn db_to_power(db: f32) -> f64 {
    10f64.powf(f64::from(db) / 10.0)
}

fn power_to_db(p: f64) -> f32 {
    (10.0 * p.max(1e-30).log10()) as f32
}

/// The width decision: per split band, the side level change of [`width_move_db`] (reported
/// with the band's side/mid power ratios of the track and of the target, the latter at its
/// 10th, 50th and 90th percentile weighted by the target's median mid spectrum), then the
/// widening capped so that no 1/3-octave band's mono fold-down loses more than
/// [`MAX_MONO_LOSS_DB`]. Against a family, the low band is only ever narrowed.
pub fn decide_width(
    track: &TrackFeatures,
    target: &TargetProfile,
    crossovers_hz: (f32, f32),
) -> WidthDecision {
    let mut track_side = [0.0f64; NUM_SPLIT];
    let mut track_mid = [0.0f64; NUM_SPLIT];
    let mut target_side = [[0.0f64; 3]; NUM_SPLIT];
    let mut target_mid = [0.0f64; NUM_SPLIT];
    for k in 0..NUM_BANDS {
        let Some(b) = split_band_of(k, crossovers_hz) else {
            continue;
        };
        track_side[b] += db_to_power(track.side_db[k]);
        track_mid[b] += db_to_power(track.mid_db[k]);
        let mid = band_of(&target.mid_db, k).p50;
        let stm = band_of(&target.side_to_mid_db, k);
        target_mid[b] += db_to_power(mid);
        for (acc, s) in target_side[b].iter_mut().zip([stm.p10, stm.p50, stm.p90]) {
            *acc += db_to_power(mid + s);
        }
    }
    let mut out = WidthDecision {
        crossovers_hz,
        band_width_pct: [100.0; NUM_SPLIT],
        track_side_to_mid_db: [0.0; NUM_SPLIT],
        target_side_to_mid_db: [band_of(&[], 0); NUM_SPLIT],
        mono_limited: [false; NUM_SPLIT],
        move_db: [0.0; NUM_SPLIT],
    };
    let max_gain = WIDTH_RANGE_PCT.1 / 100.0;
    for b in 0..NUM_SPLIT {
        let track_db = power_to_db(track_side[b]) - power_to_db(track_mid[b]);
        let t = target_side[b].map(|s| power_to_db(s) - power_to_db(target_mid[b]));
        let pct = Percentiles {
            p10: t[0],
            p50: t[1],
            p90: t[2],
        };
        out.track_side_to_mid_db[b] = track_db;
        out.target_side_to_mid_db[b] = pct;
        let mut move_db = width_move_db(track, target, b, crossovers_hz);
        // A family's edge is not a point to aim a 1 % change at.
        if is_family(target) && move_db.abs() < MIN_FAMILY_WIDTH_MOVE_DB {
            move_db = 0.0;
        }
        out.move_db[b] = move_db;
        let mut gain = 10f32.powf(move_db / 20.0).clamp(0.0, max_gain);
        // The low band is not widened towards a family: a wide low end loses punch on mono
        // and club systems and is what bass mono exists to undo; a reference that is wider
        // down there is followed (the user chose that sound).
        if b == 0 && gain > 1.0 && target.name != super::targets::REFERENCE_PROFILE_NAME {
            gain = 1.0;
        }
        if gain > 1.0 {
            let reference = (!is_family(target)).then_some(target.side_to_mid_db.as_slice());
            let cap = mono_safe_width_gain(track, reference, b, crossovers_hz);
            // (A relative 1e-3 so that restoring a reference's width exactly, where the cap
            // and the wanted gain are the same number, does not read as held back.)
            if gain > cap * 1.001 {
                gain = cap.max(1.0);
                out.mono_limited[b] = true;
            }
        }
        out.band_width_pct[b] = if gain.is_finite() {
            100.0 * gain
        } else {
            100.0
        };
    }
    out
}

/// Bands more than this below the loudest 1/3-octave band of their split band are left out
/// of the width decision (their side/mid ratio is mostly noise), dB.
const WIDTH_BAND_RANGE_DB: f32 = 30.0;

/// Side level change that split band `b` wants, dB: the median over its 1/3-octave bands
/// (those within [`WIDTH_BAND_RANGE_DB`] of its loudest) of how far each band's side/mid
/// ratio lies outside the target's 10th..90th percentile (0 inside), measured to the nearer
/// edge for a family and to the median for a reference. A median, not a
/// power-weighted ratio, so one band whose long-term estimate jumps (a loud passage entering
/// or leaving the analysed windows) cannot steer the whole band.
fn width_move_db(
    track: &TrackFeatures,
    target: &TargetProfile,
    b: usize,
    crossovers_hz: (f32, f32),
) -> f32 {
    let reference = !is_family(target);
    let bands: Vec<usize> = (0..NUM_BANDS)
        .filter(|&k| split_band_of(k, crossovers_hz) == Some(b))
        .collect();
    let loudest = bands
        .iter()
        .map(|&k| track.mid_db[k])
        .fold(f32::NEG_INFINITY, f32::max);
    let mut moves: Vec<f32> = bands
        .iter()
        .filter(|&&k| track.mid_db[k] >= loudest - WIDTH_BAND_RANGE_DB)
        .map(|&k| {
            let t = band_of(&target.side_to_mid_db, k);
            let v = track.side_to_mid_db[k];
            // A family: to the nearer edge of its range (the least change that fits it). A
            // reference: its interval is only a dead zone against estimation noise; a band
            // outside it moves to the reference itself.
            let (low, high) = if reference {
                (t.p50, t.p50)
            } else {
                (t.p10, t.p90)
            };
            if v < t.p10 {
                low - v
            } else if v > t.p90 {
                high - v
            } else {
                0.0
            }
        })
        .filter(|m| m.is_finite())
        .collect();
    if moves.is_empty() {
        return 0.0;
    }
    moves.sort_by(f32::total_cmp);
    let n = moves.len();
    if n % 2 == 1 {
        moves[n / 2]
    } else {
        0.5 * (moves[n / 2 - 1] + moves[n / 2])
    }
}

/// Largest side gain for split band `b` that keeps every 1/3-octave band's mono fold-down
/// loss within [`MAX_MONO_LOSS_DB`] of the track's own: from `(1 + w^2 r) / (1 + r) <= L`
/// (`L` the limit as a power ratio), `w^2 <= (L (1 + r) - 1) / r`.
///
/// With a reference (`reference_side_to_mid_db`, the reference's side/mid per 1/3-octave band),
/// the fold-down may also lose as much as the reference's own does, `1 + r_ref`: the user chose
/// that width by choosing the reference, and restoring it costs a mono listener nothing the
/// reference does not. A family's 90th percentile is not a choice, so families keep the 1 dB.
pub fn mono_safe_width_gain(
    track: &TrackFeatures,
    reference_side_to_mid_db: Option<&[Percentiles]>,
    b: usize,
    crossovers_hz: (f32, f32),
) -> f32 {
    let limit = db_to_power(MAX_MONO_LOSS_DB);
    let mut cap = f64::INFINITY;
    for k in 0..NUM_BANDS {
        if split_band_of(k, crossovers_hz) != Some(b) {
            continue;
        }
        let r = db_to_power(track.side_to_mid_db[k]);
        let mut allowed = limit * (1.0 + r);
        if let Some(p) = reference_side_to_mid_db.and_then(|list| list.get(k))
            && p.p50.is_finite()
        {
            allowed = allowed.max(1.0 + db_to_power(p.p50));
        }
        if r > 1e-9 {
            cap = cap.min(((allowed - 1.0) / r).sqrt());
        }
    }
    cap.min(f64::from(WIDTH_RANGE_PCT.1 / 100.0)) as f32
}

/// Bass mono when the track's low end is wide (side/mid above [`BASS_MONO_TRIGGER_DB`]) and the
/// target's is mono there (median side/mid under -15 dB). The frequency is the highest
/// 1/3-octave centre up to 160 Hz below which the target stays mono, within the stage's range.
fn decide_bass_mono(track: &TrackFeatures, target: &TargetProfile) -> Option<BassMonoDecision> {
    let low = track.low_end_side_to_mid_db;
    if low.is_nan() || low <= BASS_MONO_TRIGGER_DB {
        return None;
    }
    let mut freq_hz = None;
    let (mut side, mut mid) = (0.0f64, 0.0f64);
    let mut excess = Vec::new();
    for k in 0..NUM_BANDS {
        let f = band_centre_hz(k);
        if !(30.0..=160.0).contains(&f) {
            continue;
        }
        let stm = band_of(&target.side_to_mid_db, k).p50;
        if stm > MONO_TARGET_DB {
            break;
        }
        let m = band_of(&target.mid_db, k).p50;
        mid += db_to_power(m);
        side += db_to_power(m + stm);
        excess.push(track.side_to_mid_db[k] - stm);
        freq_hz = Some(f);
    }
    let freq_hz = freq_hz?.clamp(BASS_MONO_RANGE_HZ.0, BASS_MONO_RANGE_HZ.1);
    let target_db = power_to_db(side) - power_to_db(mid);
    // Band by band, the track's side must exceed the target's by the margin (median over the
    // bands, so one noisy band cannot decide); a mere widening of an already narrow low end is
    // the width decision's job, and bass mono would take far more side away than it added.
    excess.sort_by(f32::total_cmp);
    let median = excess.get(excess.len() / 2).copied().unwrap_or(0.0);
    (median > BASS_MONO_EXCESS_DB).then_some(BassMonoDecision {
        freq_hz,
        track_low_end_side_to_mid_db: low,
        target_low_end_side_to_mid_db: target_db,
    })
}

/// A percentage as a 0..1 fraction, NaN-safe.
fn fraction(pct: f32) -> f32 {
    if pct.is_finite() {
        (pct / 100.0).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The chain settings for `decision` at `amounts`, on top of `base` (the settings the user
/// had: limiter times, output trim, high-pass and other expert settings are kept). Sets the
/// EQ's shelves and bells, the tone macro (the tilt), the dynamics macro and its programme
/// level, the per-band widths (width macro to 100 %), bass mono, the crossovers, the ceiling
/// and, once solved, the Drive.
pub fn apply(decision: &Decision, amounts: Amounts, base: &ChainSettings) -> ChainSettings {
    let mut out = *base;
    let tone = fraction(amounts.tone_pct);
    let eq = &decision.eq.settings;
    // Shelf Q is not a plugin parameter: the shelves keep the user's (the fit uses the same
    // 0.707 default).
    let scaled = |band: crate::dsp::eq::EqBand, q: f32| crate::dsp::eq::EqBand {
        freq_hz: snap(band.freq_hz, HZ_STEP),
        gain_db: snap(band.gain_db * tone, GAIN_STEP_DB),
        q,
    };
    out.stages.eq.low_shelf = scaled(eq.low_shelf, base.stages.eq.low_shelf.q);
    out.stages.eq.high_shelf = scaled(eq.high_shelf, base.stages.eq.high_shelf.q);
    for (dst, src) in out.stages.eq.bells.iter_mut().zip(eq.bells) {
        *dst = scaled(src, snap(src.q, Q_STEP));
    }
    out.macros.tone =
        snap(eq.tilt_db * tone / TONE_TILT_DB_AT_FULL * 100.0, TONE_STEP).clamp(-100.0, 100.0);

    out.macros.dynamics_pct = snap(
        decision.dynamics.amount_pct * fraction(amounts.dynamics_pct),
        PCT_STEP,
    );

    let width = fraction(amounts.width_pct);
    let (low_mid_hz, mid_high_hz) = decision.width.crossovers_hz;
    out.stages = out.stages.with_crossovers(low_mid_hz, mid_high_hz);
    out.macros.width_pct = 100.0;
    for (dst, decided) in out
        .stages
        .stereo
        .band_width_pct
        .iter_mut()
        .zip(decision.width.band_width_pct)
    {
        // Scale the move in dB: w^a, so 50 % of a doubling is +3 dB of side.
        let gain = (decided / 100.0).max(0.0);
        let pct = if gain > 0.0 {
            100.0 * gain.powf(width)
        } else {
            100.0 * (1.0 - width)
        };
        *dst = snap(pct, PCT_STEP);
    }
    match decision.bass_mono {
        Some(b) if width > 0.0 => {
            out.macros.bass_mono_on = true;
            out.macros.bass_mono_hz = snap(b.freq_hz, HZ_STEP);
        }
        _ => out.macros.bass_mono_on = false,
    }
    out.ceiling_dbtp = decision.loudness.ceiling_dbtp;
    if let Some(drive_db) = decision.loudness.drive_db {
        out.drive_db = snap(drive_db, GAIN_STEP_DB);
    }
    out
}

/// Steps of the parameters the decisions land on, from the parameter contract: a host stores a
/// parameter on its step, so [`apply`] rounds to the same steps and the plugin, set to the
/// reported values, renders exactly what the CLI wrote.
pub use crate::contract::{
    STEP_DB as GAIN_STEP_DB, STEP_HZ as HZ_STEP, STEP_PCT as PCT_STEP, STEP_Q as Q_STEP,
    STEP_TONE as TONE_STEP, snap,
};

/// Predicted change of integrated loudness from the tone and width moves of `settings`, dB:
/// the track's band powers (mid plus side, as `L^2 + R^2 = 2 (M^2 + S^2)`) weighted by the
/// BS.1770 K-weighting per band ([`k_weight_per_band`]), before and after the EQ's response
/// and the band widths. Exact while the limiter is idle; the Drive search starts from it.
pub fn predicted_loudness_change_db(track: &TrackFeatures, settings: &ChainSettings) -> f32 {
    let stages = settings.effective_stages();
    let k_weights = k_weight_per_band();
    let (mut before, mut after) = (0.0f64, 0.0f64);
    for (k, kw) in k_weights.iter().enumerate() {
        let f = band_centre_hz(k);
        let eq = db_to_power(stages.eq.response_db(f, 48_000.0));
        let b = split_band_of(k, (stages.stereo.low_mid_hz, stages.stereo.mid_high_hz))
            .unwrap_or(if f < 1000.0 { 0 } else { NUM_SPLIT - 1 });
        let w = f64::from(stages.stereo.band_width_pct[b] / 100.0);
        let (mid, side) = (db_to_power(track.mid_db[k]), db_to_power(track.side_db[k]));
        before += kw * (mid + side);
        after += kw * eq * (mid + w * w * side);
    }
    if before > 0.0 && after > 0.0 {
        (10.0 * (after / before).log10()) as f32
    } else {
        0.0
    }
}

/// Where the Drive search starts: the goal minus the track's loudness, the predicted change
/// of the moves and the output trim.
fn initial_drive_db(decision: &Decision, track: &TrackFeatures, settings: &ChainSettings) -> f32 {
    decision.loudness.track_lufs.map_or(0.0, |l| {
        decision.loudness.target_lufs
            - l
            - predicted_loudness_change_db(track, settings)
            - settings.output_db
    })
}

/// One trial render's measurement, for the Drive search.
fn measured(m: &crate::render::RenderLoudness) -> TrialMeasurement {
    TrialMeasurement {
        integrated_lufs: m.integrated_lufs.map(|l| l as f32),
        max_gain_reduction_db: m.gain_reduction.max_db,
    }
}

/// Finds the Drive that puts `audio` (planar, at `sample_rate_hz`), rendered through the
/// chain with `apply(decision, amounts, base)`, on the goal's loudness, by rendering the real
/// chain for every guess ([`solve_drive`] over [`measure_render`], starting from
/// [`predicted_loudness_change_db`]), and stores it in the decision, on the Drive parameter's
/// 0.1 dB grid. Runs on a background thread in the plugin; allocates and takes a few renders.
/// Changing the amounts afterwards changes the loudness slightly; solve again to re-aim.
#[allow(clippy::too_many_arguments)]
pub fn solve_loudness(
    decision: &mut Decision,
    track: &TrackFeatures,
    audio: &[&[f32]],
    sample_rate_hz: u32,
    amounts: Amounts,
    base: &ChainSettings,
    drive_range_db: (f32, f32),
    max_gain_reduction_db: f32,
) -> Result<DriveSolution, AnalysisError> {
    let settings = apply(decision, amounts, base);
    let measure = |drive_db: f32| {
        let trial = ChainSettings {
            drive_db,
            ..settings
        };
        measure_render(audio, sample_rate_hz, &trial).map(|m| (measured(&m), ()))
    };
    let search = DriveSearch {
        target_lufs: decision.loudness.target_lufs,
        max_gain_reduction_db,
        drive_range_db,
        initial_drive_db: initial_drive_db(decision, track, &settings),
    };
    let (solution, ()) = solve_on_grid(&search, |d| measure(d).map(|m| m.0), measure)?;
    decision.loudness.drive_db = Some(solution.drive_db);
    Ok(solution)
}

/// [`solve_loudness`], returning also the render at the chosen Drive (exactly what
/// [`render`] gives for `apply(decision, amounts, base)`): the grid trials render in full and
/// the chosen one is kept, so no final render is needed (what the CLI writes).
#[allow(clippy::too_many_arguments)]
pub fn solve_and_render(
    decision: &mut Decision,
    track: &TrackFeatures,
    audio: &[Vec<f32>],
    sample_rate_hz: u32,
    amounts: Amounts,
    base: &ChainSettings,
    drive_range_db: (f32, f32),
    max_gain_reduction_db: f32,
) -> Result<(DriveSolution, Rendered), AnalysisError> {
    let settings = apply(decision, amounts, base);
    let slices: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
    let trial = |drive_db: f32| ChainSettings {
        drive_db,
        ..settings
    };
    let search = DriveSearch {
        target_lufs: decision.loudness.target_lufs,
        max_gain_reduction_db,
        drive_range_db,
        initial_drive_db: initial_drive_db(decision, track, &settings),
    };
    let (solution, rendered) = solve_on_grid(
        &search,
        |d| measure_render(&slices, sample_rate_hz, &trial(d)).map(|m| measured(&m)),
        |d| {
            let out = render(audio.to_vec(), sample_rate_hz, &trial(d));
            let m = TrialMeasurement {
                integrated_lufs: integrated_lufs(&out.channels, sample_rate_hz)?,
                max_gain_reduction_db: out.gain_reduction.max_db,
            };
            Ok((m, out))
        },
    )?;
    decision.loudness.drive_db = Some(solution.drive_db);
    Ok((solution, rendered))
}

/// Integrated loudness of planar audio, LUFS (BS.1770-4 via `ebur128`); `None` if gated out.
fn integrated_lufs(
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
) -> Result<Option<f32>, AnalysisError> {
    let mut meter = EbuR128::new(channels.len() as u32, sample_rate_hz, Mode::I)
        .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    meter
        .add_frames_planar_f32(&slices)
        .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;
    Ok(meter
        .loudness_global()
        .ok()
        .filter(|l| l.is_finite())
        .map(|l| l as f32))
}

/// The search on the Drive parameter's 0.1 dB grid: [`solve_drive`] with `measure` (off-grid
/// trials), then the grid step nearest its answer with `measure_grid`, and that step's
/// neighbour towards the target if the step misses by more than the tolerance and the
/// neighbour lands closer. Returns the chosen step and what `measure_grid` gave for it.
fn solve_on_grid<T>(
    search: &DriveSearch,
    measure: impl FnMut(f32) -> Result<TrialMeasurement, AnalysisError>,
    mut measure_grid: impl FnMut(f32) -> Result<(TrialMeasurement, T), AnalysisError>,
) -> Result<(DriveSolution, T), AnalysisError> {
    let mut solution = solve_drive(search, measure)?;
    let (lo, hi) = search.drive_range_db;
    if solution.outcome == TargetOutcome::Silent {
        let (m, out) = measure_grid(0.0)?;
        solution.drive_db = 0.0;
        solution.measurement = m;
        return Ok((solution, out));
    }
    let error = |m: &TrialMeasurement| {
        m.integrated_lufs
            .map_or(f32::INFINITY, |l| l - search.target_lufs)
    };
    let snapped = snap(solution.drive_db, GAIN_STEP_DB).clamp(lo, hi);
    let (m, out) = measure_grid(snapped)?;
    let mut best = (snapped, m, out);
    if error(&m).abs() > LOUDNESS_TOLERANCE_LU {
        let other = (snapped - GAIN_STEP_DB * error(&m).signum()).clamp(lo, hi);
        let (m2, out2) = measure_grid(other)?;
        let allowed = m2.max_gain_reduction_db <= search.max_gain_reduction_db;
        if allowed && error(&m2).abs() < error(&m).abs() {
            best = (other, m2, out2);
        }
    }
    solution.drive_db = best.0;
    solution.measurement = best.1;
    solution.num_passes += 1;
    Ok((solution, best.2))
}

#[cfg(test)]
mod tests;
