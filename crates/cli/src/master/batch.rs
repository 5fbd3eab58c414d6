//! Batch mastering: `lacquer master A.wav B.flac SONGS/ -o MASTERS/`.
//!
//! The inputs (files, and the audio files of folders) are planned first, all at once: each
//! gets its output (and report) in the output folder under its own name, no two outputs may
//! be the same file, no output may be any input or reference, and existing files need
//! `--force`; anything wrong stops the run before a file is decoded. The files are then
//! mastered in parallel (rayon, one file per core by default, taken in the order given); a
//! file that fails is reported on its own line and the others go on. The run ends with a
//! summary table and a non-zero exit if any file failed. Each master is written atomically by
//! the single-file path, so a failed file leaves nothing behind.

use super::super::args::MasterArgs;
use super::super::output::{OutputFormat, ReadFile, WriteFile, check_outputs, master_output};
use super::super::progress::{Progress, RunProgress};
use super::super::{CliError, print_stdout};
use super::{AssistOptions, MasterJob, MasterReport, master_with, print_report};
use rayon::prelude::*;
use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Extensions of the files a folder input contributes (case-insensitive): what the decoder
/// reads.
const AUDIO_EXTENSIONS: [&str; 9] = [
    "wav", "wave", "flac", "mp3", "ogg", "oga", "aif", "aiff", "aifc",
];

/// What one `master` command does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// One file, written where `-o` says.
    Single(PlannedFile),
    /// Several files into a folder.
    Batch {
        /// The files.
        files: Vec<PlannedFile>,
        /// With `--album` and reports: the album's page beside the tracks' reports.
        album_page: Option<PathBuf>,
    },
}

/// The album's page, beside the tracks' HTML reports.
pub const ALBUM_PAGE: &str = "album.html";

/// One input and where its master (and report) go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedFile {
    /// File to read.
    pub input: PathBuf,
    /// Master to write.
    pub output: PathBuf,
    /// Reports to write, if asked (JSON, and HTML for a `.html` name).
    pub report: Vec<PathBuf>,
}

fn is_audio_file(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    let audio = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| AUDIO_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(e)));
    !hidden && audio && path.is_file()
}

/// The files an input stands for: itself, or a folder's audio files sorted by name.
fn expand(input: &Path) -> Result<Vec<PathBuf>, CliError> {
    if !input.is_dir() {
        return Ok(vec![input.to_path_buf()]);
    }
    let entries = fs::read_dir(input)
        .map_err(|e| CliError::new(format!("cannot list the folder '{}': {e}", input.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_audio_file(p))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::new(format!(
            "the folder '{}' has no audio files (.wav, .flac, .mp3, .ogg, .aiff)",
            input.display()
        )));
    }
    Ok(files)
}

/// Whether a path that does not exist yet names a file of one of these extensions (rather
/// than a folder to create).
fn names_a_file(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

/// The output folder `-o` (or `--report`) names for a batch, created if missing; `None` if
/// it names a file. `created` collects the folders made, for removal if the plan fails.
fn folder(
    path: &Path,
    file_extensions: &[&str],
    created: &mut Vec<PathBuf>,
) -> Option<Result<PathBuf, CliError>> {
    if path.is_dir() {
        return Some(Ok(path.to_path_buf()));
    }
    if path.exists() || names_a_file(path, file_extensions) {
        return None;
    }
    Some(
        fs::create_dir_all(path)
            .map(|()| {
                created.push(path.to_path_buf());
                path.to_path_buf()
            })
            .map_err(|e| {
                CliError::new(format!(
                    "cannot create the folder '{}': {e}",
                    path.display()
                ))
            }),
    )
}

/// The input's name with the output format's extension.
fn named_in(folder: &Path, input: &Path, extension: &str) -> PathBuf {
    let stem = input
        .file_stem()
        .map_or_else(|| "master".into(), |s| s.to_os_string());
    let mut name = stem;
    name.push(".");
    name.push(extension);
    folder.join(name)
}

/// Plans the command: which files, written where. Checks, before anything is decoded, every
/// output against every input, reference and other output, and existing files against
/// `--force` (the single-file path checks its own files again when it runs).
pub fn plan(args: &MasterArgs) -> Result<Plan, CliError> {
    let mut created = Vec::new();
    let result = plan_creating(args, &mut created);
    if result.is_err() {
        // Folders made for a run that is refused are removed again (only if still empty).
        for dir in created.iter().rev() {
            let _ = fs::remove_dir(dir);
        }
    }
    result
}

fn plan_creating(args: &MasterArgs, created: &mut Vec<PathBuf>) -> Result<Plan, CliError> {
    let out = &args.output_path;
    let single_file_input = args.inputs.len() == 1 && !args.inputs[0].is_dir();
    // One file is written to the file -o names (an existing folder there is refused by the
    // output checks, as a likely slip); a folder of files, or several, go into a folder.
    if single_file_input {
        if let Some(format) = args.format
            && !names_a_file(out, &[format.extension()])
        {
            return Err(CliError::new(format!(
                "--format {} disagrees with the output '{}': the output file's extension sets \
                 its format; drop --format or rename the output",
                format.extension(),
                out.display()
            )));
        }
        return Ok(Plan::Single(PlannedFile {
            input: args.inputs[0].clone(),
            output: out.clone(),
            report: args.report.clone(),
        }));
    }
    let mut inputs = Vec::new();
    for input in &args.inputs {
        inputs.extend(expand(input)?);
    }
    let Some(out_dir) = folder(out, &["wav", "wave", "flac"], created) else {
        return Err(CliError::new(format!(
            "'{}' is a file, but several inputs (or a folder) need -o to name a folder for \
             the masters",
            out.display()
        )));
    };
    let out_dir = out_dir?;
    let report_dir = match args.report.as_slice() {
        [] => None,
        [path] => match folder(path, &["json", "html", "htm"], created) {
            Some(dir) => Some(dir?),
            None => {
                return Err(CliError::new(format!(
                    "'{}' is a file, but with several inputs (or a folder) --report names a \
                     folder for one NAME.json per master",
                    path.display()
                )));
            }
        },
        _ => {
            return Err(CliError::new(
                "with several inputs (or a folder), give --report once, naming a folder",
            ));
        }
    };
    let extension = args.format.unwrap_or(OutputFormat::Wav).extension();
    let files: Vec<PlannedFile> = inputs
        .iter()
        .map(|input| PlannedFile {
            input: input.clone(),
            output: named_in(&out_dir, input, extension),
            report: report_dir.as_ref().map_or_else(Vec::new, |dir| {
                vec![named_in(dir, input, "json"), named_in(dir, input, "html")]
            }),
        })
        .collect();
    let album_page = report_dir
        .filter(|_| args.album)
        .map(|dir| dir.join(ALBUM_PAGE));
    check_plan(&files, album_page.as_deref(), &args.references, args.force)?;
    Ok(Plan::Batch { files, album_page })
}

/// Every output (the album's page too) against every input and reference, outputs against each
/// other (two inputs with the same name would write the same master), existing files against
/// `force`.
fn check_plan(
    files: &[PlannedFile],
    album_page: Option<&Path>,
    references: &[PathBuf],
    force: bool,
) -> Result<(), CliError> {
    for (i, a) in files.iter().enumerate() {
        if let Some(b) = files[i + 1..].iter().find(|b| b.output == a.output) {
            return Err(CliError::new(format!(
                "'{}' and '{}' would both be written to '{}'; rename one, or master them into \
                 different folders",
                a.input.display(),
                b.input.display(),
                a.output.display()
            )));
        }
    }
    let mut reads: Vec<ReadFile<'_>> = files
        .iter()
        .map(|f| ReadFile {
            path: &f.input,
            role: "input file",
        })
        .collect();
    reads.extend(references.iter().map(|path| ReadFile {
        path,
        role: "reference",
    }));
    let mut writes: Vec<WriteFile<'_>> = files.iter().map(|f| master_output(&f.output)).collect();
    writes.extend(
        files
            .iter()
            .flat_map(|f| f.report.iter())
            .map(|path| WriteFile {
                path,
                role: "the report ",
                advice: "choose another --report folder",
                wav: false,
            }),
    );
    writes.extend(album_page.map(|path| WriteFile {
        path,
        role: "the album's report ",
        advice: "rename the track called 'album', or choose another --report folder",
        wav: false,
    }));
    check_outputs(&reads, &writes, force)
}

/// How one file of a batch ended.
pub struct Outcome {
    /// The file's report, or why it failed.
    pub report: Result<MasterReport, CliError>,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Makes a file's job (by its index in the plan).
pub type MakeJob<'a> = dyn Fn(usize, &PlannedFile) -> MasterJob + Sync + 'a;

/// Makes a file's assistant options (by its index in the plan).
pub type MakeOptions<'a> = dyn Fn(usize, &PlannedFile) -> AssistOptions + Sync + 'a;

/// Masters the planned files in parallel on `threads` threads, printing each file's tables as
/// it ends and a summary at the end.
pub fn run(
    files: &[PlannedFile],
    make_job: &MakeJob<'_>,
    options: &AssistOptions,
    threads: usize,
    quiet: bool,
) -> Result<(), CliError> {
    let progress = RunProgress::new(files.len(), quiet);
    let make_options = |_: usize, file: &PlannedFile| AssistOptions {
        report: file.report.clone(),
        ..options.clone()
    };
    let outcomes = master_files(files, make_job, &make_options, threads, &progress, true)?;
    progress.finish();
    finish(files, &outcomes, progress.elapsed_seconds(), threads)
}

/// Prints the summary table and turns any failure into the run's error.
pub fn finish(
    files: &[PlannedFile],
    outcomes: &[Option<Outcome>],
    seconds: f64,
    threads: usize,
) -> Result<(), CliError> {
    print_stdout(&summary_table(files, outcomes, seconds, threads))?;
    let failed: Vec<String> = files
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| !matches!(o, Some(Outcome { report: Ok(_), .. })))
        .map(|(f, _)| format!("'{}'", f.input.display()))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::new(format!(
            "{} of {} files failed: {}",
            failed.len(),
            files.len(),
            failed.join(", ")
        )))
    }
}

/// Masters the files in parallel (in the order given, one per thread at a time); with
/// `print_each`, prints each file's tables (or error) as it ends.
pub fn master_files(
    files: &[PlannedFile],
    make_job: &MakeJob<'_>,
    make_options: &MakeOptions<'_>,
    threads: usize,
    progress: &RunProgress,
    print_each: bool,
) -> Result<Vec<Option<Outcome>>, CliError> {
    let pool = worker_pool(threads)?;
    let done = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<Outcome>>> =
        Mutex::new((0..files.len()).map(|_| None).collect());
    pool.install(|| {
        // par_bridge hands the files to the threads in the order given, one at a time.
        files.iter().enumerate().par_bridge().for_each(|(i, file)| {
            let job = make_job(i, file);
            let options = make_options(i, file);
            let outcome = master_one(file, i, &job, &options, progress, &done, print_each);
            if let Ok(mut all) = outcomes.lock() {
                all[i] = Some(outcome);
            }
        });
    });
    Ok(outcomes.into_inner().unwrap_or_else(|e| e.into_inner()))
}

/// A pool of `threads` worker threads for the files of a batch or an album.
pub fn worker_pool(threads: usize) -> Result<rayon::ThreadPool, CliError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| CliError::new(format!("cannot start {threads} worker threads: {e}")))
}

/// Prints a file's error on stderr, naming the file unless the error does.
pub fn print_failure(input: &Path, e: &CliError) {
    let shown = input.display().to_string();
    if e.to_string().contains(&shown) {
        eprintln!("lacquer: {e}");
    } else {
        eprintln!("lacquer: '{shown}': {e}");
    }
}

/// Masters one file of a batch: a failure (or a bug's panic) is this file's outcome only.
fn master_one(
    file: &PlannedFile,
    index: usize,
    job: &MasterJob,
    options: &AssistOptions,
    progress: &RunProgress,
    done: &AtomicUsize,
    print_each: bool,
) -> Outcome {
    let started = Instant::now();
    let bar = progress.start_file(index + 1, &file.input);
    let bar_ref: &dyn Progress = &bar;
    let report = catch_unwind(AssertUnwindSafe(|| master_with(job, options, bar_ref)))
        .unwrap_or_else(|_| {
            Err(CliError::new(
                "internal error while mastering it (reported above); this is a bug",
            ))
        });
    let seconds = started.elapsed().as_secs_f64();
    let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
    progress.end_file(bar, &file.input, report.is_ok(), seconds, finished);
    if print_each {
        progress.suspend(|| match &report {
            Ok(r) => {
                if let Err(e) = print_report(job, r) {
                    eprintln!("lacquer: {e}");
                }
            }
            Err(e) => print_failure(&file.input, e),
        });
    }
    Outcome { report, seconds }
}

/// The closing table: one row per file (loudness and true peak of the master, or why it
/// failed) and the totals.
fn summary_table(
    files: &[PlannedFile],
    outcomes: &[Option<Outcome>],
    seconds: f64,
    threads: usize,
) -> String {
    let ok = outcomes
        .iter()
        .filter(|o| matches!(o, Some(Outcome { report: Ok(_), .. })))
        .count();
    let width = files
        .iter()
        .map(|f| f.input.display().to_string().chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 40);
    let mut text = format!(
        "\nBatch: {ok} of {} files mastered in {seconds:.1} s ({threads} at a time)\n  {:<width$}  {:>11}  {:>10}  {:>7}  Result\n",
        files.len(),
        "Input",
        "Loudness",
        "True peak",
        "Time"
    );
    for (file, outcome) in files.iter().zip(outcomes) {
        let name = file.input.display().to_string();
        let row = match outcome {
            Some(Outcome {
                report: Ok(r),
                seconds,
            }) => format!(
                "{:>11}  {:>10}  {:>7}  -> {}",
                r.after
                    .integrated_lufs
                    .map_or("n/a".into(), |l| format!("{l:.1} LUFS")),
                r.after
                    .true_peak_dbtp
                    .map_or("n/a".into(), |p| format!("{p:.1} dBTP")),
                format!("{seconds:.1} s"),
                file.output.display()
            ),
            Some(Outcome {
                report: Err(e),
                seconds,
            }) => format!(
                "{:>11}  {:>10}  {:>7}  FAILED: {e}",
                "-",
                "-",
                format!("{seconds:.1} s")
            ),
            None => format!("{:>11}  {:>10}  {:>7}  FAILED: not run", "-", "-", "-"),
        };
        text.push_str(&format!("  {name:<width$}  {row}\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_take_the_inputs_names_and_the_formats_extension() {
        let out = Path::new("masters");
        assert_eq!(
            named_in(out, Path::new("songs/one.mp3"), "flac"),
            Path::new("masters/one.flac")
        );
        assert_eq!(
            named_in(out, Path::new("two.final.wav"), "wav"),
            Path::new("masters/two.final.wav")
        );
    }

    #[test]
    fn folders_contribute_their_audio_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.WAV", "a.flac", "notes.txt", ".hidden.wav", "c.mp3"] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        fs::create_dir(dir.path().join("sub.wav")).unwrap();
        let names: Vec<String> = expand(dir.path())
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.flac", "b.WAV", "c.mp3"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(expand(empty.path()).is_err());
    }
}
