//! nice-plug's state saving and loading as its CLAP and VST3 wrappers do them, for the state
//! tests (`tests/state_fuzz.rs`) and the fuzzer (`fuzz/fuzz_targets/state.rs`): the wrappers'
//! functions (`serialize_object`, `serialize_json`, `deserialize_json`, `deserialize_object` in
//! nice-plug 0.4.2's `wrapper/state.rs`) are private to nice-plug, so they are followed here
//! step by step (without the `zstd` feature, which Lacquer does not enable), and
//! [`check`] states what must hold after any load.

use super::sanitise::{AB_FIELD, EDITOR_FIELD, REFERENCES_FIELD, sanitise_ab, sanitise_references};
use crate::Lacquer;
use crate::ab::AbState;
use crate::editor::geometry::Geometry;
use crate::params::LacquerParams;
use lacquer_core::contract;
use nice_plug::params::internals::ParamPtr;
use nice_plug::params::persist::PersistentField;
use nice_plug::params::{InternalParamMut, Param, Params};
use nice_plug::plugin::{ParamValue, Plugin, PluginState};
use std::collections::BTreeMap;

/// The sample rate the loads below update the smoothers for (as an active plugin's would).
const SAMPLE_RATE_HZ: f32 = 48_000.0;

/// The state a host would save now (nice-plug's `serialize_object`).
pub fn save_state(params: &LacquerParams) -> PluginState {
    let values: BTreeMap<String, ParamValue> = params
        .param_map()
        .into_iter()
        .map(|(id, ptr, _)| {
            // SAFETY: the pointers come from `params`' own map and `params` outlives them.
            let value = unsafe {
                match ptr {
                    ParamPtr::FloatParam(p) => ParamValue::F32((*p).unmodulated_plain_value()),
                    ParamPtr::IntParam(p) => ParamValue::I32((*p).unmodulated_plain_value()),
                    ParamPtr::BoolParam(p) => ParamValue::Bool((*p).unmodulated_plain_value()),
                    ParamPtr::EnumParam(p) => match (*p).unmodulated_plain_id() {
                        Some(id) => ParamValue::String(id.to_owned()),
                        None => ParamValue::I32((*p).unmodulated_plain_value()),
                    },
                }
            };
            (id, value)
        })
        .collect();
    PluginState {
        version: <Lacquer as Plugin>::VERSION.to_string(),
        params: values,
        fields: params.serialize_fields(),
    }
}

/// The bytes a host would store in its project (nice-plug's `serialize_json`).
pub fn save_json(params: &LacquerParams) -> Vec<u8> {
    serde_json::to_vec(&save_state(params)).expect("a plugin state always serialises")
}

/// Loads bytes from a project as a host's state load does (nice-plug's `deserialize_json`, then
/// `deserialize_object`). `false` when the bytes are no state at all (the wrapper then reports
/// the failure to the host and changes nothing).
pub fn load_json(params: &LacquerParams, bytes: &[u8]) -> bool {
    match serde_json::from_slice::<PluginState>(bytes) {
        Ok(mut state) => {
            load_state(params, &mut state);
            true
        }
        Err(_) => false,
    }
}

/// Applies a state as nice-plug's `deserialize_object` does: Lacquer's
/// [`Plugin::filter_state`] (migrations and sanitising) first, then every value whose type
/// matches its parameter's, then the persisted fields.
pub fn load_state(params: &LacquerParams, state: &mut PluginState) {
    <Lacquer as Plugin>::filter_state(state);
    let map = params.param_map();
    for (id, value) in &state.params {
        let Some(ptr) = map.iter().find(|(i, _, _)| i == id).map(|(_, p, _)| *p) else {
            continue;
        };
        // SAFETY: as in `save_state`.
        unsafe {
            match (ptr, value) {
                (ParamPtr::FloatParam(p), ParamValue::F32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::IntParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::BoolParam(p), ParamValue::Bool(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::EnumParam(p), ParamValue::I32(v)) => {
                    (*p)._internal_set_plain_value(*v);
                }
                (ParamPtr::EnumParam(p), ParamValue::String(id)) => {
                    (*p).set_from_id(id);
                }
                _ => {}
            }
            ptr._internal_update_smoother(SAMPLE_RATE_HZ, true);
        }
    }
    params.deserialize_fields(&state.fields);
}

/// Puts every parameter and persisted field back to a new instance's (so one `params` can take
/// load after load, as in the fuzzer).
pub fn reset(params: &LacquerParams) {
    for (_, ptr, _) in params.param_map() {
        // SAFETY: as in `save_state`.
        unsafe {
            ptr._internal_set_normalized_value(ptr.default_normalized_value());
        }
    }
    PersistentField::set(&params.ab, AbState::default());
    PersistentField::set(&params.editor_geometry, Geometry::default());
    PersistentField::set(&params.references, Vec::new());
}

/// What must hold after any load: every parameter (plain, modulated and normalised value)
/// finite and inside its contract range (on/off 0 or 1, a list an index of it), every A/B
/// snapshot value a safe value of a slot parameter, and the editor geometry one the editor
/// supports. `Err` names the first thing that does not hold.
pub fn check(params: &LacquerParams) -> Result<(), String> {
    for (id, ptr, _) in params.param_map() {
        // SAFETY: as in `save_state`.
        let (plain, modulated, normalized) = unsafe {
            (
                ptr.unmodulated_plain_value(),
                ptr.modulated_plain_value(),
                ptr.unmodulated_normalized_value(),
            )
        };
        if !(0.0..=1.0).contains(&normalized) {
            return Err(format!("'{id}': normalised value {normalized}"));
        }
        for v in [plain, modulated] {
            let ok = if let Some(spec) = contract::floats().find(|s| s.id == id) {
                (spec.min..=spec.max).contains(&v)
            } else if contract::BOOLS.iter().any(|s| s.id == id) {
                v == 0.0 || v == 1.0
            } else if let Some(spec) = contract::CHOICES.iter().find(|s| s.id == id) {
                v.fract() == 0.0 && (0.0..spec.entries.len() as f32).contains(&v)
            } else {
                return Err(format!("'{id}' is not in the parameter contract"));
            };
            if !ok {
                return Err(format!("'{id}' = {v} after loading"));
            }
        }
    }
    let ab = params.ab.read().unwrap_or_else(|e| e.into_inner()).clone();
    let mut safe = ab.clone();
    sanitise_ab(&mut safe);
    if format!("{safe:?}") != format!("{ab:?}") {
        return Err(format!("unsafe A/B snapshots after loading: {ab:?}"));
    }
    let geometry = params.editor_geometry.map(|g| *g);
    if !(geometry.width.is_finite() && geometry.height.is_finite() && geometry.zoom.is_finite())
        || geometry != geometry.sanitised()
    {
        return Err(format!("editor geometry {geometry:?} after loading"));
    }
    let mut references = params
        .references
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if !sanitise_references(&mut references).is_empty() {
        return Err("unsafe reference tracks after loading".to_string());
    }
    Ok(())
}

/// The persisted field names, for tests that mutate them.
pub const FIELDS: [&str; 3] = [AB_FIELD, EDITOR_FIELD, REFERENCES_FIELD];
