//! Safe writing of the output file (WAV or FLAC, by its extension): refuse to overwrite the
//! input (under any spelling of its path, through symlinks or hard links), refuse to replace
//! an existing file without `--force`, and write through a temporary file in the same folder
//! that is renamed into place only once complete and removed on any error, on a panic and on
//! Ctrl-C / SIGTERM (a partly written master or report is never left behind). The master and
//! the report are renamed into place together, after both are complete.

use super::CliError;
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The folder `path` will be created in (`.` for a bare file name).
fn parent_folder(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Whether two existing paths are the same file (same device and inode on Unix, so hard links
/// count as the same file; equal canonical paths elsewhere).
fn same_existing_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (fs::metadata(a), fs::metadata(b)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    matches!((fs::canonicalize(a), fs::canonicalize(b)), (Ok(x), Ok(y)) if x == y)
}

/// A file the command reads (the input, a reference): never to be written.
#[derive(Debug, Clone, Copy)]
pub struct ReadFile<'a> {
    /// The path as given.
    pub path: &'a Path,
    /// What it is, for messages: "input file", "reference".
    pub role: &'a str,
}

/// A file the command writes (the master, the report).
#[derive(Debug, Clone, Copy)]
pub struct WriteFile<'a> {
    /// The path as given.
    pub path: &'a Path,
    /// How it is named in messages, with a trailing space: "" for the master, "the report ".
    pub role: &'a str,
    /// What the user should do instead: "choose another output file".
    pub advice: &'a str,
    /// Whether this is the master, whose name must end in .wav or .flac.
    pub wav: bool,
}

/// The audio format of the master: chosen by the output's extension (case-insensitive), or by
/// `--format` for masters written into a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// WAV (`.wav` or `.wave`).
    Wav,
    /// FLAC (`.flac`; 16 or 24 bit).
    Flac,
}

impl OutputFormat {
    /// The file name extension it writes, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Wav => "wav",
            Self::Flac => "flac",
        }
    }

    /// The format `path`'s extension names, or `None` for any other name.
    pub fn of(path: &Path) -> Option<Self> {
        let ext = path.extension().and_then(|e| e.to_str())?;
        if ext.eq_ignore_ascii_case("wav") || ext.eq_ignore_ascii_case("wave") {
            Some(Self::Wav)
        } else if ext.eq_ignore_ascii_case("flac") {
            Some(Self::Flac)
        } else {
            None
        }
    }
}

/// The master output, as [`check_outputs`] knows it.
pub fn master_output(path: &Path) -> WriteFile<'_> {
    WriteFile {
        path,
        role: "",
        advice: "choose another output file",
        wav: true,
    }
}

/// The file `path` is or will be: its canonical path if it exists, else its folder's canonical
/// path joined with its name; `None` if its folder cannot be resolved.
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = fs::canonicalize(path) {
        return Some(p);
    }
    let name = path.file_name()?;
    fs::canonicalize(parent_folder(path))
        .ok()
        .map(|folder| folder.join(name))
}

/// Whether `a` and `b` are (or will be) the same file, under any spelling, symlink or hard link.
fn same_file(a: &Path, b: &Path) -> bool {
    if fs::metadata(a).is_ok() && fs::metadata(b).is_ok() {
        return same_existing_file(a, b);
    }
    matches!((resolved(a), resolved(b)), (Some(x), Some(y)) if x == y)
}

/// Checks one file to write: a file name in an existing folder, not a folder itself.
fn check_place(w: &WriteFile<'_>) -> Result<(), CliError> {
    let shown = w.path.display();
    let role = w.role;
    if w.path.file_name().is_none() {
        return Err(CliError::new(format!(
            "{role}'{shown}' is not a file name; {}",
            w.advice
        )));
    }
    let folder = parent_folder(w.path);
    match fs::metadata(folder) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(CliError::new(format!(
                "cannot write {role}'{shown}': '{}' is not a folder",
                folder.display()
            )));
        }
        Err(_) => {
            return Err(CliError::new(format!(
                "cannot write {role}'{shown}': the folder '{}' does not exist; create it first",
                folder.display()
            )));
        }
    }
    if fs::metadata(w.path).is_ok_and(|m| m.is_dir()) {
        return Err(CliError::new(format!(
            "{role}'{shown}' is a folder; give a file name, e.g. {}",
            w.path
                .join(if w.wav { "master.wav" } else { "report.json" })
                .display()
        )));
    }
    Ok(())
}

/// Checks, before anything is rendered or created, that every file in `writes` can be written:
/// each is a file name in an existing folder, none is any file in `reads` (under any spelling,
/// symlink or hard link; `force` does not change that), no two are the same file, the master
/// ends in .wav or .flac, and none exists unless `force`.
pub fn check_outputs(
    reads: &[ReadFile<'_>],
    writes: &[WriteFile<'_>],
    force: bool,
) -> Result<(), CliError> {
    for w in writes {
        check_place(w)?;
        let shown = w.path.display();
        if let Some(r) = reads.iter().find(|r| same_file(r.path, w.path)) {
            return Err(CliError::new(format!(
                "refusing to overwrite the {} '{}' with {}'{shown}'; {}",
                r.role,
                r.path.display(),
                w.role,
                w.advice
            )));
        }
        if w.wav && OutputFormat::of(w.path).is_none() {
            return Err(CliError::new(format!(
                "'{shown}' must end in .wav or .flac: lacquer writes WAV and FLAC files"
            )));
        }
    }
    for (i, a) in writes.iter().enumerate() {
        if let Some(b) = writes[i + 1..].iter().find(|b| same_file(a.path, b.path)) {
            return Err(CliError::new(format!(
                "{}'{}' is the same file as {}'{}'; {}",
                b.role,
                b.path.display(),
                if a.role.is_empty() {
                    "the output "
                } else {
                    a.role
                },
                a.path.display(),
                b.advice
            )));
        }
    }
    if !force && let Some(w) = writes.iter().find(|w| fs::symlink_metadata(w.path).is_ok()) {
        return Err(CliError::new(format!(
            "{}'{}' already exists; add --force to overwrite it",
            w.role,
            w.path.display()
        )));
    }
    Ok(())
}

/// Checks that `output` can be written for the existing file `input`: a `.wav` or `.flac`
/// name in an existing folder, not a folder itself, not the input, and not an existing file
/// unless `force`. Nothing is created.
#[cfg(test)]
pub fn check_output(input: &Path, output: &Path, force: bool) -> Result<(), CliError> {
    check_outputs(
        &[ReadFile {
            path: input,
            role: "input file",
        }],
        &[master_output(output)],
        force,
    )
}

/// Temporary files that exist right now: removed by the Ctrl-C / SIGTERM handler.
static LIVE_TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The registry of live temporary files (a panic elsewhere must not disable the cleanup).
fn live_temps() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE_TEMPS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Exit code after Ctrl-C or SIGTERM (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// Installs the Ctrl-C / SIGTERM handler: it removes every live temporary file, says so in
/// one line and exits with [`EXIT_INTERRUPTED`]. It runs on its own thread, and waits for a
/// commit in progress (which holds the registry) so that renamed files are never half there.
pub fn install_interrupt_cleanup() {
    // Failing to install (a handler already set) only loses the cleanup, so it is not fatal.
    let _ = ctrlc::set_handler(|| {
        let live = live_temps();
        for path in live.iter() {
            let _ = fs::remove_file(path);
        }
        let note = if live.is_empty() {
            ""
        } else {
            "; the unfinished output was removed"
        };
        eprintln!("lacquer: interrupted{note}");
        std::process::exit(EXIT_INTERRUPTED);
    });
}

/// A temporary file beside the final output. Dropping it without [`commit_all`]
/// deletes it, so every early return (and a panic unwinding) cleans up.
pub struct TempOutput {
    path: PathBuf,
    file: Option<File>,
}

impl TempOutput {
    /// Creates a new, hidden temporary file in the folder of `final_path`.
    pub fn create_beside(final_path: &Path) -> Result<Self, CliError> {
        let folder = parent_folder(final_path);
        let name = final_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Created and registered under the lock, so an interrupt cannot miss it.
        let mut live = live_temps();
        for attempt in 0..1000u32 {
            let path = folder.join(format!(
                ".{name}.lacquer-{}-{attempt}.tmp",
                std::process::id()
            ));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    live.push(path.clone());
                    return Ok(Self {
                        path,
                        file: Some(file),
                    });
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(CliError::new(format!(
                        "cannot write in the folder '{}': {}",
                        folder.display(),
                        describe_io(&e)
                    )));
                }
            }
        }
        Err(CliError::new(format!(
            "cannot create a temporary file in '{}'; remove stale .lacquer-*.tmp files there",
            folder.display()
        )))
    }

    /// The open temporary file.
    pub fn file(&mut self) -> Result<&mut File, CliError> {
        self.file
            .as_mut()
            .ok_or_else(|| CliError::new("internal error: temporary output already closed"))
    }

    /// Path of the temporary file (for tests).
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes the data to disk and renames the file to `final_path`. Unless `force`, refuses
    /// if `final_path` appeared in the meantime.
    #[cfg(test)]
    pub fn commit(self, final_path: &Path, force: bool) -> Result<(), CliError> {
        commit_all(vec![(self, final_path)], force)
    }

    /// Flushes the data to disk (closing the file).
    fn sync(&mut self, final_path: &Path) -> Result<(), CliError> {
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(|e| {
                CliError::new(format!(
                    "cannot write '{}': {}",
                    final_path.display(),
                    describe_io(&e)
                ))
            })?;
        }
        Ok(())
    }
}

/// Flushes every temporary file and renames each to its final path, all or nothing: unless
/// `force`, refuses if any final path appeared in the meantime; if a rename fails, the files
/// already renamed are removed again. An interrupt waits until the renames are done.
pub fn commit_all(mut temps: Vec<(TempOutput, &Path)>, force: bool) -> Result<(), CliError> {
    for (temp, final_path) in &mut temps {
        temp.sync(final_path)?;
    }
    if !force
        && let Some((_, final_path)) = temps.iter().find(|(_, p)| fs::symlink_metadata(p).is_ok())
    {
        return Err(CliError::new(format!(
            "'{}' appeared while rendering; add --force to overwrite it",
            final_path.display()
        )));
    }
    let failure = {
        let mut live = live_temps();
        let mut renamed: Vec<&Path> = Vec::new();
        let mut failure = None;
        for (temp, final_path) in &mut temps {
            match fs::rename(&temp.path, *final_path) {
                Ok(()) => {
                    live.retain(|p| *p != temp.path);
                    // Renamed: nothing left to clean up.
                    temp.path = PathBuf::new();
                    renamed.push(final_path);
                }
                Err(e) => {
                    failure = Some(CliError::new(format!(
                        "cannot write '{}': {}",
                        final_path.display(),
                        describe_io(&e)
                    )));
                    break;
                }
            }
        }
        if failure.is_some() {
            for path in renamed {
                let _ = fs::remove_file(path);
            }
        }
        failure
    };
    // The registry is released before the remaining temporary files are dropped (removed).
    drop(temps);
    failure.map_or(Ok(()), Err)
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        self.file = None;
        if !self.path.as_os_str().is_empty() {
            let mut live = live_temps();
            let _ = fs::remove_file(&self.path);
            live.retain(|p| *p != self.path);
        }
    }
}

/// A short description of an I/O error without the OS error number.
pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".into(),
        ErrorKind::NotFound => "no such file or folder".into(),
        ErrorKind::StorageFull => "the disk is full".into(),
        ErrorKind::IsADirectory => "it is a folder".into(),
        ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn refuses_the_input_under_other_spellings() {
        let dir = tmp();
        let input = dir.path().join("mix.wav");
        fs::write(&input, b"x").unwrap();
        let dotted = dir.path().join(".").join("mix.wav");
        let via_parent = dir.path().join("sub").join("..").join("mix.wav");
        fs::create_dir(dir.path().join("sub")).unwrap();
        for out in [&input, &dotted, &via_parent] {
            let err = check_output(&input, out, true).unwrap_err().to_string();
            assert!(err.contains("refusing to overwrite the input"), "{err}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_and_hard_links_to_the_input() {
        let dir = tmp();
        let input = dir.path().join("mix.wav");
        fs::write(&input, b"x").unwrap();
        let link = dir.path().join("link.wav");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let hard = dir.path().join("hard.wav");
        fs::hard_link(&input, &hard).unwrap();
        for out in [&link, &hard] {
            let err = check_output(&input, out, true).unwrap_err().to_string();
            assert!(err.contains("refusing to overwrite the input"), "{err}");
        }
    }

    #[test]
    fn existing_output_needs_force_and_folders_are_refused() {
        let dir = tmp();
        let input = dir.path().join("mix.wav");
        let output = dir.path().join("out.wav");
        fs::write(&input, b"x").unwrap();
        assert!(check_output(&input, &output, false).is_ok());
        fs::write(&output, b"y").unwrap();
        let err = check_output(&input, &output, false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--force"), "{err}");
        assert!(check_output(&input, &output, true).is_ok());
        let folder = dir.path().join("folder.wav");
        fs::create_dir(&folder).unwrap();
        assert!(
            check_output(&input, &folder, true)
                .unwrap_err()
                .to_string()
                .contains("is a folder")
        );
        let missing = dir.path().join("nope").join("out.wav");
        assert!(
            check_output(&input, &missing, false)
                .unwrap_err()
                .to_string()
                .contains("does not exist")
        );
        let mp3 = dir.path().join("out.mp3");
        assert!(
            check_output(&input, &mp3, false)
                .unwrap_err()
                .to_string()
                .contains(".wav or .flac")
        );
        for name in ["out.flac", "OUT.FLAC", "out.Wave"] {
            assert!(check_output(&input, &dir.path().join(name), false).is_ok());
        }
        assert_eq!(
            OutputFormat::of(Path::new("a/b.FlAc")),
            Some(OutputFormat::Flac)
        );
        assert_eq!(
            OutputFormat::of(Path::new("b.WAV")),
            Some(OutputFormat::Wav)
        );
        assert_eq!(OutputFormat::of(Path::new("flac")), None);
    }

    #[test]
    fn temp_file_is_removed_unless_committed() {
        let dir = tmp();
        let final_path = dir.path().join("out.wav");
        let temp_path = {
            let mut t = TempOutput::create_beside(&final_path).unwrap();
            t.file().unwrap().write_all(b"partial").unwrap();
            assert!(t.path().exists());
            t.path().to_path_buf()
        };
        assert!(!temp_path.exists(), "dropped temp file must be deleted");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);

        let mut t = TempOutput::create_beside(&final_path).unwrap();
        t.file().unwrap().write_all(b"complete").unwrap();
        t.commit(&final_path, false).unwrap();
        assert_eq!(fs::read(&final_path).unwrap(), b"complete");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn commit_without_force_keeps_a_file_that_appeared() {
        let dir = tmp();
        let final_path = dir.path().join("out.wav");
        let mut t = TempOutput::create_beside(&final_path).unwrap();
        t.file().unwrap().write_all(b"new").unwrap();
        fs::write(&final_path, b"old").unwrap();
        assert!(t.commit(&final_path, false).is_err());
        assert_eq!(fs::read(&final_path).unwrap(), b"old");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file left behind"
        );
    }
}
