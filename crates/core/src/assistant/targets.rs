//! Target profiles: making them from analysed masters ([`profile_from_tracks`], used by
//! `cargo xtask derive-targets`), from the user's references ([`profile_from_references`]),
//! mixing them ([`blend`]) and choosing among them automatically ([`family_weights`]), by the
//! classifier features of [`classifier_features`]. The built-in families ([`families`]) are
//! the JSON files in `assets/targets/`, embedded at compile time; `assets/targets/README.md`
//! says how they were made and from what.

use super::profile::{NUM_BANDS, Percentiles, TargetKind, TargetProfile, TrackFeatures};
use std::sync::OnceLock;

/// Bands per tonal group of the classifier (10 groups of 3 bands: 20-32 Hz, 40-63 Hz, ...,
/// 10-16 kHz; the 20 kHz band is left out, it is empty at 32 kHz and in many lossy files).
pub const CLASSIFIER_BANDS_PER_GROUP: usize = 3;

/// Number of tonal groups in the classifier features.
pub const CLASSIFIER_NUM_GROUPS: usize = 10;

/// Unit of the dB-valued classifier features, dB: a 3 dB difference counts 1. About the
/// spread of one family's band levels (the 10th to 90th percentile of a band spans 4 to 8 dB),
/// so "one unit" is "about one family's typical deviation".
pub const CLASSIFIER_DB_UNIT: f32 = 3.0;

/// Unit of percussiveness in the classifier features (0..1 scale): 0.1 counts 1.
pub const CLASSIFIER_PERCUSSIVENESS_UNIT: f32 = 0.1;

/// Softness of the automatic family blend, in classifier units (RMS per feature): see
/// [`family_weights`].
pub const BLEND_SOFTNESS: f32 = 0.5;

/// Half-width of the percentile band a reference gives (p10 and p90 are the reference +/-
/// this, plus the references' spread), dB: small, so the decisions move a track to the
/// reference, but not so small that estimation noise of the long-term spectrum (about 0.1-0.2
/// dB in the mids, more in the lowest bands) turns into EQ moves.
pub const REFERENCE_TOLERANCE_DB: f32 = 0.25;

/// Name of a profile made from references ([`profile_from_references`]); no family has it.
pub const REFERENCE_PROFILE_NAME: &str = "reference";

/// The features the family classifier compares, each scaled to comparable units:
///
/// - 10 tonal groups: the mean of `mid_db` over 3 adjacent bands, minus the mean over all 30
///   bands (the shape, not the normalisation), in units of [`CLASSIFIER_DB_UNIT`];
/// - the mean side-to-mid ratio over 100 Hz to 10 kHz (bands 7..=27), same unit (width);
/// - the low-end side-to-mid ratio, same unit, clamped to -30 dB (below that a low end is
///   simply mono, how far below is noise);
/// - PLR (dB) and LRA (LU), same unit (dynamics; 12 dB and 6 LU when undefined);
/// - percussiveness in units of [`CLASSIFIER_PERCUSSIVENESS_UNIT`].
pub fn classifier_features(track: &TrackFeatures) -> Vec<f32> {
    let used = CLASSIFIER_BANDS_PER_GROUP * CLASSIFIER_NUM_GROUPS;
    let overall = track.mid_db[..used].iter().sum::<f32>() / used as f32;
    let mut out: Vec<f32> = track.mid_db[..used]
        .chunks(CLASSIFIER_BANDS_PER_GROUP)
        .map(|g| (g.iter().sum::<f32>() / g.len() as f32 - overall) / CLASSIFIER_DB_UNIT)
        .collect();
    let width = &track.side_to_mid_db[7..=27];
    out.push(width.iter().sum::<f32>() / width.len() as f32 / CLASSIFIER_DB_UNIT);
    out.push(track.low_end_side_to_mid_db.max(-30.0) / CLASSIFIER_DB_UNIT);
    out.push(track.plr_db.unwrap_or(12.0) / CLASSIFIER_DB_UNIT);
    out.push(track.loudness_range_lu.unwrap_or(6.0) / CLASSIFIER_DB_UNIT);
    out.push(track.percussiveness / CLASSIFIER_PERCUSSIVENESS_UNIT);
    out
}

/// RMS distance between two feature vectors, in classifier units (0 for different lengths'
/// missing entries: only the common part counts).
pub fn feature_distance(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len()).max(1);
    let sum: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
    (sum / n as f32).sqrt()
}

/// Percentile `q` (0..1) of `values` by linear interpolation between order statistics
/// (Hyndman & Fan 1996, definition 7, the default of R and NumPy). `NaN` for no values.
pub fn percentile(values: &[f32], q: f32) -> f32 {
    let mut sorted: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if sorted.is_empty() {
        return f32::NAN;
    }
    sorted.sort_by(f32::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f32;
    let lo = pos.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (pos - lo as f32) * (sorted[hi] - sorted[lo])
}

/// 10th, 50th and 90th percentile of `values`.
pub fn percentiles(values: &[f32]) -> Percentiles {
    Percentiles {
        p10: percentile(values, 0.1),
        p50: percentile(values, 0.5),
        p90: percentile(values, 0.9),
    }
}

/// A family profile from the analysed masters of that family: per-band percentiles of the mid
/// spectrum and the side-to-mid ratio, loudness/PLR/LRA percentiles (over the tracks where
/// they are defined) and the mean of their [`classifier_features`] as the centroid.
pub fn profile_from_tracks(
    name: &str,
    description: &str,
    tracks: &[TrackFeatures],
) -> TargetProfile {
    let per_band = |get: &dyn Fn(&TrackFeatures, usize) -> f32| -> Vec<Percentiles> {
        (0..NUM_BANDS)
            .map(|k| percentiles(&tracks.iter().map(|t| get(t, k)).collect::<Vec<_>>()))
            .collect()
    };
    let of = |get: &dyn Fn(&TrackFeatures) -> Option<f32>| {
        percentiles(&tracks.iter().filter_map(get).collect::<Vec<_>>())
    };
    let features: Vec<Vec<f32>> = tracks.iter().map(classifier_features).collect();
    TargetProfile {
        kind: TargetKind::Family,
        name: name.into(),
        description: description.into(),
        num_tracks: tracks.len(),
        mid_db: per_band(&|t, k| t.mid_db[k]),
        side_to_mid_db: per_band(&|t, k| t.side_to_mid_db[k]),
        integrated_lufs: of(&|t| t.integrated_lufs),
        plr_db: of(&|t| t.plr_db),
        loudness_range_lu: of(&|t| t.loudness_range_lu),
        centroid: mean_vectors(features.iter().map(|f| (f.as_slice(), 1.0))),
    }
}

/// Weighted mean of vectors (the length of the shortest); empty for no vectors.
fn mean_vectors<'a>(items: impl Iterator<Item = (&'a [f32], f32)> + Clone) -> Vec<f32> {
    let len = items.clone().map(|(v, _)| v.len()).min().unwrap_or(0);
    let total: f32 = items.clone().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    (0..len)
        .map(|i| items.clone().map(|(v, w)| v[i] * w).sum::<f32>() / total)
        .collect()
}

/// Weights made usable: negative or non-finite ones count 0; if none is positive, all count
/// equally; the result sums to 1.
fn normalised_weights(weights: impl Iterator<Item = f32>) -> Vec<f32> {
    let clean: Vec<f32> = weights
        .map(|w| if w.is_finite() && w > 0.0 { w } else { 0.0 })
        .collect();
    let total: f32 = clean.iter().sum();
    if total > 0.0 {
        clean.iter().map(|w| w / total).collect()
    } else {
        vec![1.0 / clean.len().max(1) as f32; clean.len()]
    }
}

/// Mixes profiles with the given weights (normalised to sum 1): every percentile, the loudness
/// statistics and the centroid are the weighted means of the profiles'. The name joins the
/// names of the profiles with a weight (`"modern+bass-heavy"`), the description gives the
/// weights in percent. An empty list gives a flat profile named `"flat"`.
pub fn blend(profiles: &[(&TargetProfile, f32)]) -> TargetProfile {
    let weights = normalised_weights(profiles.iter().map(|(_, w)| *w));
    let used: Vec<(&TargetProfile, f32)> = profiles
        .iter()
        .zip(&weights)
        .filter(|(_, w)| **w > 0.0)
        .map(|((p, _), w)| (*p, *w))
        .collect();
    let mix = |get: &dyn Fn(&TargetProfile) -> Percentiles| -> Percentiles {
        let mut out = Percentiles {
            p10: 0.0,
            p50: 0.0,
            p90: 0.0,
        };
        for (p, w) in &used {
            let v = get(p);
            out.p10 += w * v.p10;
            out.p50 += w * v.p50;
            out.p90 += w * v.p90;
        }
        out
    };
    let band = |list: &[Percentiles], k: usize| {
        list.get(k).copied().unwrap_or(Percentiles {
            p10: 0.0,
            p50: 0.0,
            p90: 0.0,
        })
    };
    let names: Vec<&str> = used.iter().map(|(p, _)| p.name.as_str()).collect();
    let shares: Vec<String> = used
        .iter()
        .map(|(p, w)| format!("{} {:.0} %", p.name, 100.0 * w))
        .collect();
    TargetProfile {
        kind: TargetKind::Family,
        name: if names.is_empty() {
            "flat".into()
        } else {
            names.join("+")
        },
        description: format!("Blend of {}", shares.join(", ")),
        num_tracks: used.iter().map(|(p, _)| p.num_tracks).sum(),
        mid_db: (0..NUM_BANDS)
            .map(|k| mix(&|p| band(&p.mid_db, k)))
            .collect(),
        side_to_mid_db: (0..NUM_BANDS)
            .map(|k| mix(&|p| band(&p.side_to_mid_db, k)))
            .collect(),
        integrated_lufs: mix(&|p| p.integrated_lufs),
        plr_db: mix(&|p| p.plr_db),
        loudness_range_lu: mix(&|p| p.loudness_range_lu),
        centroid: mean_vectors(used.iter().map(|(p, w)| (p.centroid.as_slice(), *w))),
    }
}

/// Reference mode: a target made from one or more analysed reference tracks with a weight each
/// (normalised to sum 1). For every band the median is the weighted mean of the references'
/// levels (dB) and p10/p90 lie [`REFERENCE_TOLERANCE_DB`] plus the references' weighted
/// standard deviation below and above it (one reference: exactly +/- the tolerance; references
/// that disagree leave a wider band where the decisions do not move). Loudness, PLR and LRA:
/// weighted mean +/- weighted standard deviation, so one reference's own loudness becomes the
/// loudness target. References without a defined loudness are left out of those statistics.
pub fn profile_from_references(references: &[(TrackFeatures, f32)]) -> TargetProfile {
    let weights = normalised_weights(references.iter().map(|(_, w)| *w));
    let spread = |values: &[(f32, f32)], tolerance: f32| -> Percentiles {
        let total: f32 = values.iter().map(|(_, w)| w).sum();
        if values.is_empty() || total <= 0.0 {
            return Percentiles {
                p10: f32::NAN,
                p50: f32::NAN,
                p90: f32::NAN,
            };
        }
        let mean = values.iter().map(|(v, w)| v * w).sum::<f32>() / total;
        let var = values
            .iter()
            .map(|(v, w)| w * (v - mean) * (v - mean))
            .sum::<f32>()
            / total;
        let half = tolerance + var.sqrt();
        Percentiles {
            p10: mean - half,
            p50: mean,
            p90: mean + half,
        }
    };
    let per_band = |get: &dyn Fn(&TrackFeatures, usize) -> f32| -> Vec<Percentiles> {
        (0..NUM_BANDS)
            .map(|k| {
                let values: Vec<(f32, f32)> = references
                    .iter()
                    .zip(&weights)
                    .map(|((t, _), &w)| (get(t, k), w))
                    .collect();
                spread(&values, REFERENCE_TOLERANCE_DB)
            })
            .collect()
    };
    let scalar = |get: &dyn Fn(&TrackFeatures) -> Option<f32>| {
        let values: Vec<(f32, f32)> = references
            .iter()
            .zip(&weights)
            .filter_map(|((t, _), &w)| get(t).map(|v| (v, w)))
            .collect();
        spread(&values, 0.0)
    };
    let features: Vec<Vec<f32>> = references
        .iter()
        .map(|(t, _)| classifier_features(t))
        .collect();
    TargetProfile {
        kind: TargetKind::Reference,
        name: REFERENCE_PROFILE_NAME.into(),
        description: format!("{} reference track(s), weighted", references.len()),
        num_tracks: references.len(),
        mid_db: per_band(&|t, k| t.mid_db[k]),
        side_to_mid_db: per_band(&|t, k| t.side_to_mid_db[k]),
        integrated_lufs: scalar(&|t| t.integrated_lufs),
        plr_db: scalar(&|t| t.plr_db),
        loudness_range_lu: scalar(&|t| t.loudness_range_lu),
        centroid: mean_vectors(
            features
                .iter()
                .zip(&weights)
                .map(|(f, w)| (f.as_slice(), *w)),
        ),
    }
}

/// The committed family profiles (`assets/targets/*.json`, made by `cargo xtask
/// derive-targets`), in a fixed order.
const FAMILY_JSON: [&str; 3] = [
    include_str!("../../../../assets/targets/modern.json"),
    include_str!("../../../../assets/targets/bass-heavy.json"),
    include_str!("../../../../assets/targets/acoustic.json"),
];

/// The built-in family profiles, parsed once (a file that fails to parse is left out; a unit
/// test makes sure none does).
pub fn families() -> &'static [TargetProfile] {
    static FAMILIES: OnceLock<Vec<TargetProfile>> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        FAMILY_JSON
            .iter()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect()
    })
}

/// The built-in family called `name` (case-insensitive), for `--family NAME`.
pub fn family(name: &str) -> Option<&'static TargetProfile> {
    families()
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Automatic family choice: a soft nearest-profile blend. With d_i the RMS distance (in
/// classifier units, see [`classifier_features`]) from the track to family i's centroid, the
/// weight is w_i = exp(-(d_i^2 - d_min^2) / (2 s^2)) normalised to sum 1, s =
/// [`BLEND_SOFTNESS`]: a Gaussian kernel around each centroid, so the nearest family always
/// leads, a family half a unit further away (s) gets about 60 % of the nearest one's weight
/// when both are near, and far families fade out. Returned in the order of [`families`], as
/// (name, weight) pairs for display and for [`blend`].
pub fn family_weights(track: &TrackFeatures) -> Vec<(String, f32)> {
    let features = classifier_features(track);
    let distances: Vec<f32> = families()
        .iter()
        .map(|p| feature_distance(&features, &p.centroid))
        .collect();
    let nearest = distances.iter().copied().fold(f32::INFINITY, f32::min);
    let raw: Vec<f32> = distances
        .iter()
        .map(|d| (-(d * d - nearest * nearest) / (2.0 * BLEND_SOFTNESS * BLEND_SOFTNESS)).exp())
        .collect();
    let weights = normalised_weights(raw.into_iter());
    families()
        .iter()
        .zip(weights)
        .map(|(p, w)| (p.name.clone(), w))
        .collect()
}

/// The automatic target for a track: the families blended by [`family_weights`].
pub fn automatic_profile(track: &TrackFeatures) -> TargetProfile {
    let weights = family_weights(track);
    let pairs: Vec<(&TargetProfile, f32)> = families()
        .iter()
        .zip(&weights)
        .map(|(p, (_, w))| (p, *w))
        .collect();
    blend(&pairs)
}

/// The family target for a track without references: the family called `name` (weight 1), or
/// for `None` the automatic blend with its weights. Shared by the CLI (`--family`) and the
/// plugin (the "Family" parameter). An unknown name is an error that lists the known ones.
pub fn family_target(
    track: &TrackFeatures,
    name: Option<&str>,
) -> Result<(TargetProfile, Vec<(String, f32)>), String> {
    match name {
        Some(name) => match family(name) {
            Some(p) => Ok((p.clone(), vec![(p.name.clone(), 1.0)])),
            None => {
                let names: Vec<&str> = families().iter().map(|p| p.name.as_str()).collect();
                Err(format!(
                    "unknown family '{name}'; use auto or one of: {}",
                    names.join(", ")
                ))
            }
        },
        None => Ok((automatic_profile(track), family_weights(track))),
    }
}

#[cfg(test)]
mod tests;
