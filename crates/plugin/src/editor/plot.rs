//! Small drawing helpers shared by the meter views: a titled graph area, axis mappings and
//! scale lines.

use super::theme;
use egui::{Align2, Painter, Pos2, Rect, Sense, Stroke, Ui, pos2, vec2};

/// Allocates a graph area of `size` with a background and a title in the top-left corner;
/// returns the plotting rectangle (below the title) and a painter clipped to the area.
pub fn area(ui: &mut Ui, size: egui::Vec2, title: &str) -> (Rect, Painter) {
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, theme::PANEL);
    painter.text(
        rect.left_top() + vec2(8.0, 5.0),
        Align2::LEFT_TOP,
        title,
        theme::heading_font(),
        theme::TEXT_DIM,
    );
    let plot = Rect::from_min_max(rect.min + vec2(8.0, 22.0), rect.max - vec2(8.0, 8.0));
    (plot, painter)
}

/// Maps a value in `lo..hi` to a y coordinate in `rect` (hi at the top), clamped.
pub fn y_of(rect: Rect, value: f32, lo: f32, hi: f32) -> f32 {
    let t = ((value - lo) / (hi - lo)).clamp(0.0, 1.0);
    rect.bottom() - t * rect.height()
}

/// Maps a frequency to x on a log axis from `lo_hz` to `hi_hz`, clamped.
pub fn x_of_freq(rect: Rect, freq_hz: f32, lo_hz: f32, hi_hz: f32) -> f32 {
    let t = ((freq_hz / lo_hz).ln() / (hi_hz / lo_hz).ln()).clamp(0.0, 1.0);
    rect.left() + t * rect.width()
}

/// Horizontal scale lines at `values` with labels on the right edge (`unit` appended).
pub fn h_scale(painter: &Painter, rect: Rect, values: &[f32], lo: f32, hi: f32, unit: &str) {
    for &v in values {
        let y = y_of(rect, v, lo, hi);
        painter.line_segment(
            [pos2(rect.left(), y), pos2(rect.right(), y)],
            Stroke::new(1.0, theme::GRID),
        );
        painter.text(
            pos2(rect.right() - 2.0, y - 1.0),
            Align2::RIGHT_BOTTOM,
            format!("{v:.0}{unit}"),
            theme::small_font(),
            theme::TEXT_DIM,
        );
    }
}

/// A polyline through finite points only: non-finite values break the line.
pub fn broken_line(painter: &Painter, points: impl Iterator<Item = Option<Pos2>>, stroke: Stroke) {
    let mut run: Vec<Pos2> = Vec::new();
    for p in points {
        match p {
            Some(p) => run.push(p),
            None => {
                if run.len() > 1 {
                    painter.line(std::mem::take(&mut run), stroke);
                }
                run.clear();
            }
        }
    }
    if run.len() > 1 {
        painter.line(run, stroke);
    }
}
