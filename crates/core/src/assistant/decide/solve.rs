//! The Drive solve: the predicted loudness change of the moves, then a search over Drive on
//! the real chain until the rendered master reaches the loudness goal.

use super::*;

/// Predicted change of integrated loudness from the tone and width moves of `settings`, dB:
/// the track's band powers (mid plus side, as `L^2 + R^2 = 2 (M^2 + S^2)`) weighted by the
/// BS.1770 K-weighting per band ([`k_weight_per_band`]), before and after the EQ's response
/// and the band widths. Exact while the limiter is idle; the Drive search starts from it.
pub fn predicted_loudness_change_db(track: &TrackFeatures, settings: &ChainSettings) -> f32 {
    let stages = settings.effective_stages();
    let k_weights = k_weight_per_band();
    let (mut before, mut after) = (0.0f64, 0.0f64);
    for (k, kw) in k_weights.iter().enumerate() {
        let f = band_centre_hz(k);
        let eq = db_to_power(stages.eq.response_db(f, 48_000.0));
        let b = split_band_of(k, (stages.stereo.low_mid_hz, stages.stereo.mid_high_hz))
            .unwrap_or(if f < 1000.0 { 0 } else { NUM_SPLIT - 1 });
        let w = f64::from(stages.stereo.band_width_pct[b] / 100.0);
        let (mid, side) = (db_to_power(track.mid_db[k]), db_to_power(track.side_db[k]));
        before += kw * (mid + side);
        after += kw * eq * (mid + w * w * side);
    }
    if before > 0.0 && after > 0.0 {
        (10.0 * (after / before).log10()) as f32
    } else {
        0.0
    }
}

/// Where the Drive search starts: the goal minus the track's loudness, the predicted change
/// of the moves and the output trim.
pub(super) fn initial_drive_db(
    decision: &Decision,
    track: &TrackFeatures,
    settings: &ChainSettings,
) -> f32 {
    decision.loudness.track_lufs.map_or(0.0, |l| {
        decision.loudness.target_lufs
            - l
            - predicted_loudness_change_db(track, settings)
            - settings.output_db
    })
}

/// One trial render's measurement, for the Drive search.
pub(super) fn measured(m: &crate::render::RenderLoudness) -> TrialMeasurement {
    TrialMeasurement {
        integrated_lufs: m.integrated_lufs.map(|l| l as f32),
        max_gain_reduction_db: m.gain_reduction.max_db,
    }
}

/// Finds the Drive that puts `audio` (planar, at `sample_rate_hz`), rendered through the
/// chain with `apply(decision, amounts, base)`, on the goal's loudness, by rendering the real
/// chain for every guess ([`solve_drive`] over [`measure_source`], starting from
/// [`predicted_loudness_change_db`]), and stores it in the decision, on the Drive parameter's
/// 0.1 dB grid. Runs on a background thread in the plugin; allocates and takes a few renders.
/// Changing the amounts afterwards changes the loudness slightly; solve again to re-aim.
#[allow(clippy::too_many_arguments)]
pub fn solve_loudness(
    decision: &mut Decision,
    track: &TrackFeatures,
    audio: &[&[f32]],
    sample_rate_hz: u32,
    amounts: Amounts,
    base: &ChainSettings,
    drive_range_db: (f32, f32),
    max_gain_reduction_db: f32,
) -> Result<DriveSolution, AnalysisError> {
    solve_loudness_from(
        decision,
        track,
        &SliceSource::new(audio, sample_rate_hz),
        amounts,
        base,
        drive_range_db,
        max_gain_reduction_db,
    )
}

/// [`solve_loudness`] over a [`BlockSource`]: every trial is a pass over the source, so a file
/// that is never whole in memory is solved in constant memory. The chosen Drive's render is
/// exactly [`crate::render::render_source`]'s with the decided settings.
pub fn solve_loudness_from(
    decision: &mut Decision,
    track: &TrackFeatures,
    source: &dyn BlockSource,
    amounts: Amounts,
    base: &ChainSettings,
    drive_range_db: (f32, f32),
    max_gain_reduction_db: f32,
) -> Result<DriveSolution, AnalysisError> {
    let settings = apply(decision, amounts, base);
    let measure = |drive_db: f32| {
        let trial = ChainSettings {
            drive_db,
            ..settings
        };
        measure_source(source, &trial).map(|m| (measured(&m), ()))
    };
    let search = DriveSearch {
        target_lufs: decision.loudness.target_lufs,
        max_gain_reduction_db,
        drive_range_db,
        initial_drive_db: initial_drive_db(decision, track, &settings),
    };
    let (solution, ()) = solve_on_grid(&search, |d| measure(d).map(|m| m.0), measure)?;
    decision.loudness.drive_db = Some(solution.drive_db);
    Ok(solution)
}

/// The search on the Drive parameter's 0.1 dB grid: [`solve_drive`] with `measure` (off-grid
/// trials), then the grid step nearest its answer with `measure_grid`, and that step's
/// neighbour towards the target if the step misses by more than the tolerance and the
/// neighbour lands closer. Returns the chosen step and what `measure_grid` gave for it.
pub(super) fn solve_on_grid<T>(
    search: &DriveSearch,
    measure: impl FnMut(f32) -> Result<TrialMeasurement, AnalysisError>,
    mut measure_grid: impl FnMut(f32) -> Result<(TrialMeasurement, T), AnalysisError>,
) -> Result<(DriveSolution, T), AnalysisError> {
    let mut solution = solve_drive(search, measure)?;
    let (lo, hi) = search.drive_range_db;
    if solution.outcome == TargetOutcome::Silent {
        let (m, out) = measure_grid(0.0)?;
        solution.drive_db = 0.0;
        solution.measurement = m;
        return Ok((solution, out));
    }
    let error = |m: &TrialMeasurement| {
        m.integrated_lufs
            .map_or(f32::INFINITY, |l| l - search.target_lufs)
    };
    let snapped = snap(solution.drive_db, GAIN_STEP_DB).clamp(lo, hi);
    let (m, out) = measure_grid(snapped)?;
    let mut best = (snapped, m, out);
    if error(&m).abs() > LOUDNESS_TOLERANCE_LU {
        let other = (snapped - GAIN_STEP_DB * error(&m).signum()).clamp(lo, hi);
        let (m2, out2) = measure_grid(other)?;
        let allowed = m2.max_gain_reduction_db <= search.max_gain_reduction_db;
        if allowed && error(&m2).abs() < error(&m).abs() {
            best = (other, m2, out2);
        }
    }
    solution.drive_db = best.0;
    solution.measurement = best.1;
    solution.num_passes += 1;
    Ok((solution, best.2))
}
