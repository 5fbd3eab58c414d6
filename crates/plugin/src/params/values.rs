//! Tests of the way back from chain settings to parameter values
//! ([`lacquer_core::contract::settings_values`], the inverse of
//! [`super::LacquerParams::chain_settings`]): the plugin's parameters, set to the values as a
//! host would, give the settings back.

#[cfg(test)]
mod tests {
    use crate::chain::ChainSettings;
    use crate::params::LacquerParams;
    use lacquer_core::contract::settings_values;
    use nice_plug::prelude::Params;

    /// Sets the parameters of `params` to `values` as a host would (normalised, on the
    /// parameters' own ranges and steps).
    fn set_all(params: &LacquerParams, values: &[(&str, f32)]) {
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
        s.resonance.amount_pct = 37.0;
        s.resonance.depth_db = 4.5;
        s.resonance.low_hz = 240.0;
        s.resonance.high_hz = 9100.0;
        s.resonance.speed_ms = 320.0;
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
        let mut ids: Vec<&str> = values.iter().map(|(id, _)| *id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), values.len());
    }
}

/// The host parameters are the contract: the same ids, names, units, ranges, steps and
/// defaults, nothing more and nothing less (`lacquer_core::contract`, pinned by its snapshot).
#[cfg(test)]
mod contract_tests {
    use crate::chain::ChainSettings;
    use crate::params::LacquerParams;
    use lacquer_core::contract;
    use nice_plug::prelude::{Param, ParamPtr, Params};

    fn unit_of(ptr: &ParamPtr) -> &'static str {
        // SAFETY: the pointers come from a live `LacquerParams`' own map.
        unsafe { ptr.unit() }
    }

    #[test]
    fn every_host_parameter_is_in_the_contract_and_back() {
        let params = LacquerParams::default();
        let map = params.param_map();
        let mut host_ids: Vec<&str> = map.iter().map(|(id, _, _)| id.as_str()).collect();
        let mut contract_ids: Vec<&str> = contract::floats().map(|s| s.id).collect();
        contract_ids.extend(contract::BOOLS.iter().map(|s| s.id));
        contract_ids.extend(contract::CHOICES.iter().map(|s| s.id));
        host_ids.sort_unstable();
        contract_ids.sort_unstable();
        assert_eq!(host_ids, contract_ids);
        for (id, ptr, _) in &map {
            // SAFETY: as above.
            let name = unsafe { ptr.name() };
            if let Some(spec) = contract::floats().find(|s| s.id == id) {
                assert_eq!(name, spec.name, "{id}");
                let ParamPtr::FloatParam(p) = *ptr else {
                    panic!("{id} is not a float parameter")
                };
                // SAFETY: as above.
                let p = unsafe { &*p };
                assert_eq!(p.preview_plain(0.0), spec.min, "{id}: min");
                assert_eq!(p.preview_plain(1.0), spec.max, "{id}: max");
                assert_eq!(p.default_plain_value(), spec.default, "{id}: default");
                // A value 1.4 steps above the minimum lands one step above it.
                let one_up = p.preview_plain(p.preview_normalized(spec.min + 1.4 * spec.step));
                assert!(
                    (one_up - (spec.min + spec.step)).abs() < 1e-3 * spec.step.max(1.0),
                    "{id}: step {} but the host parameter snaps {} to {one_up}",
                    spec.step,
                    spec.min + 1.4 * spec.step
                );
                let unit = unit_of(ptr).trim();
                // The Off-or-frequency parameters and the ratio carry their unit in the text.
                if !unit.is_empty() {
                    assert_eq!(unit, spec.unit, "{id}: unit");
                }
            } else if let Some(spec) = contract::BOOLS.iter().find(|s| s.id == id) {
                assert_eq!(name, spec.name, "{id}");
                // SAFETY: as above.
                let default = unsafe { ptr.default_normalized_value() };
                assert_eq!(
                    default,
                    if spec.default { 1.0 } else { 0.0 },
                    "{id}: default"
                );
            } else {
                let spec = contract::choice(id);
                assert_eq!(name, spec.name, "{id}");
                // SAFETY: as above.
                let default = unsafe { ptr.default_normalized_value() };
                let steps = spec.entries.len() as f32 - 1.0;
                assert_eq!(default, spec.default_index as f32 / steps, "{id}: default");
                for (k, (_, entry_name)) in spec.entries.iter().enumerate() {
                    // SAFETY: as above.
                    let text = unsafe { ptr.normalized_value_to_string(k as f32 / steps, false) };
                    assert_eq!(text, *entry_name, "{id}: entry {k}");
                }
            }
        }
    }

    /// A fresh plugin renders what the CLI renders without flags.
    #[test]
    fn default_parameters_give_the_default_chain() {
        assert_eq!(
            LacquerParams::default().chain_settings(),
            ChainSettings::default()
        );
    }
}
