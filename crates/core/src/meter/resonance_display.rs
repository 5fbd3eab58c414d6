//! The resonance stage's current reduction, carried from the audio thread to the editor.
//!
//! The stage reduces in 1/24-octave detection bands (about 240 of them, their number set by
//! the frame length and sample rate). The editor draws far fewer: [`NUM_BANDS`] display bands
//! of 1/6 octave from [`LOWEST_HZ`], each holding the largest reduction of the detection
//! bands that overlap it (a detection band reaching from halfway to its lower neighbour's
//! centre to halfway to its upper neighbour's, on a log axis). The largest, so that a narrow
//! cut shows at its full depth, only wider.
//!
//! [`ResonanceDisplay`] holds those bands, mid and side, as fixed arrays of atomics: the audio
//! thread overwrites them (no allocation, no lock), the GUI thread reads them. A reader may
//! see bands from two neighbouring publications; for a meter that is harmless.

use atomic_float::AtomicF32;
use std::sync::atomic::{AtomicBool, Ordering};

/// Display bands per octave.
pub const BANDS_PER_OCTAVE: f32 = 6.0;
/// Lower edge of the first display band, Hz.
pub const LOWEST_HZ: f32 = 20.0;
/// Number of display bands: 20 Hz to 20.48 kHz in 1/6 octaves.
pub const NUM_BANDS: usize = 60;

/// Lower edge of display band `k`, Hz (`k = NUM_BANDS` gives the upper edge of the last).
pub fn band_edge_hz(k: usize) -> f32 {
    LOWEST_HZ * 2f32.powf(k as f32 / BANDS_PER_OCTAVE)
}

/// Geometric centre of display band `k`, Hz.
pub fn band_centre_hz(k: usize) -> f32 {
    LOWEST_HZ * 2f32.powf((k as f32 + 0.5) / BANDS_PER_OCTAVE)
}

/// Position of `hz` on the display bands' axis, in bands from [`LOWEST_HZ`].
fn band_position(hz: f32) -> f32 {
    (hz / LOWEST_HZ).log2() * BANDS_PER_OCTAVE
}

/// Lower and upper edge of detection band `b` of `centres_hz` (ascending), Hz: halfway on a
/// log axis to each neighbour's centre, as far on the outer side of the first and last band.
pub fn detection_band_range_hz(centres_hz: &[f32], b: usize) -> (f32, f32) {
    let c = centres_hz[b];
    let half_step = |other: f32| (c / other).sqrt();
    let below = b.checked_sub(1).map(|i| centres_hz[i]);
    let above = centres_hz.get(b + 1).copied();
    let lo_ratio = below
        .map(half_step)
        .or_else(|| above.map(|a| half_step(a).recip()));
    let hi_ratio = above.map(|a| half_step(a).recip()).or(lo_ratio);
    let lo_ratio = lo_ratio.unwrap_or(1.0);
    let hi_ratio = hi_ratio.unwrap_or(1.0);
    (c / lo_ratio, c * hi_ratio)
}

/// Folds detection bands (`centres_hz` ascending, `reduction_db` alike) into the display
/// bands: each display band gets the largest reduction of the detection bands overlapping it,
/// 0 where none does. Allocation-free.
pub fn decimate(centres_hz: &[f32], reduction_db: &[f32], out: &mut [f32; NUM_BANDS]) {
    out.fill(0.0);
    let n = centres_hz.len().min(reduction_db.len());
    for (b, &db) in reduction_db[..n].iter().enumerate() {
        if db.is_nan() || db <= 0.0 {
            continue;
        }
        let (lo_hz, hi_hz) = detection_band_range_hz(&centres_hz[..n], b);
        let (lo, hi) = (band_position(lo_hz), band_position(hi_hz));
        if hi <= 0.0 || lo >= NUM_BANDS as f32 {
            continue;
        }
        // Display band k spans positions k..k+1; it overlaps lo..hi when k < hi and k+1 > lo.
        let first = lo.max(0.0).floor() as usize;
        let end = (hi.ceil() as usize).min(NUM_BANDS);
        for slot in &mut out[first.min(end)..end] {
            *slot = slot.max(db);
        }
    }
}

/// The reduction shared between the audio thread (writer) and the editor (reader).
#[derive(Debug)]
pub struct ResonanceDisplay {
    /// The stage is in the signal path (its amount above 0).
    active: AtomicBool,
    /// Mid reduction per display band, dB (>= 0).
    mid_db: [AtomicF32; NUM_BANDS],
    /// Side reduction per display band, dB (>= 0; 0 for mono).
    side_db: [AtomicF32; NUM_BANDS],
}

impl Default for ResonanceDisplay {
    fn default() -> Self {
        Self {
            active: AtomicBool::new(false),
            mid_db: std::array::from_fn(|_| AtomicF32::new(0.0)),
            side_db: std::array::from_fn(|_| AtomicF32::new(0.0)),
        }
    }
}

/// Centre frequencies (Hz) and reductions (dB) of one lane's detection bands.
pub type Lane<'a> = (&'a [f32], &'a [f32]);

impl ResonanceDisplay {
    /// Publishes the stage's current reduction, mid then side (`None`: the stage is out, every
    /// band reads 0). Audio thread; allocation-free (two display arrays on the stack).
    pub fn publish(&self, lanes: Option<[Lane<'_>; 2]>) {
        let mut bands = [0.0f32; NUM_BANDS];
        match lanes {
            Some([mid, side]) => {
                decimate(mid.0, mid.1, &mut bands);
                store(&self.mid_db, &bands);
                decimate(side.0, side.1, &mut bands);
                store(&self.side_db, &bands);
                self.active.store(true, Ordering::Relaxed);
            }
            None => self.clear(),
        }
    }

    /// Copies the last publication into `mid_db` and `side_db`; returns whether the stage was
    /// in (GUI thread).
    pub fn read(&self, mid_db: &mut [f32; NUM_BANDS], side_db: &mut [f32; NUM_BANDS]) -> bool {
        for (out, a) in mid_db.iter_mut().zip(&self.mid_db) {
            *out = a.load(Ordering::Relaxed);
        }
        for (out, a) in side_db.iter_mut().zip(&self.side_db) {
            *out = a.load(Ordering::Relaxed);
        }
        self.active.load(Ordering::Relaxed)
    }

    /// Back to "out, no reduction".
    pub fn clear(&self) {
        self.active.store(false, Ordering::Relaxed);
        for a in self.mid_db.iter().chain(&self.side_db) {
            a.store(0.0, Ordering::Relaxed);
        }
    }
}

fn store(atomics: &[AtomicF32; NUM_BANDS], values: &[f32; NUM_BANDS]) {
    for (a, &v) in atomics.iter().zip(values) {
        a.store(v, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
