//! Assistant panel: Listen / Accept / Cancel, seconds captured and the analysis progress, the
//! detected family blend (or the references the target came from), the reference tracks
//! ([`super::references`]), the explanations of every decision, and how much of each decision
//! to apply (the Amount parameters, which take effect at the next Listen).
//!
//! Listen is the host parameter `listen` (set here with a begin/set/end gesture, so a host
//! records it like any other); Accept and Cancel act on the applied proposal through
//! [`crate::listen::Assistant`].

use super::controls::{knob, toggle};
use super::theme;
use crate::assistant::decide::Problem;
use crate::assistant::explain::format_hz;
use crate::listen::Assistant;
use crate::listen::session::{ListenPhase, ListenStatus, RECOMMENDED_LISTEN_SECONDS};
use crate::params::LacquerParams;
use egui::{ProgressBar, RichText, Ui};
use nice_plug::prelude::ParamSetter;

/// Words for a phase.
fn phase_text(phase: ListenPhase) -> &'static str {
    match phase {
        ListenPhase::Idle => "Ready to listen",
        ListenPhase::Listening => "Listening",
        ListenPhase::Analysing => "Analysing",
        ListenPhase::Proposed => "Proposal ready (applying)",
        ListenPhase::Applied => "Applied: Accept or Cancel",
        ListenPhase::Failed => "No proposal",
    }
}

/// "modern 62 %, bass-heavy 30 %, acoustic 8 %", largest first.
pub fn family_blend_text(weights: &[(String, f32)]) -> String {
    let mut sorted: Vec<&(String, f32)> = weights.iter().collect();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    sorted
        .iter()
        .map(|(name, w)| format!("{name} {:.0} %", w * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Draws the panel. `assistant` is `None` only in tests that draw the editor without a plugin.
pub fn show(
    ui: &mut Ui,
    params: &LacquerParams,
    setter: &ParamSetter<'_>,
    assistant: Option<&Assistant>,
) {
    ui.label(
        RichText::new("ASSISTANT")
            .font(theme::heading_font())
            .color(theme::TEXT_DIM),
    );
    let status = assistant.map(|a| a.session.status()).unwrap_or_default();
    ui.horizontal(|ui| {
        let label = if params.listen.value() {
            "Listening: click to decide"
        } else {
            "Listen"
        };
        toggle(ui, &params.listen, setter, label).on_hover_text(
            "Play the loudest 30 s of the song while Listen is on; switching it off analyses \
             what was heard and applies the assistant's settings",
        );
        let applied = status.phase == ListenPhase::Applied;
        ui.add_enabled_ui(applied && assistant.is_some(), |ui| {
            if ui
                .button("Accept")
                .on_hover_text("Keep the assistant's settings")
                .clicked()
                && let Some(a) = assistant
            {
                a.accept();
            }
            if ui
                .button("Cancel")
                .on_hover_text("Put back the settings from before the assistant")
                .clicked()
                && let Some(a) = assistant
            {
                a.cancel();
            }
        });
        ui.label(RichText::new(phase_text(status.phase)).color(theme::ACCENT));
    });
    progress(ui, &status);
    if !status.message.is_empty() {
        let colour = if status.phase == ListenPhase::Failed {
            theme::WARNING
        } else {
            theme::TEXT
        };
        ui.label(RichText::new(&status.message).color(colour));
    }
    if assistant.is_some_and(|a| !a.has_context()) && status.phase == ListenPhase::Proposed {
        ui.label(RichText::new("Applying through the host...").color(theme::TEXT_DIM));
    }
    if !status.references.is_empty() {
        ui.label(
            RichText::new(format!(
                "Target: references {}",
                family_blend_text(&status.references)
            ))
            .color(theme::TEXT),
        );
    } else if !status.family_weights.is_empty() {
        ui.label(
            RichText::new(format!(
                "Target: {}",
                family_blend_text(&status.family_weights)
            ))
            .color(theme::TEXT),
        );
    }
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Target family").color(theme::TEXT_DIM));
        let _ = super::master::stepped_combo(ui, "family", &params.goal.family, setter, 170.0);
    })
    .response
    .on_hover_text(
        "Auto blends the families by how close the song is to each (shown after a Listen); \
         choose one to compare with it only. Unused while a reference track is weighted",
    );
    ui.add_space(4.0);
    super::references::show(ui, assistant);
    ui.add_space(4.0);
    ui.label(
        RichText::new("How much of each decision to apply (used at the next Listen):")
            .color(theme::TEXT_DIM),
    );
    ui.horizontal(|ui| {
        knob(ui, &params.goal.amount_tone, setter, false);
        knob(ui, &params.goal.amount_dynamics, setter, false);
        knob(ui, &params.goal.amount_width, setter, false);
    });
    problems(ui, assistant, status.phase);
    ui.add_space(4.0);
    egui::Frame::new()
        .fill(theme::PANEL)
        .stroke(egui::Stroke::new(1.0, theme::GRID))
        .inner_margin(8.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.label(RichText::new("What the assistant decided and why").color(theme::TEXT_DIM));
            if status.explanations.is_empty() {
                ui.label(
                    RichText::new("Nothing yet: Listen to the song first.").color(theme::TEXT_DIM),
                );
            }
            egui::ScrollArea::vertical()
                .max_height(ui.available_height().max(60.0))
                .show(ui, |ui| {
                    for line in &status.explanations {
                        ui.label(RichText::new(format!("\u{2022} {line}")).color(theme::TEXT));
                    }
                });
        });
}

/// "What do you hear?": one button per problem a listener can name. A press names it (the
/// button stays lit) and, after a Listen, has the assistant find and correct it in what it
/// heard; a second press takes it back.
fn problems(ui: &mut Ui, assistant: Option<&Assistant>, phase: ListenPhase) {
    let named = assistant.map(Assistant::named_problems).unwrap_or_default();
    let busy = matches!(phase, ListenPhase::Listening | ListenPhase::Analysing);
    ui.horizontal(|ui| {
        ui.label(RichText::new("What do you hear?").color(theme::TEXT_DIM));
        ui.add_enabled_ui(assistant.is_some() && !busy, |ui| {
            for problem in Problem::ALL {
                let (lo, hi) = problem.region_hz();
                let verb = if problem.is_excess() {
                    "cuts"
                } else {
                    "boosts"
                };
                let on = named.contains(&problem);
                let hint = format!(
                    "{} ({} to {}): the assistant finds where it is in this song and {verb} it, \
                     at most 3 dB unless the song clearly departs from comparable music there. \
                     After a Listen it decides again at once; press again to take it back",
                    problem.label(),
                    format_hz(lo),
                    format_hz(hi)
                );
                // A framed button (lit while named), so it reads as one.
                if ui
                    .add(egui::Button::new(problem.label()).selected(on))
                    .on_hover_text(hint)
                    .clicked()
                    && let Some(a) = assistant
                {
                    a.toggle_problem(problem);
                }
            }
        });
    });
}

/// Seconds captured against the recommended length while listening, the analysis progress
/// while analysing.
fn progress(ui: &mut Ui, status: &ListenStatus) {
    match status.phase {
        ListenPhase::Listening => {
            let fraction = (status.seconds_captured / RECOMMENDED_LISTEN_SECONDS).min(1.0);
            ui.add(ProgressBar::new(fraction).text(format!(
                "{:.1} s heard ({RECOMMENDED_LISTEN_SECONDS:.0} s recommended)",
                status.seconds_captured
            )));
        }
        ListenPhase::Analysing => {
            ui.add(ProgressBar::new(status.progress).text(format!(
                "analysing {:.0} s: {:.0} %",
                status.seconds_captured,
                status.progress * 100.0
            )));
        }
        _ if status.seconds_captured > 0.0 => {
            ui.label(
                RichText::new(format!("{:.1} s heard", status.seconds_captured))
                    .color(theme::TEXT_DIM),
            );
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_family_blend_reads_largest_first_in_percent() {
        let weights = vec![
            ("modern".to_string(), 0.3),
            ("bass-heavy".to_string(), 0.62),
            ("acoustic".to_string(), 0.08),
        ];
        assert_eq!(
            family_blend_text(&weights),
            "bass-heavy 62 %, modern 30 %, acoustic 8 %"
        );
    }
}
