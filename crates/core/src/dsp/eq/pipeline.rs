//! The EQ's active bands as one skewed pipeline of SIMD lanes (see `ToneEq::filter_pipelined`).

use super::super::biquad::{FLUSH_THRESHOLD, LaneCoefs, LaneState, UPDATE_INTERVAL_SAMPLES};
use super::super::simd::Simd;
use super::NUM_BANDS;

/// Lanes of the skewed pipeline: left and right of every band.
pub const PIPE_LANES: usize = 2 * NUM_BANDS;

/// The active bands of the EQ as one skewed pipeline (see `ToneEq::filter_pipelined`):
/// lane `2 j + c` is channel `c` of the `j`-th active band, in lane-major arrays so every
/// operation of a step is one loop over all lanes (vectorised by the compiler).
#[derive(Clone, Copy)]
pub struct Pipeline {
    pub b0: [f64; PIPE_LANES],
    pub b1: [f64; PIPE_LANES],
    pub b2: [f64; PIPE_LANES],
    pub a1: [f64; PIPE_LANES],
    pub a2: [f64; PIPE_LANES],
    pub s1: [f64; PIPE_LANES],
    pub s2: [f64; PIPE_LANES],
    /// Band index of each lane, as a float for branch-free lane masks.
    pub band_of_lane: [f64; PIPE_LANES],
}

impl Default for Pipeline {
    fn default() -> Self {
        let identity = LaneCoefs::default();
        let mut pipe = Self {
            b0: [0.0; PIPE_LANES],
            b1: [0.0; PIPE_LANES],
            b2: [0.0; PIPE_LANES],
            a1: [0.0; PIPE_LANES],
            a2: [0.0; PIPE_LANES],
            s1: [0.0; PIPE_LANES],
            s2: [0.0; PIPE_LANES],
            band_of_lane: std::array::from_fn(|k| (k / 2) as f64),
        };
        for j in 0..NUM_BANDS {
            pipe.load(j, &identity, &LaneState::default());
        }
        pipe
    }
}

impl Pipeline {
    /// Puts a band's coefficients and state at pipeline position `j`.
    pub(super) fn load(&mut self, j: usize, c: &LaneCoefs, state: &LaneState) {
        let lanes = 2 * j..2 * j + 2;
        let (Some(b0), Some(b1), Some(b2), Some(a1), Some(a2)) = (
            self.b0.get_mut(lanes.clone()),
            self.b1.get_mut(lanes.clone()),
            self.b2.get_mut(lanes.clone()),
            self.a1.get_mut(lanes.clone()),
            self.a2.get_mut(lanes.clone()),
        ) else {
            return;
        };
        b0.copy_from_slice(&c.b0);
        b1.copy_from_slice(&c.b1);
        b2.copy_from_slice(&c.b2);
        a1.copy_from_slice(&c.a1);
        a2.copy_from_slice(&c.a2);
        let (s1, s2) = state.parts();
        if let (Some(d1), Some(d2)) = (self.s1.get_mut(lanes.clone()), self.s2.get_mut(lanes)) {
            d1.copy_from_slice(&s1);
            d2.copy_from_slice(&s2);
        }
    }

    /// Writes pipeline position `j`'s state back to a band.
    pub(super) fn store(&self, j: usize, state: &mut LaneState) {
        let lanes = 2 * j..2 * j + 2;
        if let (Some(s1), Some(s2)) = (self.s1.get(lanes.clone()), self.s2.get(lanes)) {
            *state = LaneState::from_parts([s1[0], s1[1]], [s2[0], s2[1]]);
        }
    }

    /// Filters `left`/`right` through the first `depth` positions. `clock` is the update
    /// clock at the first sample: a band flushes tiny state values before each sample `t`
    /// with `(clock + t) % UPDATE_INTERVAL_SAMPLES == 0`, as its tick would.
    #[inline(always)]
    pub(super) fn run_kernel(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        depth: usize,
        clock: usize,
    ) {
        let n = left.len().min(right.len());
        let depth = depth.clamp(1, NUM_BANDS);
        let mut y = [0.0f64; PIPE_LANES];
        for step in 0..n + depth - 1 {
            // Bands filtering a sample of the run at this step: j in [lo, hi].
            let lo = (step + 1).saturating_sub(n);
            let hi = step.min(depth - 1);
            // The band whose sample falls on a tick boundary (at most one: depth < interval).
            let ticking = (clock + step) % UPDATE_INTERVAL_SAMPLES;
            if ticking >= lo && ticking <= hi {
                for k in 2 * ticking..2 * ticking + 2 {
                    if let (Some(a), Some(b)) = (self.s1.get_mut(k), self.s2.get_mut(k)) {
                        if a.abs() < FLUSH_THRESHOLD {
                            *a = 0.0;
                        }
                        if b.abs() < FLUSH_THRESHOLD {
                            *b = 0.0;
                        }
                    }
                }
            }
            // Band j's input is band j - 1's output of the previous step.
            let mut x = [0.0f64; PIPE_LANES];
            let (x_in, x_rest) = x.split_at_mut(2);
            x_in.copy_from_slice(&[
                f64::from(left.get(step).copied().unwrap_or(0.0)),
                f64::from(right.get(step).copied().unwrap_or(0.0)),
            ]);
            x_rest.copy_from_slice(y.get(..PIPE_LANES - 2).unwrap_or(&[0.0; PIPE_LANES - 2]));
            let (lo, hi) = (lo as f64, hi as f64);
            let lanes = y
                .iter_mut()
                .zip(x)
                .zip(self.s1.iter_mut().zip(self.s2.iter_mut()))
                .zip(self.b0.iter().zip(&self.b1).zip(&self.b2))
                .zip(self.a1.iter().zip(&self.a2).zip(&self.band_of_lane));
            for ((((yk, xk), (s1k, s2k)), ((b0, b1), b2)), ((a1, a2), band)) in lanes {
                let out = b0 * xk + *s1k;
                let s1 = b1 * xk - a1 * out + *s2k;
                let s2 = b2 * xk - a2 * out;
                let live = *band >= lo && *band <= hi;
                *s1k = if live { s1 } else { *s1k };
                *s2k = if live { s2 } else { *s2k };
                *yk = out;
            }
            if let Some(t) = (step + 1).checked_sub(depth)
                && let (Some(l), Some(r), Some(&yl), Some(&yr)) = (
                    left.get_mut(t),
                    right.get_mut(t),
                    y.get(2 * depth - 2),
                    y.get(2 * depth - 1),
                )
            {
                *l = yl as f32;
                *r = yr as f32;
            }
        }
    }

    /// [`Self::run_kernel`] at the token's level: with AVX (see [`Simd::vectorize`]) 4 lanes
    /// per instruction. No FMA is enabled, so the results match the portable build bit for
    /// bit.
    pub(super) fn run(
        &mut self,
        simd: Simd,
        left: &mut [f32],
        right: &mut [f32],
        depth: usize,
        clock: usize,
    ) {
        simd.vectorize(
            #[inline(always)]
            || self.run_kernel(left, right, depth, clock),
        );
    }
}
