//! Parameters of the tone, dynamics and stereo stages: the four macros and the expert
//! section. Ids are frozen once released (README lists them).

use super::{float_param, float_param_from};
use crate::dsp::crossover::NUM_BANDS;
use crate::dsp::eq::NUM_BELLS;
use crate::dsp::macros::{DYNAMICS_PRESETS, DynamicsBandPreset, MacroSettings, StagesSettings};
use lacquer_core::contract;
use nice_plug::prelude::*;
use std::sync::Arc;

pub use lacquer_core::contract::{BASS_MONO_MIN_HZ, HIGH_PASS_MIN_HZ, hz_unless_off, off_value};

/// Values at or below this on an "Off, or a frequency" parameter mean Off.
const OFF_BELOW_HZ: f32 = 0.5;

fn hz_or_off(min_hz: f32) -> Arc<dyn Fn(f32) -> String + Send + Sync> {
    Arc::new(move |v| {
        if v < min_hz - OFF_BELOW_HZ {
            "Off".to_string()
        } else {
            format!("{v:.0} Hz")
        }
    })
}

/// A parameter's text-to-value function, as nice-plug takes it.
type StringToValue = Arc<dyn Fn(&str) -> Option<f32> + Send + Sync>;

fn parse_hz_or_off(min_hz: f32) -> StringToValue {
    Arc::new(move |s| {
        let t = s.trim().trim_end_matches("Hz").trim();
        if t.eq_ignore_ascii_case("off") {
            Some(off_value(min_hz))
        } else {
            t.parse().ok()
        }
    })
}

/// Reads Tone's text back: its own "-100 (-3.0 dB tilt)", or the number alone ("+25", "25",
/// "-12.5"). The number decides; the tilt in brackets only explains it and is not read.
fn parse_tone() -> StringToValue {
    Arc::new(|s| {
        let number = s.split_once('(').map_or(s, |(number, _)| number).trim();
        number.parse::<f32>().ok().filter(|v| v.is_finite())
    })
}

/// The four macro controls.
#[derive(Params)]
pub struct MacroParams {
    /// Warmer (-100) .. brighter (+100): a tilt of up to 3 dB per end around 1 kHz.
    #[id = "tone"]
    pub tone: FloatParam,
    /// Multiband compression from off (0 %) to dense glue (100 %).
    #[id = "dynamics"]
    pub dynamics: FloatParam,
    /// Stereo width, 0 % mono .. 100 % unchanged .. 200 % wide.
    #[id = "width"]
    pub width: FloatParam,
    /// Bass mono: Off, or mono below 40..300 Hz.
    #[id = "bass_mono"]
    pub bass_mono: FloatParam,
}

impl Default for MacroParams {
    fn default() -> Self {
        Self {
            tone: float_param("tone")
                .with_value_to_string(Arc::new(|v| {
                    let tilt = crate::dsp::macros::tone_to_tilt_db(v);
                    format!("{v:+.0} ({tilt:+.1} dB tilt)")
                }))
                .with_string_to_value(parse_tone()),
            dynamics: float_param("dynamics"),
            width: float_param("width"),
            bass_mono: float_param("bass_mono")
                .with_unit("")
                .with_value_to_string(hz_or_off(BASS_MONO_MIN_HZ))
                .with_string_to_value(parse_hz_or_off(BASS_MONO_MIN_HZ)),
        }
    }
}

/// One EQ bell: gain, frequency, Q.
#[derive(Params)]
pub struct BellParams {
    #[id = "gain"]
    pub gain: FloatParam,
    #[id = "freq"]
    pub freq: FloatParam,
    #[id = "q"]
    pub q: FloatParam,
}

impl BellParams {
    /// Bell `index` (0-based) of the contract.
    fn new(index: usize) -> Self {
        let [gain, freq, q] = contract::bell(index);
        Self {
            gain: float_param_from(gain),
            freq: float_param_from(freq),
            q: float_param_from(q),
        }
    }
}

/// The tonal EQ's expert parameters.
#[derive(Params)]
pub struct EqParams {
    /// High-pass: Off, or a corner at 10..60 Hz (24 dB/oct).
    #[id = "eq_hp"]
    pub high_pass: FloatParam,
    #[id = "eq_ls_gain"]
    pub low_shelf_gain: FloatParam,
    #[id = "eq_ls_freq"]
    pub low_shelf_freq: FloatParam,
    #[nested(id_prefix = "eq_b1", group = "Bell 1")]
    pub bell1: BellParams,
    #[nested(id_prefix = "eq_b2", group = "Bell 2")]
    pub bell2: BellParams,
    #[nested(id_prefix = "eq_b3", group = "Bell 3")]
    pub bell3: BellParams,
    #[nested(id_prefix = "eq_b4", group = "Bell 4")]
    pub bell4: BellParams,
    #[nested(id_prefix = "eq_b5", group = "Bell 5")]
    pub bell5: BellParams,
    #[id = "eq_hs_gain"]
    pub high_shelf_gain: FloatParam,
    #[id = "eq_hs_freq"]
    pub high_shelf_freq: FloatParam,
}

impl Default for EqParams {
    fn default() -> Self {
        Self {
            high_pass: float_param("eq_hp")
                .with_unit("")
                .with_value_to_string(hz_or_off(HIGH_PASS_MIN_HZ))
                .with_string_to_value(parse_hz_or_off(HIGH_PASS_MIN_HZ)),
            low_shelf_gain: float_param("eq_ls_gain"),
            low_shelf_freq: float_param("eq_ls_freq"),
            bell1: BellParams::new(0),
            bell2: BellParams::new(1),
            bell3: BellParams::new(2),
            bell4: BellParams::new(3),
            bell5: BellParams::new(4),
            high_shelf_gain: float_param("eq_hs_gain"),
            high_shelf_freq: float_param("eq_hs_freq"),
        }
    }
}

/// One multiband band's character at 100 % Dynamics, and its width.
#[derive(Params)]
pub struct BandParams {
    /// Threshold relative to the programme loudness at 100 % Dynamics, dB.
    #[id = "thresh"]
    pub threshold: FloatParam,
    /// Ratio at 100 % Dynamics.
    #[id = "ratio"]
    pub ratio: FloatParam,
    #[id = "attack"]
    pub attack: FloatParam,
    #[id = "release"]
    pub release: FloatParam,
    /// Stereo width of the band, percent (multiplies the Width macro).
    #[id = "width"]
    pub width: FloatParam,
}

impl BandParams {
    /// Band `index` (0 low, 1 mid, 2 high) of the contract.
    fn new(index: usize) -> Self {
        let [threshold, ratio, attack, release, width] = contract::band(index);
        Self {
            threshold: float_param_from(threshold),
            ratio: float_param_from(ratio)
                .with_value_to_string(formatters::v2s_compression_ratio(1))
                .with_string_to_value(formatters::s2v_compression_ratio()),
            attack: float_param_from(attack),
            release: float_param_from(release),
            width: float_param_from(width),
        }
    }

    fn preset(&self, knee_db: f32) -> DynamicsBandPreset {
        DynamicsBandPreset {
            threshold_offset_db: self.threshold.value(),
            full_ratio: self.ratio.value(),
            knee_db,
            attack_ms: self.attack.value(),
            release_ms: self.release.value(),
        }
    }
}

/// Crossovers and the three bands (dynamics character and width).
#[derive(Params)]
pub struct BandsParams {
    #[id = "xover_low"]
    pub crossover_low: FloatParam,
    #[id = "xover_high"]
    pub crossover_high: FloatParam,
    #[nested(id_prefix = "low", group = "Low Band")]
    pub low: BandParams,
    #[nested(id_prefix = "mid", group = "Mid Band")]
    pub mid: BandParams,
    #[nested(id_prefix = "high", group = "High Band")]
    pub high: BandParams,
}

impl Default for BandsParams {
    fn default() -> Self {
        Self {
            crossover_low: float_param("xover_low"),
            crossover_high: float_param("xover_high"),
            low: BandParams::new(0),
            mid: BandParams::new(1),
            high: BandParams::new(2),
        }
    }
}

/// Macro and expert settings from the parameter values.
pub fn stage_settings(
    macros: &MacroParams,
    eq: &EqParams,
    bands: &BandsParams,
) -> (MacroSettings, StagesSettings) {
    let mut stages = StagesSettings::default()
        .with_crossovers(bands.crossover_low.value(), bands.crossover_high.value());
    match hz_unless_off(eq.high_pass.value(), HIGH_PASS_MIN_HZ) {
        Some(hz) => {
            stages.eq.high_pass_on = true;
            stages.eq.high_pass_hz = hz;
        }
        None => stages.eq.high_pass_on = false,
    }
    stages.eq.low_shelf.gain_db = eq.low_shelf_gain.value();
    stages.eq.low_shelf.freq_hz = eq.low_shelf_freq.value();
    let bells = [&eq.bell1, &eq.bell2, &eq.bell3, &eq.bell4, &eq.bell5];
    for (band, p) in stages.eq.bells.iter_mut().zip(bells).take(NUM_BELLS) {
        band.gain_db = p.gain.value();
        band.freq_hz = p.freq.value();
        band.q = p.q.value();
    }
    stages.eq.high_shelf.gain_db = eq.high_shelf_gain.value();
    stages.eq.high_shelf.freq_hz = eq.high_shelf_freq.value();

    let band_params = [&bands.low, &bands.mid, &bands.high];
    for (w, p) in stages.stereo.band_width_pct.iter_mut().zip(band_params) {
        *w = p.width.value();
    }
    let mut settings = MacroSettings {
        tone: macros.tone.value(),
        dynamics_pct: macros.dynamics.value(),
        width_pct: macros.width.value(),
        ..MacroSettings::default()
    };
    match hz_unless_off(macros.bass_mono.value(), BASS_MONO_MIN_HZ) {
        Some(hz) => {
            settings.bass_mono_on = true;
            settings.bass_mono_hz = hz;
        }
        None => settings.bass_mono_on = false,
    }
    for (b, p) in band_params.iter().enumerate().take(NUM_BANDS) {
        settings.dynamics_bands[b] = p.preset(DYNAMICS_PRESETS[b].knee_db);
    }
    (settings, stages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_neutral() {
        let (m, s) = stage_settings(
            &MacroParams::default(),
            &EqParams::default(),
            &BandsParams::default(),
        );
        assert_eq!(m, MacroSettings::default());
        assert!(m.apply(&s).is_neutral());
        assert_eq!(s, StagesSettings::default());
    }

    #[test]
    fn off_positions_read_as_off() {
        assert_eq!(hz_unless_off(39.0, 40.0), None);
        assert_eq!(hz_unless_off(40.0, 40.0), Some(40.0));
        assert_eq!(hz_unless_off(120.0, 40.0), Some(120.0));
        let p = MacroParams::default();
        assert_eq!(p.bass_mono.to_string(), "Off");
        assert_eq!((hz_or_off(40.0))(39.0), "Off");
        assert_eq!((hz_or_off(40.0))(80.0), "80 Hz");
        assert_eq!((parse_hz_or_off(BASS_MONO_MIN_HZ))("off"), Some(39.0));
        assert_eq!((parse_hz_or_off(BASS_MONO_MIN_HZ))("120 Hz"), Some(120.0));
    }
}
