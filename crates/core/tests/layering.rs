//! The architecture's rules, checked on the dependency graph itself (`cargo tree`, normal
//! dependencies): the core sees no plugin framework, GUI, codec or argument parser; the plugin
//! decodes only through the shared decoder crate and links neither the CLI's WAV writer nor
//! its argument parser; the CLI links no GUI. The manifests make this true; this
//! test keeps a future dependency from quietly undoing it.

use std::process::Command;

/// Names of the packages `package` links (normal dependencies, all features as built).
fn linked(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

fn assert_none_of(package: &str, forbidden: &[&str]) {
    let names = linked(package);
    assert!(
        names.len() > 3,
        "cargo tree -p {package} listed only {names:?}"
    );
    let found: Vec<&&str> = forbidden
        .iter()
        .filter(|f| names.iter().any(|n| n == *f))
        .collect();
    assert!(found.is_empty(), "{package} links {found:?}");
}

#[test]
fn core_links_no_framework_gui_codec_or_argument_parser() {
    assert_none_of(
        "lacquer-core",
        &[
            "nice-plug",
            "nice-plug-egui",
            "egui",
            "baseview",
            "symphonia",
            "hound",
            "clap",
        ],
    );
}

#[test]
fn plugin_decodes_only_through_the_shared_decoder_and_links_none_of_the_clis_own_crates() {
    // Reference tracks in the plugin are decoded by `lacquer-decode`, the crate the CLI reads
    // files with; the plugin itself names no codec, and neither the CLI's WAV writer nor its
    // argument parser reaches it.
    assert_none_of("lacquer", &["hound", "clap"]);
    let all = linked("lacquer");
    assert!(
        all.iter().any(|n| n == "nice-plug") && all.iter().any(|n| n == "lacquer-decode"),
        "the check itself reads the tree: {all:?}"
    );
    let direct = direct_dependencies("lacquer");
    assert!(
        !direct.iter().any(|n| n.starts_with("symphonia")),
        "the plugin names a codec itself: {direct:?}"
    );
}

/// Names of the packages `package` lists itself (normal dependencies).
fn direct_dependencies(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "tree", "-p", package, "-e", "normal", "--prefix", "none", "--depth", "1",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package} --depth 1 failed"
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn cli_links_no_gui_or_plugin_framework() {
    assert_none_of(
        "lacquer-cli",
        &["egui", "nice-plug-egui", "nice-plug", "baseview"],
    );
}
