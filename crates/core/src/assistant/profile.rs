//! The data the assistant's analysis produces and its decisions consume: the features of one
//! track ([`TrackFeatures`]) and a tonal-balance target ([`TargetProfile`]), both over the same
//! 1/3-octave bands. Plain data, serialisable, so targets can be committed as JSON in
//! `assets/targets/` and features can be written to reports.

use serde::{Deserialize, Serialize};

/// Number of 1/3-octave bands, nominal centres 20 Hz to 20 kHz (IEC 61260 base-10 series,
/// band k has exact centre 1000 * 10^((k - 17) / 10) Hz).
pub const NUM_BANDS: usize = 31;

/// Exact (base-10) centre frequency of band `k`, Hz (IEC 61260-1: f_m = 1000 * 10^(x/10)).
pub fn band_centre_hz(band: usize) -> f32 {
    1000.0 * 10f32.powf((band as f32 - 17.0) / 10.0)
}

/// True for the bands from 31.5 Hz to 16 kHz, where music has energy and long-term estimates
/// are reliable; the assistant weights the bands outside (20, 25 Hz and 20 kHz) little or not
/// at all.
pub fn is_core_band(band: usize) -> bool {
    (30.0..=17_000.0).contains(&band_centre_hz(band))
}

/// Lower and upper band edges of band `k`, Hz (centre times 10^(-/+1/20)).
pub fn band_edges_hz(band: usize) -> (f32, f32) {
    let centre = band_centre_hz(band);
    let half = 10f32.powf(0.05);
    (centre / half, centre * half)
}

/// Everything the assistant measures on one track (a file, or >= 30 s captured in the plugin).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackFeatures {
    /// Gated integrated loudness, LUFS (BS.1770-4); `None` for silence.
    pub integrated_lufs: Option<f32>,
    /// Loudness range, LU (EBU Tech 3342); `None` when undefined.
    pub loudness_range_lu: Option<f32>,
    /// Peak-to-loudness ratio: true peak minus integrated loudness, dB; `None` for silence.
    pub plr_db: Option<f32>,
    /// True peak, dBTP; `None` for silence.
    pub true_peak_dbtp: Option<f32>,
    /// Long-term mid spectrum per 1/3-octave band, dB, summed over the 3 s windows within
    /// 10 LU of the loudest half's energy mean (each by its energy) and level-normalised: the
    /// band powers weighted by the BS.1770 K-weighting at each band centre sum to 0 dB (a
    /// loudness-like sum, so loud bands set the level), so two tracks at different levels
    /// compare by shape only. Silent bands sit at -100 dB.
    pub mid_db: [f32; NUM_BANDS],
    /// Long-term side spectrum per band, dB, normalised by the same offset as `mid_db`.
    pub side_db: [f32; NUM_BANDS],
    /// Side minus mid per band, dB (`side_db - mid_db`): the width of each band.
    pub side_to_mid_db: [f32; NUM_BANDS],
    /// How mono the low end is: side-to-mid energy ratio below 120 Hz, dB (very negative is
    /// mono).
    pub low_end_side_to_mid_db: f32,
    /// How percussive the track is: a transient measure documented where it is computed, 0..1.
    pub percussiveness: f32,
    /// Length analysed, seconds.
    pub duration_s: f32,
}

/// Power mean of dB values, weighted.
fn power_mean_db(values: impl Iterator<Item = (f32, f32)>) -> f32 {
    let (sum, weights) = values.fold((0.0f64, 0.0f64), |(s, w), (db, weight)| {
        (
            s + f64::from(weight) * 10f64.powf(f64::from(db) / 10.0),
            w + f64::from(weight),
        )
    });
    if sum > 0.0 && weights > 0.0 {
        (10.0 * (sum / weights).log10()) as f32
    } else {
        -100.0
    }
}

/// The features of several tracks heard as one record (album mode): spectra, low-end width
/// and the loudness are power means weighted by each track's length (the spectra are each
/// level-normalised, so every track counts by its length, not its level); loudness range,
/// PLR and percussiveness are length-weighted means; the true peak is the highest; the length
/// is the sum. Silent tracks (no integrated loudness) are left out; `None` if all are.
pub fn album_features(tracks: &[TrackFeatures]) -> Option<TrackFeatures> {
    let heard: Vec<&TrackFeatures> = tracks
        .iter()
        .filter(|t| t.integrated_lufs.is_some() && t.duration_s > 0.0)
        .collect();
    let total: f32 = heard.iter().map(|t| t.duration_s).sum();
    if heard.is_empty() || total <= 0.0 {
        return None;
    }
    let mean = |value: &dyn Fn(&TrackFeatures) -> Option<f32>| -> Option<f32> {
        let (sum, w) = heard
            .iter()
            .filter_map(|t| value(t).map(|v| (v * t.duration_s, t.duration_s)))
            .fold((0.0, 0.0), |(s, w), (v, d)| (s + v, w + d));
        (w > 0.0).then(|| sum / w)
    };
    let spectrum = |pick: &dyn Fn(&TrackFeatures) -> &[f32; NUM_BANDS]| -> [f32; NUM_BANDS] {
        std::array::from_fn(|k| power_mean_db(heard.iter().map(|t| (pick(t)[k], t.duration_s))))
    };
    let mid_db = spectrum(&|t| &t.mid_db);
    let side_db = spectrum(&|t| &t.side_db);
    Some(TrackFeatures {
        integrated_lufs: Some(power_mean_db(
            heard
                .iter()
                .filter_map(|t| t.integrated_lufs.map(|l| (l, t.duration_s))),
        )),
        loudness_range_lu: mean(&|t| t.loudness_range_lu),
        plr_db: mean(&|t| t.plr_db),
        true_peak_dbtp: heard
            .iter()
            .filter_map(|t| t.true_peak_dbtp)
            .reduce(f32::max),
        mid_db,
        side_db,
        side_to_mid_db: std::array::from_fn(|k| side_db[k] - mid_db[k]),
        low_end_side_to_mid_db: power_mean_db(
            heard
                .iter()
                .map(|t| (t.low_end_side_to_mid_db, t.duration_s)),
        ),
        percussiveness: mean(&|t| Some(t.percussiveness)).unwrap_or(0.0),
        duration_s: total,
    })
}

/// Level under which a band counts as empty when two balances are compared, dB (the spectra
/// are loudness-normalised, so 60 dB under the music).
const DEPARTURE_FLOOR_DB: f32 = -60.0;

/// How far a track's tonal shape departs from another's (or the album's), dB: the RMS over
/// the core bands where either has content of the mid-spectrum difference, each floored at
/// 60 dB under the music (a band one of them lacks counts, up to that), less its mean (a level
/// offset is not a tonal difference).
pub fn spectral_departure_db(track: &TrackFeatures, album: &TrackFeatures) -> f32 {
    let floor = |v: f32| v.max(DEPARTURE_FLOOR_DB);
    let diffs: Vec<f32> = (0..NUM_BANDS)
        .filter(|&k| {
            is_core_band(k)
                && (track.mid_db[k] > DEPARTURE_FLOOR_DB || album.mid_db[k] > DEPARTURE_FLOOR_DB)
        })
        .map(|k| floor(track.mid_db[k]) - floor(album.mid_db[k]))
        .collect();
    if diffs.is_empty() {
        return 0.0;
    }
    let mean = diffs.iter().sum::<f32>() / diffs.len() as f32;
    (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f32>() / diffs.len() as f32).sqrt()
}

/// Distribution of one quantity over the masters a target was made from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// 10th percentile.
    pub p10: f32,
    /// Median.
    pub p50: f32,
    /// 90th percentile.
    pub p90: f32,
}

/// What a target stands for, which decides how strictly it is followed: a family's range of
/// good masters is followed only where a track departs grossly from it (character is left
/// alone), a reference the user chose is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A family of masters (or a blend of families): a range, not a curve to match.
    #[default]
    Family,
    /// The user's reference track(s): matched.
    Reference,
}

/// A tonal-balance and dynamics target for one family of music (e.g. "modern", "bass-heavy",
/// "acoustic"), derived from real masters by `cargo xtask derive-targets DIR`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetProfile {
    /// Family or reference (not stored in the family files: every stored profile is a family).
    #[serde(skip)]
    pub kind: TargetKind,
    /// Family id, lower-case, used by `--family`.
    pub name: String,
    /// One line saying what the family is and what it was made from.
    pub description: String,
    /// Number of masters the profile was derived from.
    pub num_tracks: usize,
    /// Level-normalised mid spectrum per band, dB (same normalisation as
    /// [`TrackFeatures::mid_db`]).
    pub mid_db: Vec<Percentiles>,
    /// Side minus mid per band, dB.
    pub side_to_mid_db: Vec<Percentiles>,
    /// Integrated loudness of the masters, LUFS.
    pub integrated_lufs: Percentiles,
    /// Peak-to-loudness ratio, dB.
    pub plr_db: Percentiles,
    /// Loudness range, LU.
    pub loudness_range_lu: Percentiles,
    /// Mean of the features the family classifier uses (documented where it is used).
    pub centroid: Vec<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(level_db: f32, tilt_db_per_band: f32, seconds: f32) -> TrackFeatures {
        let mid_db = std::array::from_fn(|k| -20.0 + tilt_db_per_band * (k as f32 - 15.0));
        let side_db = std::array::from_fn(|k| mid_db[k] - 10.0);
        TrackFeatures {
            integrated_lufs: Some(level_db),
            loudness_range_lu: Some(6.0),
            plr_db: Some(10.0),
            true_peak_dbtp: Some(level_db + 10.0),
            mid_db,
            side_db,
            side_to_mid_db: [-10.0; NUM_BANDS],
            low_end_side_to_mid_db: -20.0,
            percussiveness: 0.5,
            duration_s: seconds,
        }
    }

    #[test]
    fn album_features_weigh_tracks_by_length_and_keep_the_loudest_peak() {
        let (a, b) = (track(-10.0, 0.0, 300.0), track(-20.0, 0.0, 100.0));
        let album = album_features(&[a.clone(), b, track(-30.0, 0.0, 0.0)]).unwrap();
        assert_eq!(album.duration_s, 400.0);
        assert_eq!(album.true_peak_dbtp, Some(0.0));
        // Power mean of -10 (3/4 of the time) and -20 (1/4): 10 log10(0.75 + 0.025) - 10.
        let want = 10.0 * (0.75f32 * 0.1 + 0.25 * 0.01).log10();
        assert!((album.integrated_lufs.unwrap() - want).abs() < 1e-3);
        assert!(
            (album.mid_db[3] - a.mid_db[3]).abs() < 1e-3,
            "same shapes, same album shape"
        );
        assert!((album.side_to_mid_db[3] + 10.0).abs() < 1e-3);
        assert_eq!(album_features(&[]), None);
    }

    #[test]
    fn departure_ignores_level_and_measures_shape() {
        let album = track(-14.0, 0.0, 200.0);
        let mut louder = track(-14.0, 0.0, 100.0);
        for v in &mut louder.mid_db {
            *v += 6.0;
        }
        assert!(spectral_departure_db(&louder, &album) < 1e-3);
        let tilted = track(-14.0, 0.5, 100.0);
        let d = spectral_departure_db(&tilted, &album);
        // A 0.5 dB-per-band tilt over the core bands (about 27 of them) has an RMS of ~4 dB.
        assert!((3.0..5.0).contains(&d), "{d}");
    }
}
