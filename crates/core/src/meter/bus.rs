//! The audio-thread-to-GUI meter bus: plain atomics, written by the audio thread, read by any
//! thread. No locks, no allocation on either side.

use super::history::{GAIN_REDUCTION_HISTORY_SLOTS, History, LOUDNESS_HISTORY_SLOTS};
use super::resonance_display::ResonanceDisplay;
use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Limiter gain reduction at the end of the last block, dB (>= 0).
    pub gain_reduction_db: AtomicF32,
    /// Peak-hold of the limiter gain reduction, dB: raised by the audio thread, read and
    /// cleared by the GUI.
    gain_reduction_hold_db: AtomicF32,
    /// Peak-hold of the multiband gain reduction per band (low, mid, high), dB.
    band_gain_reduction_hold_db: [AtomicF32; 3],
    /// Gain applied to the dry signal while Compare plays, dB: the Match Loudness gain after
    /// the ceiling cap (0 when Compare is off; a host bypass is never levelled). Written by the
    /// audio thread, shown by the editor so the user sees how much the comparison was levelled.
    pub match_offset_db: AtomicF32,
    /// True while an editor window is open. The editor sets it on open and clears it on
    /// close; the audio thread reads it to skip GUI-only feeds (spectrum, vectorscope) when
    /// nobody is looking.
    pub editor_open: AtomicBool,
    /// Phase correlation of the output, -1..+1 (0 for silence), over 300 ms
    /// ([`super::stereo_meter`]).
    pub correlation: AtomicF32,
    /// Sample rate the plugin runs at, Hz (the editor draws the EQ curve at it).
    pub sample_rate_hz: AtomicF32,
    /// Short-term loudness of the output, one value per 100 ms over the last 30 s, LUFS.
    pub short_term_history: History<LOUDNESS_HISTORY_SLOTS>,
    /// Limiter gain reduction, the largest per 50 ms over the last 10 s, dB (>= 0).
    pub gain_reduction_history: History<GAIN_REDUCTION_HISTORY_SLOTS>,
    /// The resonance stage's current reduction per display band, mid and side (written only
    /// while an editor is open, see [`super::EditorFeeds::capture_resonance`]).
    pub resonance: ResonanceDisplay,
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
            gain_reduction_db: AtomicF32::new(0.0),
            gain_reduction_hold_db: AtomicF32::new(0.0),
            band_gain_reduction_hold_db: [
                AtomicF32::new(0.0),
                AtomicF32::new(0.0),
                AtomicF32::new(0.0),
            ],
            match_offset_db: AtomicF32::new(0.0),
            editor_open: AtomicBool::new(false),
            correlation: AtomicF32::new(0.0),
            sample_rate_hz: AtomicF32::new(48_000.0),
            short_term_history: History::new(NO_READING),
            gain_reduction_history: History::new(0.0),
            resonance: ResonanceDisplay::default(),
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

    /// Publishes the limiter's gain reduction: `current_db` now, `peak_db` the largest since
    /// the last publication (audio thread).
    pub fn publish_gain_reduction(&self, current_db: f32, peak_db: f32, band_peak_db: [f32; 3]) {
        self.gain_reduction_db.store(current_db, Ordering::Relaxed);
        self.gain_reduction_hold_db
            .fetch_max(peak_db, Ordering::Relaxed);
        for (hold, db) in self.band_gain_reduction_hold_db.iter().zip(band_peak_db) {
            hold.fetch_max(db, Ordering::Relaxed);
        }
    }

    /// Largest limiter gain reduction since the previous call, dB; clears it (GUI thread).
    pub fn take_gain_reduction_hold_db(&self) -> f32 {
        self.gain_reduction_hold_db.swap(0.0, Ordering::Relaxed)
    }

    /// Largest multiband gain reduction per band since the previous call, dB; clears it.
    pub fn take_band_gain_reduction_hold_db(&self) -> [f32; 3] {
        [0, 1, 2].map(|b| self.band_gain_reduction_hold_db[b].swap(0.0, Ordering::Relaxed))
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
        self.gain_reduction_db.store(0.0, Ordering::Relaxed);
        self.gain_reduction_hold_db.store(0.0, Ordering::Relaxed);
        for hold in &self.band_gain_reduction_hold_db {
            hold.store(0.0, Ordering::Relaxed);
        }
        self.correlation.store(0.0, Ordering::Relaxed);
        self.short_term_history.clear();
        self.gain_reduction_history.clear();
        self.resonance.clear();
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

    #[test]
    fn gain_reduction_hold_keeps_max_until_read() {
        let bus = MeterBus::default();
        bus.publish_gain_reduction(1.0, 4.0, [0.5, 2.0, 0.0]);
        bus.publish_gain_reduction(0.5, 2.5, [1.5, 0.0, 0.25]);
        assert_eq!(bus.gain_reduction_db.load(Ordering::Relaxed), 0.5);
        assert_eq!(bus.take_gain_reduction_hold_db(), 4.0);
        assert_eq!(bus.take_gain_reduction_hold_db(), 0.0);
        assert_eq!(bus.take_band_gain_reduction_hold_db(), [1.5, 2.0, 0.25]);
        assert_eq!(bus.take_band_gain_reduction_hold_db(), [0.0; 3]);
    }
}
