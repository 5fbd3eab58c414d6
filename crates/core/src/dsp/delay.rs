//! Integer-sample delay line for planar audio: aligns the dry path with the processed path
//! (latency compensation for bypass and A/B), and serves any stage that needs a plain delay.

/// Extra ring length beyond the largest delay, samples: the ring is served in runs that
/// neither wrap nor overlap their own reads, and this keeps such runs long even at the
/// largest delay.
const RUN_HEADROOM_SAMPLES: usize = 256;

/// Up to `max_delay_samples` of delay per channel, changeable at run time without allocation.
#[derive(Debug, Clone, Default)]
pub struct DelayLine {
    /// One ring buffer per channel, each `capacity` long.
    buffers: Vec<Vec<f32>>,
    capacity: usize,
    max_delay_samples: usize,
    write_pos: usize,
    delay_samples: usize,
}

impl DelayLine {
    /// Allocates storage for `num_channels` channels and delays up to `max_delay_samples`.
    pub fn configure(&mut self, num_channels: usize, max_delay_samples: usize) {
        self.max_delay_samples = max_delay_samples;
        self.capacity = max_delay_samples + 1 + RUN_HEADROOM_SAMPLES;
        self.buffers = vec![vec![0.0; self.capacity]; num_channels];
        self.write_pos = 0;
        self.delay_samples = self.delay_samples.min(max_delay_samples);
    }

    /// Sets the delay, clamped to the configured maximum. Does not clear the buffer.
    pub fn set_delay_samples(&mut self, delay_samples: usize) {
        self.delay_samples = delay_samples.min(self.max_delay_samples);
    }

    /// The current delay in samples.
    pub fn delay_samples(&self) -> usize {
        self.delay_samples
    }

    /// The samples of `channel` that are still to come out, oldest first: the last
    /// [`Self::delay_samples`] written, as two slices (the ring may wrap between them).
    pub fn pending(&self, channel: usize) -> (&[f32], &[f32]) {
        let Some(buf) = self.buffers.get(channel) else {
            return (&[], &[]);
        };
        let capacity = buf.len();
        if capacity == 0 {
            return (&[], &[]);
        }
        let d = self.delay_samples.min(capacity - 1);
        let start = (self.write_pos + capacity - d) % capacity;
        let end = start + d;
        if end <= capacity {
            (buf.get(start..end).unwrap_or(&[]), &[])
        } else {
            (
                buf.get(start..).unwrap_or(&[]),
                buf.get(..end - capacity).unwrap_or(&[]),
            )
        }
    }

    /// Clears the stored audio.
    pub fn reset(&mut self) {
        for b in &mut self.buffers {
            b.iter_mut().for_each(|s| *s = 0.0);
        }
        self.write_pos = 0;
    }

    /// Delays every channel in place. Channels beyond the configured count pass unchanged.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        if self.capacity == 0 {
            return;
        }
        let num_samples = channels.first().map_or(0, |c| c.len());
        let start = self.write_pos;
        for (ch, buf) in channels.iter_mut().zip(self.buffers.iter_mut()) {
            let len = ch.len().min(num_samples);
            if let Some(ch) = ch.get_mut(..len) {
                delay_channel(ch, buf, start, self.delay_samples);
            }
        }
        self.write_pos = (start + num_samples) % self.capacity;
    }
}

/// Writes `ch` into the ring `buf` from `write_pos` on and replaces each sample by the one
/// `delay` samples older, in runs where the written and the read part of the ring are
/// disjoint and do not wrap (so each run is a plain element-wise exchange). `delay` must be
/// below `buf.len()`.
fn delay_channel(ch: &mut [f32], buf: &mut [f32], write_pos: usize, delay: usize) {
    let capacity = buf.len();
    if capacity == 0 || delay >= capacity {
        return;
    }
    let mut w = write_pos % capacity;
    let mut pos = 0;
    while pos < ch.len() {
        let r = (w + capacity - delay) % capacity;
        let mut run = (ch.len() - pos).min(capacity - w);
        if delay > 0 {
            // Reads behind the writes (r < w) end before them when run <= delay; reads ahead
            // (r > w) start after them when run <= r - w.
            run = run.min(capacity - r).min(delay);
            if r > w {
                run = run.min(r - w);
            }
        }
        debug_assert!(
            pos + run <= ch.len(),
            "delay run {pos}..{} outside the channel of {} samples",
            pos + run,
            ch.len()
        );
        let Some(input) = ch.get_mut(pos..pos + run) else {
            return;
        };
        if delay == 0 {
            if let Some(slot) = buf.get_mut(w..w + run) {
                slot.copy_from_slice(input);
            }
        } else if r < w {
            if let Some((older, newer)) = buf.split_at_mut_checked(w)
                && let (Some(read), Some(write)) = (older.get(r..r + run), newer.get_mut(..run))
            {
                exchange(input, read, write);
            }
        } else {
            if let Some((newer, older)) = buf.split_at_mut_checked(r)
                && let (Some(read), Some(write)) = (older.get(..run), newer.get_mut(w..w + run))
            {
                exchange(input, read, write);
            }
        }
        pos += run;
        w = (w + run) % capacity;
    }
}

/// `write <- io`, `io <- read`, element by element (the three slices are the same length).
#[inline]
fn exchange(io: &mut [f32], read: &[f32], write: &mut [f32]) {
    for ((x, &old), slot) in io.iter_mut().zip(read).zip(write.iter_mut()) {
        *slot = *x;
        *x = old;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_comes_out_after_the_delay_for_any_block_size() {
        for block in [1usize, 3, 64, 1000] {
            let mut d = DelayLine::default();
            d.configure(2, 100);
            d.set_delay_samples(37);
            let mut l = vec![0.0f32; 300];
            l[5] = 1.0;
            let mut r = l.clone();
            r[5] = -0.5;
            for (lc, rc) in l.chunks_mut(block).zip(r.chunks_mut(block)) {
                d.process(&mut [lc, rc]);
            }
            assert_eq!(l.iter().position(|&s| s == 1.0), Some(42), "block {block}");
            assert_eq!(r.iter().position(|&s| s == -0.5), Some(42), "block {block}");
            assert_eq!(l.iter().filter(|&&s| s != 0.0).count(), 1);
        }
    }

    #[test]
    fn zero_delay_is_identity() {
        let mut d = DelayLine::default();
        d.configure(1, 10);
        let mut x: Vec<f32> = (0..50).map(|i| i as f32).collect();
        let expected = x.clone();
        d.process(&mut [&mut x]);
        assert_eq!(x, expected);
    }

    #[test]
    fn every_sample_is_the_input_from_the_delay_before_for_any_blocks_and_delay_changes() {
        // Reference: y[t] = x[t - d(t)] (0 before the start), whatever the block cut and the
        // delay in force for each block, up to the largest delay.
        let max_delay = 700;
        let x: Vec<f32> = (1..=5000).map(|i| i as f32).collect();
        let mut d = DelayLine::default();
        d.configure(1, max_delay);
        let mut y = x.clone();
        let mut delays = Vec::new();
        let mut start = 0;
        for (k, block) in [1usize, 300, 7, 1024, 64, 999, 2, 700, 1000]
            .iter()
            .cycle()
            .enumerate()
        {
            if start >= x.len() {
                break;
            }
            let delay = [0usize, 1, 699, 700, 256, 257, 3, 700][k % 8];
            d.set_delay_samples(delay);
            let end = (start + block).min(x.len());
            d.process(&mut [&mut y[start..end]]);
            delays.extend(std::iter::repeat_n(delay, end - start));
            start = end;
        }
        for (t, (&got, &delay)) in y.iter().zip(&delays).enumerate() {
            let want = if t >= delay { x[t - delay] } else { 0.0 };
            assert_eq!(got, want, "sample {t}, delay {delay}");
        }
    }
}
