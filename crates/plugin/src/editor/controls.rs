//! Parameter controls: a knob (macros, Drive, Ceiling, Output), a compact bar (the expert
//! section) and a toggle (Bypass). Every edit goes through the host with a
//! begin/set/end gesture ([`ParamSetter`]), so hosts record automation and undo; a
//! double-click resets to the default; every control shows its value with its unit (the
//! parameter's own formatter, `include_unit = true`). Drag up/right to raise, Shift for fine.

use super::theme;
use egui::{Align2, Response, Sense, Stroke, Ui, Vec2, pos2, vec2};
use nice_plug::prelude::{BoolParam, Param, ParamSetter};
use std::collections::BTreeMap;
use std::f32::consts::PI;

/// Normalised change per pixel of drag (a full sweep over 200 px).
const DRAG_PER_PIXEL: f32 = 1.0 / 200.0;
/// Fine drag (Shift): ten times slower.
const FINE_DRAG_PER_PIXEL: f32 = DRAG_PER_PIXEL / 10.0;
/// Knob sweep, radians (from -135 deg to +135 deg around the top).
const KNOB_SWEEP_RAD: f32 = 1.5 * PI;

/// Applies the pointer interaction on `response` to `param` with gestures; `along` is the
/// drag direction that raises the value (up for knobs, right for bars).
fn interact<P: Param>(
    ui: &Ui,
    response: &Response,
    param: &P,
    setter: &ParamSetter<'_>,
    along: Vec2,
) {
    if response.double_clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, param.default_plain_value());
        setter.end_set_parameter(param);
        return;
    }
    if response.drag_started() {
        setter.begin_set_parameter(param);
    }
    if response.dragged() {
        let delta = response.drag_delta();
        let pixels = delta.x * along.x + delta.y * along.y;
        if pixels != 0.0 {
            let per_pixel = if ui.input(|i| i.modifiers.shift) {
                FINE_DRAG_PER_PIXEL
            } else {
                DRAG_PER_PIXEL
            };
            // Accumulate on the unsnapped position kept in egui's memory, so stepped
            // parameters still move on slow drags.
            let id = response.id.with("unsnapped");
            let start = ui
                .data(|d| d.get_temp::<f32>(id))
                .unwrap_or_else(|| param.unmodulated_normalized_value());
            let target = (start + pixels * per_pixel).clamp(0.0, 1.0);
            ui.data_mut(|d| d.insert_temp(id, target));
            // Snap to the parameter's steps before sending.
            let snapped = param.preview_normalized(param.preview_plain(target));
            if snapped != param.unmodulated_normalized_value() {
                setter.set_parameter_normalized(param, snapped);
            }
        }
    }
    if response.drag_stopped() {
        ui.data_mut(|d| d.remove::<f32>(response.id.with("unsnapped")));
        setter.end_set_parameter(param);
    }
}

/// The value with its unit, as the host shows it.
pub fn value_text<P: Param>(param: &P) -> String {
    param.normalized_value_to_string(param.unmodulated_normalized_value(), true)
}

/// What the controls drawn in this egui context showed: parameter name -> the text shown for
/// its value (the latest frame's). Kept in the context's temporary data so tests can check that
/// every control is a host parameter and shows its unit ([`shown_controls`]).
#[derive(Debug, Clone, Default)]
pub struct ShownControls(pub BTreeMap<String, String>);

/// Notes that a control for the parameter `name` showed `text`.
pub fn record_control(ui: &Ui, name: &str, text: &str) {
    ui.ctx().data_mut(|d| {
        let shown = d.get_temp_mut_or_default::<ShownControls>(egui::Id::NULL);
        if shown.0.get(name).map(String::as_str) != Some(text) {
            shown.0.insert(name.to_string(), text.to_string());
        }
    });
}

/// Every control drawn so far in `ctx` (see [`ShownControls`]).
pub fn shown_controls(ctx: &egui::Context) -> ShownControls {
    ctx.data(|d| d.get_temp::<ShownControls>(egui::Id::NULL))
        .unwrap_or_default()
}

/// The egui id of the knob of the parameter named `name`: stable across frames and pages,
/// so egui keeps its drag state, and tests can find the widget (`Context::read_response`).
pub fn knob_id(name: &str) -> egui::Id {
    egui::Id::unique(("lacquer_knob", name))
}

/// A knob with its name above and its value (with unit) below. `bipolar` draws the arc from
/// the default (e.g. Tone at 0) instead of from the minimum.
pub fn knob<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter<'_>, bipolar: bool) -> Response {
    knob_of_width(ui, param, setter, bipolar, KNOB_WIDTH)
}

/// Width a knob and its texts take, logical px.
pub const KNOB_WIDTH: f32 = 86.0;

/// [`knob`] in a slot `width` px wide (a row that must fit narrows its knobs; the texts are
/// centred and may reach into the neighbours' margins).
pub fn knob_of_width<P: Param>(
    ui: &mut Ui,
    param: &P,
    setter: &ParamSetter<'_>,
    bipolar: bool,
    width: f32,
) -> Response {
    let diameter = 46.0;
    let (rect, _) = ui.allocate_exact_size(vec2(width, diameter + 34.0), Sense::hover());
    let response = ui.interact(rect, knob_id(param.name()), Sense::click_and_drag());
    interact(ui, &response, param, setter, vec2(0.0, -1.0));
    // The texts may reach a little past a narrowed slot into the gaps beside it.
    let painter = ui.painter_at(rect.expand2(vec2(14.0, 2.0)));
    painter.text(
        pos2(rect.center().x, rect.top()),
        Align2::CENTER_TOP,
        param.name(),
        theme::small_font(),
        theme::TEXT_DIM,
    );
    let centre = pos2(rect.center().x, rect.top() + 14.0 + diameter * 0.5);
    let radius = diameter * 0.5 - 3.0;
    let angle_of = |normalized: f32| -0.5 * PI - 0.5 * KNOB_SWEEP_RAD + normalized * KNOB_SWEEP_RAD;
    let arc = |from: f32, to: f32| -> Vec<egui::Pos2> {
        let n = 40;
        (0..=n)
            .map(|i| {
                let a = angle_of(from + (to - from) * i as f32 / n as f32);
                centre + radius * vec2(a.cos(), a.sin())
            })
            .collect()
    };
    painter.circle_filled(centre, radius - 5.0, theme::PANEL);
    painter.line(arc(0.0, 1.0), Stroke::new(4.0, theme::GRID));
    let value = param.unmodulated_normalized_value();
    let origin = if bipolar {
        param.default_normalized_value()
    } else {
        0.0
    };
    let hot = response.hovered() || response.dragged();
    let colour = if hot {
        theme::ACCENT
    } else {
        theme::ACCENT.gamma_multiply(0.85)
    };
    if (value - origin).abs() > 1e-4 {
        painter.line(
            arc(origin.min(value), origin.max(value)),
            Stroke::new(4.0, colour),
        );
    }
    let a = angle_of(value);
    painter.line_segment(
        [
            centre + (radius - 14.0) * vec2(a.cos(), a.sin()),
            centre + (radius - 5.0) * vec2(a.cos(), a.sin()),
        ],
        Stroke::new(2.0, theme::TEXT),
    );
    painter.text(
        pos2(rect.center().x, rect.bottom()),
        Align2::CENTER_BOTTOM,
        {
            let text = value_text(param);
            record_control(ui, param.name(), &text);
            text
        },
        egui::FontId::proportional(11.5),
        theme::TEXT,
    );
    response.on_hover_text("Drag up/down (Shift: fine); double-click resets")
}

/// A horizontal bar for the expert section: name on the left, value (with unit) on the bar.
pub fn bar<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter<'_>, width: f32) -> Response {
    let (rect, response) = ui.allocate_exact_size(vec2(width, 17.0), Sense::click_and_drag());
    interact(ui, &response, param, setter, vec2(1.0, 0.0));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, theme::PANEL);
    let value = param.unmodulated_normalized_value();
    let mut fill = rect;
    fill.set_width(rect.width() * value);
    let hot = response.hovered() || response.dragged();
    painter.rect_filled(
        fill,
        3.0,
        if hot {
            theme::ACCENT.gamma_multiply(0.55)
        } else {
            theme::ACCENT.gamma_multiply(0.35)
        },
    );
    painter.text(
        rect.left_center() + vec2(6.0, 0.0),
        Align2::LEFT_CENTER,
        param.name(),
        theme::small_font(),
        theme::TEXT_DIM,
    );
    painter.text(
        rect.right_center() - vec2(6.0, 0.0),
        Align2::RIGHT_CENTER,
        {
            let text = value_text(param);
            record_control(ui, param.name(), &text);
            text
        },
        egui::FontId::proportional(11.0),
        theme::TEXT,
    );
    response.on_hover_text("Drag left/right (Shift: fine); double-click resets")
}

/// A toggle button for a boolean parameter (one gesture per click).
pub fn toggle(ui: &mut Ui, param: &BoolParam, setter: &ParamSetter<'_>, label: &str) -> Response {
    let on = param.value();
    record_control(ui, param.name(), &value_text(param));
    let text = egui::RichText::new(label).color(if on { theme::BACKGROUND } else { theme::TEXT });
    let button = egui::Button::new(text).fill(if on { theme::ACCENT } else { theme::PANEL });
    let response = ui.add(button);
    if response.clicked() {
        setter.begin_set_parameter(param);
        setter.set_parameter(param, !on);
        setter.end_set_parameter(param);
    }
    response
}
