//! The Debian packages the build and the tests need, in this one place: `cargo xtask test`
//! installs the missing ones before its first step, `cargo xtask deps` installs them and stops
//! (`.ci/run` calls it first, so `cargo clippy` and the other early steps have them too).
//! As root with apt-get they are installed with `apt-get install`; otherwise the command to run
//! is printed and the task stops.

use std::process::{Command, Stdio};

/// The packages, by what they are for.
const PACKAGES: &[&str] = &[
    // Building: a C compiler and make for crates that build C code, pkg-config for the -sys
    // crates, CA certificates for cargo's and pip's HTTPS downloads.
    "build-essential",
    "pkg-config",
    "ca-certificates",
    // The VST3 host tests (step e): Python 3 with venv; pedalboard and numpy come from PyPI
    // into target/venv.
    "python3",
    "python3-venv",
    // The editor's screenshot and open/close tests (step f): a headless X server, window
    // tools (xwd, xdotool), PNG conversion (netpbm) and an XSETTINGS owner.
    "xvfb",
    "x11-apps",
    "netpbm",
    "xdotool",
    "xsettingsd",
    // The standalone build of step f links against ALSA and JACK.
    "libasound2-dev",
    "libjack-jackd2-dev",
    // The editor's window and OpenGL under Xvfb: EGL/GL with Mesa's software renderer, and the
    // X libraries the windowing code loads at run time.
    "libegl1",
    "libegl-mesa0",
    "libgl1-mesa-dri",
    "libx11-xcb1",
    "libxkbcommon-x11-0",
    "libxcursor1",
    // The Ardour step (g): Ardour 7 with its Lua session tool, export tool, dummy backend and
    // VST3 scanner (about 190 packages, 570 MB, 1.5 min to install).
    "ardour",
    // GNU parallel: the CLI test that runs README's recipe for spreading a catalogue over
    // several machines (here on this one).
    "parallel",
    // The CLI test that opens the HTML report in a real browser (headless) and checks every
    // plot in its screenshot.
    "chromium",
];

const USAGE: &str = "usage: cargo xtask deps
  installs the Debian packages the build and `cargo xtask test` need (as root, with apt-get);
  otherwise prints the command to run";

/// `cargo xtask deps`: installs the missing packages and stops.
pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        None => ensure_installed(),
        Some("--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!(
            "`cargo xtask deps` takes no arguments (got `{other}`)"
        )),
    }
}

/// Installs whichever of [`PACKAGES`] are missing (as root, with apt-get); otherwise fails with
/// the command the user should run. Does nothing when all are installed.
pub fn ensure_installed() -> Result<(), String> {
    let missing = missing()?;
    if missing.is_empty() {
        println!("system packages: all {} installed", PACKAGES.len());
        return Ok(());
    }
    let list = missing.join(" ");
    let command = format!("sudo apt-get install --no-install-recommends {list}");
    if !has_apt_get() {
        return Err(format!(
            "missing system packages: {list}; this needs Debian's apt: run `{command}` \
             (or install their equivalents) and rerun"
        ));
    }
    if !is_root() {
        return Err(format!(
            "missing system packages: {list}; run `{command}` and rerun"
        ));
    }
    println!("installing system packages: {list}");
    apt_get(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().map(String::as_str));
    apt_get(&install)?;
    let still = missing_of(&missing)?;
    if !still.is_empty() {
        return Err(format!(
            "apt-get install finished but these are still not installed: {}",
            still.join(" ")
        ));
    }
    println!("installed: {list}");
    Ok(())
}

/// The packages of [`PACKAGES`] that are not installed.
fn missing() -> Result<Vec<String>, String> {
    let all: Vec<String> = PACKAGES.iter().map(|p| p.to_string()).collect();
    missing_of(&all)
}

/// Those of `packages` that `dpkg-query` does not report as installed.
fn missing_of(packages: &[String]) -> Result<Vec<String>, String> {
    let mut missing = Vec::new();
    for package in packages {
        let output = Command::new("dpkg-query")
            .args(["-W", "-f=${Status}", package])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        match output {
            Ok(output) => {
                if String::from_utf8_lossy(&output.stdout).trim() != "install ok installed" {
                    missing.push(package.clone());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "dpkg-query not found: the tests need these Debian packages (or their \
                     equivalents): {}",
                    PACKAGES.join(" ")
                ));
            }
            Err(e) => return Err(format!("cannot run dpkg-query: {e}")),
        }
    }
    Ok(missing)
}

fn has_apt_get() -> bool {
    Command::new("apt-get")
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether this process runs as root (`id -u` prints 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Runs apt-get non-interactively with stdin closed.
fn apt_get(args: &[&str]) -> Result<(), String> {
    let status = Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run apt-get: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`apt-get {}` failed ({status})", args.join(" ")))
    }
}
