//! Loudness view: momentary, short-term and integrated LUFS, LRA and true peak (maximum since
//! playback started, and a peak hold the user resets), plus the 30 s short-term history graph
//! with the target line.

use super::{plot, theme};
use crate::meter::MeterBus;
use crate::meter::bus::NO_READING;
use crate::meter::history::{LOUDNESS_HISTORY_PERIOD_MS, LOUDNESS_HISTORY_SLOTS};
use egui::{Align2, RichText, Stroke, Ui, pos2, vec2};
use std::sync::atomic::Ordering;

/// Range of the history graph, LUFS.
const GRAPH_RANGE_LUFS: (f32, f32) = (-36.0, -3.0);

/// State of the loudness view kept between frames.
pub struct LoudnessView {
    history: Vec<f32>,
    /// Highest true peak since the user's last reset, dBTP.
    true_peak_hold_dbtp: f32,
}

impl Default for LoudnessView {
    fn default() -> Self {
        Self {
            history: vec![NO_READING; LOUDNESS_HISTORY_SLOTS],
            true_peak_hold_dbtp: NO_READING,
        }
    }
}

impl LoudnessView {
    /// Pulls this frame's readings that must be consumed every frame (the peak hold).
    pub fn update(&mut self, bus: &MeterBus) {
        self.true_peak_hold_dbtp = self.true_peak_hold_dbtp.max(bus.take_true_peak_hold());
    }

    /// The numbers: M, S, I (big), LRA, true peak max and hold with its reset button.
    pub fn numbers(&mut self, ui: &mut Ui, bus: &MeterBus, target_lufs: f32) {
        let load = |v: &atomic_float::AtomicF32| v.load(Ordering::Relaxed);
        ui.label(
            RichText::new("LOUDNESS")
                .font(theme::heading_font())
                .color(theme::TEXT_DIM),
        );
        let integrated = load(&bus.integrated_lufs);
        egui::Grid::new("loudness_numbers")
            .num_columns(2)
            .spacing([8.0, 0.0])
            .show(ui, |ui| {
                for (label, value, highlight) in [
                    ("Momentary", load(&bus.momentary_lufs), false),
                    ("Short-term", load(&bus.short_term_lufs), false),
                    ("Integrated", integrated, true),
                ] {
                    ui.label(RichText::new(label).color(theme::TEXT_DIM).size(11.0));
                    let colour = if highlight {
                        theme::ACCENT
                    } else {
                        theme::TEXT
                    };
                    ui.label(
                        RichText::new(theme::fmt_reading(value, "LUFS"))
                            .font(theme::big_number_font())
                            .color(colour),
                    );
                    ui.end_row();
                }
            });
        if integrated.is_finite() {
            let off = integrated - target_lufs;
            ui.label(
                RichText::new(format!(
                    "{off:+.1} LU from the {target_lufs:.1} LUFS target"
                ))
                .size(11.0)
                .color(theme::TEXT_DIM),
            );
        }
        ui.add_space(4.0);
        let tp_max = load(&bus.true_peak_max_dbtp);
        egui::Grid::new("loudness_small")
            .num_columns(2)
            .spacing([8.0, 2.0])
            .show(ui, |ui| {
                ui.label(RichText::new("LRA").color(theme::TEXT_DIM).size(11.0));
                ui.label(theme::fmt_reading(load(&bus.loudness_range_lu), "LU"));
                ui.end_row();
                ui.label(
                    RichText::new("True peak max")
                        .color(theme::TEXT_DIM)
                        .size(11.0),
                );
                ui.label(tp_colour(tp_max));
                ui.end_row();
                ui.label(
                    RichText::new("True peak hold")
                        .color(theme::TEXT_DIM)
                        .size(11.0),
                );
                ui.horizontal(|ui| {
                    ui.label(tp_colour(self.true_peak_hold_dbtp));
                    if ui
                        .small_button("Reset")
                        .on_hover_text("Clear the true-peak hold")
                        .clicked()
                    {
                        self.true_peak_hold_dbtp = NO_READING;
                    }
                });
                ui.end_row();
            });
    }

    /// The short-term history graph (30 s) with the target line.
    pub fn history(&mut self, ui: &mut Ui, bus: &MeterBus, target_lufs: f32, size: egui::Vec2) {
        bus.short_term_history.copy_in_order(&mut self.history);
        let (rect, painter) = plot::area(ui, size, "SHORT-TERM LOUDNESS, LAST 30 s");
        let (lo, hi) = GRAPH_RANGE_LUFS;
        plot::h_scale(
            &painter,
            rect,
            &[-30.0, -24.0, -18.0, -12.0, -6.0],
            lo,
            hi,
            "",
        );
        let ty = plot::y_of(rect, target_lufs, lo, hi);
        painter.line_segment(
            [pos2(rect.left(), ty), pos2(rect.right(), ty)],
            Stroke::new(1.0, theme::SECONDARY),
        );
        painter.text(
            pos2(rect.left() + 2.0, ty - 1.0),
            Align2::LEFT_BOTTOM,
            format!("target {target_lufs:.0} LUFS"),
            theme::small_font(),
            theme::SECONDARY,
        );
        let n = self.history.len().max(2) as f32;
        let points = self.history.iter().enumerate().map(|(i, &v)| {
            v.is_finite().then(|| {
                pos2(
                    rect.left() + rect.width() * i as f32 / (n - 1.0),
                    plot::y_of(rect, v, lo, hi),
                )
            })
        });
        plot::broken_line(&painter, points, Stroke::new(1.8, theme::ACCENT));
        let seconds = LOUDNESS_HISTORY_SLOTS as f32 * LOUDNESS_HISTORY_PERIOD_MS * 1e-3;
        painter.text(
            rect.left_bottom() + vec2(2.0, -2.0),
            Align2::LEFT_BOTTOM,
            format!("-{seconds:.0} s"),
            theme::small_font(),
            theme::TEXT_DIM,
        );
    }
}

/// A true-peak reading, in the warning colour above 0 dBTP.
fn tp_colour(dbtp: f32) -> RichText {
    let text = RichText::new(theme::fmt_reading(dbtp, "dBTP"));
    if dbtp > 0.0 {
        text.color(theme::WARNING)
    } else {
        text
    }
}
