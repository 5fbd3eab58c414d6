//! Percussiveness streamed: the 10 ms frame energies of the differentiated mid are summed as
//! the samples arrive, and each frame is judged against its +/- 150 ms neighbourhood once the
//! frames after it are in, so only the last 32 frames are kept.

use super::{PERCUSSION_FRAME_MS, PERCUSSION_NEIGHBOURS, PERCUSSION_RATIO};
use std::collections::VecDeque;

/// Frames kept: a frame's neighbourhood reaches [`PERCUSSION_NEIGHBOURS`] back from it, and it
/// is judged [`PERCUSSION_NEIGHBOURS`] frames after it ends.
const KEPT: usize = 2 * PERCUSSION_NEIGHBOURS + 2;

/// The value `Iterator::sum` starts an `f64` sum from (-0.0 in current Rust), so the sums here
/// are the whole-slice sums bit for bit, sign of zero included.
fn sum_start() -> f64 {
    std::iter::empty::<f64>().sum()
}

/// [`super::percussiveness`] fed block by block.
#[derive(Debug, Clone)]
pub(super) struct Percussion {
    frame_len: usize,
    /// The previous sample (the first sample is its own predecessor).
    prev: Option<f32>,
    /// Energy and samples of the unfinished frame.
    frame_energy: f64,
    frame_fill: usize,
    /// Sum of all frame energies, in order.
    total: f64,
    /// Prefix sum of the frame energies up to the last finished frame (P_n).
    prefix: f64,
    /// (energy e_k, prefix P_k before it) of the last [`KEPT`] frames.
    recent: VecDeque<(f64, f64)>,
    /// Frames finished, and frames judged.
    finished: usize,
    judged: usize,
    /// Sum of the transient frames' energies, in order.
    transient: f64,
}

impl Percussion {
    /// 10 ms frames at `sample_rate_hz`.
    pub(super) fn new(sample_rate_hz: f32) -> Self {
        let frame_len = ((PERCUSSION_FRAME_MS / 1000.0 * sample_rate_hz).round() as usize).max(1);
        Self {
            frame_len,
            prev: None,
            frame_energy: sum_start(),
            frame_fill: 0,
            total: sum_start(),
            prefix: 0.0,
            recent: VecDeque::with_capacity(KEPT + 1),
            finished: 0,
            judged: 0,
            transient: sum_start(),
        }
    }

    /// The next samples of the mid signal.
    pub(super) fn push(&mut self, mid: &[f32]) {
        let Some(&first) = mid.first() else { return };
        let mut prev = *self.prev.get_or_insert(first);
        let mut pos = 0;
        while pos < mid.len() {
            let take = (self.frame_len - self.frame_fill).min(mid.len() - pos);
            let mut energy = self.frame_energy;
            for &x in &mid[pos..pos + take] {
                let d = f64::from(x - prev);
                prev = x;
                energy += d * d;
            }
            self.frame_energy = energy;
            self.frame_fill += take;
            pos += take;
            if self.frame_fill == self.frame_len {
                self.finish_frame();
            }
        }
        self.prev = Some(prev);
    }

    fn finish_frame(&mut self) {
        let e = self.frame_energy;
        self.frame_energy = sum_start();
        self.frame_fill = 0;
        self.total += e;
        self.recent.push_back((e, self.prefix));
        if self.recent.len() > KEPT {
            self.recent.pop_front();
        }
        self.prefix += e;
        self.finished += 1;
        // A frame's neighbourhood ends PERCUSSION_NEIGHBOURS frames after it.
        while self.judged + PERCUSSION_NEIGHBOURS < self.finished {
            self.judge(self.judged + PERCUSSION_NEIGHBOURS + 1);
        }
    }

    /// (energy, prefix before it) of finished frame `k`, still kept.
    fn kept(&self, k: usize) -> (f64, f64) {
        self.recent[k + self.recent.len() - self.finished]
    }

    /// Judges the next frame, whose neighbourhood ends at frame `hi` (exclusive).
    fn judge(&mut self, hi: usize) {
        let i = self.judged;
        let lo = i.saturating_sub(PERCUSSION_NEIGHBOURS);
        let prefix_hi = if hi == self.finished {
            self.prefix
        } else {
            self.kept(hi).1
        };
        let prefix_lo = self.kept(lo).1;
        let e = self.kept(i).0;
        let mean = (prefix_hi - prefix_lo) / (hi - lo) as f64;
        if e > 0.0 && e >= PERCUSSION_RATIO * mean {
            self.transient += e;
        }
        self.judged += 1;
    }

    /// The percussiveness of everything pushed, 0..1.
    pub(super) fn finish(mut self) -> f32 {
        if self.frame_fill > 0 {
            self.finish_frame();
        }
        while self.judged < self.finished {
            self.judge(self.finished);
        }
        let total = self.total;
        if !(total > 0.0 && total.is_finite()) {
            return 0.0;
        }
        (self.transient / total) as f32
    }
}
