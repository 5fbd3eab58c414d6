//! The hidden `lacquer derive-targets DIR` command behind `cargo xtask derive-targets DIR`:
//! analyses every master in DIR with the assistant's own analysis, holds part of them out for
//! the evaluation, groups the rest into three families by k-means on the classifier features,
//! and writes one target profile per family plus the hold-out list into `--out`.
//!
//! Grouping: the corpus has no genre labels, so the tracks are clustered on
//! [`classifier_features`] (tonal shape, width, PLR/LRA, percussiveness), the same features
//! the automatic family choice compares, so a family's centroid is exactly what its tracks
//! were grouped by. k-means (Lloyd) is started from every track in turn (then farthest-first
//! for the other centres) and the partition with the smallest within-cluster sum of squares
//! whose clusters all hold at least [`MIN_FAMILY_TRACKS`] tracks wins. The clusters are then
//! named by what sets them apart: the one with the most sub-bass (20-63 Hz relative to the
//! whole spectrum) is "bass-heavy", of the other two the more dynamic (higher PLR + LRA) is
//! "acoustic", the last "modern".

use super::CliError;
use super::decode::decode_file;
use lacquer_core::assistant::analysis::analyze_track;
use lacquer_core::assistant::profile::TrackFeatures;
use lacquer_core::assistant::targets::{
    classifier_features, feature_distance, profile_from_tracks,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Fewest tracks a family may be derived from (fewer make meaningless 10th/90th percentiles).
pub const MIN_FAMILY_TRACKS: usize = 5;

/// Number of families.
const NUM_FAMILIES: usize = 3;

/// Arguments of the hidden `derive-targets` command.
#[derive(Debug, clap::Args)]
pub struct DeriveArgs {
    /// Folder of real masters (e.g. the one `cargo xtask corpus` prints).
    pub dir: PathBuf,
    /// Where to write `<family>.json` and `holdout.txt`.
    #[arg(long, default_value = "assets/targets")]
    pub out: PathBuf,
    /// Hold out every Nth piece (by sorted name; a piece's variants such as `x_fast` go with
    /// it) for the evaluation.
    #[arg(long, default_value_t = 4)]
    pub holdout_every: usize,
    /// Also write every track's features and family to this JSON file (not committed).
    #[arg(long)]
    pub features: Option<PathBuf>,
    /// Read the features from a file written by `--features` instead of decoding DIR again.
    #[arg(long)]
    pub from_features: Option<PathBuf>,
}

/// One analysed track.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Analysed {
    pub(crate) file: String,
    pub(crate) held_out: bool,
    pub(crate) family: Option<String>,
    pub(crate) features: TrackFeatures,
}

/// Audio files in `dir`, sorted by name.
pub(crate) fn list_audio(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| CliError::new(format!("cannot read folder '{}': {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            ["ogg", "wav", "flac", "mp3", "aif", "aiff"]
                .contains(&ext.to_ascii_lowercase().as_str())
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The piece a file belongs to: its stem without a tempo-variant suffix (`_fast`, `_f`), so
/// a piece and its faster variant are never split between derivation and hold-out.
fn piece_of(file: &str) -> String {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    stem.strip_suffix("_fast")
        .or_else(|| stem.strip_suffix("_f"))
        .unwrap_or(stem)
        .to_string()
}

/// Runs the command.
pub fn run(args: &DeriveArgs) -> Result<(), CliError> {
    let mut tracks = match &args.from_features {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::new(format!("cannot read '{}': {e}", path.display())))?;
            serde_json::from_str::<Vec<Analysed>>(&text).map_err(|e| {
                CliError::new(format!("'{}' is not a features file: {e}", path.display()))
            })?
        }
        None => analyse_folder(&args.dir)?,
    };
    if tracks.is_empty() {
        return Err(CliError::new(format!(
            "no audio files in '{}'; give the folder `cargo xtask corpus` prints",
            args.dir.display()
        )));
    }
    // Hold-out: every Nth piece in sorted order.
    let mut pieces: Vec<String> = tracks.iter().map(|t| piece_of(&t.file)).collect();
    pieces.sort();
    pieces.dedup();
    let every = args.holdout_every.max(2);
    for t in &mut tracks {
        let index = pieces
            .iter()
            .position(|p| *p == piece_of(&t.file))
            .unwrap_or(0);
        t.held_out = index % every == every - 1;
        t.family = None;
    }
    let train: Vec<usize> = (0..tracks.len()).filter(|&i| !tracks[i].held_out).collect();
    let features: Vec<Vec<f32>> = train
        .iter()
        .map(|&i| classifier_features(&tracks[i].features))
        .collect();
    let labels = cluster(&features, NUM_FAMILIES, MIN_FAMILY_TRACKS).ok_or_else(|| {
        CliError::new(format!(
            "too few tracks to form {NUM_FAMILIES} families of {MIN_FAMILY_TRACKS}; give a larger corpus"
        ))
    })?;
    let names = name_clusters(&features, &labels);
    for (&i, &label) in train.iter().zip(&labels) {
        tracks[i].family = Some(names[label].to_string());
    }

    std::fs::create_dir_all(&args.out)
        .map_err(|e| CliError::new(format!("cannot create '{}': {e}", args.out.display())))?;
    let held: Vec<&str> = tracks
        .iter()
        .filter(|t| t.held_out)
        .map(|t| t.file.as_str())
        .collect();
    let holdout = format!(
        "# Held out of the target derivation (every {every}th piece by sorted name, with its variants);\n# for the evaluation. Written by `cargo xtask derive-targets`.\n{}\n",
        held.join("\n")
    );
    write(&args.out.join("holdout.txt"), &holdout)?;
    for (label, name) in names.iter().enumerate() {
        let members: Vec<TrackFeatures> = train
            .iter()
            .zip(&labels)
            .filter(|&(_, &l)| l == label)
            .map(|(&i, _)| tracks[i].features.clone())
            .collect();
        let files: Vec<&str> = train
            .iter()
            .zip(&labels)
            .filter(|&(_, &l)| l == label)
            .map(|(&i, _)| tracks[i].file.as_str())
            .collect();
        let description = format!(
            "{}; from {} masters: {}",
            describe(name),
            members.len(),
            files.join(", ")
        );
        let profile = rounded(profile_from_tracks(name, &description, &members));
        let json = serde_json::to_string_pretty(&profile)
            .map_err(|e| CliError::new(format!("cannot serialise the {name} profile: {e}")))?;
        write(&args.out.join(format!("{name}.json")), &(json + "\n"))?;
        let lufs = profile.integrated_lufs;
        let plr = profile.plr_db;
        let lra = profile.loudness_range_lu;
        eprintln!(
            "{name}: {} tracks; LUFS {:.1}/{:.1}/{:.1}, PLR {:.1}/{:.1}/{:.1} dB, LRA {:.1}/{:.1}/{:.1} LU (p10/p50/p90)",
            members.len(),
            lufs.p10,
            lufs.p50,
            lufs.p90,
            plr.p10,
            plr.p50,
            plr.p90,
            lra.p10,
            lra.p50,
            lra.p90
        );
    }
    if let Some(path) = &args.features {
        let json = serde_json::to_string_pretty(&tracks)
            .map_err(|e| CliError::new(format!("cannot serialise the features: {e}")))?;
        write(path, &json)?;
    }
    Ok(())
}

/// One line about a family, for its description.
fn describe(name: &str) -> &'static str {
    match name {
        "bass-heavy" => "Most sub-bass (20-63 Hz) relative to the whole spectrum",
        "acoustic" => {
            "The more dynamic (PLR + LRA) of the other two clusters: acoustic, orchestral, ambient"
        }
        _ => "The denser, less dynamic remaining cluster: modern pop/electronic",
    }
}

fn write(path: &Path, text: &str) -> Result<(), CliError> {
    std::fs::write(path, text)
        .map_err(|e| CliError::new(format!("cannot write '{}': {e}", path.display())))
}

/// Decodes and analyses every audio file in `dir`, reporting progress on stderr.
pub(crate) fn analyse_folder(dir: &Path) -> Result<Vec<Analysed>, CliError> {
    let files = list_audio(dir)?;
    let mut out = Vec::with_capacity(files.len());
    for (n, path) in files.iter().enumerate() {
        let audio = decode_file(path)?;
        let features = analyze_track(&audio.slices(), audio.sample_rate_hz as f32);
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        eprintln!(
            "[{}/{}] {file}: {:.1} s",
            n + 1,
            files.len(),
            features.duration_s
        );
        out.push(Analysed {
            file,
            held_out: false,
            family: None,
            features,
        });
    }
    Ok(out)
}

/// Values rounded to 0.01 so the committed JSON stays readable.
fn rounded(
    mut p: lacquer_core::assistant::profile::TargetProfile,
) -> lacquer_core::assistant::profile::TargetProfile {
    let r = |v: f32| (v * 100.0).round() / 100.0;
    let rp = |q: &mut lacquer_core::assistant::profile::Percentiles| {
        q.p10 = r(q.p10);
        q.p50 = r(q.p50);
        q.p90 = r(q.p90);
    };
    p.mid_db
        .iter_mut()
        .chain(p.side_to_mid_db.iter_mut())
        .for_each(rp);
    [
        &mut p.integrated_lufs,
        &mut p.plr_db,
        &mut p.loudness_range_lu,
    ]
    .into_iter()
    .for_each(rp);
    p.centroid.iter_mut().for_each(|v| *v = r(*v));
    p
}

/// k-means labels (0..k) of `points`, best of the starts described in the module docs; `None`
/// when no start gives every cluster at least `min_size` points.
fn cluster(points: &[Vec<f32>], k: usize, min_size: usize) -> Option<Vec<usize>> {
    let mut best: Option<(f32, Vec<usize>)> = None;
    for first in 0..points.len() {
        let mut centres = vec![points[first].clone()];
        while centres.len() < k {
            let far = (0..points.len()).max_by(|&a, &b| {
                let da = nearest(&centres, &points[a]).1;
                let db = nearest(&centres, &points[b]).1;
                da.total_cmp(&db)
            })?;
            centres.push(points[far].clone());
        }
        let mut labels = vec![0; points.len()];
        for _ in 0..100 {
            let next: Vec<usize> = points.iter().map(|p| nearest(&centres, p).0).collect();
            let changed = next != labels;
            labels = next;
            for (c, centre) in centres.iter_mut().enumerate() {
                let members: Vec<&Vec<f32>> = points
                    .iter()
                    .zip(&labels)
                    .filter(|&(_, &l)| l == c)
                    .map(|(p, _)| p)
                    .collect();
                if !members.is_empty() {
                    for (i, v) in centre.iter_mut().enumerate() {
                        *v = members.iter().map(|m| m[i]).sum::<f32>() / members.len() as f32;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        if (0..k).any(|c| labels.iter().filter(|&&l| l == c).count() < min_size) {
            continue;
        }
        let cost: f32 = points
            .iter()
            .zip(&labels)
            .map(|(p, &l)| feature_distance(p, &centres[l]).powi(2))
            .sum();
        if best.as_ref().is_none_or(|(b, _)| cost < *b) {
            best = Some((cost, labels));
        }
    }
    best.map(|(_, labels)| labels)
}

/// Index of and distance to the nearest centre.
fn nearest(centres: &[Vec<f32>], p: &[f32]) -> (usize, f32) {
    centres
        .iter()
        .enumerate()
        .map(|(i, c)| (i, feature_distance(c, p)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, 0.0))
}

/// Names of the clusters (index = label), by the rule in the module docs.
fn name_clusters(points: &[Vec<f32>], labels: &[usize]) -> Vec<&'static str> {
    let mean = |label: usize, f: &dyn Fn(&[f32]) -> f32| {
        let vals: Vec<f32> = points
            .iter()
            .zip(labels)
            .filter(|&(_, &l)| l == label)
            .map(|(p, _)| f(p))
            .collect();
        vals.iter().sum::<f32>() / vals.len().max(1) as f32
    };
    // Features: groups 0 and 1 are 20-63 Hz; indices 12 and 13 are PLR and LRA.
    let sub_bass = |p: &[f32]| p[0] + p[1];
    let dynamics = |p: &[f32]| p[12] + p[13];
    let bass = (0..NUM_FAMILIES)
        .max_by(|&a, &b| mean(a, &sub_bass).total_cmp(&mean(b, &sub_bass)))
        .unwrap_or(0);
    let rest: Vec<usize> = (0..NUM_FAMILIES).filter(|&c| c != bass).collect();
    let (acoustic, modern) = if mean(rest[0], &dynamics) >= mean(rest[1], &dynamics) {
        (rest[0], rest[1])
    } else {
        (rest[1], rest[0])
    };
    let mut names = vec![""; NUM_FAMILIES];
    names[bass] = "bass-heavy";
    names[acoustic] = "acoustic";
    names[modern] = "modern";
    names
}
