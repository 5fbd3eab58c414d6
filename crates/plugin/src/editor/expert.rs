//! The expert section: every stage parameter (limiter, tonal EQ, crossovers, the three
//! bands' dynamics and width, and the resonance control) as compact bars, in columns by
//! stage. The same parameters (same ids) the host automates.

use super::controls::{bar, toggle};
use super::theme;
use crate::params::{BandParams, BellParams, LacquerParams};
use egui::{RichText, Ui};
use nice_plug::prelude::ParamSetter;

/// Width of one bar, logical px.
const BAR_WIDTH: f32 = 228.0;

fn heading(ui: &mut Ui, text: &str) {
    ui.add_space(4.0);
    ui.label(
        RichText::new(text)
            .font(theme::heading_font())
            .color(theme::TEXT_DIM),
    );
}

fn bell(ui: &mut Ui, b: &BellParams, setter: &ParamSetter<'_>) {
    bar(ui, &b.gain, setter, BAR_WIDTH);
    bar(ui, &b.freq, setter, BAR_WIDTH);
    bar(ui, &b.q, setter, BAR_WIDTH);
    ui.add_space(3.0);
}

fn band(ui: &mut Ui, b: &BandParams, setter: &ParamSetter<'_>) {
    bar(ui, &b.threshold, setter, BAR_WIDTH);
    bar(ui, &b.ratio, setter, BAR_WIDTH);
    bar(ui, &b.attack, setter, BAR_WIDTH);
    bar(ui, &b.release, setter, BAR_WIDTH);
    bar(ui, &b.width, setter, BAR_WIDTH);
    ui.add_space(3.0);
}

/// Draws the section (scrolls when the window is small).
pub fn show(ui: &mut Ui, params: &LacquerParams, setter: &ParamSetter<'_>) {
    egui::ScrollArea::both().show(ui, |ui| {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                heading(ui, "LIMITER");
                bar(ui, &params.drive, setter, BAR_WIDTH);
                bar(ui, &params.ceiling, setter, BAR_WIDTH);
                bar(ui, &params.lookahead, setter, BAR_WIDTH);
                bar(ui, &params.release, setter, BAR_WIDTH);
                bar(ui, &params.link, setter, BAR_WIDTH);
                bar(ui, &params.output, setter, BAR_WIDTH);
                heading(ui, "GOAL");
                bar(ui, &params.goal.target_lufs, setter, BAR_WIDTH);
                heading(ui, "MACROS");
                bar(ui, &params.macros.tone, setter, BAR_WIDTH);
                bar(ui, &params.macros.dynamics, setter, BAR_WIDTH);
                bar(ui, &params.macros.width, setter, BAR_WIDTH);
                bar(ui, &params.macros.bass_mono, setter, BAR_WIDTH);
                heading(ui, "CROSSOVERS");
                bar(ui, &params.bands.crossover_low, setter, BAR_WIDTH);
                bar(ui, &params.bands.crossover_high, setter, BAR_WIDTH);
            });
            ui.vertical(|ui| {
                let eq = &params.eq;
                heading(ui, "TONAL EQ");
                bar(ui, &eq.high_pass, setter, BAR_WIDTH);
                bar(ui, &eq.low_shelf_gain, setter, BAR_WIDTH);
                bar(ui, &eq.low_shelf_freq, setter, BAR_WIDTH);
                ui.add_space(3.0);
                for b in [&eq.bell1, &eq.bell2, &eq.bell3, &eq.bell4, &eq.bell5] {
                    bell(ui, b, setter);
                }
                bar(ui, &eq.high_shelf_gain, setter, BAR_WIDTH);
                bar(ui, &eq.high_shelf_freq, setter, BAR_WIDTH);
            });
            ui.vertical(|ui| {
                let bands = &params.bands;
                heading(ui, "BANDS: DYNAMICS, WIDTH");
                band(ui, &bands.low, setter);
                band(ui, &bands.mid, setter);
                band(ui, &bands.high, setter);
                let res = &params.resonance;
                heading(ui, "RESONANCE");
                bar(ui, &res.amount, setter, BAR_WIDTH);
                bar(ui, &res.depth, setter, BAR_WIDTH);
                bar(ui, &res.low, setter, BAR_WIDTH);
                bar(ui, &res.high, setter, BAR_WIDTH);
                bar(ui, &res.speed, setter, BAR_WIDTH);
                ui.horizontal(|ui| {
                    toggle(ui, &res.delta, setter, "Delta")
                        .on_hover_text("Hear only what the resonance control removes");
                    toggle(ui, &res.low_latency, setter, "Low latency").on_hover_text(
                        "Frames a quarter as long: 11 ms instead of 43 ms of latency, coarser \
                         in frequency",
                    );
                });
            });
        });
    });
}
