//! The one place the DSP chooses an instruction set.
//!
//! Every stage with a vector kernel asks [`Simd::detected`] once, when it is built (or, for the
//! stateless kernels, reads the same cache on each call: one relaxed atomic load), keeps the
//! token, and runs its kernels through it:
//!
//! * kernels written as plain Rust that the compiler vectorises are compiled twice, portable
//!   and with AVX enabled, by [`Simd::vectorize`];
//! * explicit-register kernels (the EQ's pipeline, written with `pulp`; the stereo image's
//!   pipeline and the K-weighting loop, hand-written `std::arch`) are called only through
//!   [`Simd::avx`] / [`Simd::sse`], whose proof tokens exist only where the CPU has the
//!   instructions.
//!
//! The CPU is asked once per process (`cpuid` through `is_x86_feature_detected!`: no system
//! call, no allocation) and the answer is cached in an atomic, so nothing on the audio
//! thread's hot path ever detects anything.
//!
//! No level enables FMA, and Rust never contracts `a * b + c` on its own, so every level
//! computes the same operations in the same order as the portable build: the results are
//! bit-identical (`simd/tests.rs` checks every kernel at every level the CPU has against the
//! portable one).
//!
//! Measured against a well-kept crate (`pulp`, `benches/simd.rs`) on the hottest kernel: see
//! [`Avx`] and README's Performance table.

use std::sync::atomic::{AtomicU8, Ordering};

/// Instruction-set levels, narrowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Plain Rust for the target's baseline, no intrinsics: the reference the others equal.
    Portable,
    /// x86-64 baseline (SSE2) with the hand-written SSE kernels (the K-weighting loop); the
    /// compiler-vectorised kernels run their portable build.
    Sse,
    /// AVX (no FMA): compiler-vectorised kernels compiled for AVX and the hand-written AVX
    /// pipelines.
    Avx,
}

impl Level {
    /// Every level, narrowest first.
    pub const ALL: [Level; 3] = [Level::Portable, Level::Sse, Level::Avx];

    fn to_bits(self) -> u8 {
        match self {
            Level::Portable => 1,
            Level::Sse => 2,
            Level::Avx => 3,
        }
    }

    fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            1 => Some(Level::Portable),
            2 => Some(Level::Sse),
            3 => Some(Level::Avx),
            _ => None,
        }
    }
}

/// The detected level, or 0 before the first question.
static DETECTED: AtomicU8 = AtomicU8::new(0);

/// Asks the CPU (cold: runs once per process).
#[cold]
#[inline(never)]
fn detect() -> Level {
    #[cfg(target_arch = "x86_64")]
    let level = if std::arch::is_x86_feature_detected!("avx") {
        Level::Avx
    } else {
        // SSE and SSE2 are part of the x86-64 baseline.
        Level::Sse
    };
    #[cfg(not(target_arch = "x86_64"))]
    let level = Level::Portable;
    DETECTED.store(level.to_bits(), Ordering::Relaxed);
    level
}

/// The instruction-set level kernels may use: at most what this CPU has (the field is private,
/// so a value can only come from [`Simd::detected`], narrowed by [`Simd::capped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Simd {
    level: Level,
}

impl Default for Simd {
    fn default() -> Self {
        Self::detected()
    }
}

impl Simd {
    /// The widest level this CPU has (cached after the first call: one atomic load).
    #[inline]
    pub fn detected() -> Self {
        let level = Level::from_bits(DETECTED.load(Ordering::Relaxed)).unwrap_or_else(detect);
        Self { level }
    }

    /// Plain Rust only.
    pub const fn portable() -> Self {
        Self {
            level: Level::Portable,
        }
    }

    /// This token narrowed to at most `level` (never widened).
    pub fn capped(self, level: Level) -> Self {
        Self {
            level: self.level.min(level),
        }
    }

    /// Every level this CPU has, narrowest first (for tests and benchmarks).
    pub fn available() -> impl Iterator<Item = Self> {
        let top = Self::detected();
        Level::ALL
            .into_iter()
            .filter(move |l| *l <= top.level)
            .map(move |l| top.capped(l))
    }

    /// The level.
    pub fn level(self) -> Level {
        self.level
    }

    /// Proof of AVX, where this token allows it.
    #[inline]
    pub fn avx(self) -> Option<Avx> {
        #[cfg(target_arch = "x86_64")]
        if self.level >= Level::Avx {
            return Some(Avx(()));
        }
        None
    }

    /// Proof of SSE (the x86-64 baseline), where this token allows it.
    #[inline]
    pub fn sse(self) -> Option<Sse> {
        #[cfg(target_arch = "x86_64")]
        if self.level >= Level::Sse {
            return Some(Sse(()));
        }
        None
    }

    /// Runs `kernel` compiled for this token's level: with AVX enabled where the token allows
    /// it, else the portable build. `kernel` must be an `#[inline(always)]` closure (and what
    /// it calls `#[inline(always)]` too), so that its body is compiled inside the AVX function
    /// rather than called from it.
    #[inline(always)]
    pub fn vectorize<R>(self, kernel: impl FnOnce() -> R) -> R {
        match self.avx() {
            Some(avx) => avx.vectorize(kernel),
            None => kernel(),
        }
    }
}

/// Proof that the CPU has AVX: made only by [`Simd::avx`], from run-time detection.
///
/// The AVX register kernels are called only with one of these in hand: the stereo image's
/// (`stereo/avx_pipeline.rs`, hand-written `std::arch`) and the EQ's (`eq/avx_pipeline.rs`,
/// written with `pulp` through [`Avx::pulp`]). The EQ's was the chain's hottest kernel; its
/// hand-written version was replaced by the pulp port on the numbers of
/// `cargo bench -p lacquer-core --bench simd` (thread CPU time, EQ with all 13 bands, 48 kHz
/// stereo music in 512-sample blocks, 2-core machine under load, 2 runs x 3 interleaved
/// rounds). Against pulp's `V3` token: hand-written 812-844 us, pulp 778-810 us. With the
/// AVX-only [`PulpAvx`] shipped here: pulp 785-847 us (mean 811), hand-written 789-853 us
/// (mean 810), per-round ratio 0.98-1.06: as fast, so the crate's version stays. The array
/// kernel through [`Simd::vectorize`]: 1.18-1.27 ms.
#[derive(Debug, Clone, Copy)]
pub struct Avx(());

#[cfg(target_arch = "x86_64")]
pulp::simd_type!({
    /// `pulp`'s token for exactly the AVX level (SSE, SSE2 and AVX; no FMA, no AVX2), so the
    /// pulp kernels need no more of the CPU than [`Level::Avx`] promises.
    pub struct PulpAvx {
        pub sse: f!("sse"),
        pub sse2: f!("sse2"),
        pub avx: f!("avx"),
    }
});

impl Avx {
    /// Runs `kernel` (an `#[inline(always)]` closure) compiled with AVX enabled.
    #[inline(always)]
    pub fn vectorize<R>(self, kernel: impl FnOnce() -> R) -> R {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: an `Avx` exists only where run-time detection found AVX.
            unsafe { with_avx(kernel) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        kernel()
    }

    /// The same proof as a `pulp` token, for kernels written with pulp's safe intrinsics.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    pub fn pulp(self) -> PulpAvx {
        // SAFETY: an `Avx` exists only where run-time detection found AVX (which includes SSE
        // and SSE2, the x86-64 baseline).
        unsafe { PulpAvx::new_unchecked() }
    }
}

/// Proof that the CPU has SSE (every x86-64 CPU): made only by [`Simd::sse`].
#[derive(Debug, Clone, Copy)]
pub struct Sse(());

impl Sse {
    /// Runs `kernel` (an `#[inline(always)]` closure) compiled with SSE enabled (the x86-64
    /// baseline already has it: this only lets the closure call `#[target_feature(enable =
    /// "sse")]` functions).
    #[inline(always)]
    pub fn vectorize<R>(self, kernel: impl FnOnce() -> R) -> R {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: an `Sse` exists only on x86-64, whose baseline includes SSE.
            unsafe { with_sse(kernel) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        kernel()
    }
}

/// `kernel()` in a function compiled for AVX; `kernel`'s body is inlined into it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
fn with_avx<R>(kernel: impl FnOnce() -> R) -> R {
    kernel()
}

/// `kernel()` in a function compiled with SSE enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse")]
#[inline]
fn with_sse<R>(kernel: impl FnOnce() -> R) -> R {
    kernel()
}

#[cfg(test)]
mod tests;

/// Hostile input for the tests that hold every SIMD level to the portable build.
#[cfg(test)]
pub(crate) mod hostile {
    /// Block lengths the tests cut a signal into, in this order (then again): odd lengths,
    /// lengths shorter than a vector, and lengths longer than every kernel's span.
    pub(crate) const BLOCK_LENGTHS: [usize; 12] = [1, 3, 7, 8, 16, 31, 33, 5, 100, 257, 512, 1023];

    /// `len` samples that cycle through what a vector kernel should fear (the chain sanitizes
    /// non-finite samples before any stage, so all are finite): full-scale white noise,
    /// +100 dB steps (noise at 1e-5 jumping to full scale and back), subnormal noise, exact
    /// zeros with a lone full-scale click, full-scale DC and a full-scale Nyquist tone.
    pub(crate) fn signal(seed: u32, len: usize) -> Vec<f32> {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut out = Vec::with_capacity(len);
        let mut part = 0usize;
        while out.len() < len {
            // Odd, uneven segment lengths, so segment edges land anywhere in a vector.
            let segment = 37 + (next() % 211) as usize;
            for i in 0..segment {
                let r = next();
                let noise = r as f32 / u32::MAX as f32 * 2.0 - 1.0;
                let x = match part % 6 {
                    0 => noise,
                    1 => {
                        if (i / 29) % 2 == 0 {
                            1.0e-5 * noise
                        } else {
                            noise.signum()
                        }
                    }
                    2 => {
                        let bits = r & 0x807f_ffff; // sign and mantissa: a subnormal or 0
                        f32::from_bits(bits)
                    }
                    3 => {
                        if i == segment / 2 {
                            1.0
                        } else {
                            0.0
                        }
                    }
                    4 => 1.0,
                    _ => {
                        if i % 2 == 0 {
                            1.0
                        } else {
                            -1.0
                        }
                    }
                };
                out.push(x);
            }
            part += 1;
        }
        out.truncate(len);
        out
    }

    /// `len` cut into consecutive ranges of the [`BLOCK_LENGTHS`] (cycled; the last may be
    /// shorter), each block at most `max` long.
    pub(crate) fn blocks(len: usize, max: usize) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut at = 0;
        for n in BLOCK_LENGTHS.iter().cycle() {
            if at >= len {
                break;
            }
            let end = (at + (*n).min(max)).min(len);
            out.push(at..end);
            at = end;
        }
        out
    }

    /// Total length that covers every block length at least once.
    pub(crate) const TOTAL: usize = 2 * 1996;

    /// Bits of a float slice, for exact comparison.
    pub(crate) fn bits32(x: &[f32]) -> Vec<u32> {
        x.iter().map(|v| v.to_bits()).collect()
    }
}
