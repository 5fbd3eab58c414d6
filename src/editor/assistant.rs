//! Assistant panel: how much of each of the assistant's decisions to apply (the Amount
//! parameters, bound) and, once the plugin-side assistant lands, Listen / Accept / Cancel,
//! seconds captured and progress, the detected family blend and the explanations.
//!
//! PENDING (issue #6 item 4): the lead is adding the assistant's Listen/Accept/Cancel API
//! and its status struct (described in /work/briefs/editor-api.md as it lands). Until then
//! this panel shows the Amounts and a clearly marked placeholder for the rest.

use super::controls::knob;
use super::theme;
use crate::params::LacquerParams;
use egui::{RichText, Ui};
use nice_plug::prelude::ParamSetter;

/// Draws the panel.
pub fn show(ui: &mut Ui, params: &LacquerParams, setter: &ParamSetter) {
    ui.label(
        RichText::new("ASSISTANT")
            .font(theme::heading_font())
            .color(theme::TEXT_DIM),
    );
    ui.label(
        RichText::new("How much of the assistant's decision to apply, per area:")
            .color(theme::TEXT_DIM),
    );
    ui.horizontal(|ui| {
        knob(ui, &params.goal.amount_tone, setter, false);
        knob(ui, &params.goal.amount_dynamics, setter, false);
        knob(ui, &params.goal.amount_width, setter, false);
    });
    ui.add_space(8.0);
    egui::Frame::new()
        .fill(theme::PANEL)
        .stroke(egui::Stroke::new(1.0, theme::GRID))
        .inner_margin(8.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.label(RichText::new("Listen / Accept / Cancel: not wired yet").color(theme::ACCENT));
            ui.label(
                RichText::new(
                    "Pending the plugin-side assistant (capture, analysis on the background \
                     executor, status). Meanwhile `lacquer master` runs the same assistant \
                     on a file.",
                )
                .color(theme::TEXT_DIM),
            );
            ui.add_enabled_ui(false, |ui| {
                ui.horizontal(|ui| {
                    let _ = ui.button("Listen");
                    let _ = ui.button("Accept");
                    let _ = ui.button("Cancel");
                });
            });
        });
}
