//! Fitting the chain's EQ (low shelf, five bells, high shelf, tilt) to a target interval per
//! 1/3-octave band, with the EQ's own response ([`EqSettings::response_db`]).
//!
//! Cost, over the bands `k`: `sum_k w_k dist(y_k + E_k + c, [lo_k, hi_k])^2 + lambda sum_j
//! g_j^2`, where `y` is the smoothed track, `E_k` the EQ's band-energy response (the mean power
//! of [`EqSettings::response`] at five points across the band), `g_j` the band gains and `w_k`
//! 1 from 31.5 Hz to 16 kHz and [`EDGE_WEIGHT`] outside. `c` is the level offset that aligns
//! the equalised track with the target's median in the weighted mean (the spectra are
//! level-normalised and the Drive sets the level, so only shape counts; aligning to the median
//! rather than fitting `c` freely keeps the percentile slack from absorbing a real excess).
//! Matching pursuit picks slots (a bell at a candidate centre and Q, a shelf at a candidate
//! corner, or the tilt) by the cost they remove, linearised; after each pick all gains are
//! refined together by projected
//! Gauss-Newton with Levenberg-Marquardt damping (Nocedal & Wright, *Numerical Optimization*,
//! ch. 10), each gain kept within [`MAX_EQ_MOVE_DB`] (the tilt within the tone macro's range).

use crate::assistant::profile::{NUM_BANDS, band_centre_hz, is_core_band};
use crate::dsp::eq::{EqBand, EqSettings, NUM_BELLS};
use crate::dsp::macros::TONE_TILT_DB_AT_FULL;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// Largest boost or cut the assistant gives any EQ band, dB (issue #5: bounded moves).
pub const MAX_EQ_MOVE_DB: f32 = 6.0;
/// Weight of the bands outside 31.5 Hz..16 kHz, where music has little energy and the
/// long-term spectrum is least reliable.
pub const EDGE_WEIGHT: f32 = 0.1;
/// Closest two bells may sit, octaves.
const MIN_BELL_SPACING_OCT: f32 = 0.5;
/// Cost of a gain, per dB squared (keeps moves no larger than they need to be).
const GAIN_COST: f64 = 0.002;
/// A new slot must remove at least this much weighted squared error, dB^2 (about 0.15 dB RMS
/// over the 27 weighted bands).
const MIN_IMPROVEMENT_DB2: f64 = 0.6;
/// Moves smaller than this are dropped, dB.
const MIN_MOVE_DB: f32 = 0.1;
/// Sample rate the responses are evaluated at, Hz (below 16 kHz the cookbook filters at
/// 44.1..96 kHz agree within a few hundredths of a dB).
const DESIGN_RATE_HZ: f32 = 48_000.0;
/// Points per band for the band-energy average, spread over the band (+/- 1/6 octave).
const POINTS_PER_BAND: usize = 5;
/// Gain the candidate shapes are computed at, dB (the pursuit scales them linearly).
const SHAPE_GAIN_DB: f32 = 3.0;

/// Bell Qs the pursuit tries (0.7 about two octaves wide .. 2 about 2/3 octave).
const BELL_QS: [f32; 4] = [0.7, 1.0, 1.4, 2.0];
/// Low-shelf corners tried, Hz.
const LOW_SHELF_HZ: [f32; 5] = [40.0, 63.0, 100.0, 160.0, 250.0];
/// High-shelf corners tried, Hz.
const HIGH_SHELF_HZ: [f32; 4] = [3150.0, 5000.0, 8000.0, 12_500.0];
/// Shelf Q (cookbook slope 1 region: the steepest shelf without overshoot).
const SHELF_Q: f32 = 0.707;

/// What kind of EQ band a move is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EqMoveKind {
    /// The low shelf.
    LowShelf,
    /// One of the bells.
    Bell,
    /// The high shelf.
    HighShelf,
    /// The tilt around 1 kHz (gain = dB at the top of the spectrum).
    Tilt,
}

/// One EQ move and the numbers that justify it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EqMove {
    /// Kind of band.
    pub kind: EqMoveKind,
    /// Centre or corner frequency, Hz.
    pub freq_hz: f32,
    /// Gain at full amount, dB.
    pub gain_db: f32,
    /// Cookbook Q.
    pub q: f32,
    /// Centre of the 1/3-octave band the explanation quotes, Hz: where, under this move, the
    /// track was furthest outside the target.
    pub at_hz: f32,
    /// Track level there (smoothed, level-aligned to the target), dB.
    pub track_db: f32,
    /// Lower edge of the target there (10th percentile, or the reference), dB.
    pub lower_db: f32,
    /// Upper edge of the target there (90th percentile, or the reference), dB.
    pub upper_db: f32,
}

/// What the fit needs, per 1/3-octave band, dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitInput {
    /// Track's level-normalised mid spectrum.
    pub track_db: [f32; NUM_BANDS],
    /// Lower edge of the target interval.
    pub lower_db: [f32; NUM_BANDS],
    /// Upper edge of the target interval.
    pub upper_db: [f32; NUM_BANDS],
    /// Target median (inside the interval).
    pub median_db: [f32; NUM_BANDS],
}

/// The fitted EQ.
#[derive(Debug, Clone, PartialEq)]
pub struct FitOutput {
    /// The EQ (shelves, bells, tilt; high-pass off).
    pub settings: EqSettings,
    /// Non-zero moves, low to high.
    pub moves: Vec<EqMove>,
    /// Correction to the nearest edge of the interval per band before the fit, dB.
    pub wanted_db: [f32; NUM_BANDS],
    /// The EQ's band-energy response per band, dB.
    pub fitted_db: [f32; NUM_BANDS],
    /// Level offset fitted alongside, dB.
    pub offset_db: f32,
}

/// One band the pursuit may use.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    kind: EqMoveKind,
    freq_hz: f32,
    q: f32,
}

impl Slot {
    fn max_gain_db(&self) -> f32 {
        match self.kind {
            EqMoveKind::Tilt => TONE_TILT_DB_AT_FULL,
            _ => MAX_EQ_MOVE_DB,
        }
    }

    /// An EQ with only this slot, at `gain_db`.
    fn alone(&self, gain_db: f32) -> EqSettings {
        let mut eq = EqSettings::default();
        self.write(&mut eq, 0, gain_db);
        eq
    }

    /// Writes this slot into `eq` (bells into bell `bell`).
    fn write(&self, eq: &mut EqSettings, bell: usize, gain_db: f32) {
        let band = EqBand {
            freq_hz: self.freq_hz,
            gain_db,
            q: self.q,
        };
        match self.kind {
            EqMoveKind::LowShelf => eq.low_shelf = band,
            EqMoveKind::HighShelf => eq.high_shelf = band,
            EqMoveKind::Tilt => eq.tilt_db = gain_db,
            EqMoveKind::Bell => {
                if let Some(b) = eq.bells.get_mut(bell) {
                    *b = band;
                }
            }
        }
    }
}

/// Frequencies at which band `k`'s energy is averaged, Hz.
fn band_points(k: usize) -> [f32; POINTS_PER_BAND] {
    let centre = band_centre_hz(k);
    std::array::from_fn(|i| centre * 2f32.powf((i as f32 - 2.0) / 12.0))
}

/// Band-energy response of `eq` per 1/3-octave band, dB, and the per-point dB responses.
fn point_response_db(eq: &EqSettings) -> [[f32; POINTS_PER_BAND]; NUM_BANDS] {
    std::array::from_fn(|k| band_points(k).map(|f| eq.response_db(f, DESIGN_RATE_HZ)))
}

/// Energy average over a band's points of a sum of per-point dB responses.
fn band_energy_db(points_db: &[f32; POINTS_PER_BAND]) -> f32 {
    let mean = points_db
        .iter()
        .map(|db| 10f64.powf(f64::from(*db) / 10.0))
        .sum::<f64>()
        / POINTS_PER_BAND as f64;
    (10.0 * mean.log10()) as f32
}

/// Every candidate slot with its per-point response at [`SHAPE_GAIN_DB`], computed once.
fn candidates() -> &'static [(Slot, [[f32; POINTS_PER_BAND]; NUM_BANDS])] {
    static CANDIDATES: OnceLock<Vec<(Slot, [[f32; POINTS_PER_BAND]; NUM_BANDS])>> = OnceLock::new();
    CANDIDATES.get_or_init(|| {
        let mut slots = vec![Slot {
            kind: EqMoveKind::Tilt,
            freq_hz: 1000.0,
            q: 0.5,
        }];
        for f in LOW_SHELF_HZ {
            slots.push(Slot {
                kind: EqMoveKind::LowShelf,
                freq_hz: f,
                q: SHELF_Q,
            });
        }
        for f in HIGH_SHELF_HZ {
            slots.push(Slot {
                kind: EqMoveKind::HighShelf,
                freq_hz: f,
                q: SHELF_Q,
            });
        }
        for k in 2..=28 {
            for q in BELL_QS {
                slots.push(Slot {
                    kind: EqMoveKind::Bell,
                    freq_hz: band_centre_hz(k),
                    q,
                });
            }
        }
        slots
            .into_iter()
            .map(|s| (s, point_response_db(&s.alone(SHAPE_GAIN_DB))))
            .collect()
    })
}

/// Three-band triangular smoothing (1/4, 1/2, 1/4; ends repeated): 1/3-octave smoothing of a
/// 1/3-octave spectrum.
pub(super) fn smooth(x: &[f32; NUM_BANDS]) -> [f32; NUM_BANDS] {
    std::array::from_fn(|k| {
        let lo = x[k.saturating_sub(1)];
        let hi = x[(k + 1).min(NUM_BANDS - 1)];
        0.25 * lo + 0.5 * x[k] + 0.25 * hi
    })
}

/// Weight of band `k` in the fit (and in the broad balance of [`super::shape`]): 1 for the
/// core bands, [`EDGE_WEIGHT`] outside.
pub(super) fn weight(k: usize) -> f64 {
    if is_core_band(k) {
        1.0
    } else {
        f64::from(EDGE_WEIGHT)
    }
}

/// Problem data shared by the steps of the fit.
struct Problem {
    y: [f32; NUM_BANDS],
    lo: [f32; NUM_BANDS],
    hi: [f32; NUM_BANDS],
    median: [f32; NUM_BANDS],
}

impl Problem {
    /// Signed distance of `v` to band `k`'s interval (0 inside).
    fn excess(&self, k: usize, v: f32) -> f64 {
        f64::from(v - v.clamp(self.lo[k], self.hi[k]))
    }

    /// Weighted squared distance over the bands for EQ response `eq_db` and offset `c`.
    fn misfit(&self, eq_db: &[f32; NUM_BANDS], c: f32) -> f64 {
        (0..NUM_BANDS)
            .map(|k| weight(k) * self.excess(k, self.y[k] + eq_db[k] + c).powi(2))
            .sum()
    }

    /// Offset aligning the track equalised by `eq_db` with the target median (weighted
    /// mean), dB.
    fn offset(&self, eq_db: &[f32; NUM_BANDS]) -> f32 {
        let (mut sum, mut wsum) = (0.0f64, 0.0f64);
        for (k, eq) in eq_db.iter().enumerate() {
            sum += weight(k) * f64::from(self.median[k] - self.y[k] - eq);
            wsum += weight(k);
        }
        (sum / wsum) as f32
    }
}

/// A chosen slot and its current gain and per-point response.
#[derive(Clone, Copy)]
struct Chosen {
    slot: Slot,
    gain_db: f32,
    points_db: [[f32; POINTS_PER_BAND]; NUM_BANDS],
}

/// Band-energy response of all chosen slots together.
fn total_db(chosen: &[Chosen]) -> [f32; NUM_BANDS] {
    std::array::from_fn(|k| {
        let pts: [f32; POINTS_PER_BAND] =
            std::array::from_fn(|i| chosen.iter().map(|c| c.points_db[k][i]).sum());
        band_energy_db(&pts)
    })
}

fn cost(p: &Problem, chosen: &[Chosen]) -> f64 {
    let gains: f64 = chosen.iter().map(|s| f64::from(s.gain_db).powi(2)).sum();
    let eq_db = total_db(chosen);
    p.misfit(&eq_db, p.offset(&eq_db)) + GAIN_COST * gains
}

/// Fits the EQ (see the module docs).
pub fn fit_eq(input: &FitInput) -> FitOutput {
    let p = Problem {
        y: smooth(&input.track_db),
        lo: smooth(&input.lower_db),
        hi: smooth(&input.upper_db),
        median: smooth(&input.median_db),
    };
    let flat = [0.0f32; NUM_BANDS];
    let c0 = p.offset(&flat);
    let wanted_db: [f32; NUM_BANDS] = std::array::from_fn(|k| -p.excess(k, p.y[k] + c0) as f32);

    let mut chosen: Vec<Chosen> = Vec::new();
    let mut current = cost(&p, &chosen);
    while let Some((slot, gain)) = best_candidate(&p, &chosen) {
        let mut trial = chosen.clone();
        trial.push(Chosen {
            slot,
            gain_db: gain,
            points_db: point_response_db(&slot.alone(gain)),
        });
        refine(&p, &mut trial);
        let trial_cost = cost(&p, &trial);
        if current - trial_cost < MIN_IMPROVEMENT_DB2 {
            break;
        }
        chosen = trial;
        current = trial_cost;
    }
    chosen.retain(|ch| ch.gain_db.abs() >= MIN_MOVE_DB);
    chosen.sort_by(|a, b| a.slot.freq_hz.total_cmp(&b.slot.freq_hz));
    let fitted_db = total_db(&chosen);
    let c = p.offset(&fitted_db);

    let mut settings = EqSettings::default();
    let mut bell = 0;
    let mut moves = Vec::new();
    for ch in &chosen {
        ch.slot.write(&mut settings, bell, ch.gain_db);
        if ch.slot.kind == EqMoveKind::Bell {
            bell += 1;
        }
        moves.push(explain_numbers(&p, ch, &wanted_db, c0));
    }
    FitOutput {
        settings,
        moves,
        wanted_db,
        fitted_db,
        offset_db: c,
    }
}

/// The candidate slot that removes the most cost, linearised, among the kinds still free,
/// with its gain; `None` when nothing is free.
fn best_candidate(p: &Problem, chosen: &[Chosen]) -> Option<(Slot, f32)> {
    let count = |kind| chosen.iter().filter(|ch| ch.slot.kind == kind).count();
    let free = |kind| match kind {
        EqMoveKind::Bell => count(kind) < NUM_BELLS,
        _ => count(kind) == 0,
    };
    let now = total_db(chosen);
    let c = p.offset(&now);
    // Residual: signed excess (0 inside the interval; the refinement then accounts for bands
    // a move pushes out).
    let resid: [f64; NUM_BANDS] = std::array::from_fn(|k| p.excess(k, p.y[k] + now[k] + c));
    let wsum: f64 = (0..NUM_BANDS).map(weight).sum();
    let mut best: Option<(Slot, f32, f64)> = None;
    // A second bell next to one already chosen would only stack on it (the refinement can
    // deepen the first up to the limit): at most one bell per half octave.
    let crowded = |slot: &Slot| {
        slot.kind == EqMoveKind::Bell
            && chosen.iter().any(|ch| {
                ch.slot.kind == EqMoveKind::Bell
                    && (slot.freq_hz / ch.slot.freq_hz).log2().abs() < MIN_BELL_SPACING_OCT
            })
    };
    for (slot, pts) in candidates() {
        if !free(slot.kind) || crowded(slot) {
            continue;
        }
        let shape: [f64; NUM_BANDS] =
            std::array::from_fn(|k| f64::from(band_energy_db(&pts[k]) / SHAPE_GAIN_DB));
        let mean = (0..NUM_BANDS).map(|k| weight(k) * shape[k]).sum::<f64>() / wsum;
        let (mut num, mut den) = (0.0f64, 0.0f64);
        for k in 0..NUM_BANDS {
            let s = shape[k] - mean;
            num += weight(k) * resid[k] * s;
            den += weight(k) * s * s;
        }
        if den <= 1e-12 {
            continue;
        }
        let max = f64::from(slot.max_gain_db());
        let g = (-num / den).clamp(-max, max);
        let gain_term = GAIN_COST * g * g;
        let improvement = -(2.0 * g * num + g * g * den) - gain_term;
        if best.is_none_or(|(_, _, b)| improvement > b) {
            best = Some((*slot, g as f32, improvement));
        }
    }
    best.and_then(|(s, g, imp)| (imp > 0.0).then_some((s, g)))
}

/// Refines every chosen gain together: projected Gauss-Newton with Levenberg-Marquardt
/// damping on the weighted distances (the offset follows the EQ, so each Jacobian column is
/// centred by its weighted mean), the gain cost as extra residuals.
fn refine(p: &Problem, chosen: &mut [Chosen]) {
    let n = chosen.len();
    let wsum: f64 = (0..NUM_BANDS).map(weight).sum();
    let mut damping = 1e-3f64;
    let mut current = cost(p, chosen);
    for _ in 0..12 {
        let base = total_db(chosen);
        let c = p.offset(&base);
        let resid: [f64; NUM_BANDS] = std::array::from_fn(|k| p.excess(k, p.y[k] + base[k] + c));
        // Jacobian columns: one per gain (finite difference of that slot alone), centred.
        let step_db = 0.05f32;
        let mut jac = vec![[0.0f64; NUM_BANDS]; n];
        for (j, ch) in chosen.iter().enumerate() {
            let mut moved = *ch;
            moved.points_db = point_response_db(&ch.slot.alone(ch.gain_db + step_db));
            let others: Vec<Chosen> = chosen
                .iter()
                .enumerate()
                .map(|(i, o)| if i == j { moved } else { *o })
                .collect();
            let up = total_db(&others);
            for k in 0..NUM_BANDS {
                jac[j][k] = f64::from((up[k] - base[k]) / step_db);
            }
            let mean = (0..NUM_BANDS).map(|k| weight(k) * jac[j][k]).sum::<f64>() / wsum;
            for v in jac[j].iter_mut() {
                *v -= mean;
            }
        }
        // Normal equations over the active bands (outside their interval).
        let mut a = vec![vec![0.0f64; n]; n];
        let mut b = vec![0.0f64; n];
        for k in 0..NUM_BANDS {
            if resid[k] == 0.0 {
                continue;
            }
            let w = weight(k);
            for i in 0..n {
                b[i] -= w * jac[i][k] * resid[k];
                for j in 0..n {
                    a[i][j] += w * jac[i][k] * jac[j][k];
                }
            }
        }
        for (i, ch) in chosen.iter().enumerate() {
            a[i][i] += GAIN_COST;
            b[i] -= GAIN_COST * f64::from(ch.gain_db);
        }
        let mut improved = false;
        for _ in 0..6 {
            let mut damped = a.clone();
            for (i, row) in damped.iter_mut().enumerate() {
                row[i] += damping * (1.0 + a[i][i]);
            }
            let Some(delta) = solve(damped, b.clone()) else {
                damping *= 10.0;
                continue;
            };
            let mut trial: Vec<Chosen> = chosen.to_vec();
            for (ch, d) in trial.iter_mut().zip(&delta) {
                let max = ch.slot.max_gain_db();
                ch.gain_db = (ch.gain_db + *d as f32).clamp(-max, max);
                ch.points_db = point_response_db(&ch.slot.alone(ch.gain_db));
            }
            let trial_cost = cost(p, &trial);
            if trial_cost < current {
                chosen.copy_from_slice(&trial);
                improved = current - trial_cost > 1e-5;
                current = trial_cost;
                damping = (damping * 0.3).max(1e-6);
                break;
            }
            damping *= 10.0;
        }
        if !improved {
            break;
        }
    }
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting; `None` if singular.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            let (upper, lower) = a.split_at_mut(row);
            for (x, pivot_x) in lower[0][col..n].iter_mut().zip(&upper[col][col..n]) {
                *x -= f * pivot_x;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0f64; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// The numbers a move's explanation quotes: the band, among those the move reaches (at least
/// half its peak effect), where the track was furthest outside the target in the direction
/// the move corrects; the move's own centre if none was outside.
fn explain_numbers(p: &Problem, ch: &Chosen, wanted_db: &[f32; NUM_BANDS], c0: f32) -> EqMove {
    let effect: [f32; NUM_BANDS] = std::array::from_fn(|k| band_energy_db(&ch.points_db[k]));
    let peak = effect.iter().fold(0.0f32, |m, e| m.max(e.abs()));
    let centre = (0..NUM_BANDS)
        .min_by(|&a, &b| {
            let d = |k: usize| (band_centre_hz(k) / ch.slot.freq_hz).ln().abs();
            d(a).total_cmp(&d(b))
        })
        .unwrap_or(0);
    let at = (0..NUM_BANDS)
        .filter(|&k| effect[k].abs() >= 0.5 * peak && wanted_db[k] * ch.gain_db > 0.0)
        .max_by(|&a, &b| wanted_db[a].abs().total_cmp(&wanted_db[b].abs()))
        .unwrap_or(centre);
    EqMove {
        kind: ch.slot.kind,
        freq_hz: ch.slot.freq_hz,
        gain_db: ch.gain_db,
        q: ch.slot.q,
        at_hz: band_centre_hz(at),
        track_db: p.y[at] + c0,
        lower_db: p.lo[at],
        upper_db: p.hi[at],
    }
}
