//! Fuzz target `state`: any bytes as a saved plugin state, loaded the way nice-plug's CLAP and
//! VST3 wrappers load one (`lacquer::migrate::harness::load_json`: JSON into a `PluginState`,
//! Lacquer's `filter_state` with its migrations and sanitising, then the values and the
//! persisted fields). Loading must not panic, and afterwards every parameter is finite and in
//! its range, the A/B snapshots safe and the editor geometry usable
//! (`lacquer::migrate::harness::check`).
//!
//! An input starting with 0xFF is read instead as raw values that JSON cannot carry (NaN,
//! infinities), which nice-plug's own preset path can pass as a `PluginState` object: each
//! 5 bytes are a parameter (by index) and an f32 (its bits), the index's top bits picking how
//! the value is stored.

#![no_main]

use lacquer::migrate::harness::{check, load_json, load_state, reset};
use lacquer::params::LacquerParams;
use libfuzzer_sys::fuzz_target;
use nice_plug::plugin::{ParamValue, PluginState};
use nice_plug::prelude::Params;
use std::sync::OnceLock;

fn params() -> &'static (LacquerParams, Vec<String>) {
    static PARAMS: OnceLock<(LacquerParams, Vec<String>)> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let params = LacquerParams::default();
        let ids = params
            .param_map()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect();
        (params, ids)
    })
}

fuzz_target!(|data: &[u8]| {
    let (params, ids) = params();
    reset(params);
    match data.split_first() {
        Some((0xFF, raw)) => {
            let mut state = PluginState {
                version: String::new(),
                params: Default::default(),
                fields: Default::default(),
            };
            for chunk in raw.chunks_exact(5) {
                let id = ids[usize::from(chunk[0]) % ids.len()].clone();
                let bits = u32::from_le_bytes([chunk[1], chunk[2], chunk[3], chunk[4]]);
                let value = match chunk[0] >> 6 {
                    0 | 1 => ParamValue::F32(f32::from_bits(bits)),
                    2 => ParamValue::I32(bits as i32),
                    _ => ParamValue::Bool(bits & 1 == 1),
                };
                state.params.insert(id, value);
            }
            load_state(params, &mut state);
        }
        _ => {
            load_json(params, data);
        }
    }
    if let Err(why) = check(params) {
        panic!("unsafe state after loading: {why}");
    }
});
