//! The per-channel gain computer of the limiter (steps 3 to 6 of the algorithm in the parent
//! module): hold, release, attack smoothing and the safety clamp.

use super::envelope::{ATTACK_BLOCK, AdaptiveRelease, AttackSmoother, FixedWindowMin, SlidingMin};
use super::{BASS_DECIMATION, CHUNK_SAMPLES, GUARD_SAMPLES, min_f32};

/// Samples around each peak on which the gain is flat: the peak's sample, its two neighbours
/// (the peak lies between them) and [`GUARD_SAMPLES`] more on each side.
pub(crate) const FLAT_SAMPLES: usize = 2 * GUARD_SAMPLES + 3;
/// Block length of the bass hold's minima, samples: the period at which the bass hold length
/// may change, so it is constant within a block.
const HOLD_BLOCK_SAMPLES: u64 = BASS_DECIMATION;
// The attack smoother takes a whole chunk at once.
const _: () = assert!(CHUNK_SAMPLES <= ATTACK_BLOCK);

/// Capacity of the requirement history for the safety stage, in chunks (the history is moved
/// back to the front of its buffer once per this many chunks).
const HISTORY_CHUNKS: usize = 8;

/// The gain computer of one channel (or of all channels, when fully linked).
#[derive(Debug, Clone)]
pub(crate) struct GainComputer {
    /// Minimum requirement over the lookahead window (`attack + FLAT_SAMPLES`).
    window: FixedWindowMin,
    /// Minima of completed 8-sample blocks of those minima, for the bass hold (0 to
    /// [`super::MAX_BASS_HOLD_MS`]), and the minimum of the block being filled.
    hold: SlidingMin,
    block_min: f32,
    /// Minimum of the completed blocks the bass hold covers, looked up at each block start.
    blocks_min: f32,
    pub(crate) release: AdaptiveRelease,
    pub(crate) attack: AttackSmoother,
    /// Requirements in time order: `attack + FLAT_SAMPLES - 1` earlier ones, then the chunk's
    /// (room for [`HISTORY_CHUNKS`] chunks before the history is moved back to the front).
    history: Vec<f32>,
    /// Where the current chunk starts in `history`.
    history_pos: usize,
    /// Smoothed gain of each sample of the chunk, before the safety stage.
    smoothed: Vec<f32>,
    /// Scratch for the safety stage's sliding minimum.
    window_min: Vec<f32>,
    window_min_next: Vec<f32>,
}

impl GainComputer {
    pub(crate) fn new(max_bass_hold_samples: usize, max_attack_samples: usize) -> Self {
        let history_len = max_attack_samples + FLAT_SAMPLES + HISTORY_CHUNKS * CHUNK_SAMPLES;
        Self {
            window: FixedWindowMin::new(max_attack_samples + FLAT_SAMPLES),
            hold: SlidingMin::new(max_bass_hold_samples / HOLD_BLOCK_SAMPLES as usize + 2),
            block_min: 1.0,
            blocks_min: 1.0,
            release: AdaptiveRelease::default(),
            attack: AttackSmoother::new(max_attack_samples + 2),
            history: vec![1.0; history_len],
            history_pos: 0,
            smoothed: vec![1.0; CHUNK_SAMPLES],
            window_min: vec![1.0; CHUNK_SAMPLES + FLAT_SAMPLES],
            window_min_next: vec![1.0; CHUNK_SAMPLES + FLAT_SAMPLES],
        }
    }

    pub(crate) fn reset(&mut self, attack: usize) {
        self.window.set_window(attack + FLAT_SAMPLES);
        self.hold.reset();
        self.block_min = 1.0;
        self.blocks_min = 1.0;
        self.release.reset();
        self.attack.reset();
        self.history.iter_mut().for_each(|r| *r = 1.0);
        self.history_pos = attack + FLAT_SAMPLES - 1;
    }

    pub(crate) fn copy_from(&mut self, other: &Self) {
        self.window.copy_from(&other.window);
        self.hold.copy_from(&other.hold);
        self.block_min = other.block_min;
        self.blocks_min = other.blocks_min;
        self.release = other.release;
        self.attack.copy_from(&other.attack);
        if self.history.len() == other.history.len() {
            self.history.copy_from_slice(&other.history);
        }
        self.history_pos = other.history_pos;
    }

    /// Stores the chunk's requirements (moving the history to the front first if needed).
    pub(crate) fn store_requirements(&mut self, required: &[f32], attack: usize) {
        let keep = attack + FLAT_SAMPLES - 1;
        if self.history_pos + required.len() > self.history.len() && self.history_pos >= keep {
            self.history
                .copy_within(self.history_pos - keep..self.history_pos, 0);
            self.history_pos = keep;
        }
        if let Some(dst) = self
            .history
            .get_mut(self.history_pos..self.history_pos + required.len())
        {
            dst.copy_from_slice(required);
        }
    }

    /// Steps 3 to 5 for a chunk: takes the requirements of detector samples
    /// `first_index + i` and the bass hold of each (samples), writes the smoothed gains for
    /// detector samples `first_index + i - attack - guard - 1` to `self.smoothed`.
    ///
    /// Hold: the minimum over the lookahead window, then the minimum of that over the last
    /// `bass hold + 1` samples, which is the minimum requirement over `attack + FLAT_SAMPLES +
    /// bass hold` samples.
    pub(crate) fn smooth(
        &mut self,
        first_index: u64,
        required: &[f32],
        bass_holds: &[u32],
        depths: &mut [f64],
    ) {
        let mut release = self.release;
        for (i, ((&r, &bass), depth)) in required
            .iter()
            .zip(bass_holds)
            .zip(depths.iter_mut())
            .enumerate()
        {
            let index = first_index + i as u64;
            let windowed = self.window.push(r);
            // Bass hold over 8-sample blocks (by absolute position; the bass hold length
            // changes only on block starts): the minimum of the completed blocks it covers is
            // looked up once per block, then combined with the running minimum of the current
            // block. It reaches back to the start of the block that holds `index - bass`, so
            // it is up to 7 samples longer than asked, never shorter.
            if index.is_multiple_of(HOLD_BLOCK_SAMPLES) {
                self.block_min = 1.0;
                self.blocks_min = if bass == 0 {
                    1.0
                } else {
                    // Blocks before the hold are dropped: if the hold lengthens again, it
                    // starts from what is left (a slightly shorter hold for a moment, never
                    // less than the lookahead window that the ceiling relies on).
                    let first_block = index.saturating_sub(bass as u64) / HOLD_BLOCK_SAMPLES;
                    self.hold.expire_before(first_block);
                    self.hold.min_since(first_block)
                };
            }
            // `f32::min` in this serial loop: it compiles to branch-free code, where a plain
            // comparison may become an unpredictable branch.
            self.block_min = self.block_min.min(windowed);
            let held = if bass == 0 {
                windowed
            } else {
                self.block_min.min(self.blocks_min)
            };
            if index % HOLD_BLOCK_SAMPLES == HOLD_BLOCK_SAMPLES - 1 {
                self.hold.push(index / HOLD_BLOCK_SAMPLES, self.block_min);
            }
            *depth = release.process(1.0 - held as f64);
        }
        release.flush();
        self.release = release;
        let n = required.len().min(depths.len());
        if let (Some(d), Some(g)) = (depths.get(..n), self.smoothed.get_mut(..n)) {
            self.attack.process_block(d, g);
        }
    }

    /// Step 6 for the chunk whose requirements were stored last: clamps each smoothed gain to
    /// the exact requirement of every peak whose flat zone holds the sample (the
    /// `FLAT_SAMPLES` requirements ending `attack` samples back), writes the final gains and
    /// advances the history.
    pub(crate) fn finish_chunk(&mut self, gains: &mut [f32], attack: usize) {
        let n = gains.len();
        let first = self.history_pos + 1 - FLAT_SAMPLES;
        let first = first.saturating_sub(attack);
        if let (Some(hist), Some(smoothed)) = (
            self.history.get(first..first + n + FLAT_SAMPLES - 1),
            self.smoothed.get(..n),
        ) {
            // Sliding minimum of width FLAT_SAMPLES by doubling: minima over 2, 4, 8, 16
            // samples (ping-pong between two buffers), then two overlapping 16-sample minima
            // cover the window; every pass is a vector loop.
            let len = n + FLAT_SAMPLES - 1;
            let (Some(mut a), Some(mut b)) = (
                self.window_min.get_mut(..len),
                self.window_min_next.get_mut(..len),
            ) else {
                return;
            };
            a.copy_from_slice(hist);
            let mut width = 1;
            while 2 * width <= FLAT_SAMPLES {
                for ((d, &x), &y) in b.iter_mut().zip(a.iter()).zip(a.iter().skip(width)) {
                    *d = min_f32(x, y);
                }
                std::mem::swap(&mut a, &mut b);
                width *= 2;
            }
            let offset = FLAT_SAMPLES - width;
            if let (Some(lo), Some(hi), Some(g)) =
                (a.get(..n), a.get(offset..offset + n), gains.get_mut(..n))
            {
                for (((g, &s), &x), &y) in g.iter_mut().zip(smoothed).zip(lo).zip(hi) {
                    *g = min_f32(s, min_f32(x, y));
                }
            }
        }
        self.history_pos += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a computer over requirements in chunks; returns the final gain of each detector
    /// sample (index shifted back by the computer's delay).
    fn gains_for(required: &[f32], attack: usize) -> Vec<f32> {
        let mut c = GainComputer::new(100, attack);
        c.release.set_times(50.0, 48_000.0);
        let first = (attack + 2) / 2;
        c.attack.set_lengths(first, attack + 2 - first);
        c.reset(attack);
        let delay = attack + GUARD_SAMPLES + 1;
        let mut out = Vec::new();
        let mut depths = vec![0.0; CHUNK_SAMPLES];
        let holds = vec![0u32; CHUNK_SAMPLES];
        for (k, chunk) in required.chunks(CHUNK_SAMPLES).enumerate() {
            let n = chunk.len();
            c.smooth(
                (k * CHUNK_SAMPLES) as u64,
                chunk,
                &holds[..n],
                &mut depths[..n],
            );
            c.store_requirements(chunk, attack);
            let mut g = vec![0.0; n];
            c.finish_chunk(&mut g, attack);
            out.extend(g);
        }
        out.split_off(delay)
    }

    #[test]
    fn gain_reaches_the_requirement_before_the_peak_and_stays_flat_around_it() {
        let attack = 20;
        let peak = 300;
        let mut required = vec![1.0f32; 1000];
        required[peak] = 0.5;
        let g = gains_for(&required, attack);
        // Untouched until the attack starts, then an S-curve down without overshoot.
        let flat_start = peak - GUARD_SAMPLES - 1;
        let ramp_start = flat_start - attack;
        assert!(g[..ramp_start].iter().all(|&v| v == 1.0));
        let ramp = &g[ramp_start..flat_start];
        assert!(ramp.windows(2).all(|w| w[1] <= w[0]), "{ramp:?}");
        assert!(ramp.iter().all(|&v| v > 0.5 && v <= 1.0));
        // Exactly the required gain on the flat zone around the peak.
        assert!(
            g[flat_start..flat_start + FLAT_SAMPLES]
                .iter()
                .all(|&v| v == 0.5)
        );
        // Then it recovers, never below the requirement.
        assert!(g[flat_start + FLAT_SAMPLES] > 0.5);
        assert!(g.iter().all(|&v| v >= 0.5));
    }

    #[test]
    fn the_safety_clamp_holds_even_a_single_sample_requirement() {
        // Two peaks close together: the deeper one must be met on its whole flat zone even
        // while the attack towards it overlaps the first.
        let attack = 8;
        let mut required = vec![1.0f32; 600];
        required[200] = 0.7;
        required[205] = 0.3;
        let g = gains_for(&required, attack);
        for (p, r) in [(200usize, 0.7f32), (205, 0.3)] {
            let zone = p - GUARD_SAMPLES - 1..=p + GUARD_SAMPLES + 1;
            assert!(g[zone].iter().all(|&v| v <= r), "peak {p}");
        }
    }
}
