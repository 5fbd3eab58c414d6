//! Training the estimator and measuring it leave-one-track-out (the committed command is
//! `cargo xtask train-assistant DIR`; this is its arithmetic).
//!
//! Ridge regression in closed form: for each model the normal equations `(X'X + lambda D) W =
//! X'Y` (D the identity without the intercept) are accumulated per track, so the model without
//! track t is the total minus t's share, solved by Cholesky: leave-one-track-out costs one
//! 57 x 57 solve per track and model.

use super::damage::{EqDamage, MAX_DAMAGE_DB, Rng, apply, draw, named_max_db, total_curve_db};
use super::{Estimator, FIRST_CORE, Model, NUM_CORE, NUM_FEATURES, features};
use crate::assistant::decide::Problem;
use crate::assistant::profile::{NUM_BANDS, TrackFeatures};

/// Unknowns per output: the features and the intercept.
const P: usize = NUM_FEATURES + 1;

/// Seed of the training damage the committed weights were made with.
pub const DEFAULT_SEED: u64 = 7;

/// Damaged copies per track and model.
pub const ROWS_PER_TRACK: usize = 200;

/// Model kinds, in the weights file's order: `any`, then the problems.
pub fn model_kinds() -> Vec<String> {
    std::iter::once("any".to_string())
        .chain(Problem::ALL.iter().map(|p| p.name().to_string()))
        .collect()
}

/// One training row: a damaged copy's features and the damage to estimate.
pub struct Row {
    /// Features of the damaged copy.
    pub x: [f32; NUM_FEATURES],
    /// Damage per core band, dB.
    pub y: [f32; NUM_CORE],
}

/// A random width change, log-uniform x0.5..x2.
fn width(rng: &mut Rng) -> f32 {
    rng.log_uniform(0.5, 2.0)
}

/// The damages of one training copy for model `kind`: for `any`, none (a fifth), one (half)
/// or two of different problems, gains uniform within +/- [`MAX_DAMAGE_DB`]; for a problem,
/// that problem at 1 dB to [`MAX_DAMAGE_DB`] in its direction (dullness to
/// [`super::damage::MAX_NAMED_DULLNESS_DB`]), and in three copies of ten a
/// second damage of another problem as a nuisance. Returns the damages and how many of them
/// (from the first) are the target.
pub fn draw_damages(rng: &mut Rng, kind: usize) -> (Vec<EqDamage>, usize) {
    let any_gain = |rng: &mut Rng| rng.uniform(-MAX_DAMAGE_DB, MAX_DAMAGE_DB);
    if kind == 0 {
        let u = rng.unit();
        let n = if u < 0.2 {
            0
        } else if u < 0.7 {
            1
        } else {
            2
        };
        let first = rng.index(Problem::ALL.len());
        let mut out = Vec::new();
        for i in 0..n {
            let p = Problem::ALL[(first + i * (1 + rng.index(4))) % Problem::ALL.len()];
            let g = any_gain(rng);
            out.push(draw(rng, p, g));
        }
        let n = out.len();
        (out, n)
    } else {
        let p = Problem::ALL[kind - 1];
        let sign = if p.is_excess() { 1.0 } else { -1.0 };
        let g = sign * rng.uniform(1.0, named_max_db(p));
        let mut out = vec![draw(rng, p, g)];
        if rng.unit() < 0.3 {
            let other = Problem::ALL[(kind + rng.index(4)) % Problem::ALL.len()];
            let g = any_gain(rng);
            out.push(draw(rng, other, g));
        }
        (out, 1)
    }
}

/// The training rows of one track for model `kind`, deterministic in `seed` and the track's
/// index.
pub fn rows(track: &TrackFeatures, track_index: usize, kind: usize, seed: u64) -> Vec<Row> {
    let mut rng = Rng::new(seed ^ ((track_index as u64) << 20) ^ ((kind as u64) << 8));
    (0..ROWS_PER_TRACK)
        .map(|_| {
            let (damages, targets) = draw_damages(&mut rng, kind);
            let all = total_curve_db(&damages);
            let target = total_curve_db(&damages[..targets]);
            let damaged = apply(track, &all, width(&mut rng));
            Row {
                x: features(&damaged),
                y: std::array::from_fn(|b| target[FIRST_CORE + b]),
            }
        })
        .collect()
}

/// Normal-equation sums of one model over some rows.
#[derive(Clone)]
pub struct Sums {
    g: Vec<f64>,
    h: Vec<f64>,
}

impl Sums {
    fn zero() -> Self {
        Sums {
            g: vec![0.0; P * P],
            h: vec![0.0; P * NUM_CORE],
        }
    }

    fn add_rows(&mut self, rows: &[Row]) {
        for r in rows {
            let x: Vec<f64> =
                r.x.iter()
                    .map(|&v| f64::from(v))
                    .chain(std::iter::once(1.0))
                    .collect();
            for i in 0..P {
                for j in 0..P {
                    self.g[i * P + j] += x[i] * x[j];
                }
                for b in 0..NUM_CORE {
                    self.h[i * NUM_CORE + b] += x[i] * f64::from(r.y[b]);
                }
            }
        }
    }

    fn minus(&self, other: &Sums) -> Sums {
        Sums {
            g: self.g.iter().zip(&other.g).map(|(a, b)| a - b).collect(),
            h: self.h.iter().zip(&other.h).map(|(a, b)| a - b).collect(),
        }
    }

    fn plus(&mut self, other: &Sums) {
        self.g.iter_mut().zip(&other.g).for_each(|(a, b)| *a += b);
        self.h.iter_mut().zip(&other.h).for_each(|(a, b)| *a += b);
    }

    /// Ridge weights per core band (features then intercept), or `None` if the system is
    /// singular.
    fn solve(&self, lambda: f64) -> Option<Vec<Vec<f32>>> {
        let mut a = self.g.clone();
        for i in 0..NUM_FEATURES {
            a[i * P + i] += lambda;
        }
        let l = cholesky(&a, P)?;
        let weights = (0..NUM_CORE)
            .map(|b| {
                let rhs: Vec<f64> = (0..P).map(|i| self.h[i * NUM_CORE + b]).collect();
                cholesky_solve(&l, P, &rhs)
                    .into_iter()
                    .map(|w| w as f32)
                    .collect()
            })
            .collect();
        Some(weights)
    }
}

/// Lower Cholesky factor of the symmetric positive definite `n` x `n` matrix `a`.
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = a[i * n + i] - s;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves `L L' x = b`.
fn cholesky_solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; n];
    for i in 0..n {
        let s: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
        y[i] = (b[i] - s) / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let s: f64 = (i + 1..n).map(|k| l[k * n + i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i * n + i];
    }
    x
}

/// Every track's normal-equation sums for every model, so any track can be left out.
pub struct Trainer {
    tracks: Vec<TrackFeatures>,
    per_track: Vec<Vec<Sums>>,
    total: Vec<Sums>,
    /// The ridge penalty.
    pub lambda: f64,
    /// The no-hint threshold ([`Estimator::threshold`]).
    pub threshold: f32,
}

impl Trainer {
    /// Accumulates the training rows of `tracks` (seeded with `seed`).
    pub fn new(tracks: Vec<TrackFeatures>, seed: u64, lambda: f64, threshold: f32) -> Self {
        let kinds = model_kinds().len();
        let mut total = vec![Sums::zero(); kinds];
        let per_track: Vec<Vec<Sums>> = tracks
            .iter()
            .enumerate()
            .map(|(t, track)| {
                (0..kinds)
                    .map(|kind| {
                        let mut s = Sums::zero();
                        s.add_rows(&rows(track, t, kind, seed));
                        total[kind].plus(&s);
                        s
                    })
                    .collect()
            })
            .collect();
        Trainer {
            tracks,
            per_track,
            total,
            lambda,
            threshold,
        }
    }

    /// Number of tracks.
    pub fn num_tracks(&self) -> usize {
        self.tracks.len()
    }

    /// The track's features.
    pub fn track(&self, t: usize) -> &TrackFeatures {
        &self.tracks[t]
    }

    /// Weights of model `kind` fitted on every track but `leave_out`.
    fn weights(&self, kind: usize, leave_out: Option<usize>) -> Vec<Vec<f32>> {
        let sums = match leave_out {
            Some(t) => self.total[kind].minus(&self.per_track[t][kind]),
            None => self.total[kind].clone(),
        };
        sums.solve(self.lambda)
            .unwrap_or_else(|| vec![vec![0.0; P]; NUM_CORE])
    }

    /// The estimators without each track, their spreads on undamaged masters measured
    /// without that track too (leave-one-track-out throughout).
    pub fn leave_one_out(&self) -> Vec<Estimator> {
        let kinds = model_kinds();
        let n = self.tracks.len();
        // Every track's left-out estimate on its own undamaged features, per model.
        let weights: Vec<Vec<Vec<Vec<f32>>>> = (0..n)
            .map(|t| (0..kinds.len()).map(|k| self.weights(k, Some(t))).collect())
            .collect();
        let null: Vec<Vec<[f32; NUM_CORE]>> = (0..n)
            .map(|t| {
                (0..kinds.len())
                    .map(|k| {
                        let m = model_of(&kinds[k], weights[t][k].clone(), Vec::new());
                        m.estimate(&features(&self.tracks[t]))
                    })
                    .collect()
            })
            .collect();
        (0..n)
            .map(|t| {
                let models = (0..kinds.len())
                    .map(|k| {
                        let others: Vec<[f32; NUM_CORE]> =
                            (0..n).filter(|&u| u != t).map(|u| null[u][k]).collect();
                        model_of(&kinds[k], weights[t][k].clone(), rms_per_band(&others))
                    })
                    .collect();
                Estimator {
                    made_from: format!("leave-one-out without track {t}"),
                    lambda: self.lambda,
                    threshold: self.threshold,
                    models,
                }
            })
            .collect()
    }

    /// The estimator from every track, its spreads from the leave-one-track-out estimates.
    pub fn full(&self, made_from: String) -> Estimator {
        let kinds = model_kinds();
        let n = self.tracks.len();
        let models = (0..kinds.len())
            .map(|k| {
                let null: Vec<[f32; NUM_CORE]> = (0..n)
                    .map(|t| {
                        model_of(&kinds[k], self.weights(k, Some(t)), Vec::new())
                            .estimate(&features(&self.tracks[t]))
                    })
                    .collect();
                model_of(&kinds[k], self.weights(k, None), rms_per_band(&null))
            })
            .collect();
        Estimator {
            made_from,
            lambda: self.lambda,
            threshold: self.threshold,
            models,
        }
    }
}

fn model_of(kind: &str, weights: Vec<Vec<f32>>, null_spread_db: Vec<f32>) -> Model {
    Model {
        kind: kind.to_string(),
        weights,
        null_spread_db,
    }
}

/// `v` rounded to `step` (the weights file keeps what matters and stays small).
fn round_to(v: f32, step: f32) -> f32 {
    (v / step).round() * step
}

/// The estimator with its weights rounded to 1e-6 and its intercepts and spreads to 1e-4
/// (far below what moves a correction by 0.01 dB), for the committed file.
pub fn rounded(mut e: Estimator) -> Estimator {
    for m in &mut e.models {
        for row in &mut m.weights {
            let n = row.len();
            for (i, w) in row.iter_mut().enumerate() {
                *w = round_to(*w, if i + 1 == n { 1e-4 } else { 1e-6 });
            }
        }
        m.null_spread_db
            .iter_mut()
            .for_each(|s| *s = round_to(*s, 1e-4));
    }
    e
}

/// RMS per band of a list of estimates.
fn rms_per_band(values: &[[f32; NUM_CORE]]) -> Vec<f32> {
    (0..NUM_CORE)
        .map(|b| {
            let s: f64 = values.iter().map(|v| f64::from(v[b]).powi(2)).sum();
            (s / values.len().max(1) as f64).sqrt() as f32
        })
        .collect()
}

/// A band list of the core bands' values (zero elsewhere).
pub fn spread_to_bands(core: &[f32; NUM_CORE]) -> [f32; NUM_BANDS] {
    let mut out = [0.0; NUM_BANDS];
    out[FIRST_CORE..FIRST_CORE + NUM_CORE].copy_from_slice(core);
    out
}
