//! The assistant inside `lacquer master`: analyse the input (and the references), choose the
//! target (references, a named family or the automatic family blend), decide, apply the
//! amounts, and find the Drive for the loudness goal with the real chain. The evaluation
//! (`lacquer eval-corpus`) calls the same [`assist`].

use crate::CliError;
use crate::decode::reference::analyse_reference;
use lacquer_core::assistant::decide::{
    Amounts, Decision, Goal, Problem, apply, decide_with, polarity_corrected, polarity_inverted,
    solve_loudness_from,
};
use lacquer_core::assistant::explain::explain;
use lacquer_core::assistant::loudness::DriveSolution;
use lacquer_core::assistant::profile::{TargetProfile, TrackFeatures};
use lacquer_core::assistant::targets::{family_target, profile_from_references};
use lacquer_core::chain::ChainSettings;
use lacquer_core::render::BlockSource;
use serde::Serialize;
use std::path::PathBuf;

/// Which family target to use without references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FamilyChoice {
    /// Blend the families by the automatic weights.
    Auto,
    /// One named family.
    Named(String),
}

/// What the assistant is asked to do (from the flags).
#[derive(Debug, Clone)]
pub struct AssistJob {
    /// Reference files and their weights; empty for a family target.
    pub references: Vec<(PathBuf, f32)>,
    /// Family target, when there are no references.
    pub family: FamilyChoice,
    /// Problems the listener names (`--fix`).
    pub fix: Vec<Problem>,
    /// How much of each decision to apply.
    pub amounts: Amounts,
    /// Loudness goal given by `--target-lufs` / `--platform`, LUFS; else the references'
    /// loudness, else the plugin's default.
    pub target_lufs: Option<f32>,
    /// Loudness goal when nothing else sets it, LUFS (the plugin's "Target Loudness" default).
    pub default_target_lufs: f32,
    /// Range `--target-lufs` accepts (a reference's loudness is clamped into it), LUFS.
    pub target_range_lufs: (f32, f32),
    /// Most limiter gain reduction the Drive search may use, dB.
    pub max_gain_reduction_db: f32,
    /// Drive range, dB (the plugin parameter's).
    pub drive_range_db: (f32, f32),
    /// `--drive` was given: keep it, do not search.
    pub fixed_drive: bool,
    /// In album mode, this track's part of the album ([`super::album`]).
    pub album: Option<AlbumTrack>,
}

/// A track's part in an album.
#[derive(Debug, Clone)]
pub struct AlbumTrack {
    /// The album's features, which tone, dynamics and width are decided on; `None` for a
    /// track whose tonal balance departs from the album's (decided on its own features).
    pub shared: Option<TrackFeatures>,
    /// The sentence that says so, first among the explanations.
    pub note: String,
}

/// A reference as analysed.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceInfo {
    /// File it came from.
    pub file: String,
    /// Its weight.
    pub weight: f32,
    /// Its features.
    pub features: TrackFeatures,
}

/// Everything the assistant found and decided.
#[derive(Debug, Clone)]
pub struct Assisted {
    /// Features of the input.
    pub features: TrackFeatures,
    /// Family weights (automatic blend, or 1 for a named family); empty with references.
    pub family_weights: Vec<(String, f32)>,
    /// The references used.
    pub references: Vec<ReferenceInfo>,
    /// The target the decisions were made against.
    pub target: TargetProfile,
    /// The loudness goal.
    pub goal: Goal,
    /// The decisions (Drive included once solved).
    pub decision: Decision,
    /// The chain settings: `apply(decision, amounts, base)`.
    pub settings: ChainSettings,
    /// How the Drive search ended (`None` with a fixed Drive).
    pub solution: Option<DriveSolution>,
    /// One sentence per decision.
    pub explanations: Vec<String>,
}

/// Decodes and analyses each reference file as it decodes (nothing of it is kept, so a long
/// reference costs no memory, see [`analyse_reference`]); a truncated one is refused unless
/// `allow_partial`.
pub fn load_references(
    references: &[(PathBuf, f32)],
    allow_partial: bool,
) -> Result<Vec<ReferenceInfo>, CliError> {
    references
        .iter()
        .map(|(path, weight)| {
            Ok(ReferenceInfo {
                file: path.display().to_string(),
                weight: *weight,
                features: analyse_reference(path, allow_partial)?,
            })
        })
        .collect()
}

/// The target profile and family weights for `features`.
fn choose_target(
    features: &TrackFeatures,
    references: &[ReferenceInfo],
    family: &FamilyChoice,
) -> Result<(TargetProfile, Vec<(String, f32)>), CliError> {
    if !references.is_empty() {
        let refs: Vec<(TrackFeatures, f32)> = references
            .iter()
            .map(|r| (r.features.clone(), r.weight))
            .collect();
        return Ok((profile_from_references(&refs), Vec::new()));
    }
    let name = match family {
        FamilyChoice::Named(name) => Some(name.as_str()),
        FamilyChoice::Auto => None,
    };
    family_target(features, name).map_err(CliError::new)
}

/// Runs the assistant on `audio` (whose features the caller measured: `features`) with `base`
/// as the user's settings, returning the decided settings with the Drive solved (see the
/// module docs); each trial of the Drive search is a pass over `audio`.
pub fn assist(
    audio: &dyn BlockSource,
    features: TrackFeatures,
    base: &ChainSettings,
    job: &AssistJob,
    references: Vec<ReferenceInfo>,
) -> Result<Assisted, CliError> {
    // A polarity-inverted track's music is in its side: classify what it sounds like flipped.
    // In an album, the shared direction is decided on the album's features.
    let direction = job
        .album
        .as_ref()
        .and_then(|a| a.shared.as_ref())
        .unwrap_or(&features);
    let (target, family_weights) = if polarity_inverted(direction) {
        choose_target(&polarity_corrected(direction), &references, &job.family)?
    } else {
        choose_target(direction, &references, &job.family)?
    };
    let target_lufs = job
        .target_lufs
        .or_else(|| (!references.is_empty()).then_some(target.integrated_lufs.p50))
        .unwrap_or(job.default_target_lufs)
        .clamp(job.target_range_lufs.0, job.target_range_lufs.1);
    let goal = Goal {
        target_lufs,
        ceiling_dbtp: base.ceiling_dbtp,
    };
    let mut decision = decide_with(direction, &target, &goal, &job.fix);
    let solution = if job.fixed_drive {
        decision.loudness.drive_db = Some(base.drive_db);
        None
    } else {
        let solution = solve_loudness_from(
            &mut decision,
            &features,
            audio,
            job.amounts,
            base,
            job.drive_range_db,
            job.max_gain_reduction_db,
        )
        .map_err(|e| match e {
            lacquer_core::meter::analysis::AnalysisError::Read(e) => CliError::new(e),
            e => CliError::new(format!("cannot measure a trial render: {e}")),
        })?;
        Some(solution)
    };
    let settings = apply(&decision, job.amounts, base);
    let mut explanations = explain(&decision, &settings);
    if let Some(album) = &job.album {
        explanations.insert(0, album.note.clone());
    }
    Ok(Assisted {
        features,
        family_weights,
        references,
        target,
        goal,
        decision,
        settings,
        solution,
        explanations,
    })
}
