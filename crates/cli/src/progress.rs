//! Progress of `master`: how far each file has got (decoding, analysing, the assistant,
//! rendering, writing) and, in a batch, how many files are done.
//!
//! Three displays, chosen once per run: bars on a terminal (one per file in flight and a total,
//! drawn by indicatif on stderr), plain lines when stderr is not a terminal (a batch prints a
//! line as each file starts and ends; a single file prints nothing, so a script that masters
//! one file sees the same stderr as before), and nothing at all with `--quiet`. Errors and
//! warnings are printed whatever the display.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use lacquer_core::render::{BlockSink, BlockSource};
use std::cell::Cell;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
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

    /// Share of a file's work done when the phase ends, per mille (the next phase's start).
    pub fn end_per_mille(self) -> u64 {
        match self {
            Self::Decoding => Self::Analysing.start_per_mille(),
            Self::Analysing => Self::Deciding.start_per_mille(),
            Self::Deciding => Self::Rendering.start_per_mille(),
            Self::Rendering => 1000,
        }
    }

    /// All phases, in order.
    const ALL: [Self; 4] = [
        Self::Decoding,
        Self::Analysing,
        Self::Deciding,
        Self::Rendering,
    ];

    /// Share of a file's work done when the phase starts, per mille: rough shares measured on
    /// a 5-minute song with the assistant and the codec check (decoding 3 %, measuring 17 %,
    /// the loudness search's trial renders 25 %, the final render with the meters and the
    /// codec's encoders beside it the rest).
    pub fn start_per_mille(self) -> u64 {
        match self {
            Self::Decoding => 0,
            Self::Analysing => 30,
            Self::Deciding => 200,
            Self::Rendering => 450,
        }
    }
}

/// Where one file's mastering reports the phase it has reached.
pub trait Progress: Sync {
    /// The file's work has reached `phase`.
    fn phase(&self, phase: Phase);

    /// Within the current phase, pass `pass` (from 1) over the input has got through
    /// `fraction` (0..=1) of it: a long file's bar moves during each pass (the measurement,
    /// every trial render of the loudness search, the final render).
    fn pass(&self, _pass: usize, _fraction: f32) {}
}

/// One file's bar (or nothing).
pub struct FileProgress {
    bar: Option<ProgressBar>,
    /// The current phase's index in [`Phase::ALL`].
    phase: AtomicUsize,
}

impl Progress for FileProgress {
    fn phase(&self, phase: Phase) {
        let index = Phase::ALL.iter().position(|&p| p == phase).unwrap_or(0);
        self.phase.store(index, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.set_position(phase.start_per_mille());
            bar.set_message(phase.label());
        }
    }

    fn pass(&self, pass: usize, fraction: f32) {
        let Some(bar) = &self.bar else {
            return;
        };
        let phase = Phase::ALL[self.phase.load(Ordering::Relaxed).min(Phase::ALL.len() - 1)];
        let (start, end) = (phase.start_per_mille(), phase.end_per_mille());
        let fraction = fraction.clamp(0.0, 1.0);
        // The bar never moves back: a second trial pass shows in the message until it
        // overtakes the first.
        let position = start + ((end - start) as f32 * fraction) as u64;
        if position > bar.position() {
            bar.set_position(position);
        }
        let percent = (fraction * 100.0) as u32;
        bar.set_message(if pass > 1 {
            format!("{} (pass {pass}) {percent} %", phase.label())
        } else {
            format!("{} {percent} %", phase.label())
        });
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
                FileProgress {
                    bar: Some(bar),
                    phase: AtomicUsize::new(0),
                }
            }
            Display::Lines => {
                eprintln!("lacquer: [{number}/{}] mastering '{name}'", self.files);
                FileProgress {
                    bar: None,
                    phase: AtomicUsize::new(0),
                }
            }
            Display::Quiet => FileProgress {
                bar: None,
                phase: AtomicUsize::new(0),
            },
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

/// A [`BlockSource`] that tells a [`Progress`] how far each pass over it has got.
pub struct ProgressSource<'a> {
    inner: &'a dyn BlockSource,
    progress: &'a dyn Progress,
    passes: Cell<usize>,
}

impl<'a> ProgressSource<'a> {
    /// `inner`, reporting to `progress`.
    pub fn new(inner: &'a dyn BlockSource, progress: &'a dyn Progress) -> Self {
        Self {
            inner,
            progress,
            passes: Cell::new(0),
        }
    }

    /// A new phase starts: its passes count from 1 again.
    pub fn phase(&self, phase: Phase) {
        self.passes.set(0);
        self.progress.phase(phase);
    }
}

impl BlockSource for ProgressSource<'_> {
    fn num_channels(&self) -> usize {
        self.inner.num_channels()
    }

    fn sample_rate_hz(&self) -> u32 {
        self.inner.sample_rate_hz()
    }

    fn num_frames(&self) -> usize {
        self.inner.num_frames()
    }

    fn for_each_block(&self, sink: &mut BlockSink<'_>) -> Result<(), String> {
        let pass = self.passes.get() + 1;
        self.passes.set(pass);
        let total = self.inner.num_frames().max(1);
        // About a hundred reports a pass, however long the file.
        let step = (total / 100).max(1);
        let (mut done, mut next) = (0usize, step);
        self.inner.for_each_block(&mut |block| {
            done += block.first().map_or(0, |c| c.len());
            if done >= next {
                self.progress.pass(pass, done as f32 / total as f32);
                next = done + step;
            }
            sink(block)
        })
    }
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
        assert_eq!(phases, Phase::ALL);
        for p in phases {
            assert!(p.start_per_mille() < p.end_per_mille(), "{p:?}");
        }
        let labels: std::collections::HashSet<&str> = phases.iter().map(|p| p.label()).collect();
        assert_eq!(labels.len(), phases.len(), "every phase has its own label");
    }

    /// Records what it is told.
    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<(usize, f32)>>);

    impl Progress for Recorder {
        fn phase(&self, _phase: Phase) {}
        fn pass(&self, pass: usize, fraction: f32) {
            self.0.lock().unwrap().push((pass, fraction));
        }
    }

    #[test]
    fn every_pass_reports_its_progress_up_to_the_end() {
        let audio = vec![vec![0.1f32; 1_000_003]; 2];
        let slices: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
        let inner = lacquer_core::render::SliceSource::new(&slices, 48_000);
        let recorder = Recorder::default();
        let source = ProgressSource::new(&inner, &recorder);
        let mut frames = 0;
        for _ in 0..2 {
            source
                .for_each_block(&mut |b| {
                    frames += b[0].len();
                    Ok(())
                })
                .unwrap();
        }
        assert_eq!(frames, 2 * 1_000_003, "the blocks pass through whole");
        let seen = recorder.0.lock().unwrap().clone();
        for pass in [1, 2] {
            let fractions: Vec<f32> = seen
                .iter()
                .filter(|(p, _)| *p == pass)
                .map(|(_, f)| *f)
                .collect();
            assert!(fractions.len() >= 10, "pass {pass}: {fractions:?}");
            assert!(fractions.windows(2).all(|w| w[0] < w[1]), "{fractions:?}");
            assert_eq!(fractions.last().copied(), Some(1.0));
        }
        source.phase(Phase::Rendering);
        source.for_each_block(&mut |_| Ok(())).unwrap();
        assert_eq!(recorder.0.lock().unwrap().last().map(|r| r.0), Some(1));
    }
}
