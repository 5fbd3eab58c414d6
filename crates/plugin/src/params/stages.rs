//! Parameters of the tone, dynamics and stereo stages: the four macros and the expert
//! section. Ids are frozen once released (README lists them).

use crate::dsp::crossover::NUM_BANDS;
use crate::dsp::eq::NUM_BELLS;
use crate::dsp::macros::{DYNAMICS_PRESETS, DynamicsBandPreset, MacroSettings, StagesSettings};
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

fn gain_param(name: String, default_db: f32) -> FloatParam {
    FloatParam::new(
        name,
        default_db,
        FloatRange::Linear {
            min: -12.0,
            max: 12.0,
        },
    )
    .with_unit(" dB")
    .with_step_size(0.1)
    .with_value_to_string(formatters::v2s_f32_rounded(1))
}

fn freq_param(name: String, default_hz: f32, min_hz: f32, max_hz: f32) -> FloatParam {
    FloatParam::new(
        name,
        default_hz,
        FloatRange::Skewed {
            min: min_hz,
            max: max_hz,
            factor: FloatRange::skew_factor(-2.0),
        },
    )
    .with_unit(" Hz")
    .with_step_size(1.0)
    .with_value_to_string(formatters::v2s_f32_rounded(0))
}

fn pct_param(name: &str, default_pct: f32, max_pct: f32) -> FloatParam {
    FloatParam::new(
        name,
        default_pct,
        FloatRange::Linear {
            min: 0.0,
            max: max_pct,
        },
    )
    .with_unit(" %")
    .with_step_size(1.0)
    .with_value_to_string(formatters::v2s_f32_rounded(0))
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
            tone: FloatParam::new(
                "Tone",
                0.0,
                FloatRange::Linear {
                    min: -100.0,
                    max: 100.0,
                },
            )
            .with_step_size(1.0)
            .with_value_to_string(Arc::new(|v| {
                let tilt = crate::dsp::macros::tone_to_tilt_db(v);
                format!("{v:+.0} ({tilt:+.1} dB tilt)")
            })),
            dynamics: pct_param("Dynamics", 0.0, 100.0),
            width: pct_param("Width", 100.0, 200.0),
            bass_mono: FloatParam::new(
                "Bass Mono",
                off_value(BASS_MONO_MIN_HZ),
                FloatRange::Skewed {
                    min: off_value(BASS_MONO_MIN_HZ),
                    max: 300.0,
                    factor: FloatRange::skew_factor(-1.0),
                },
            )
            .with_step_size(1.0)
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
    fn new(number: usize, default_hz: f32) -> Self {
        Self {
            gain: gain_param(format!("Bell {number} Gain"), 0.0),
            freq: freq_param(format!("Bell {number} Freq"), default_hz, 20.0, 20_000.0),
            q: FloatParam::new(
                format!("Bell {number} Q"),
                1.0,
                FloatRange::Skewed {
                    min: 0.3,
                    max: 8.0,
                    factor: FloatRange::skew_factor(-1.5),
                },
            )
            .with_step_size(0.01)
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
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
        let d = crate::dsp::eq::EqSettings::default();
        let bell = |i: usize| BellParams::new(i + 1, d.bells[i].freq_hz);
        Self {
            high_pass: FloatParam::new(
                "High-Pass",
                off_value(HIGH_PASS_MIN_HZ),
                FloatRange::Linear {
                    min: off_value(HIGH_PASS_MIN_HZ),
                    max: 60.0,
                },
            )
            .with_step_size(1.0)
            .with_value_to_string(hz_or_off(HIGH_PASS_MIN_HZ))
            .with_string_to_value(parse_hz_or_off(HIGH_PASS_MIN_HZ)),
            low_shelf_gain: gain_param("Low Shelf Gain".into(), 0.0),
            low_shelf_freq: freq_param("Low Shelf Freq".into(), d.low_shelf.freq_hz, 20.0, 500.0),
            bell1: bell(0),
            bell2: bell(1),
            bell3: bell(2),
            bell4: bell(3),
            bell5: bell(4),
            high_shelf_gain: gain_param("High Shelf Gain".into(), 0.0),
            high_shelf_freq: freq_param(
                "High Shelf Freq".into(),
                d.high_shelf.freq_hz,
                1_000.0,
                20_000.0,
            ),
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
    fn new(label: &str, preset: &DynamicsBandPreset) -> Self {
        Self {
            threshold: FloatParam::new(
                format!("{label} Threshold"),
                preset.threshold_offset_db,
                FloatRange::Linear {
                    min: -30.0,
                    max: 6.0,
                },
            )
            .with_unit(" dB")
            .with_step_size(0.1)
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
            ratio: FloatParam::new(
                format!("{label} Ratio"),
                preset.full_ratio,
                FloatRange::Skewed {
                    min: 1.0,
                    max: 10.0,
                    factor: FloatRange::skew_factor(-1.5),
                },
            )
            .with_step_size(0.1)
            .with_value_to_string(formatters::v2s_compression_ratio(1))
            .with_string_to_value(formatters::s2v_compression_ratio()),
            attack: FloatParam::new(
                format!("{label} Attack"),
                preset.attack_ms,
                FloatRange::Skewed {
                    min: 0.1,
                    max: 200.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(" ms")
            .with_step_size(0.1)
            .with_value_to_string(formatters::v2s_f32_rounded(1)),
            release: FloatParam::new(
                format!("{label} Release"),
                preset.release_ms,
                FloatRange::Skewed {
                    min: 10.0,
                    max: 2000.0,
                    factor: FloatRange::skew_factor(-2.0),
                },
            )
            .with_unit(" ms")
            .with_step_size(1.0)
            .with_value_to_string(formatters::v2s_f32_rounded(0)),
            width: pct_param(&format!("{label} Width"), 100.0, 200.0),
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
            crossover_low: freq_param(
                "Low/Mid Crossover".into(),
                crate::dsp::crossover::DEFAULT_LOW_MID_HZ,
                40.0,
                500.0,
            ),
            crossover_high: freq_param(
                "Mid/High Crossover".into(),
                crate::dsp::crossover::DEFAULT_MID_HIGH_HZ,
                1_000.0,
                10_000.0,
            ),
            low: BandParams::new("Low", &DYNAMICS_PRESETS[0]),
            mid: BandParams::new("Mid", &DYNAMICS_PRESETS[1]),
            high: BandParams::new("High", &DYNAMICS_PRESETS[2]),
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
