//! The visual report (`--report FILE.html`): one self-contained page, before and after, with
//! inline SVG plots drawn by plotters (no script, no style sheet, font or image from anywhere
//! else, so it opens offline and sends no request):
//!
//! - the long-term mid spectrum (1/3 octave) against the target's range of good masters;
//! - short-term loudness over time, with the loudness goal;
//! - the limiter's gain reduction over time;
//! - true peak per channel, with the ceiling;
//! - mono fold-down loss per band;
//! - what each platform's loudness normalisation does to the file;
//! - the codec check and each decision in a sentence.

use super::super::CliError;
use super::super::codec::CodecPeak;
use super::assist::Assisted;
use lacquer_core::assistant::profile::{NUM_BANDS, TrackFeatures, band_centre_hz};
use lacquer_core::meter::analysis::Analysis;
use lacquer_core::meter::timeline::{TIMELINE_HOP_S, Timeline};
use lacquer_core::platform::Platform;
use lacquer_core::render::HOST_BLOCK_SAMPLES;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt::Write;
use std::path::Path;

/// Everything the page shows.
pub struct HtmlInputs<'a> {
    /// Input file.
    pub input: &'a Path,
    /// Written master.
    pub output: &'a Path,
    /// Measurements of the input and of the written master.
    pub before: &'a Analysis,
    /// See `before`.
    pub after: &'a Analysis,
    /// The assistant's record (features before, target, decisions, explanations).
    pub assisted: &'a Assisted,
    /// Features of the written master.
    pub features_after: &'a TrackFeatures,
    /// Loudness over time and per-channel true peaks, before and after.
    pub timeline_before: &'a Timeline,
    /// See `timeline_before`.
    pub timeline_after: &'a Timeline,
    /// The final render's gain reduction per host block, dB.
    pub gain_reduction_per_block_db: &'a [f32],
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Ceiling the master was rendered at, dBTP.
    pub ceiling_dbtp: f32,
    /// Loudness goal, LUFS.
    pub target_lufs: f32,
    /// The codec check (empty if skipped).
    pub codec: &'a [CodecPeak],
}

/// Plot size, pixels.
const WIDTH: u32 = 880;
const HEIGHT: u32 = 320;

/// Colours: input grey, master blue, target green, limits red.
const BEFORE: RGBColor = RGBColor(140, 140, 140);
const AFTER: RGBColor = RGBColor(31, 100, 200);
const TARGET: RGBColor = RGBColor(60, 160, 90);
const LIMIT: RGBColor = RGBColor(200, 50, 50);

/// Draws `points` on `chart` as a 2-pixel line of `colour`, with `label` in the legend.
macro_rules! plot_line {
    ($chart:expr, $points:expr, $colour:expr, $label:expr) => {
        $chart
            .draw_series(LineSeries::new($points, $colour.stroke_width(2)))
            .map_err(plot_error)?
            .label($label)
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], $colour.stroke_width(2)))
    };
}

/// Draws `chart`'s legend at `position`, on a light box.
macro_rules! legend {
    ($chart:expr, $position:expr) => {
        $chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK.mix(0.3))
            .position($position)
            .draw()
            .map_err(plot_error)
    };
}

/// A frequency axis label: "500", "2k".
fn hz_label(hz: &f32) -> String {
    if *hz >= 1000.0 {
        format!("{:.0}k", hz / 1000.0)
    } else {
        format!("{hz:.0}")
    }
}

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn plot_error<E: std::fmt::Display>(e: E) -> CliError {
    CliError::new(format!("cannot draw the report's plots: {e}"))
}

/// Draws one plot into an SVG string.
fn svg(
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), CliError>,
) -> Result<String, CliError> {
    let mut out = String::new();
    {
        let area = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        area.fill(&WHITE).map_err(plot_error)?;
        draw(&area)?;
        area.present().map_err(plot_error)?;
    }
    Ok(out)
}

/// Range of `values` padded by `pad`, or `fallback` if there are none.
fn range_of(values: impl Iterator<Item = f32>, pad: f32, fallback: (f32, f32)) -> (f32, f32) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo.is_finite() && hi.is_finite() {
        (lo - pad, hi + pad)
    } else {
        fallback
    }
}

/// The mid spectrum before and after against the target's 10th-90th percentile range.
fn spectrum_plot(r: &HtmlInputs<'_>) -> Result<String, CliError> {
    let target = &r.assisted.target;
    let freqs: Vec<f32> = (0..NUM_BANDS).map(band_centre_hz).collect();
    let audible = |v: f32| v > -90.0;
    let (lo, hi) = range_of(
        r.assisted
            .features
            .mid_db
            .iter()
            .chain(r.features_after.mid_db.iter())
            .copied()
            .filter(|v| audible(*v))
            .chain(target.mid_db.iter().flat_map(|p| [p.p10, p.p90])),
        3.0,
        (-60.0, 0.0),
    );
    svg(|area| {
        let mut chart = ChartBuilder::on(area)
            .caption(
                "Tonal balance: mid spectrum (1/3 octave, level-normalised)",
                ("sans-serif", 16),
            )
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(48)
            .build_cartesian_2d(
                (freqs[0] * 0.9..freqs[NUM_BANDS - 1] * 1.1).log_scale(),
                lo..hi,
            )
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("Hz")
            .y_desc("dB")
            .x_label_formatter(&hz_label)
            .draw()
            .map_err(plot_error)?;
        let band: Vec<(f32, f32)> = freqs
            .iter()
            .zip(&target.mid_db)
            .map(|(f, p)| (*f, p.p90))
            .chain(
                freqs
                    .iter()
                    .zip(&target.mid_db)
                    .rev()
                    .map(|(f, p)| (*f, p.p10)),
            )
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                TARGET.mix(0.2).filled(),
            )))
            .map_err(plot_error)?
            .label(format!(
                "target range ({}, 10th-90th percentile)",
                target.name
            ))
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 16, y + 5)], TARGET.mix(0.3).filled())
            });
        let line = |values: &[f32]| -> Vec<(f32, f32)> {
            freqs
                .iter()
                .zip(values)
                .filter(|(_, v)| audible(**v))
                .map(|(f, v)| (*f, *v))
                .collect()
        };
        plot_line!(chart, line(&r.assisted.features.mid_db), BEFORE, "input");
        plot_line!(chart, line(&r.features_after.mid_db), AFTER, "master");
        legend!(chart, SeriesLabelPosition::LowerLeft)
    })
}

/// Short-term loudness over time, before and after, with the goal.
fn loudness_plot(r: &HtmlInputs<'_>) -> Result<String, CliError> {
    let points = |t: &Timeline| -> Vec<(f32, f32)> {
        t.short_term_lufs
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.map(|l| ((i + 1) as f32 * TIMELINE_HOP_S, l.max(-60.0))))
            .collect()
    };
    let (before, after) = (points(r.timeline_before), points(r.timeline_after));
    let end = (r.timeline_after.short_term_lufs.len() as f32 * TIMELINE_HOP_S).max(1.0);
    let (lo, hi) = range_of(
        before
            .iter()
            .chain(&after)
            .map(|p| p.1)
            .chain([r.target_lufs]),
        2.0,
        (-40.0, 0.0),
    );
    svg(|area| {
        let mut chart = ChartBuilder::on(area)
            .caption("Short-term loudness (3 s window)", ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(48)
            .build_cartesian_2d(0f32..end, lo..hi)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("s")
            .y_desc("LUFS")
            .draw()
            .map_err(plot_error)?;
        plot_line!(
            chart,
            [(0.0, r.target_lufs), (end, r.target_lufs)],
            TARGET,
            format!("goal {:.1} LUFS integrated", r.target_lufs)
        );
        plot_line!(chart, before, BEFORE, "input");
        plot_line!(chart, after, AFTER, "master");
        legend!(chart, SeriesLabelPosition::LowerRight)
    })
}

/// The limiter's gain reduction over time, as the largest per tenth of a second.
fn gain_reduction_plot(r: &HtmlInputs<'_>) -> Result<String, CliError> {
    let block_s = HOST_BLOCK_SAMPLES as f32 / r.sample_rate_hz as f32;
    let per_bin = ((0.1 / block_s).round() as usize).max(1);
    let points: Vec<(f32, f32)> = r
        .gain_reduction_per_block_db
        .chunks(per_bin)
        .enumerate()
        .map(|(i, c)| {
            let t = i as f32 * per_bin as f32 * block_s;
            (t, -c.iter().copied().fold(0.0, f32::max))
        })
        .collect();
    let end = (points.len() as f32 * per_bin as f32 * block_s).max(1.0);
    let deepest = points.iter().map(|p| p.1).fold(0.0, f32::min).min(-1.0);
    svg(|area| {
        let mut chart = ChartBuilder::on(area)
            .caption("Limiter gain reduction", ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(48)
            .build_cartesian_2d(0f32..end, (deepest * 1.1)..0.2f32)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("s")
            .y_desc("dB")
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(
                AreaSeries::new(points, 0.0, AFTER.mix(0.35)).border_style(AFTER.stroke_width(2)),
            )
            .map_err(plot_error)?;
        Ok(())
    })
}

/// A grouped bar chart: for each label, the input's and the master's value, with a reference
/// line (the ceiling, 0 dB) if given.
fn bars_plot(
    caption: &str,
    unit: &str,
    labels: &[String],
    values: &[(f32, f32)],
    line: Option<(f32, String)>,
) -> Result<String, CliError> {
    let n = labels.len().max(1);
    let (lo, hi) = range_of(
        values
            .iter()
            .flat_map(|(a, b)| [*a, *b])
            .chain(line.as_ref().map(|l| l.0))
            .chain([0.0]),
        1.0,
        (-10.0, 0.0),
    );
    svg(|area| {
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(48)
            .build_cartesian_2d(0f32..n as f32, lo..hi)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n * 2 + 1)
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                if (x - i as f32 - 0.5).abs() < 0.01 {
                    labels.get(i).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(unit)
            .draw()
            .map_err(plot_error)?;
        let base = 0f32.clamp(lo, hi);
        let bar = |x0: f32, x1: f32, v: f32, colour: RGBColor| {
            Rectangle::new([(x0, base), (x1, v)], colour.filled())
        };
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, (b, _))| bar(i as f32 + 0.15, i as f32 + 0.48, *b, BEFORE)),
            )
            .map_err(plot_error)?
            .label("input")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], BEFORE.filled()));
        chart
            .draw_series(
                values
                    .iter()
                    .enumerate()
                    .map(|(i, (_, a))| bar(i as f32 + 0.52, i as f32 + 0.85, *a, AFTER)),
            )
            .map_err(plot_error)?
            .label("master")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 16, y + 5)], AFTER.filled()));
        if let Some((level, name)) = line {
            chart
                .draw_series(LineSeries::new(
                    [(0.0, level), (n as f32, level)],
                    LIMIT.stroke_width(2),
                ))
                .map_err(plot_error)?
                .label(name)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], LIMIT.stroke_width(2)));
        }
        legend!(chart, SeriesLabelPosition::LowerRight)
    })
}

/// Mono fold-down loss per band, dB: how much quieter the band gets summed to mono, from its
/// side-to-mid ratio (mono keeps the mid, stereo plays mid plus side power).
fn fold_down_plot(r: &HtmlInputs<'_>) -> Result<String, CliError> {
    let freqs: Vec<f32> = (0..NUM_BANDS).map(band_centre_hz).collect();
    let loss = |s2m: &[f32; NUM_BANDS]| -> Vec<(f32, f32)> {
        freqs
            .iter()
            .zip(s2m)
            .map(|(f, s)| {
                (
                    *f,
                    -10.0 * (1.0 + 10f32.powf(s.clamp(-60.0, 60.0) / 10.0)).log10(),
                )
            })
            .collect()
    };
    let (before, after) = (
        loss(&r.assisted.features.side_to_mid_db),
        loss(&r.features_after.side_to_mid_db),
    );
    let deepest = before
        .iter()
        .chain(&after)
        .map(|p| p.1)
        .fold(-1.0, f32::min);
    svg(|area| {
        let mut chart = ChartBuilder::on(area)
            .caption(
                "Mono fold-down loss per band (0 dB: nothing lost in mono)",
                ("sans-serif", 16),
            )
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(48)
            .build_cartesian_2d(
                (freqs[0] * 0.9..freqs[NUM_BANDS - 1] * 1.1).log_scale(),
                (deepest - 0.5)..0.3f32,
            )
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("Hz")
            .y_desc("dB")
            .x_label_formatter(&hz_label)
            .draw()
            .map_err(plot_error)?;
        plot_line!(chart, before, BEFORE, "input");
        plot_line!(chart, after, AFTER, "master");
        legend!(chart, SeriesLabelPosition::LowerLeft)
    })
}

/// The gain a platform's normalisation applies to a file at `lufs`: down to its target (all
/// of them turn loud files down; none here is assumed to turn quiet files up).
fn platform_gain_db(platform: Platform, lufs: Option<f64>) -> f32 {
    lufs.map_or(0.0, |l| (platform.target_lufs() - l as f32).min(0.0))
}

/// The page.
pub fn report_html(r: &HtmlInputs<'_>) -> Result<String, CliError> {
    let mut plots = vec![
        ("spectrum", spectrum_plot(r)?),
        ("loudness", loudness_plot(r)?),
    ];
    plots.push(("gain-reduction", gain_reduction_plot(r)?));
    let channel_names: Vec<String> = match r.timeline_after.channel_true_peak_dbtp.len() {
        1 => vec!["mono".into()],
        _ => vec!["left".into(), "right".into()],
    };
    let floor = |v: Option<f32>| v.unwrap_or(-60.0).max(-60.0);
    let peaks: Vec<(f32, f32)> = r
        .timeline_before
        .channel_true_peak_dbtp
        .iter()
        .zip(&r.timeline_after.channel_true_peak_dbtp)
        .map(|(b, a)| (floor(*b), floor(*a)))
        .collect();
    plots.push((
        "true-peak",
        bars_plot(
            "True peak per channel",
            "dBTP",
            &channel_names,
            &peaks,
            Some((
                r.ceiling_dbtp,
                format!("ceiling {:.1} dBTP", r.ceiling_dbtp),
            )),
        )?,
    ));
    plots.push(("fold-down", fold_down_plot(r)?));
    // The command-line names: short enough to sit under their bars.
    let platforms: Vec<String> = Platform::ALL
        .iter()
        .map(|p| p.cli_name().to_string())
        .collect();
    let gains: Vec<(f32, f32)> = Platform::ALL
        .iter()
        .map(|p| {
            (
                platform_gain_db(*p, r.before.integrated_lufs),
                platform_gain_db(*p, r.after.integrated_lufs),
            )
        })
        .collect();
    plots.push((
        "platforms",
        bars_plot(
            "Loudness normalisation: the gain each platform applies",
            "dB",
            &platforms,
            &gains,
            None,
        )?,
    ));

    let mut html = String::new();
    let title = format!("Lacquer report: {}", r.input.display());
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:920px;margin:1em auto;color:#222}}\
         table{{border-collapse:collapse}}td,th{{padding:2px 10px;text-align:right}}\
         td:first-child,th:first-child{{text-align:left}}figure{{margin:1em 0}}</style>\
         </head><body>\n<h1>{}</h1>\n<p>Master: {} ({} Hz)</p>\n",
        esc(&title),
        esc(&title),
        esc(&r.output.display().to_string()),
        r.sample_rate_hz
    );
    let row = |name: &str, b: Option<f64>, a: Option<f64>, unit: &str| {
        let v = |x: Option<f64>| x.map_or("n/a".into(), |x| format!("{x:.1} {unit}"));
        format!(
            "<tr><td>{name}</td><td>{}</td><td>{}</td></tr>\n",
            v(b),
            v(a)
        )
    };
    html.push_str("<h2>Figures</h2>\n<table><tr><th></th><th>Input</th><th>Master</th></tr>\n");
    html.push_str(&row(
        "Integrated loudness",
        r.before.integrated_lufs,
        r.after.integrated_lufs,
        "LUFS",
    ));
    html.push_str(&row(
        "True peak",
        r.before.true_peak_dbtp,
        r.after.true_peak_dbtp,
        "dBTP",
    ));
    html.push_str(&row(
        "Loudness range",
        r.before.loudness_range_lu,
        r.after.loudness_range_lu,
        "LU",
    ));
    html.push_str(&row("PLR", r.before.plr_db, r.after.plr_db, "dB"));
    html.push_str("</table>\n<h2>Decisions</h2>\n<ul>\n");
    for line in &r.assisted.explanations {
        let _ = writeln!(html, "<li>{}</li>", esc(line));
    }
    html.push_str("</ul>\n");
    for (id, svg) in &plots {
        let _ = writeln!(html, "<figure id=\"{id}\" class=\"plot\">{svg}</figure>");
    }
    if !r.codec.is_empty() {
        html.push_str(
            "<h2>Codec check</h2>\n<p>True peak of the master after encoding and decoding as the \
             streaming services deliver it (over 0 dBTP clips in players).</p>\n<table>\
             <tr><th>Codec</th><th>True peak</th></tr>\n",
        );
        for c in r.codec {
            let v = match &c.true_peak_dbtp {
                Ok(p) => format!("{p:.1} dBTP"),
                Err(why) => format!("n/a ({})", esc(why)),
            };
            let _ = writeln!(html, "<tr><td>{}</td><td>{v}</td></tr>", c.codec);
        }
        html.push_str("</table>\n");
    }
    html.push_str("<p>Made by Lacquer.</p>\n</body></html>\n");
    Ok(html)
}

/// One track's row on the album page.
pub struct AlbumRow<'a> {
    /// Input file.
    pub input: &'a Path,
    /// Written master.
    pub output: &'a Path,
    /// Measurements of the input and the master.
    pub before: &'a Analysis,
    /// See `before`.
    pub after: &'a Analysis,
    /// Whether the track followed the album's direction (else it was decided on its own).
    pub shared: bool,
    /// The worst codec peak of the master, dBTP, if measured.
    pub codec_worst_dbtp: Option<f64>,
}

/// The album's page: a row per track (loudness and true peak before and after, shared or own
/// direction, codec peak) and plots of the tracks' loudness and true peaks.
pub fn album_html(
    rows: &[AlbumRow<'_>],
    album_before_lufs: f64,
    album_after_lufs: Option<f64>,
    target_lufs: f64,
    ceiling_dbtp: f32,
) -> Result<String, CliError> {
    let names: Vec<String> = (1..=rows.len()).map(|i| i.to_string()).collect();
    let level = |a: &Analysis| a.integrated_lufs.map_or(-60.0, |l| l as f32);
    let peak = |a: &Analysis| a.true_peak_dbtp.map_or(-60.0, |p| p as f32);
    let loudness = bars_plot(
        "Loudness per track (numbers as in the table)",
        "LUFS",
        &names,
        &rows
            .iter()
            .map(|r| (level(r.before), level(r.after)))
            .collect::<Vec<_>>(),
        Some((
            target_lufs as f32,
            format!("album target {target_lufs:.1} LUFS"),
        )),
    )?;
    let peaks = bars_plot(
        "True peak per track",
        "dBTP",
        &names,
        &rows
            .iter()
            .map(|r| (peak(r.before), peak(r.after)))
            .collect::<Vec<_>>(),
        Some((ceiling_dbtp, format!("ceiling {ceiling_dbtp:.1} dBTP"))),
    )?;
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Lacquer album \
         report</title>\n<style>body{{font-family:sans-serif;max-width:920px;margin:1em auto;\
         color:#222}}table{{border-collapse:collapse}}td,th{{padding:2px 8px;text-align:right}}\
         td:nth-child(2),th:nth-child(2){{text-align:left}}</style></head><body>\n\
         <h1>Lacquer album report</h1>\n<p>{} tracks: {album_before_lufs:.1} LUFS as mixed, {} \
         mastered (target {target_lufs:.1} LUFS); each track's own page is beside this one.</p>\n\
         <table><tr><th>#</th><th>Track</th><th>Mixed</th><th>Mastered</th><th>True peak</th>\
         <th>Codec peak</th><th>Direction</th></tr>\n",
        rows.len(),
        album_after_lufs.map_or("n/a".to_string(), |l| format!("{l:.1} LUFS")),
    );
    let v = |x: Option<f64>, unit: &str| x.map_or("n/a".to_string(), |x| format!("{x:.1} {unit}"));
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(
            html,
            "<tr class=\"track\"><td>{}</td><td>{} &rarr; {}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>",
            i + 1,
            esc(&r.input.display().to_string()),
            esc(&r.output.display().to_string()),
            v(r.before.integrated_lufs, "LUFS"),
            v(r.after.integrated_lufs, "LUFS"),
            v(r.after.true_peak_dbtp, "dBTP"),
            v(r.codec_worst_dbtp, "dBTP"),
            if r.shared { "album's" } else { "its own" }
        );
    }
    html.push_str("</table>\n");
    let _ = writeln!(
        html,
        "<figure id=\"album-loudness\" class=\"plot\">{loudness}</figure>"
    );
    let _ = writeln!(
        html,
        "<figure id=\"album-true-peak\" class=\"plot\">{peaks}</figure>"
    );
    html.push_str("<p>Made by Lacquer.</p>\n</body></html>\n");
    Ok(html)
}
