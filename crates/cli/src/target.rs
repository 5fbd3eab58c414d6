//! Loudness targeting for `lacquer master --target-lufs X` / `--platform NAME`: find the Drive
//! that puts the written file's integrated loudness on the target by rendering the real chain
//! ([`lacquer_core::assistant::loudness::solve_drive`] over [`lacquer_core::render::measure_source`]),
//! and say in one line when the target could not be met and why.

use super::CliError;
use lacquer_core::assistant::loudness::{
    DriveSearch, DriveSolution, TargetOutcome, TrialMeasurement, solve_drive,
};
use lacquer_core::chain::ChainSettings;
use lacquer_core::meter::analysis::AnalysisError;
use lacquer_core::platform::Platform;
use lacquer_core::render::{BlockSource, measure_source};

/// Lowest and highest loudness target `--target-lufs` accepts, LUFS: from broadcast-quiet
/// (below EBU R128's -23) to louder than any streaming reference (docs/standards.md,
/// platform-targets).
pub const TARGET_LUFS_RANGE: (f32, f32) = (-30.0, -6.0);

/// Limiter gain reduction allowed by default while searching, dB: beyond about 12 dB a true
/// peak limiter audibly flattens transients on most material.
pub const DEFAULT_MAX_GAIN_REDUCTION_DB: f32 = 12.0;

/// Range `--max-gr` accepts, dB (0 = the limiter may not touch the signal at all).
pub const MAX_GAIN_REDUCTION_RANGE_DB: (f32, f32) = (0.0, 24.0);

/// How far the written file may be from the target before we say so, LU (the promise made
/// for `--target-lufs`).
pub const PROMISED_TOLERANCE_LU: f64 = 0.1;

/// What `--target-lufs` / `--platform` / `--max-gr` asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessTarget {
    /// Integrated loudness wanted, LUFS.
    pub target_lufs: f32,
    /// Most limiter gain reduction allowed, dB.
    pub max_gain_reduction_db: f32,
    /// The platform the target came from, if any.
    pub platform: Option<Platform>,
}

/// Finds the Drive for `target` by rendering `audio` (a pass over it per trial) through the
/// chain with `settings` (whose `drive_db` is ignored) and measuring each trial. The first
/// guess is the target minus the input's loudness minus the output trim: exact while the
/// limiter is idle.
pub fn find_drive(
    audio: &dyn BlockSource,
    settings: &ChainSettings,
    target: &LoudnessTarget,
    input_lufs: Option<f64>,
    drive_range_db: (f32, f32),
) -> Result<DriveSolution, CliError> {
    let initial_drive_db =
        input_lufs.map_or(0.0, |i| target.target_lufs - i as f32 - settings.output_db);
    let search = DriveSearch {
        target_lufs: target.target_lufs,
        max_gain_reduction_db: target.max_gain_reduction_db,
        drive_range_db,
        initial_drive_db,
    };
    solve_drive(&search, |drive_db| {
        let trial = ChainSettings {
            drive_db,
            ..*settings
        };
        let m = measure_source(audio, &trial).map_err(|e| match e {
            AnalysisError::Read(e) => CliError::new(e),
            e => CliError::new(format!("cannot measure a trial render: {e}")),
        })?;
        Ok(TrialMeasurement {
            integrated_lufs: m.integrated_lufs.map(|l| l as f32),
            max_gain_reduction_db: m.gain_reduction.max_db,
        })
    })
}

/// The Drive to render the file at: the solution's, except for silence, where there is
/// nothing to target and the neutral 0 dB is used.
pub fn drive_to_use(solution: &DriveSolution) -> f32 {
    match solution.outcome {
        TargetOutcome::Silent => 0.0,
        _ => solution.drive_db,
    }
}

/// One line for stderr (without the `lacquer: warning: ` prefix) when the written file does not
/// meet the target, saying why and what to change; `None` when it does. `written_lufs` is the
/// loudness of the written file, `max_gain_reduction_db` what the limiter did in the final
/// render.
pub fn shortfall_warning(
    target: &LoudnessTarget,
    solution: &DriveSolution,
    drive_range_db: (f32, f32),
    written_lufs: Option<f64>,
    max_gain_reduction_db: f32,
) -> Option<String> {
    let wanted = target.target_lufs;
    let reached = match written_lufs {
        Some(l) => format!("{l:.1} LUFS"),
        None => "silence".into(),
    };
    let drive = drive_to_use(solution);
    match solution.outcome {
        TargetOutcome::Silent => Some(format!(
            "the input is silent, so there is no loudness to bring to {wanted:.1} LUFS; \
             rendered at drive 0 dB"
        )),
        TargetOutcome::LimitedByGainReduction => Some(format!(
            "{wanted:.1} LUFS needs more than {:.1} dB of limiter gain reduction; stopped at \
             drive {drive:+.2} dB with {max_gain_reduction_db:.2} dB of gain reduction, \
             reaching {reached}; raise --max-gr to allow more limiting",
            target.max_gain_reduction_db
        )),
        TargetOutcome::LimitedByDriveRange if drive <= drive_range_db.0 => Some(format!(
            "{wanted:.1} LUFS needs less than the lowest drive ({:+.0} dB); stopped there, \
             reaching {reached}; add a negative --output trim to go quieter",
            drive_range_db.0
        )),
        TargetOutcome::LimitedByDriveRange => Some(format!(
            "{wanted:.1} LUFS needs more than the highest drive ({:+.0} dB); stopped there, \
             reaching {reached}; raise the level of the input file",
            drive_range_db.1
        )),
        TargetOutcome::Reached => match written_lufs {
            Some(l) if (l - f64::from(wanted)).abs() <= PROMISED_TOLERANCE_LU => None,
            _ => Some(format!(
                "the written file measures {reached}, more than {PROMISED_TOLERANCE_LU} LU from \
                 the {wanted:.1} LUFS target"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solution(outcome: TargetOutcome, drive_db: f32) -> DriveSolution {
        DriveSolution {
            drive_db,
            measurement: TrialMeasurement {
                integrated_lufs: Some(-14.0),
                max_gain_reduction_db: 3.0,
            },
            num_passes: 3,
            outcome,
        }
    }

    const TARGET: LoudnessTarget = LoudnessTarget {
        target_lufs: -14.0,
        max_gain_reduction_db: 12.0,
        platform: None,
    };
    const RANGE: (f32, f32) = (-12.0, 24.0);

    #[test]
    fn no_warning_when_the_file_is_on_target() {
        let s = solution(TargetOutcome::Reached, 4.0);
        assert_eq!(
            shortfall_warning(&TARGET, &s, RANGE, Some(-14.06), 3.0),
            None
        );
        // Reached by the search, but the file is off: that is said, not hidden.
        let w = shortfall_warning(&TARGET, &s, RANGE, Some(-14.3), 3.0).unwrap();
        assert!(w.contains("-14.3 LUFS") && w.contains("0.1 LU"), "{w}");
    }

    #[test]
    fn each_shortfall_names_its_cause_and_remedy() {
        let gr = shortfall_warning(
            &TARGET,
            &solution(TargetOutcome::LimitedByGainReduction, 15.5),
            RANGE,
            Some(-9.04),
            11.96,
        )
        .unwrap();
        for needle in [
            "12.0 dB",
            "+15.50 dB",
            "11.96 dB of gain",
            "-9.0 LUFS",
            "--max-gr",
        ] {
            assert!(gr.contains(needle), "{needle:?} missing in {gr}");
        }
        let high = shortfall_warning(
            &TARGET,
            &solution(TargetOutcome::LimitedByDriveRange, 24.0),
            RANGE,
            Some(-30.0),
            0.0,
        )
        .unwrap();
        assert!(
            high.contains("+24 dB") && high.contains("-30.0 LUFS"),
            "{high}"
        );
        let low = shortfall_warning(
            &TARGET,
            &solution(TargetOutcome::LimitedByDriveRange, -12.0),
            RANGE,
            Some(-5.0),
            6.0,
        )
        .unwrap();
        assert!(low.contains("-12 dB") && low.contains("--output"), "{low}");
        let silent = solution(TargetOutcome::Silent, 7.0);
        assert_eq!(drive_to_use(&silent), 0.0);
        let w = shortfall_warning(&TARGET, &silent, RANGE, None, 0.0).unwrap();
        assert!(w.contains("silent") && w.contains("drive 0 dB"), "{w}");
        for w in [gr, high, low, w] {
            assert!(!w.contains('\n'), "{w}");
        }
    }
}
