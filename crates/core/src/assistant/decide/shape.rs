//! Telling a localized problem from a track's character, for a family target.
//!
//! A family's 10th..90th percentile per band mixes two kinds of difference between masters:
//! their broad balance (darker, brighter, more or less bass: character, which never-harm
//! forbids moving) and local bumps and dips (a muddy 250 Hz, a harsh 3 kHz: the problems
//! mastering EQ is for). [`follow_broad_balance`] bends the family's interval to follow the
//! track's broad balance, the track's deviation from the family median smoothed over
//! +/- [`TREND_HALF_WIDTH_BANDS`] 1/3-octave bands (a triangular kernel, +/- 2 octaves), so
//! that only what sticks out of the track's own broad shape by more than the family's spread
//! and margin counts as off target. A bell of Q 1 (about 1.4 octaves between its half-gain
//! points) keeps about two thirds of its height over such a trend; a shelf or a tilt over
//! several octaves is mostly absorbed by it.

use super::fit::weight;
use crate::assistant::profile::{NUM_BANDS, band_centre_hz};

/// Half-width of the triangular kernel that gives the broad balance, 1/3-octave bands
/// (6 bands = 2 octaves either side).
pub const TREND_HALF_WIDTH_BANDS: usize = 6;

/// The track's broad deviation from `median_db`, dB per band: `track_db - median_db`
/// smoothed by a triangular kernel of half-width [`TREND_HALF_WIDTH_BANDS`] (weights
/// `H + 1 - |j|`), each band also weighted by its reliability, renormalised at the ends.
pub fn broad_deviation_db(
    track_db: &[f32; NUM_BANDS],
    median_db: &[f32; NUM_BANDS],
) -> [f32; NUM_BANDS] {
    let h = TREND_HALF_WIDTH_BANDS as isize;
    std::array::from_fn(|k| {
        let (mut sum, mut total) = (0.0f64, 0.0f64);
        for j in -h..=h {
            let i = k as isize + j;
            if !(0..NUM_BANDS as isize).contains(&i) {
                continue;
            }
            let i = i as usize;
            let w = (h + 1 - j.abs()) as f64 * weight(i);
            let d = f64::from(track_db[i] - median_db[i]);
            if d.is_finite() {
                sum += w * d;
                total += w;
            }
        }
        if total > 0.0 {
            (sum / total) as f32
        } else {
            0.0
        }
    })
}

/// Shifts a family interval (`lower_db`, `upper_db`, `median_db`, per band) by the track's
/// broad deviation ([`broad_deviation_db`]), so the fit compares the track with the family's
/// shape bent to the track's own broad balance.
pub fn follow_broad_balance(
    track_db: &[f32; NUM_BANDS],
    lower_db: &mut [f32; NUM_BANDS],
    upper_db: &mut [f32; NUM_BANDS],
    median_db: &mut [f32; NUM_BANDS],
) {
    let shift = broad_deviation_db(track_db, median_db);
    for k in 0..NUM_BANDS {
        lower_db[k] += shift[k];
        upper_db[k] += shift[k];
        median_db[k] += shift[k];
    }
}

/// Fall between two neighbouring 1/3-octave bands (relative to the target) that marks the edge
/// of a track's content, dB: a low-pass or high-pass (a band-limited source, a codec's
/// low-pass) drops this much within a third of an octave; a dark or thin balance, or any EQ
/// a mix gets (shelves fall at most about 3 dB per third), does not.
pub const CLIFF_DB: f32 = 8.0;

/// Lowest band centre where a high cut is looked for, and highest for a low cut, Hz.
const HIGH_CLIFF_FROM_HZ: f32 = 5_000.0;
const LOW_CLIFF_UP_TO_HZ: f32 = 60.0;

/// The bands that hold the track's content, first..=last: everything beyond a cliff (a fall
/// of [`CLIFF_DB`] from one band to the next, relative to `median_db`, with every band further
/// out at least that far below the last band before it) is outside. No EQ can restore what a
/// low-pass removed, so the fit must neither boost towards it nor let it bend the trend.
pub fn content_bands(
    track_db: &[f32; NUM_BANDS],
    median_db: &[f32; NUM_BANDS],
) -> std::ops::RangeInclusive<usize> {
    let dev: [f32; NUM_BANDS] = std::array::from_fn(|k| track_db[k] - median_db[k]);
    let mut last = NUM_BANDS - 1;
    for k in (1..NUM_BANDS).rev() {
        if band_centre_hz(k) < HIGH_CLIFF_FROM_HZ {
            break;
        }
        let edge = dev[k - 1];
        if edge - dev[k] >= CLIFF_DB && dev[k..].iter().all(|&d| d <= edge - CLIFF_DB) {
            last = k - 1;
        }
    }
    let mut first = 0;
    for k in 0..NUM_BANDS - 1 {
        if band_centre_hz(k) > LOW_CLIFF_UP_TO_HZ {
            break;
        }
        let edge = dev[k + 1];
        if edge - dev[k] >= CLIFF_DB && dev[..=k].iter().all(|&d| d <= edge - CLIFF_DB) {
            first = k + 1;
        }
    }
    first..=last
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_low_pass_cliff_ends_the_content_and_a_dull_shelf_does_not() {
        let median = [-20.0f32; NUM_BANDS];
        // A low-pass above 7.9 kHz: 12 dB down per third from band 27 (10 kHz) on.
        let mut track = median;
        for (k, t) in track.iter_mut().enumerate().skip(27) {
            *t -= 12.0 * (k - 26) as f32;
        }
        assert_eq!(content_bands(&track, &median), 0..=26);
        // A 6 dB dull shelf (the steepest fall it has is under 3 dB per third): all content.
        let mut dull = median;
        for (k, t) in dull.iter_mut().enumerate() {
            let oct = (band_centre_hz(k) / 5_000.0).log2();
            *t -= 6.0 / (1.0 + (-3.0 * oct).exp());
        }
        assert_eq!(content_bands(&dull, &median), 0..=NUM_BANDS - 1);
        // A sub-bass high-pass: the two lowest bands 10 and 20 dB down.
        let mut hp = median;
        hp[1] -= 10.0;
        hp[0] -= 20.0;
        assert_eq!(content_bands(&hp, &median), 2..=NUM_BANDS - 1);
        // A dip that comes back up is not a cliff.
        let mut notch = median;
        notch[28] -= 12.0;
        assert_eq!(content_bands(&notch, &median), 0..=NUM_BANDS - 1);
    }

    #[test]
    fn a_uniform_offset_or_a_straight_tilt_is_followed_exactly() {
        // The kernel is symmetric, so a constant or a linear function of the band index
        // passes through unchanged where the whole window has weight 1 (bands 8..=23: the
        // window then spans 31.5 Hz..16 kHz).
        let median = [-15.0f32; NUM_BANDS];
        let track: [f32; NUM_BANDS] = std::array::from_fn(|k| -15.0 + 0.5 * k as f32 - 3.0);
        let dev = broad_deviation_db(&track, &median);
        for (k, d) in dev.iter().enumerate().take(24).skip(8) {
            let want = 0.5 * k as f32 - 3.0;
            assert!((d - want).abs() < 1e-4, "band {k}: {d} vs {want}");
        }
    }

    #[test]
    fn a_one_band_bump_mostly_stays_out_of_the_trend() {
        // A 6 dB spike in one mid band: the trend there holds its kernel share,
        // 7 / 49 of the weights (all bands of weight 1 there), 6 * 7 / 49 = 0.857 dB.
        let median = [0.0f32; NUM_BANDS];
        let mut track = [0.0f32; NUM_BANDS];
        track[15] = 6.0;
        let dev = broad_deviation_db(&track, &median);
        assert!((dev[15] - 6.0 * 7.0 / 49.0).abs() < 1e-4, "{}", dev[15]);
        let (mut lo, mut hi, mut med) = ([-1.0f32; NUM_BANDS], [1.0; NUM_BANDS], median);
        follow_broad_balance(&track, &mut lo, &mut hi, &mut med);
        assert!(
            track[15] - hi[15] > 4.0,
            "still {} above",
            track[15] - hi[15]
        );
    }
}
