//! Step h: clap-validator (free-audio's CLAP conformance suite) on the release
//! `Lacquer.clap`. The binary is taken from the `CLAP_VALIDATOR` environment variable (it is
//! not a crate this workspace depends on: build it from its upstream source,
//! <https://github.com/free-audio/clap-validator>, with `cargo build --release`, and point
//! `CLAP_VALIDATOR` at `target/release/clap-validator`); without it the step is skipped and
//! says so. The validator's closing line (`44 tests run, 34 passed, 0 failed, 0 warnings,
//! 10 skipped`) gives the counts: passed and skipped tests count as such, failed tests and
//! tests that ended with a warning count as failed, and any of them fails the step.
//!
//! One check is a timing measurement rather than a property of the plugin:
//! `process-audio-denormals` warns when 50 blocks of denormal input take over twice as long as
//! 50 blocks of noise, a few milliseconds each, which a busy machine (a parallel build) can
//! produce on its own. A warning from it alone is rerun up to [`TIMING_RERUNS`] times by
//! itself and counts only if every rerun warns too; the report says when a rerun was needed.

use super::counts::Counts;
use super::{Run, banner};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const STEP: &str = "h. clap-validator on Lacquer.clap";
/// The environment variable naming the clap-validator binary.
const ENV: &str = "CLAP_VALIDATOR";
/// Tests whose only possible warning is a timing ratio, rerun alone before a warning counts.
const TIMING_TESTS: &[&str] = &["process-audio-denormals"];
/// How often a timing test that warned is rerun by itself.
const TIMING_RERUNS: usize = 2;

/// Runs the step and records it in `run`.
pub(super) fn step(run: &mut Run, clap: &Path) {
    banner(STEP);
    let Some(validator) = std::env::var_os(ENV).filter(|v| !v.is_empty()) else {
        let why = format!(
            "{ENV} is not set: build clap-validator from its source \
             (https://github.com/free-audio/clap-validator, `cargo build --release`) and set \
             {ENV}=/path/to/target/release/clap-validator"
        );
        println!("SKIP: {why}");
        run.counts.add(Counts {
            skipped: 1,
            ..Counts::default()
        });
        run.report.push(format!("{STEP}: skipped ({why})"));
        return;
    };
    let validator = Path::new(&validator);
    let outcome = validate(validator, clap, None).and_then(|mut summary| {
        let mut note = None;
        if summary.warnings > 0 && summary.warned.iter().all(|t| is_timing_test(t)) {
            let rerun = summary.warned.clone();
            for test in rerun {
                let mut still_warns = true;
                for attempt in 1..=TIMING_RERUNS {
                    println!("{test} warned (a timing check): rerun {attempt}/{TIMING_RERUNS}");
                    let again = validate(validator, clap, Some(&test))?;
                    if again.failed == 0 && again.warnings == 0 && again.passed == 1 {
                        still_warns = false;
                        break;
                    }
                }
                if !still_warns {
                    summary.warnings -= 1;
                    summary.passed += 1;
                    summary.warned.retain(|t| *t != test);
                    note = Some(format!("{test} warned once, passed on its own rerun"));
                }
            }
        }
        Ok((summary, note))
    });
    let (summary, note) = match outcome {
        Ok(found) => found,
        Err(why) => {
            run.counts.failed += 1;
            run.report.push(format!("{STEP}: FAILED ({why})"));
            run.failed_steps.push(format!("{STEP}: {why}"));
            return;
        }
    };
    run.counts.add(Counts {
        passed: summary.passed,
        failed: summary.failed + summary.warnings,
        skipped: summary.skipped,
    });
    let tally = format!(
        "{} passed, {} failed, {} warnings, {} skipped",
        summary.passed, summary.failed, summary.warnings, summary.skipped
    );
    let tally = match note {
        Some(note) => format!("{tally}; {note}"),
        None => tally,
    };
    if summary.failed + summary.warnings == 0 && summary.passed > 0 {
        run.report.push(format!("{STEP}: ok ({tally})"));
    } else {
        let why = if summary.passed == 0 {
            "ran no test".to_string()
        } else {
            let mut named = summary.failed_tests.clone();
            named.extend(summary.warned.iter().map(|t| format!("{t} (warning)")));
            let mut why = format!("not clean: {}", named.join(", "));
            if !summary.details.is_empty() {
                why.push_str(&format!(" [{}]", summary.details.join(" | ")));
            }
            why
        };
        run.report.push(format!("{STEP}: FAILED ({why}; {tally})"));
        run.failed_steps.push(format!("{STEP}: {why}"));
    }
}

fn is_timing_test(test: &str) -> bool {
    TIMING_TESTS.contains(&test)
}

/// The validator's counts for one run, and the tests that failed or warned.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Summary {
    passed: u64,
    failed: u64,
    warnings: u64,
    skipped: u64,
    failed_tests: Vec<String>,
    warned: Vec<String>,
    /// The validator's error lines and panic messages (the first few), so the end-of-run
    /// report says why without the whole log.
    details: Vec<String>,
}

/// At most this many detail lines go into the report.
const MAX_DETAILS: usize = 6;

/// Runs `validator validate` on `clap` (only the test `only`, if given), echoing its output,
/// and reads the closing line. An error if it cannot run or prints no closing line.
fn validate(validator: &Path, clap: &Path, only: Option<&str>) -> Result<Summary, String> {
    let mut command = Command::new(validator);
    command.arg("validate");
    if let Some(test) = only {
        command.arg("--include").arg(format!("^{test}$"));
    }
    command
        .arg(clap)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = format!("{command:?}");
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not run {shown}: {e} (is {ENV} right?)"))?;
    let mut summary = None;
    let mut current_test = None;
    let mut failed_tests = Vec::new();
    let mut warned = Vec::new();
    // The validator logs (and the plugin panics) on stderr: echoed, and the error lines kept.
    let stderr_reader = child.stderr.take().map(|stderr| {
        std::thread::spawn(move || {
            let mut details = Vec::new();
            let mut after_panic = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                let plain = strip_ansi(&line);
                let is_detail =
                    after_panic || plain.contains(" ERROR ") || plain.contains("panicked at");
                after_panic = plain.contains("panicked at");
                if is_detail && details.len() < MAX_DETAILS {
                    details.push(plain.trim().to_string());
                }
            }
            details
        })
    });
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.map_err(|e| format!("reading the output of {shown}: {e}"))?;
            println!("{line}");
            let plain = strip_ansi(&line);
            if let Some(name) = test_name(&plain) {
                current_test = Some(name);
            } else if let Some(result) = test_result(&plain)
                && let Some(name) = current_test.take()
            {
                match result {
                    "FAILED" | "CRASHED" => failed_tests.push(name),
                    "WARNING" => warned.push(name),
                    _ => {}
                }
            }
            if let Some(s) = parse_summary(&plain) {
                summary = Some(s);
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for {shown}: {e}"))?;
    let mut summary = summary.ok_or_else(|| {
        format!("{shown} printed no closing `N tests run, ...` line (exited with {status})")
    })?;
    summary.failed_tests = failed_tests;
    summary.warned = warned;
    summary.details = stderr_reader
        .and_then(|reader| reader.join().ok())
        .unwrap_or_default();
    if !status.success() && summary.failed == 0 {
        return Err(format!(
            "{shown} exited with {status} but counted no failure"
        ));
    }
    Ok(summary)
}

/// Removes terminal colour codes (`ESC [ ... letter`): the validator colours its output even
/// into a pipe.
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A test's heading in the validator's tree, `│ ┌─ param-set-events`: its name.
fn test_name(plain: &str) -> Option<String> {
    let (_, rest) = plain.split_once("┌─ ")?;
    let name = rest.trim();
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    is_name.then(|| name.to_string())
}

/// A test's result line in the tree, `│ └── FAILED ─ 6ms`: the result word.
fn test_result(plain: &str) -> Option<&str> {
    let (_, rest) = plain.split_once("└── ")?;
    let word = rest.split_whitespace().next()?;
    ["PASSED", "FAILED", "CRASHED", "WARNING", "SKIPPED"]
        .contains(&word)
        .then_some(word)
}

/// Counts from the validator's closing line, `44 tests run, 29 passed, 4 failed, 1 warnings,
/// 10 skipped` (`1 test run`, `1 warning` in the singular); `None` for any other line.
fn parse_summary(plain: &str) -> Option<Summary> {
    let mut parts = plain.trim().split(", ");
    let (_, run) = parts.next()?.split_once(' ')?;
    if run != "tests run" && run != "test run" {
        return None;
    }
    let mut summary = Summary::default();
    for part in parts {
        let (n, word) = part.trim().split_once(' ')?;
        let n: u64 = n.parse().ok()?;
        match word {
            "passed" => summary.passed += n,
            "failed" => summary.failed += n,
            "warning" | "warnings" => summary.warnings += n,
            "skipped" => summary.skipped += n,
            _ => return None,
        }
    }
    Some(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_line_with_colours() {
        let line = "44 tests run, \u{1b}[1;32m29\u{1b}[0m passed, \u{1b}[1;31m4\u{1b}[0m failed, \
                    \u{1b}[1;33m1\u{1b}[0m warnings, \u{1b}[1m10\u{1b}[0m skipped";
        let s = parse_summary(&strip_ansi(line)).unwrap();
        assert_eq!((s.passed, s.failed, s.warnings, s.skipped), (29, 4, 1, 10));
        let one = parse_summary("1 test run, 1 passed, 0 failed, 0 warnings, 0 skipped").unwrap();
        assert_eq!((one.passed, one.failed, one.warnings), (1, 0, 0));
    }

    #[test]
    fn other_lines_are_not_a_summary() {
        assert_eq!(parse_summary("└── 37 tests"), None);
        assert_eq!(parse_summary("2 tests run, 1 passed, some failed"), None);
        assert_eq!(parse_summary(""), None);
    }

    #[test]
    fn tree_lines_name_tests_and_results() {
        let heading = "\u{1b}[2m│\u{1b}[0m \u{1b}[2m┌\u{1b}[0m\u{1b}[2m─\u{1b}[0m \
                       \u{1b}[1mparam-set-events\u{1b}[0m";
        assert_eq!(
            test_name(&strip_ansi(heading)).as_deref(),
            Some("param-set-events")
        );
        assert_eq!(test_name("│ │ ┌─ "), None);
        let result = "\u{1b}[2m│\u{1b}[0m \u{1b}[2m└\u{1b}[0m\u{1b}[2m─\u{1b}[0m\u{1b}[2m─\u{1b}[0m \
                      \u{1b}[31mFAILED\u{1b}[0m \u{1b}[2m─\u{1b}[0m \u{1b}[2m6ms\u{1b}[0m";
        assert_eq!(test_result(&strip_ansi(result)), Some("FAILED"));
        assert_eq!(test_result("│ │ └── "), None);
    }
}
