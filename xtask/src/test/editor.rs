//! Step f of `cargo xtask test`: the editor opened for real and photographed. Builds the
//! standalone example (`crates/plugin/examples/standalone.rs`, debug, with `assert_process_allocs`), runs it
//! under a private Xvfb with nice-plug's dummy audio backend while it plays the demo mix with
//! some Drive and Dynamics, finds its window with xdotool and takes two screenshots one second
//! apart (`xwd | xwdtopnm`, and `pnmtopng` for the saved copy). Checks, one test each:
//!
//! 1. the window appears;
//! 2. the process is still alive after seconds of audio with the editor open and updating:
//!    with `assert_process_allocs` any allocation on the audio thread aborts it;
//! 3. the window is not blank: big enough and many distinct colours;
//! 4. the editor's accent colour is drawn (the theme and the meters rendered);
//! 5. the meters are live: the two screenshots differ.
//!
//! Then, in the same Xvfb with `xsettingsd` as the XSETTINGS owner, a real VST3 host
//! (pedalboard, from the venv of step e) opens and closes the editor of the alloc-check bundle
//! 50 times while another thread keeps processing audio (`editor_open_close.py`): the cycles
//! complete, audio runs in every cycle, no `process()` call waits on the GUI. Then
//! `listen_in_host.py`: the assistant's Listen through the same host (Listen on, music, Listen
//! off) changes parameters the host sees, with the alloc-check bundle on the audio thread, and
//! Cancel clicked in the editor (xdotool) restores every parameter exactly. Then
//! `reference_in_host.py`: a reference track added in the editor (its path typed with
//! xdotool), Listen and Accept against it (more top than the family target for a bright
//! reference), and a project saved with it reopened after the file is deleted Listens to the
//! same settings; the Assistant page with the reference is saved as
//! `target/reference-host-screenshot.png` (and with the proposal, `...-proposal.png`).
//!
//! Installs nothing: needs the Debian packages xvfb, x11-apps (xwd), netpbm, xdotool,
//! xsettingsd, plus libasound2-dev and libjack-jackd2-dev to build the standalone.
//! The screenshot is saved as `target/editor-screenshot.png`.

use super::counts::Counts;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Parameters the standalone starts with, so the limiter and the band compressors work.
const START_PARAMS: &str = "drive=10,dynamics=60,width=120";
/// Time the meters get before the screenshots, s.
const SETTLE_S: u64 = 8;
/// Fewest distinct colours of a real editor frame (a blank or failed window has a handful).
const MIN_DISTINCT_COLOURS: usize = 200;
/// The theme's accent colour (crates/plugin/src/editor/theme.rs, ACCENT) and how many pixels of it (within
/// a small tolerance) a drawn editor has at least (knob arcs, meters, spectrum line).
const ACCENT_RGB: [u8; 3] = [0xF2, 0xA9, 0x3B];
const MIN_ACCENT_PIXELS: usize = 2000;
/// Fewest pixels that must change between the two screenshots (the meters move).
const MIN_CHANGED_PIXELS: usize = 500;

/// An RGB image read from a binary PPM (P6, maxval 255).
struct Image {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

/// Runs the step; returns the checks as counts (one per check) like a test runner would.
pub fn run(target: &Path) -> Result<(ExitStatus, Counts), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo)
        .args([
            "build",
            "-p",
            "lacquer",
            "--example",
            "standalone",
            "--features",
            "standalone,assert_process_allocs",
        ])
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building the standalone failed ({status}): it needs libasound2-dev and \
             libjack-jackd2-dev"
        ));
    }
    let binary = target.join("debug").join("examples").join("standalone");
    for tool in [
        "Xvfb",
        "xdotool",
        "xwd",
        "xwdtopnm",
        "pnmtopng",
        "xsettingsd",
    ] {
        if !on_path(tool) {
            return Err(format!(
                "`{tool}` not found: install the Debian packages xvfb x11-apps netpbm xdotool \
                 xsettingsd"
            ));
        }
    }
    let mut checks = Checks::default();
    let display = free_display();
    let mut xvfb = Guard(
        Command::new("Xvfb")
            .args([
                &display,
                "-screen",
                "0",
                "1280x800x24",
                "-noreset",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("could not start Xvfb: {e}"))?,
    );
    let socket = PathBuf::from(format!("/tmp/.X11-unix/X{}", &display[1..]));
    wait_for(Duration::from_secs(10), || socket.exists());
    let stderr_path = target.join("editor-standalone.log");
    let stderr_file = std::fs::File::create(&stderr_path)
        .map_err(|e| format!("cannot create {}: {e}", stderr_path.display()))?;
    let mut app = Guard(
        Command::new(&binary)
            .args([
                "--backend",
                "dummy",
                "--sample-rate",
                "44100",
                "--period-size",
                "512",
            ])
            .env("DISPLAY", &display)
            .env("LACQUER_STANDALONE_PARAMS", START_PARAMS)
            .stdout(Stdio::null())
            .stderr(stderr_file)
            .spawn()
            .map_err(|e| format!("could not start {}: {e}", binary.display()))?,
    );
    let mut window = None;
    wait_for(Duration::from_secs(30), || {
        window = find_window(&display);
        window.is_some()
    });
    checks.check(
        "the editor window appears",
        window.is_some(),
        "no window titled Lacquer",
    );
    if let Some(window) = window {
        sleep(Duration::from_secs(SETTLE_S));
        let alive = matches!(app.0.try_wait(), Ok(None));
        let log = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        checks.check(
            "no allocation on the audio thread with the editor open (process alive)",
            alive,
            &format!("the standalone exited; its log:\n{log}"),
        );
        let first = screenshot(&display, &window, &target.join("editor-screenshot.png"));
        sleep(Duration::from_secs(1));
        let second = screenshot(&display, &window, &target.join("editor-screenshot-2.png"));
        match (first, second) {
            (Ok(a), Ok(b)) => image_checks(&mut checks, &a, &b),
            (Err(e), _) | (_, Err(e)) => checks.check("screenshot", false, &e),
        }
    }
    app.stop();
    host_scripts(&mut checks, target, &display);
    xvfb.stop();
    println!(
        "editor screenshot: {}",
        target.join("editor-screenshot.png").display()
    );
    Ok((ExitStatus::default(), checks.counts))
}

/// The host scripts, written to `target/` and run with the venv's Python (the Listen script
/// imports the open/close script's X setup).
const OPEN_CLOSE_SCRIPT: &str = include_str!("editor_open_close.py");
const LISTEN_SCRIPT: &str = include_str!("listen_in_host.py");
const REFERENCE_SCRIPT: &str = include_str!("reference_in_host.py");

/// One pedalboard script under this Xvfb.
struct HostScript {
    /// What the step is called in failures.
    name: &'static str,
    /// File name in `target/`.
    file: &'static str,
    /// Prefix of the script's check lines.
    prefix: &'static str,
    /// Check lines a complete run prints.
    num_checks: usize,
}

/// The pedalboard scripts (see the module docs), with `xsettingsd` as the XSETTINGS owner;
/// one check per script check.
fn host_scripts(checks: &mut Checks, target: &Path, display: &str) {
    let python = target.join("venv").join("bin").join("python");
    let bundle = target.join("alloc-check").join("Lacquer.vst3");
    if !python.is_file() || !bundle.exists() {
        checks.check(
            "editor scripts in a real VST3 host",
            false,
            "needs the venv of step e and the alloc-check bundle of step a",
        );
        return;
    }
    for (file, text) in [
        ("editor_open_close.py", OPEN_CLOSE_SCRIPT),
        ("listen_in_host.py", LISTEN_SCRIPT),
        ("reference_in_host.py", REFERENCE_SCRIPT),
    ] {
        if let Err(e) = std::fs::write(target.join(file), text) {
            checks.check("host scripts written", false, &e.to_string());
            return;
        }
    }
    let xsettings = Command::new("xsettingsd")
        .args(["-c", "/dev/null"])
        .env("DISPLAY", display)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut xsettings = match xsettings {
        Ok(child) => Guard(child),
        Err(e) => {
            checks.check("xsettingsd starts", false, &e.to_string());
            return;
        }
    };
    sleep(Duration::from_millis(500));
    for script in [
        HostScript {
            name: "editor open/close in a real VST3 host",
            file: "editor_open_close.py",
            prefix: "editor host check: ",
            num_checks: 4,
        },
        HostScript {
            name: "Listen in a real VST3 host",
            file: "listen_in_host.py",
            prefix: "listen host check: ",
            num_checks: 4,
        },
        HostScript {
            name: "reference tracks in a real VST3 host",
            file: "reference_in_host.py",
            prefix: "reference host check: ",
            num_checks: 5,
        },
    ] {
        let screenshot = target.join("reference-host-screenshot.png");
        run_host_script(
            checks,
            &python,
            &target.join(script.file),
            &bundle,
            (script.file == "reference_in_host.py").then_some(screenshot.as_path()),
            display,
            &script,
        );
    }
    xsettings.stop();
}

fn run_host_script(
    checks: &mut Checks,
    python: &Path,
    script_path: &Path,
    bundle: &Path,
    screenshot: Option<&Path>,
    display: &str,
    script: &HostScript,
) {
    let output = Command::new(python)
        .arg(script_path)
        .arg(bundle)
        .args(screenshot)
        .env("DISPLAY", display)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(o) => o,
        Err(e) => {
            checks.check(script.name, false, &e.to_string());
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut num_checks = 0;
    for line in stdout.lines() {
        println!("{line}");
        if let Some(rest) = line.strip_prefix(script.prefix) {
            num_checks += 1;
            if rest.contains(" ... ok") {
                checks.counts.passed += 1;
            } else {
                checks.counts.failed += 1;
            }
        }
    }
    if num_checks < script.num_checks {
        checks.check(
            &format!("{} ran", script.name),
            false,
            &format!(
                "{}; stderr:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ),
        );
    }
}

fn image_checks(checks: &mut Checks, a: &Image, b: &Image) {
    let mut colours: Vec<u32> = a
        .rgb
        .chunks_exact(3)
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect();
    colours.sort_unstable();
    colours.dedup();
    checks.check(
        "the window is not blank (size and distinct colours)",
        a.width >= 800 && a.height >= 500 && colours.len() >= MIN_DISTINCT_COLOURS,
        &format!("{}x{} px, {} colours", a.width, a.height, colours.len()),
    );
    let accent = a
        .rgb
        .chunks_exact(3)
        .filter(|p| p.iter().zip(ACCENT_RGB).all(|(&c, t)| c.abs_diff(t) <= 12))
        .count();
    checks.check(
        "the accent colour is drawn",
        accent >= MIN_ACCENT_PIXELS,
        &format!("{accent} accent pixels"),
    );
    let changed = a
        .rgb
        .chunks_exact(3)
        .zip(b.rgb.chunks_exact(3))
        .filter(|(p, q)| p != q)
        .count();
    checks.check(
        "the meters are live (two screenshots 1 s apart differ)",
        a.width == b.width && a.height == b.height && changed >= MIN_CHANGED_PIXELS,
        &format!("{changed} pixels changed"),
    );
}

/// Pass/fail of each check, printed as it is made.
#[derive(Default)]
struct Checks {
    counts: Counts,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool, detail: &str) {
        if ok {
            println!("editor check: {name} ... ok");
            self.counts.passed += 1;
        } else {
            println!("editor check: {name} ... FAILED ({detail})");
            self.counts.failed += 1;
        }
    }
}

/// Kills the child when dropped (also on early returns).
struct Guard(Child);

impl Guard {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// The first X display number from 90 up with no lock file.
fn free_display() -> String {
    let n = (90..200)
        .find(|n| !Path::new(&format!("/tmp/.X{n}-lock")).exists())
        .unwrap_or(199);
    format!(":{n}")
}

fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() && start.elapsed() < limit {
        sleep(Duration::from_millis(250));
    }
}

fn find_window(display: &str) -> Option<String> {
    let out = Command::new("xdotool")
        .args(["search", "--name", "^Lacquer"])
        .env("DISPLAY", display)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

/// Takes a screenshot of `window`, saves it as PNG at `png` and returns its pixels.
fn screenshot(display: &str, window: &str, png: &Path) -> Result<Image, String> {
    let xwd = Command::new("xwd")
        .args(["-silent", "-id", window])
        .env("DISPLAY", display)
        .output()
        .map_err(|e| format!("xwd: {e}"))?;
    if !xwd.status.success() || xwd.stdout.is_empty() {
        return Err(format!(
            "xwd failed: {}",
            String::from_utf8_lossy(&xwd.stderr)
        ));
    }
    let ppm = pipe("xwdtopnm", &[], &xwd.stdout)?;
    let png_bytes = pipe("pnmtopng", &["-compression", "9"], &ppm)?;
    std::fs::write(png, png_bytes).map_err(|e| format!("cannot write {}: {e}", png.display()))?;
    parse_ppm(&ppm)
}

/// Runs `tool` with `input` on stdin; returns its stdout.
fn pipe(tool: &str, args: &[&str], input: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{tool}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or(format!("{tool}: no stdin"))?;
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{tool}: {e}"))?;
    let _ = writer.join();
    if !out.status.success() {
        return Err(format!("{tool} failed ({})", out.status));
    }
    Ok(out.stdout)
}

/// Parses a binary PPM (P6) with maxval 255.
fn parse_ppm(data: &[u8]) -> Result<Image, String> {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 && i < data.len() {
        if data[i] == b'#' {
            while i < data.len() && data[i] != b'\n' {
                i += 1;
            }
        } else if data[i].is_ascii_whitespace() {
            i += 1;
        } else {
            let start = i;
            while i < data.len() && !data[i].is_ascii_whitespace() {
                i += 1;
            }
            fields.push(String::from_utf8_lossy(&data[start..i]).to_string());
        }
    }
    let bad = || "xwdtopnm did not produce a 24-bit PPM".to_string();
    if fields.len() < 4 || fields[0] != "P6" || fields[3] != "255" {
        return Err(bad());
    }
    let width: usize = fields[1].parse().map_err(|_| bad())?;
    let height: usize = fields[2].parse().map_err(|_| bad())?;
    let pixels = data
        .get(i + 1..i + 1 + width * height * 3)
        .ok_or_else(bad)?;
    Ok(Image {
        width,
        height,
        rgb: pixels.to_vec(),
    })
}
