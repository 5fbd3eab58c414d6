//! `cargo xtask corpus [--base] [DIR]`: real music for `cargo xtask eval` and
//! `cargo xtask derive-targets`: professionally produced game soundtracks from Debian's package
//! archive. Only the music is unpacked, with each package's copyright file:
//!
//! - supertuxkart-data (`stk-*`: CC-BY-SA / CC0 pop, electronic, celtic, orchestral)
//! - hyperrogue-music (`hr-*`: GPL-2+ ambient / orchestral)
//! - singularity-music (`sng-*`: CC-BY-SA electronic / ambient)
//! - colobot-common-sounds (`colobot-*`: GPL-3+ electronic / orchestral)
//! - extremetuxracer-data (`etr-*`: GPL-2+ / CC pop-rock, electronic)
//! - drascula-music (`dra-*`: adventure-game score, freeware licence in its copyright file)
//!
//! From the last four, files under 500 KB (jingles, stingers) are left out. `--base` fetches
//! only the first two packages: the 55 tracks `docs/eval.md`'s earlier figures were measured on.
//! Prints the folder that holds the tracks. Safe to run again: it reuses what is there.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const USAGE: &str = "usage: cargo xtask corpus [--base] [DIR]
  downloads game soundtracks from Debian's archive (apt-get download) and prints the folder of
  their .ogg tracks, DIR/music (DIR defaults to $LACQUER_CORPUS or ~/.cache/lacquer-corpus)
  --base  only supertuxkart-data and hyperrogue-music: the 55 tracks docs/eval.md's figures
          were measured on (DIR gets the suffix -base)";

/// One package of music.
struct Package {
    name: &'static str,
    /// Prefix of the copied tracks' names.
    prefix: &'static str,
    /// Smaller files (jingles, stingers) are left out.
    min_bytes: u64,
    /// The music inside the package, as `tar --wildcards` and this file's matcher read it.
    glob: &'static str,
}

/// The packages of `--base`.
const BASE: &[Package] = &[
    Package {
        name: "supertuxkart-data",
        prefix: "stk",
        min_bytes: 0,
        glob: "./usr/share/games/supertuxkart/data/music/*.ogg",
    },
    Package {
        name: "hyperrogue-music",
        prefix: "hr",
        min_bytes: 0,
        glob: "./usr/share/hyperrogue/music/*.ogg",
    },
];

/// The packages added without `--base`.
const MORE: &[Package] = &[
    Package {
        name: "singularity-music",
        prefix: "sng",
        min_bytes: 512_000,
        glob: "./usr/share/games/singularity/music/*.ogg",
    },
    Package {
        name: "colobot-common-sounds",
        prefix: "colobot",
        min_bytes: 512_000,
        glob: "./usr/share/games/colobot/music/*.ogg",
    },
    Package {
        name: "extremetuxracer-data",
        prefix: "etr",
        min_bytes: 512_000,
        glob: "./usr/share/games/etr/music/*.ogg",
    },
    Package {
        name: "drascula-music",
        prefix: "dra",
        min_bytes: 512_000,
        glob: "./usr/share/scummvm/drascula/audio/*.ogg",
    },
];

/// Runs the task with the arguments after `corpus`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut base_only = false;
    let mut dir: Option<PathBuf> = None;
    for arg in args {
        match arg.as_str() {
            "--base" => base_only = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other if other.starts_with('-') => {
                return Err(format!("unknown option `{other}` for corpus; {USAGE}"));
            }
            other if dir.is_none() => dir = Some(PathBuf::from(other)),
            other => return Err(format!("more than one folder given (`{other}`); {USAGE}")),
        }
    }
    let mut dir = match dir {
        Some(dir) => dir,
        None => default_dir()?,
    };
    if base_only {
        let mut with_suffix = dir.into_os_string();
        with_suffix.push("-base");
        dir = PathBuf::from(with_suffix);
    }
    if Command::new("apt-get")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        return Err(
            "`cargo xtask corpus` needs Debian's apt (apt-get and dpkg): the music comes \
                    from Debian's package archive"
                .to_string(),
        );
    }
    let debs = dir.join("debs");
    let music = dir.join("music");
    for folder in [&debs, &music] {
        std::fs::create_dir_all(folder)
            .map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    let packages = if base_only {
        BASE.iter().collect::<Vec<_>>()
    } else {
        BASE.iter().chain(MORE).collect()
    };
    // Earlier versions of the fetch script marked the first two packages with one stamp.
    if music.join(".done").exists() {
        for package in BASE {
            let stamp = music.join(format!(".done-{}", package.name));
            std::fs::write(&stamp, "")
                .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
        }
    }
    let mut updated = false;
    for package in packages {
        let deb = download(package.name, &debs, &mut updated)?;
        let stamp = music.join(format!(".done-{}", package.name));
        if !stamp.exists() {
            unpack(package, &deb, &music)?;
            std::fs::write(&stamp, "")
                .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
        }
    }
    println!("{}", music.display());
    Ok(())
}

/// `$LACQUER_CORPUS`, else `~/.cache/lacquer-corpus`.
fn default_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("LACQUER_CORPUS").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or("neither DIR nor $LACQUER_CORPUS nor $HOME is set; pass a folder")?;
    Ok(PathBuf::from(home).join(".cache").join("lacquer-corpus"))
}

/// The package's `.deb` in `debs`, downloaded with `apt-get download` unless one is there;
/// a failed download runs `apt-get update` once (per run) and tries again.
fn download(package: &str, debs: &Path, updated: &mut bool) -> Result<PathBuf, String> {
    if let Some(deb) = find_deb(package, debs)? {
        return Ok(deb);
    }
    eprintln!("downloading {package}");
    // apt-get's output (including its warning about downloading unsandboxed as root) is shown
    // only when the download fails.
    let fetch = || {
        let output = Command::new("apt-get")
            .args(["download", package])
            .current_dir(debs)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run apt-get: {e}"))?;
        if !output.status.success() {
            eprint!("{}", String::from_utf8_lossy(&output.stdout));
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
        }
        Ok::<_, String>(output.status)
    };
    let mut status = fetch()?;
    if !status.success() && !*updated {
        eprintln!("apt-get download {package} failed; running apt-get update and retrying");
        *updated = true;
        let update = Command::new("apt-get")
            .arg("update")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run apt-get update: {e}"))?;
        if !update.success() {
            return Err(format!(
                "`apt-get update` failed ({update}): it needs root and access to Debian's archive"
            ));
        }
        status = fetch()?;
    }
    if !status.success() {
        return Err(format!(
            "`apt-get download {package}` failed ({status}) in {}",
            debs.display()
        ));
    }
    find_deb(package, debs)?
        .ok_or_else(|| format!("apt-get download {package} left no {package}_*.deb"))
}

/// The first `PACKAGE_*.deb` in `debs`, if any.
fn find_deb(package: &str, debs: &Path) -> Result<Option<PathBuf>, String> {
    let prefix = format!("{package}_");
    let mut found: Vec<PathBuf> = std::fs::read_dir(debs)
        .map_err(|e| format!("cannot read {}: {e}", debs.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".deb"))
        })
        .collect();
    found.sort();
    Ok(found.into_iter().next())
}

/// Unpacks the package's music (files of at least `min_bytes`) and copyright file into `music`.
fn unpack(package: &Package, deb: &Path, music: &Path) -> Result<(), String> {
    eprintln!("unpacking {}", package.name);
    let tmp = std::env::temp_dir().join(format!(
        "lacquer-corpus-{}-{}",
        package.name,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    let result = unpack_into(package, deb, music, &tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn unpack_into(package: &Package, deb: &Path, music: &Path, tmp: &Path) -> Result<(), String> {
    let copyright = format!("./usr/share/doc/{}/copyright", package.name);
    let mut dpkg = Command::new("dpkg")
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run dpkg: {e}"))?;
    let tar_input = dpkg.stdout.take().ok_or("dpkg gave no output pipe")?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(tmp)
        .args(["--wildcards", package.glob, &copyright])
        .stdin(tar_input)
        .status()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let dpkg = dpkg.wait().map_err(|e| format!("waiting for dpkg: {e}"))?;
    if !dpkg.success() || !tar.success() {
        return Err(format!(
            "unpacking {} failed (dpkg {dpkg}, tar {tar})",
            deb.display()
        ));
    }

    let (glob_dir, file_glob) = package
        .glob
        .trim_start_matches("./")
        .rsplit_once('/')
        .ok_or_else(|| format!("bad glob {}", package.glob))?;
    let from = tmp.join(glob_dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&from)
        .map_err(|e| format!("cannot read {}: {e}", from.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| glob_matches(file_glob, n))
        })
        .collect();
    files.sort();
    for file in files {
        let size = std::fs::metadata(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?
            .len();
        if size < package.min_bytes {
            continue;
        }
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("file name not UTF-8: {}", file.display()))?
            .replace(' ', "_");
        let to = music.join(format!("{}-{name}", package.prefix));
        std::fs::copy(&file, &to)
            .map_err(|e| format!("cannot copy {} to {}: {e}", file.display(), to.display()))?;
    }
    let from = tmp.join(copyright.trim_start_matches("./"));
    let to = music.join(format!("COPYRIGHT-{}", package.name));
    std::fs::copy(&from, &to)
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))?;
    Ok(())
}

/// Whether `name` matches `pattern`, whose only special character is `*` (any run of
/// characters).
fn glob_matches(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    #[test]
    fn globs() {
        assert!(glob_matches("*.ogg", "a b.ogg"));
        assert!(glob_matches("*.ogg", ".ogg"));
        assert!(!glob_matches("*.ogg", "a.ogg.txt"));
        assert!(glob_matches("x*y*.ogg", "x1y2.ogg"));
        assert!(!glob_matches("x*y*.ogg", "x1.ogg"));
        assert!(glob_matches("a.ogg", "a.ogg"));
        assert!(!glob_matches("a.ogg", "ab.ogg"));
    }
}
