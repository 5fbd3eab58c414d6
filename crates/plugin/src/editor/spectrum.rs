//! Spectrum view: input and output spectra (1/6-octave RTA bands, FFT on this thread only
//! when a frame arrives), the EQ curve drawn from the same coefficients the audio thread runs
//! (`EqSettings::response_db`), the assistant's target band (10th..90th percentile) when
//! one is set, and the resonance stage's reduction while it is in ([`super::resonance`]).

use super::resonance::ResonanceOverlay;
use super::{plot, theme};
use crate::assistant::profile::{TargetProfile, band_centre_hz};
use crate::assistant::targets;
use crate::dsp::eq::EqSettings;
use crate::meter::resonance_display::ResonanceDisplay;
use crate::meter::spectrum::SpectrumReader;
use crate::meter::spectrum_analyzer::{DISPLAY_MAX_HZ, DISPLAY_MIN_HZ, FLOOR_DB, SpectrumAnalyzer};
use egui::{Align2, Color32, Pos2, Rect, Shape, Stroke, Ui, pos2, vec2};

/// Level range of the spectrum, dB RMS per band.
const RANGE_DB: (f32, f32) = (-90.0, -6.0);
/// Range of the EQ curve around its centre line, dB (+-12 dB over the graph's height).
const EQ_RANGE_DB: f32 = 12.0;
/// Display ballistics: each new frame moves the shown power this fraction of the way
/// (about 150 ms of averaging at 23 frames per second).
const SMOOTHING: f32 = 0.3;
/// Number of points of the EQ curve.
const EQ_POINTS: usize = 160;

/// The assistant's tonal target: per band, centre frequency and the 10th and 90th
/// percentiles, dB relative to each other (drawn aligned to the output's mean level).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetBand {
    /// `(centre_hz, p10_db, p90_db)` per band, low to high.
    pub bands: Vec<(f32, f32, f32)>,
}

impl TargetBand {
    /// The 10th..90th percentile band of a family profile's mid spectrum.
    pub fn from_profile(profile: &TargetProfile) -> Self {
        Self {
            bands: profile
                .mid_db
                .iter()
                .enumerate()
                .map(|(k, p)| (band_centre_hz(k), p.p10, p.p90))
                .collect(),
        }
    }
}

/// Bands used to align the target to the output's level: 100 Hz..10 kHz, where every
/// master has energy.
const ALIGN_RANGE_HZ: (f32, f32) = (100.0, 10_000.0);

/// State of the spectrum view.
pub struct SpectrumView {
    input: SpectrumAnalyzer,
    output: SpectrumAnalyzer,
    input_db: Vec<f32>,
    output_db: Vec<f32>,
    target: Option<TargetBand>,
    /// Name of the built-in family whose band is shown (None: off or set from outside).
    target_family: Option<String>,
    /// The resonance stage's reduction, drawn over the spectra.
    resonance: ResonanceOverlay,
}

impl Default for SpectrumView {
    fn default() -> Self {
        let input = SpectrumAnalyzer::new();
        let n = input.frequencies_hz().len();
        let mut view = Self {
            input,
            output: SpectrumAnalyzer::new(),
            input_db: vec![FLOOR_DB; n],
            output_db: vec![FLOOR_DB; n],
            target: None,
            target_family: None,
            resonance: ResonanceOverlay::default(),
        };
        // Until the assistant picks one, show the first built-in family's band.
        if let Some(first) = targets::families().first() {
            view.show_family(&first.name);
        }
        view
    }
}

/// Moves `shown` towards `new` in the power domain.
fn smooth(shown: &mut [f32], new: &[f32]) {
    for (s, &n) in shown.iter_mut().zip(new) {
        let p = (1.0 - SMOOTHING) * 10f32.powf(*s * 0.1) + SMOOTHING * 10f32.powf(n * 0.1);
        *s = (10.0 * p.max(1e-15).log10()).max(FLOOR_DB);
    }
}

impl SpectrumView {
    /// Sets or clears the assistant's target band.
    pub fn set_target(&mut self, target: Option<TargetBand>) {
        self.target = target;
        self.target_family = None;
    }

    /// Shows the band of the built-in family `name` (`assets/targets/`), if it exists.
    pub fn show_family(&mut self, name: &str) {
        if let Some(profile) = targets::family(name) {
            self.target = Some(TargetBand::from_profile(profile));
            self.target_family = Some(profile.name.clone());
        }
    }

    /// The family selector drawn over the graph's title row.
    fn family_selector(&mut self, ui: &mut Ui, at: Rect) {
        let current = self
            .target_family
            .clone()
            .unwrap_or_else(|| "off".to_owned());
        let mut chosen = None;
        // A child Ui at `at`: drawn over the graph without moving the parent's layout.
        let mut child = ui.new_child(egui::UiBuilder::new().max_rect(at));
        {
            let ui = &mut child;
            egui::ComboBox::from_id_salt("target_family")
                .width(110.0)
                .selected_text(format!("target: {current}"))
                .show_ui(ui, |ui| {
                    if ui.selectable_label(self.target.is_none(), "off").clicked() {
                        chosen = Some(None);
                    }
                    for p in targets::families() {
                        let on = self.target_family.as_deref() == Some(p.name.as_str());
                        if ui
                            .selectable_label(on, &p.name)
                            .on_hover_text(&p.description)
                            .clicked()
                        {
                            chosen = Some(Some(p.name.clone()));
                        }
                    }
                });
        }
        match chosen {
            Some(Some(name)) => self.show_family(&name),
            Some(None) => self.set_target(None),
            None => {}
        }
    }

    /// Analyses the frames that arrived since the last call (GUI thread).
    pub fn update(&mut self, input: &mut SpectrumReader, output: &mut SpectrumReader) {
        if let Some(frame) = input.take_new() {
            let levels = self.input.analyze(frame);
            smooth(&mut self.input_db, levels);
        }
        if let Some(frame) = output.take_new() {
            let levels = self.output.analyze(frame);
            smooth(&mut self.output_db, levels);
        }
    }

    /// Reads the resonance stage's reduction (`stage_in`: its amount is above 0) and moves
    /// the overlay's ballistics on by `dt_s` seconds (GUI thread).
    pub fn update_resonance(&mut self, display: &ResonanceDisplay, stage_in: bool, dt_s: f32) {
        self.resonance.update(display, stage_in, dt_s);
    }

    /// The resonance overlay (what it shows).
    pub fn resonance(&self) -> &ResonanceOverlay {
        &self.resonance
    }

    /// Draws the view in `size`; `eq` and `sample_rate_hz` give the EQ curve.
    pub fn show(&mut self, ui: &mut Ui, size: egui::Vec2, eq: &EqSettings, sample_rate_hz: f32) {
        let (rect, painter) = plot::area(ui, size, "SPECTRUM");
        self.family_selector(
            ui,
            Rect::from_min_size(rect.left_top() + vec2(70.0, -21.0), vec2(150.0, 18.0)),
        );
        let (lo, hi) = RANGE_DB;
        let x_of = |f: f32| plot::x_of_freq(rect, f, DISPLAY_MIN_HZ, DISPLAY_MAX_HZ);
        for f in [50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0] {
            let x = x_of(f);
            painter.line_segment(
                [pos2(x, rect.top()), pos2(x, rect.bottom())],
                Stroke::new(1.0, theme::GRID),
            );
            let label = if f >= 1000.0 {
                format!("{:.0}k", f / 1000.0)
            } else {
                format!("{f:.0}")
            };
            painter.text(
                pos2(x + 2.0, rect.bottom()),
                Align2::LEFT_BOTTOM,
                label,
                theme::small_font(),
                theme::TEXT_DIM,
            );
        }
        plot::h_scale(&painter, rect, &[-72.0, -54.0, -36.0, -18.0], lo, hi, " dB");

        let freqs = self.output.frequencies_hz();
        // Output: filled under the curve in the dim accent, then the line.
        let out_points: Vec<Pos2> = freqs
            .iter()
            .zip(&self.output_db)
            .map(|(&f, &db)| pos2(x_of(f), plot::y_of(rect, db, lo, hi)))
            .collect();
        for pair in out_points.windows(2) {
            painter.add(Shape::convex_polygon(
                vec![
                    pair[0],
                    pair[1],
                    pos2(pair[1].x, rect.bottom()),
                    pos2(pair[0].x, rect.bottom()),
                ],
                theme::ACCENT_DIM,
                Stroke::NONE,
            ));
        }
        if let Some(target) = &self.target {
            self.draw_target(&painter, rect, target);
        }
        let in_points: Vec<Pos2> = freqs
            .iter()
            .zip(&self.input_db)
            .map(|(&f, &db)| pos2(x_of(f), plot::y_of(rect, db, lo, hi)))
            .collect();
        painter.line(in_points, Stroke::new(1.2, theme::SECONDARY));
        painter.line(out_points, Stroke::new(1.6, theme::ACCENT));

        // EQ curve around the vertical centre, +-EQ_RANGE_DB.
        let mid_y = rect.center().y;
        let eq_points: Vec<Pos2> = (0..EQ_POINTS)
            .map(|i| {
                let f = DISPLAY_MIN_HZ
                    * (DISPLAY_MAX_HZ / DISPLAY_MIN_HZ).powf(i as f32 / (EQ_POINTS - 1) as f32);
                let db = eq
                    .response_db(f, sample_rate_hz)
                    .clamp(-EQ_RANGE_DB, EQ_RANGE_DB);
                pos2(x_of(f), mid_y - db / EQ_RANGE_DB * rect.height() * 0.5)
            })
            .collect();
        painter.line(eq_points, Stroke::new(1.4, theme::TEXT));
        self.resonance.draw(&painter, rect, x_of);
        let mut legend = vec![
            ("output", theme::ACCENT),
            ("input", theme::SECONDARY),
            ("EQ", theme::TEXT),
        ];
        if self.target.is_some() {
            legend.push(("target 10-90 %", theme::SECONDARY));
        }
        let mut x = rect.right();
        for (name, colour) in legend.iter().rev() {
            let galley = painter.layout_no_wrap(name.to_string(), theme::small_font(), *colour);
            x -= galley.size().x;
            painter.galley(pos2(x, rect.top() - 17.0), galley, *colour);
            x -= 10.0;
        }
    }

    fn draw_target(&self, painter: &egui::Painter, rect: Rect, target: &TargetBand) {
        let (lo, hi) = RANGE_DB;
        // Align the target's mid line to the output's mean level over the bands it covers.
        let freqs = self.output.frequencies_hz();
        let level_at = |hz: f32| {
            freqs
                .iter()
                .position(|&f| f >= hz)
                .and_then(|i| self.output_db.get(i).copied())
                .unwrap_or(FLOOR_DB)
        };
        let aligned = || {
            target
                .bands
                .iter()
                .filter(|b| b.0 >= ALIGN_RANGE_HZ.0 && b.0 <= ALIGN_RANGE_HZ.1)
        };
        let n = aligned().count().max(1) as f32;
        let mean_target: f32 = aligned().map(|b| 0.5 * (b.1 + b.2)).sum::<f32>() / n;
        let mean_output: f32 = aligned().map(|b| level_at(b.0)).sum::<f32>() / n;
        let offset = mean_output - mean_target;
        let fill = Color32::from_rgba_unmultiplied(0x7C, 0x8C, 0xA3, 70);
        for pair in target.bands.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            let xa = plot::x_of_freq(rect, a.0, DISPLAY_MIN_HZ, DISPLAY_MAX_HZ);
            let xb = plot::x_of_freq(rect, b.0, DISPLAY_MIN_HZ, DISPLAY_MAX_HZ);
            painter.add(Shape::convex_polygon(
                vec![
                    pos2(xa, plot::y_of(rect, a.2 + offset, lo, hi)),
                    pos2(xb, plot::y_of(rect, b.2 + offset, lo, hi)),
                    pos2(xb, plot::y_of(rect, b.1 + offset, lo, hi)),
                    pos2(xa, plot::y_of(rect, a.1 + offset, lo, hi)),
                ],
                fill,
                Stroke::NONE,
            ));
        }
        let edge = |pick: fn(&(f32, f32, f32)) -> f32| -> Vec<Pos2> {
            target
                .bands
                .iter()
                .map(|b| {
                    pos2(
                        plot::x_of_freq(rect, b.0, DISPLAY_MIN_HZ, DISPLAY_MAX_HZ),
                        plot::y_of(rect, pick(b) + offset, lo, hi),
                    )
                })
                .collect()
        };
        let stroke = Stroke::new(1.0, theme::SECONDARY.gamma_multiply(0.8));
        painter.line(edge(|b| b.1), stroke);
        painter.line(edge(|b| b.2), stroke);
    }
}
