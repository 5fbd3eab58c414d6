//! The way back from chain settings to parameter values: the inverse of
//! [`super::LacquerParams::chain_settings`] for every parameter that stands for a chain
//! setting. The assistant decides chain settings; the plugin applies them to its parameters
//! through the host with these values, and `lacquer master --report` lists them, so a plugin set
//! to the reported values renders what the CLI wrote.

use super::stages::{BASS_MONO_MIN_HZ, HIGH_PASS_MIN_HZ, off_value};
use crate::chain::ChainSettings;

/// Ids of the three bands' parameters, low to high (`src/params/stages.rs`).
const BAND_PREFIXES: [&str; 3] = ["low", "mid", "high"];

/// Plain value of every parameter that stands for a part of `settings`, by id (README's
/// tables): limiter, macros, EQ, crossovers and the bands. Not included, because they are not
/// chain settings: `bypass`, `match_loudness` (booleans), the Goal group (target, platform,
/// amounts) and `listen`.
pub fn settings_values(settings: &ChainSettings) -> Vec<(String, f32)> {
    let mut out: Vec<(String, f32)> = Vec::with_capacity(48);
    let mut put = |id: &str, v: f32| out.push((id.to_string(), v));
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
    for (i, b) in eq.bells.iter().enumerate() {
        put(&format!("eq_b{}_gain", i + 1), b.gain_db);
        put(&format!("eq_b{}_freq", i + 1), b.freq_hz);
        put(&format!("eq_b{}_q", i + 1), b.q);
    }
    put("eq_hs_gain", eq.high_shelf.gain_db);
    put("eq_hs_freq", eq.high_shelf.freq_hz);
    put("xover_low", settings.stages.multiband.low_mid_hz);
    put("xover_high", settings.stages.multiband.mid_high_hz);
    for (b, prefix) in BAND_PREFIXES.iter().enumerate() {
        let preset = &m.dynamics_bands[b];
        put(&format!("{prefix}_thresh"), preset.threshold_offset_db);
        put(&format!("{prefix}_ratio"), preset.full_ratio);
        put(&format!("{prefix}_attack"), preset.attack_ms);
        put(&format!("{prefix}_release"), preset.release_ms);
        put(
            &format!("{prefix}_width"),
            settings.stages.stereo.band_width_pct[b],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::LacquerParams;
    use nice_plug::prelude::Params;

    /// Sets the parameters of `params` to `values` as a host would (normalised, on the
    /// parameters' own ranges and steps).
    fn set_all(params: &LacquerParams, values: &[(String, f32)]) {
        let map = params.param_map();
        for (id, plain) in values {
            let (_, ptr, _) = map
                .iter()
                .find(|(i, _, _)| i == id)
                .unwrap_or_else(|| panic!("no parameter with id {id}"));
            // SAFETY: the pointer comes from `params`' own map and `params` outlives this call.
            unsafe {
                let normalized = ptr.preview_normalized(*plain);
                ptr._internal_set_normalized_value(normalized);
            }
        }
    }

    /// Settings away from every default, each value on its parameter's step.
    fn unusual_settings() -> ChainSettings {
        let mut s = ChainSettings {
            drive_db: 7.3,
            ceiling_dbtp: -1.5,
            output_db: -0.4,
            lookahead_ms: 3.5,
            release_ms: 220.0,
            link_pct: 80.0,
            ..ChainSettings::default()
        };
        s.macros.tone = -23.0;
        s.macros.dynamics_pct = 41.0;
        s.macros.width_pct = 100.0;
        s.macros.bass_mono_on = true;
        s.macros.bass_mono_hz = 95.0;
        s.stages = s.stages.with_crossovers(150.0, 3100.0);
        s.stages.eq.high_pass_on = true;
        s.stages.eq.high_pass_hz = 25.0;
        s.stages.eq.low_shelf.gain_db = 1.7;
        s.stages.eq.low_shelf.freq_hz = 110.0;
        s.stages.eq.high_shelf.gain_db = -2.2;
        s.stages.eq.high_shelf.freq_hz = 7400.0;
        for (i, bell) in s.stages.eq.bells.iter_mut().enumerate() {
            bell.gain_db = -3.0 + i as f32 * 1.3;
            bell.freq_hz = 180.0 * (i as f32 + 1.0).powi(2);
            bell.q = 0.7 + 0.25 * i as f32;
        }
        for (b, w) in s.stages.stereo.band_width_pct.iter_mut().enumerate() {
            *w = 60.0 + 35.0 * b as f32;
        }
        for (b, preset) in s.macros.dynamics_bands.iter_mut().enumerate() {
            preset.threshold_offset_db = -4.0 - b as f32;
            preset.full_ratio = 2.5 + 0.5 * b as f32;
            preset.attack_ms = 12.0 + 5.0 * b as f32;
            preset.release_ms = 180.0 + 20.0 * b as f32;
        }
        s
    }

    #[test]
    fn parameters_set_to_the_values_give_the_settings_back() {
        let wanted = unusual_settings();
        let params = LacquerParams::default();
        set_all(&params, &settings_values(&wanted));
        let got = params.chain_settings();
        // Floats pass through normalised parameter values, so compare to a tolerance far below
        // every parameter's step (0.01 at the finest).
        let close = |a: f32, b: f32| (a - b).abs() < 2e-3 * b.abs().max(1.0);
        let (w, g) = (settings_values(&wanted), settings_values(&got));
        assert_eq!(w.len(), g.len());
        for ((id, a), (_, b)) in w.iter().zip(&g) {
            assert!(close(*a, *b), "{id}: wanted {a}, the parameters give {b}");
        }
        assert!(got.macros.bass_mono_on);
        assert!(got.stages.eq.high_pass_on);
    }

    #[test]
    fn off_switches_survive_the_round_trip() {
        let mut wanted = unusual_settings();
        wanted.macros.bass_mono_on = false;
        wanted.stages.eq.high_pass_on = false;
        let params = LacquerParams::default();
        set_all(&params, &settings_values(&unusual_settings()));
        set_all(&params, &settings_values(&wanted));
        let got = params.chain_settings();
        assert!(!got.macros.bass_mono_on);
        assert!(!got.stages.eq.high_pass_on);
    }

    #[test]
    fn every_id_is_a_parameter_and_none_twice() {
        let params = LacquerParams::default();
        let map = params.param_map();
        let values = settings_values(&ChainSettings::default());
        for (id, _) in &values {
            assert!(map.iter().any(|(i, _, _)| i == id), "no parameter {id}");
        }
        let mut ids: Vec<&String> = values.iter().map(|(id, _)| id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), values.len());
    }
}
