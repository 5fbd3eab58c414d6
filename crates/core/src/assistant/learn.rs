//! The learned damage estimator (issue 14, item 2): from a track's long-term features to an
//! estimate of the whole-mix EQ damage it carries, per 1/3-octave band, so the assistant can
//! tell a mix's EQ problem from a master's character without a reference.
//!
//! - **Features** ([`features`]): the mid spectrum's shape over the core bands (31.5 Hz to
//!   16 kHz, each band minus their mean, so level does not matter), and the side-to-mid ratio
//!   per band, which a whole-mix EQ cannot change (it moves mid and side alike): it tells
//!   which kind of music the track is, so the shape is compared with masters of its kind.
//! - **Model**: ridge regression (linear least squares with an L2 penalty, closed form) from
//!   the features to the damage curve in dB over the same bands, one output per band: the
//!   best linear estimate of the damage given how masters of this corpus vary (a bump that
//!   good masters often have weighs little; one they rarely have, much). One model for "any
//!   damage" (no hint) and one per problem a listener can name (trained only on mixes that
//!   carry that problem, so it sizes and locates it knowing it is there).
//! - **Training** (`train`): synthetic whole-mix damage applied to real masters' features:
//!   bells and shelves of random centre, Q and gain in each problem's region, alone and in
//!   pairs, and none at all, plus width changes. A static EQ adds its band-averaged gain to
//!   every band's long-term level, so the damage is applied to the features directly, which
//!   makes thousands of damaged copies per track cheap. Leave-one-track-out: a track's copies
//!   are never in both training and test.
//! - **Uncertainty**: for each model, the spread of its leave-one-track-out estimate on
//!   undamaged masters per band (what character alone makes it say) is kept with the weights.
//!   The assistant moves a band only by what the estimate exceeds that spread times
//!   [`Estimator::threshold`] (soft threshold: the evidence must exclude zero, and the move is
//!   shrunk by the uncertainty), scaled by the strength, capped.
//!
//! The weights are `assets/estimator/estimator.json`, made by `cargo xtask train-assistant
//! DIR` (which also prints the leave-one-track-out figures); no runtime beyond this module.

use super::decide::Problem;
use super::profile::{NUM_BANDS, TrackFeatures};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::sync::OnceLock;

pub mod damage;
pub mod study;
pub mod train;

/// Number of bands the estimator reads and estimates: the core bands, 31.5 Hz to 16 kHz.
pub const NUM_CORE: usize = 28;

/// Index of the first core band in the 31-band list.
pub const FIRST_CORE: usize = 2;

/// Number of features: the mid shape and the side-to-mid ratio per core band.
pub const NUM_FEATURES: usize = 2 * NUM_CORE;

/// The mid shape is clamped to this range around its mean, dB (a band beyond a codec's
/// low-pass sits at the analysis floor; its exact depth says nothing).
pub const SHAPE_RANGE_DB: (f32, f32) = (-40.0, 20.0);

/// The side-to-mid ratio is clamped to this range, dB (below -30 dB the side is inaudible).
pub const SIDE_RANGE_DB: (f32, f32) = (-30.0, 10.0);

/// A named problem's estimate smaller than this in a band, dB, leaves the band to the rest of
/// the correction (its model's tail, far from its region, must not undo another problem's
/// move there).
pub const NAMED_MIN_DB: f32 = 0.05;

/// Largest correction the no-hint estimate makes in one band, dB.
pub const MAX_NO_HINT_DB: f32 = 6.0;

/// The features of a track ([`NUM_FEATURES`] values; see the module docs).
pub fn features(track: &TrackFeatures) -> [f32; NUM_FEATURES] {
    let mid: [f32; NUM_CORE] = std::array::from_fn(|i| track.mid_db[FIRST_CORE + i]);
    let mean = mid.iter().sum::<f32>() / NUM_CORE as f32;
    std::array::from_fn(|j| {
        let v = if j < NUM_CORE {
            (mid[j] - mean).clamp(SHAPE_RANGE_DB.0, SHAPE_RANGE_DB.1)
        } else {
            track.side_to_mid_db[FIRST_CORE + j - NUM_CORE].clamp(SIDE_RANGE_DB.0, SIDE_RANGE_DB.1)
        };
        if v.is_finite() { v } else { 0.0 }
    })
}

/// One linear model: the damage curve per core band from the features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// `any` (no hint) or a problem's name (`mud`, ...).
    pub kind: String,
    /// Per core band: [`NUM_FEATURES`] weights, then the intercept.
    pub weights: Vec<Vec<f32>>,
    /// Per core band: RMS of the leave-one-track-out estimate on undamaged masters, dB.
    pub null_spread_db: Vec<f32>,
}

impl Model {
    /// The estimated damage per core band, dB (positive: the mix has too much there).
    pub fn estimate(&self, x: &[f32; NUM_FEATURES]) -> [f32; NUM_CORE] {
        std::array::from_fn(|b| {
            self.weights.get(b).map_or(0.0, |w| {
                let dot: f32 = w.iter().zip(x.iter()).map(|(a, b)| a * b).sum();
                dot + w.get(NUM_FEATURES).copied().unwrap_or(0.0)
            })
        })
    }

    /// Spread on undamaged masters of band `b`'s estimate, dB.
    pub fn spread(&self, b: usize) -> f32 {
        self.null_spread_db.get(b).copied().unwrap_or(f32::INFINITY)
    }
}

/// The trained estimator: the weights file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimator {
    /// What the weights were made from and how (tracks, damage, penalty).
    pub made_from: String,
    /// The ridge penalty the weights were fitted with.
    pub lambda: f64,
    /// How many times its spread on undamaged masters a no-hint estimate must exceed before
    /// it moves anything (the soft threshold's width; chosen at the knee of the
    /// restore-versus-harm curve when training).
    pub threshold: f32,
    /// The no-hint model (`any`) and one per problem.
    pub models: Vec<Model>,
}

/// What the estimator found in a track, per band of the 31-band list (the explanations quote
/// it; zero outside the core bands).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnedEvidence {
    /// The no-hint estimate of the mix's EQ damage, dB (positive: too much).
    pub estimate_db: Vec<f32>,
    /// How far an estimate must reach before it moves anything (the threshold times the
    /// spread on undamaged masters), dB.
    pub threshold_db: Vec<f32>,
    /// The correction decided, the named problems included, dB (negative: cut).
    pub correction_db: Vec<f32>,
}

/// The committed weights.
const ESTIMATOR_JSON: &str = include_str!("../../../../assets/estimator/estimator.json");

impl Estimator {
    /// The committed estimator, parsed once; `None` if the file does not parse (the assistant
    /// then corrects nothing without a reference, as before the estimator).
    pub fn committed() -> Option<&'static Estimator> {
        static PARSED: OnceLock<Option<Estimator>> = OnceLock::new();
        PARSED
            .get_or_init(|| serde_json::from_str(ESTIMATOR_JSON).ok())
            .as_ref()
    }

    /// An estimator without models: the assistant falls back to the family intervals.
    pub fn none() -> Estimator {
        Estimator {
            made_from: String::new(),
            lambda: 0.0,
            threshold: 0.0,
            models: Vec::new(),
        }
    }

    /// The model of `kind` (`any`, or a problem's name).
    pub fn model(&self, kind: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.kind == kind)
    }

    /// The no-hint correction per band of the 31-band list, dB (negative: cut): each core
    /// band's estimate beyond [`Estimator::threshold`] times its spread on undamaged masters,
    /// negated, times `strength`, within [`MAX_NO_HINT_DB`]; zero outside the core bands.
    pub fn no_hint_correction(&self, track: &TrackFeatures, strength: f32) -> [f32; NUM_BANDS] {
        let mut out = [0.0; NUM_BANDS];
        let Some(model) = self.model("any") else {
            return out;
        };
        let est = model.estimate(&features(track));
        for (b, e) in est.iter().enumerate() {
            let excess = soft_threshold(*e, self.threshold * model.spread(b));
            out[FIRST_CORE + b] = (-strength * excess).clamp(-MAX_NO_HINT_DB, MAX_NO_HINT_DB);
        }
        out
    }

    /// The correction for `track` with the problems the listener names, per band of the
    /// 31-band list, dB (negative: cut): the no-hint correction ([`Self::no_hint_correction`]),
    /// and wherever a named problem's estimate ([`Self::named_estimate`]) asks for more than
    /// [`NAMED_MIN_DB`] its way, that estimate, times `strength`, within [`super::decide::WEAK_EVIDENCE_CAP_DB`] (a listener
    /// who names a problem that is not there gets a bounded move).
    pub fn correction(
        &self,
        track: &TrackFeatures,
        named: &[Problem],
        strength: f32,
    ) -> [f32; NUM_BANDS] {
        let capped: Vec<(Problem, f32)> = named
            .iter()
            .map(|&p| (p, super::decide::WEAK_EVIDENCE_CAP_DB))
            .collect();
        self.correction_capped(track, &capped, strength)
    }

    /// [`Self::correction`] with each named problem's own cap, dB (the decision raises it where
    /// the spectrum itself gives strong evidence).
    pub fn correction_capped(
        &self,
        track: &TrackFeatures,
        named: &[(Problem, f32)],
        strength: f32,
    ) -> [f32; NUM_BANDS] {
        let mut out = self.no_hint_correction(track, strength);
        for &(p, cap) in named {
            let est = self.named_estimate(track, p);
            let sign = if p.is_excess() { -1.0 } else { 1.0 };
            for k in 0..NUM_BANDS {
                let want = (strength * est[k].abs()).min(cap);
                if want > NAMED_MIN_DB && sign * out[k] < want {
                    out[k] = sign * want;
                }
            }
        }
        out
    }

    /// The evidence and the correction for `track` ([`Self::correction_capped`] at
    /// `strength`).
    pub fn evidence(
        &self,
        track: &TrackFeatures,
        named: &[(Problem, f32)],
        strength: f32,
    ) -> LearnedEvidence {
        let mut estimate_db = vec![0.0; NUM_BANDS];
        let mut threshold_db = vec![0.0; NUM_BANDS];
        if let Some(model) = self.model("any") {
            for (b, e) in model.estimate(&features(track)).iter().enumerate() {
                estimate_db[FIRST_CORE + b] = *e;
                threshold_db[FIRST_CORE + b] = self.threshold * model.spread(b);
            }
        }
        LearnedEvidence {
            estimate_db,
            threshold_db,
            correction_db: self.correction_capped(track, named, strength).to_vec(),
        }
    }

    /// The named problem's estimated damage per band of the 31-band list, dB, in the
    /// problem's direction only (a named mud is never estimated as a dip); zero outside the
    /// core bands and where no model exists.
    pub fn named_estimate(&self, track: &TrackFeatures, problem: Problem) -> [f32; NUM_BANDS] {
        let mut out = [0.0; NUM_BANDS];
        let Some(model) = self.model(problem.name()) else {
            return out;
        };
        let sign = if problem.is_excess() { 1.0 } else { -1.0 };
        for (b, e) in model.estimate(&features(track)).iter().enumerate() {
            out[FIRST_CORE + b] = sign * (sign * e).max(0.0);
        }
        out
    }
}

thread_local! {
    /// An estimator that replaces the committed one on this thread (see [`with_estimator`]).
    static OVERRIDE: RefCell<Option<Estimator>> = const { RefCell::new(None) };
}

/// Runs `f` with `estimator` in place of the committed one on this thread: the evaluation's
/// leave-one-track-out (each track decided by an estimator trained without it).
pub fn with_estimator<R>(estimator: Estimator, f: impl FnOnce() -> R) -> R {
    let previous = OVERRIDE.with(|o| o.replace(Some(estimator)));
    let out = f();
    OVERRIDE.with(|o| *o.borrow_mut() = previous);
    out
}

/// Calls `f` with the estimator in use on this thread: the one [`with_estimator`] set, or the
/// committed one; `None` when neither has models.
pub fn with_current<R>(f: impl FnOnce(Option<&Estimator>) -> R) -> R {
    OVERRIDE.with(|o| {
        let o = o.borrow();
        let e = o.as_ref().or_else(|| Estimator::committed());
        f(e.filter(|e| !e.models.is_empty()))
    })
}

/// `value` moved towards zero by `width` (zero inside +/- `width`).
pub fn soft_threshold(value: f32, width: f32) -> f32 {
    if !value.is_finite() || !width.is_finite() {
        return 0.0;
    }
    value.signum() * (value.abs() - width).max(0.0)
}

#[cfg(test)]
mod tests;
