//! The K-weighting filter of [`super::LoudnessMatch`] as one tight loop: four lanes (dry L/R,
//! processed L/R) through both biquads, squared and summed, with the state in registers.
//!
//! Each stage is a direct form I biquad (ITU-R BS.1770-4 gives the filter as two biquads; the
//! form is ours): `y = b0 x + b1 x1 + b2 x2 - a2 y2 - a1 y1`, summed in that order so that the
//! only work waiting on the previous output is the last multiply-subtract. The transposed
//! form II waits on the previous output twice per sample (once for the output, once for the
//! state word), which makes this loop about half as long per sample. On x86-64 the four lanes
//! are one SSE register (the level comes from [`super::super::simd`]); elsewhere a portable
//! loop does the same operations in the same order, so both give the same bits.

use super::super::simd::Simd;

/// Number of lanes: dry left, dry right, processed left, processed right.
pub(super) const NUM_LANES: usize = 4;

/// Four lanes of `f32`.
type Lanes = [f32; NUM_LANES];

/// One biquad's coefficients, the same in every lane: `[b0, b1, b2, a1, a2]` (a0 = 1).
pub(super) type Coeffs = [f32; 5];

/// Direct form I history of one stage, per lane: the last two inputs and outputs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct StageState {
    x1: Lanes,
    x2: Lanes,
    y1: Lanes,
    y2: Lanes,
}

impl StageState {
    /// Sets history words that are not finite or below 1e-30 in magnitude to zero, so a
    /// decaying tail never reaches the slow subnormal range.
    pub(super) fn flush(&mut self) {
        for word in [&mut self.x1, &mut self.x2, &mut self.y1, &mut self.y2] {
            for w in word.iter_mut() {
                if !w.is_finite() || w.abs() < 1.0e-30 {
                    *w = 0.0;
                }
            }
        }
    }
}

/// One sample of one stage in all lanes.
#[inline(always)]
fn step(c: &Coeffs, s: &mut StageState, x: Lanes) -> Lanes {
    let [b0, b1, b2, a1, a2] = *c;
    let mut y = [0.0f32; NUM_LANES];
    for (l, out) in y.iter_mut().enumerate() {
        let feed_forward = b0 * x[l] + b1 * s.x1[l] + b2 * s.x2[l];
        *out = (feed_forward - a2 * s.y2[l]) - a1 * s.y1[l];
    }
    s.x2 = s.x1;
    s.x1 = x;
    s.y2 = s.y1;
    s.y1 = y;
    y
}

/// Filters `lanes` (all the same length; the shortest decides) through both stages and adds
/// the squared outputs to `energy`, per lane, one sample after the other (so the sums do not
/// depend on how a signal is cut into blocks). The level comes from [`Simd`]: AVX runs the SSE
/// loop compiled in three-operand form, SSE (the x86-64 baseline) the SSE loop, portable the
/// array loop; all three give the same bits.
pub(super) fn filter_energy(
    simd: Simd,
    coeffs: &[Coeffs; 2],
    state: &mut [StageState; 2],
    lanes: [&[f32]; NUM_LANES],
    energy: &mut Lanes,
) {
    #[cfg(target_arch = "x86_64")]
    if let Some(avx) = simd.avx() {
        sse::filter_energy_avx(avx, coeffs, state, lanes, energy);
        return;
    } else if let Some(sse) = simd.sse() {
        sse::filter_energy_sse(sse, coeffs, state, lanes, energy);
        return;
    }
    let _ = simd;
    filter_energy_portable(coeffs, state, lanes, energy);
}

/// [`filter_energy`] with the lanes in arrays (any target; the reference for the SSE loop).
pub(super) fn filter_energy_portable(
    coeffs: &[Coeffs; 2],
    state: &mut [StageState; 2],
    lanes: [&[f32]; NUM_LANES],
    energy: &mut Lanes,
) {
    let [first, second] = coeffs;
    let [mut s1, mut s2] = *state;
    let mut e = *energy;
    let [a, b, c, d] = lanes;
    for (((&xa, &xb), &xc), &xd) in a.iter().zip(b).zip(c).zip(d) {
        let v = step(first, &mut s1, [xa, xb, xc, xd]);
        let w = step(second, &mut s2, v);
        for (acc, y) in e.iter_mut().zip(w) {
            *acc += y * y;
        }
    }
    *state = [s1, s2];
    *energy = e;
}

#[cfg(target_arch = "x86_64")]
mod sse {
    use super::super::super::simd::{Avx, Sse};
    use super::{Coeffs, Lanes, NUM_LANES, StageState};
    use std::arch::x86_64::{
        __m128, _mm_add_ps, _mm_mul_ps, _mm_set_ps, _mm_set1_ps, _mm_storeu_ps, _mm_sub_ps,
    };

    #[inline]
    #[target_feature(enable = "sse")]
    fn load(a: Lanes) -> __m128 {
        _mm_set_ps(a[3], a[2], a[1], a[0])
    }

    #[inline]
    #[target_feature(enable = "sse")]
    fn store(x: __m128) -> Lanes {
        let mut out = [0.0f32; NUM_LANES];
        // SAFETY: `out` is four writable f32s; storeu has no alignment requirement.
        unsafe { _mm_storeu_ps(out.as_mut_ptr(), x) };
        out
    }

    /// One stage's coefficients broadcast to all lanes, and its history.
    struct Stage {
        b0: __m128,
        b1: __m128,
        b2: __m128,
        a1: __m128,
        a2: __m128,
        x1: __m128,
        x2: __m128,
        y1: __m128,
        y2: __m128,
    }

    impl Stage {
        #[inline]
        #[target_feature(enable = "sse")]
        fn new(c: &Coeffs, s: &StageState) -> Self {
            Self {
                b0: _mm_set1_ps(c[0]),
                b1: _mm_set1_ps(c[1]),
                b2: _mm_set1_ps(c[2]),
                a1: _mm_set1_ps(c[3]),
                a2: _mm_set1_ps(c[4]),
                x1: load(s.x1),
                x2: load(s.x2),
                y1: load(s.y1),
                y2: load(s.y2),
            }
        }

        #[inline]
        #[target_feature(enable = "sse")]
        fn state(&self) -> StageState {
            StageState {
                x1: store(self.x1),
                x2: store(self.x2),
                y1: store(self.y1),
                y2: store(self.y2),
            }
        }

        /// Exactly [`super::step`]: same operations, same order.
        #[inline]
        #[target_feature(enable = "sse")]
        fn step(&mut self, x: __m128) -> __m128 {
            let feed_forward = _mm_add_ps(
                _mm_add_ps(_mm_mul_ps(self.b0, x), _mm_mul_ps(self.b1, self.x1)),
                _mm_mul_ps(self.b2, self.x2),
            );
            self.feedback(x, feed_forward)
        }

        /// [`Self::step`] for `b = [1, -2, 1]` (the RLB high pass): the products by 1 and
        /// -2 are exact, so adding `x`, `-(x1 + x1)` and `x2` gives the same bits with three
        /// operations instead of five.
        #[inline]
        #[target_feature(enable = "sse")]
        fn step_second_difference(&mut self, x: __m128) -> __m128 {
            let feed_forward = _mm_add_ps(_mm_sub_ps(x, _mm_add_ps(self.x1, self.x1)), self.x2);
            self.feedback(x, feed_forward)
        }

        /// The recursive half shared by both steps: `y = ff - a2 y2 - a1 y1` (in that order, as
        /// [`super::step`]), then the state moves on by one sample.
        #[inline]
        #[target_feature(enable = "sse")]
        fn feedback(&mut self, x: __m128, feed_forward: __m128) -> __m128 {
            let y = _mm_sub_ps(
                _mm_sub_ps(feed_forward, _mm_mul_ps(self.a2, self.y2)),
                _mm_mul_ps(self.a1, self.y1),
            );
            self.x2 = self.x1;
            self.x1 = x;
            self.y2 = self.y1;
            self.y1 = y;
            y
        }
    }

    /// [`filter_energy`] compiled for AVX: the same SSE-wide operations in three-operand
    /// form, which saves the register copies that dominate the two-operand loop.
    pub(super) fn filter_energy_avx(
        _proof: Avx,
        coeffs: &[Coeffs; 2],
        state: &mut [StageState; 2],
        lanes: [&[f32]; NUM_LANES],
        energy: &mut Lanes,
    ) {
        // SAFETY: an `Avx` exists only where run-time detection found AVX.
        unsafe { filter_energy_avx_kernel(coeffs, state, lanes, energy) }
    }

    #[target_feature(enable = "avx")]
    fn filter_energy_avx_kernel(
        coeffs: &[Coeffs; 2],
        state: &mut [StageState; 2],
        lanes: [&[f32]; NUM_LANES],
        energy: &mut Lanes,
    ) {
        filter_energy(coeffs, state, lanes, energy);
    }

    /// [`filter_energy`] in the x86-64 baseline (SSE, two-operand form).
    pub(super) fn filter_energy_sse(
        _proof: Sse,
        coeffs: &[Coeffs; 2],
        state: &mut [StageState; 2],
        lanes: [&[f32]; NUM_LANES],
        energy: &mut Lanes,
    ) {
        // SAFETY: an `Sse` exists only on x86-64, whose baseline includes SSE.
        unsafe { filter_energy(coeffs, state, lanes, energy) }
    }

    #[inline]
    #[target_feature(enable = "sse")]
    fn filter_energy(
        coeffs: &[Coeffs; 2],
        state: &mut [StageState; 2],
        lanes: [&[f32]; NUM_LANES],
        energy: &mut Lanes,
    ) {
        let mut first = Stage::new(&coeffs[0], &state[0]);
        let mut second = Stage::new(&coeffs[1], &state[1]);
        let mut e = load(*energy);
        let [a, b, c, d] = lanes;
        let samples = a.iter().zip(b).zip(c).zip(d);
        // `-0.0 == 0.0` would not matter here: only these exact values are special-cased.
        if coeffs[1][..3] == [1.0, -2.0, 1.0] {
            for (((&xa, &xb), &xc), &xd) in samples {
                let v = first.step(_mm_set_ps(xd, xc, xb, xa));
                let w = second.step_second_difference(v);
                e = _mm_add_ps(e, _mm_mul_ps(w, w));
            }
        } else {
            for (((&xa, &xb), &xc), &xd) in samples {
                let v = first.step(_mm_set_ps(xd, xc, xb, xa));
                let w = second.step(v);
                e = _mm_add_ps(e, _mm_mul_ps(w, w));
            }
        }
        *state = [first.state(), second.state()];
        *energy = store(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dispatched_loop_matches_the_portable_one_bit_for_bit() {
        let k = super::super::k_weighting(44_100.0).map(|s| s.map(|c| c as f32));
        // The K-weighting itself (second stage b = [1, -2, 1], the special case) and the
        // shelf twice (the general case).
        for coeffs in [k, [k[0], k[0]]] {
            let mut seed = 0x2468_ace1u32;
            let signal: Vec<Vec<f32>> = (0..NUM_LANES)
                .map(|_| {
                    (0..3000)
                        .map(|_| {
                            seed ^= seed << 13;
                            seed ^= seed >> 17;
                            seed ^= seed << 5;
                            seed as f32 / u32::MAX as f32 - 0.5
                        })
                        .collect()
                })
                .collect();
            let lanes: [&[f32]; NUM_LANES] = std::array::from_fn(|l| signal[l].as_slice());
            let mut portable = [StageState::default(); 2];
            let mut e_portable = [0.0f32; NUM_LANES];
            filter_energy_portable(&coeffs, &mut portable, lanes, &mut e_portable);
            assert!(e_portable.iter().all(|&e| e > 1.0), "{e_portable:?}");
            for simd in Simd::available() {
                let mut fast = [StageState::default(); 2];
                let mut e_fast = [0.0f32; NUM_LANES];
                filter_energy(simd, &coeffs, &mut fast, lanes, &mut e_fast);
                assert_eq!(e_fast.map(f32::to_bits), e_portable.map(f32::to_bits));
                assert_eq!(fast, portable);
            }
        }
    }
    #[test]
    fn every_level_matches_the_portable_loop_bit_for_bit_on_hostile_input() {
        use super::super::super::simd::hostile::{TOTAL, blocks, signal};
        let k = super::super::k_weighting(48_000.0).map(|s| s.map(|c| c as f32));
        let signal: Vec<Vec<f32>> = (0..NUM_LANES as u32)
            .map(|l| signal(61 + l, TOTAL))
            .collect();
        for coeffs in [k, [k[0], k[0]], [k[1], k[1]]] {
            let run = |simd: Option<Simd>| {
                let mut state = [StageState::default(); 2];
                let mut energy = [0.0f32; NUM_LANES];
                let mut out = Vec::new();
                for range in blocks(TOTAL, usize::MAX) {
                    let lanes: [&[f32]; NUM_LANES] =
                        std::array::from_fn(|l| &signal[l][range.clone()]);
                    match simd {
                        Some(simd) => filter_energy(simd, &coeffs, &mut state, lanes, &mut energy),
                        None => filter_energy_portable(&coeffs, &mut state, lanes, &mut energy),
                    }
                    out.push(energy.map(f32::to_bits));
                    if out.len() % 3 == 0 {
                        for s in state.iter_mut() {
                            s.flush();
                        }
                    }
                }
                (out, state)
            };
            let reference = run(None);
            assert!(reference.1 != [StageState::default(); 2]);
            for simd in Simd::available() {
                assert!(reference == run(Some(simd)), "{simd:?}");
            }
        }
    }
}
