//! State fuzzing (issue "Trust", item 6): loading arbitrary, truncated and bit-flipped state
//! blobs, hand-broken values, unknown ids and old versions never panics, and afterwards every
//! parameter is finite and inside its range, the A/B snapshots hold only safe values and the
//! editor geometry is one the editor supports (`lacquer::migrate::harness::check`).
//!
//! The blobs start from a real saved state: a `LacquerParams` with random values, both A/B
//! slots stored and a resized editor, saved the way nice-plug's wrappers save it
//! (`harness::save_json`), then mutated. Seeded, so every run tries the same cases; a failure
//! prints the case's seed and the bytes.

use lacquer::ab::{AbSlot, AbState, NOT_IN_SLOTS};
use lacquer::contract;
use lacquer::editor::geometry::Geometry;
use lacquer::migrate::harness::{FIELDS, check, load_json, load_state, reset, save_json};
use lacquer::params::LacquerParams;
use lacquer::presets::{FACTORY_PRESETS, PresetValue};
use nice_plug::params::persist::PersistentField;
use nice_plug::plugin::{ParamValue, PluginState};
use nice_plug::prelude::Params;
use serde_json::Value;

/// splitmix64: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Values that break naive code, as JSON number text (1e39 and beyond read as infinity in f32).
const NASTY_NUMBERS: [&str; 14] = [
    "1e39",
    "-1e39",
    "3.4028235e38",
    "-3.4028235e38",
    "1e-45",
    "-0.0",
    "0",
    "1e308",
    "-1e308",
    "4294967296",
    "-2147483649",
    "2147483647",
    "-2147483648",
    "123456789012345678901234567890",
];

/// A real saved state: random parameter values, both A/B slots stored, the editor resized and
/// zoomed.
fn real_state(rng: &mut Rng) -> Vec<u8> {
    let params = LacquerParams::default();
    let randomise = |rng: &mut Rng| {
        for (_, ptr, _) in params.param_map() {
            // SAFETY: the pointer comes from `params`' own map; `params` outlives it.
            unsafe {
                ptr._internal_set_normalized_value(rng.unit());
            }
        }
    };
    let snapshot = || -> std::collections::BTreeMap<String, f32> {
        params
            .param_map()
            .into_iter()
            .filter(|(id, _, _)| !NOT_IN_SLOTS.contains(&id.as_str()))
            // SAFETY: as above.
            .map(|(id, ptr, _)| (id, unsafe { ptr.unmodulated_plain_value() }))
            .collect()
    };
    randomise(rng);
    let a = snapshot();
    randomise(rng);
    let b = snapshot();
    PersistentField::set(
        &params.ab,
        AbState {
            active: AbSlot::B,
            a,
            b,
        },
    );
    PersistentField::set(
        &params.editor_geometry,
        Geometry {
            width: 900.0 + 400.0 * rng.unit(),
            height: 560.0 + 300.0 * rng.unit(),
            zoom: 0.75 + rng.unit(),
        },
    );
    save_json(&params)
}

/// Loads `bytes` into `params` (reset first) and checks the result; panics name the case.
fn load_and_check(params: &LacquerParams, bytes: &[u8], case: &str) -> bool {
    reset(params);
    let loaded = load_json(params, bytes);
    if let Err(why) = check(params) {
        panic!(
            "{case}: {why}\nstate: {}",
            String::from_utf8_lossy(bytes)
                .chars()
                .take(4000)
                .collect::<String>()
        );
    }
    loaded
}

/// A random change to one leaf of a JSON value (numbers become nasty numbers or other types,
/// strings other strings, objects gain or lose keys); nested JSON strings (the persisted
/// fields) are mutated inside too.
fn mutate_value(v: &mut Value, rng: &mut Rng, depth: usize) {
    let nasty = |rng: &mut Rng| -> Value {
        let text: &&str = rng.pick(&NASTY_NUMBERS);
        serde_json::from_str(text).unwrap_or(Value::Null)
    };
    match v {
        Value::Object(map) if !map.is_empty() && depth < 8 => match rng.below(10) {
            0 => {
                let key = map.keys().nth(rng.below(map.len())).unwrap().clone();
                map.remove(&key);
            }
            1 => {
                let key = rng
                    .pick(&["drive", "platform", "ab", "editor", "zzz", "", "bypass"])
                    .to_string();
                let value = match rng.below(4) {
                    0 => nasty(rng),
                    1 => serde_json::json!({"f32": 1e30}),
                    2 => serde_json::json!({"string": "nope"}),
                    _ => Value::Bool(true),
                };
                map.insert(key, value);
            }
            _ => {
                let n = rng.below(map.len());
                let child = map.values_mut().nth(n).unwrap();
                mutate_value(child, rng, depth + 1);
            }
        },
        Value::Array(items) if !items.is_empty() && depth < 8 => {
            let n = rng.below(items.len());
            mutate_value(&mut items[n], rng, depth + 1);
        }
        Value::String(s) => {
            if let Ok(mut inner) = serde_json::from_str::<Value>(s)
                && rng.below(4) != 0
            {
                mutate_value(&mut inner, rng, depth + 1);
                *s = inner.to_string();
            } else {
                *v = match rng.below(6) {
                    0 => Value::String(String::new()),
                    1 => Value::String("custom".into()),
                    2 => Value::String("\u{0}\u{ffff}".into()),
                    3 => nasty(rng),
                    4 => Value::Null,
                    _ => Value::String("{\"active\":\"C\"}".into()),
                };
            }
        }
        _ => {
            *v = match rng.below(7) {
                0 => Value::Bool(rng.below(2) == 0),
                1 => Value::String("1.0".into()),
                2 => Value::Null,
                3 => serde_json::json!([]),
                4 => serde_json::json!({}),
                _ => nasty(rng),
            };
        }
    }
}

#[test]
fn a_saved_state_loads_back_unchanged_and_passes_the_check() {
    let mut rng = Rng(1);
    let params = LacquerParams::default();
    check(&params).expect("a new instance is sane");
    // `LACQUER_WRITE_STATE_SEEDS=fuzz/corpus/state cargo test -p lacquer --test state_fuzz`
    // writes the fuzzer's seed states: a new instance's and a used one's.
    if let Some(dir) = std::env::var_os("LACQUER_WRITE_STATE_SEEDS") {
        let dir = std::path::Path::new(&dir);
        std::fs::write(dir.join("new.json"), save_json(&params)).unwrap();
        std::fs::write(dir.join("used.json"), real_state(&mut Rng(1))).unwrap();
    }
    for _ in 0..20 {
        let bytes = real_state(&mut rng);
        reset(&params);
        assert!(load_json(&params, &bytes));
        check(&params).unwrap();
        // Nothing in a good state falls back: saving again gives the same bytes.
        let mut state: PluginState = serde_json::from_slice(&bytes).unwrap();
        assert!(lacquer::migrate::sanitise(&mut state).is_empty());
        assert_eq!(save_json(&params), bytes);
    }
}

#[test]
fn truncated_states_never_break_loading() {
    let mut rng = Rng(2);
    let params = LacquerParams::default();
    let bytes = real_state(&mut rng);
    let mut parsed = 0;
    for len in 0..bytes.len() {
        parsed += usize::from(load_and_check(
            &params,
            &bytes[..len],
            &format!("len {len}"),
        ));
    }
    // Truncated JSON is no state at all; only the complete one parses.
    assert_eq!(parsed, 0);
    assert!(load_and_check(&params, &bytes, "whole"));
}

#[test]
fn bit_flipped_states_never_break_loading() {
    let params = LacquerParams::default();
    let mut parsed = 0;
    for seed in 0..4000u64 {
        let mut rng = Rng(1000 + seed / 100);
        let mut bytes = real_state(&mut rng);
        let mut rng = Rng(seed);
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len());
            bytes[at] ^= 1 << rng.below(8);
        }
        parsed += usize::from(load_and_check(
            &params,
            &bytes,
            &format!("flip seed {seed}"),
        ));
    }
    // Most single flips land in a digit or a string and still parse: the check saw them.
    assert!(parsed > 1000, "only {parsed} flipped states parsed");
}

#[test]
fn structurally_mutated_states_never_break_loading() {
    let params = LacquerParams::default();
    let base: Value = serde_json::from_slice(&real_state(&mut Rng(3))).unwrap();
    let mut parsed = 0;
    for seed in 0..6000u64 {
        let mut rng = Rng(seed);
        let mut v = base.clone();
        for _ in 0..=rng.below(6) {
            mutate_value(&mut v, &mut rng, 0);
        }
        let bytes = serde_json::to_vec(&v).unwrap();
        parsed += usize::from(load_and_check(
            &params,
            &bytes,
            &format!("mutation seed {seed}"),
        ));
    }
    assert!(parsed > 1000, "only {parsed} mutated states parsed");
}

#[test]
fn random_bytes_never_break_loading() {
    let params = LacquerParams::default();
    let mut rng = Rng(4);
    for case in 0..3000 {
        let len = rng.below(64);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if case % 2 == 0 {
            // Random tails after a valid start reach deeper into the parser.
            bytes.splice(
                0..0,
                br#"{"version":"0.2.0","params":{"drive":{"f32":"#.iter().copied(),
            );
        }
        load_and_check(&params, &bytes, &format!("random case {case}"));
    }
}

/// Values JSON cannot carry (NaN, infinities) reach the loader through nice-plug's own preset
/// path, which passes a `PluginState` object; every parameter gets each kind of bad value.
#[test]
fn non_finite_out_of_range_and_mistyped_values_fall_back() {
    let params = LacquerParams::default();
    let ids: Vec<String> = params
        .param_map()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    let bad = [
        ParamValue::F32(f32::NAN),
        ParamValue::F32(f32::INFINITY),
        ParamValue::F32(f32::NEG_INFINITY),
        ParamValue::F32(f32::MAX),
        ParamValue::F32(-f32::MAX),
        ParamValue::F32(-1e-40),
        ParamValue::I32(i32::MIN),
        ParamValue::I32(i32::MAX),
        ParamValue::I32(-1),
        ParamValue::Bool(true),
        ParamValue::String(String::new()),
        ParamValue::String("ebu-r128\0".into()),
    ];
    for value in &bad {
        let mut state = PluginState {
            version: "0.2.0".into(),
            params: ids.iter().map(|id| (id.clone(), value.clone())).collect(),
            fields: Default::default(),
        };
        state
            .params
            .insert("not_a_parameter".into(), ParamValue::F32(1.0));
        state.fields.insert(
            "ab".into(),
            format!(
                r#"{{"active":"A","a":{{"drive":1e39,"platform":-3,"match_loudness":7}},"b":{{"{}":1e39}}}}"#,
                ids[0]
            ),
        );
        reset(&params);
        load_state(&params, &mut state);
        check(&params).unwrap_or_else(|why| panic!("{value:?}: {why}"));
    }
    // The persisted A/B values were fixed on the way in, not only hidden.
    let ab = params.ab.read().unwrap().clone();
    assert_eq!(ab.a["drive"], contract::float("drive").default);
    assert_eq!(ab.a["platform"], 0.0);
    assert_eq!(ab.a["match_loudness"], 1.0);
}

#[test]
fn old_and_unreadable_versions_load() {
    let params = LacquerParams::default();
    let mut rng = Rng(5);
    let base: Value = serde_json::from_slice(&real_state(&mut rng)).unwrap();
    let versions = [
        Value::from("0.1.0"),
        Value::from(""),
        Value::from("garbage"),
        Value::from("0.1"),
        Value::from("99.0.0"),
        Value::from("0.2.0-beta+7"),
        Value::from("\u{0}.\u{ffff}"),
        Value::from("18446744073709551616.0.0"),
        Value::Null,
        Value::from(1),
    ];
    for version in versions {
        for drop_match_loudness in [false, true] {
            let mut v = base.clone();
            v["version"] = version.clone();
            if drop_match_loudness {
                v["params"]
                    .as_object_mut()
                    .unwrap()
                    .remove("match_loudness");
            }
            let bytes = serde_json::to_vec(&v).unwrap();
            let case = format!("version {version}");
            let parsed = load_and_check(&params, &bytes, &case);
            // A non-string version is no state (nice-plug's type says String); a missing one
            // is allowed and counts as very old.
            assert_eq!(parsed, version.is_string(), "{case}");
            let old = version
                .as_str()
                .is_some_and(|s| lacquer::migrate::parse_version(s) < (0, 2, 0));
            if parsed && old && drop_match_loudness {
                assert!(!params.goal.match_loudness.value(), "{case}");
            }
        }
    }
    // No version at all.
    let mut v = base.clone();
    v.as_object_mut().unwrap().remove("version");
    assert!(load_and_check(
        &params,
        &serde_json::to_vec(&v).unwrap(),
        "no version"
    ));
}

#[test]
fn unreadable_persisted_fields_fall_back_to_defaults() {
    let params = LacquerParams::default();
    let base: Value = serde_json::from_slice(&real_state(&mut Rng(6))).unwrap();
    let broken = [
        "",
        "{",
        "null",
        "[]",
        r#"{"active":"C","a":{},"b":{}}"#,
        r#"{"active":"A","a":{"drive":"loud"},"b":{}}"#,
        r#"{"width":1e39,"height":-1e39,"zoom":1e-45}"#,
        r#"{"width":0,"height":0,"zoom":0}"#,
        r#"{"width":100000,"height":100000,"zoom":100}"#,
    ];
    for field in FIELDS {
        for text in broken {
            let mut v = base.clone();
            v["fields"][field] = Value::from(text);
            let bytes = serde_json::to_vec(&v).unwrap();
            assert!(load_and_check(
                &params,
                &bytes,
                &format!("{field} = {text}")
            ));
        }
    }
}

/// Every factory preset names real parameters and safe values (a preset is applied as values
/// like a loaded state's).
#[test]
fn factory_presets_hold_safe_values() {
    for preset in FACTORY_PRESETS.iter() {
        for (id, value) in preset.parameter_values() {
            match value {
                PresetValue::Plain(v) => {
                    let spec = contract::float(id);
                    assert!(
                        v.is_finite() && (spec.min..=spec.max).contains(&v),
                        "{}: {id} = {v}",
                        preset.name
                    );
                }
                PresetValue::Variant(variant) => assert!(
                    contract::choice(id)
                        .entries
                        .iter()
                        .any(|(entry, _)| *entry == variant),
                    "{}: {id} = {variant}",
                    preset.name
                ),
            }
        }
    }
    // The harness's own reset is a sane state too.
    let params = LacquerParams::default();
    reset(&params);
    check(&params).unwrap();
}
