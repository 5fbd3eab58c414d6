//! The editor: egui through nice-plug-egui. Meters you can read at a glance (loudness with its
//! 30 s history and the loudness penalty per platform, gain reduction, correlation and
//! vectorscope, input/output spectrum with the EQ curve and the resonance stage's reduction), the macro controls, an expert page
//! with every stage parameter, and the assistant panel. Default 960x600 logical px,
//! resizable (corner), zoomable (Ctrl +/-, or the zoom menu), dark theme with one accent.
//!
//! Every meter reads the lock-free [`MeterBus`] and the [`EditorReaders`] (triple buffers); the
//! spectrum FFT runs here, on the GUI thread, only while a window is open.

mod assistant;
mod controls;
mod expert;
mod gain_reduction;
pub mod geometry;
mod loudness;
mod master;
pub mod penalty;
mod plot;
mod references;
pub mod resonance;
pub mod spectrum;
mod stereo;
pub mod theme;
pub mod window;

use crate::listen::Assistant;
use crate::listen::session::ListenPhase;
use crate::meter::{EditorReaders, MeterBus};
use crate::params::LacquerParams;
pub use controls::{ShownControls, knob_id, shown_controls};
use egui::{Panel, Ui, vec2};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::ResizeHint;
use nice_plug_egui::resizable_window::ResizableWindow;
use nice_plug_egui::{EguiNiceSettings, Frame, NiceEguiApp, RepaintNotifier};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;
pub use window::{LacquerEguiEditor, OpenCount};

/// Default size of the editor, logical px.
pub const DEFAULT_SIZE: (f32, f32) = (960.0, 600.0);
/// Smallest size the resize corner allows, logical px.
pub const MIN_SIZE: (f32, f32) = (800.0, 520.0);
/// Zoom steps of the zoom menu.
const ZOOM_STEPS: [f32; 7] = [0.75, 0.85, 1.0, 1.15, 1.25, 1.5, 2.0];

/// Which page is shown below the top bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// Meters and the main controls.
    Master,
    /// Every stage parameter.
    Expert,
    /// Listen, Accept, Cancel, the amounts and the explanations.
    Assistant,
}

/// The egui app: parameters, meters and the views' state.
pub struct LacquerEditor {
    params: Arc<LacquerParams>,
    bus: Arc<MeterBus>,
    readers: EditorReaders,
    gui: Option<GuiContext>,
    page: Page,
    zoom: f32,
    last_frame: Option<Instant>,
    loudness: loudness::LoudnessView,
    gain_reduction: gain_reduction::GainReductionView,
    stereo: stereo::StereoView,
    spectrum: spectrum::SpectrumView,
    /// The plugin's assistant (Listen), if the editor belongs to a plugin.
    assistant: Option<Arc<Assistant>>,
    /// How far under the matched loudness Compare plays because the matched dry signal would
    /// pass the ceiling, dB (0 when it does not); written by the audio thread.
    compare_shortfall_db: Arc<atomic_float::AtomicF32>,
}

impl LacquerEditor {
    /// The app over the plugin's parameters and meters.
    pub fn new(params: Arc<LacquerParams>, bus: Arc<MeterBus>, readers: EditorReaders) -> Self {
        Self {
            params,
            bus,
            readers,
            gui: None,
            page: Page::Master,
            zoom: 1.0,
            last_frame: None,
            loudness: Default::default(),
            gain_reduction: Default::default(),
            stereo: Default::default(),
            spectrum: Default::default(),
            assistant: None,
            compare_shortfall_db: Default::default(),
        }
    }

    /// Shows Compare's shortfall under the matched loudness from this value (the plugin's
    /// audio thread writes it, [`crate::Lacquer`]).
    pub fn with_compare_shortfall(mut self, shortfall_db: Arc<atomic_float::AtomicF32>) -> Self {
        self.compare_shortfall_db = shortfall_db;
        self
    }

    /// Connects the assistant panel to the plugin's Listen.
    pub fn with_assistant(mut self, assistant: Arc<Assistant>) -> Self {
        self.assistant = Some(assistant);
        self
    }

    /// Prepares a freshly opened window: theme and fonts on its context, the host context
    /// for parameter gestures (called by `build`, and by tests that draw headless).
    pub fn attach(&mut self, egui_ctx: &egui::Context, gui: GuiContext) {
        theme::apply(egui_ctx);
        egui_ctx.set_zoom_factor(self.params.editor_geometry.current().zoom);
        if let Some(assistant) = &self.assistant {
            assistant.set_context(gui.clone());
        }
        self.gui = Some(gui);
        self.last_frame = None;
    }

    /// Shows `page` (the tabs in the top bar do this).
    pub fn show_page(&mut self, page: Page) {
        self.page = page;
    }

    /// Sets (or clears) the assistant's tonal target band drawn behind the spectrum.
    pub fn set_target_band(&mut self, target: Option<spectrum::TargetBand>) {
        self.spectrum.set_target(target);
    }

    /// The resonance stage's reduction as the spectrum view shows it.
    pub fn resonance_overlay(&self) -> &resonance::ResonanceOverlay {
        self.spectrum.resonance()
    }

    /// Pulls every meter for this frame (also when a page hides some: the peak holds are
    /// consumed every frame).
    fn update_meters(&mut self) {
        let now = Instant::now();
        let dt_s = self
            .last_frame
            .map_or(0.0, |t| now.duration_since(t).as_secs_f32().min(0.25));
        self.last_frame = Some(now);
        self.loudness.update(&self.bus);
        self.gain_reduction.update(&self.bus, dt_s);
        self.stereo.update(&mut self.readers.vectorscope, &self.bus);
        self.spectrum.update(
            &mut self.readers.input_spectrum,
            &mut self.readers.output_spectrum,
        );
        let resonance_in = self.params.resonance.amount.value() > 0.0;
        self.spectrum
            .update_resonance(&self.bus.resonance, resonance_in, dt_s);
    }

    /// Draws one frame into `ui` (also used by the headless tests).
    pub fn draw(&mut self, ui: &mut Ui) {
        self.update_meters();
        let Some(gui) = self.gui.clone() else {
            ui.label("Lacquer: no host context");
            return;
        };
        let setter = gui.param_setter();
        let params = self.params.clone();
        // A proposal that arrived before any editor existed (so without a host context) is
        // applied now; usually the plugin has already applied it on the main thread.
        if let Some(assistant) = &self.assistant
            && assistant.session.phase() == ListenPhase::Proposed
        {
            assistant.apply_pending();
        }
        let target_lufs = params.goal.goal(params.ceiling.value()).target_lufs;

        Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                ui.label(
                    egui::RichText::new("LACQUER")
                        .font(theme::heading_font())
                        .size(15.0)
                        .color(theme::ACCENT),
                );
                ui.add_space(6.0);
                for (page, name) in [
                    (Page::Master, "Master"),
                    (Page::Expert, "Expert"),
                    (Page::Assistant, "Assistant"),
                ] {
                    ui.selectable_value(&mut self.page, page, name);
                }
                ui.separator();
                let shortfall_db = self.compare_shortfall_db.load(Ordering::Relaxed);
                // The zoom control first, from the right edge; the other controls then wrap
                // in the room left of it (a second row only when a window is too narrow for
                // one), so nothing is ever drawn under it.
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let zoom = self.zoom_menu(ui).rect;
                    let controls = ui
                        .with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                            master::top_bar(ui, &params, &setter, &gui, &self.bus, shortfall_db);
                        })
                        .response
                        .rect;
                    record_header_layout(ui.ctx(), HeaderLayout { controls, zoom });
                });
            });
            ui.add_space(2.0);
        });
        Panel::left("loudness")
            .exact_size(232.0)
            .resizable(false)
            .show(ui, |ui| {
                ui.add_space(6.0);
                self.loudness.numbers(ui, &self.bus, target_lufs);
                ui.add_space(8.0);
                penalty::show(
                    ui,
                    self.bus.integrated_lufs.load(Ordering::Relaxed),
                    self.bus.true_peak_max_dbtp.load(Ordering::Relaxed),
                );
            });
        match self.page {
            Page::Master => self.master_page(ui, &params, &setter, target_lufs),
            Page::Expert => {
                egui::CentralPanel::default().show(ui, |ui| expert::show(ui, &params, &setter));
            }
            Page::Assistant => {
                let assistant = self.assistant.clone();
                egui::CentralPanel::default().show(ui, |ui| {
                    assistant::show(ui, &params, &setter, assistant.as_deref())
                });
            }
        }
    }

    fn master_page(
        &mut self,
        ui: &mut Ui,
        params: &LacquerParams,
        setter: &nice_plug::prelude::ParamSetter<'_>,
        target_lufs: f32,
    ) {
        Panel::bottom("knobs").resizable(false).show(ui, |ui| {
            ui.add_space(4.0);
            master::knobs(ui, params, setter);
            ui.add_space(2.0);
        });
        Panel::right("stereo")
            .exact_size(214.0)
            .resizable(false)
            .show(ui, |ui| {
                ui.add_space(6.0);
                let width = ui.available_width();
                let scope_h = (ui.available_height() - 190.0).clamp(120.0, width + 24.0);
                self.stereo.show(ui, width, scope_h);
                ui.add_space(4.0);
                let bands_h = (ui.available_height() - 4.0).max(60.0);
                self.gain_reduction.bands(ui, vec2(width, bands_h));
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let avail = ui.available_size();
            let spectrum_h = (avail.y * 0.55).max(120.0);
            let settings = params.chain_settings();
            let eq = settings.macros.apply(&settings.stages).eq;
            let sample_rate_hz = self.bus.sample_rate_hz.load(Ordering::Relaxed);
            self.spectrum
                .show(ui, vec2(avail.x, spectrum_h), &eq, sample_rate_hz);
            ui.add_space(4.0);
            let rest_h = (ui.available_height()).max(80.0);
            ui.horizontal(|ui| {
                let w = ui.available_width();
                self.loudness
                    .history(ui, &self.bus, target_lufs, vec2(w * 0.55, rest_h));
                self.gain_reduction
                    .trace(ui, &self.bus, vec2(ui.available_width(), rest_h));
            });
        });
    }

    /// The zoom as a compact menu ("100 %"): the steps to choose from. Ctrl + and Ctrl -
    /// zoom as well (egui's keyboard zoom).
    fn zoom_menu(&mut self, ui: &mut Ui) -> egui::Response {
        let ctx = ui.ctx().clone();
        let current = ctx.zoom_factor();
        let response = ui
            .menu_button(format!("{:.0} %", current * 100.0), |ui| {
                for z in ZOOM_STEPS {
                    let on = (z - current).abs() < 0.01;
                    if ui
                        .selectable_label(on, format!("{:.0} %", z * 100.0))
                        .clicked()
                    {
                        ctx.set_zoom_factor(z);
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text("Zoom (also Ctrl + and Ctrl \u{2212})");
        if (current - self.zoom).abs() > 1e-3 {
            self.params.editor_geometry.set_zoom(current);
        }
        self.zoom = current;
        response
    }
}

/// Where the top bar's controls and its zoom menu were laid out in the last frame, logical px.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeaderLayout {
    /// Platform, Bypass, Compare, A/B and the presets (all rows, if they wrapped).
    pub controls: egui::Rect,
    /// The zoom menu.
    pub zoom: egui::Rect,
}

fn record_header_layout(ctx: &egui::Context, layout: HeaderLayout) {
    ctx.data_mut(|d| d.insert_temp(egui::Id::unique("lacquer_header_layout"), layout));
}

/// The top bar's layout in the last frame drawn in `ctx` (tests check nothing overlaps).
pub fn header_layout(ctx: &egui::Context) -> Option<HeaderLayout> {
    ctx.data(|d| d.get_temp(egui::Id::unique("lacquer_header_layout")))
}

impl NiceEguiApp for LacquerEditor {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.attach(&egui_ctx, nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut Frame) {
        // Meters move continuously: draw again at the display rate.
        ui.ctx().request_repaint();
        ResizableWindow::new("lacquer")
            .min_size(vec2(MIN_SIZE.0, MIN_SIZE.1))
            .show(ui, |ui| self.draw(ui));
    }

    fn zoom_factor_changed(&mut self, zoom_factor: f32) {
        self.zoom = zoom_factor;
    }

    fn editor_closed(&mut self) {
        self.gui = None;
    }
}

/// Builds the editor for the plugin. `readers` are the GUI ends of the plugin's
/// [`crate::meter::EditorFeeds`].
pub fn create(
    params: Arc<LacquerParams>,
    bus: Arc<MeterBus>,
    readers: EditorReaders,
    assistant: Arc<Assistant>,
    compare_shortfall_db: Arc<atomic_float::AtomicF32>,
) -> Option<LacquerEguiEditor> {
    let state = params.editor_geometry.editor_state();
    let settings = EguiNiceSettings::new()
        .with_tile("Lacquer")
        .with_resize_hint(ResizeHint {
            can_resize: true,
            ..ResizeHint::default()
        });
    let open_count = OpenCount::new(bus.clone());
    let app = LacquerEditor::new(params, bus, readers)
        .with_assistant(assistant)
        .with_compare_shortfall(compare_shortfall_db);
    let inner = nice_plug_egui::create_egui_editor(state, RepaintNotifier::new(), settings, app)?;
    Some(LacquerEguiEditor { inner, open_count })
}
