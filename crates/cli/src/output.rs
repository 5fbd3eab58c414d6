//! Safe writing of the output file: refuse to overwrite the input (under any spelling of its
//! path, through symlinks or hard links), refuse to replace an existing file without
//! `--force`, and write through a temporary file in the same folder that is renamed into place
//! only once complete and removed on any error (a partly written master is never left behind).

use super::CliError;
use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

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

/// Checks that `output` can be written for the existing file `input`: a `.wav` name in an
/// existing folder, not a folder itself, not the input, and not an existing file unless
/// `force`. Nothing is created.
pub fn check_output(input: &Path, output: &Path, force: bool) -> Result<(), CliError> {
    let shown = output.display();
    let is_wav = output
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("wav") || e.eq_ignore_ascii_case("wave"));
    if output.file_name().is_none() {
        return Err(CliError::new(format!(
            "'{shown}' is not a file name; give the output as e.g. master.wav"
        )));
    }
    let folder = parent_folder(output);
    match fs::metadata(folder) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(CliError::new(format!(
                "cannot write '{shown}': '{}' is not a folder",
                folder.display()
            )));
        }
        Err(_) => {
            return Err(CliError::new(format!(
                "cannot write '{shown}': the folder '{}' does not exist; create it first",
                folder.display()
            )));
        }
    }
    if fs::metadata(output).is_ok_and(|m| m.is_dir()) {
        return Err(CliError::new(format!(
            "'{shown}' is a folder; give a file name for the output, e.g. {}",
            output.join("master.wav").display()
        )));
    }
    let exists = fs::symlink_metadata(output).is_ok();
    let is_input = if exists {
        same_existing_file(input, output)
    } else {
        // Not there yet: compare the canonical folder plus the file name with the input.
        match (
            fs::canonicalize(input),
            fs::canonicalize(folder),
            output.file_name(),
        ) {
            (Ok(input_canon), Ok(folder_canon), Some(name)) => {
                input_canon == folder_canon.join(name)
            }
            _ => false,
        }
    };
    if is_input {
        return Err(CliError::new(format!(
            "refusing to overwrite the input file '{}' with '{shown}'; choose another output file",
            input.display()
        )));
    }
    if !is_wav {
        return Err(CliError::new(format!(
            "'{shown}' must end in .wav: lacquer writes WAV files"
        )));
    }
    if exists && !force {
        return Err(CliError::new(format!(
            "'{shown}' already exists; add --force to overwrite it"
        )));
    }
    Ok(())
}

/// A temporary file beside the final output. Dropping it without [`TempOutput::commit`]
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
        for attempt in 0..1000u32 {
            let path = folder.join(format!(
                ".{name}.lacquer-{}-{attempt}.tmp",
                std::process::id()
            ));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
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
    pub fn commit(mut self, final_path: &Path, force: bool) -> Result<(), CliError> {
        let shown = final_path.display();
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(|e| {
                CliError::new(format!("cannot write '{shown}': {}", describe_io(&e)))
            })?;
        }
        if !force && fs::symlink_metadata(final_path).is_ok() {
            return Err(CliError::new(format!(
                "'{shown}' appeared while rendering; add --force to overwrite it"
            )));
        }
        fs::rename(&self.path, final_path)
            .map_err(|e| CliError::new(format!("cannot write '{shown}': {}", describe_io(&e))))?;
        // Renamed: nothing left to clean up.
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        self.file = None;
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
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
        let flac = dir.path().join("out.flac");
        assert!(
            check_output(&input, &flac, false)
                .unwrap_err()
                .to_string()
                .contains(".wav")
        );
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
