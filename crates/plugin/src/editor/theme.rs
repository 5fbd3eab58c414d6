//! Look of the editor: a dark theme with one accent colour, the shipped Inter fonts
//! (`assets/fonts/`, SIL OFL 1.1) with egui's default fonts as fallback, and the colours the
//! meter views share.

use egui::{Color32, FontData, FontDefinitions, FontFamily, FontId, Stroke, TextStyle};
use std::sync::Arc;

/// The one accent colour (amber lacquer): the active value, the output, the selection.
pub const ACCENT: Color32 = Color32::from_rgb(0xF2, 0xA9, 0x3B);
/// A dimmed accent for fills behind the accent line.
pub const ACCENT_DIM: Color32 = Color32::from_rgba_premultiplied(0x3D, 0x2B, 0x0F, 0x60);
/// Window background.
pub const BACKGROUND: Color32 = Color32::from_rgb(0x16, 0x17, 0x1A);
/// Background of a meter or graph area.
pub const PANEL: Color32 = Color32::from_rgb(0x1F, 0x21, 0x25);
/// Grid lines and frames.
pub const GRID: Color32 = Color32::from_rgb(0x33, 0x36, 0x3C);
/// Secondary text (scales, labels).
pub const TEXT_DIM: Color32 = Color32::from_rgb(0x8A, 0x8F, 0x98);
/// Primary text.
pub const TEXT: Color32 = Color32::from_rgb(0xE4, 0xE6, 0xEA);
/// Second trace in a graph (the input spectrum, the target): neutral grey-blue, so the
/// accent stays the only colour.
pub const SECONDARY: Color32 = Color32::from_rgb(0x7C, 0x8C, 0xA3);
/// Warning (clipping, over target): a desaturated red, used sparingly.
pub const WARNING: Color32 = Color32::from_rgb(0xE0, 0x5A, 0x4F);
/// The resonance stage's reduction over the spectrum: a soft violet, apart from the amber
/// output and the grey-blue input.
pub const RESONANCE: Color32 = Color32::from_rgb(0xB0, 0x8C, 0xF2);

/// Inter Regular, embedded.
const INTER_REGULAR: &[u8] = include_bytes!("../../../../assets/fonts/Inter-Regular.otf");
/// Inter SemiBold, embedded (headings and big numbers).
const INTER_SEMIBOLD: &[u8] = include_bytes!("../../../../assets/fonts/Inter-SemiBold.otf");
/// Family name for the bold face.
pub const BOLD_FAMILY: &str = "Inter SemiBold";

/// Font for big readouts (loudness numbers).
pub fn big_number_font() -> FontId {
    FontId::new(22.0, FontFamily::Name(BOLD_FAMILY.into()))
}

/// Font for headings of a view.
pub fn heading_font() -> FontId {
    FontId::new(12.0, FontFamily::Name(BOLD_FAMILY.into()))
}

/// Font for scale labels inside graphs.
pub fn small_font() -> FontId {
    FontId::new(10.0, FontFamily::Proportional)
}

/// Inter first, egui's default fonts behind it for the glyphs Inter lacks.
pub fn fonts() -> FontDefinitions {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        "Inter".to_owned(),
        Arc::new(FontData::from_static(INTER_REGULAR)),
    );
    fonts.font_data.insert(
        BOLD_FAMILY.to_owned(),
        Arc::new(FontData::from_static(INTER_SEMIBOLD)),
    );
    let fallback = fonts
        .families
        .get(&FontFamily::Proportional)
        .cloned()
        .unwrap_or_default();
    if let Some(family) = fonts.families.get_mut(&FontFamily::Proportional) {
        family.insert(0, "Inter".to_owned());
    }
    let mut bold = vec![BOLD_FAMILY.to_owned()];
    bold.extend(fallback);
    fonts
        .families
        .insert(FontFamily::Name(BOLD_FAMILY.into()), bold);
    fonts
}

/// Installs the fonts and the dark theme on a context.
pub fn apply(ctx: &egui::Context) {
    ctx.set_fonts(fonts());
    ctx.set_theme(egui::Theme::Dark);
    let mut style = (*ctx.global_style()).clone();
    style.text_styles = [
        (
            TextStyle::Heading,
            FontId::new(16.0, FontFamily::Name(BOLD_FAMILY.into())),
        ),
        (TextStyle::Body, FontId::new(12.5, FontFamily::Proportional)),
        (
            TextStyle::Button,
            FontId::new(12.5, FontFamily::Proportional),
        ),
        (
            TextStyle::Small,
            FontId::new(10.0, FontFamily::Proportional),
        ),
        (
            TextStyle::Monospace,
            FontId::new(12.0, FontFamily::Monospace),
        ),
    ]
    .into();
    style.spacing.item_spacing = egui::vec2(6.0, 4.0);
    let mut v = egui::Visuals::dark();
    v.panel_fill = BACKGROUND;
    v.window_fill = BACKGROUND;
    v.extreme_bg_color = PANEL;
    v.faint_bg_color = PANEL;
    v.override_text_color = Some(TEXT);
    v.selection.bg_fill = ACCENT.gamma_multiply(0.45);
    v.selection.stroke = Stroke::new(1.0, ACCENT);
    v.hyperlink_color = ACCENT;
    v.widgets.noninteractive.bg_stroke = Stroke::new(1.0, GRID);
    v.widgets.inactive.weak_bg_fill = PANEL;
    v.widgets.inactive.bg_fill = PANEL;
    v.widgets.hovered.weak_bg_fill = GRID;
    v.widgets.hovered.bg_stroke = Stroke::new(1.0, ACCENT.gamma_multiply(0.6));
    v.widgets.active.weak_bg_fill = GRID;
    v.widgets.active.bg_stroke = Stroke::new(1.0, ACCENT);
    style.visuals = v;
    ctx.set_style_of(egui::Theme::Dark, style);
}

/// Formats a reading with one decimal, or an en dash when there is none yet.
pub fn fmt_reading(value: f32, unit: &str) -> String {
    if value.is_finite() {
        format!("{value:.1} {unit}")
    } else {
        format!("\u{2013} {unit}")
    }
}
