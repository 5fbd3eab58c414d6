//! The plugin state through a real CLAP host (clack-host): save -> load -> save is
//! byte-identical (with A/B slots stored), and a project saved by an older version loads with
//! its migration applied. The older state is made here, from a current one, as version 0.1.0
//! wrote it (before the Goal parameters and A/B existed). Saved reference tracks (their
//! analyses) go through the host unchanged, without their files.

#[path = "clap_host/host.rs"]
mod host;
#[path = "clap_host/signal.rs"]
mod signal;

use host::{Automation, Instance, load_entry};
use signal::sine;
use std::path::PathBuf;

fn bundle() -> PathBuf {
    std::env::var_os("LACQUER_CLAP").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join("target/bundled/Lacquer.clap")
        },
        PathBuf::from,
    )
}

fn automate(plugin: &mut Instance, name: &str, text: &str) -> Automation {
    Automation {
        at_sample: 0,
        id: plugin.param(name).id,
        value: plugin.parse(name, text),
    }
}

/// Sets parameters the way a host does: as events in a short render.
fn set(plugin: &mut Instance, values: &[(&str, &str)]) {
    let automation: Vec<Automation> = values.iter().map(|(n, t)| automate(plugin, n, t)).collect();
    let input = sine(997.0, -30.0, 48_000.0, 4800, 2);
    plugin.render(48_000.0, &input, &[4800], &automation);
}

/// The display text of a parameter's current value.
fn shown(plugin: &mut Instance, name: &str) -> String {
    let value = plugin.value(name);
    plugin.text(name, value)
}

/// The JSON inside a CLAP state: nice-plug writes an 8-byte little-endian length, then JSON.
fn json(bytes: &[u8]) -> serde_json::Value {
    let (length, body) = bytes.split_at(8);
    let length = u64::from_le_bytes(length.try_into().unwrap()) as usize;
    assert_eq!(length, body.len(), "length prefix");
    serde_json::from_slice(body).expect("the state is JSON")
}

/// A CLAP state from its JSON.
fn to_state(value: &serde_json::Value) -> Vec<u8> {
    let body = serde_json::to_vec(value).unwrap();
    [(body.len() as u64).to_le_bytes().as_slice(), &body].concat()
}

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn save_load_save_is_byte_identical() {
    let entry = load_entry(&bundle());
    let mut original = Instance::new(&entry);
    set(
        &mut original,
        &[
            ("Drive", "4.2"),
            ("Ceiling", "-0.3"),
            ("Tone", "-35"),
            ("Dynamics", "62"),
            ("Width", "123"),
            ("Bass Mono", "110"),
            ("Platform", "Apple Music"),
            ("Target Loudness", "-11.5"),
            ("Match Loudness", "Off"),
            ("Tone Amount", "40"),
        ],
    );
    let first = original.save_state();
    let state = json(&first);
    assert_eq!(state["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        state["fields"]["ab"].is_string(),
        "the A/B slots are not in the state"
    );
    let mut restored = Instance::new(&entry);
    restored.load_state(&first);
    let second = restored.save_state();
    assert!(first == second, "save -> load -> save changed the bytes");
    for name in [
        "Drive",
        "Platform",
        "Target Loudness",
        "Match Loudness",
        "Tone Amount",
        "Bass Mono",
    ] {
        assert_eq!(restored.value(name), original.value(name), "{name}");
    }
    assert_eq!(shown(&mut restored, "Platform"), "Apple Music");

    // A/B slots stored by the editor survive a round trip exactly.
    let mut edited = state.clone();
    let ab = serde_json::json!({"active": "B", "a": {"drive": 1.5, "tone": 20.0}, "b": {}});
    edited["fields"]["ab"] = serde_json::Value::String(ab.to_string());
    let bytes = to_state(&edited);
    let mut with_ab = Instance::new(&entry);
    with_ab.load_state(&bytes);
    let saved = json(&with_ab.save_state());
    let slots: serde_json::Value =
        serde_json::from_str(saved["fields"]["ab"].as_str().unwrap()).unwrap();
    assert_eq!(slots, ab);
}

/// A 0.1.0 state: the current one without the parameters and fields 0.1.0 did not have.
fn old_state(current: &[u8], version: &str, drive_db: f64) -> Vec<u8> {
    let mut state = json(current);
    let params = state["params"].as_object_mut().unwrap();
    for id in [
        "target_lufs",
        "platform",
        "match_loudness",
        "amount_tone",
        "amount_dynamics",
        "amount_width",
        "family",
    ] {
        assert!(
            params.remove(id).is_some(),
            "{id} missing from the current state"
        );
    }
    // nice-plug stores each value tagged with its type.
    params.insert("drive".into(), serde_json::json!({ "f32": drive_db }));
    state["fields"].as_object_mut().unwrap().remove("ab");
    state["version"] = serde_json::Value::String(version.into());
    to_state(&state)
}

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn a_project_from_0_1_0_loads_with_match_loudness_off() {
    let entry = load_entry(&bundle());
    let mut fresh = Instance::new(&entry);
    let current = fresh.save_state();
    let on = fresh.value("Match Loudness");
    assert_eq!(
        fresh.text("Match Loudness", on),
        "On",
        "new instances match loudness"
    );

    let mut old = Instance::new(&entry);
    old.load_state(&old_state(&current, "0.1.0", 4.5));
    assert_eq!(shown(&mut old, "Match Loudness"), "Off");
    assert_eq!(shown(&mut old, "Drive"), "4.5 dB");
    assert_eq!(old.value("Target Loudness"), fresh.value("Target Loudness"));
    // Saved again, it is a current state that keeps the migrated value.
    let resaved = json(&old.save_state());
    assert_eq!(resaved["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        resaved["params"]["match_loudness"],
        serde_json::json!({ "bool": false })
    );

    // The migration is keyed on the version: the same parameters saved by 0.2.0 keep the
    // default.
    let mut newer = Instance::new(&entry);
    newer.load_state(&old_state(&current, "0.2.0", 4.5));
    assert_eq!(shown(&mut newer, "Match Loudness"), "On");
}

/// A 0.2.0 state: the current one with the given switches, as 0.2.0 wrote it (no Compare).
fn state_0_2(current: &[u8], switches: &[(&str, bool)]) -> Vec<u8> {
    let mut state = json(current);
    let params = state["params"].as_object_mut().unwrap();
    assert!(
        params.remove("compare").is_some(),
        "compare missing from the current state"
    );
    for (id, on) in switches {
        params.insert((*id).into(), serde_json::json!({ "bool": on }));
    }
    state["version"] = serde_json::Value::String("0.2.0".into());
    to_state(&state)
}

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn a_0_2_0_project_bypassed_with_match_loudness_loads_as_compare() {
    let entry = load_entry(&bundle());
    let current = Instance::new(&entry).save_state();
    // Bypass + Match Loudness in 0.2.0 played the loudness-matched dry signal: now Compare.
    let mut matched = Instance::new(&entry);
    matched.load_state(&state_0_2(
        &current,
        &[("bypass", true), ("match_loudness", true)],
    ));
    assert_eq!(shown(&mut matched, "Bypass"), "Not Bypassed");
    assert_eq!(shown(&mut matched, "Compare"), "On");
    assert_eq!(shown(&mut matched, "Match Loudness"), "On");
    // Bypass without Match Loudness was the plain dry signal, which Bypass still is.
    let mut plain = Instance::new(&entry);
    plain.load_state(&state_0_2(
        &current,
        &[("bypass", true), ("match_loudness", false)],
    ));
    assert_eq!(shown(&mut plain, "Bypass"), "Bypassed");
    assert_eq!(shown(&mut plain, "Compare"), "Off");
}

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn saved_reference_tracks_survive_the_host_without_their_files() {
    // A reference's analysis as the Assistant page saves it, from a file that is then deleted:
    // the host's save -> load -> save keeps it byte for byte, and one whose saved analysis is
    // unusable (no loudness) is dropped on load.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ref.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&path, spec).unwrap();
    let tone = sine(440.0, -18.0, 48_000.0, 48_000 * 8, 2);
    for (l, r) in tone[0].iter().zip(&tone[1]) {
        writer.write_sample((l * 32767.0) as i16).unwrap();
        writer.write_sample((r * 32767.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
    let features = lacquer_decode::reference::analyse_reference(&path, false).unwrap();
    std::fs::remove_file(&path).unwrap();
    let good = lacquer::listen::references::SavedReference::new(&path, features);
    let mut silent = good.clone();
    silent.name = "silent.wav".into();
    silent.features.integrated_lufs = None;

    let entry = load_entry(&bundle());
    let mut state = json(&Instance::new(&entry).save_state());
    state["fields"]["references"] =
        serde_json::Value::String(serde_json::to_string(&vec![good.clone()]).unwrap());
    let mut first = Instance::new(&entry);
    first.load_state(&to_state(&state));
    let saved = first.save_state();
    let mut second = Instance::new(&entry);
    second.load_state(&saved);
    assert!(
        saved == second.save_state(),
        "save -> load -> save changed the bytes"
    );
    let kept: Vec<lacquer::listen::references::SavedReference> =
        serde_json::from_str(json(&saved)["fields"]["references"].as_str().unwrap()).unwrap();
    assert_eq!(kept, vec![good.clone()]);

    state["fields"]["references"] =
        serde_json::Value::String(serde_json::to_string(&vec![silent, good.clone()]).unwrap());
    let mut cleaned = Instance::new(&entry);
    cleaned.load_state(&to_state(&state));
    let kept: Vec<lacquer::listen::references::SavedReference> = serde_json::from_str(
        json(&cleaned.save_state())["fields"]["references"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(kept, vec![good]);
}
