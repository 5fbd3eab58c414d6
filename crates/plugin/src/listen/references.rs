//! Reference tracks in the plugin (issue #14 item 7): files added on the Assistant page are
//! decoded and analysed on the background executor by the CLI's own code
//! ([`lacquer_decode::reference::analyse_reference`]); while any is loaded, Listen decides
//! against the target made from them ([`profile_from_references`], as `lacquer master
//! --reference`) instead of the genre family.
//!
//! The project keeps each reference's analysis (its [`TrackFeatures`]) with its path, name and
//! weight, in the persisted field `references` ([`SavedReference`]): a project reopens with the
//! same target even when the file has gone, and Listen never reads a reference file again.
//!
//! Weights: a new reference gets 100 %, so references are weighted equally unless the user
//! moves their sliders (the CLI's default `--weight` is 1 for each); the weights are normalised
//! to sum to 1 as the CLI's are. A reference at 0 % is left out of the target (kept in the
//! list); with every reference at 0 % the family target is used.

use crate::assistant::profile::{TargetProfile, TrackFeatures};
use crate::assistant::targets::profile_from_references;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Weight a newly added reference gets, percent.
pub const DEFAULT_WEIGHT_PCT: f32 = 100.0;

/// One reference as the project saves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedReference {
    /// The file's path when it was added (shown; never read again).
    pub path: String,
    /// Its file name, as the list shows it.
    pub name: String,
    /// Its weight, percent (0..100).
    pub weight_pct: f32,
    /// Its analysis, what the target is made from.
    pub features: TrackFeatures,
}

impl SavedReference {
    /// A reference analysed from `path`, at the default weight.
    pub fn new(path: &Path, features: TrackFeatures) -> Self {
        Self {
            path: path.display().to_string(),
            name: path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
            weight_pct: DEFAULT_WEIGHT_PCT,
            features,
        }
    }

    /// Whether every number of the saved analysis is finite and its loudness defined (what
    /// [`TrackAnalyzer`](crate::assistant::analysis::TrackAnalyzer) gives for music); a saved
    /// reference without this is dropped when the project loads.
    pub fn is_sound(&self) -> bool {
        let f = &self.features;
        let optional = [
            f.integrated_lufs,
            f.loudness_range_lu,
            f.plr_db,
            f.true_peak_dbtp,
        ];
        f.integrated_lufs.is_some()
            && optional.iter().flatten().all(|v| v.is_finite())
            && f.mid_db
                .iter()
                .chain(&f.side_db)
                .chain(&f.side_to_mid_db)
                .chain([&f.low_end_side_to_mid_db, &f.percussiveness, &f.duration_s])
                .all(|v| v.is_finite())
    }
}

/// The references the target is made from (weight above 0) with their weights, percent.
pub fn weighted(references: &[SavedReference]) -> Vec<(TrackFeatures, f32)> {
    references
        .iter()
        .filter(|r| r.weight_pct > 0.0)
        .map(|r| (r.features.clone(), r.weight_pct))
        .collect()
}

/// The target Listen decides against with these references, `None` when none has a weight
/// (the family target is used then).
pub fn reference_target(references: &[SavedReference]) -> Option<TargetProfile> {
    let weighted = weighted(references);
    (!weighted.is_empty()).then(|| profile_from_references(&weighted))
}

/// Each used reference's name and share of the target (0..1, summing to 1), in list order.
pub fn shares(references: &[SavedReference]) -> Vec<(String, f32)> {
    let total: f32 = references.iter().map(|r| r.weight_pct.max(0.0)).sum();
    references
        .iter()
        .filter(|r| r.weight_pct > 0.0 && total > 0.0)
        .map(|r| (r.name.clone(), r.weight_pct / total))
        .collect()
}

/// The sentence that opens the explanations when references set the target.
pub fn target_sentence(references: &[SavedReference], goal_lufs: f32) -> String {
    let used: Vec<&SavedReference> = references.iter().filter(|r| r.weight_pct > 0.0).collect();
    let total: f32 = used.iter().map(|r| r.weight_pct).sum();
    let mean_lufs = used
        .iter()
        .filter_map(|r| r.features.integrated_lufs.map(|l| l * r.weight_pct))
        .sum::<f32>()
        / total.max(f32::MIN_POSITIVE);
    let list = shares(references)
        .iter()
        .map(|(name, share)| format!("{name} {:.0} %", share * 100.0))
        .collect::<Vec<_>>()
        .join(", ");
    let count = if used.len() == 1 {
        "1 reference track".to_string()
    } else {
        format!("{} reference tracks", used.len())
    };
    format!(
        "Target: {count} instead of the genre family ({list}); the references play at \
         {mean_lufs:.1} LUFS, the loudness goal stays the Target Loudness ({goal_lufs:.1} LUFS)"
    )
}

#[cfg(test)]
mod tests;
