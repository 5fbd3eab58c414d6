//! A/B and preset tests over the real parameter tree. The stand-in for the host sets values the
//! way a host's parameter change does (through the parameter's own normalised setter).

use super::*;
use crate::chain::MasteringChain;
use crate::params::LacquerParams;
use crate::presets::{FACTORY_PRESETS, preset_settings};
use std::cell::Cell;

/// The plugin's parameters with host-like setters; counts the changes made.
struct TestHost {
    params: LacquerParams,
    num_sets: Cell<usize>,
}

impl TestHost {
    fn new() -> Self {
        Self {
            params: LacquerParams::default(),
            num_sets: Cell::new(0),
        }
    }

    fn ptr(&self, id: &str) -> ParamPtr {
        self.params
            .param_map()
            .into_iter()
            .find(|(i, _, _)| i == id)
            .map(|(_, p, _)| p)
            .unwrap_or_else(|| panic!("no parameter {id}"))
    }
}

impl ParamAccess for TestHost {
    fn ids(&self) -> Vec<String> {
        self.params
            .param_map()
            .into_iter()
            .map(|(id, _, _)| id)
            .collect()
    }

    fn get(&self, id: &str) -> Option<f32> {
        Some(unsafe { self.ptr(id).unmodulated_plain_value() })
    }

    fn set(&self, id: &str, plain: f32) {
        let p = self.ptr(id);
        unsafe {
            let normalized = p.preview_normalized(plain);
            p._internal_set_normalized_value(normalized);
        }
        self.num_sets.set(self.num_sets.get() + 1);
    }

    fn set_variant(&self, id: &str, variant: &str) {
        let p = self.ptr(id);
        let text = crate::platform::Platform::from_cli_name(variant)
            .map_or("Custom", |p| p.display_name());
        unsafe {
            let normalized = p
                .string_to_normalized_value(text)
                .unwrap_or_else(|| panic!("{id} does not parse {text}"));
            p._internal_set_normalized_value(normalized);
        }
    }
}

/// Renders 0.3 s of a two-tone stereo signal through a fresh chain with the given parameters.
fn render(params: &LacquerParams) -> Vec<Vec<f32>> {
    let fs = 48_000.0;
    let mut chain = MasteringChain::new();
    chain.configure(fs, 2, 512);
    chain.set_settings_immediately(&params.chain_settings());
    let n = (0.3 * fs) as usize;
    let mut bufs: Vec<Vec<f32>> = (0..2)
        .map(|ch| {
            (0..n)
                .map(|i| {
                    let t = i as f32 / fs;
                    0.3 * (std::f32::consts::TAU * (110.0 + 55.0 * ch as f32) * t).sin()
                        + 0.2 * (std::f32::consts::TAU * 3000.0 * t).sin()
                })
                .collect()
        })
        .collect();
    chain.process_buffers(&mut bufs);
    bufs
}

fn set_a_few(host: &TestHost, drive_db: f32, tone: f32, width_pct: f32) {
    host.set("drive", drive_db);
    host.set("tone", tone);
    host.set("width", width_pct);
    host.set("eq_b3_gain", -2.5);
}

#[test]
fn each_slot_when_active_renders_what_a_fresh_instance_with_its_settings_renders() {
    let host = TestHost::new();
    let mut ab = AbState::default();
    set_a_few(&host, 4.0, -30.0, 80.0);
    ab.switch_to(AbSlot::B, &host);
    // B starts as a copy of A (a slot never stored).
    assert_eq!(host.get("drive"), Some(4.0));
    set_a_few(&host, 9.0, 40.0, 140.0);
    // Bypass is not part of a slot: it stays as the user left it.
    host.set("bypass", 1.0);
    ab.switch_to(AbSlot::A, &host);
    assert_eq!(host.get("bypass"), Some(1.0));
    assert_eq!(host.get("drive"), Some(4.0));
    ab.switch_to(AbSlot::B, &host);
    host.set("bypass", 0.0);

    let fresh_a = TestHost::new();
    set_a_few(&fresh_a, 4.0, -30.0, 80.0);

    let fresh_b = TestHost::new();
    set_a_few(&fresh_b, 9.0, 40.0, 140.0);

    for (slot, fresh) in [
        (AbSlot::A, &fresh_a),
        (AbSlot::B, &fresh_b),
        (AbSlot::A, &fresh_a),
    ] {
        ab.switch_to(slot, &host);
        assert_eq!(ab.active, slot);
        assert_eq!(
            host.params.chain_settings(),
            fresh.params.chain_settings(),
            "{slot:?}"
        );
        assert!(
            render(&host.params) == render(&fresh.params),
            "{slot:?} renders differently"
        );
    }
    // The two slots really differ.
    assert!(render(&fresh_a.params) != render(&fresh_b.params));
}

#[test]
fn switching_to_the_active_slot_changes_nothing_and_only_differences_are_sent() {
    let host = TestHost::new();
    let mut ab = AbState::default();
    set_a_few(&host, 2.0, 10.0, 100.0);
    let before = host.num_sets.get();
    ab.switch_to(AbSlot::A, &host);
    assert_eq!(host.num_sets.get(), before);
    ab.switch_to(AbSlot::B, &host); // B = copy of A: nothing differs
    assert_eq!(host.num_sets.get(), before);
    host.set("drive", 7.0);
    let before = host.num_sets.get();
    ab.switch_to(AbSlot::A, &host);
    assert_eq!(host.num_sets.get(), before + 1, "only drive differs");
    assert_eq!(host.get("drive"), Some(2.0));
}

#[test]
fn copy_a_to_b_and_b_to_a() {
    let host = TestHost::new();
    let mut ab = AbState::default();
    host.set("drive", 3.0);
    ab.switch_to(AbSlot::B, &host);
    host.set("drive", 8.0);
    // B (active) -> A: A's snapshot becomes B's live values.
    ab.copy(AbSlot::B, AbSlot::A, &host);
    assert_eq!(ab.a.get("drive"), Some(&8.0));
    host.set("drive", 5.0);
    // A (stored) -> B (active): the live parameters take A's values.
    ab.copy(AbSlot::A, AbSlot::B, &host);
    assert_eq!(host.get("drive"), Some(8.0));
}

#[test]
fn the_state_serialises_in_a_stable_order() {
    let host = TestHost::new();
    let mut ab = AbState::default();
    ab.switch_to(AbSlot::B, &host);
    let json = serde_json::to_string(&ab).unwrap();
    let back: AbState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, ab);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    assert!(ab.a.contains_key("drive") && !ab.a.contains_key("bypass"));
}

#[test]
fn every_preset_gives_the_plugin_the_chain_the_cli_renders() {
    for preset in &FACTORY_PRESETS {
        let host = TestHost::new();
        apply_preset(preset, &host);
        let cli = preset_settings(preset, &LacquerParams::default().chain_settings());
        assert_eq!(host.params.chain_settings(), cli, "{}", preset.name);
        assert_eq!(
            host.params
                .goal
                .goal(host.params.ceiling.value())
                .target_lufs,
            preset.target_lufs,
            "{}",
            preset.name
        );
        let platform = host.params.goal.platform.value().platform();
        assert_eq!(platform, preset.platform, "{}", preset.name);
    }
}
