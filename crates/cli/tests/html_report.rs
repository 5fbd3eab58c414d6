//! The HTML report in a real browser: `lacquer master --report x.html` on a 5-minute song,
//! opened by headless Chromium (Debian's `chromium`), which reports where each plot sits and
//! takes a screenshot; every plot must be present and drawn (the master's blue in its area),
//! the page must load nothing from anywhere (no script, link, image or URL in it) and weigh
//! under 2 MB.
//!
//! Needs `chromium` and netpbm's `pngtopnm` (both in `cargo xtask deps`); without them the test
//! says so and passes vacuously.

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::Command;

/// The plots the page must show, by their figure ids.
const PLOTS: [&str; 6] = [
    "spectrum",
    "loudness",
    "gain-reduction",
    "true-peak",
    "fold-down",
    "platforms",
];

/// The master's colour in every plot (html.rs's AFTER).
const MASTER_RGB: [u8; 3] = [31, 100, 200];

fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool).arg(arg).output().is_ok()
}

fn chromium(args: &[&str]) -> std::process::Output {
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .args(args)
        .output()
        .expect("run chromium")
}

/// Reads a binary PPM (P6, 8-bit) into width, height and RGB bytes.
fn read_ppm(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes[i] == b'#' {
            while bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
    }
    assert_eq!(fields[0], "P6");
    assert_eq!(fields[3], "255");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, bytes[i + 1..i + 1 + w * h * 3].to_vec())
}

#[test]
fn the_html_report_shows_every_plot_in_chromium_offline_and_small() {
    if !have("chromium", "--version") || !have("pngtopnm", "--version") {
        eprintln!("skipped: chromium or pngtopnm is not installed (`cargo xtask deps`)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_wav(
        &dir.path().join("song.wav"),
        &program(44_100, 2, 300.0, -8.0),
        44_100,
        24,
    );
    let out = run_in(
        dir.path(),
        &[
            "master",
            "song.wav",
            "-o",
            "master.wav",
            "--report",
            "report.html",
            "--report",
            "report.json",
            "--target-lufs",
            "-9",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(
        page.len() < 2_000_000,
        "a 5-minute song's page is {} bytes",
        page.len()
    );
    let lower = page.to_lowercase();
    for needle in [
        "<script", "<link", "<img", "src=", "href=", "url(", "@import", "https:",
    ] {
        assert!(
            !lower.contains(needle),
            "the page would load something: {needle}"
        );
    }
    // The only http: strings are SVG namespace names, which browsers never fetch.
    let http = lower.matches("http:").count();
    let namespaces = lower
        .matches("xmlns=\"http://www.w3.org/2000/svg\"")
        .count();
    assert_eq!(
        http, namespaces,
        "an http: URL other than the SVG namespace"
    );
    for id in PLOTS {
        assert!(page.contains(&format!("id=\"{id}\"")), "no {id} plot");
    }

    // A copy that writes each plot's box into the title once laid out.
    let probe = page.replace(
        "</body>",
        "<script>document.title = JSON.stringify([document.documentElement.scrollHeight]\
         .concat([...document.querySelectorAll('figure.plot')].map(f => { const r = \
         f.getBoundingClientRect(); return [f.id, r.x, r.y, r.width, r.height]; })));</script>\
         </body>",
    );
    let probe_path = dir.path().join("probe.html");
    fs::write(&probe_path, probe).unwrap();
    let url = format!("file://{}", probe_path.display());
    let dom = chromium(&["--window-size=940,1000", "--dump-dom", &url]);
    let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
    let title = dom
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_else(|| panic!("no title in {}", &dom[..dom.len().min(500)]))
        .replace("&quot;", "\"");
    let boxes: serde_json::Value = serde_json::from_str(&title).unwrap();
    let height = boxes[0].as_f64().unwrap().ceil() as usize;
    let plots: Vec<(String, [f64; 4])> = boxes.as_array().unwrap()[1..]
        .iter()
        .map(|b| {
            let v: Vec<f64> = (1..5).map(|i| b[i].as_f64().unwrap()).collect();
            (b[0].as_str().unwrap().to_string(), [v[0], v[1], v[2], v[3]])
        })
        .collect();
    let ids: Vec<&str> = plots.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, PLOTS, "the laid-out plots");

    let png = dir.path().join("page.png");
    let shot = chromium(&[
        &format!("--window-size=940,{height}"),
        &format!("--screenshot={}", png.display()),
        &url,
    ]);
    assert!(
        png.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let ppm = Command::new("pngtopnm").arg(&png).output().unwrap();
    let (w, h, rgb) = read_ppm(&ppm.stdout);
    for (id, [x, y, bw, bh]) in &plots {
        assert!(*bw > 300.0 && *bh > 150.0, "{id} is {bw}x{bh}");
        let (x0, y0) = (*x as usize, *y as usize);
        let (x1, y1) = (((x + bw) as usize).min(w), ((y + bh) as usize).min(h));
        let (mut ink, mut master, mut total) = (0usize, 0usize, 0usize);
        for py in y0..y1 {
            for px in x0..x1 {
                let p = &rgb[(py * w + px) * 3..][..3];
                total += 1;
                if p.iter().any(|&c| c < 235) {
                    ink += 1;
                }
                if p.iter().zip(MASTER_RGB).all(|(&c, m)| c.abs_diff(m) <= 40) {
                    master += 1;
                }
            }
        }
        assert!(
            ink * 50 > total,
            "{id}: only {ink} of {total} pixels drawn: blank"
        );
        assert!(
            master >= 100,
            "{id}: the master's curve is missing ({master} pixels)"
        );
    }
    assert!(Path::new(&png).metadata().unwrap().len() > 10_000);
}
