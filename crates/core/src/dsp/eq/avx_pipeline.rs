//! The EQ's skewed band pipeline (see `ToneEq::filter_pipelined`) in AVX registers, written
//! with `pulp`'s safe intrinsics, so the whole pipeline stays in registers from one step to the
//! next.
//!
//! The portable kernel (`Pipeline::run_kernel`) keeps its lanes in arrays: every step stores
//! the band outputs and reloads them shifted by one band (two lanes), which the CPU can only
//! serve by waiting for the stores to complete. Here each `__m256d` holds two bands (left and
//! right of band `2v` and `2v + 1`); the shift is one cross-half permute per register, and the
//! state vectors never leave the register file. The arithmetic is exactly the portable
//! kernel's, operation by operation (TDF-II, separate multiplies and adds, no FMA), so the
//! results are bit-identical; `pipelined_path_matches_the_span_path_bit_for_bit` and
//! `every_simd_kernel_matches_the_portable_pipeline_bit_for_bit_on_hostile_input` check it.
//!
//! This replaced a hand-written `std::arch` version of the same kernel (unsafe intrinsics in
//! `#[target_feature]` functions) on the numbers of `cargo bench -p lacquer-core --bench simd`
//! (see [`super::super::simd`] and README's Performance table): the pulp port is as fast.

use super::super::simd::{Avx, PulpAvx};
use super::{FLUSH_THRESHOLD, PIPE_LANES, Pipeline, UPDATE_INTERVAL_SAMPLES};
use std::arch::x86_64::{__m256d, _CMP_GE_OQ, _CMP_LE_OQ, _CMP_LT_OQ};

#[inline(always)]
fn vector(simd: PulpAvx, a: &[f64; PIPE_LANES], v: usize, fill: f64) -> __m256d {
    let lane = |k: usize| a.get(4 * v + k).copied().unwrap_or(fill);
    let [l0, l1, l2, l3] = [lane(0), lane(1), lane(2), lane(3)];
    simd.avx._mm256_set_pd(l3, l2, l1, l0)
}

#[inline(always)]
fn write_vector(a: &mut [f64; PIPE_LANES], v: usize, x: __m256d) {
    let parts: [f64; 4] = pulp::bytemuck::cast(x);
    for (k, p) in parts.into_iter().enumerate() {
        if let Some(d) = a.get_mut(4 * v + k) {
            *d = p;
        }
    }
}

#[inline(always)]
fn at(simd: PulpAvx, a: &[__m256d], v: usize) -> __m256d {
    a.get(v).copied().unwrap_or(simd.avx._mm256_setzero_pd())
}

#[inline(always)]
fn flush(simd: PulpAvx, s: __m256d, lanes: __m256d) -> __m256d {
    let avx = simd.avx;
    let magnitude = avx._mm256_andnot_pd(avx._mm256_set1_pd(-0.0), s);
    let tiny = avx._mm256_cmp_pd::<_CMP_LT_OQ>(magnitude, avx._mm256_set1_pd(FLUSH_THRESHOLD));
    avx._mm256_andnot_pd(avx._mm256_and_pd(tiny, lanes), s)
}

/// Runs the first `D` bands of `pipe` (`V = ceil(D / 2)` registers) over `left`/`right`,
/// exactly like `Pipeline::run_kernel` with `depth = D`.
#[inline(always)]
fn run<const D: usize, const V: usize>(
    simd: PulpAvx,
    pipe: &mut Pipeline,
    left: &mut [f32],
    right: &mut [f32],
    clock: usize,
) {
    const { assert!(D >= 1 && V == D.div_ceil(2) && 4 * V <= PIPE_LANES.next_multiple_of(4)) };
    let avx = simd.avx;
    let n = left.len().min(right.len());
    let b0: [__m256d; V] = std::array::from_fn(
        #[inline(always)]
        |v| vector(simd, &pipe.b0, v, 1.0),
    );
    let b1: [__m256d; V] = std::array::from_fn(
        #[inline(always)]
        |v| vector(simd, &pipe.b1, v, 0.0),
    );
    let b2: [__m256d; V] = std::array::from_fn(
        #[inline(always)]
        |v| vector(simd, &pipe.b2, v, 0.0),
    );
    let a1: [__m256d; V] = std::array::from_fn(
        #[inline(always)]
        |v| vector(simd, &pipe.a1, v, 0.0),
    );
    let a2: [__m256d; V] = std::array::from_fn(
        #[inline(always)]
        |v| vector(simd, &pipe.a2, v, 0.0),
    );
    let band: [__m256d; V] = std::array::from_fn(
        #[inline(always)]
        |v| vector(simd, &pipe.band_of_lane, v, 99.0),
    );
    let mut s1: [__m256d; V] = std::array::from_fn(
        #[inline(always)]
        |v| vector(simd, &pipe.s1, v, 0.0),
    );
    let mut s2: [__m256d; V] = std::array::from_fn(
        #[inline(always)]
        |v| vector(simd, &pipe.s2, v, 0.0),
    );
    let mut y = [avx._mm256_setzero_pd(); V];
    let ones = f64::from_bits(u64::MAX);
    let halves = (
        avx._mm256_set_pd(0.0, 0.0, ones, ones),
        avx._mm256_set_pd(ones, ones, 0.0, 0.0),
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
                    *a = flush(simd, *a, half);
                    *b = flush(simd, *b, half);
                }
            }
        }
        let input = simd.sse2._mm_set_pd(
            f64::from(right.get(step).copied().unwrap_or(0.0)),
            f64::from(left.get(step).copied().unwrap_or(0.0)),
        );
        let x: [__m256d; V] = std::array::from_fn(
            #[inline(always)]
            |v| match v.checked_sub(1) {
                None => avx._mm256_permute2f128_pd::<0x20>(
                    avx._mm256_castpd128_pd256(input),
                    at(simd, &y, 0),
                ),
                Some(u) => avx._mm256_permute2f128_pd::<0x21>(at(simd, &y, u), at(simd, &y, v)),
            },
        );
        let all_live = lo == 0 && hi == D - 1;
        let (lo_v, hi_v) = (avx._mm256_set1_pd(lo as f64), avx._mm256_set1_pd(hi as f64));
        for (v, ((s1v, s2v), yv)) in s1
            .iter_mut()
            .zip(s2.iter_mut())
            .zip(y.iter_mut())
            .enumerate()
        {
            let xv = at(simd, &x, v);
            let out = avx._mm256_add_pd(avx._mm256_mul_pd(at(simd, &b0, v), xv), *s1v);
            let new_s1 = avx._mm256_add_pd(
                avx._mm256_sub_pd(
                    avx._mm256_mul_pd(at(simd, &b1, v), xv),
                    avx._mm256_mul_pd(at(simd, &a1, v), out),
                ),
                *s2v,
            );
            let new_s2 = avx._mm256_sub_pd(
                avx._mm256_mul_pd(at(simd, &b2, v), xv),
                avx._mm256_mul_pd(at(simd, &a2, v), out),
            );
            if all_live {
                *s1v = new_s1;
                *s2v = new_s2;
            } else {
                let lane_band = at(simd, &band, v);
                let live = avx._mm256_and_pd(
                    avx._mm256_cmp_pd::<_CMP_GE_OQ>(lane_band, lo_v),
                    avx._mm256_cmp_pd::<_CMP_LE_OQ>(lane_band, hi_v),
                );
                *s1v = avx._mm256_blendv_pd(*s1v, new_s1, live);
                *s2v = avx._mm256_blendv_pd(*s2v, new_s2, live);
            }
            *yv = out;
        }
        if let Some(t) = (step + 1).checked_sub(D) {
            let last = at(simd, &y, (D - 1) / 2);
            let pair = if (D - 1).is_multiple_of(2) {
                avx._mm256_castpd256_pd128(last)
            } else {
                avx._mm256_extractf128_pd::<1>(last)
            };
            let narrow = simd.sse2._mm_cvtpd_ps(pair);
            if let (Some(l), Some(r)) = (left.get_mut(t), right.get_mut(t)) {
                *l = simd.sse._mm_cvtss_f32(narrow);
                *r = simd
                    .sse
                    ._mm_cvtss_f32(simd.sse._mm_shuffle_ps::<0b01>(narrow, narrow));
            }
        }
    }
    for (v, (a, b)) in s1.into_iter().zip(s2).enumerate() {
        write_vector(&mut pipe.s1, v, a);
        write_vector(&mut pipe.s2, v, b);
    }
}

/// One depth's kernel as pulp's unit of work: `vectorize` compiles its `call` (and, through
/// `#[inline(always)]`, everything it calls) with AVX enabled.
struct Op<'a, const D: usize, const V: usize> {
    simd: PulpAvx,
    pipe: &'a mut Pipeline,
    left: &'a mut [f32],
    right: &'a mut [f32],
    clock: usize,
}

impl<const D: usize, const V: usize> pulp::NullaryFnOnce for Op<'_, D, V> {
    type Output = ();

    #[inline(always)]
    fn call(self) {
        run::<D, V>(self.simd, self.pipe, self.left, self.right, self.clock);
    }
}

/// Runs `pipe` at `depth` bands with the register kernel. Returns false (and does nothing)
/// for a depth it has no instance for. `Avx` (from [`super::super::simd`]) is the proof that
/// the CPU can run it.
pub(super) fn run_depth(
    avx: Avx,
    pipe: &mut Pipeline,
    left: &mut [f32],
    right: &mut [f32],
    depth: usize,
    clock: usize,
) -> bool {
    let simd = avx.pulp();
    macro_rules! at_depth {
        ($d:literal, $v:literal) => {
            simd.vectorize(Op::<$d, $v> {
                simd,
                pipe,
                left,
                right,
                clock,
            })
        };
    }
    match depth {
        1 => at_depth!(1, 1),
        2 => at_depth!(2, 1),
        3 => at_depth!(3, 2),
        4 => at_depth!(4, 2),
        5 => at_depth!(5, 3),
        6 => at_depth!(6, 3),
        7 => at_depth!(7, 4),
        8 => at_depth!(8, 4),
        9 => at_depth!(9, 5),
        10 => at_depth!(10, 5),
        11 => at_depth!(11, 6),
        12 => at_depth!(12, 6),
        13 => at_depth!(13, 7),
        _ => return false,
    }
    true
}
