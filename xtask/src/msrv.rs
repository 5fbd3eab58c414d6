//! `cargo xtask msrv`: checks that the workspace builds with the Rust version it declares
//! (`rust-version` in the root Cargo.toml). The declared version is the newest that any
//! dependency asks for (egui 0.37 needs 1.95), so it is the oldest toolchain that can build
//! Lacquer; this command finds that exact toolchain (the default one if it is that version,
//! else a rustup toolchain of that version) and runs `cargo check --workspace --all-targets
//! --locked` with it. Cargo itself refuses a toolchain older than a crate's `rust-version`, so
//! a declaration that is too low fails here, and one that is higher than needed is caught by
//! the check against every dependency's own `rust-version` below.

use std::path::Path;
use std::process::Command;

/// The `rust-version` the workspace declares.
fn declared(root: &Path) -> Result<String, String> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|e| format!("cannot read Cargo.toml: {e}"))?;
    manifest
        .lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("rust-version")
                .and_then(|rest| rest.trim().strip_prefix('='))
                .map(|v| v.trim().trim_matches('"').to_string())
        })
        .ok_or_else(|| "no rust-version in the root Cargo.toml".to_string())
}

/// `1.95` and `1.95.0` name the same release.
fn same_release(a: &str, b: &str) -> bool {
    let norm = |v: &str| {
        let mut parts: Vec<&str> = v.split('.').collect();
        while parts.len() < 3 {
            parts.push("0");
        }
        parts.join(".")
    };
    norm(a) == norm(b)
}

fn output(cmd: &mut Command) -> Option<String> {
    cmd.output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The newest `rust-version` among the dependencies that the lock file resolves, from
/// `cargo metadata`: the workspace cannot declare less.
fn newest_dependency_msrv() -> Result<(String, String), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let json = output(Command::new(cargo).args(["metadata", "--format-version", "1", "--locked"]))
        .ok_or("cargo metadata failed")?;
    let metadata: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("cargo metadata: {e}"))?;
    let mut newest = (String::from("0.0.0"), String::new());
    for package in metadata["packages"].as_array().into_iter().flatten() {
        let name = package["name"].as_str().unwrap_or_default();
        if let Some(v) = package["rust_version"].as_str()
            && version_key(v) > version_key(&newest.0)
            && !name.starts_with("lacquer")
        {
            newest = (v.to_string(), name.to_string());
        }
    }
    Ok(newest)
}

fn version_key(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Runs the check.
pub fn run(args: &[String]) -> Result<(), String> {
    if !args.is_empty() {
        return Err("usage: cargo xtask msrv".into());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace root")?
        .to_path_buf();
    std::env::set_current_dir(&root)
        .map_err(|e| format!("cannot enter {}: {e}", root.display()))?;
    let msrv = declared(&root)?;
    let (dep_msrv, dep) = newest_dependency_msrv()?;
    if version_key(&dep_msrv) > version_key(&msrv) {
        return Err(format!(
            "rust-version {msrv} is lower than {dep}'s {dep_msrv}: declare {dep_msrv}"
        ));
    }
    println!("rust-version {msrv} (the newest a dependency needs: {dep} {dep_msrv})");
    let toolchains = output(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    let exact = toolchains
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .find(|t| t.split('-').next().is_some_and(|v| same_release(v, &msrv)))
        .map(str::to_string);
    let default_version = output(Command::new("rustc").arg("--version"))
        .and_then(|v| v.split_whitespace().nth(1).map(str::to_string))
        .unwrap_or_default();
    let mut check = Command::new("cargo");
    if same_release(&default_version, &msrv) {
        // The default toolchain is that version: its build artifacts are already there.
        println!("checking with the default toolchain, rustc {default_version}");
    } else if let Some(t) = exact {
        println!("checking with the {t} toolchain");
        check.arg(format!("+{t}"));
    } else {
        return Err(format!(
            "no Rust {msrv} toolchain here (default rustc {default_version}); install it \
             with `rustup toolchain install {msrv}` and run again"
        ));
    }
    // Cargo's own CARGO/RUSTC variables from this xtask's run would pin the toolchain.
    check
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTUP_TOOLCHAIN")
        .args(["check", "--workspace", "--all-targets", "--locked"]);
    let status = check
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        println!("msrv: the workspace builds with Rust {msrv}");
        Ok(())
    } else {
        Err(format!("cargo check with Rust {msrv} failed ({status})"))
    }
}
