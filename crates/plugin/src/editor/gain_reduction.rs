//! Gain-reduction view: the limiter's reduction as a scrolling trace (last 10 s, the largest
//! reduction per 50 ms) and the multiband compressor's reduction per band as bars with a
//! falling peak display.

use super::{plot, theme};
use crate::meter::MeterBus;
use crate::meter::history::GAIN_REDUCTION_HISTORY_SLOTS;
use egui::{Align2, Rect, Stroke, Ui, pos2, vec2};
use std::sync::atomic::Ordering;

/// Depth of the trace and the bars, dB.
const RANGE_DB: f32 = 12.0;
/// Fall rate of the band bars after a peak, dB per second.
const BAND_FALL_DB_PER_S: f32 = 12.0;
/// Band names, low to high.
const BAND_NAMES: [&str; 3] = ["Low", "Mid", "High"];

/// State kept between frames.
pub struct GainReductionView {
    trace: Vec<f32>,
    band_display_db: [f32; 3],
}

impl Default for GainReductionView {
    fn default() -> Self {
        Self {
            trace: vec![0.0; GAIN_REDUCTION_HISTORY_SLOTS],
            band_display_db: [0.0; 3],
        }
    }
}

impl GainReductionView {
    /// Pulls the band peak holds (consumed every frame) and lets the bars fall.
    pub fn update(&mut self, bus: &MeterBus, dt_s: f32) {
        let held = bus.take_band_gain_reduction_hold_db();
        for (shown, new) in self.band_display_db.iter_mut().zip(held) {
            *shown = new.max(*shown - BAND_FALL_DB_PER_S * dt_s).max(0.0);
        }
    }

    /// The limiter's gain reduction as a trace hanging from the top (0 dB) over 10 s.
    pub fn trace(&mut self, ui: &mut Ui, bus: &MeterBus, size: egui::Vec2) {
        bus.gain_reduction_history.copy_in_order(&mut self.trace);
        let now_db = bus.gain_reduction_db.load(Ordering::Relaxed);
        let (rect, painter) = plot::area(ui, size, "LIMITER GR, LAST 10 s");
        painter.text(
            rect.right_top() + vec2(0.0, -17.0),
            Align2::RIGHT_TOP,
            format!("{now_db:.1} dB"),
            theme::small_font(),
            theme::TEXT,
        );
        for db in [3.0, 6.0, 9.0] {
            let y = plot::y_of(rect, -db, -RANGE_DB, 0.0);
            painter.line_segment(
                [pos2(rect.left(), y), pos2(rect.right(), y)],
                Stroke::new(1.0, theme::GRID),
            );
            painter.text(
                pos2(rect.right() - 2.0, y - 1.0),
                Align2::RIGHT_BOTTOM,
                format!("-{db:.0} dB"),
                theme::small_font(),
                theme::TEXT_DIM,
            );
        }
        let n = self.trace.len().max(2) as f32;
        let points: Vec<egui::Pos2> = self
            .trace
            .iter()
            .enumerate()
            .map(|(i, &db)| {
                pos2(
                    rect.left() + rect.width() * i as f32 / (n - 1.0),
                    plot::y_of(rect, -db.max(0.0), -RANGE_DB, 0.0),
                )
            })
            .collect();
        for pair in points.windows(2) {
            let (prev, p) = (pair[0], pair[1]);
            painter.add(egui::Shape::convex_polygon(
                vec![pos2(prev.x, rect.top()), pos2(p.x, rect.top()), p, prev],
                theme::ACCENT_DIM,
                Stroke::NONE,
            ));
        }
        painter.line(points, Stroke::new(1.5, theme::ACCENT));
    }

    /// The multiband compressor's gain reduction per band, as bars hanging from the top.
    pub fn bands(&mut self, ui: &mut Ui, size: egui::Vec2) {
        let (rect, painter) = plot::area(ui, size, "BAND COMPRESSION");
        let bar_w = rect.width() / 3.0;
        for (b, (name, db)) in BAND_NAMES.iter().zip(self.band_display_db).enumerate() {
            let x0 = rect.left() + b as f32 * bar_w;
            let track = Rect::from_min_max(
                pos2(x0 + 8.0, rect.top()),
                pos2(x0 + bar_w - 8.0, rect.bottom() - 14.0),
            );
            painter.rect_filled(track, 2.0, theme::BACKGROUND);
            let depth = (db / RANGE_DB).clamp(0.0, 1.0) * track.height();
            let bar = Rect::from_min_max(track.min, pos2(track.right(), track.top() + depth));
            painter.rect_filled(bar, 2.0, theme::ACCENT);
            painter.text(
                pos2(track.center().x, rect.bottom()),
                Align2::CENTER_BOTTOM,
                format!("{name} {db:.1} dB"),
                theme::small_font(),
                theme::TEXT_DIM,
            );
        }
    }
}
