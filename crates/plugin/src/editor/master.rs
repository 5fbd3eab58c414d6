//! The master controls: the macros (Tone, Dynamics, Width, Bass Mono, Resonance), Drive, Ceiling,
//! Target Loudness, Output as knobs; the top bar with the platform list, Bypass, Compare with
//! Match Loudness (and the level offset it applies, and when the ceiling holds it under the
//! matched level), the A/B slots and the factory presets.

use super::controls::{KNOB_WIDTH, knob_of_width, toggle};
use super::theme;
use crate::ab::{AbSlot, HostParams, apply_preset};
use crate::meter::MeterBus;
use crate::params::LacquerParams;
use crate::presets::FACTORY_PRESETS;
use egui::{RichText, Ui};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::{FloatParam, Param, ParamSetter};
use std::sync::atomic::Ordering;

/// The knob row: five macros, then Drive, Target Loudness, Ceiling and Output. The knobs
/// narrow (down to 72 px) so all nine fit the default 960 px window beside the meters.
pub fn knobs(ui: &mut Ui, params: &LacquerParams, setter: &ParamSetter<'_>) {
    const NUM_KNOBS: f32 = 9.0;
    const GAP: f32 = 2.0;
    // Room for the separator between the two groups.
    let spare = ui.available_width() - 12.0 - GAP * NUM_KNOBS;
    let width = (spare / NUM_KNOBS).clamp(72.0, KNOB_WIDTH);
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = GAP;
        let knob = |ui: &mut Ui, p: &FloatParam, bipolar: bool| {
            knob_of_width(ui, p, setter, bipolar, width);
        };
        knob(ui, &params.macros.tone, true);
        knob(ui, &params.macros.dynamics, false);
        knob(ui, &params.macros.width, true);
        knob(ui, &params.macros.bass_mono, false);
        knob(ui, &params.resonance.amount, false);
        ui.separator();
        knob(ui, &params.drive, true);
        knob(ui, &params.goal.target_lufs, false);
        knob(ui, &params.ceiling, false);
        knob(ui, &params.output, true);
    });
}

/// A combo box over every value of a stepped parameter (an `EnumParam`), one gesture per
/// choice; returns the combo box's response (for a hover text).
pub(super) fn stepped_combo<P: Param>(
    ui: &mut Ui,
    id: &str,
    param: &P,
    setter: &ParamSetter<'_>,
    width: f32,
) -> egui::Response {
    let steps = param.step_count().unwrap_or(1).max(1);
    let current = param.unmodulated_normalized_value();
    super::controls::record_control(
        ui,
        param.name(),
        &param.normalized_value_to_string(current, true),
    );
    egui::ComboBox::from_id_salt(id)
        .width(width)
        .selected_text(param.normalized_value_to_string(current, true))
        .show_ui(ui, |ui| {
            for i in 0..=steps {
                let normalized = i as f32 / steps as f32;
                let selected = (normalized - current).abs() < 0.5 / steps as f32;
                let label = param.normalized_value_to_string(normalized, true);
                if ui.selectable_label(selected, label).clicked() && !selected {
                    setter.begin_set_parameter(param);
                    setter.set_parameter_normalized(param, normalized);
                    setter.end_set_parameter(param);
                }
            }
        })
        .response
}

/// What the top bar says about Compare's level: the dry signal's gain, and when the ceiling
/// holds it under the matched loudness, by how much. `None` while Compare is off or not
/// matched. `offset_db` is the applied gain (the meter bus's match offset), `shortfall_db` how
/// far it is under the matched one.
pub fn compare_note(
    compare: bool,
    match_loudness: bool,
    offset_db: f32,
    shortfall_db: f32,
) -> Option<String> {
    if !(compare && match_loudness) {
        return None;
    }
    // Under 0.05 dB rounds to "-0.0": not worth a warning.
    Some(if shortfall_db >= 0.05 {
        format!(
            "Compare at -{shortfall_db:.1} dB (dry {offset_db:+.1} dB): the mix would pass the \
             ceiling at matched loudness"
        )
    } else {
        format!("dry {offset_db:+.1} dB")
    })
}

/// The top bar's controls: platform, Bypass, Compare + Match Loudness, A/B, presets. `gui` is
/// the editor's context (A/B and presets set many parameters at once through it);
/// `shortfall_db` is how far the ceiling holds Compare under the matched loudness.
pub fn top_bar(
    ui: &mut Ui,
    params: &LacquerParams,
    setter: &ParamSetter<'_>,
    gui: &GuiContext,
    bus: &MeterBus,
    shortfall_db: f32,
) {
    // Wrapped: in a window too narrow for one row the controls take a second one rather than
    // running under the zoom menu.
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        // No caption beside it (the bar must fit 960 px on one row): the hover names it.
        stepped_combo(ui, "platform", &params.goal.platform, setter, 104.0).on_hover_text(
            "Platform: the delivery target, which sets the loudness goal and the ceiling \
             (Custom: Target Loudness and Ceiling as set)",
        );
        ui.separator();
        toggle(ui, &params.bypass, setter, "Bypass")
            .on_hover_text("Hear the input exactly, delayed by the plugin's latency");
        toggle(ui, &params.compare, setter, "Compare").on_hover_text(
            "Hear the input delayed by the plugin's latency, at the processed loudness with \
             Match Loudness, never over the ceiling",
        );
        toggle(ui, &params.goal.match_loudness, setter, "Match Loudness")
            .on_hover_text("Compare levels the input to the processed loudness");
        let offset = bus.match_offset_db.load(Ordering::Relaxed);
        if let Some(note) = compare_note(
            params.compare.value(),
            params.goal.match_loudness.value(),
            offset,
            shortfall_db,
        ) {
            let color = if shortfall_db >= 0.05 {
                theme::WARNING
            } else {
                theme::TEXT_DIM
            };
            ui.label(RichText::new(note).color(color));
        }
        ui.separator();
        // Built only on a click: it copies the parameter map.
        let host = || HostParams::new(params, gui);
        let active = params.ab.read().map(|ab| ab.active).unwrap_or(AbSlot::A);
        for (slot, name) in [(AbSlot::A, "A"), (AbSlot::B, "B")] {
            let on = active == slot;
            let text = RichText::new(name).color(if on { theme::BACKGROUND } else { theme::TEXT });
            let button =
                egui::Button::new(text).fill(if on { theme::ACCENT } else { theme::PANEL });
            if ui
                .add(button)
                .on_hover_text("Switch to this slot")
                .clicked()
                && !on
                && let Ok(mut ab) = params.ab.write()
            {
                ab.switch_to(slot, &host());
            }
        }
        if ui
            .small_button("Copy")
            .on_hover_text("Copy the active slot to the other one")
            .clicked()
            && let Ok(mut ab) = params.ab.write()
        {
            ab.copy(active, active.other(), &host());
        }
        ui.separator();
        // A menu button, sized to its word (narrower than a combo box).
        ui.menu_button("Presets", |ui| {
            for preset in &FACTORY_PRESETS {
                if ui
                    .selectable_label(false, preset.name)
                    .on_hover_text(preset.description)
                    .clicked()
                {
                    apply_preset(preset, &host());
                    ui.close();
                }
            }
        })
        .response
        .on_hover_text("Factory presets");
    });
}

#[cfg(test)]
mod tests {
    use super::compare_note;

    #[test]
    fn the_compare_note_says_when_the_ceiling_holds_compare_under_the_match() {
        assert_eq!(compare_note(false, true, 4.0, 0.0), None);
        assert_eq!(compare_note(true, false, 0.0, 0.0), None);
        assert_eq!(
            compare_note(true, true, 4.04, 0.0).as_deref(),
            Some("dry +4.0 dB")
        );
        let capped = compare_note(true, true, 2.5, 3.26).unwrap();
        assert!(
            capped.starts_with("Compare at -3.3 dB (dry +2.5 dB): the mix would pass the ceiling"),
            "{capped}"
        );
    }
}
