//! The limiter's per-chunk work (steps 1 to 7 of the module documentation, on at most
//! [`CHUNK_SAMPLES`] samples), the bass-hold update and the gain-reduction statistics.

use super::*;

impl Limiter {
    /// One chunk of at most [`CHUNK_SAMPLES`] samples starting at `start` in the block.
    pub(super) fn process_chunk(
        &mut self,
        channels: &mut [&mut [f32]],
        num_channels: usize,
        start: usize,
        len: usize,
    ) {
        let ceiling = self.ceiling_gain;
        let attack = self.attack_samples;
        // 1. Detection, then each channel's requirement.
        for ((channel, detector), required) in channels
            .iter()
            .zip(self.detectors.iter_mut())
            .zip(self.required.iter_mut())
            .take(num_channels)
        {
            if let (Some(x), Some(r)) = (channel.get(start..start + len), required.get_mut(..len)) {
                detector.process(x, r);
                for v in r.iter_mut() {
                    // A non-finite estimate (only from non-finite or near-f32::MAX input)
                    // asks for full reduction.
                    *v = if *v > ceiling {
                        ceiling / *v
                    } else if *v <= ceiling {
                        1.0
                    } else {
                        0.0
                    };
                }
            }
        }
        // 2. Link: the smallest requirement of all channels.
        {
            debug_assert!(
                len <= self.linked_required.len(),
                "limiter chunk of {len} samples is longer than the {} its buffers were sized for",
                self.linked_required.len()
            );
            let Some(linked) = self.linked_required.get_mut(..len) else {
                return;
            };
            linked.iter_mut().for_each(|v| *v = 1.0);
            for required in self.required.iter().take(num_channels) {
                for (l, &r) in linked.iter_mut().zip(required) {
                    *l = min_f32(*l, r);
                }
            }
            if !self.linked {
                let link = self.settings.link;
                for required in self.required.iter_mut().take(num_channels) {
                    for (r, &l) in required.iter_mut().zip(linked.iter()) {
                        *r = min_f32(*r + link * (l - *r), *r);
                    }
                }
            }
        }
        // 3-5. Bass hold per sample, then hold, release and attack per computer.
        let num_computers = if self.linked { 1 } else { num_channels };
        // The bass hold changes only on multiples of BASS_DECIMATION (absolute position).
        let mut from = 0;
        while from < len {
            let index = self.sample_index + from as u64;
            if index.is_multiple_of(BASS_DECIMATION) {
                self.update_bass_hold(channels, num_channels, start + from);
            }
            let to = (from + (BASS_DECIMATION - index % BASS_DECIMATION) as usize).min(len);
            if let Some(h) = self.holds.get_mut(from..to) {
                h.fill(self.bass_hold);
            }
            from = to;
        }
        let (Some(holds), Some(depths)) = (self.holds.get(..len), self.depths.get_mut(..len))
        else {
            return;
        };
        if self.linked {
            if let (Some(c), Some(r)) =
                (self.computers.first_mut(), self.linked_required.get(..len))
            {
                c.smooth(self.sample_index, r, holds, depths);
            }
        } else {
            for (c, required) in self.computers.iter_mut().zip(self.required.iter()) {
                if let Some(r) = required.get(..len) {
                    c.smooth(self.sample_index, r, holds, depths);
                }
            }
        }
        // 6. Safety stage.
        for (k, (computer, gains)) in self
            .computers
            .iter_mut()
            .zip(self.gains.iter_mut())
            .take(num_computers)
            .enumerate()
        {
            let source = if self.linked {
                self.linked_required.get(..len)
            } else {
                self.required.get(k).and_then(|r| r.get(..len))
            };
            let Some(source) = source else {
                continue;
            };
            computer.store_requirements(source, attack);
            if let Some(g) = gains.get_mut(..len) {
                computer.finish_chunk(g, attack);
            }
        }
        if self.linked
            && let Some((first, rest)) = self.gains.split_first_mut()
        {
            for g in rest.iter_mut().take(num_channels.saturating_sub(1)) {
                if let (Some(dst), Some(src)) = (g.get_mut(..len), first.get(..len)) {
                    dst.copy_from_slice(src);
                }
            }
        }
        // 7. Delay the audio and apply the gain.
        let mask = self.delay_mask;
        let write = self.write_pos;
        let read = write.wrapping_sub(self.latency_samples) & mask;
        for ((channel, line), gains) in channels
            .iter_mut()
            .zip(self.delay_lines.iter_mut())
            .zip(self.gains.iter())
            .take(num_channels)
        {
            debug_assert!(
                start + len <= channel.len() && len <= gains.len(),
                "limiter chunk {start}..{} outside the block ({}) or its gains ({})",
                start + len,
                channel.len(),
                gains.len()
            );
            let (Some(x), Some(g)) = (channel.get_mut(start..start + len), gains.get(..len)) else {
                continue;
            };
            // Write the chunk into the ring, then read the delayed chunk (in at most two
            // contiguous pieces each way).
            let (first, second) = x.split_at(((mask + 1) - write).min(len));
            if let Some(dst) = line.get_mut(write..write + first.len()) {
                dst.copy_from_slice(first);
            }
            if let Some(dst) = line.get_mut(..second.len()) {
                dst.copy_from_slice(second);
            }
            let split = ((mask + 1) - read).min(len);
            let (y_first, y_second) = x.split_at_mut(split);
            if let Some(src) = line.get(read..read + split) {
                for ((y, &d), &gain) in y_first.iter_mut().zip(src).zip(g) {
                    *y = d * gain;
                }
            }
            if let (Some(src), Some(g_second)) = (line.get(..len - split), g.get(split..)) {
                for ((y, &d), &gain) in y_second.iter_mut().zip(src).zip(g_second) {
                    *y = d * gain;
                }
            }
            self.block_min_gain = min_f32(self.block_min_gain, slice_min(g));
        }
        if self.collect_stats {
            self.count_stats(num_channels, len);
        }
        self.current_gain = self
            .gains
            .iter()
            .take(num_channels)
            .filter_map(|g| g.get(len.saturating_sub(1)))
            .fold(1.0, |m: f32, &v| m.min(v));
        self.write_pos = (write + len) & mask;
        self.sample_index += len as u64;
    }

    /// Adds the chunk's per-sample gain reduction (largest over the channels) to the stats.
    fn count_stats(&mut self, num_channels: usize, len: usize) {
        let active_gain = db_to_gain(-ACTIVE_GAIN_REDUCTION_DB);
        for i in 0..len {
            let g = self
                .gains
                .iter()
                .take(num_channels)
                .filter_map(|g| g.get(i))
                .fold(1.0f32, |m, &v| m.min(v));
            if g < active_gain {
                let db = gain_reduction_db(g);
                self.stats.active_sum_db += f64::from(db);
                self.stats.num_active_samples += 1;
                self.stats.max_db = self.stats.max_db.max(db);
            }
        }
        self.stats.num_samples += len as u64;
    }

    /// Updates the bass hold from the channels' half-period trackers (run every
    /// [`BASS_DECIMATION`] samples).
    fn update_bass_hold(&mut self, channels: &[&mut [f32]], num_channels: usize, pos: usize) {
        let mut loudest = 0.0f32;
        for (channel, tracker) in channels
            .iter()
            .zip(self.trackers.iter_mut())
            .take(num_channels)
        {
            tracker.process(channel.get(pos).copied().unwrap_or(0.0));
            loudest = loudest.max(tracker.level());
        }
        let mut half_period = 0u32;
        for tracker in self.trackers.iter().take(num_channels) {
            if tracker.level() >= BASS_HOLD_LEVEL_FRACTION * loudest {
                half_period = half_period.max(tracker.half_period_samples());
            }
        }
        let samples = half_period as f32 * BASS_DECIMATION as f32 * BASS_HOLD_HALF_PERIODS;
        self.bass_hold = if samples > self.max_bass_hold_samples as f32 {
            0
        } else {
            samples as u32
        };
    }
}

/// Smallest value of a slice (1 if empty), with eight independent lanes so it vectorises.
fn slice_min(values: &[f32]) -> f32 {
    let mut lanes = [1.0f32; 8];
    let mut chunks = values.chunks_exact(8);
    for chunk in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l = min_f32(*l, v);
        }
    }
    let tail = chunks.remainder().iter().fold(1.0, |m, &v| min_f32(m, v));
    lanes.iter().fold(tail, |m, &v| min_f32(m, v))
}
