//! The parameter contract: every parameter's id, name, unit, range, step and default in one
//! table, with no plugin framework. The plugin builds its host parameters from it, the
//! assistant snaps its decisions to its steps, the CLI checks its flags against its ranges and
//! the report names values by its ids. Ids are frozen: hosts store automation and saved projects
//! under them, so an id never changes once released (`tests/contract.rs` pins the whole table).
//!
//! Smoothing is not a per-parameter property here: every gain, filter and width change is
//! smoothed inside the chain (sample-exact, identical in the CLI), so the host-side smoothers
//! are all off.

use crate::chain::ChainSettings;

/// How a float parameter's normalised position (0..1) maps to its plain value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Evenly spread between `min` and `max`.
    Linear,
    /// Skewed towards `min` by a factor of `2^exponent` (as nice-plug's
    /// `FloatRange::skew_factor`): exponent -1 gives the low end twice the travel.
    Skewed {
        /// Base-2 exponent of the skew factor (negative: more travel at the low end).
        exponent: f32,
    },
}

/// One continuous parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatSpec {
    /// Frozen id (automation and saved projects use it).
    pub id: &'static str,
    /// Name shown in hosts.
    pub name: &'static str,
    /// Unit shown after the value ("dB", "Hz", ...), empty when the value has none.
    pub unit: &'static str,
    /// Lowest plain value.
    pub min: f32,
    /// Highest plain value.
    pub max: f32,
    /// Value of a freshly inserted instance.
    pub default: f32,
    /// Smallest change a host or the assistant can make; values are snapped to it.
    pub step: f32,
    /// Mapping of the normalised position to the plain value.
    pub scale: Scale,
}

impl FloatSpec {
    /// Decimals the value is shown with: as many as the step has.
    pub fn decimals(&self) -> usize {
        if self.step >= 1.0 {
            0
        } else {
            (-self.step.log10()).ceil().max(0.0) as usize
        }
    }

    /// `value` snapped to the step, clamped to the range; a non-finite value gives the default.
    pub fn snap(&self, value: f32) -> f32 {
        if !value.is_finite() {
            return self.default;
        }
        snap(value, self.step).clamp(self.min, self.max)
    }

    /// The range as `(min, max)`.
    pub fn range(&self) -> (f32, f32) {
        (self.min, self.max)
    }
}

/// `value` rounded to a multiple of `step`, as a host stores a parameter on its step; a
/// non-finite value gives 0.
pub fn snap(value: f32, step: f32) -> f32 {
    if value.is_finite() {
        (value / step).round() * step
    } else {
        0.0
    }
}

/// One on/off parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoolSpec {
    /// Frozen id.
    pub id: &'static str,
    /// Name shown in hosts.
    pub name: &'static str,
    /// Value of a freshly inserted instance.
    pub default: bool,
}

/// One list parameter: frozen ids of its entries and the names hosts show.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChoiceSpec {
    /// Frozen id of the parameter.
    pub id: &'static str,
    /// Name shown in hosts.
    pub name: &'static str,
    /// `(entry id, entry name)` in list order; entry ids are frozen too.
    pub entries: &'static [(&'static str, &'static str)],
    /// Index of the entry a freshly inserted instance has.
    pub default_index: usize,
}

/// Values at or below `min - OFF_BELOW_HZ` on an "Off, or a frequency" parameter mean Off.
const OFF_BELOW_HZ: f32 = 0.5;
/// Lowest frequency of "Bass Mono", Hz (one step below is Off).
pub const BASS_MONO_MIN_HZ: f32 = 40.0;
/// Lowest frequency of "High-Pass", Hz (one step below is Off).
pub const HIGH_PASS_MIN_HZ: f32 = 10.0;

/// A frequency parameter whose lowest position means Off: `min_hz` is the first real value,
/// the range starts one step below it at this value.
pub const fn off_value(min_hz: f32) -> f32 {
    min_hz - 1.0
}

/// `Some(freq)` when an "Off, or a frequency" parameter is on.
pub fn hz_unless_off(value: f32, min_hz: f32) -> Option<f32> {
    (value >= min_hz - OFF_BELOW_HZ).then_some(value.max(min_hz))
}

/// Default loudness goal, LUFS: the streaming norm (Spotify, YouTube, TIDAL and Amazon play
/// at -14 LUFS; docs/standards.md, platform targets).
pub const DEFAULT_TARGET_LUFS: f32 = -14.0;

/// Default amount of each assistant dimension, percent: the decided moves are applied fully;
/// the decisions are already bounded, so scaling is a matter of taste, not safety.
pub const DEFAULT_AMOUNT_PCT: f32 = 100.0;

/// Step of every gain, level and threshold parameter, dB (also LUFS, dBTP and the Ratio).
pub const STEP_DB: f32 = 0.1;
/// Step of every frequency parameter, Hz.
pub const STEP_HZ: f32 = 1.0;
/// Step of the bells' Q.
pub const STEP_Q: f32 = 0.01;
/// Step of every percentage (dynamics, widths, link, amounts), percent.
pub const STEP_PCT: f32 = 1.0;
/// Step of the Tone macro.
pub const STEP_TONE: f32 = 1.0;
/// Step of the attack times, ms.
pub const STEP_ATTACK_MS: f32 = 0.1;
/// Step of the release times, ms.
pub const STEP_RELEASE_MS: f32 = 1.0;
/// Step of the lookahead, ms.
pub const STEP_LOOKAHEAD_MS: f32 = 0.1;

const LIN: Scale = Scale::Linear;
const fn skew(exponent: f32) -> Scale {
    Scale::Skewed { exponent }
}

macro_rules! float {
    ($id:expr, $name:expr, $unit:expr, $min:expr, $max:expr, $default:expr, $step:expr, $scale:expr) => {
        FloatSpec {
            id: $id,
            name: $name,
            unit: $unit,
            min: $min,
            max: $max,
            default: $default,
            step: $step,
            scale: $scale,
        }
    };
}

// The tables: id, name, unit, min, max, default, step, scale.

#[rustfmt::skip]
macro_rules! bell {
    ($n:literal, $freq:expr) => {
        [
            float!(concat!("eq_b", $n, "_gain"), concat!("Bell ", $n, " Gain"), "dB", -12.0, 12.0, 0.0, STEP_DB, LIN),
            float!(concat!("eq_b", $n, "_freq"), concat!("Bell ", $n, " Freq"), "Hz", 20.0, 20_000.0, $freq, STEP_HZ, skew(-2.0)),
            float!(concat!("eq_b", $n, "_q"), concat!("Bell ", $n, " Q"), "", 0.3, 8.0, 1.0, STEP_Q, skew(-1.5)),
        ]
    };
}

#[rustfmt::skip]
macro_rules! band {
    ($id:literal, $label:literal, $thresh:expr, $ratio:expr, $attack:expr, $release:expr) => {
        [
            float!(concat!($id, "_thresh"), concat!($label, " Threshold"), "dB", -30.0, 6.0, $thresh, STEP_DB, LIN),
            float!(concat!($id, "_ratio"), concat!($label, " Ratio"), "", 1.0, 10.0, $ratio, STEP_DB, skew(-1.5)),
            float!(concat!($id, "_attack"), concat!($label, " Attack"), "ms", 0.1, 200.0, $attack, STEP_ATTACK_MS, skew(-2.0)),
            float!(concat!($id, "_release"), concat!($label, " Release"), "ms", 10.0, 2000.0, $release, STEP_RELEASE_MS, skew(-2.0)),
            float!(concat!($id, "_width"), concat!($label, " Width"), "%", 0.0, 200.0, 100.0, STEP_PCT, LIN),
        ]
    };
}

#[rustfmt::skip]
const MAIN: [FloatSpec; 6] = [
    float!("drive", "Drive", "dB", -12.0, 24.0, 0.0, STEP_DB, LIN),
    float!("ceiling", "Ceiling", "dBTP", -12.0, 0.0, -1.0, STEP_DB, LIN),
    float!("output", "Output", "dB", -12.0, 12.0, 0.0, STEP_DB, LIN),
    float!("lookahead", "Lookahead", "ms", 0.5, 10.0, 2.0, STEP_LOOKAHEAD_MS, skew(-1.0)),
    float!("release", "Release", "ms", 10.0, 1000.0, 150.0, STEP_RELEASE_MS, skew(-2.0)),
    float!("link", "Link", "%", 0.0, 100.0, 100.0, STEP_PCT, LIN),
];

#[rustfmt::skip]
const GOAL: [FloatSpec; 4] = [
    float!("target_lufs", "Target Loudness", "LUFS", -30.0, -6.0, DEFAULT_TARGET_LUFS, STEP_DB, LIN),
    float!("amount_tone", "Tone Amount", "%", 0.0, 100.0, DEFAULT_AMOUNT_PCT, STEP_PCT, LIN),
    float!("amount_dynamics", "Dynamics Amount", "%", 0.0, 100.0, DEFAULT_AMOUNT_PCT, STEP_PCT, LIN),
    float!("amount_width", "Width Amount", "%", 0.0, 100.0, DEFAULT_AMOUNT_PCT, STEP_PCT, LIN),
];

#[rustfmt::skip]
const MACROS: [FloatSpec; 4] = [
    float!("tone", "Tone", "", -100.0, 100.0, 0.0, STEP_TONE, LIN),
    float!("dynamics", "Dynamics", "%", 0.0, 100.0, 0.0, STEP_PCT, LIN),
    float!("width", "Width", "%", 0.0, 200.0, 100.0, STEP_PCT, LIN),
    float!("bass_mono", "Bass Mono", "Hz", off_value(BASS_MONO_MIN_HZ), 300.0, off_value(BASS_MONO_MIN_HZ), STEP_HZ, skew(-1.0)),
];

#[rustfmt::skip]
const EQ_OUTER: [FloatSpec; 5] = [
    float!("eq_hp", "High-Pass", "Hz", off_value(HIGH_PASS_MIN_HZ), 60.0, off_value(HIGH_PASS_MIN_HZ), STEP_HZ, LIN),
    float!("eq_ls_gain", "Low Shelf Gain", "dB", -12.0, 12.0, 0.0, STEP_DB, LIN),
    float!("eq_ls_freq", "Low Shelf Freq", "Hz", 20.0, 500.0, 100.0, STEP_HZ, skew(-2.0)),
    float!("eq_hs_gain", "High Shelf Gain", "dB", -12.0, 12.0, 0.0, STEP_DB, LIN),
    float!("eq_hs_freq", "High Shelf Freq", "Hz", 1_000.0, 20_000.0, 10_000.0, STEP_HZ, skew(-2.0)),
];

#[rustfmt::skip]
const BELLS: [[FloatSpec; 3]; 5] = [
    bell!("1", 80.0),
    bell!("2", 250.0),
    bell!("3", 1_000.0),
    bell!("4", 3_500.0),
    bell!("5", 8_000.0),
];

#[rustfmt::skip]
const CROSSOVERS: [FloatSpec; 2] = [
    float!("xover_low", "Low/Mid Crossover", "Hz", 40.0, 500.0, 120.0, STEP_HZ, skew(-2.0)),
    float!("xover_high", "Mid/High Crossover", "Hz", 1_000.0, 10_000.0, 2_500.0, STEP_HZ, skew(-2.0)),
];

#[rustfmt::skip]
const BANDS: [[FloatSpec; 5]; 3] = [
    band!("low", "Low", -3.0, 2.5, 30.0, 250.0),
    band!("mid", "Mid", -4.0, 2.0, 15.0, 150.0),
    band!("high", "High", -10.0, 2.0, 5.0, 80.0),
];

#[rustfmt::skip]
const RESONANCE: [FloatSpec; 5] = [
    float!("resonance", "Resonance", "%", 0.0, 100.0, 0.0, STEP_PCT, LIN),
    float!("res_depth", "Resonance Depth", "dB", 1.0, 12.0, crate::dsp::resonance::DEFAULT_DEPTH_DB, STEP_DB, LIN),
    float!("res_low", "Resonance Low", "Hz", 20.0, 20_000.0, crate::dsp::resonance::DEFAULT_FOCUS_HZ.0, STEP_HZ, skew(-2.0)),
    float!("res_high", "Resonance High", "Hz", 20.0, 20_000.0, crate::dsp::resonance::DEFAULT_FOCUS_HZ.1, STEP_HZ, skew(-2.0)),
    float!("res_speed", "Resonance Speed", "ms", 20.0, 1000.0, crate::dsp::resonance::DEFAULT_SPEED_MS, STEP_RELEASE_MS, skew(-1.0)),
];

/// The on/off parameters. `bypass` is the host's bypass (the delayed input, nothing else);
/// `compare` plays the delayed input loudness-matched when `match_loudness` is on, kept under
/// the ceiling (added in 0.3.0; before, `bypass` itself was matched).
pub const BOOLS: [BoolSpec; 6] = [
    BoolSpec {
        id: "bypass",
        name: "Bypass",
        default: false,
    },
    BoolSpec {
        id: "compare",
        name: "Compare",
        default: false,
    },
    BoolSpec {
        id: "listen",
        name: "Listen",
        default: false,
    },
    BoolSpec {
        id: "match_loudness",
        name: "Match Loudness",
        default: true,
    },
    BoolSpec {
        id: "res_delta",
        name: "Resonance Delta",
        default: false,
    },
    BoolSpec {
        id: "res_low_latency",
        name: "Resonance Low Latency",
        default: false,
    },
];

/// The list parameters. Entry ids are the CLI's names (`--platform`, `--family`).
pub const CHOICES: [ChoiceSpec; 2] = [
    ChoiceSpec {
        id: "platform",
        name: "Platform",
        entries: &[
            ("custom", "Custom"),
            ("spotify", "Spotify"),
            ("apple", "Apple Music"),
            ("youtube", "YouTube"),
            ("tidal", "TIDAL"),
            ("amazon", "Amazon Music"),
            ("deezer", "Deezer"),
            ("soundcloud", "SoundCloud"),
            ("cd", "CD / loud master"),
            ("ebu-r128", "EBU R128 broadcast"),
        ],
        default_index: 0,
    },
    ChoiceSpec {
        id: "family",
        name: "Family",
        entries: &[
            ("auto", "Auto"),
            ("modern", "Modern / electronic"),
            ("bass-heavy", "Bass-heavy"),
            ("acoustic", "Acoustic / orchestral"),
        ],
        default_index: 0,
    },
];

/// Every continuous parameter, in the order hosts list them.
pub fn floats() -> impl Iterator<Item = &'static FloatSpec> {
    MAIN.iter()
        .chain(GOAL.iter())
        .chain(MACROS.iter())
        .chain(EQ_OUTER[..3].iter())
        .chain(BELLS.iter().flatten())
        .chain(EQ_OUTER[3..].iter())
        .chain(CROSSOVERS.iter())
        .chain(BANDS.iter().flatten())
        .chain(RESONANCE.iter())
}

/// The three parameters of EQ bell `index` (0-based): gain, frequency, Q.
pub fn bell(index: usize) -> &'static [FloatSpec; 3] {
    &BELLS[index]
}

/// The five parameters of multiband band `index` (0 low, 1 mid, 2 high): threshold, ratio,
/// attack, release, width.
pub fn band(index: usize) -> &'static [FloatSpec; 5] {
    &BANDS[index]
}

/// The continuous parameter with this id. Panics on an unknown id: ids are compile-time
/// literals of this crate and the plugin, and `tests/contract.rs` checks every one resolves.
pub fn float(id: &str) -> &'static FloatSpec {
    floats()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no float parameter with id {id:?} in the contract"))
}

/// The on/off parameter with this id (panics on an unknown id, as [`float`]).
pub fn boolean(id: &str) -> &'static BoolSpec {
    BOOLS
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no on/off parameter with id {id:?} in the contract"))
}

/// The list parameter with this id (panics on an unknown id, as [`float`]).
pub fn choice(id: &str) -> &'static ChoiceSpec {
    CHOICES
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no list parameter with id {id:?} in the contract"))
}

/// Ids of the three bands' parameters, low to high.
const BAND_PREFIXES: [&str; 3] = ["low", "mid", "high"];

/// Plain value of every parameter that stands for a part of `settings`, by id: the inverse of
/// the plugin's parameters-to-settings translation. The assistant decides chain settings; the
/// plugin applies them to its parameters through the host with these values, and `lacquer
/// master --report` lists them, so a plugin set to the reported values renders what the CLI
/// wrote. Not included, because they are not chain settings: `bypass`, `compare`,
/// `match_loudness`, the goal (target, platform, amounts, family), `listen` and the resonance
/// stage's listening switches (`res_delta`, `res_low_latency`).
pub fn settings_values(settings: &ChainSettings) -> Vec<(&'static str, f32)> {
    let mut out: Vec<(&'static str, f32)> = Vec::with_capacity(48);
    let mut put = |id: &str, v: f32| out.push((float(id).id, v));
    put("drive", settings.drive_db);
    put("ceiling", settings.ceiling_dbtp);
    put("output", settings.output_db);
    put("lookahead", settings.lookahead_ms);
    put("release", settings.release_ms);
    put("link", settings.link_pct);
    let m = &settings.macros;
    put("tone", m.tone);
    put("dynamics", m.dynamics_pct);
    put("width", m.width_pct);
    put(
        "bass_mono",
        if m.bass_mono_on {
            m.bass_mono_hz
        } else {
            off_value(BASS_MONO_MIN_HZ)
        },
    );
    let eq = &settings.stages.eq;
    put(
        "eq_hp",
        if eq.high_pass_on {
            eq.high_pass_hz
        } else {
            off_value(HIGH_PASS_MIN_HZ)
        },
    );
    put("eq_ls_gain", eq.low_shelf.gain_db);
    put("eq_ls_freq", eq.low_shelf.freq_hz);
    for (bell, specs) in eq.bells.iter().zip(&BELLS) {
        out.push((specs[0].id, bell.gain_db));
        out.push((specs[1].id, bell.freq_hz));
        out.push((specs[2].id, bell.q));
    }
    let mut put = |id: &str, v: f32| out.push((float(id).id, v));
    put("eq_hs_gain", eq.high_shelf.gain_db);
    put("eq_hs_freq", eq.high_shelf.freq_hz);
    put("xover_low", settings.stages.multiband.low_mid_hz);
    put("xover_high", settings.stages.multiband.mid_high_hz);
    for (b, specs) in BANDS.iter().enumerate() {
        debug_assert!(specs[0].id.starts_with(BAND_PREFIXES[b]));
        let preset = &m.dynamics_bands[b];
        out.push((specs[0].id, preset.threshold_offset_db));
        out.push((specs[1].id, preset.full_ratio));
        out.push((specs[2].id, preset.attack_ms));
        out.push((specs[3].id, preset.release_ms));
        out.push((specs[4].id, settings.stages.stereo.band_width_pct[b]));
    }
    let r = &settings.resonance;
    let mut put = |id: &str, v: f32| out.push((float(id).id, v));
    put("resonance", r.amount_pct);
    put("res_depth", r.depth_db);
    put("res_low", r.low_hz);
    put("res_high", r.high_hz);
    put("res_speed", r.speed_ms);
    out
}
