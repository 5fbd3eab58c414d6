//! A/B compare and factory presets on the plugin side: two complete settings slots, switched
//! and copied from the editor, persisted in the plugin state; and setting a preset's values.
//!
//! Every change goes through the host as a parameter gesture (begin/set/end) so the host's
//! automation, undo and its view of the parameters stay in step with what is heard. Switching a
//! slot changes parameters only, and every parameter is smoothed in the chain, so a switch is as
//! click-free as moving the controls (except a Lookahead difference, which changes the latency).

use crate::presets::{FactoryPreset, PresetValue};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Parameters that are not part of a settings slot: bypass and compare are how you listen and
/// Listen is an action, not settings.
pub const NOT_IN_SLOTS: [&str; 3] = ["bypass", "compare", "listen"];

/// One of the two compare slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AbSlot {
    #[default]
    A,
    B,
}

impl AbSlot {
    /// The other slot.
    pub fn other(self) -> Self {
        match self {
            AbSlot::A => AbSlot::B,
            AbSlot::B => AbSlot::A,
        }
    }
}

/// Parameter values by id, in display units (plain values). A `BTreeMap` so the saved state is
/// byte-identical from one save to the next.
pub type Snapshot = BTreeMap<String, f32>;

/// The A/B state, persisted with the plugin state (`#[persist = "ab"]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AbState {
    /// The slot the live parameters belong to.
    pub active: AbSlot,
    /// Slot A's values when it was last left (empty: never stored).
    pub a: Snapshot,
    /// Slot B's values when it was last left (empty: never stored).
    pub b: Snapshot,
}

/// Reading and writing parameters by id: the host's parameters through a [`GuiContext`] in the
/// plugin, a plain map in tests.
pub trait ParamAccess {
    /// Every parameter id.
    fn ids(&self) -> Vec<String>;
    /// A parameter's plain value.
    fn get(&self, id: &str) -> Option<f32>;
    /// Sets a parameter's plain value (as one host gesture).
    fn set(&self, id: &str, plain: f32);
    /// Sets an enum parameter by its variant id.
    fn set_variant(&self, id: &str, variant: &str);
}

impl AbState {
    fn slot_mut(&mut self, slot: AbSlot) -> &mut Snapshot {
        match slot {
            AbSlot::A => &mut self.a,
            AbSlot::B => &mut self.b,
        }
    }

    /// The values of `slot`: the live parameters when it is active, else its snapshot.
    pub fn values(&self, slot: AbSlot, params: &dyn ParamAccess) -> Snapshot {
        if slot == self.active {
            snapshot(params)
        } else {
            match slot {
                AbSlot::A => self.a.clone(),
                AbSlot::B => self.b.clone(),
            }
        }
    }

    /// Makes `slot` active: stores the live values in the active slot, then loads `slot`'s
    /// values (a slot never stored starts as a copy of the other).
    pub fn switch_to(&mut self, slot: AbSlot, params: &dyn ParamAccess) {
        if slot == self.active {
            return;
        }
        let live = snapshot(params);
        let active = self.active;
        *self.slot_mut(active) = live;
        let target = self.slot_mut(slot).clone();
        restore(&target, params);
        self.active = slot;
    }

    /// Copies slot `from` into slot `to` (the live parameters change when `to` is active).
    pub fn copy(&mut self, from: AbSlot, to: AbSlot, params: &dyn ParamAccess) {
        if from == to {
            return;
        }
        let values = self.values(from, params);
        if to == self.active {
            restore(&values, params);
        } else {
            *self.slot_mut(to) = values;
        }
    }
}

/// The live values of every parameter that belongs in a slot.
pub fn snapshot(params: &dyn ParamAccess) -> Snapshot {
    params
        .ids()
        .into_iter()
        .filter(|id| !NOT_IN_SLOTS.contains(&id.as_str()))
        .filter_map(|id| params.get(&id).map(|v| (id, v)))
        .collect()
}

/// Sets every parameter in `values` that differs from its live value.
pub fn restore(values: &Snapshot, params: &dyn ParamAccess) {
    for (id, &v) in values {
        if NOT_IN_SLOTS.contains(&id.as_str()) {
            continue;
        }
        if params.get(id) != Some(v) {
            params.set(id, v);
        }
    }
}

/// Sets a factory preset: its values, and every other slot parameter back to its default is
/// not done (a preset only changes what it names, so the user's expert settings survive).
pub fn apply_preset(preset: &FactoryPreset, params: &dyn ParamAccess) {
    for (id, value) in preset.parameter_values() {
        match value {
            PresetValue::Plain(v) => params.set(id, v),
            PresetValue::Variant(variant) => params.set_variant(id, variant),
        }
    }
}

/// The host's parameters, changed through the editor's [`GuiContext`] with begin/set/end
/// gestures. Only for the GUI thread.
pub struct HostParams<'a> {
    map: Vec<(String, ParamPtr, String)>,
    context: &'a GuiContext,
}

impl<'a> HostParams<'a> {
    /// Wraps the plugin's parameters and the editor's context.
    pub fn new(params: &dyn Params, context: &'a GuiContext) -> Self {
        Self {
            map: params.param_map(),
            context,
        }
    }

    fn ptr(&self, id: &str) -> Option<ParamPtr> {
        self.map
            .iter()
            .find(|(i, _, _)| i == id)
            .map(|(_, p, _)| *p)
    }

    /// A parameter's normalised value, as the host stores it (exact, unlike a plain value
    /// converted back and forth).
    pub fn normalized(&self, id: &str) -> Option<f32> {
        // SAFETY: see `set_ptr_normalized`.
        self.ptr(id)
            .map(|p| unsafe { p.unmodulated_normalized_value() })
    }

    /// The normalised value that `plain` stands for on parameter `id`.
    pub fn preview_normalized(&self, id: &str, plain: f32) -> Option<f32> {
        // SAFETY: see `set_ptr_normalized`.
        self.ptr(id).map(|p| unsafe { p.preview_normalized(plain) })
    }

    /// Sets a parameter's normalised value (one host gesture).
    pub fn set_normalized(&self, id: &str, normalized: f32) {
        if let Some(p) = self.ptr(id) {
            self.set_ptr_normalized(p, normalized);
        }
    }

    fn set_ptr_normalized(&self, ptr: ParamPtr, normalized: f32) {
        // SAFETY: `ptr` comes from this plugin's own `param_map`, whose parameters live as long
        // as the plugin (and the editor that holds this context).
        unsafe {
            self.context.raw_begin_set_parameter(ptr);
            self.context.raw_set_parameter_normalized(ptr, normalized);
            self.context.raw_end_set_parameter(ptr);
        }
    }
}

impl ParamAccess for HostParams<'_> {
    fn ids(&self) -> Vec<String> {
        self.map.iter().map(|(id, _, _)| id.clone()).collect()
    }

    fn get(&self, id: &str) -> Option<f32> {
        // SAFETY: see `set_ptr_normalized`.
        self.ptr(id).map(|p| unsafe { p.unmodulated_plain_value() })
    }

    fn set(&self, id: &str, plain: f32) {
        if let Some(p) = self.ptr(id) {
            // SAFETY: see `set_ptr_normalized`.
            let normalized = unsafe { p.preview_normalized(plain) };
            self.set_ptr_normalized(p, normalized);
        }
    }

    fn set_variant(&self, id: &str, variant: &str) {
        if let Some(p) = self.ptr(id) {
            // SAFETY: see `set_ptr_normalized`. Enum parameters parse their variant names; ids of
            // the platform choice equal `Platform::cli_name`, whose display name we look up.
            let text = crate::platform::Platform::from_cli_name(variant)
                .map_or("Custom", |p| p.display_name());
            if let Some(normalized) = unsafe { p.string_to_normalized_value(text) } {
                self.set_ptr_normalized(p, normalized);
            }
        }
    }
}

#[cfg(test)]
mod tests;
