//! The `lacquer` command-line tool: `lacquer analyze FILE [--json]`, `lacquer master INPUT... -o
//! OUTPUT [...]` (one file, or a batch into a folder), and with no arguments a demo render. Argument parsing, dispatch, and the
//! error policy: every failure ends as exactly one line on stderr starting `lacquer: ` and a
//! non-zero exit; a panic hook turns even a bug into one such line.

mod analyze;
mod args;
mod codec;
mod demo;
mod derive;
mod encode;
mod eval;
mod master;
mod output;
mod progress;
mod source;
mod table;
mod target;
mod train;

use args::{Cli, Command};
use clap::Parser;
/// The decoder, shared with the plugin (crates/decode); its errors become [`CliError`]s.
use lacquer_decode as decode;
use std::fmt;
use std::io::Write;

/// Exit code for a failed command (clap uses 2 for usage errors).
pub const EXIT_FAILURE: i32 = 1;

/// Exit code after a panic, which the hook has already reported.
pub const EXIT_PANIC: i32 = 101;

/// An error for the user: one line saying what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    message: String,
}

impl CliError {
    /// An error with this message (newlines are folded so it stays one line).
    pub fn new(message: impl Into<String>) -> Self {
        let message: String = message.into();
        Self {
            message: one_line(&message),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

impl From<decode::DecodeError> for CliError {
    fn from(e: decode::DecodeError) -> Self {
        Self::new(e.message())
    }
}

/// Folds any line breaks (e.g. from a library's error text) into spaces.
fn one_line(text: &str) -> String {
    text.split(['\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes to stdout, turning a closed pipe or full disk into an error instead of a panic.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::new(format!("cannot write to standard output: {e}")))
}

/// Replaces Rust's multi-line panic report with one line, as a safety net: a user never sees
/// a backtrace hint, only what happened and that it is a bug.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        if decode::panic_is_a_decoders() {
            // The decoder's caller turns it into an error naming the damaged file.
            return;
        }
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "lacquer: internal error ({}{place}); this is a bug, please report it",
            one_line(&what)
        );
    }));
}

/// Parses the command line, runs the command and returns the process exit code.
pub fn run() -> i32 {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with exit 0; usage errors to stderr with 2.
            let _ = e.print();
            return e.exit_code();
        }
    };
    output::install_interrupt_cleanup();
    let result = std::panic::catch_unwind(|| match &cli.command {
        None | Some(Command::Demo) => demo::run(),
        Some(Command::Analyze(a)) => analyze::run(a),
        Some(Command::Master(m)) => master::run(m),
        Some(Command::EvalCorpus(e)) => eval::run_eval(e),
        Some(Command::EvalResonance(e)) => eval::resonance::run(e),
        Some(Command::DeriveTargets(d)) => derive::run(d),
        Some(Command::TrainAssistant(t)) => train::run(t),
    });
    match result {
        Ok(Ok(())) => 0,
        Ok(Err(e)) => {
            eprintln!("lacquer: {e}");
            EXIT_FAILURE
        }
        Err(_) => EXIT_PANIC,
    }
}

fn main() {
    std::process::exit(run());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_always_one_line() {
        let e = CliError::new("first\nsecond\r\n  third  ");
        assert_eq!(e.to_string(), "first second third");
    }
}
