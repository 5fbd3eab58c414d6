//! The hottest SIMD kernel of the chain against a well-kept crate.
//!
//! `perf record` of `cargo bench -p lacquer-core --bench chain -- all_stages_48k` put the
//! EQ's hand-written AVX register pipeline (`eq/avx_pipeline.rs`, `run_depth`) first (15.6 %
//! of the chain; then the compressor bank 14.6 %, the multiband split 14.2 %, the stereo
//! pipeline 12.1 %). It was ported line for line to `pulp` (0.22: safe intrinsics behind a
//! token, the crate's own `vectorize`); the port measured as fast (faster by 3-4 %, first with
//! pulp's `V3` token, then with the AVX-only token the library uses), so it replaced the
//! hand-written kernel in the library, and the hand-written one lives on here as the
//! reference. All run the same EQ (every band active, a 48 dB/oct high-pass: 13 bands) over
//! the same music in 512-sample blocks; the array kernel through `Simd::vectorize` is there
//! for scale. Every kernel is checked bit for bit against the library's before anything is
//! timed.
//!
//! On a shared machine wall time mostly measures the other jobs, so the kernels are timed in
//! this thread's CPU time (`CLOCK_THREAD_CPUTIME_ID` on Linux; wall time elsewhere), in
//! interleaved rounds.
//!
//! `cargo bench -p lacquer-core --bench simd`

use lacquer_test_support::bench as common;

use common::music_like;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lacquer_core::dsp::biquad::UPDATE_INTERVAL_SAMPLES;
use lacquer_core::dsp::eq::bench_kernels::{FLUSH_THRESHOLD, Pipeline, run_array, run_registers};
use lacquer_core::dsp::eq::{EqBand, EqSettings, ToneEq};
use lacquer_core::dsp::simd::Simd;
use std::hint::black_box;

const SAMPLE_RATE_HZ: f32 = 48_000.0;
const BLOCK: usize = 512;

#[cfg(target_arch = "x86_64")]
mod hand_written {
    //! The EQ's register pipeline as it was hand-written with `std::arch` (unsafe intrinsics
    //! in `#[target_feature(enable = "avx")]` functions) before the pulp port replaced it in
    //! `eq/avx_pipeline.rs`; kept here, unchanged, as the reference the port is measured
    //! against.

    use super::{FLUSH_THRESHOLD, Pipeline, UPDATE_INTERVAL_SAMPLES};
    use lacquer_core::dsp::eq::bench_kernels::PIPE_LANES;
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
    fn run<const D: usize, const V: usize>(
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
    pub fn run_depth(
        pipe: &mut Pipeline,
        left: &mut [f32],
        right: &mut [f32],
        depth: usize,
        clock: usize,
    ) -> bool {
        if !std::arch::is_x86_feature_detected!("avx") {
            return false;
        }
        // SAFETY: AVX was just detected.
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
}

/// Every band active (the stages bench's busy EQ, with a 48 dB/oct high-pass).
fn busy_eq() -> ToneEq {
    let mut s = EqSettings {
        high_pass_on: true,
        high_pass_db_per_oct: 48.0,
        tilt_db: 1.5,
        ..Default::default()
    };
    s.low_shelf.gain_db = 1.5;
    s.high_shelf.gain_db = -1.0;
    for (band, gain_db) in s.bells.iter_mut().zip([1.0, -2.0, 1.5, -1.0, 2.0]) {
        *band = EqBand { gain_db, ..*band };
    }
    let mut eq = ToneEq::new();
    eq.configure(SAMPLE_RATE_HZ, 2, BLOCK);
    eq.set_settings(&s);
    eq.reset();
    eq
}

/// A kernel: pipeline, left, right, depth, clock.
type Kernel = fn(&mut Pipeline, &mut [f32], &mut [f32], usize, usize);

/// Runs `kernel` over the whole input in blocks, the clock moving as in the EQ.
fn render(kernel: Kernel, pipe: &mut Pipeline, depth: usize, l: &mut [f32], r: &mut [f32]) {
    let mut clock = 0;
    for (lc, rc) in l.chunks_mut(BLOCK).zip(r.chunks_mut(BLOCK)) {
        let n = lc.len();
        kernel(pipe, lc, rc, depth, clock);
        clock = (clock + n) % UPDATE_INTERVAL_SAMPLES;
    }
}

#[cfg(target_arch = "x86_64")]
fn std_arch(pipe: &mut Pipeline, l: &mut [f32], r: &mut [f32], depth: usize, clock: usize) {
    assert!(
        hand_written::run_depth(pipe, l, r, depth, clock),
        "needs AVX"
    );
}

fn with_pulp(pipe: &mut Pipeline, l: &mut [f32], r: &mut [f32], depth: usize, clock: usize) {
    assert!(run_registers(pipe, l, r, depth, clock), "needs AVX");
}

fn array(pipe: &mut Pipeline, l: &mut [f32], r: &mut [f32], depth: usize, clock: usize) {
    run_array(Simd::detected(), pipe, l, r, depth, clock);
}

/// CPU time of the calling thread, ns (Linux), else wall time.
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> u64 {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec; the clock id is Linux's thread CPU clock.
    let _ = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    (t.tv_sec as u64) * 1_000_000_000 + t.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

/// Criterion measurement in thread CPU time (reported like wall time, in ns).
struct ThreadCpuTime;

static WALL: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn bench_simd(c: &mut Criterion<ThreadCpuTime>) {
    let input = music_like(SAMPLE_RATE_HZ);
    let eq = busy_eq();
    let (pipe0, depth) = lacquer_core::dsp::eq::bench_kernels::pipeline(&eq);
    let mut kernels: Vec<(&str, Kernel)> = vec![("pulp_library", with_pulp)];
    #[cfg(target_arch = "x86_64")]
    kernels.push(("hand_written_std_arch", std_arch));
    kernels.push(("array_simd_vectorize", array));

    // Same bits from every kernel before anything is timed.
    let outputs: Vec<(Vec<u32>, Vec<u64>)> = kernels
        .iter()
        .map(|(_, kernel)| {
            let mut pipe = pipe0;
            let (mut l, mut r) = (input[0].clone(), input[1].clone());
            render(*kernel, &mut pipe, depth, &mut l, &mut r);
            let bits = l.iter().chain(&r).map(|v| v.to_bits()).collect();
            let state = pipe
                .s1
                .iter()
                .chain(&pipe.s2)
                .map(|v| v.to_bits())
                .collect();
            (bits, state)
        })
        .collect();
    for ((name, _), out) in kernels.iter().zip(&outputs) {
        assert!(
            *out == outputs[0],
            "{name} differs from the hand-written kernel"
        );
    }

    let mut group = c.benchmark_group(format!("eq_pipeline_depth_{depth}"));
    group.throughput(Throughput::Elements(input[0].len() as u64));
    let (mut l, mut r) = (input[0].clone(), input[1].clone());
    // Interleaved rounds, so load changes on a shared machine hit every kernel alike.
    for round in 0..3 {
        for (name, kernel) in &kernels {
            let mut pipe = pipe0;
            group.bench_function(format!("{name}/round_{round}"), |b| {
                b.iter(|| {
                    l.copy_from_slice(&input[0]);
                    r.copy_from_slice(&input[1]);
                    render(*kernel, &mut pipe, depth, &mut l, &mut r);
                    black_box(&l);
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(ThreadCpuTime);
    targets = bench_simd
}
criterion_main!(benches);
