//! The resonance stage's reduction drawn over the spectrum: per 1/6-octave display band
//! ([`crate::meter::resonance_display`]), a filled area hanging down from the top of the plot
//! for the mid and a dashed line for the side, with the deepest cut written as
//! "Resonance -x dB". Shown only while the stage is in (its amount above 0).
//!
//! The audio thread publishes the current frame's reduction; here it gets meter ballistics, a
//! fast attack and a slower release, so a cut reads at its depth and fades rather than
//! flickering from frame to frame.

use super::theme;
use crate::meter::resonance_display::{NUM_BANDS, ResonanceDisplay, band_centre_hz};
use egui::{Align2, Painter, Pos2, Rect, Shape, Stroke, pos2};

/// Time constant of a rising reduction, ms.
pub const ATTACK_MS: f32 = 15.0;
/// Time constant of a falling reduction, ms.
pub const RELEASE_MS: f32 = 350.0;
/// Reduction at the foot of the overlay's scale, dB (the stage's deepest setting).
pub const RANGE_DB: f32 = 12.0;
/// Share of the plot's height that [`RANGE_DB`] spans, from the top.
const HEIGHT_FRACTION: f32 = 0.4;
/// Reductions below this, dB, are not drawn.
const VISIBLE_DB: f32 = 0.05;

/// The overlay's state on the GUI thread.
#[derive(Debug, Clone)]
pub struct ResonanceOverlay {
    /// The stage is in and has published.
    active: bool,
    /// The last publication, dB.
    latest_mid: [f32; NUM_BANDS],
    latest_side: [f32; NUM_BANDS],
    /// What is drawn (after the ballistics), dB.
    mid_db: [f32; NUM_BANDS],
    side_db: [f32; NUM_BANDS],
}

impl Default for ResonanceOverlay {
    fn default() -> Self {
        Self {
            active: false,
            latest_mid: [0.0; NUM_BANDS],
            latest_side: [0.0; NUM_BANDS],
            mid_db: [0.0; NUM_BANDS],
            side_db: [0.0; NUM_BANDS],
        }
    }
}

/// Moves `shown` towards `target`: up with [`ATTACK_MS`], down with [`RELEASE_MS`].
fn follow(shown: &mut [f32], target: &[f32], dt_s: f32) {
    let coef = |ms: f32| 1.0 - (-dt_s * 1000.0 / ms).exp();
    let (attack, release) = (coef(ATTACK_MS), coef(RELEASE_MS));
    for (s, &t) in shown.iter_mut().zip(target) {
        let t = if t.is_finite() { t.max(0.0) } else { 0.0 };
        *s += (t - *s) * if t > *s { attack } else { release };
    }
}

/// The curve through the display bands in pieces that leave out the stretches without a cut
/// (a band is kept when it or a neighbour shows one); `point` places band `k` at `db`.
fn visible_runs(bands: &[f32; NUM_BANDS], point: impl Fn(usize, f32) -> Pos2) -> Vec<Vec<Pos2>> {
    let cut = |k: usize| bands.get(k).is_some_and(|&db| db >= VISIBLE_DB);
    let mut runs = Vec::new();
    let mut run = Vec::new();
    for (k, &db) in bands.iter().enumerate() {
        if cut(k) || (k > 0 && cut(k - 1)) || cut(k + 1) {
            run.push(point(k, db));
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

impl ResonanceOverlay {
    /// Reads the audio thread's publication and advances the ballistics by `dt_s` seconds.
    /// `enabled`: the stage's amount is above 0 (off, the overlay is cleared at once).
    pub fn update(&mut self, display: &ResonanceDisplay, enabled: bool, dt_s: f32) {
        let published = display.read(&mut self.latest_mid, &mut self.latest_side);
        self.active = enabled && published;
        if !self.active {
            self.mid_db.fill(0.0);
            self.side_db.fill(0.0);
            return;
        }
        follow(&mut self.mid_db, &self.latest_mid, dt_s);
        follow(&mut self.side_db, &self.latest_side, dt_s);
    }

    /// The reduction as drawn, mid and side per display band, dB; `None` while the stage is
    /// out (nothing is drawn).
    pub fn shown_db(&self) -> Option<(&[f32; NUM_BANDS], &[f32; NUM_BANDS])> {
        self.active.then_some((&self.mid_db, &self.side_db))
    }

    /// The deepest reduction drawn, mid or side, dB (0 while out).
    pub fn deepest_db(&self) -> f32 {
        match self.shown_db() {
            Some((mid, side)) => mid.iter().chain(side).copied().fold(0.0, f32::max),
            None => 0.0,
        }
    }

    /// Draws the overlay into the spectrum's plot `rect`; `x_of` maps Hz to x.
    pub fn draw(&self, painter: &Painter, rect: Rect, x_of: impl Fn(f32) -> f32) {
        let Some((mid, side)) = self.shown_db() else {
            return;
        };
        let y_of = |db: f32| {
            rect.top() + (db / RANGE_DB).clamp(0.0, 1.0) * rect.height() * HEIGHT_FRACTION
        };
        let point = |k: usize, db: f32| pos2(x_of(band_centre_hz(k)), y_of(db));
        let fill = theme::RESONANCE.gamma_multiply(0.35);
        for (k, db) in mid.windows(2).enumerate() {
            if db[0].max(db[1]) < VISIBLE_DB {
                continue;
            }
            let (a, b) = (point(k, db[0]), point(k + 1, db[1]));
            painter.add(Shape::convex_polygon(
                vec![pos2(a.x, rect.top()), pos2(b.x, rect.top()), b, a],
                fill,
                Stroke::NONE,
            ));
        }
        for run in visible_runs(mid, point) {
            painter.line(run, Stroke::new(1.4, theme::RESONANCE));
        }
        let side_runs = visible_runs(side, point);
        let side_shown = !side_runs.is_empty();
        for run in side_runs {
            painter.extend(Shape::dashed_line(
                &run,
                Stroke::new(1.2, theme::RESONANCE.gamma_multiply(0.8)),
                4.0,
                3.0,
            ));
        }
        let mut label = format!("Resonance \u{2212}{:.1} dB", self.deepest_db());
        if side_shown {
            label.push_str("  (side dashed)");
        }
        // On a backing of the panel's colour: the label stays legible over the fill.
        let galley = painter.layout_no_wrap(label, theme::small_font(), theme::RESONANCE);
        let at = pos2(rect.left() + 4.0, rect.top() + 3.0);
        painter.rect_filled(
            Rect::from_min_size(at, galley.size()).expand(2.0),
            2.0,
            theme::PANEL.gamma_multiply(0.85),
        );
        painter.galley(at, galley, theme::RESONANCE);
        // The overlay's own scale: where 6 and 12 dB of reduction reach.
        for db in [6.0, RANGE_DB] {
            let y = y_of(db);
            painter.line_segment(
                [pos2(rect.left(), y), pos2(rect.left() + 6.0, y)],
                Stroke::new(1.0, theme::RESONANCE.gamma_multiply(0.6)),
            );
            painter.text(
                pos2(rect.left() + 8.0, y),
                Align2::LEFT_CENTER,
                format!("\u{2212}{db:.0}"),
                theme::small_font(),
                theme::RESONANCE.gamma_multiply(0.6),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::plot;
    use super::*;

    fn published(mid_peak_db: f32) -> ResonanceDisplay {
        let display = ResonanceDisplay::default();
        let centres = [900.0, 1000.0, 1100.0];
        let reduction = [0.0, mid_peak_db, 0.0];
        let lane = (centres.as_slice(), reduction.as_slice());
        display.publish(Some([lane, (centres.as_slice(), [0.0; 3].as_slice())]));
        display
    }

    #[test]
    fn nothing_is_shown_while_the_stage_is_off() {
        let mut overlay = ResonanceOverlay::default();
        let display = published(6.0);
        // The amount at 0 in the GUI: nothing, even if the audio thread published before.
        overlay.update(&display, false, 0.02);
        assert!(overlay.shown_db().is_none());
        assert_eq!(overlay.deepest_db(), 0.0);
        // The stage out on the audio thread: nothing either.
        overlay.update(&ResonanceDisplay::default(), true, 0.02);
        assert!(overlay.shown_db().is_none());
    }

    #[test]
    fn a_cut_shows_fast_and_fades_slowly() {
        let mut overlay = ResonanceOverlay::default();
        let display = published(6.0);
        // 50 ms at 60 frames per second: past three attack time constants.
        for _ in 0..3 {
            overlay.update(&display, true, 1.0 / 60.0);
        }
        let peak = overlay.deepest_db();
        assert!(peak > 0.9 * 6.0 && peak <= 6.0, "after 50 ms: {peak:.2} dB");
        let (mid, side) = overlay.shown_db().unwrap();
        let k = mid.iter().position(|&db| db == peak).unwrap();
        let centre = band_centre_hz(k);
        assert!(
            (centre / 1000.0).log2().abs() < 1.0 / 6.0,
            "shown at {centre} Hz"
        );
        assert_eq!(side.iter().copied().fold(0.0, f32::max), 0.0);

        // The cut ends: 100 ms later most of it still shows (release 350 ms)...
        let gone = published(0.0);
        for _ in 0..6 {
            overlay.update(&gone, true, 1.0 / 60.0);
        }
        let after = overlay.deepest_db();
        assert!(
            after > 0.6 * peak && after < peak,
            "100 ms after: {after:.2} dB"
        );
        // ... and after 2 s it has faded.
        for _ in 0..120 {
            overlay.update(&gone, true, 1.0 / 60.0);
        }
        assert!(overlay.deepest_db() < 0.05);
    }

    #[test]
    fn lines_leave_out_the_stretches_without_a_cut() {
        let mut bands = [0.0; NUM_BANDS];
        bands[10] = 3.0;
        bands[40] = 1.0;
        bands[41] = 2.0;
        let runs = visible_runs(&bands, |k, db| pos2(k as f32, db));
        let xs: Vec<Vec<f32>> = runs
            .iter()
            .map(|r| r.iter().map(|p| p.x).collect())
            .collect();
        assert_eq!(
            xs,
            vec![vec![9.0, 10.0, 11.0], vec![39.0, 40.0, 41.0, 42.0]]
        );
        assert!(visible_runs(&[0.0; NUM_BANDS], |k, db| pos2(k as f32, db)).is_empty());
    }

    #[test]
    fn draws_only_while_active() {
        let ctx = egui::Context::default();
        let mut overlay = ResonanceOverlay::default();
        let display = published(6.0);
        let rect = Rect::from_min_size(Pos2::ZERO, egui::vec2(400.0, 200.0));
        let count_shapes = |overlay: Option<&ResonanceOverlay>| {
            let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
                if let Some(overlay) = overlay {
                    overlay.draw(ui.painter(), rect, |hz| {
                        plot::x_of_freq(rect, hz, 20.0, 20_000.0)
                    });
                }
            });
            // No GPU here: the font texture's upload is dropped on purpose.
            output.textures_delta.clear();
            output.shapes.len()
        };
        let empty = count_shapes(None);
        assert_eq!(count_shapes(Some(&overlay)), empty);
        for _ in 0..10 {
            overlay.update(&display, true, 1.0 / 60.0);
        }
        // At least the fill, the line, the label and the scale.
        assert!(count_shapes(Some(&overlay)) >= empty + 4);
        overlay.update(&display, false, 1.0 / 60.0);
        assert_eq!(count_shapes(Some(&overlay)), empty);
    }
}
