//! Stereo view: the correlation meter (-1..+1) and the vectorscope (mid up, side across: a
//! mono signal is a vertical line, an out-of-phase one a horizontal line).

use super::{plot, theme};
use crate::meter::MeterBus;
use crate::meter::stereo_meter::{VECTORSCOPE_POINTS, VectorscopeReader};
use egui::{Align2, Color32, Rect, Stroke, Ui, pos2, vec2};
use std::sync::atomic::Ordering;

/// Display gain of the vectorscope: a mid (or side) of 0.7 reaches the edge of the square, so
/// a mastered mix fills it without most points being clamped.
const SCOPE_GAIN: f32 = 1.0 / 0.7;

/// State kept between frames: the last vectorscope frame.
pub struct StereoView {
    points: Vec<[f32; 2]>,
    correlation_shown: f32,
}

impl Default for StereoView {
    fn default() -> Self {
        Self {
            points: vec![[0.0; 2]; VECTORSCOPE_POINTS],
            correlation_shown: 0.0,
        }
    }
}

impl StereoView {
    /// Takes a new vectorscope frame if one arrived.
    pub fn update(&mut self, reader: &mut VectorscopeReader, bus: &MeterBus) {
        if let Some(frame) = reader.take_new() {
            self.points.clear();
            self.points.extend_from_slice(&frame.side_mid);
        }
        self.correlation_shown = bus.correlation.load(Ordering::Relaxed);
    }

    /// Correlation bar then the vectorscope, stacked in `width`.
    pub fn show(&mut self, ui: &mut Ui, width: f32, scope_height: f32) {
        let (rect, painter) = plot::area(ui, vec2(width, 58.0), "CORRELATION");
        let bar = Rect::from_min_max(
            pos2(rect.left(), rect.center().y - 5.0),
            pos2(rect.right(), rect.center().y + 5.0),
        );
        painter.rect_filled(bar, 2.0, theme::BACKGROUND);
        let x_of = |r: f32| bar.left() + (r + 1.0) * 0.5 * bar.width();
        for r in [-1.0, -0.5, 0.0, 0.5, 1.0] {
            painter.line_segment(
                [
                    pos2(x_of(r), bar.top() - 3.0),
                    pos2(x_of(r), bar.bottom() + 3.0),
                ],
                Stroke::new(1.0, theme::GRID),
            );
        }
        let r = self.correlation_shown;
        let colour = if r < 0.0 {
            theme::WARNING
        } else {
            theme::ACCENT
        };
        let span = Rect::from_min_max(
            pos2(x_of(0.0).min(x_of(r)), bar.top()),
            pos2(x_of(0.0).max(x_of(r)), bar.bottom()),
        );
        painter.rect_filled(span, 2.0, colour);
        painter.text(
            pos2(bar.left(), bar.bottom() + 4.0),
            Align2::LEFT_TOP,
            "-1",
            theme::small_font(),
            theme::TEXT_DIM,
        );
        painter.text(
            pos2(bar.right(), bar.bottom() + 4.0),
            Align2::RIGHT_TOP,
            "+1",
            theme::small_font(),
            theme::TEXT_DIM,
        );
        painter.text(
            pos2(bar.center().x, bar.bottom() + 4.0),
            Align2::CENTER_TOP,
            format!("{r:+.2}"),
            theme::small_font(),
            theme::TEXT,
        );

        let (rect, painter) = plot::area(ui, vec2(width, scope_height), "VECTORSCOPE");
        let side = rect.width().min(rect.height());
        let square = Rect::from_center_size(rect.center(), vec2(side, side));
        let c = square.center();
        let half = side * 0.5;
        painter.line_segment(
            [pos2(c.x, square.top()), pos2(c.x, square.bottom())],
            Stroke::new(1.0, theme::GRID),
        );
        painter.line_segment(
            [pos2(square.left(), c.y), pos2(square.right(), c.y)],
            Stroke::new(1.0, theme::GRID),
        );
        // L and R axes (45 degrees).
        for (sign, label) in [(-1.0, "L"), (1.0, "R")] {
            let end = c + vec2(-sign * half * 0.7, -half * 0.7);
            painter.line_segment([c, end], Stroke::new(1.0, theme::GRID));
            painter.text(
                end,
                Align2::CENTER_BOTTOM,
                label,
                theme::small_font(),
                theme::TEXT_DIM,
            );
        }
        painter.text(
            pos2(c.x, square.top()),
            Align2::CENTER_TOP,
            "M",
            theme::small_font(),
            theme::TEXT_DIM,
        );
        let dot = Color32::from_rgba_unmultiplied(
            theme::ACCENT.r(),
            theme::ACCENT.g(),
            theme::ACCENT.b(),
            110,
        );
        for p in self.points.iter().step_by(2) {
            // Side across (L to the left), mid up.
            let x = (-p[0] * SCOPE_GAIN).clamp(-1.0, 1.0);
            let y = (p[1] * SCOPE_GAIN).clamp(-1.0, 1.0);
            painter.circle_filled(c + vec2(x * half, -y * half), 1.1, dot);
        }
    }
}
