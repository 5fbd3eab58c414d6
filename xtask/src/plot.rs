//! `cargo xtask plot-tradeoff CSV PNG [--title TEXT]`: draws the assistant's restore-versus-harm
//! curve from the CSV the training command writes (one row per correction strength and problem
//! kind). x is the mean mid-spectrum change the correction causes on undamaged masters, y the
//! share of the damage it restores; one line per kind, the `all` line thick with each marker
//! labelled by its strength and the default strength (1.0) marked. A side panel shows the share
//! of undamaged masters moved by more than 1.5 dB against strength.
//!
//! The chart is drawn as SVG with `plotters` (no font files needed) and converted to PNG by
//! `rsvg-convert` (Debian package `librsvg2-bin`); the SVG is kept beside the PNG.

use std::path::{Path, PathBuf};
use std::process::Command;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

const USAGE: &str = "usage: cargo xtask plot-tradeoff CSV PNG [--title TEXT]";
const DEFAULT_TITLE: &str = "Restore versus harm, leave-one-track-out";
const WIDTH: u32 = 1000;
const HEIGHT: u32 = 620;
/// The strength the assistant uses by default; its point on the `all` line is marked.
const DEFAULT_STRENGTH: f64 = 1.0;

/// The problem kinds the CSV may hold, in legend order, with their line colours (the
/// Okabe-Ito palette, readable with the common colour-vision deficiencies).
const KINDS: [(&str, RGBColor); 6] = [
    ("all", RGBColor(25, 25, 35)),
    ("mud", RGBColor(230, 159, 0)),
    ("harshness", RGBColor(213, 94, 0)),
    ("boom", RGBColor(0, 114, 178)),
    ("dullness", RGBColor(204, 121, 167)),
    ("thinness", RGBColor(0, 158, 115)),
];

/// One CSV row: a problem kind at one correction strength.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub kind: String,
    pub strength: f64,
    pub restored_pct: f64,
    pub harm_mean_db: f64,
    /// `None` when the CSV has no `harm_over_1p5_pct` column.
    pub harm_over_1p5_pct: Option<f64>,
    /// `None` when the CSV has no `harm_max_db` column.
    pub harm_max_db: Option<f64>,
}

/// Runs the task with the arguments after `plot-tradeoff`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut positional = Vec::new();
    let mut title = DEFAULT_TITLE.to_string();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            "--title" => {
                title = rest
                    .next()
                    .ok_or_else(|| format!("--title needs a value; {USAGE}"))?
                    .clone();
            }
            other if other.starts_with("--") => {
                return Err(format!("unknown option '{other}'; {USAGE}"));
            }
            other => positional.push(other),
        }
    }
    let [csv, png] = positional[..] else {
        return Err(format!("expected a CSV and a PNG path; {USAGE}"));
    };
    let (csv, png) = (Path::new(csv), Path::new(png));
    let svg = output_paths(csv, png)?;
    let text = std::fs::read_to_string(csv)
        .map_err(|e| format!("cannot read '{}': {e}", csv.display()))?;
    let rows = parse_csv(&text).map_err(|e| format!("{}: {e}", csv.display()))?;
    let drawing = render_svg(&rows, &title)?;
    std::fs::write(&svg, drawing).map_err(|e| format!("cannot write '{}': {e}", svg.display()))?;
    svg_to_png(&svg, png)?;
    println!("wrote {} and {}", png.display(), svg.display());
    Ok(())
}

/// Checks the output path and returns the SVG path beside it; refuses any output that would
/// overwrite the CSV.
fn output_paths(csv: &Path, png: &Path) -> Result<PathBuf, String> {
    let is_png = png
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !is_png {
        return Err(format!(
            "the output '{}' must end in .png (the SVG is written beside it)",
            png.display()
        ));
    }
    let svg = png.with_extension("svg");
    let input =
        std::fs::canonicalize(csv).map_err(|e| format!("cannot read '{}': {e}", csv.display()))?;
    for output in [png, svg.as_path()] {
        if same_file(&input, output) {
            return Err(format!(
                "refusing to write '{}': it is the input CSV",
                output.display()
            ));
        }
    }
    Ok(svg)
}

/// Whether `path` (which need not exist) names the file `canonical_input` does.
fn same_file(canonical_input: &Path, path: &Path) -> bool {
    if let Ok(existing) = std::fs::canonicalize(path) {
        return existing == canonical_input;
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(parent), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name) == canonical_input,
        _ => false,
    }
}

/// Parses the training command's CSV: columns are found by header name, unknown columns are
/// ignored, blank lines skipped. `kind`, `strength`, `restored_pct` and `harm_mean_db` are
/// required; `harm_over_1p5_pct` and `harm_max_db` are used when present. A bad row is an
/// error naming its line (1 = the header).
pub fn parse_csv(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty());
    let Some((_, header)) = lines.next() else {
        return Err("the CSV is empty".into());
    };
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    let column = |name: &str| names.iter().position(|n| *n == name);
    let required = ["kind", "strength", "restored_pct", "harm_mean_db"];
    let missing: Vec<&str> = required
        .into_iter()
        .filter(|name| column(name).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the header lacks the column(s) {} (found: {header})",
            missing.join(", ")
        ));
    }
    let [kind_col, strength_col, restored_col, harm_col] = required.map(|n| column(n).unwrap());
    let over_col = column("harm_over_1p5_pct");
    let max_col = column("harm_max_db");

    let mut rows: Vec<Row> = Vec::new();
    for (number, line) in lines {
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != names.len() {
            return Err(format!(
                "line {number}: {} fields where the header has {}",
                fields.len(),
                names.len()
            ));
        }
        let number_at = |col: usize| -> Result<f64, String> {
            let field = fields[col];
            match field.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(format!(
                    "line {number}: {} is '{field}', not a finite number",
                    names[col]
                )),
            }
        };
        let kind = fields[kind_col];
        if !KINDS.iter().any(|(k, _)| *k == kind) {
            let known: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
            return Err(format!(
                "line {number}: unknown kind '{kind}' (expected one of {})",
                known.join(", ")
            ));
        }
        let row = Row {
            kind: kind.to_string(),
            strength: number_at(strength_col)?,
            restored_pct: number_at(restored_col)?,
            harm_mean_db: number_at(harm_col)?,
            harm_over_1p5_pct: over_col.map(number_at).transpose()?,
            harm_max_db: max_col.map(number_at).transpose()?,
        };
        if rows
            .iter()
            .any(|r| r.kind == row.kind && r.strength == row.strength)
        {
            return Err(format!(
                "line {number}: a second row for kind '{kind}' at strength {}",
                row.strength
            ));
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err("the CSV has a header but no rows".into());
    }
    Ok(rows)
}

/// The rows of one kind, by rising strength.
fn series<'a>(rows: &'a [Row], kind: &str) -> Vec<&'a Row> {
    let mut of_kind: Vec<&Row> = rows.iter().filter(|r| r.kind == kind).collect();
    of_kind.sort_by(|a, b| a.strength.total_cmp(&b.strength));
    of_kind
}

/// A strength as its label: "0.5", "1.0", "0.25".
fn strength_label(strength: f64) -> String {
    if ((strength * 10.0).round() - strength * 10.0).abs() < 1e-9 {
        format!("{strength:.1}")
    } else {
        format!("{strength:.2}")
    }
}

fn is_default(strength: f64) -> bool {
    (strength - DEFAULT_STRENGTH).abs() < 1e-9
}

/// `lo..hi` widened by a margin on each side and never empty.
fn padded(lo: f64, hi: f64, low_pad: f64, high_pad: f64) -> std::ops::Range<f64> {
    let span = if hi > lo { hi - lo } else { 1.0 };
    (lo - span * low_pad)..(hi + span * high_pad)
}

fn draw_err(e: impl std::fmt::Display) -> String {
    format!("drawing the chart failed: {e}")
}

/// Draws the chart and returns the SVG text.
pub fn render_svg(rows: &[Row], title: &str) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let body = root
            .margin(8, 4, 4, 12)
            .titled(title, ("sans-serif", 24).into_font().style(FontStyle::Bold))
            .map_err(draw_err)?;
        let (main, side) = body.split_horizontally(690);
        draw_main(&main, rows)?;
        let (legend, panel) = side.split_vertically(270);
        draw_legend(&legend, rows)?;
        draw_share_panel(&panel, rows)?;
        root.present().map_err(draw_err)?;
    }
    Ok(svg)
}

/// The restore-versus-harm chart.
fn draw_main(area: &DrawingArea<SVGBackend<'_>, Shift>, rows: &[Row]) -> Result<(), String> {
    let (x_lo, x_hi) = extent(rows.iter().map(|r| r.harm_mean_db));
    let (y_lo, y_hi) = extent(rows.iter().map(|r| r.restored_pct));
    let x_range = padded(x_lo.min(0.0), x_hi, 0.02, 0.06);
    let y_range = padded(y_lo.min(0.0), y_hi, 0.04, 0.1);
    let mut chart = ChartBuilder::on(area)
        .margin_top(6)
        .margin_right(16)
        .x_label_area_size(48)
        .y_label_area_size(62)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .max_light_lines(1)
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(214, 214, 214))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .x_desc("mean mid-spectrum change on undamaged masters, dB")
        .y_desc("damage restored, % of the damaged mix's mid error")
        .x_label_formatter(&|x| format!("{x:.2}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(draw_err)?;

    // Thin kinds first so the `all` line (thick, darker) lies on top.
    for (kind, colour) in KINDS.iter().skip(1).chain(KINDS.iter().take(1)) {
        let (width, radius) = if *kind == "all" { (4, 5) } else { (2, 3) };
        let points: Vec<(f64, f64)> = series(rows, kind)
            .iter()
            .map(|r| (r.harm_mean_db, r.restored_pct))
            .collect();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(width),
            ))
            .map_err(draw_err)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, radius, colour.filled())),
            )
            .map_err(draw_err)?;
    }
    let (_, dark) = KINDS[0];
    let all = series(rows, "all");
    let points: Vec<(f64, f64)> = all
        .iter()
        .map(|r| (r.harm_mean_db, r.restored_pct))
        .collect();

    // Strength labels beside the `all` markers: above the line where there is room, kept off
    // the other labels, every marker and, where possible, every line.
    let to_pixels = |row_points: &[(f64, f64)]| -> Vec<(i32, i32)> {
        row_points.iter().map(|p| chart.backend_coord(p)).collect()
    };
    let pixels = to_pixels(&points);
    let lines: Vec<Vec<(i32, i32)>> = KINDS
        .iter()
        .map(|(kind, _)| {
            let kind_points: Vec<(f64, f64)> = series(rows, kind)
                .iter()
                .map(|r| (r.harm_mean_db, r.restored_pct))
                .collect();
            to_pixels(&kind_points)
        })
        .collect();
    let plot = chart.plotting_area();
    let (x_pixels, y_pixels) = plot.get_pixel_range();
    let scene = Scene {
        bounds: Rect {
            x0: x_pixels.start,
            y0: y_pixels.start,
            x1: x_pixels.end,
            y1: y_pixels.end,
        },
        lines,
    };
    let mut placed: Vec<Rect> = Vec::new();
    let default_index = all.iter().position(|r| is_default(r.strength));
    let mut order: Vec<usize> = (0..all.len()).collect();
    if let Some(d) = default_index {
        order.retain(|&i| i != d);
        order.insert(0, d);
    }
    for i in order {
        let is_the_default = Some(i) == default_index;
        let (text, size) = if is_the_default {
            (format!("default ({})", strength_label(all[i].strength)), 15)
        } else {
            (strength_label(all[i].strength), 13)
        };
        let (w, h) = text_size(&text, size);
        // The default's callout prefers below the line, the strengths above it.
        let normal = above_normal(&pixels, i);
        let side = if is_the_default { -1.0 } else { 1.0 };
        let spot = scene.place(
            pixels[i],
            (normal.0 * side, normal.1 * side),
            (w, h),
            &placed,
        );
        let spot = match spot {
            Some(spot) => Some(spot),
            // The default is always named, even over a line.
            None if is_the_default => {
                let (x, y) = pixels[i];
                Some((x + 14 + w / 2, y + 14 + h / 2))
            }
            None => None,
        };
        if let Some((lx, ly)) = spot {
            let (dx, dy) = (lx - pixels[i].0, ly - pixels[i].1);
            let far = f64::from(dx).hypot(f64::from(dy)) > LEADER_GAP + f64::from(w.max(h)) / 2.0
                || is_the_default;
            if far {
                plot.draw(
                    &(EmptyElement::at(points[i])
                        + PathElement::new(vec![(0, 0), (dx, dy)], dark.mix(0.6).stroke_width(1))),
                )
                .map_err(draw_err)?;
            }
            let font = ("sans-serif", size).into_font();
            let font = if is_the_default {
                font.style(FontStyle::Bold)
            } else {
                font
            };
            let style = font.color(&dark).pos(Pos::new(HPos::Center, VPos::Center));
            plot.draw(
                &(EmptyElement::at(points[i])
                    + Rectangle::new(
                        [
                            (dx - w / 2 - 2, dy - h / 2 - 1),
                            (dx + w / 2 + 2, dy + h / 2 + 1),
                        ],
                        WHITE.mix(if far { 1.0 } else { 0.85 }).filled(),
                    )
                    + Text::new(text.clone(), (dx, dy), style)),
            )
            .map_err(draw_err)?;
            placed.push(Rect::centred(lx, ly, w, h));
        }
        if is_the_default {
            plot.draw(&Circle::new(points[i], 10, dark.stroke_width(2)))
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// Labels at least this far from their marker get a leader line.
const LEADER_GAP: f64 = 30.0;

/// What a label must keep clear of, in pixels: the plotting area it must stay inside and the
/// polylines of every kind (their vertices are the markers).
struct Scene {
    bounds: Rect,
    lines: Vec<Vec<(i32, i32)>>,
}

impl Scene {
    /// The centre for a `size` label beside `anchor`: tried along `direction` first, then at
    /// angles turning away from it, then on the opposite side, each at growing distances. The
    /// first box clear of `placed`, every marker and every line wins; failing that, the first
    /// clear of labels and markers only.
    fn place(
        &self,
        anchor: (i32, i32),
        direction: (f64, f64),
        size: (i32, i32),
        placed: &[Rect],
    ) -> Option<(i32, i32)> {
        let (w, h) = size;
        let mut candidates = Vec::new();
        for gap in [12.0, 20.0, 30.0, LEADER_GAP + 4.0, LEADER_GAP + 20.0] {
            for sign in [1.0, -1.0] {
                for degrees in [0.0_f64, 35.0, -35.0, 70.0, -70.0, 90.0, -90.0] {
                    let (sin, cos) = degrees.to_radians().sin_cos();
                    let (ux, uy) = (direction.0 * sign, direction.1 * sign);
                    let (ux, uy) = (ux * cos - uy * sin, ux * sin + uy * cos);
                    let reach = gap + ux.abs() * f64::from(w) / 2.0 + uy.abs() * f64::from(h) / 2.0;
                    let centre = (
                        anchor.0 + (ux * reach).round() as i32,
                        anchor.1 + (uy * reach).round() as i32,
                    );
                    candidates.push(centre);
                }
            }
        }
        let fits = |centre: (i32, i32), avoid_lines: bool| {
            let rect = Rect::centred(centre.0, centre.1, w, h);
            let padded = rect.grown(3);
            self.bounds.holds(&rect)
                && placed.iter().all(|r| !r.overlaps(&padded))
                && self
                    .lines
                    .iter()
                    .flatten()
                    .all(|&(x, y)| !rect.grown(6).contains(x, y))
                && (!avoid_lines || self.lines.iter().all(|line| !crosses(line, &padded)))
        };
        let mut clear = candidates.iter().copied().filter(|&c| fits(c, true));
        clear
            .next()
            .or_else(|| candidates.iter().copied().find(|&c| fits(c, false)))
    }
}

/// Whether the polyline passes through `rect` (sampled every pixel or so).
fn crosses(line: &[(i32, i32)], rect: &Rect) -> bool {
    line.windows(2).any(|pair| {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        let steps = (x1 - x0).abs().max((y1 - y0).abs()).max(1);
        (0..=steps).any(|k| {
            let t = f64::from(k) / f64::from(steps);
            let x = f64::from(x0) + t * f64::from(x1 - x0);
            let y = f64::from(y0) + t * f64::from(y1 - y0);
            rect.contains(x.round() as i32, y.round() as i32)
        })
    })
}

/// The legend and, below it, the figures at the default strength.
fn draw_legend(area: &DrawingArea<SVGBackend<'_>, Shift>, rows: &[Row]) -> Result<(), String> {
    let font = ("sans-serif", 15).into_font();
    let mut y = 22;
    for (kind, colour) in KINDS {
        if !rows.iter().any(|r| r.kind == kind) {
            continue;
        }
        let width = if kind == "all" { 4 } else { 2 };
        area.draw(&PathElement::new(
            vec![(14, y), (50, y)],
            colour.stroke_width(width),
        ))
        .map_err(draw_err)?;
        area.draw(&Circle::new(
            (32, y),
            if kind == "all" { 5 } else { 3 },
            colour.filled(),
        ))
        .map_err(draw_err)?;
        let name = if kind == "all" {
            "all kinds".to_string()
        } else {
            kind.to_string()
        };
        area.draw_text(
            &name,
            &font.color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center)),
            (60, y),
        )
        .map_err(draw_err)?;
        y += 24;
    }
    let Some(default) = series(rows, "all")
        .into_iter()
        .find(|r| is_default(r.strength))
    else {
        return Ok(());
    };
    let mut lines = vec![
        format!(
            "At the default ({}), all kinds:",
            strength_label(default.strength)
        ),
        format!("  {:.1} % of the damage restored", default.restored_pct),
        format!("  {:.2} dB mean change, undamaged", default.harm_mean_db),
    ];
    if let Some(over) = default.harm_over_1p5_pct {
        lines.push(format!("  {over:.1} % of them moved > 1.5 dB"));
    }
    if let Some(max) = default.harm_max_db {
        lines.push(format!("  largest move {max:.2} dB"));
    }
    y += 10;
    for (i, line) in lines.iter().enumerate() {
        let style = if i == 0 {
            ("sans-serif", 14).into_font().style(FontStyle::Bold)
        } else {
            ("sans-serif", 14).into_font()
        };
        area.draw_text(
            line,
            &style.color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center)),
            (14, y),
        )
        .map_err(draw_err)?;
        y += 19;
    }
    Ok(())
}

/// The small panel: the share of undamaged masters moved by more than 1.5 dB, by strength.
fn draw_share_panel(area: &DrawingArea<SVGBackend<'_>, Shift>, rows: &[Row]) -> Result<(), String> {
    if rows.iter().any(|r| r.harm_over_1p5_pct.is_none()) {
        area.draw_text(
            "(no harm_over_1p5_pct column)",
            &("sans-serif", 13).into_font().color(&BLACK),
            (14, 20),
        )
        .map_err(draw_err)?;
        return Ok(());
    }
    let shares = rows.iter().filter_map(|r| r.harm_over_1p5_pct);
    let (_, y_hi) = extent(shares);
    let (s_lo, s_hi) = extent(rows.iter().map(|r| r.strength));
    let mut chart = ChartBuilder::on(area)
        .caption(
            "undamaged masters moved > 1.5 dB",
            ("sans-serif", 14).into_font().style(FontStyle::Bold),
        )
        .margin(8)
        .margin_right(14)
        .x_label_area_size(40)
        .y_label_area_size(44)
        .build_cartesian_2d(
            padded(s_lo.min(0.0), s_hi, 0.02, 0.04),
            padded(0.0, y_hi.max(5.0), 0.0, 0.1),
        )
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .max_light_lines(1)
        .light_line_style(RGBColor(244, 244, 244))
        .bold_line_style(RGBColor(222, 222, 222))
        .label_style(("sans-serif", 12))
        .axis_desc_style(("sans-serif", 13))
        .x_desc("correction strength")
        .y_desc("% of masters")
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|x| format!("{x:.1}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()
        .map_err(draw_err)?;
    let y_top = chart.y_range().end;
    chart
        .draw_series(DashedLineSeries::new(
            [(DEFAULT_STRENGTH, 0.0), (DEFAULT_STRENGTH, y_top)],
            5,
            4,
            RGBColor(90, 90, 90).stroke_width(1),
        ))
        .map_err(draw_err)?;
    chart
        .draw_series(std::iter::once(
            EmptyElement::at((DEFAULT_STRENGTH, y_top))
                + Text::new(
                    "default",
                    (-3, 3),
                    ("sans-serif", 12)
                        .into_font()
                        .color(&RGBColor(70, 70, 70))
                        .pos(Pos::new(HPos::Right, VPos::Top)),
                ),
        ))
        .map_err(draw_err)?;
    for (kind, colour) in KINDS.iter().rev() {
        let points: Vec<(f64, f64)> = series(rows, kind)
            .iter()
            .filter_map(|r| r.harm_over_1p5_pct.map(|v| (r.strength, v)))
            .collect();
        let (width, radius) = if *kind == "all" { (3, 4) } else { (1, 2) };
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                colour.stroke_width(width),
            ))
            .map_err(draw_err)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, radius, colour.filled())),
            )
            .map_err(draw_err)?;
    }
    Ok(())
}

/// The smallest and largest of `values` (0, 0 when there are none).
fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values
        .fold(None, |acc: Option<(f64, f64)>, v| {
            Some(acc.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })
        .unwrap_or((0.0, 0.0))
}

/// The unit normal at point `i` of a pixel polyline that points to the left of its direction
/// of travel (above a line drawn left to right).
fn above_normal(pixels: &[(i32, i32)], i: usize) -> (f64, f64) {
    let before = pixels[i.saturating_sub(1)];
    let after = pixels[(i + 1).min(pixels.len() - 1)];
    let (dx, dy) = ((after.0 - before.0) as f64, (after.1 - before.1) as f64);
    let length = dx.hypot(dy);
    if length < 1e-9 {
        // A lone point, or neighbours on top of it: above and to the left.
        return (
            -std::f64::consts::FRAC_1_SQRT_2,
            -std::f64::consts::FRAC_1_SQRT_2,
        );
    }
    // Pixel y grows downwards, so (dy, -dx) is the left-hand side of (dx, dy).
    (dy / length, -dx / length)
}

/// A rough pixel size of `text` at font size `size`, matching the SVG's sans-serif closely
/// enough to keep labels apart.
fn text_size(text: &str, size: u32) -> (i32, i32) {
    let em = f64::from(size) / 1.24;
    (
        (em * 0.62 * text.chars().count() as f64).ceil() as i32,
        em.ceil() as i32,
    )
}

/// A label's box in pixels.
#[derive(Clone, Copy, Debug)]
struct Rect {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl Rect {
    fn centred(x: i32, y: i32, w: i32, h: i32) -> Self {
        Rect {
            x0: x - w / 2,
            y0: y - h / 2,
            x1: x + w / 2,
            y1: y + h / 2,
        }
    }

    fn grown(self, by: i32) -> Self {
        Rect {
            x0: self.x0 - by,
            y0: self.y0 - by,
            x1: self.x1 + by,
            y1: self.y1 + by,
        }
    }

    fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    fn holds(&self, other: &Rect) -> bool {
        self.x0 <= other.x0 && other.x1 <= self.x1 && self.y0 <= other.y0 && other.y1 <= self.y1
    }

    fn contains(&self, x: i32, y: i32) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }
}

/// Converts the SVG to PNG with `rsvg-convert`.
fn svg_to_png(svg: &Path, png: &Path) -> Result<(), String> {
    let output = Command::new("rsvg-convert")
        .arg("--format=png")
        .arg("--background-color=white")
        .arg("--output")
        .arg(png)
        .arg(svg)
        .output();
    match output {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
            "rsvg-convert is not installed (Debian package librsvg2-bin: apt-get install librsvg2-bin); the SVG is at {}",
            svg.display()
        )),
        Err(e) => Err(format!("cannot run rsvg-convert: {e}")),
        Ok(out) if !out.status.success() => Err(format!(
            "rsvg-convert failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plausible training CSV: every kind at strengths 0..2, restore rising and flattening,
    /// harm growing, with an extra column the plot must ignore.
    fn synthetic_csv() -> String {
        let mut text = String::from(
            "kind,strength,restored_pct,harm_mean_db,harm_over_1p5_pct,harm_max_db,tracks\n",
        );
        for (k, (kind, _)) in KINDS.iter().enumerate() {
            let top = 20.0 + 6.0 * k as f64;
            for step in 0..=8 {
                let s = step as f64 * 0.25;
                let restored = top * (1.0 - (-1.2 * s).exp());
                let harm = 0.2 * s.powf(1.25);
                let over = 12.0 * s * s;
                let max = if step == 0 { 0.0 } else { 0.9 + 1.5 * s };
                text.push_str(&format!(
                    "{kind},{s:.2},{restored:.1},{harm:.3},{over:.1},{max:.2},55\n"
                ));
            }
        }
        text
    }

    /// The text of every `<text>` element of an SVG, trimmed.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                let body = &t[t.find('>')? + 1..];
                Some(body[..body.find("</text>")?].trim().to_string())
            })
            .collect()
    }

    #[test]
    fn columns_are_found_by_name_and_unknown_ones_ignored() {
        let rows = parse_csv(
            "harm_max_db,note,restored_pct,kind,harm_mean_db,strength,harm_over_1p5_pct\n\
             2.5,x,22.4,all,0.220,1.00,12.0\n\
             \n\
             0.0,y,-3.0,mud,0.000,0.00,0.0\r\n",
        )
        .unwrap();
        assert_eq!(
            rows[0],
            Row {
                kind: "all".into(),
                strength: 1.0,
                restored_pct: 22.4,
                harm_mean_db: 0.22,
                harm_over_1p5_pct: Some(12.0),
                harm_max_db: Some(2.5),
            }
        );
        assert_eq!(rows[1].kind, "mud");
        assert_eq!(rows[1].restored_pct, -3.0);
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn the_optional_columns_may_be_missing() {
        let rows = parse_csv("kind,strength,restored_pct,harm_mean_db\nall,0.5,10,0.1\n").unwrap();
        assert_eq!(rows[0].harm_over_1p5_pct, None);
        assert_eq!(rows[0].harm_max_db, None);
        // And the chart still draws, saying what it could not show.
        let svg = render_svg(&rows, "t").unwrap();
        assert!(texts(&svg).contains(&"(no harm_over_1p5_pct column)".to_string()));
    }

    #[test]
    fn bad_rows_are_rejected_with_their_line_number() {
        let header = "kind,strength,restored_pct,harm_mean_db,harm_over_1p5_pct\n";
        let good = "all,0.0,0.0,0.0,0.0\n";
        let cases = [
            ("all,0.5,ten,0.1,2.0\n", "line 3: restored_pct is 'ten'"),
            (
                "all,0.5,10,0.1\n",
                "line 3: 4 fields where the header has 5",
            ),
            ("all,0.5,10,0.1,2.0,9\n", "line 3: 6 fields"),
            ("all,0.5,10,NaN,2.0\n", "line 3: harm_mean_db is 'NaN'"),
            ("all,0.5,10,0.1,\n", "line 3: harm_over_1p5_pct is ''"),
            ("width,0.5,10,0.1,2.0\n", "line 3: unknown kind 'width'"),
            ("all,0.0,5,0.1,2.0\n", "line 3: a second row for kind 'all'"),
        ];
        for (bad, expected) in cases {
            let error = parse_csv(&format!("{header}{good}{bad}")).unwrap_err();
            assert!(error.starts_with(expected), "{bad:?} gave {error:?}");
            assert!(!error.contains('\n'));
        }
    }

    #[test]
    fn missing_columns_and_missing_rows_are_errors() {
        let error = parse_csv("kind,strength,harm_mean_db,extra\nall,1,0.2,3\n").unwrap_err();
        assert!(
            error.starts_with("the header lacks the column(s) restored_pct (found"),
            "{error}"
        );
        let error = parse_csv("kind,strength,restored_pct,harm_mean_db\n\n").unwrap_err();
        assert!(error.contains("no rows"), "{error}");
        assert!(parse_csv("").unwrap_err().contains("empty"));
    }

    #[test]
    fn the_chart_names_every_kind_and_the_default() {
        let rows = parse_csv(&synthetic_csv()).unwrap();
        let svg = render_svg(&rows, "A & B").unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
        let found = texts(&svg);
        let has = |t: &str| found.iter().any(|x| x == t);
        for name in [
            "all kinds",
            "mud",
            "harshness",
            "boom",
            "dullness",
            "thinness",
        ] {
            assert!(has(name), "no legend entry {name} in {found:?}");
        }
        assert!(has("default (1.0)"), "{found:?}");
        assert!(has("A &amp; B"), "the title, escaped");
        // Strengths label the `all` markers (some may be skipped when crowded, not most).
        let labelled = ["0.25", "0.5", "0.75", "1.25", "1.5", "1.75", "2.0"]
            .iter()
            .filter(|s| has(s))
            .count();
        assert!(labelled >= 5, "only {labelled} strength labels");
        // Without an `all` row at 1.0 there is no default to mark.
        let others: Vec<Row> = rows.into_iter().filter(|r| r.kind != "all").collect();
        let texts_without = texts(&render_svg(&others, "t").unwrap());
        assert!(!texts_without.iter().any(|t| t.starts_with("default (")));
    }

    #[test]
    fn the_command_writes_svg_and_png_and_never_the_csv() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("tradeoff.csv");
        std::fs::write(&csv, synthetic_csv()).unwrap();
        let png = dir.path().join("tradeoff.png");
        let arg = |p: &Path| p.to_str().unwrap().to_string();
        let result = run(&[arg(&csv), arg(&png), "--title".into(), "Mine".into()]);
        let svg = std::fs::read_to_string(dir.path().join("tradeoff.svg")).unwrap();
        assert_eq!(texts(&svg)[0], "Mine");
        let have_rsvg = Command::new("rsvg-convert")
            .arg("--version")
            .output()
            .is_ok();
        if have_rsvg {
            result.unwrap();
            let bytes = std::fs::read(&png).unwrap();
            assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        } else {
            assert!(result.unwrap_err().contains("librsvg2-bin"));
        }
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), synthetic_csv());
    }

    #[test]
    fn bad_paths_are_refused_before_anything_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let arg = |p: &Path| p.to_str().unwrap().to_string();
        let missing = run(&[
            arg(&dir.path().join("none.csv")),
            arg(&dir.path().join("o.png")),
        ]);
        assert!(missing.unwrap_err().starts_with("cannot read"));

        // A CSV that happens to be named like the outputs is never overwritten.
        for name in ["data.png", "data.svg"] {
            let csv = dir.path().join(name);
            std::fs::write(&csv, synthetic_csv()).unwrap();
            let same = dir.path().join("data.png");
            let error = run(&[arg(&csv), arg(&same)]).unwrap_err();
            assert!(error.starts_with("refusing to write"), "{error}");
            assert_eq!(std::fs::read_to_string(&csv).unwrap(), synthetic_csv());
            std::fs::remove_file(&csv).unwrap();
        }
        // The same file through another spelling of its path.
        let csv = dir.path().join("t.png");
        std::fs::write(&csv, synthetic_csv()).unwrap();
        let other = dir.path().join(".").join("t.png");
        assert!(run(&[arg(&csv), arg(&other)]).is_err());

        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, synthetic_csv()).unwrap();
        let error = run(&[arg(&csv), arg(&dir.path().join("t.jpg"))]).unwrap_err();
        assert!(error.contains("must end in .png"), "{error}");
        assert!(run(&[arg(&csv)]).unwrap_err().contains("usage"));
        assert!(!dir.path().join("o.png").exists() && !dir.path().join("o.svg").exists());
    }
}
