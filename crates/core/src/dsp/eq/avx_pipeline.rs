//! The EQ's skewed band pipeline (see `ToneEq::filter_pipelined`) written with AVX
//! intrinsics so the whole pipeline stays in registers from one step to the next.
//!
//! The portable kernel (`Pipeline::run_kernel`) keeps its lanes in arrays: every step stores
//! the band outputs and reloads them shifted by one band (two lanes), which the CPU can only
//! serve by waiting for the stores to complete. Here each `__m256d` holds two bands (left and
//! right of band `2v` and `2v + 1`); the shift is one cross-half permute per register, and the
//! state vectors never leave the register file. The arithmetic is exactly the portable
//! kernel's, operation by operation (TDF-II, separate multiplies and adds, no FMA), so the
//! results are bit-identical; `pipelined_path_matches_the_span_path_bit_for_bit` checks it.

use super::super::simd::Avx;
use super::{FLUSH_THRESHOLD, PIPE_LANES, Pipeline, UPDATE_INTERVAL_SAMPLES};
use std::arch::x86_64::{
    __m256d, _CMP_GE_OQ, _CMP_LE_OQ, _CMP_LT_OQ, _mm_cvtpd_ps, _mm_cvtss_f32, _mm_set_pd,
    _mm_shuffle_ps, _mm256_add_pd, _mm256_and_pd, _mm256_andnot_pd, _mm256_blendv_pd,
    _mm256_castpd128_pd256, _mm256_castpd256_pd128, _mm256_cmp_pd, _mm256_extractf128_pd,
    _mm256_mul_pd, _mm256_permute2f128_pd, _mm256_set_pd, _mm256_set1_pd, _mm256_setzero_pd,
    _mm256_storeu_pd, _mm256_sub_pd,
};

/// Lanes padded to whole registers (4 lanes each).
const PADDED_LANES: usize = PIPE_LANES.next_multiple_of(4);

/// Lanes `4 v .. 4 v + 4` of `a` (lanes past the end read `fill`).
#[inline]
#[target_feature(enable = "avx")]
fn vector(a: &[f64; PIPE_LANES], v: usize, fill: f64) -> __m256d {
    let at = |k: usize| a.get(4 * v + k).copied().unwrap_or(fill);
    _mm256_set_pd(at(3), at(2), at(1), at(0))
}

/// Writes a register back to lanes `4 v ..` of `a` (lanes past the end are dropped).
#[inline]
#[target_feature(enable = "avx")]
fn write_vector(a: &mut [f64; PIPE_LANES], v: usize, x: __m256d) {
    let mut parts = [0.0f64; 4];
    // SAFETY: `parts` is four writable f64s; storeu has no alignment requirement.
    unsafe { _mm256_storeu_pd(parts.as_mut_ptr(), x) };
    for (k, p) in parts.into_iter().enumerate() {
        if let Some(d) = a.get_mut(4 * v + k) {
            *d = p;
        }
    }
}

/// Register `v` of `a`, or zeros past the end (never reached: callers index below `V`).
#[inline]
#[target_feature(enable = "avx")]
fn at(a: &[__m256d], v: usize) -> __m256d {
    a.get(v).copied().unwrap_or(_mm256_setzero_pd())
}

/// Sets state values below [`FLUSH_THRESHOLD`] to +0 in the lanes selected by `lanes`.
#[inline]
#[target_feature(enable = "avx")]
fn flush(s: __m256d, lanes: __m256d) -> __m256d {
    let magnitude = _mm256_andnot_pd(_mm256_set1_pd(-0.0), s);
    let tiny = _mm256_cmp_pd::<_CMP_LT_OQ>(magnitude, _mm256_set1_pd(FLUSH_THRESHOLD));
    _mm256_andnot_pd(_mm256_and_pd(tiny, lanes), s)
}

/// Runs the first `D` bands of `pipe` (`V = ceil(D / 2)` registers) over `left`/`right`,
/// exactly like `Pipeline::run_kernel` with `depth = D`.
#[target_feature(enable = "avx")]
pub(super) fn run<const D: usize, const V: usize>(
    pipe: &mut Pipeline,
    left: &mut [f32],
    right: &mut [f32],
    clock: usize,
) {
    const { assert!(D >= 1 && V == D.div_ceil(2) && 4 * V <= PADDED_LANES) };
    let n = left.len().min(right.len());
    let b0: [__m256d; V] = std::array::from_fn(|v| vector(&pipe.b0, v, 1.0));
    let b1: [__m256d; V] = std::array::from_fn(|v| vector(&pipe.b1, v, 0.0));
    let b2: [__m256d; V] = std::array::from_fn(|v| vector(&pipe.b2, v, 0.0));
    let a1: [__m256d; V] = std::array::from_fn(|v| vector(&pipe.a1, v, 0.0));
    let a2: [__m256d; V] = std::array::from_fn(|v| vector(&pipe.a2, v, 0.0));
    let band: [__m256d; V] = std::array::from_fn(|v| vector(&pipe.band_of_lane, v, 99.0));
    let mut s1: [__m256d; V] = std::array::from_fn(|v| vector(&pipe.s1, v, 0.0));
    let mut s2: [__m256d; V] = std::array::from_fn(|v| vector(&pipe.s2, v, 0.0));
    let mut y = [_mm256_setzero_pd(); V];
    let ones = f64::from_bits(u64::MAX);
    let halves = (
        _mm256_set_pd(0.0, 0.0, ones, ones),
        _mm256_set_pd(ones, ones, 0.0, 0.0),
    );
    for step in 0..n + D - 1 {
        let lo = (step + 1).saturating_sub(n);
        let hi = step.min(D - 1);
        let ticking = (clock + step) % UPDATE_INTERVAL_SAMPLES;
        if ticking >= lo && ticking <= hi {
            let half = if ticking.is_multiple_of(2) {
                halves.0
            } else {
                halves.1
            };
            for (v, (a, b)) in s1.iter_mut().zip(s2.iter_mut()).enumerate() {
                if v == ticking / 2 {
                    *a = flush(*a, half);
                    *b = flush(*b, half);
                }
            }
        }
        let input = _mm_set_pd(
            f64::from(right.get(step).copied().unwrap_or(0.0)),
            f64::from(left.get(step).copied().unwrap_or(0.0)),
        );
        // Band j's input is band j - 1's output of the previous step: shift by one band.
        let x: [__m256d; V] = std::array::from_fn(|v| match v.checked_sub(1) {
            None => _mm256_permute2f128_pd::<0x20>(_mm256_castpd128_pd256(input), at(&y, 0)),
            Some(u) => _mm256_permute2f128_pd::<0x21>(at(&y, u), at(&y, v)),
        });
        let all_live = lo == 0 && hi == D - 1;
        let (lo_v, hi_v) = (_mm256_set1_pd(lo as f64), _mm256_set1_pd(hi as f64));
        for (v, ((s1v, s2v), yv)) in s1
            .iter_mut()
            .zip(s2.iter_mut())
            .zip(y.iter_mut())
            .enumerate()
        {
            let xv = at(&x, v);
            let out = _mm256_add_pd(_mm256_mul_pd(at(&b0, v), xv), *s1v);
            let new_s1 = _mm256_add_pd(
                _mm256_sub_pd(
                    _mm256_mul_pd(at(&b1, v), xv),
                    _mm256_mul_pd(at(&a1, v), out),
                ),
                *s2v,
            );
            let new_s2 = _mm256_sub_pd(
                _mm256_mul_pd(at(&b2, v), xv),
                _mm256_mul_pd(at(&a2, v), out),
            );
            if all_live {
                *s1v = new_s1;
                *s2v = new_s2;
            } else {
                let lane_band = at(&band, v);
                let live = _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(lane_band, lo_v),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(lane_band, hi_v),
                );
                *s1v = _mm256_blendv_pd(*s1v, new_s1, live);
                *s2v = _mm256_blendv_pd(*s2v, new_s2, live);
            }
            *yv = out;
        }
        if let Some(t) = (step + 1).checked_sub(D) {
            let last = at(&y, (D - 1) / 2);
            let pair = if (D - 1).is_multiple_of(2) {
                _mm256_castpd256_pd128(last)
            } else {
                _mm256_extractf128_pd::<1>(last)
            };
            let narrow = _mm_cvtpd_ps(pair);
            if let (Some(l), Some(r)) = (left.get_mut(t), right.get_mut(t)) {
                *l = _mm_cvtss_f32(narrow);
                *r = _mm_cvtss_f32(_mm_shuffle_ps::<0b01>(narrow, narrow));
            }
        }
    }
    for (v, (a, b)) in s1.into_iter().zip(s2).enumerate() {
        write_vector(&mut pipe.s1, v, a);
        write_vector(&mut pipe.s2, v, b);
    }
}

/// Runs `pipe` at `depth` bands with the register kernel. Returns false (and does nothing)
/// for a depth it has no instance for. `Avx` (from [`super::super::simd`]) is the proof that
/// the CPU can run it.
pub(super) fn run_depth(
    _proof: Avx,
    pipe: &mut Pipeline,
    left: &mut [f32],
    right: &mut [f32],
    depth: usize,
    clock: usize,
) -> bool {
    // SAFETY: an `Avx` exists only where run-time detection found AVX.
    unsafe { run_depth_kernel(pipe, left, right, depth, clock) }
}

/// The body of [`run_depth`].
#[target_feature(enable = "avx")]
fn run_depth_kernel(
    pipe: &mut Pipeline,
    left: &mut [f32],
    right: &mut [f32],
    depth: usize,
    clock: usize,
) -> bool {
    match depth {
        1 => run::<1, 1>(pipe, left, right, clock),
        2 => run::<2, 1>(pipe, left, right, clock),
        3 => run::<3, 2>(pipe, left, right, clock),
        4 => run::<4, 2>(pipe, left, right, clock),
        5 => run::<5, 3>(pipe, left, right, clock),
        6 => run::<6, 3>(pipe, left, right, clock),
        7 => run::<7, 4>(pipe, left, right, clock),
        8 => run::<8, 4>(pipe, left, right, clock),
        9 => run::<9, 5>(pipe, left, right, clock),
        10 => run::<10, 5>(pipe, left, right, clock),
        11 => run::<11, 6>(pipe, left, right, clock),
        12 => run::<12, 6>(pipe, left, right, clock),
        13 => run::<13, 7>(pipe, left, right, clock),
        _ => return false,
    }
    true
}
