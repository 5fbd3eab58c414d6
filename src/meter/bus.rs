//! The audio-thread-to-GUI meter bus: plain atomics, written by the audio thread, read by any
//! thread. No locks, no allocation on either side.

use atomic_float::AtomicF32;
use std::sync::atomic::Ordering;

/// Value meaning "no reading yet / undefined" (e.g. integrated loudness of silence).
pub const NO_READING: f32 = f32::NEG_INFINITY;

/// Output meter values published by the audio thread. All loudness figures in LUFS, ranges in
/// LU, peaks in dBTP / dBFS.
#[derive(Debug)]
pub struct MeterBus {
    /// Momentary loudness (400 ms window), LUFS.
    pub momentary_lufs: AtomicF32,
    /// Short-term loudness (3 s window), LUFS.
    pub short_term_lufs: AtomicF32,
    /// Integrated (gated) loudness since the last reset, LUFS.
    pub integrated_lufs: AtomicF32,
    /// Loudness range (EBU Tech 3342) since the last reset, LU.
    pub loudness_range_lu: AtomicF32,
    /// Highest true peak since the last reset, dBTP.
    pub true_peak_max_dbtp: AtomicF32,
    /// Peak-hold of the true peak: the audio thread raises it, the GUI reads and clears it.
    true_peak_hold_dbtp: AtomicF32,
}

impl Default for MeterBus {
    fn default() -> Self {
        Self {
            momentary_lufs: AtomicF32::new(NO_READING),
            short_term_lufs: AtomicF32::new(NO_READING),
            integrated_lufs: AtomicF32::new(NO_READING),
            loudness_range_lu: AtomicF32::new(NO_READING),
            true_peak_max_dbtp: AtomicF32::new(NO_READING),
            true_peak_hold_dbtp: AtomicF32::new(NO_READING),
        }
    }
}

impl MeterBus {
    /// Raises the peak hold to `dbtp` if it is higher (audio thread).
    pub fn raise_true_peak_hold(&self, dbtp: f32) {
        self.true_peak_hold_dbtp.fetch_max(dbtp, Ordering::Relaxed);
    }

    /// Returns the peak held since the previous call and clears it (GUI thread).
    pub fn take_true_peak_hold(&self) -> f32 {
        self.true_peak_hold_dbtp.swap(NO_READING, Ordering::Relaxed)
    }

    /// Clears every reading (on reset or a transport restart).
    pub fn clear(&self) {
        for v in [
            &self.momentary_lufs,
            &self.short_term_lufs,
            &self.integrated_lufs,
            &self.loudness_range_lu,
            &self.true_peak_max_dbtp,
            &self.true_peak_hold_dbtp,
        ] {
            v.store(NO_READING, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_hold_keeps_max_until_read() {
        let bus = MeterBus::default();
        bus.raise_true_peak_hold(-6.0);
        bus.raise_true_peak_hold(-3.0);
        bus.raise_true_peak_hold(-9.0);
        assert_eq!(bus.take_true_peak_hold(), -3.0);
        assert_eq!(bus.take_true_peak_hold(), NO_READING);
    }
}
