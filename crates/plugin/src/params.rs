//! The parameter tree. Ids are frozen: hosts store automation and state under them, so an id
//! never changes once released. Values are shown in display units (dB, dBTP); the chain gets
//! them through [`LacquerParams::chain_settings`].

mod goal;
mod resonance;
#[cfg(test)]
mod roundtrip;
mod stages;
#[cfg(test)]
mod values;

use crate::chain::ChainSettings;
pub use goal::{FamilyChoice, GoalParams, LoudnessGoal, PlatformChoice, resolve_goal};
pub use lacquer_core::contract::settings_values;
use lacquer_core::contract::{self, Scale};
use nice_plug::prelude::*;
pub use resonance::ResonanceParams;
pub use stages::{BandParams, BandsParams, BellParams, EqParams, MacroParams};

/// The host parameter for the contract's continuous parameter `id` (name, range, skew,
/// step, default and unit from [`lacquer_core::contract`]; shown with as many decimals as its
/// step has). Smoothing happens inside the chain (sample-exact and identical in the CLI), so
/// the host-side smoother stays off.
pub(crate) fn float_param(id: &str) -> FloatParam {
    float_param_from(contract::float(id))
}

/// The host parameter for one entry of the contract.
pub(crate) fn float_param_from(spec: &contract::FloatSpec) -> FloatParam {
    let range = match spec.scale {
        Scale::Linear => FloatRange::Linear {
            min: spec.min,
            max: spec.max,
        },
        Scale::Skewed { exponent } => FloatRange::Skewed {
            min: spec.min,
            max: spec.max,
            factor: FloatRange::skew_factor(exponent),
        },
    };
    FloatParam::new(spec.name, spec.default, range)
        .with_unit(unit_label(spec.unit))
        .with_step_size(spec.step)
        .with_value_to_string(formatters::v2s_f32_rounded(spec.decimals()))
}

/// The unit as the host shows it after the value (nice-plug takes a `&'static str` with the
/// separating space).
fn unit_label(unit: &str) -> &'static str {
    match unit {
        "dB" => " dB",
        "dBTP" => " dBTP",
        "LUFS" => " LUFS",
        "ms" => " ms",
        "Hz" => " Hz",
        "%" => " %",
        _ => "",
    }
}

/// The contract's switch `id`, shown as "On"/"Off" (and read back from "on"/"off", "1"/"0",
/// "true"/"false").
fn on_off_param(id: &str) -> BoolParam {
    let spec = contract::boolean(id);
    BoolParam::new(spec.name, spec.default)
        .with_value_to_string(std::sync::Arc::new(|on| {
            if on { "On" } else { "Off" }.to_string()
        }))
        .with_string_to_value(std::sync::Arc::new(|s| {
            match s.trim().to_ascii_lowercase().as_str() {
                "on" | "1" | "true" => Some(true),
                "off" | "0" | "false" => Some(false),
                _ => None,
            }
        }))
}

/// Every parameter Lacquer exposes to the host.
#[derive(Params)]
pub struct LacquerParams {
    /// Gain into the limiter, dB.
    #[id = "drive"]
    pub drive: FloatParam,
    /// True-peak ceiling, dBTP.
    #[id = "ceiling"]
    pub ceiling: FloatParam,
    /// Output trim after the limiter, dB.
    #[id = "output"]
    pub output: FloatParam,
    /// Host bypass: the dry signal, delayed by the plugin's latency, crossfaded in; nothing
    /// else (Match Loudness does not apply).
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// Compare: the dry signal, delayed by the plugin's latency, crossfaded in and (Match
    /// Loudness) levelled to the processed loudness, never over the ceiling.
    #[id = "compare"]
    pub compare: BoolParam,
    /// Limiter lookahead, ms; sets the plugin's latency.
    #[id = "lookahead"]
    pub lookahead: FloatParam,
    /// Limiter base release, ms (the adaptive release starts from it).
    #[id = "release"]
    pub release: FloatParam,
    /// Limiter stereo link, percent.
    #[id = "link"]
    pub link: FloatParam,
    /// The assistant's Listen: captures the input while on, decides when switched off.
    #[id = "listen"]
    pub listen: BoolParam,
    /// Target loudness, platform, Match Loudness, assistant amounts.
    #[nested(group = "Goal")]
    pub goal: GoalParams,
    /// Tone, Dynamics, Width, Bass Mono.
    #[nested(group = "Macros")]
    pub macros: MacroParams,
    /// Tonal EQ (expert).
    #[nested(group = "EQ")]
    pub eq: EqParams,
    /// Crossovers, band dynamics and band widths (expert).
    #[nested(group = "Bands")]
    pub bands: BandsParams,
    /// The resonance stage: amount, depth, focus, speed, delta, low latency.
    #[nested(group = "Resonance")]
    pub resonance: ResonanceParams,
    /// A/B compare: the active slot and both snapshots, saved with the project.
    #[persist = "ab"]
    pub ab: std::sync::Arc<std::sync::RwLock<crate::ab::AbState>>,
    /// The editor window's size and zoom, saved with the project.
    #[persist = "editor"]
    pub editor_geometry: std::sync::Arc<crate::editor::geometry::EditorGeometry>,
    /// The assistant's reference tracks: each one's analysis, path, name and weight, saved
    /// with the project so it reopens with the same target without the files.
    #[persist = "references"]
    pub references:
        std::sync::Arc<std::sync::RwLock<Vec<crate::listen::references::SavedReference>>>,
}

impl Default for LacquerParams {
    fn default() -> Self {
        Self {
            drive: float_param("drive"),
            ceiling: float_param("ceiling"),
            output: float_param("output"),
            bypass: BoolParam::new("Bypass", contract::boolean("bypass").default)
                .with_value_to_string(formatters::v2s_bool_bypass())
                .with_string_to_value(formatters::s2v_bool_bypass())
                .make_bypass(),
            compare: on_off_param("compare"),
            lookahead: float_param("lookahead"),
            release: float_param("release"),
            link: float_param("link"),
            listen: on_off_param("listen"),
            goal: GoalParams::default(),
            macros: MacroParams::default(),
            eq: EqParams::default(),
            bands: BandsParams::default(),
            resonance: ResonanceParams::default(),
            ab: Default::default(),
            editor_geometry: Default::default(),
            references: Default::default(),
        }
    }
}

impl LacquerParams {
    /// The chain settings these parameter values stand for. The one place where parameters are
    /// translated into DSP settings.
    pub fn chain_settings(&self) -> ChainSettings {
        let (macros, stages) = stages::stage_settings(&self.macros, &self.eq, &self.bands);
        ChainSettings {
            macros,
            stages,
            drive_db: self.drive.value(),
            ceiling_dbtp: self.ceiling.value(),
            output_db: self.output.value(),
            bypass: self.bypass.value(),
            match_loudness: self.goal.match_loudness.value(),
            compare: self.compare.value(),
            lookahead_ms: self.lookahead.value(),
            release_ms: self.release.value(),
            link_pct: self.link.value(),
            resonance: self.resonance.settings(),
        }
    }
}
