//! `cargo xtask test`: every test, including the real-host tests, in one command that installs
//! what it needs itself. First the Debian packages the tests need (`test/system.rs`, the one
//! list of them): the missing ones are installed with apt-get when run as root; otherwise the
//! command to run is printed and the run stops. Then the steps, in order:
//!
//! a. the debug bundle with `assert_process_allocs` (aborts on any allocation in `process()`),
//!    copied to `target/alloc-check/`;
//! b. the release bundle in `target/bundled/`;
//! c. `cargo test --workspace` (unit, integration and doc tests);
//! d. the CLAP host tests (`clap_host`, `clap_master_bus`, `clap_state`, `--ignored`) against
//!    the release bundle, and d2. `clap_master_bus` again against the alloc-check bundle;
//! e. the VST3 host tests: pytest with pedalboard in a venv at `target/venv`;
//! f. the editor opened for real under Xvfb and photographed (`test/editor.rs`);
//! g. the VST3 on Ardour 7's master bus, headless, against the CLI's renders (`test/ardour.rs`);
//! h. clap-validator on the release `Lacquer.clap`, if `CLAP_VALIDATOR` names its binary
//!    (`test/validator.rs`);
//! i. the fuzz targets (`fuzz/`) built on stable with libFuzzer's instrumentation and run for
//!    45 s each over the committed corpus (`test/fuzz.rs`);
//! j. the demo mix mastered by the release `lacquer` without a hint (the explanation must name
//!    its mud and dull top as likely) and with `--fix mud,dull` (judged against the balanced
//!    mix with the demo's octave-band method: `cargo xtask demo --judge`).
//!
//! A failed build stops the run at once (nothing after it can run); failed tests are counted and
//! the remaining test steps still run, so one run shows every failure. The last stdout line is
//! `N passed, N failed, N skipped`, summing cargo's and pytest's counts; the exit status is
//! non-zero and the error names every step that failed.

mod ardour;
mod counts;
mod editor;
mod fuzz;
pub mod system;
mod validator;

use counts::{Counts, parse_libtest_line, parse_pytest_line};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

/// Where the alloc-check bundle is kept (step b overwrites `target/bundled/`).
const ALLOC_CHECK_DIR: &str = "alloc-check";
/// The pinned Python packages of the VST3 host tests.
const REQUIREMENTS: &str = "crates/plugin/tests/vst3/requirements.txt";
/// Copy of the requirements last installed into the venv: unchanged means nothing to install.
const INSTALLED_STAMP: &str = "lacquer-requirements.txt";

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(arg) = args.first() {
        return Err(format!(
            "`cargo xtask test` takes no arguments (got `{arg}`); run it bare"
        ));
    }
    let started = Instant::now();
    let root = workspace_root()?;
    std::env::set_current_dir(&root)
        .map_err(|e| format!("cannot enter the workspace root {}: {e}", root.display()))?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let bundled = target.join("bundled");
    let alloc_check = target.join(ALLOC_CHECK_DIR);

    banner("system packages");
    system::ensure_installed()?;

    let mut run = Run::default();
    let result = (|| {
        run.build(
            "a. debug bundle with assert_process_allocs",
            &["bundle", "lacquer", "--features", "assert_process_allocs"],
        )?;
        copy_bundles(&bundled, &alloc_check)
            .map_err(|e| run.fail_build("a. debug bundle with assert_process_allocs", e))?;
        run.build("b. release bundle", &["bundle", "lacquer", "--release"])?;

        run.cargo_tests(
            "c. cargo test --workspace",
            &["test", "--workspace", "--no-fail-fast"],
            &[],
        );
        let clap = bundled.join("Lacquer.clap");
        let clap_alloc = alloc_check.join("Lacquer.clap");
        run.cargo_tests(
            "d. CLAP host tests",
            &[
                "test",
                "-p",
                "lacquer",
                "--no-fail-fast",
                "--test",
                "clap_host",
                "--test",
                "clap_master_bus",
                "--test",
                "clap_state",
                "--",
                "--ignored",
            ],
            &[
                ("LACQUER_CLAP", clap.as_path()),
                ("LACQUER_CLAP_ALLOC_CHECK", clap_alloc.as_path()),
            ],
        );
        // The same master-bus scenarios through the assert_process_allocs bundle: it aborts on
        // any allocation inside process(), so every one of them is allocation-free.
        run.cargo_tests(
            "d2. CLAP master-bus tests through the assert_process_allocs bundle",
            &[
                "test",
                "-p",
                "lacquer",
                "--test",
                "clap_master_bus",
                "--",
                "--ignored",
            ],
            &[("LACQUER_CLAP", clap_alloc.as_path())],
        );
        run.pytest(
            "e. VST3 host tests (pytest + pedalboard)",
            &target,
            &bundled.join("Lacquer.vst3"),
            &alloc_check.join("Lacquer.vst3"),
        );
        let step = "f. editor screenshot (standalone under Xvfb)";
        banner(step);
        let outcome = editor::run(&target);
        run.record(step, outcome, None);
        ardour::step(&mut run, &target, &bundled.join("Lacquer.vst3"));
        validator::step(&mut run, &clap);
        fuzz::step(&mut run, &target);
        let step =
            "j. demo mix: likely problems named, --fix mud,dull judged against the balanced mix";
        banner(step);
        let outcome = crate::bench::build_release_lacquer(&root).and_then(|(target, lacquer)| {
            crate::demo::fix_check(&lacquer, &target.join("demo-fix"))
        });
        run.record(
            step,
            outcome.map(|passed| {
                (
                    ExitStatus::default(),
                    Counts {
                        passed,
                        ..Counts::default()
                    },
                )
            }),
            None,
        );
        Ok::<(), String>(())
    })();

    println!();
    for line in &run.report {
        println!("{line}");
    }
    println!(
        "cargo xtask test took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let c = run.counts;
    println!(
        "{} passed, {} failed, {} skipped",
        c.passed, c.failed, c.skipped
    );
    result?;
    if run.failed_steps.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", run.failed_steps.join("; ")))
    }
}

/// Progress and results of one `cargo xtask test`.
#[derive(Default)]
struct Run {
    counts: Counts,
    failed_steps: Vec<String>,
    report: Vec<String>,
}

impl Run {
    /// Records a failed build: counted as one failure so the closing line never reads
    /// "0 failed" for a broken run; the returned message stops the run.
    fn fail_build(&mut self, step: &str, message: String) -> String {
        self.counts.failed += 1;
        self.report.push(format!("{step}: FAILED ({message})"));
        format!("step {step} failed: {message}")
    }

    /// Runs nice-plug-xtask in this process (`bundle ...`).
    fn build(&mut self, step: &str, args: &[&str]) -> Result<(), String> {
        banner(step);
        let args = args.iter().map(|a| a.to_string());
        match nice_plug_xtask::main_with_args("cargo xtask", args) {
            Ok(()) => {
                self.report.push(format!("{step}: ok"));
                Ok(())
            }
            Err(e) => Err(self.fail_build(step, format!("{e:#}"))),
        }
    }

    /// Runs a `cargo test` command, echoing its output and summing libtest's closing lines.
    fn cargo_tests(&mut self, step: &str, args: &[&str], env: &[(&str, &Path)]) {
        banner(step);
        let mut command = Command::new(cargo());
        command.args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        let outcome = run_counting(&mut command, parse_libtest_line);
        self.record(step, outcome, None);
    }

    /// Creates or reuses the venv, installs the pinned packages when they changed, runs pytest.
    fn pytest(&mut self, step: &str, target: &Path, vst3: &Path, vst3_alloc: &Path) {
        banner(step);
        let venv = target.join("venv");
        let python = match prepare_venv(&venv) {
            Ok(python) => python,
            Err(e) => {
                self.counts.failed += 1;
                self.report.push(format!("{step}: FAILED ({e})"));
                self.failed_steps.push(format!("{step}: {e}"));
                return;
            }
        };
        let mut command = Command::new(python);
        command
            .args([
                "-m",
                "pytest",
                "crates/plugin/tests/vst3",
                "-ra",
                "-p",
                "no:cacheprovider",
            ])
            .env("LACQUER_VST3", vst3)
            .env("LACQUER_VST3_ALLOC_CHECK", vst3_alloc)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        let outcome = run_counting(&mut command, parse_pytest_line);
        let no_tests = matches!(&outcome, Ok((status, _)) if status.code() == Some(5));
        self.record(
            step,
            outcome,
            no_tests.then_some("pytest collected no tests (exit code 5)"),
        );
    }

    /// Adds a test step's counts and notes it as failed if its command failed, if any test
    /// failed, or if `extra_failure` says why.
    fn record(
        &mut self,
        step: &str,
        outcome: Result<(ExitStatus, Counts), String>,
        extra_failure: Option<&str>,
    ) {
        let (why, mut counts) = match outcome {
            Err(e) => (Some(e), Counts::default()),
            Ok((status, counts)) if !status.success() => (
                Some(extra_failure.map_or(format!("exited with {status}"), String::from)),
                counts,
            ),
            Ok((_, counts)) if counts.failed > 0 => {
                (Some(format!("{} tests failed", counts.failed)), counts)
            }
            Ok((_, counts)) if counts.passed == 0 => (Some("ran no test".to_string()), counts),
            Ok((_, counts)) => (None, counts),
        };
        if why.is_some() && counts.failed == 0 {
            // A crash or a build error leaves no closing line: still a failure in the total.
            counts.failed = 1;
        }
        self.counts.add(counts);
        let tally = format!(
            "{} passed, {} failed, {} skipped",
            counts.passed, counts.failed, counts.skipped
        );
        match why {
            None => self.report.push(format!("{step}: ok ({tally})")),
            Some(why) => {
                self.report.push(format!("{step}: FAILED ({why}; {tally})"));
                self.failed_steps.push(format!("{step}: {why}"));
            }
        }
    }
}

/// Prints a step header that is easy to find in a CI log.
fn banner(step: &str) {
    println!("\n==== cargo xtask test: {step} ====");
}

/// The cargo that runs this xtask (set by `cargo run`), else the one on PATH.
fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// The workspace root: the directory above `xtask/` holding the root `Cargo.toml`.
fn workspace_root() -> Result<PathBuf, String> {
    let xtask_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask_dir
        .parent()
        .filter(|root| root.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("no workspace Cargo.toml above {}", xtask_dir.display()))
}

/// Runs a command with stdout piped through this process (echoed line by line, each line
/// offered to `parse`) and stderr inherited; returns its status and the summed counts.
fn run_counting(
    command: &mut Command,
    parse: fn(&str) -> Option<Counts>,
) -> Result<(ExitStatus, Counts), String> {
    let shown = format!("{command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("could not run {shown}: {e}"))?;
    let mut counts = Counts::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("reading the output of {shown}: {e}"))?;
            println!("{line}");
            if let Some(c) = parse(&line) {
                counts.add(c);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {shown}: {e}"))?;
    Ok((status, counts))
}

/// Copies `Lacquer.clap` and `Lacquer.vst3` from `from` into a fresh `to`.
fn copy_bundles(from: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        std::fs::remove_dir_all(to).map_err(|e| format!("cannot clear {}: {e}", to.display()))?;
    }
    for name in ["Lacquer.clap", "Lacquer.vst3"] {
        copy_recursively(&from.join(name), &to.join(name))?;
    }
    println!("copied the alloc-check bundles to {}", to.display());
    Ok(())
}

fn copy_recursively(from: &Path, to: &Path) -> Result<(), String> {
    let fail =
        |e: std::io::Error| format!("cannot copy {} to {}: {e}", from.display(), to.display());
    if from.is_dir() {
        std::fs::create_dir_all(to).map_err(fail)?;
        for entry in std::fs::read_dir(from).map_err(fail)? {
            let entry = entry.map_err(fail)?;
            copy_recursively(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(fail)?;
        }
        std::fs::copy(from, to).map_err(fail)?;
    }
    Ok(())
}

/// Makes sure `venv` exists (created with the machine's `python3 -m venv`) and holds the pinned
/// requirements; returns its Python. Installs only when the requirements file changed since
/// the last successful install.
fn prepare_venv(venv: &Path) -> Result<PathBuf, String> {
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        println!("creating the Python venv {}", venv.display());
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .map_err(|e| format!("could not run python3 ({e}): install Python 3 with venv"))?;
        if !status.success() || !python.is_file() {
            return Err(format!(
                "`python3 -m venv {}` failed: install the venv module \
                 (Debian: apt-get install python3-venv) and rerun",
                venv.display()
            ));
        }
    }
    let wanted = std::fs::read_to_string(REQUIREMENTS)
        .map_err(|e| format!("cannot read {REQUIREMENTS}: {e}"))?;
    let stamp = venv.join(INSTALLED_STAMP);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        println!("Python packages already installed ({REQUIREMENTS} unchanged)");
        return Ok(python);
    }
    let status = Command::new(&python)
        .args(["-m", "pip", "install", "--disable-pip-version-check", "-r"])
        .arg(REQUIREMENTS)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("could not run pip: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`pip install -r {REQUIREMENTS}` failed ({status}): check the network access to \
             PyPI and the pinned versions"
        ));
    }
    std::fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(python)
}
