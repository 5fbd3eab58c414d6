//! The width and bass-mono decisions: per-band width moves towards the target, bounded by
//! the mono fold-down rule; against a family only beyond its range plus a margin, and the lows
//! only to fix a mono fold-down that loses more than 1 dB; bass mono only against a reference
//! that is mono where the track's low end is in excess.

use super::*;

/// Which split band (0 low, 1 mid, 2 high) a 1/3-octave band belongs to, or `None` outside
/// 31.5 Hz..16 kHz, where side/mid ratios are too noisy to steer by.
pub(super) fn split_band_of(k: usize, crossovers_hz: (f32, f32)) -> Option<usize> {
    let f = band_centre_hz(k);
    if !is_core_band(k) {
        None
    } else if f < crossovers_hz.0 {
        Some(0)
    } else if f < crossovers_hz.1 {
        Some(1)
    } else {
        Some(2)
    }
}

/// L/R correlation of the track's loud parts, from its long-term mid and side spectra (which
/// hold only the windows within 10 LU of the loud part): `(M - S) / (M + S)` with `M` and `S`
/// the K-weighted mid and side powers, since `L R = M^2 - S^2` and `L^2 + R^2 = 2 (M^2 + S^2)`
/// for `M = (L + R) / 2`, `S = (L - R) / 2`. For equally loud channels this is their Pearson
/// correlation; it is -1 for a polarity-inverted pair and +1 for mono. `None` for silence.
pub fn track_correlation(track: &TrackFeatures) -> Option<f32> {
    track.integrated_lufs?;
    let weights = k_weight_per_band();
    let weighted = |bands: &[f32; NUM_BANDS]| -> f64 {
        bands
            .iter()
            .zip(&weights)
            .map(|(&db, w)| db_to_power(db) * w)
            .sum()
    };
    let (mid, side) = (weighted(&track.mid_db), weighted(&track.side_db));
    (mid + side > 0.0).then(|| ((mid - side) / (mid + side)) as f32)
}

/// True when the track's right channel is its left inverted: [`track_correlation`] below
/// [`crate::meter::analysis::POLARITY_INVERTED_CORRELATION`] (-0.9; its docs say why). Its mono
/// fold-down is (nearly) silent, so its huge side/mid ratio is a polarity error, not width.
pub fn polarity_inverted(track: &TrackFeatures) -> bool {
    track_correlation(track)
        .is_some_and(|c| f64::from(c) < crate::meter::analysis::POLARITY_INVERTED_CORRELATION)
}

/// The features of the track with one channel's polarity flipped: mid and side swap (a flip
/// turns `(L + R) / 2` into `(L - R) / 2`), so do their ratios. Loudness, peaks and
/// percussiveness are kept (the first two do not change under a flip).
pub fn polarity_corrected(track: &TrackFeatures) -> TrackFeatures {
    TrackFeatures {
        mid_db: track.side_db,
        side_db: track.mid_db,
        side_to_mid_db: track.side_to_mid_db.map(|r| -r),
        low_end_side_to_mid_db: -track.low_end_side_to_mid_db,
        ..track.clone()
    }
}

pub(super) fn db_to_power(db: f32) -> f64 {
    10f64.powf(f64::from(db) / 10.0)
}

pub(super) fn power_to_db(p: f64) -> f32 {
    (10.0 * p.max(1e-30).log10()) as f32
}

/// The width decision: per split band, the side level change of `width_move_db` (reported
/// with the band's side/mid power ratios of the track and of the target, the latter at its
/// 10th, 50th and 90th percentile weighted by the target's median mid spectrum), then the
/// widening capped so that no 1/3-octave band's mono fold-down loses more than
/// [`MAX_MONO_LOSS_DB`]. Against a family, the low band is only ever narrowed, and only where it
/// loses more than [`BASS_MONO_FOLD_DOWN_LOSS_DB`] in the mono fold-down. A band with more
/// side than mid is never narrowed (its channels mostly cancel: narrowing removes the music,
/// not width), and a polarity-inverted track ([`polarity_inverted`]) gets no width move at all.
pub fn decide_width(
    track: &TrackFeatures,
    target: &TargetProfile,
    crossovers_hz: (f32, f32),
) -> WidthDecision {
    let mut track_side = [0.0f64; NUM_SPLIT];
    let mut track_mid = [0.0f64; NUM_SPLIT];
    let mut target_side = [[0.0f64; 3]; NUM_SPLIT];
    let mut target_mid = [0.0f64; NUM_SPLIT];
    for k in 0..NUM_BANDS {
        let Some(b) = split_band_of(k, crossovers_hz) else {
            continue;
        };
        track_side[b] += db_to_power(track.side_db[k]);
        track_mid[b] += db_to_power(track.mid_db[k]);
        let mid = band_of(&target.mid_db, k).p50;
        let stm = band_of(&target.side_to_mid_db, k);
        target_mid[b] += db_to_power(mid);
        for (acc, s) in target_side[b].iter_mut().zip([stm.p10, stm.p50, stm.p90]) {
            *acc += db_to_power(mid + s);
        }
    }
    let mut out = WidthDecision {
        crossovers_hz,
        band_width_pct: [100.0; NUM_SPLIT],
        track_side_to_mid_db: [0.0; NUM_SPLIT],
        target_side_to_mid_db: [band_of(&[], 0); NUM_SPLIT],
        mono_limited: [false; NUM_SPLIT],
        move_db: [0.0; NUM_SPLIT],
        anti_phase: [false; NUM_SPLIT],
        correlation: track_correlation(track),
        polarity_inverted: polarity_inverted(track),
        low_end_fold_down_loss_db: fold_down_loss_db(track.low_end_side_to_mid_db),
        fold_down_narrowed: false,
    };
    let max_gain = WIDTH_RANGE_PCT.1 / 100.0;
    for b in 0..NUM_SPLIT {
        let track_db = power_to_db(track_side[b]) - power_to_db(track_mid[b]);
        let t = target_side[b].map(|s| power_to_db(s) - power_to_db(target_mid[b]));
        let pct = Percentiles {
            p10: t[0],
            p50: t[1],
            p90: t[2],
        };
        out.track_side_to_mid_db[b] = track_db;
        out.target_side_to_mid_db[b] = pct;
        let mut move_db = width_move_db(track, target, b, crossovers_hz);
        // A family's edge is not a point to aim a 1 % change at.
        if is_family(target) && move_db.abs() < MIN_FAMILY_WIDTH_MOVE_DB {
            move_db = 0.0;
        }
        out.move_db[b] = move_db;
        if out.polarity_inverted {
            continue;
        }
        let mut gain = 10f32.powf(move_db / 20.0).clamp(0.0, max_gain);
        // More side than mid: the channels are mostly in opposite phase in this band, and
        // narrowing towards the (cancelled) mid would silence it rather than focus it.
        let narrowing = gain < 1.0
            || (b == 0
                && is_family(target)
                && fold_down_loss_db(track.low_end_side_to_mid_db) > BASS_MONO_FOLD_DOWN_LOSS_DB);
        if narrowing && track_db > 0.0 {
            gain = 1.0;
            out.anti_phase[b] = true;
        }
        // Against a family the lows move on one piece of evidence only: mono playback losing
        // more than BASS_MONO_FOLD_DOWN_LOSS_DB of the low end. They are then narrowed just
        // until it loses that much (`fold_down_low_gain`), never towards the family's range: a
        // narrower family says nothing about a low end that plays the same in mono, and a
        // wide low end loses punch on mono and club systems, so it is not widened either. A
        // reference that is narrower or wider down there is followed (the user chose that
        // sound).
        if b == 0 && is_family(target) {
            gain = if out.anti_phase[0] {
                1.0
            } else {
                fold_down_low_gain(track, crossovers_hz)
            };
            out.move_db[0] = 20.0 * gain.max(1e-3).log10();
            out.fold_down_narrowed = gain < 1.0;
        }
        if gain > 1.0 {
            let reference = (!is_family(target)).then_some(target.side_to_mid_db.as_slice());
            let cap = mono_safe_width_gain(track, reference, b, crossovers_hz);
            // (A relative 1e-3 so that restoring a reference's width exactly, where the cap
            // and the wanted gain are the same number, does not read as held back.)
            if gain > cap * 1.001 {
                gain = cap.max(1.0);
                out.mono_limited[b] = true;
            }
        }
        out.band_width_pct[b] = if gain.is_finite() {
            100.0 * gain
        } else {
            100.0
        };
    }
    out
}

/// Bands more than this below the loudest 1/3-octave band of their split band are left out
/// of the width decision (their side/mid ratio is mostly noise), dB.
pub(super) const WIDTH_BAND_RANGE_DB: f32 = 30.0;

/// Side level change that split band `b` wants, dB: the median over its 1/3-octave bands
/// (those within [`WIDTH_BAND_RANGE_DB`] of its loudest) of how far each band's side/mid
/// ratio lies outside the target's 10th..90th percentile (0 inside), measured to the nearer
/// edge for a family (its range widened by [`WIDTH_FAMILY_MARGIN_DB`] each side) and to the
/// median for a reference. A median, not a
/// power-weighted ratio, so one band whose long-term estimate jumps (a loud passage entering
/// or leaving the analysed windows) cannot steer the whole band.
pub(super) fn width_move_db(
    track: &TrackFeatures,
    target: &TargetProfile,
    b: usize,
    crossovers_hz: (f32, f32),
) -> f32 {
    let reference = !is_family(target);
    let bands: Vec<usize> = (0..NUM_BANDS)
        .filter(|&k| split_band_of(k, crossovers_hz) == Some(b))
        .collect();
    let loudest = bands
        .iter()
        .map(|&k| track.mid_db[k])
        .fold(f32::NEG_INFINITY, f32::max);
    let mut moves: Vec<f32> = bands
        .iter()
        .filter(|&&k| track.mid_db[k] >= loudest - WIDTH_BAND_RANGE_DB)
        .map(|&k| {
            let t = band_of(&target.side_to_mid_db, k);
            let v = track.side_to_mid_db[k];
            // A family: to the nearer edge of its range (the least change that fits it). A
            // reference: its interval is only a dead zone against estimation noise; a band
            // outside it moves to the reference itself.
            let (low, high) = if reference {
                (t.p50, t.p50)
            } else {
                (
                    t.p10 - WIDTH_FAMILY_MARGIN_DB,
                    t.p90 + WIDTH_FAMILY_MARGIN_DB,
                )
            };
            let (lower, upper) = if reference {
                (t.p10, t.p90)
            } else {
                (low, high)
            };
            if v < lower {
                low - v
            } else if v > upper {
                high - v
            } else {
                0.0
            }
        })
        .filter(|m| m.is_finite())
        .collect();
    if moves.is_empty() {
        return 0.0;
    }
    moves.sort_by(f32::total_cmp);
    let n = moves.len();
    if n % 2 == 1 {
        moves[n / 2]
    } else {
        0.5 * (moves[n / 2 - 1] + moves[n / 2])
    }
}

/// Largest side gain for split band `b` that keeps every 1/3-octave band's mono fold-down
/// loss within [`MAX_MONO_LOSS_DB`] of the track's own: from `(1 + w^2 r) / (1 + r) <= L`
/// (`L` the limit as a power ratio), `w^2 <= (L (1 + r) - 1) / r`.
///
/// With a reference (`reference_side_to_mid_db`, the reference's side/mid per 1/3-octave band),
/// the fold-down may also lose as much as the reference's own does, `1 + r_ref`: the user chose
/// that width by choosing the reference, and restoring it costs a mono listener nothing the
/// reference does not. A family's 90th percentile is not a choice, so families keep the 1 dB.
pub fn mono_safe_width_gain(
    track: &TrackFeatures,
    reference_side_to_mid_db: Option<&[Percentiles]>,
    b: usize,
    crossovers_hz: (f32, f32),
) -> f32 {
    let limit = db_to_power(MAX_MONO_LOSS_DB);
    let mut cap = f64::INFINITY;
    for k in 0..NUM_BANDS {
        if split_band_of(k, crossovers_hz) != Some(b) {
            continue;
        }
        let r = db_to_power(track.side_to_mid_db[k]);
        let mut allowed = limit * (1.0 + r);
        if let Some(p) = reference_side_to_mid_db.and_then(|list| list.get(k))
            && p.p50.is_finite()
        {
            allowed = allowed.max(1.0 + db_to_power(p.p50));
        }
        if r > 1e-9 {
            cap = cap.min(((allowed - 1.0) / r).sqrt());
        }
    }
    cap.min(f64::from(WIDTH_RANGE_PCT.1 / 100.0)) as f32
}

/// How much quieter a band whose side/mid power ratio is `side_to_mid_db` comes out in the mono
/// fold-down `(L + R) / 2` than in stereo, dB (>= 0): `10 log10(1 + S/M)`.
pub fn fold_down_loss_db(side_to_mid_db: f32) -> f32 {
    (10.0 * (1.0 + db_to_power(side_to_mid_db)).log10()) as f32
}

/// Bass mono when the track's low end loses more than [`BASS_MONO_FOLD_DOWN_LOSS_DB`] in the mono
/// fold-down (side/mid above [`BASS_MONO_TRIGGER_DB`]) and the
/// target's is mono there (median side/mid under -15 dB). The frequency is the highest
/// 1/3-octave centre up to 160 Hz below which the target stays mono, within the stage's range.
pub(super) fn decide_bass_mono(
    track: &TrackFeatures,
    target: &TargetProfile,
) -> Option<BassMonoDecision> {
    let low = track.low_end_side_to_mid_db;
    // More side than mid in the low end is opposite phase, not width: summing it to mono would
    // cancel the bass.
    if low.is_nan() || fold_down_loss_db(low) <= BASS_MONO_FOLD_DOWN_LOSS_DB || low > 0.0 {
        return None;
    }
    let mut freq_hz = None;
    let (mut side, mut mid) = (0.0f64, 0.0f64);
    let mut excess = Vec::new();
    for k in 0..NUM_BANDS {
        let f = band_centre_hz(k);
        if !(30.0..=160.0).contains(&f) {
            continue;
        }
        let stm = band_of(&target.side_to_mid_db, k).p50;
        if stm > MONO_TARGET_DB {
            break;
        }
        let m = band_of(&target.mid_db, k).p50;
        mid += db_to_power(m);
        side += db_to_power(m + stm);
        excess.push(track.side_to_mid_db[k] - stm);
        freq_hz = Some(f);
    }
    let freq_hz = freq_hz?.clamp(BASS_MONO_RANGE_HZ.0, BASS_MONO_RANGE_HZ.1);
    let target_db = power_to_db(side) - power_to_db(mid);
    // Band by band, the track's side must exceed the target's by the margin (median over the
    // bands, so one noisy band cannot decide); a mere widening of an already narrow low end is
    // the width decision's job, and bass mono would take far more side away than it added.
    excess.sort_by(f32::total_cmp);
    let median = excess.get(excess.len() / 2).copied().unwrap_or(0.0);
    (median > BASS_MONO_EXCESS_DB).then_some(BassMonoDecision {
        freq_hz,
        track_low_end_side_to_mid_db: low,
        target_low_end_side_to_mid_db: target_db,
    })
}

/// Width of the low split band that brings the low end's mono fold-down loss (below
/// [`LOW_END_HZ`]) down to [`BASS_MONO_FOLD_DOWN_LOSS_DB`], or 1 where it loses no more than
/// that: the least narrowing that fixes what a mono listener would miss, as the widening is
/// capped by the same rule ([`MAX_MONO_LOSS_DB`]). In each 1/3-octave band below
/// [`LOW_END_HZ`] the width `g` of the low band reaches the side as `g |LP| + |HP|` of the
/// Linkwitz-Riley crossover at `crossovers_hz.0` (`|LP| = 1 / (1 + x^4)`, `|HP| = 1 - |LP|`,
/// `x = f / f_c`; the two are in phase), so the side power left is the track's side spectrum
/// weighted by that; `g` is found by bisection (the loss falls as `g` does). 0 when even a
/// mono low band would lose more (not reached by real crossovers).
pub fn fold_down_low_gain(track: &TrackFeatures, crossovers_hz: (f32, f32)) -> f32 {
    let low = track.low_end_side_to_mid_db;
    if !low.is_finite() || fold_down_loss_db(low) <= BASS_MONO_FOLD_DOWN_LOSS_DB {
        return 1.0;
    }
    let fc = f64::from(crossovers_hz.0.max(1.0));
    let bands: Vec<(f64, f64)> = (0..NUM_BANDS)
        .filter(|&k| band_centre_hz(k) < LOW_END_HZ)
        .map(|k| {
            let x4 = (f64::from(band_centre_hz(k)) / fc).powi(4);
            (db_to_power(track.side_db[k]), 1.0 / (1.0 + x4))
        })
        .collect();
    let total: f64 = bands.iter().map(|(p, _)| p).sum();
    if total <= 0.0 {
        return 1.0;
    }
    // Side power left at width g, as a fraction of the track's.
    let left = |g: f64| {
        bands
            .iter()
            .map(|&(p, lp)| p * (g * lp + 1.0 - lp).powi(2))
            .sum::<f64>()
            / total
    };
    // 1 + r' = L, with r' = r * left(g) and L the allowed loss as a power ratio.
    let wanted = (db_to_power(BASS_MONO_FOLD_DOWN_LOSS_DB) - 1.0) / db_to_power(low);
    if left(0.0) > wanted {
        return 0.0;
    }
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..40 {
        let g = 0.5 * (lo + hi);
        if left(g) > wanted {
            hi = g;
        } else {
            lo = g;
        }
    }
    lo as f32
}
