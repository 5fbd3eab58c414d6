//! Integer-sample delay line for planar audio: aligns the dry path with the processed path
//! (latency compensation for bypass and A/B), and serves any stage that needs a plain delay.

/// Up to `max_delay_samples` of delay per channel, changeable at run time without allocation.
#[derive(Debug, Clone, Default)]
pub struct DelayLine {
    /// One ring buffer per channel, each `capacity` long.
    buffers: Vec<Vec<f32>>,
    capacity: usize,
    write_pos: usize,
    delay_samples: usize,
}

impl DelayLine {
    /// Allocates storage for `num_channels` channels and delays up to `max_delay_samples`.
    pub fn configure(&mut self, num_channels: usize, max_delay_samples: usize) {
        self.capacity = max_delay_samples + 1;
        self.buffers = vec![vec![0.0; self.capacity]; num_channels];
        self.write_pos = 0;
        self.delay_samples = self.delay_samples.min(max_delay_samples);
    }

    /// Sets the delay, clamped to the configured maximum. Does not clear the buffer.
    pub fn set_delay_samples(&mut self, delay_samples: usize) {
        self.delay_samples = delay_samples.min(self.capacity.saturating_sub(1));
    }

    /// The current delay in samples.
    pub fn delay_samples(&self) -> usize {
        self.delay_samples
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
            let mut w = start;
            for s in ch.iter_mut().take(num_samples) {
                let r = (w + self.capacity - self.delay_samples) % self.capacity;
                if let Some(slot) = buf.get_mut(w) {
                    *slot = *s;
                }
                *s = buf.get(r).copied().unwrap_or(0.0);
                w += 1;
                if w == self.capacity {
                    w = 0;
                }
            }
        }
        self.write_pos = (start + num_samples) % self.capacity;
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
}
