//! The detector's inner loops: the symmetric FIR of the half-band stages and the peak
//! refinement, written so they vectorise, and compiled twice (portable and AVX) through
//! [`Simd::vectorize`], the run-time choice of [`super::super::simd`]. No FMA is enabled in
//! either, so both give bit-identical results.

use super::super::simd::Simd;

/// Outputs computed together by the FIR kernel (held in registers across the taps).
const KERNEL_BLOCK: usize = 64;

/// This CPU has AVX (the cached answer of [`Simd::detected`]).
pub(super) fn cpu_has_avx() -> bool {
    Simd::detected().avx().is_some()
}

/// The level for a `use_avx` flag: the detected one (AVX where the CPU has it), or portable.
#[inline(always)]
fn level_for(use_avx: bool) -> Simd {
    if use_avx {
        Simd::detected()
    } else {
        Simd::portable()
    }
}

/// One tap of a symmetric FIR written as a pair: `weight * (left[i + left_offset] +
/// right[i + right_offset])`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct PairTap {
    pub(super) weight: f32,
    pub(super) left_offset: usize,
    pub(super) right_offset: usize,
}

/// `out[i] = sum_t weight_t (left[i + left_offset_t] + right[i + right_offset_t])`, taps in
/// order, computed [`KERNEL_BLOCK`] outputs at a time with the accumulators in registers.
/// Every output sums in the same order whatever the block, so the result does not depend on
/// how the stream is split.
#[inline(always)]
fn pair_sum_kernel(taps: &[PairTap], left: &[f32], right: &[f32], out: &mut [f32]) {
    let full = out.len() / KERNEL_BLOCK * KERNEL_BLOCK;
    let (head, tail) = out.split_at_mut(full);
    for (b, o) in head.chunks_exact_mut(KERNEL_BLOCK).enumerate() {
        let base = b * KERNEL_BLOCK;
        let mut acc = [0.0f32; KERNEL_BLOCK];
        for tap in taps {
            let (l0, r0) = (base + tap.left_offset, base + tap.right_offset);
            let (Some(l), Some(r)) = (
                left.get(l0..l0 + KERNEL_BLOCK),
                right.get(r0..r0 + KERNEL_BLOCK),
            ) else {
                continue;
            };
            let (Ok(l), Ok(r)) = (
                <&[f32; KERNEL_BLOCK]>::try_from(l),
                <&[f32; KERNEL_BLOCK]>::try_from(r),
            ) else {
                continue;
            };
            for ((a, &x), &y) in acc.iter_mut().zip(l).zip(r) {
                *a += tap.weight * (x + y);
            }
        }
        o.copy_from_slice(&acc);
    }
    for (i, o) in tail.iter_mut().enumerate() {
        let base = full + i;
        let mut acc = 0.0f32;
        for tap in taps {
            let l = left.get(base + tap.left_offset).copied().unwrap_or(0.0);
            let r = right.get(base + tap.right_offset).copied().unwrap_or(0.0);
            acc += tap.weight * (l + r);
        }
        *o = acc;
    }
}

/// `peaks[i] = max(peaks[i], |sum_j taps[j] input[i + j]|)`: one point of a plain FIR
/// folded into the peaks, [`KERNEL_BLOCK`] outputs at a time with the accumulators in
/// registers (taps in order, so the result does not depend on the block).
#[inline(always)]
fn max_abs_fir_kernel(taps: &[f32], input: &[f32], peaks: &mut [f32]) {
    let full = peaks.len() / KERNEL_BLOCK * KERNEL_BLOCK;
    let (head, tail) = peaks.split_at_mut(full);
    for (b, p) in head.chunks_exact_mut(KERNEL_BLOCK).enumerate() {
        let base = b * KERNEL_BLOCK;
        let mut acc = [0.0f32; KERNEL_BLOCK];
        for (j, &c) in taps.iter().enumerate() {
            let Some(x) = input.get(base + j..base + j + KERNEL_BLOCK) else {
                continue;
            };
            let Ok(x) = <&[f32; KERNEL_BLOCK]>::try_from(x) else {
                continue;
            };
            for (a, &x) in acc.iter_mut().zip(x) {
                *a += c * x;
            }
        }
        for (p, a) in p.iter_mut().zip(acc) {
            *p = p.max(a.abs());
        }
    }
    for (i, p) in tail.iter_mut().enumerate() {
        let base = full + i;
        let mut acc = 0.0f32;
        for (j, &c) in taps.iter().enumerate() {
            acc += c * input.get(base + j).copied().unwrap_or(0.0);
        }
        *p = p.max(acc.abs());
    }
}

/// Runs [`max_abs_fir_kernel`] compiled for AVX where `use_avx`, else the portable build.
pub(super) fn max_abs_fir(use_avx: bool, taps: &[f32], input: &[f32], peaks: &mut [f32]) {
    level_for(use_avx).vectorize(
        #[inline(always)]
        || max_abs_fir_kernel(taps, input, peaks),
    );
}

/// Runs [`pair_sum_kernel`] compiled for AVX (8-wide) where `use_avx` (from
/// [`cpu_has_avx`]), else the portable build. No FMA is enabled, so the results match bit for
/// bit.
pub(super) fn pair_sum(
    use_avx: bool,
    taps: &[PairTap],
    left: &[f32],
    right: &[f32],
    out: &mut [f32],
) {
    pair_sum_at(level_for(use_avx), taps, left, right, out);
}

/// [`pair_sum`] at a given level.
#[inline(always)]
fn pair_sum_at(simd: Simd, taps: &[PairTap], left: &[f32], right: &[f32], out: &mut [f32]) {
    simd.vectorize(
        #[inline(always)]
        || pair_sum_kernel(taps, left, right, out),
    );
}

/// `max` without NaN handling (inputs are finite): a single instruction, so loops vectorise.
#[inline(always)]
fn max_f32(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// `min` without NaN handling (inputs are finite).
#[inline(always)]
fn min_f32(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// Branch-free [`super::refine_peak`] with the constants precomputed, so a loop over many
/// points vectorises (every lane computes the fit; lanes that are not local maxima keep
/// `|mid|`). Values are taken relative to the sign of `mid`, so a neighbour on the other side
/// of a zero crossing (a tone near fs/4 on a one-point grid) still fits.
#[inline(always)]
pub(super) fn refine(prev: f32, mid: f32, next: f32, cos_step: f32, max_ratio: f32) -> f32 {
    let sign = if mid < 0.0 { -1.0 } else { 1.0 };
    let (a, b, c) = (prev * sign, mid * sign, next * sign);
    let is_peak = (b > 0.0) & (b >= a) & (b >= c);
    let two_b = 2.0 * b;
    let sum = max_f32(a + c, two_b * cos_step);
    let denominator = two_b * two_b - sum * sum;
    let diff = c - a;
    let fit = min_f32(diff * diff / denominator, max_ratio);
    let ratio = if is_peak & (denominator > 0.0) {
        fit
    } else {
        0.0
    };
    b * (1.0 + ratio).sqrt()
}

/// Refined peak of each group of four grid points `[p1, p2, p3, p4]` with neighbours `p0`
/// and `p5`, given as planar slices of equal length: the largest point of the group, refined
/// with its two neighbours.
///
/// Refining only the largest point is enough: two separate maxima of the magnitude inside one
/// group (3/4 of a sample) would need a swing faster than a Nyquist-frequency tone allows,
/// unless the dip between them is negligible, and then their refinements agree as well.
#[inline(always)]
fn refine_groups_kernel(points: [&[f32]; 6], out: &mut [f32], cos_step: f32, max_ratio: f32) {
    let [p0, p1, p2, p3, p4, p5] = points;
    let n = out.len();
    let (Some(p0), Some(p1), Some(p2), Some(p3), Some(p4), Some(p5)) = (
        p0.get(..n),
        p1.get(..n),
        p2.get(..n),
        p3.get(..n),
        p4.get(..n),
        p5.get(..n),
    ) else {
        return;
    };
    let groups = p0.iter().zip(p1).zip(p2).zip(p3).zip(p4).zip(p5);
    for (o, (((((&q0, &q1), &q2), &q3), &q4), &q5)) in out.iter_mut().zip(groups) {
        // Largest of each half, with its neighbours, then the larger of the two.
        let (b12, l12, r12) = if q2.abs() > q1.abs() {
            (q2, q1, q3)
        } else {
            (q1, q0, q2)
        };
        let (b34, l34, r34) = if q4.abs() > q3.abs() {
            (q4, q3, q5)
        } else {
            (q3, q2, q4)
        };
        let (l, b, r) = if b34.abs() > b12.abs() {
            (l34, b34, r34)
        } else {
            (l12, b12, r12)
        };
        *o = refine(l, b, r, cos_step, max_ratio);
    }
}

/// Runs [`refine_groups_kernel`] compiled for AVX where `use_avx` (from [`cpu_has_avx`]),
/// else the portable build; bit-identical either way.
pub(super) fn refine_groups(
    use_avx: bool,
    points: [&[f32]; 6],
    out: &mut [f32],
    cos_step: f32,
    max_ratio: f32,
) {
    refine_groups_at(level_for(use_avx), points, out, cos_step, max_ratio);
}

/// [`refine_groups`] at a given level.
#[inline(always)]
fn refine_groups_at(
    simd: Simd,
    points: [&[f32]; 6],
    out: &mut [f32],
    cos_step: f32,
    max_ratio: f32,
) {
    simd.vectorize(
        #[inline(always)]
        || refine_groups_kernel(points, out, cos_step, max_ratio),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_and_portable_kernels_agree_bit_for_bit() {
        let taps: Vec<PairTap> = (0..40)
            .map(|k| PairTap {
                weight: 0.3 / (k as f32 + 0.5),
                left_offset: 39 - k,
                right_offset: 40 + k,
            })
            .collect();
        let input: Vec<f32> = (0..300)
            .map(|n| ((n * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let mut portable = vec![0.0; 200];
        let mut fast = vec![0.0; 200];
        pair_sum_kernel(&taps, &input, &input, &mut portable);
        pair_sum(cpu_has_avx(), &taps, &input, &input, &mut fast);
        assert_eq!(portable, fast);
        // And the blocked and one-by-one paths agree too (200 = 12 blocks + 8 left over).
        let single: Vec<f32> = (0..200)
            .map(|i| {
                let mut one = [0.0f32];
                pair_sum_kernel(&taps, &input[i..], &input[i..], &mut one);
                one[0]
            })
            .collect();
        assert_eq!(portable, single);
        let points: Vec<Vec<f32>> = (0..6)
            .map(|k| input[k * 20..k * 20 + 150].to_vec())
            .collect();
        let refs: [&[f32]; 6] = std::array::from_fn(|k| points[k].as_slice());
        let (mut a, mut b) = (vec![0.0; 150], vec![0.0; 150]);
        let (cos_step, max_ratio) = (std::f32::consts::FRAC_1_SQRT_2, 0.1716);
        refine_groups_kernel(refs, &mut a, cos_step, max_ratio);
        refine_groups(cpu_has_avx(), refs, &mut b, cos_step, max_ratio);
        assert_eq!(a, b);
        // The standard meter's plain FIR folded into peaks: vector, portable and one by one.
        let fir: Vec<f32> = (0..12).map(|j| 0.9 / (j as f32 - 5.5)).collect();
        let start: Vec<f32> = (0..200).map(|i| (i % 7) as f32 * 0.1).collect();
        let (mut portable, mut fast) = (start.clone(), start.clone());
        max_abs_fir_kernel(&fir, &input, &mut portable);
        max_abs_fir(cpu_has_avx(), &fir, &input, &mut fast);
        assert_eq!(portable, fast);
        let single: Vec<f32> = (0..200)
            .map(|i| {
                let mut one = [start[i]];
                max_abs_fir_kernel(&fir, &input[i..], &mut one);
                one[0]
            })
            .collect();
        assert_eq!(portable, single);
        assert!(portable.iter().zip(&start).any(|(p, s)| p > s));
    }
    #[test]
    fn every_level_matches_the_portable_kernels_bit_for_bit_on_hostile_input() {
        use super::super::super::simd::hostile::{TOTAL, bits32, blocks, signal};
        // A half-band-like symmetric FIR (the detector's shape: 23 pairs, odd offsets).
        let taps: Vec<PairTap> = (0..23)
            .map(|k| PairTap {
                weight: (if k % 2 == 0 { 0.6 } else { -0.2 }) / (k as f32 + 1.0),
                left_offset: 22 - k,
                right_offset: 23 + k,
            })
            .collect();
        let input = signal(71, TOTAL + 64);
        let other = signal(72, TOTAL + 64);
        let points: Vec<Vec<f32>> = (0..6u32).map(|k| signal(80 + k, TOTAL)).collect();
        let (cos_step, max_ratio) = (std::f32::consts::FRAC_1_SQRT_2, 0.1716);
        let run = |simd: Simd| {
            let mut sums = vec![0.0f32; TOTAL];
            let mut peaks = vec![0.0f32; TOTAL];
            let mut meter = vec![0.0f32; TOTAL];
            let fir: Vec<f32> = (0..12).map(|j| 0.9 / (j as f32 - 5.5)).collect();
            for range in blocks(TOTAL, usize::MAX) {
                let (l, r) = (&input[range.start..], &other[range.start..]);
                pair_sum_at(simd, &taps, l, r, &mut sums[range.clone()]);
                simd.vectorize(|| max_abs_fir_kernel(&fir, l, &mut meter[range.clone()]));
                let refs: [&[f32]; 6] = std::array::from_fn(|k| &points[k][range.clone()]);
                refine_groups_at(simd, refs, &mut peaks[range], cos_step, max_ratio);
            }
            (bits32(&sums), bits32(&peaks), bits32(&meter))
        };
        let reference = run(Simd::portable());
        for simd in Simd::available() {
            assert!(reference == run(simd), "{simd:?}");
        }
        // The public entry points too, with the flag the detector passes.
        let mut flagged = vec![0.0f32; 200];
        let mut portable = vec![0.0f32; 200];
        pair_sum(cpu_has_avx(), &taps, &input, &other, &mut flagged);
        pair_sum(false, &taps, &input, &other, &mut portable);
        assert_eq!(bits32(&flagged), bits32(&portable));
    }
}
