//! The stereo image's filter network as a skewed pipeline in AVX registers, for runs where
//! nothing moves (see `StereoImage::filter_pipelined`).
//!
//! The span path runs nine lane pairs per frame one after the other: each waits for the
//! previous one's output of the same frame, so a frame is a chain of eight filters (eight
//! multiply-add latencies) and the CPU overlaps consecutive frames only partly. Here the
//! pairs are pipeline positions: at step `t` position `p` filters frame `t - p`, taking what
//! position `p - 1` produced at step `t - 1`. Within a step the positions are independent, so
//! two of them share one `__m256d` (four lanes) and the whole network is four AVX biquads and
//! one SSE biquad per step:
//!
//! ```text
//! register  lanes (position p: lane pair)             input (from the previous step)
//! A         [HP Q0, AP Q0 | HP Q1, AP Q1]   p 0, 1     [S, M of frame t | A.0-1]
//! B         [HP Q0, AP f1 | HP Q1, AP f2]   p 2, 3     [A.2-3 | B.0-1]
//! C         [LP f1, HP f1 | LP f1, HP f1]   p 4, 5     [B.2, B.2 | C.0-1]
//! D         [LP f2, HP f2 | LP f2, HP f2]   p 6, 7     [C.3, C.3 | D.0-1]
//! E         [AP f2, -]                      p 6        [C.2, 0]
//! ```
//!
//! Frame `t - 7` leaves at step `t`: its mid and high bands are `D.2-3`, its low band is
//! `E.0` of the previous step and its mid signal `B.3` of four steps before (kept in a ring).
//! Lanes whose frame lies outside the run (pipeline fill and drain) keep their state. Each
//! lane does exactly the span path's operations in the same order (TDF-II, separate multiplies
//! and adds, no FMA), so the output is bit-identical; the test
//! `pipelined_path_matches_the_span_path_bit_for_bit` checks it.

use super::super::biquad::{BiquadCoefs, FLUSH_THRESHOLD, LaneState, UPDATE_INTERVAL_SAMPLES};
use super::super::simd::Avx;
use super::NUM_FILTERS;
use std::arch::x86_64::{
    __m128d, __m256d, _CMP_GE_OQ, _CMP_LE_OQ, _CMP_LT_OQ, _mm_add_pd, _mm_andnot_pd, _mm_cmp_pd,
    _mm_cvtsd_f64, _mm_mul_pd, _mm_set_pd, _mm_set1_pd, _mm_setzero_pd, _mm_storeu_pd, _mm_sub_pd,
    _mm_unpackhi_pd, _mm_unpacklo_pd, _mm256_add_pd, _mm256_and_pd, _mm256_andnot_pd,
    _mm256_blendv_pd, _mm256_castpd128_pd256, _mm256_cmp_pd, _mm256_extractf128_pd, _mm256_mul_pd,
    _mm256_permute_pd, _mm256_permute2f128_pd, _mm256_set_pd, _mm256_set1_pd, _mm256_setzero_pd,
    _mm256_storeu_pd, _mm256_sub_pd,
};

/// Pipeline positions (lane pairs of A-D); E runs at position 6.
const DEPTH: usize = 8;
/// Position of the low band's all-pass (register E).
const E_POSITION: usize = 6;
/// Steps from B's position-3 output (the mid) to the frame leaving the pipeline.
const MID_DELAY: usize = 4;

/// The filters of one static run: coefficients of every lane pair (position order, then E),
/// and the widths of the three bands as side gains.
pub(super) struct Network {
    /// Coefficients of positions 0-7 and E, each `[lane 0, lane 1]`.
    pub coefs: [[BiquadCoefs; 2]; NUM_FILTERS],
    /// Side gains of the low, mid and high band.
    pub widths: [f64; 3],
}

/// Four-lane register from two lane pairs: `[lo[0], lo[1], hi[0], hi[1]]`.
#[inline]
#[target_feature(enable = "avx")]
fn quad(lo: [f64; 2], hi: [f64; 2]) -> __m256d {
    _mm256_set_pd(hi[1], hi[0], lo[1], lo[0])
}

/// One coefficient of positions `2 r` and `2 r + 1` as a register.
#[inline]
#[target_feature(enable = "avx")]
fn coef_quad(net: &Network, r: usize, pick: fn(&BiquadCoefs) -> f64) -> __m256d {
    let pair = |p: usize| {
        net.coefs
            .get(p)
            .map_or([0.0; 2], |c| [pick(&c[0]), pick(&c[1])])
    };
    quad(pair(2 * r), pair(2 * r + 1))
}

/// One coefficient of E as a register.
#[inline]
#[target_feature(enable = "avx")]
fn coef_pair(net: &Network, pick: fn(&BiquadCoefs) -> f64) -> __m128d {
    let c = net.coefs.get(DEPTH).copied().unwrap_or_default();
    _mm_set_pd(pick(&c[1]), pick(&c[0]))
}

/// The five coefficients of one register, TDF-II order `b0, b1, b2, a1, a2`.
struct Coefs<T> {
    b0: T,
    b1: T,
    b2: T,
    a1: T,
    a2: T,
}

/// Sets values below [`FLUSH_THRESHOLD`] to +0 in the lanes selected by `lanes`.
#[inline]
#[target_feature(enable = "avx")]
fn flush4(s: __m256d, lanes: __m256d) -> __m256d {
    let magnitude = _mm256_andnot_pd(_mm256_set1_pd(-0.0), s);
    let tiny = _mm256_cmp_pd::<_CMP_LT_OQ>(magnitude, _mm256_set1_pd(FLUSH_THRESHOLD));
    _mm256_andnot_pd(_mm256_and_pd(tiny, lanes), s)
}

/// [`flush4`] for E (both lanes).
#[inline]
#[target_feature(enable = "avx")]
fn flush2(s: __m128d) -> __m128d {
    let magnitude = _mm_andnot_pd(_mm_set1_pd(-0.0), s);
    let tiny = _mm_cmp_pd::<_CMP_LT_OQ>(magnitude, _mm_set1_pd(FLUSH_THRESHOLD));
    _mm_andnot_pd(tiny, s)
}

/// Filter memories of the pipeline, one `(s1, s2)` register pair per register.
struct States {
    quads: [(__m256d, __m256d); 4],
    e: (__m128d, __m128d),
}

/// Runs `left`/`right` (equal length) through the network, updating `filters` (the span
/// path's nine lane pairs, in its order). `clock` is the update clock at the first frame: a
/// position flushes tiny state values before each frame `t` with
/// `(clock + t) % UPDATE_INTERVAL_SAMPLES == 0`, as the span path's tick does. `Avx` (from
/// [`super::super::simd`]) is the proof that the CPU can run it.
pub(super) fn run(
    _proof: Avx,
    net: &Network,
    filters: &mut [LaneState; NUM_FILTERS],
    left: &mut [f32],
    right: &mut [f32],
    clock: usize,
) {
    // SAFETY: an `Avx` exists only where run-time detection found AVX.
    unsafe { run_kernel(net, filters, left, right, clock) }
}

/// The body of [`run`].
#[target_feature(enable = "avx")]
fn run_kernel(
    net: &Network,
    filters: &mut [LaneState; NUM_FILTERS],
    left: &mut [f32],
    right: &mut [f32],
    clock: usize,
) {
    let n = left.len().min(right.len());
    let c4: [Coefs<__m256d>; 4] = std::array::from_fn(|r| Coefs {
        b0: coef_quad(net, r, |c| c.b0),
        b1: coef_quad(net, r, |c| c.b1),
        b2: coef_quad(net, r, |c| c.b2),
        a1: coef_quad(net, r, |c| c.a1),
        a2: coef_quad(net, r, |c| c.a2),
    });
    let ce = Coefs {
        b0: coef_pair(net, |c| c.b0),
        b1: coef_pair(net, |c| c.b1),
        b2: coef_pair(net, |c| c.b2),
        a1: coef_pair(net, |c| c.a1),
        a2: coef_pair(net, |c| c.a2),
    };
    let parts = |p: usize| filters.get(p).copied().unwrap_or_default().parts();
    let mut st = States {
        quads: std::array::from_fn(|r| {
            let ((lo1, lo2), (hi1, hi2)) = (parts(2 * r), parts(2 * r + 1));
            (quad(lo1, hi1), quad(lo2, hi2))
        }),
        e: {
            let (s1, s2) = parts(DEPTH);
            (_mm_set_pd(s1[1], s1[0]), _mm_set_pd(s2[1], s2[0]))
        },
    };
    // Position of each lane, as a float for branch-free lane masks.
    let lane_position: [__m256d; 4] = std::array::from_fn(|r| {
        let (lo, hi) = ((2 * r) as f64, (2 * r + 1) as f64);
        _mm256_set_pd(hi, hi, lo, lo)
    });
    let ones = f64::from_bits(u64::MAX);
    let halves = [
        _mm256_set_pd(0.0, 0.0, ones, ones),
        _mm256_set_pd(ones, ones, 0.0, 0.0),
    ];
    let [w_low, w_mid, w_high] = net.widths;
    let mut y = [_mm256_setzero_pd(); 4];
    let mut y_e = _mm_setzero_pd();
    let mut mid_ring = [0.0f64; MID_DELAY];
    for step in 0..n + DEPTH - 1 {
        // Positions filtering a frame of the run at this step: p in [lo, hi].
        let lo = (step + 1).saturating_sub(n);
        let hi = step.min(DEPTH - 1);
        // The position whose frame falls on a tick boundary (at most one: DEPTH < interval).
        let ticking = (clock + step) % UPDATE_INTERVAL_SAMPLES;
        if ticking >= lo && ticking <= hi {
            let half = halves.get(ticking % 2).copied().unwrap_or(halves[0]);
            if let Some((s1, s2)) = st.quads.get_mut(ticking / 2) {
                *s1 = flush4(*s1, half);
                *s2 = flush4(*s2, half);
            }
            if ticking == E_POSITION {
                st.e = (flush2(st.e.0), flush2(st.e.1));
            }
        }
        let (xl, xr) = (
            f64::from(left.get(step).copied().unwrap_or(0.0)),
            f64::from(right.get(step).copied().unwrap_or(0.0)),
        );
        let input = _mm_set_pd(0.5 * (xl + xr), 0.5 * (xl - xr));
        let [ya, yb, yc, yd] = y;
        let x = [
            _mm256_permute2f128_pd::<0x20>(_mm256_castpd128_pd256(input), ya),
            _mm256_permute2f128_pd::<0x21>(ya, yb),
            _mm256_permute_pd::<0b1000>(_mm256_permute2f128_pd::<0x21>(yb, yc)),
            _mm256_permute_pd::<0b1011>(_mm256_permute2f128_pd::<0x21>(yc, yd)),
        ];
        let x_e = _mm_unpacklo_pd(_mm256_extractf128_pd::<1>(yc), _mm_setzero_pd());
        let all_live = lo == 0 && hi == DEPTH - 1;
        let (lo_v, hi_v) = (_mm256_set1_pd(lo as f64), _mm256_set1_pd(hi as f64));
        for r in 0..4 {
            let (Some(c), Some((s1, s2)), Some(&xv), Some(yv), Some(&lane)) = (
                c4.get(r),
                st.quads.get_mut(r),
                x.get(r),
                y.get_mut(r),
                lane_position.get(r),
            ) else {
                continue;
            };
            let out = _mm256_add_pd(_mm256_mul_pd(c.b0, xv), *s1);
            let new_s1 = _mm256_add_pd(
                _mm256_sub_pd(_mm256_mul_pd(c.b1, xv), _mm256_mul_pd(c.a1, out)),
                *s2,
            );
            let new_s2 = _mm256_sub_pd(_mm256_mul_pd(c.b2, xv), _mm256_mul_pd(c.a2, out));
            if all_live {
                (*s1, *s2) = (new_s1, new_s2);
            } else {
                let live = _mm256_and_pd(
                    _mm256_cmp_pd::<_CMP_GE_OQ>(lane, lo_v),
                    _mm256_cmp_pd::<_CMP_LE_OQ>(lane, hi_v),
                );
                *s1 = _mm256_blendv_pd(*s1, new_s1, live);
                *s2 = _mm256_blendv_pd(*s2, new_s2, live);
            }
            *yv = out;
        }
        let low_previous = _mm_cvtsd_f64(y_e);
        {
            let (s1, s2) = &mut st.e;
            let out = _mm_add_pd(_mm_mul_pd(ce.b0, x_e), *s1);
            let new_s1 = _mm_add_pd(
                _mm_sub_pd(_mm_mul_pd(ce.b1, x_e), _mm_mul_pd(ce.a1, out)),
                *s2,
            );
            let new_s2 = _mm_sub_pd(_mm_mul_pd(ce.b2, x_e), _mm_mul_pd(ce.a2, out));
            if lo <= E_POSITION && E_POSITION <= hi {
                (*s1, *s2) = (new_s1, new_s2);
            }
            y_e = out;
        }
        // The mid signal of frame `step - 3`; the ring gives back that of `step - 7`.
        let ring_slot = mid_ring.get_mut(step % MID_DELAY);
        let mid_signal = _mm_cvtsd_f64(_mm_unpackhi_pd(
            _mm256_extractf128_pd::<1>(y[1]),
            _mm256_extractf128_pd::<1>(y[1]),
        ));
        let mid_out = ring_slot.map_or(0.0, |slot| std::mem::replace(slot, mid_signal));
        if let Some(t) = (step + 1).checked_sub(DEPTH)
            && let (Some(l), Some(r)) = (left.get_mut(t), right.get_mut(t))
        {
            let bands = _mm256_extractf128_pd::<1>(y[3]);
            let band_mid = _mm_cvtsd_f64(bands);
            let band_high = _mm_cvtsd_f64(_mm_unpackhi_pd(bands, bands));
            let new_side = w_low * low_previous + w_mid * band_mid + w_high * band_high;
            *l = (mid_out + new_side) as f32;
            *r = (mid_out - new_side) as f32;
        }
    }
    let store = |s1: __m256d, s2: __m256d| {
        let (mut a, mut b) = ([0.0f64; 4], [0.0f64; 4]);
        // SAFETY: `a` and `b` are four writable f64s; storeu has no alignment requirement.
        unsafe {
            _mm256_storeu_pd(a.as_mut_ptr(), s1);
            _mm256_storeu_pd(b.as_mut_ptr(), s2);
        }
        (a, b)
    };
    for (r, &(s1, s2)) in st.quads.iter().enumerate() {
        let (a, b) = store(s1, s2);
        if let Some(f) = filters.get_mut(2 * r) {
            *f = LaneState::from_parts([a[0], a[1]], [b[0], b[1]]);
        }
        if let Some(f) = filters.get_mut(2 * r + 1) {
            *f = LaneState::from_parts([a[2], a[3]], [b[2], b[3]]);
        }
    }
    let (mut a, mut b) = ([0.0f64; 2], [0.0f64; 2]);
    // SAFETY: `a` and `b` are two writable f64s; storeu has no alignment requirement.
    unsafe {
        _mm_storeu_pd(a.as_mut_ptr(), st.e.0);
        _mm_storeu_pd(b.as_mut_ptr(), st.e.1);
    }
    if let Some(f) = filters.get_mut(DEPTH) {
        *f = LaneState::from_parts(a, b);
    }
}
