//! Meter histories for the editor's scrolling graphs: the last 30 s of short-term loudness and
//! the last 10 s of limiter gain reduction. The audio thread records one value per period into
//! a ring of atomics ([`History`], kept in the [`super::MeterBus`]); the editor reads the ring
//! in time order. Recording runs whether or not the editor is open (a few operations per
//! block), so a freshly opened editor shows the past 30 s at once.

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Short-term loudness history: one value per 100 ms, 30 s.
pub const LOUDNESS_HISTORY_PERIOD_MS: f32 = 100.0;
/// Slots of the loudness history (30 s / 100 ms).
pub const LOUDNESS_HISTORY_SLOTS: usize = 300;
/// Gain-reduction history: the largest reduction in each 50 ms, 10 s.
pub const GAIN_REDUCTION_HISTORY_PERIOD_MS: f32 = 50.0;
/// Slots of the gain-reduction history (10 s / 50 ms).
pub const GAIN_REDUCTION_HISTORY_SLOTS: usize = 200;

/// A ring of `N` values written by one thread (audio) and read by another (GUI), lock-free.
/// A reader racing the writer may see one slot from the newer lap: harmless for a graph.
#[derive(Debug)]
pub struct History<const N: usize> {
    values: [AtomicF32; N],
    /// Values written since the last clear; the next slot is `num_written % N`.
    num_written: AtomicUsize,
    /// Value of slots never written.
    empty: f32,
}

impl<const N: usize> History<N> {
    /// An empty history whose unwritten slots read `empty`.
    pub fn new(empty: f32) -> Self {
        Self {
            values: std::array::from_fn(|_| AtomicF32::new(empty)),
            num_written: AtomicUsize::new(0),
            empty,
        }
    }

    /// Appends a value, overwriting the oldest (audio thread).
    pub fn push(&self, value: f32) {
        let n = self.num_written.load(Ordering::Relaxed);
        if let Some(slot) = self.values.get(n % N) {
            slot.store(value, Ordering::Relaxed);
        }
        self.num_written.store(n.wrapping_add(1), Ordering::Release);
    }

    /// Values written since the last clear (saturates at `usize::MAX` wrap, never in practice).
    pub fn num_written(&self) -> usize {
        self.num_written.load(Ordering::Acquire)
    }

    /// Copies the ring into `out` in time order, oldest first, the newest value last; slots
    /// never written read the empty value. `out` should be `N` long (extra entries are left
    /// alone).
    pub fn copy_in_order(&self, out: &mut [f32]) {
        let n = self.num_written();
        for (i, o) in out.iter_mut().take(N).enumerate() {
            // Slot i of the output is the value written N - i writes ago.
            let age = N - i;
            *o = if age > n {
                self.empty
            } else {
                self.values
                    .get((n - age) % N)
                    .map_or(self.empty, |v| v.load(Ordering::Relaxed))
            };
        }
    }

    /// Empties the history.
    pub fn clear(&self) {
        for v in &self.values {
            v.store(self.empty, Ordering::Relaxed);
        }
        self.num_written.store(0, Ordering::Release);
    }
}

/// How a recorder turns the values of one period into the one it records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    /// The last value seen (for an already averaged reading such as short-term loudness).
    Last,
    /// The largest value seen (for gain reduction: no short peak is lost).
    Max,
}

/// Audio-thread side: counts samples and records one value per period.
#[derive(Debug, Clone)]
pub struct HistoryRecorder {
    period_ms: f32,
    period_samples: usize,
    elapsed_samples: usize,
    reduce: Reduce,
    pending: f32,
}

impl HistoryRecorder {
    /// A recorder writing one value per `period_ms`.
    pub fn new(period_ms: f32, reduce: Reduce) -> Self {
        let mut r = Self {
            period_ms,
            period_samples: 1,
            elapsed_samples: 0,
            reduce,
            pending: f32::NEG_INFINITY,
        };
        r.set_sample_rate(48_000.0);
        r
    }

    /// Sets the period in samples for `sample_rate_hz` and resets.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.period_samples = ((self.period_ms * 1e-3 * sample_rate_hz).round() as usize).max(1);
        self.reset();
    }

    /// Starts a new period.
    pub fn reset(&mut self) {
        self.elapsed_samples = 0;
        self.pending = f32::NEG_INFINITY;
    }

    /// Accounts for a block of `num_samples` whose reading is `value`, pushing to `history`
    /// once per completed period (audio thread; no allocation).
    pub fn advance<const N: usize>(
        &mut self,
        num_samples: usize,
        value: f32,
        history: &History<N>,
    ) {
        self.pending = match self.reduce {
            Reduce::Last => value,
            Reduce::Max => self.pending.max(value),
        };
        self.elapsed_samples += num_samples;
        while self.elapsed_samples >= self.period_samples {
            self.elapsed_samples -= self.period_samples;
            history.push(self.pending);
            if self.reduce == Reduce::Max && self.elapsed_samples < self.period_samples {
                // A remainder of this block starts the next period; none: a fresh start.
                self.pending = if self.elapsed_samples > 0 {
                    value
                } else {
                    f32::NEG_INFINITY
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_in_time_order_after_wrapping() {
        let h = History::<4>::new(-1.0);
        let mut out = [0.0; 4];
        h.copy_in_order(&mut out);
        assert_eq!(out, [-1.0; 4]);
        h.push(1.0);
        h.push(2.0);
        h.copy_in_order(&mut out);
        assert_eq!(out, [-1.0, -1.0, 1.0, 2.0]);
        for v in 3..=6 {
            h.push(v as f32);
        }
        h.copy_in_order(&mut out);
        assert_eq!(out, [3.0, 4.0, 5.0, 6.0]);
        h.clear();
        h.copy_in_order(&mut out);
        assert_eq!(out, [-1.0; 4]);
    }

    #[test]
    fn recorder_pushes_once_per_period() {
        // 100 ms at 48 kHz = 4800 samples; 30 s of 480-sample blocks = 300 periods.
        let h = History::<LOUDNESS_HISTORY_SLOTS>::new(f32::NEG_INFINITY);
        let mut rec = HistoryRecorder::new(LOUDNESS_HISTORY_PERIOD_MS, Reduce::Last);
        rec.set_sample_rate(48_000.0);
        for block in 0..3000 {
            rec.advance(480, block as f32, &h);
        }
        assert_eq!(h.num_written(), 300);
        let mut out = vec![0.0; LOUDNESS_HISTORY_SLOTS];
        h.copy_in_order(&mut out);
        // Each period ends with the 10th block of it: values 9, 19, ..., 2999.
        for (i, v) in out.iter().enumerate() {
            assert_eq!(*v, (i * 10 + 9) as f32);
        }
    }

    #[test]
    fn max_recorder_keeps_a_short_peak() {
        let h = History::<GAIN_REDUCTION_HISTORY_SLOTS>::new(0.0);
        let mut rec = HistoryRecorder::new(GAIN_REDUCTION_HISTORY_PERIOD_MS, Reduce::Max);
        rec.set_sample_rate(48_000.0);
        // 50 ms = 2400 samples = 5 blocks of 480; a 6 dB peak in one block of the second period.
        for block in 0..10 {
            rec.advance(480, if block == 7 { 6.0 } else { 1.0 }, &h);
        }
        let mut out = vec![0.0; GAIN_REDUCTION_HISTORY_SLOTS];
        h.copy_in_order(&mut out);
        assert_eq!(&out[GAIN_REDUCTION_HISTORY_SLOTS - 2..], &[1.0, 6.0]);
    }
}
