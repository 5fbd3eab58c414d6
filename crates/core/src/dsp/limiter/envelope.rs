//! Building blocks of the limiter's gain computer, each preallocated and allocation-free per
//! sample: a sliding minimum (monotonic deque), the attack smoother, a programme-dependent release
//! and a bass-period tracker that sets how long gain reduction is held.

mod half_period;

pub use half_period::HalfPeriodTracker;

/// Minimum of the values pushed over a trailing window whose length may change from sample to
/// sample (up to the capacity given at construction), in O(1) amortised time per sample.
///
/// Monotonic-deque sliding-window minimum (the "ascending minima" algorithm, e.g. R. Harter,
/// "The minimum on a sliding window", 2001): the deque keeps, in time order, only values that
/// are smaller than everything pushed after them, so its front is the minimum of the window.
#[derive(Debug, Clone)]
pub struct SlidingMin {
    indices: Vec<u64>,
    values: Vec<f32>,
    mask: usize,
    head: usize,
    len: usize,
    max_window: u64,
}

impl SlidingMin {
    /// A deque for windows of up to `max_window` samples. Allocates.
    pub fn new(max_window: usize) -> Self {
        let capacity = (max_window + 1).next_power_of_two();
        Self {
            indices: vec![0; capacity],
            values: vec![0.0; capacity],
            mask: capacity - 1,
            head: 0,
            len: 0,
            max_window: max_window.max(1) as u64,
        }
    }

    /// Forgets every value.
    pub fn reset(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Copies another deque's state (same capacity) without allocating.
    pub fn copy_from(&mut self, other: &Self) {
        if self.values.len() == other.values.len() {
            self.indices.copy_from_slice(&other.indices);
            self.values.copy_from_slice(&other.values);
            self.head = other.head;
            self.len = other.len;
        }
    }

    /// Adds `value` at sample `index` (indices must increase by one per push). A value of 1 or
    /// more is never the minimum while anything smaller is in the window, and an empty window
    /// reads as 1, so such values are not stored.
    #[inline(always)]
    pub fn push(&mut self, index: u64, value: f32) {
        // Drop everything at the back that is not smaller than the new value.
        while self.len > 0 {
            let back = (self.head + self.len - 1) & self.mask;
            match self.values.get(back) {
                Some(&v) if v >= value => self.len -= 1,
                _ => break,
            }
        }
        // Drop what has left the longest window (and, defensively, make room).
        let oldest_kept = index.saturating_sub(self.max_window - 1);
        while self.len > 0 {
            match self.indices.get(self.head) {
                Some(&i) if i < oldest_kept || self.len > self.mask => {
                    self.head = (self.head + 1) & self.mask;
                    self.len -= 1;
                }
                _ => break,
            }
        }
        if value >= 1.0 {
            return;
        }
        let slot = (self.head + self.len) & self.mask;
        if let (Some(i), Some(v)) = (self.indices.get_mut(slot), self.values.get_mut(slot)) {
            *i = index;
            *v = value;
            self.len += 1;
        }
    }

    /// Drops the values pushed before `first_index`, for a caller whose windows only move
    /// forward: [`Self::min_since`] then answers from the front, without a search.
    #[inline(always)]
    pub fn expire_before(&mut self, first_index: u64) {
        while self.len > 0 {
            match self.indices.get(self.head) {
                Some(&i) if i < first_index => {
                    self.head = (self.head + 1) & self.mask;
                    self.len -= 1;
                }
                _ => break,
            }
        }
    }

    /// Minimum of the values pushed at indices `>= first_index` (1.0 if there are none).
    /// The deque is sorted by index and by value, so this is the first entry in range: the
    /// front when the window did not shrink, otherwise a binary search.
    #[inline(always)]
    pub fn min_since(&self, first_index: u64) -> f32 {
        let at = |k: usize| (self.head + k) & self.mask;
        let index_at = |k: usize| self.indices.get(at(k)).copied().unwrap_or(u64::MAX);
        if self.len == 0 {
            return 1.0;
        }
        let (mut lo, mut hi) = (0usize, self.len);
        if index_at(0) < first_index {
            // First entry with index >= first_index, by bisection.
            while lo < hi {
                let mid = (lo + hi) / 2;
                if index_at(mid) < first_index {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            if lo == self.len {
                return 1.0;
            }
        }
        self.values.get(at(lo)).copied().unwrap_or(1.0)
    }
}

/// Minimum over a fixed trailing window, by the van Herk / Gil-Werman algorithm (M. van Herk,
/// Pattern Recognition Letters 13(7), 1992; J. Gil and M. Werman, IEEE PAMI 15(5), 1993): the
/// stream is cut into blocks of the window length; the minimum over any window is the minimum
/// of a suffix of the previous block and a prefix of the current one. Three comparisons per
/// sample whatever the signal, with no data-dependent branches (a monotonic deque mispredicts
/// on noise-like requirements).
#[derive(Debug, Clone)]
pub struct FixedWindowMin {
    /// Values of the block being filled.
    block: Vec<f32>,
    /// `suffix[i]`: minimum of the previous block from position `i` on; `suffix[window]` = 1.
    suffix: Vec<f32>,
    window: usize,
    pos: usize,
    prefix: f32,
}

impl FixedWindowMin {
    /// Room for windows of up to `max_window` samples. Allocates.
    pub fn new(max_window: usize) -> Self {
        let max_window = max_window.max(1);
        let mut m = Self {
            block: vec![1.0; max_window],
            suffix: vec![1.0; max_window + 1],
            window: max_window,
            pos: 0,
            prefix: 1.0,
        };
        m.set_window(max_window);
        m
    }

    /// Sets the window length (clamped to the capacity) and clears the state.
    pub fn set_window(&mut self, window: usize) {
        self.window = window.clamp(1, self.block.len());
        self.reset();
    }

    /// Forgets every value (an empty window reads 1).
    pub fn reset(&mut self) {
        self.block.iter_mut().for_each(|v| *v = 1.0);
        self.suffix.iter_mut().for_each(|v| *v = 1.0);
        self.pos = 0;
        self.prefix = 1.0;
    }

    /// Copies another instance's state (same capacity) without allocating.
    pub fn copy_from(&mut self, other: &Self) {
        if self.block.len() == other.block.len() {
            self.block.copy_from_slice(&other.block);
            self.suffix.copy_from_slice(&other.suffix);
            self.window = other.window;
            self.pos = other.pos;
            self.prefix = other.prefix;
        }
    }

    /// Pushes a value and returns the minimum of the last `window` values (values before the
    /// first push count as 1).
    #[inline(always)]
    pub fn push(&mut self, value: f32) -> f32 {
        let min = |a: f32, b: f32| if a < b { a } else { b };
        if let Some(slot) = self.block.get_mut(self.pos) {
            *slot = value;
        }
        self.prefix = if self.pos == 0 {
            value
        } else {
            min(self.prefix, value)
        };
        let out = min(
            self.suffix.get(self.pos + 1).copied().unwrap_or(1.0),
            self.prefix,
        );
        self.pos += 1;
        if self.pos >= self.window {
            // The block is complete: its suffix minima serve the next block's windows.
            let mut running = 1.0f32;
            if let (Some(suffix), Some(block)) = (
                self.suffix.get_mut(..self.window),
                self.block.get(..self.window),
            ) {
                for (s, &v) in suffix.iter_mut().zip(block).rev() {
                    running = min(running, v);
                    *s = running;
                }
            }
            self.pos = 0;
        }
        out
    }
}

/// Fixed-point scale of the attack smoother: depth 1.0 is 2^31.
const DEPTH_ONE: f64 = 2_147_483_648.0;

/// Two cascaded moving averages (box filters) of lengths `a` and `b` over the gain-reduction
/// depth: the limiter's attack. The step response is a piecewise-quadratic S-curve of
/// `a + b - 2` samples, and because every average of values at or above a depth is at or
/// above it, the smoothed depth never falls short of any depth that was held for the whole
/// window (see the module documentation of the limiter).
///
/// Each box is the difference of a running sum taken `length` samples apart. The sums are
/// integers (depth in units of 2^-31, wrapping 64-bit arithmetic, whose differences are exact),
/// so they never drift and the output is exactly 0 (unity gain) whenever no reduction is due.
/// Each block runs as two short serial scans (the running sums) and vector loops.
#[derive(Debug, Clone)]
pub struct AttackSmoother {
    /// Running sum of the quantised depth: `len_a` earlier values, then the block's.
    sum_a: Vec<i64>,
    /// Running sum of the first box's output: `len_b` earlier values, then the block's.
    sum_b: Vec<i64>,
    /// Scratch: the first box's output for the block.
    box_a: Vec<i64>,
    len_a: usize,
    len_b: usize,
    pos_a: usize,
    pos_b: usize,
    scale: f64,
}

/// Largest block [`AttackSmoother::process_block`] takes at once.
pub const ATTACK_BLOCK: usize = 128;
/// Blocks between two moves of the running sums back to the front of their buffers.
const ATTACK_BLOCKS_PER_MOVE: usize = 8;

impl AttackSmoother {
    /// Room for lengths up to `max_length` each. Allocates.
    pub fn new(max_length: usize) -> Self {
        let max_length = max_length.max(1);
        let capacity = max_length + ATTACK_BLOCKS_PER_MOVE * ATTACK_BLOCK;
        let mut smoother = Self {
            sum_a: vec![0; capacity],
            sum_b: vec![0; capacity],
            box_a: vec![0; ATTACK_BLOCK],
            len_a: 1,
            len_b: 1,
            pos_a: 1,
            pos_b: 1,
            scale: 0.0,
        };
        smoother.set_lengths(1, 1);
        smoother
    }

    /// Sets the two lengths (clamped to 1..=capacity) and clears the state.
    pub fn set_lengths(&mut self, len_a: usize, len_b: usize) {
        let max = self.sum_a.len() - ATTACK_BLOCKS_PER_MOVE * ATTACK_BLOCK;
        self.len_a = len_a.clamp(1, max);
        self.len_b = len_b.clamp(1, max);
        self.scale = 1.0 / (self.len_a as f64 * self.len_b as f64 * DEPTH_ONE);
        self.reset();
    }

    /// Clears the windows to zero depth.
    pub fn reset(&mut self) {
        self.sum_a.iter_mut().for_each(|v| *v = 0);
        self.sum_b.iter_mut().for_each(|v| *v = 0);
        self.pos_a = self.len_a;
        self.pos_b = self.len_b;
    }

    /// Copies another smoother's state (same capacity) without allocating.
    pub fn copy_from(&mut self, other: &Self) {
        if self.sum_a.len() == other.sum_a.len() {
            self.sum_a.copy_from_slice(&other.sum_a);
            self.sum_b.copy_from_slice(&other.sum_b);
            self.len_a = other.len_a;
            self.len_b = other.len_b;
            self.pos_a = other.pos_a;
            self.pos_b = other.pos_b;
            self.scale = other.scale;
        }
    }

    /// Smooths a block of depths (at most [`ATTACK_BLOCK`]; the rest is ignored) into gains
    /// (`1 - smoothed depth`).
    pub fn process_block(&mut self, depths: &[f64], gains: &mut [f32]) {
        let n = depths.len().min(gains.len()).min(ATTACK_BLOCK);
        // Keep `len` earlier sums in front of the block.
        for (sums, pos, len) in [
            (&mut self.sum_a, &mut self.pos_a, self.len_a),
            (&mut self.sum_b, &mut self.pos_b, self.len_b),
        ] {
            if *pos + n > sums.len() {
                sums.copy_within(*pos - len..*pos, 0);
                *pos = len;
            }
        }
        let (pos_a, pos_b, len_a, len_b) = (self.pos_a, self.pos_b, self.len_a, self.len_b);
        let (Some(sum_a), Some(sum_b), Some(box_a)) = (
            self.sum_a.get_mut(pos_a - len_a..pos_a + n),
            self.sum_b.get_mut(pos_b - len_b..pos_b + n),
            self.box_a.get_mut(..n),
        ) else {
            return;
        };
        // First box: running sum, then the difference `len_a` apart.
        let mut running = sum_a.get(len_a - 1).copied().unwrap_or(0);
        if let Some(new) = sum_a.get_mut(len_a..) {
            for (s, &depth) in new.iter_mut().zip(depths) {
                running = running.wrapping_add((depth.clamp(0.0, 1.0) * DEPTH_ONE) as i64);
                *s = running;
            }
        }
        let now_a = sum_a.get(len_a..).unwrap_or(&[]);
        for ((b, &now), &then) in box_a.iter_mut().zip(now_a).zip(sum_a.iter()) {
            *b = now.wrapping_sub(then);
        }
        // Second box over the first.
        let mut running = sum_b.get(len_b - 1).copied().unwrap_or(0);
        if let Some(new) = sum_b.get_mut(len_b..) {
            for (s, &b) in new.iter_mut().zip(box_a.iter()) {
                running = running.wrapping_add(b);
                *s = running;
            }
        }
        let scale = self.scale;
        let now_b = sum_b.get(len_b..).unwrap_or(&[]);
        for ((g, &now), &then) in gains.iter_mut().zip(now_b).zip(sum_b.iter()) {
            *g = (1.0 - now.wrapping_sub(then) as f64 * scale) as f32;
        }
        self.pos_a += n;
        self.pos_b += n;
    }
}

/// Per-sample coefficient of a first-order smoother with time constant `time_ms`.
pub fn one_pole_coefficient(time_ms: f32, sample_rate_hz: f32) -> f64 {
    let samples = (time_ms as f64 * 0.001 * sample_rate_hz as f64).max(1.0);
    1.0 - (-1.0 / samples).exp()
}

/// Programme-dependent release, in terms of the gain-reduction depth `d = 1 - gain` (0 = no
/// reduction), after the classic dual-time-constant "auto release":
///
/// - a *fast* envelope takes any new depth at once and recovers with a short time constant;
/// - a *slow* envelope charges towards the depth only over a long time, so it grows only
///   under sustained limiting, and recovers slowly;
/// - the output is the larger of the two: an isolated transient recovers fast, dense material
///   that has been limited for a while recovers slowly (no pumping).
///
/// Recovery is exponential in the depth (within 0.5 dB of an exponential in dB for reductions
/// up to 6 dB): one multiply and one compare per sample on the critical path. Depths that have
/// decayed below [`RELEASE_FLOOR`] are flushed to zero by [`Self::flush`] (once per chunk), so
/// the gain returns to exactly 1 and no denormals arise.
#[derive(Debug, Clone, Copy, Default)]
pub struct AdaptiveRelease {
    fast_depth: f64,
    slow_depth: f64,
    fast_factor: f64,
    slow_factor: f64,
    slow_charge: f64,
    /// Largest required depth since the slow envelope's last update, and how many samples ago
    /// that update was.
    step_max: f64,
    step_phase: u32,
}

/// Depths below this (about 1e-8 dB) are flushed to zero; the attack smoother already treats
/// anything below 2^-31 as no reduction.
pub const RELEASE_FLOOR: f64 = 1e-12;

/// The slow envelope is updated once per this many samples (its time constants are at least
/// 10 ms), from the largest depth required in between; this keeps it off the per-sample
/// critical path. The fast envelope, which alone guarantees the required depth, runs every
/// sample.
pub const SLOW_STEP_SAMPLES: u32 = 8;

impl AdaptiveRelease {
    /// Sets the time constants from the base release time: fast recovery `release / 2`, slow
    /// recovery `3 x release`, slow charging `release`.
    pub fn set_times(&mut self, release_ms: f32, sample_rate_hz: f32) {
        let step_rate = sample_rate_hz / SLOW_STEP_SAMPLES as f32;
        self.fast_factor = 1.0 - one_pole_coefficient(0.5 * release_ms, sample_rate_hz);
        self.slow_factor = 1.0 - one_pole_coefficient(3.0 * release_ms, step_rate);
        self.slow_charge = one_pole_coefficient(release_ms, step_rate);
    }

    /// Clears both envelopes.
    pub fn reset(&mut self) {
        self.fast_depth = 0.0;
        self.slow_depth = 0.0;
        self.step_max = 0.0;
        self.step_phase = 0;
    }

    /// Takes the required depth for this sample, returns the depth to apply (never less than
    /// the required one).
    #[inline(always)]
    pub fn process(&mut self, required_depth: f64) -> f64 {
        let max = |a: f64, b: f64| if a > b { a } else { b };
        self.fast_depth = max(self.fast_depth * self.fast_factor, required_depth);
        self.step_max = max(self.step_max, required_depth);
        self.step_phase += 1;
        if self.step_phase >= SLOW_STEP_SAMPLES {
            self.slow_depth = if self.step_max > self.slow_depth {
                self.slow_depth + self.slow_charge * (self.step_max - self.slow_depth)
            } else {
                self.slow_depth * self.slow_factor
            };
            self.step_max = 0.0;
            self.step_phase = 0;
        }
        max(self.fast_depth, self.slow_depth)
    }

    /// Sets depths that have decayed below [`RELEASE_FLOOR`] to exactly zero.
    pub fn flush(&mut self) {
        if self.fast_depth < RELEASE_FLOOR {
            self.fast_depth = 0.0;
        }
        if self.slow_depth < RELEASE_FLOOR {
            self.slow_depth = 0.0;
        }
    }
}

#[cfg(test)]
mod tests;
