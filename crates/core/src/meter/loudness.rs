//! Real-time loudness meter for the audio thread: ITU-R BS.1770-4 / EBU R128 momentary,
//! short-term, integrated, loudness range and true peak, computed by the `ebur128` crate in
//! histogram mode (constant memory however long the session runs).

use super::bus::{MeterBus, NO_READING};
use crate::dsp::gain_to_db;
use ebur128::{EbuR128, Mode};
use std::sync::atomic::Ordering;

/// How often the (comparatively costly) gated values are recomputed and published, in ms.
/// EBU Tech 3341 asks for at least 10 Hz; we publish at 20 Hz.
const PUBLISH_INTERVAL_MS: f32 = 50.0;

/// Loudness and true-peak meter over planar channels.
pub struct LoudnessMeter {
    meter: Option<EbuR128>,
    num_channels: usize,
    samples_until_publish: usize,
    publish_interval_samples: usize,
}

impl Default for LoudnessMeter {
    fn default() -> Self {
        Self {
            meter: None,
            num_channels: 0,
            samples_until_publish: 0,
            publish_interval_samples: 1,
        }
    }
}

impl LoudnessMeter {
    /// Allocates the meter for a channel count and sample rate (not on the audio thread).
    pub fn configure(&mut self, num_channels: usize, sample_rate_hz: f32) {
        let mode = Mode::M | Mode::S | Mode::I | Mode::LRA | Mode::TRUE_PEAK | Mode::HISTOGRAM;
        self.meter = EbuR128::new(num_channels as u32, sample_rate_hz.round() as u32, mode).ok();
        self.num_channels = num_channels;
        self.publish_interval_samples =
            ((PUBLISH_INTERVAL_MS * 0.001 * sample_rate_hz) as usize).max(1);
        self.samples_until_publish = self.publish_interval_samples;
    }

    /// Forgets all history (allocation-free).
    pub fn reset(&mut self) {
        if let Some(m) = self.meter.as_mut() {
            m.reset();
        }
        self.samples_until_publish = self.publish_interval_samples;
    }

    /// Feeds a block (1 or 2 planar channels) and publishes to `bus` when due.
    pub fn process(&mut self, channels: &[&mut [f32]], bus: &MeterBus) {
        let Some(meter) = self.meter.as_mut() else {
            return;
        };
        let num_samples = channels.first().map_or(0, |c| c.len());
        if num_samples == 0 || channels.len() != self.num_channels {
            return;
        }
        let added = match channels {
            [mono] => meter.add_frames_planar_f32(&[&mono[..]]),
            [l, r] => meter.add_frames_planar_f32(&[&l[..], &r[..]]),
            _ => return,
        };
        if added.is_err() {
            return;
        }

        let mut block_tp = 0.0f64;
        for ch in 0..self.num_channels as u32 {
            block_tp = block_tp.max(meter.prev_true_peak(ch).unwrap_or(0.0));
        }
        let block_tp_db = gain_to_db(block_tp as f32);
        bus.raise_true_peak_hold(block_tp_db);
        bus.true_peak_max_dbtp
            .fetch_max(block_tp_db, Ordering::Relaxed);

        if num_samples >= self.samples_until_publish {
            self.samples_until_publish = self.publish_interval_samples;
            let read = |v: Result<f64, ebur128::Error>| match v {
                Ok(x) if x.is_finite() => x as f32,
                _ => NO_READING,
            };
            bus.momentary_lufs
                .store(read(meter.loudness_momentary()), Ordering::Relaxed);
            bus.short_term_lufs
                .store(read(meter.loudness_shortterm()), Ordering::Relaxed);
            bus.integrated_lufs
                .store(read(meter.loudness_global()), Ordering::Relaxed);
            bus.loudness_range_lu
                .store(read(meter.loudness_range()), Ordering::Relaxed);
        } else {
            self.samples_until_publish -= num_samples;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishes_minus_23_for_reference_sine() {
        let sr = 48_000.0f32;
        let mut meter = LoudnessMeter::default();
        meter.configure(2, sr);
        let bus = MeterBus::default();
        let amp = 10f32.powf(-23.0 / 20.0);
        let n = (sr as usize) * 10;
        let sine: Vec<f32> = (0..n)
            .map(|i| amp * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / sr).sin())
            .collect();
        let mut l = sine.clone();
        let mut r = sine;
        for (lc, rc) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
            meter.process(&[lc, rc], &bus);
        }
        let i = bus.integrated_lufs.load(Ordering::Relaxed);
        let m = bus.momentary_lufs.load(Ordering::Relaxed);
        assert!((i + 23.0).abs() < 0.1, "integrated {i}");
        assert!((m + 23.0).abs() < 0.1, "momentary {m}");
        let tp = bus.true_peak_max_dbtp.load(Ordering::Relaxed);
        assert!((tp + 23.0).abs() < 0.2, "true peak {tp}");
    }
}
