//! Macro controls: four knobs a user (or the assistant) turns instead of thirty parameters,
//! each a documented function from the macro value to stage settings, and
//! [`StagesSettings`], the settings of the tone, dynamics and stereo-image stages together.
//!
//! The mappings are starting points chosen from common mastering practice (gentle tilt,
//! "glue" ratios of 1.5-3 with slower time constants in the lows, narrower lows when
//! widening); they are meant to be tuned by listening, not to be a standard.

use super::compressor::CompressorSettings;
use super::crossover::NUM_BANDS;
use super::eq::EqSettings;
use super::multiband::MultibandSettings;
use super::stereo::{BASS_MONO_RANGE_HZ, StereoSettings, WIDTH_RANGE_PCT};
use serde::{Deserialize, Serialize};

/// Tilt at the ends of the `tone` macro, dB: tone +100 gives +3 dB at the top of the spectrum
/// and -3 dB at the bottom (brighter); -100 the opposite (warmer). 6 dB of total swing is
/// about as far as a master is tilted without also rebalancing it.
pub const TONE_TILT_DB_AT_FULL: f32 = 3.0;

/// Loudness assumed at the multiband input when none is measured, LUFS. The stage sits after
/// the drive, which aims the output at a streaming target (about -14 LUFS) with 1-3 dB of
/// limiting, so its input is typically around -12 LUFS.
pub const DEFAULT_PROGRAMME_LUFS: f32 = -12.0;

/// How far the thresholds travel over the `dynamics` macro, dB: at 0+ % they sit this much
/// above their full-amount position, where only the loudest peaks touch them.
pub const DYNAMICS_THRESHOLD_TRAVEL_DB: f32 = 10.0;

/// Per-band character of the `dynamics` macro at 100 % (the expert section edits these).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DynamicsBandPreset {
    /// Threshold relative to the programme loudness at 100 %, dB. Roughly the band's share of
    /// the programme level in a typical mix (lows about -3 dB, mids -4 dB, highs -10 dB), so
    /// each band's peaks sit a few dB above its threshold.
    pub threshold_offset_db: f32,
    /// Ratio at 100 % (1:1 at 0 %, linear in between).
    pub full_ratio: f32,
    /// Soft-knee width, dB.
    pub knee_db: f32,
    /// Attack time constant, ms.
    pub attack_ms: f32,
    /// Release time constant, ms.
    pub release_ms: f32,
}

/// The `dynamics` presets for the low, mid and high bands: slower in the lows (a 30 ms attack
/// lets a kick through and a 250 ms release does not follow the bass waveform), faster in the
/// highs (5 ms / 80 ms catches cymbal and vocal peaks without audible pumping).
pub const DYNAMICS_PRESETS: [DynamicsBandPreset; NUM_BANDS] = [
    DynamicsBandPreset {
        threshold_offset_db: -3.0,
        full_ratio: 2.5,
        knee_db: 6.0,
        attack_ms: 30.0,
        release_ms: 250.0,
    },
    DynamicsBandPreset {
        threshold_offset_db: -4.0,
        full_ratio: 2.0,
        knee_db: 6.0,
        attack_ms: 15.0,
        release_ms: 150.0,
    },
    DynamicsBandPreset {
        threshold_offset_db: -10.0,
        full_ratio: 2.0,
        knee_db: 6.0,
        attack_ms: 5.0,
        release_ms: 80.0,
    },
];

/// Share of a widening (width above 100 %) given to the low, mid and high bands, so lows stay
/// narrower and mono-compatible while the top opens up. Narrowing applies to all bands alike.
pub const WIDENING_SHARE: [f32; NUM_BANDS] = [0.25, 0.75, 1.0];

/// `tone` (-100..+100) to tilt in dB: linear, [`TONE_TILT_DB_AT_FULL`] at the ends.
pub fn tone_to_tilt_db(tone: f32) -> f32 {
    let tone = if tone.is_finite() { tone } else { 0.0 };
    tone.clamp(-100.0, 100.0) / 100.0 * TONE_TILT_DB_AT_FULL
}

/// `dynamics` (0..100 %) to the three band compressors, for a programme at `programme_lufs`
/// (the loudness at the stage input; [`DEFAULT_PROGRAMME_LUFS`] if unknown). With
/// `a = amount / 100`: `ratio = 1 + (full_ratio - 1) a`,
/// `threshold = programme + offset + 10 dB (1 - a)`, knee and times from
/// [`DYNAMICS_PRESETS`], no make-up (the drive restores loudness). 0 % is neutral: the
/// multiband stage switches itself out.
pub fn dynamics_to_bands(amount_pct: f32, programme_lufs: f32) -> [CompressorSettings; NUM_BANDS] {
    dynamics_to_bands_with(amount_pct, programme_lufs, &DYNAMICS_PRESETS)
}

/// [`dynamics_to_bands`] with a custom character per band instead of [`DYNAMICS_PRESETS`].
pub fn dynamics_to_bands_with(
    amount_pct: f32,
    programme_lufs: f32,
    presets: &[DynamicsBandPreset; NUM_BANDS],
) -> [CompressorSettings; NUM_BANDS] {
    let a = if amount_pct.is_finite() {
        (amount_pct / 100.0).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let programme = if programme_lufs.is_finite() {
        programme_lufs
    } else {
        DEFAULT_PROGRAMME_LUFS
    };
    if a == 0.0 {
        return [CompressorSettings::default(); NUM_BANDS];
    }
    presets.map(|p| CompressorSettings {
        threshold_db: programme + p.threshold_offset_db + DYNAMICS_THRESHOLD_TRAVEL_DB * (1.0 - a),
        ratio: 1.0 + (p.full_ratio - 1.0) * a,
        knee_db: p.knee_db,
        attack_ms: p.attack_ms,
        release_ms: p.release_ms,
        makeup_db: 0.0,
    })
}

/// `width` (0..200 %) to per-band widths (low, mid, high), percent. Below 100 % every band
/// gets `width` (0 % is mono). Above, band `b` gets `100 + share_b (width - 100)` with
/// [`WIDENING_SHARE`]: 200 % gives 125 / 175 / 200 %.
pub fn width_to_band_widths(width_pct: f32) -> [f32; NUM_BANDS] {
    let w = if width_pct.is_finite() {
        width_pct
    } else {
        100.0
    };
    let w = w.clamp(WIDTH_RANGE_PCT.0, WIDTH_RANGE_PCT.1);
    if w <= 100.0 {
        [w; NUM_BANDS]
    } else {
        WIDENING_SHARE.map(|share| 100.0 + share * (w - 100.0))
    }
}

/// The macro values, in display units. The default is neutral.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MacroSettings {
    /// Warmer (-100) .. brighter (+100).
    pub tone: f32,
    /// Multiband compression, percent: 0 off .. 100 dense glue.
    pub dynamics_pct: f32,
    /// Stereo width, percent: 0 mono, 100 unchanged, 200 wide.
    pub width_pct: f32,
    /// Bass mono on.
    pub bass_mono_on: bool,
    /// Bass-mono frequency, Hz (40..300).
    pub bass_mono_hz: f32,
    /// Loudness of the programme at the multiband input, LUFS (sets the thresholds).
    pub programme_lufs: f32,
    /// Character of each band (low, mid, high) at 100 % dynamics.
    pub dynamics_bands: [DynamicsBandPreset; NUM_BANDS],
}

impl Default for MacroSettings {
    fn default() -> Self {
        Self {
            tone: 0.0,
            dynamics_pct: 0.0,
            width_pct: 100.0,
            bass_mono_on: false,
            bass_mono_hz: 120.0,
            programme_lufs: DEFAULT_PROGRAMME_LUFS,
            dynamics_bands: DYNAMICS_PRESETS,
        }
    }
}

/// Settings of the tone (EQ), dynamics (multiband) and stereo-image stages together, for the
/// chain to embed. The default is neutral: all three stages bit-transparent.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct StagesSettings {
    /// Tonal EQ.
    pub eq: EqSettings,
    /// Multiband dynamics.
    pub multiband: MultibandSettings,
    /// Stereo image.
    pub stereo: StereoSettings,
}

impl StagesSettings {
    /// Sets the crossover frequencies of both split stages (they share their bands).
    pub fn with_crossovers(mut self, low_mid_hz: f32, mid_high_hz: f32) -> Self {
        self.multiband.low_mid_hz = low_mid_hz;
        self.multiband.mid_high_hz = mid_high_hz;
        self.stereo.low_mid_hz = low_mid_hz;
        self.stereo.mid_high_hz = mid_high_hz;
        self
    }

    /// True when all three stages are neutral.
    pub fn is_neutral(&self) -> bool {
        self.eq.is_neutral() && self.multiband.is_neutral() && self.stereo.is_neutral()
    }
}

impl MacroSettings {
    /// `base` with the macro-driven fields set: tilt, the three band compressors (from
    /// `dynamics_pct` and `dynamics_bands`) and bass mono are replaced; the band widths are
    /// the macro's widths times the expert per-band widths in `base` (both 100 % = unchanged).
    /// Everything else (EQ bands, crossovers) is kept; the stereo crossovers are set to the
    /// multiband ones.
    pub fn apply(&self, base: &StagesSettings) -> StagesSettings {
        let mut out = *base;
        out.eq.tilt_db = tone_to_tilt_db(self.tone);
        out.multiband.bands =
            dynamics_to_bands_with(self.dynamics_pct, self.programme_lufs, &self.dynamics_bands);
        let macro_widths = width_to_band_widths(self.width_pct);
        for (w, (m, expert)) in out
            .stereo
            .band_width_pct
            .iter_mut()
            .zip(macro_widths.iter().zip(base.stereo.band_width_pct))
        {
            let expert = if expert.is_finite() { expert } else { 100.0 };
            *w = (m * expert / 100.0).clamp(WIDTH_RANGE_PCT.0, WIDTH_RANGE_PCT.1);
        }
        out.stereo.bass_mono_on = self.bass_mono_on;
        out.stereo.bass_mono_hz = if self.bass_mono_hz.is_finite() {
            self.bass_mono_hz
                .clamp(BASS_MONO_RANGE_HZ.0, BASS_MONO_RANGE_HZ.1)
        } else {
            120.0
        };
        out.with_crossovers(base.multiband.low_mid_hz, base.multiband.mid_high_hz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutral_macros_give_neutral_stages() {
        let s = MacroSettings::default().apply(&StagesSettings::default());
        assert!(s.is_neutral());
        assert_eq!(s, StagesSettings::default());
    }

    #[test]
    fn tone_ends_and_centre() {
        assert_eq!(tone_to_tilt_db(100.0), 3.0);
        assert_eq!(tone_to_tilt_db(-100.0), -3.0);
        assert_eq!(tone_to_tilt_db(0.0), 0.0);
        assert_eq!(tone_to_tilt_db(500.0), 3.0);
        assert_eq!(tone_to_tilt_db(f32::NAN), 0.0);
    }

    #[test]
    fn dynamics_goes_from_off_to_glue() {
        assert!(
            dynamics_to_bands(0.0, -12.0)
                .iter()
                .all(CompressorSettings::is_neutral)
        );
        let full = dynamics_to_bands(100.0, -12.0);
        let half = dynamics_to_bands(50.0, -12.0);
        for b in 0..NUM_BANDS {
            assert!((1.5..=3.0).contains(&full[b].ratio));
            assert!(half[b].ratio > 1.0 && half[b].ratio < full[b].ratio);
            assert!(half[b].threshold_db > full[b].threshold_db);
            // Thresholds follow the programme level.
            let louder = dynamics_to_bands(100.0, -8.0);
            assert_eq!(louder[b].threshold_db - full[b].threshold_db, 4.0);
        }
        assert!(full[0].attack_ms > full[1].attack_ms && full[1].attack_ms > full[2].attack_ms);
        assert!(full[0].release_ms > full[1].release_ms && full[1].release_ms > full[2].release_ms);
    }

    #[test]
    fn width_curve_keeps_lows_narrower_when_widening() {
        assert_eq!(width_to_band_widths(0.0), [0.0; 3]);
        assert_eq!(width_to_band_widths(100.0), [100.0; 3]);
        assert_eq!(width_to_band_widths(60.0), [60.0; 3]);
        assert_eq!(width_to_band_widths(200.0), [125.0, 175.0, 200.0]);
    }

    #[test]
    fn apply_keeps_other_eq_bands_and_shares_crossovers() {
        let mut base = StagesSettings::default().with_crossovers(150.0, 3000.0);
        base.eq.bells[1].gain_db = -2.0;
        base.stereo.low_mid_hz = 999.0;
        let m = MacroSettings {
            tone: 50.0,
            bass_mono_on: true,
            bass_mono_hz: 1000.0,
            ..Default::default()
        };
        let s = m.apply(&base);
        assert_eq!(s.eq.bells[1].gain_db, -2.0);
        assert_eq!(s.eq.tilt_db, 1.5);
        assert_eq!((s.stereo.low_mid_hz, s.stereo.mid_high_hz), (150.0, 3000.0));
        assert_eq!(s.stereo.bass_mono_hz, 300.0);
    }

    #[test]
    fn macro_width_multiplies_the_expert_band_widths() {
        let mut base = StagesSettings::default();
        base.stereo.band_width_pct = [50.0, 100.0, 150.0];
        let m = MacroSettings {
            width_pct: 200.0,
            ..Default::default()
        };
        // Macro 200 % gives 125 / 175 / 200 %; times 0.5 / 1 / 1.5, capped at 200 %.
        assert_eq!(m.apply(&base).stereo.band_width_pct, [62.5, 175.0, 200.0]);
        let narrow = MacroSettings {
            width_pct: 0.0,
            ..Default::default()
        };
        assert_eq!(narrow.apply(&base).stereo.band_width_pct, [0.0; 3]);
    }

    #[test]
    fn expert_band_character_shapes_the_dynamics() {
        let mut m = MacroSettings {
            dynamics_pct: 100.0,
            ..Default::default()
        };
        m.dynamics_bands[1].full_ratio = 4.0;
        m.dynamics_bands[2].threshold_offset_db = -20.0;
        let bands = m.apply(&StagesSettings::default()).multiband.bands;
        assert_eq!(bands[1].ratio, 4.0);
        assert_eq!(bands[2].threshold_db, DEFAULT_PROGRAMME_LUFS - 20.0);
        assert_eq!(bands[0].ratio, DYNAMICS_PRESETS[0].full_ratio);
    }
}
