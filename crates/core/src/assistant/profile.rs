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
