//! Progress of `master`: how far each file has got (decoding, analysing, the assistant,
//! rendering, writing) and, in a batch, how many files are done.
//!
//! Three displays, chosen once per run: bars on a terminal (one per file in flight and a total,
//! drawn by indicatif on stderr), plain lines when stderr is not a terminal (a batch prints a
//! line as each file starts and ends; a single file prints nothing, so a script that masters
//! one file sees the same stderr as before), and nothing at all with `--quiet`. Errors and
//! warnings are printed whatever the display.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

/// The stages of one file's mastering, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Reading and decoding the input.
    Decoding,
    /// Measuring the input.
    Analysing,
    /// The assistant's analysis, decisions and loudness search (or the Drive search for
    /// `--target-lufs` without it).
    Deciding,
    /// Rendering through the chain, writing the master and measuring it as it is written.
    Rendering,
}

impl Phase {
    /// What the display says during the phase.
    pub fn label(self) -> &'static str {
        match self {
            Self::Decoding => "decoding",
            Self::Analysing => "analysing",
            Self::Deciding => "deciding",
            Self::Rendering => "rendering and writing",
        }
    }

    /// Share of a file's work done when the phase starts, per mille: rough shares measured on
    /// one-minute songs with the assistant (decode about 5 %, measuring 10 %, the assistant's
    /// analysis and loudness search most of the rest, the final render and writing the end).
    pub fn start_per_mille(self) -> u64 {
        match self {
            Self::Decoding => 0,
            Self::Analysing => 50,
            Self::Deciding => 150,
            Self::Rendering => 750,
        }
    }
}

/// Where one file's mastering reports the phase it has reached.
pub trait Progress: Sync {
    /// The file's work has reached `phase`.
    fn phase(&self, phase: Phase);
}

/// One file's bar (or nothing).
pub struct FileProgress {
    bar: Option<ProgressBar>,
}

impl Progress for FileProgress {
    fn phase(&self, phase: Phase) {
        if let Some(bar) = &self.bar {
            bar.set_position(phase.start_per_mille());
            bar.set_message(phase.label());
        }
    }
}

impl FileProgress {
    /// Removes the file's bar from the display.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}

/// How a run shows its progress.
enum Display {
    /// indicatif bars on stderr, and the batch's total bar.
    Bars {
        multi: MultiProgress,
        total: Option<ProgressBar>,
    },
    /// One plain line per file started and finished (batches only).
    Lines,
    /// Nothing.
    Quiet,
}

/// The progress display of one `master` run.
pub struct RunProgress {
    display: Display,
    files: usize,
    started: Instant,
}

/// Bar style of one file: its name, phase, elapsed time.
fn file_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix:.bold} [{bar:30}] {msg} ({elapsed})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

/// Bar style of the batch's total.
fn total_style() -> ProgressStyle {
    ProgressStyle::with_template(
        "{prefix:.bold} [{bar:30}] {pos}/{len} files ({elapsed}, {eta} left)",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ")
}

impl RunProgress {
    /// The display for a run of `files` files: bars if stderr is a terminal, plain lines for a
    /// batch on anything else, nothing with `quiet`.
    pub fn new(files: usize, quiet: bool) -> Self {
        let display = if quiet {
            Display::Quiet
        } else if std::io::stderr().is_terminal() {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let total = (files > 1).then(|| {
                let bar = multi.add(ProgressBar::new(files as u64));
                bar.set_style(total_style());
                bar.set_prefix("all");
                bar.enable_steady_tick(Duration::from_millis(250));
                bar
            });
            Display::Bars { multi, total }
        } else if files > 1 {
            Display::Lines
        } else {
            Display::Quiet
        };
        Self {
            display,
            files,
            started: Instant::now(),
        }
    }

    /// A file (the `number`th of the run, from 1) starts.
    pub fn start_file(&self, number: usize, input: &Path) -> FileProgress {
        let name = short_name(input);
        match &self.display {
            Display::Bars { multi, total } => {
                let bar = ProgressBar::new(1000);
                let bar = match total {
                    Some(total) => multi.insert_before(total, bar),
                    None => multi.add(bar),
                };
                bar.set_style(file_style());
                bar.set_prefix(name);
                bar.enable_steady_tick(Duration::from_millis(250));
                FileProgress { bar: Some(bar) }
            }
            Display::Lines => {
                eprintln!("lacquer: [{number}/{}] mastering '{name}'", self.files);
                FileProgress { bar: None }
            }
            Display::Quiet => FileProgress { bar: None },
        }
    }

    /// A file has ended, `ok` or not, after `seconds`; `done` files of the run have ended.
    pub fn end_file(&self, file: FileProgress, input: &Path, ok: bool, seconds: f64, done: usize) {
        file.finish();
        match &self.display {
            Display::Bars {
                total: Some(total), ..
            } => total.inc(1),
            Display::Lines => eprintln!(
                "lacquer: [done {done}/{}] '{}' {} in {seconds:.1} s",
                self.files,
                short_name(input),
                if ok { "mastered" } else { "failed" },
            ),
            _ => {}
        }
    }

    /// Runs `print` (which writes to stdout or stderr) with the bars hidden, so its text is
    /// not torn by a redraw.
    pub fn suspend<T>(&self, print: impl FnOnce() -> T) -> T {
        match &self.display {
            Display::Bars { multi, .. } => multi.suspend(print),
            _ => print(),
        }
    }

    /// Removes the display (the total bar too).
    pub fn finish(&self) {
        if let Display::Bars {
            total: Some(total), ..
        } = &self.display
        {
            total.finish_and_clear();
        }
    }

    /// Seconds since the run started.
    pub fn elapsed_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// The file name of `path` (the whole path if it has none).
fn short_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_advance_in_order_and_stay_under_the_end() {
        let phases = [
            Phase::Decoding,
            Phase::Analysing,
            Phase::Deciding,
            Phase::Rendering,
        ];
        for pair in phases.windows(2) {
            assert!(
                pair[0].start_per_mille() < pair[1].start_per_mille(),
                "{:?} starts after {:?}",
                pair[0],
                pair[1]
            );
        }
        assert!(Phase::Rendering.start_per_mille() < 1000);
        let labels: std::collections::HashSet<&str> = phases.iter().map(|p| p.label()).collect();
        assert_eq!(labels.len(), phases.len(), "every phase has its own label");
    }
}
