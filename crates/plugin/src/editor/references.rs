//! The Assistant page's reference tracks: a path field and "Add reference" (no native file
//! dialog: the editor runs inside the host's window, headless hosts have none), the loaded
//! references (file name, loudness, length, weight slider, Remove), a line for each file being
//! analysed and one line per file that could not be used. Decoding and analysis run on the
//! background executor ([`Assistant::add_reference`]); the list itself is the project's
//! persisted field, so editing it here is saved with the project.

use super::theme;
use crate::listen::Assistant;
use crate::listen::references::SavedReference;
use egui::{RichText, Ui};
use std::path::PathBuf;

/// What the user did to one row this frame.
enum Edit {
    Weight(usize, f32),
    Remove(usize),
}

/// Draws the references section. `assistant` is `None` only in tests without a plugin.
pub fn show(ui: &mut Ui, assistant: Option<&Assistant>) {
    let references = assistant.map(Assistant::references).unwrap_or_default();
    let status = assistant
        .map(Assistant::reference_status)
        .unwrap_or_default();
    let weighted = references.iter().any(|r| r.weight_pct > 0.0);
    ui.label(
        RichText::new(if weighted {
            "Reference tracks (Listen decides against them, not the family):"
        } else {
            "Reference tracks (optional: with any loaded, Listen decides against them):"
        })
        .color(theme::TEXT_DIM),
    );
    path_row(ui, assistant);
    for file in &status.loading {
        ui.label(RichText::new(format!("Analysing {file}...")).color(theme::TEXT_DIM));
    }
    for error in &status.errors {
        ui.label(RichText::new(error).color(theme::WARNING));
    }
    let mut edits = Vec::new();
    egui::Grid::new("references")
        .num_columns(5)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            for (i, r) in references.iter().enumerate() {
                row(ui, i, r, &mut edits);
                ui.end_row();
            }
        });
    if let (Some(assistant), false) = (assistant, edits.is_empty()) {
        assistant.edit_references(|list| {
            for edit in edits {
                match edit {
                    Edit::Weight(i, w) => {
                        if let Some(r) = list.get_mut(i) {
                            r.weight_pct = w;
                        }
                    }
                    Edit::Remove(i) if i < list.len() => {
                        list.remove(i);
                    }
                    Edit::Remove(_) => {}
                }
            }
        });
    }
}

/// The path field and its button; Enter in the field adds too.
fn path_row(ui: &mut Ui, assistant: Option<&Assistant>) {
    let id = ui.scope_id().with("reference_path");
    let mut path: String = ui.data_mut(|d| d.get_temp(id)).unwrap_or_default();
    ui.horizontal(|ui| {
        let field = ui.add(
            egui::TextEdit::singleline(&mut path)
                .hint_text("Path of a WAV, FLAC, MP3, Ogg Vorbis or AIFF file")
                .desired_width(380.0),
        );
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let clicked = ui
            .add_enabled(
                assistant.is_some() && !path.trim().is_empty(),
                egui::Button::new("Add reference"),
            )
            .on_hover_text(
                "Decode and analyse the file (in the background); the project keeps its \
                 analysis, so it reopens with the same target even without the file",
            )
            .clicked();
        if (entered || clicked)
            && !path.trim().is_empty()
            && let Some(assistant) = assistant
        {
            assistant.add_reference(PathBuf::from(path.trim()));
            path.clear();
        }
    });
    ui.data_mut(|d| d.insert_temp(id, path));
}

/// One reference: name (its path on hover), loudness, length, weight, Remove.
fn row(ui: &mut Ui, i: usize, r: &SavedReference, edits: &mut Vec<Edit>) {
    ui.label(RichText::new(&r.name).color(theme::TEXT))
        .on_hover_text(&r.path);
    let lufs = r
        .features
        .integrated_lufs
        .map_or("- LUFS".to_string(), |l| format!("{l:.1} LUFS"));
    ui.label(RichText::new(lufs).color(theme::TEXT));
    ui.label(RichText::new(format!("{:.0} s", r.features.duration_s)).color(theme::TEXT_DIM));
    let mut weight = r.weight_pct;
    let slider = ui
        .add(
            egui::Slider::new(&mut weight, 0.0..=100.0)
                .step_by(1.0)
                .suffix(" %")
                .text("weight"),
        )
        .on_hover_text("Its share of the target (0 % leaves it out)");
    if slider.changed() {
        edits.push(Edit::Weight(i, weight));
    }
    if ui
        .small_button("Remove")
        .on_hover_text("Take it out of the target")
        .clicked()
    {
        edits.push(Edit::Remove(i));
    }
}
