//! Plain-text reports: the `analyze` table, and the before/after table and limiter figures of
//! `master`. Every value carries its unit; undefined values say why they are missing.

use super::target::{LoudnessTarget, PROMISED_TOLERANCE_LU};
use lacquer_core::assistant::loudness::{DriveSolution, TargetOutcome};
use lacquer_core::meter::analysis::Analysis;
use lacquer_core::render::GainReductionSummary;
use std::fmt::Write;

/// Width of the name column in `master`'s tables, characters.
const NAME_WIDTH: usize = 20;

/// A value with one decimal and its unit, or `n/a (why)`.
fn value(v: Option<f64>, unit: &str, why_missing: &str) -> String {
    match v {
        Some(x) => format!("{x:.1} {unit}"),
        None => format!("n/a ({why_missing})"),
    }
}

/// A change with an explicit sign, or `n/a`.
fn change(before: Option<f64>, after: Option<f64>, unit: &str) -> String {
    match (before, after) {
        // A change that rounds to zero shows as +0.0, never -0.0.
        (Some(b), Some(a)) if ((a - b) * 10.0).round() == 0.0 => format!("+0.0 {unit}"),
        (Some(b), Some(a)) => format!("{:+.1} {unit}", a - b),
        _ => "n/a".into(),
    }
}

/// `m:ss.s` for a duration in seconds.
fn clock(seconds: f64) -> String {
    let minutes = (seconds / 60.0).floor();
    format!("{}:{:04.1}", minutes as u64, seconds - minutes * 60.0)
}

/// "mono", "stereo" or "N channels".
fn layout(channels: usize) -> String {
    match channels {
        1 => "mono".into(),
        2 => "stereo".into(),
        n => format!("{n} channels"),
    }
}

/// The table printed by `lacquer analyze FILE`.
pub fn analysis_table(file_name: &str, a: &Analysis) -> String {
    let silent = "silence";
    let rows: [(&str, String); 11] = [
        ("File", file_name.to_string()),
        (
            "Format",
            format!("{} Hz, {}", a.sample_rate_hz, layout(a.channels)),
        ),
        (
            "Duration",
            format!("{} ({:.2} s)", clock(a.duration_s), a.duration_s),
        ),
        (
            "Integrated loudness",
            value(a.integrated_lufs, "LUFS", silent),
        ),
        (
            "Loudness range",
            value(a.loudness_range_lu, "LU", "silence or shorter than 3 s"),
        ),
        ("True peak", value(a.true_peak_dbtp, "dBTP", silent)),
        ("Sample peak", value(a.sample_peak_dbfs, "dBFS", silent)),
        (
            "Momentary max (400 ms)",
            value(
                a.momentary_max_lufs,
                "LUFS",
                "silence or shorter than 400 ms",
            ),
        ),
        (
            "Short-term max (3 s)",
            value(a.short_term_max_lufs, "LUFS", "silence or shorter than 3 s"),
        ),
        (
            "PLR (true peak - integrated)",
            value(a.plr_db, "dB", silent),
        ),
        (
            "L/R correlation",
            match a.correlation {
                Some(c) => format!("{c:+.2} (Pearson, -1 to +1)"),
                None if a.channels == 1 => "n/a (mono)".into(),
                None => "n/a (a channel is silent or constant)".into(),
            },
        ),
    ];
    let mut rows = rows.to_vec();
    if a.polarity_inverted() {
        rows.push((
            "Polarity",
            format!(
                "right = left inverted ({:+.2} over the loud parts; mono fold-down silent)",
                a.loud_correlation.unwrap_or(-1.0)
            ),
        ));
    }
    if a.non_finite_samples > 0 {
        rows.push((
            "Non-finite samples",
            format!("{} (NaN or infinite; measured as 0)", a.non_finite_samples),
        ));
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (key, val) in rows {
        let _ = writeln!(out, "{key:<width$}  {val}");
    }
    out
}

/// The before/after table printed by `lacquer master`.
pub fn before_after_table(before: &Analysis, after: &Analysis) -> String {
    let rows = [
        (
            "Integrated loudness",
            before.integrated_lufs,
            after.integrated_lufs,
            "LUFS",
            "LU",
        ),
        (
            "True peak",
            before.true_peak_dbtp,
            after.true_peak_dbtp,
            "dBTP",
            "dB",
        ),
        (
            "Loudness range",
            before.loudness_range_lu,
            after.loudness_range_lu,
            "LU",
            "LU",
        ),
        ("PLR", before.plr_db, after.plr_db, "dB", "dB"),
    ];
    let shown = |v: Option<f64>, unit: &str| match v {
        Some(x) => format!("{x:.1} {unit}"),
        None => "n/a".into(),
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<NAME_WIDTH$}  {:>12}  {:>12}  {:>10}",
        "", "Before", "After", "Change"
    );
    for (name, b, a, unit, change_unit) in rows {
        let _ = writeln!(
            out,
            "{name:<NAME_WIDTH$}  {:>12}  {:>12}  {:>10}",
            shown(b, unit),
            shown(a, unit),
            change(b, a, change_unit)
        );
    }
    out
}

/// What `master` reports about the limiter and the loudness search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterFigures {
    /// Drive the file was rendered at, dB.
    pub drive_db: f32,
    /// Limiter ceiling, dBTP.
    pub ceiling_dbtp: f32,
    /// What the limiter did in the final render.
    pub gain_reduction: GainReductionSummary,
    /// The target and how its search ended, if there was one.
    pub target: Option<(LoudnessTarget, DriveSolution)>,
    /// Integrated loudness of the written file, LUFS.
    pub written_lufs: Option<f64>,
}

/// The rows under the before/after table: with a target, the target, what was reached and how
/// many renders it took; always the Drive, the ceiling and the limiter's gain reduction.
pub fn limiter_table(f: &LimiterFigures) -> String {
    let mut rows: Vec<(&str, String)> = Vec::new();
    if let Some((target, solution)) = &f.target {
        let wanted = target.target_lufs;
        let source = target
            .platform
            .map(|p| format!(" ({})", p.display_name()))
            .unwrap_or_default();
        rows.push(("Loudness target", format!("{wanted:.1} LUFS{source}")));
        let how = match (solution.outcome, f.written_lufs) {
            (TargetOutcome::Silent, _) => "silent input, nothing to target".to_string(),
            (TargetOutcome::LimitedByGainReduction, _) => format!(
                "stopped at the {:.1} dB gain-reduction limit",
                target.max_gain_reduction_db
            ),
            (TargetOutcome::LimitedByDriveRange, _) => {
                "stopped at the end of the drive range".into()
            }
            (TargetOutcome::Reached, Some(l))
                if (l - f64::from(wanted)).abs() <= PROMISED_TOLERANCE_LU =>
            {
                format!("within {PROMISED_TOLERANCE_LU} LU")
            }
            (TargetOutcome::Reached, Some(l)) => {
                format!("{:+.1} LU off target", l - f64::from(wanted))
            }
            (TargetOutcome::Reached, None) => "silent output".into(),
        };
        let reached = match f.written_lufs {
            Some(l) => format!("{l:.1} LUFS ({how})"),
            None => format!("n/a ({how})"),
        };
        rows.push(("Reached", reached));
        rows.push((
            "Render passes",
            format!("{} to find the drive + 1 final", solution.num_passes),
        ));
    }
    rows.push(("Drive", format!("{:+.2} dB", f.drive_db)));
    rows.push(("Ceiling", format!("{:.1} dBTP", f.ceiling_dbtp)));
    let gr = &f.gain_reduction;
    rows.push(("Max gain reduction", format!("{:.1} dB", gr.max_db)));
    rows.push((
        "Mean gain reduction",
        match gr.mean_active_db {
            Some(mean) => format!(
                "{mean:.1} dB while limiting ({:.0}% of the time)",
                100.0 * gr.active_fraction
            ),
            None => "n/a (the limiter never engaged)".into(),
        },
    ));
    let mut out = String::new();
    for (name, value) in rows {
        let _ = writeln!(out, "{name:<NAME_WIDTH$}  {value}");
    }
    out
}

/// The codec check's rows: each codec's true peak after decoding, or why it was not measured.
pub fn codec_table(peaks: &[crate::codec::CodecPeak]) -> String {
    if peaks.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("\nTrue peak after the codecs (the master encoded and decoded again):\n");
    for p in peaks {
        let value = match &p.true_peak_dbtp {
            Ok(dbtp) => format!("{dbtp:.1} dBTP"),
            Err(why) => format!("n/a ({why})"),
        };
        let _ = writeln!(out, "{:<NAME_WIDTH$}  {value}", p.codec);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(integrated: Option<f64>, correlation: Option<f64>, channels: usize) -> Analysis {
        Analysis {
            integrated_lufs: integrated,
            loudness_range_lu: Some(6.3),
            true_peak_dbtp: Some(-1.04),
            sample_peak_dbfs: Some(-1.5),
            momentary_max_lufs: Some(-9.0),
            short_term_max_lufs: None,
            plr_db: integrated.map(|i| -1.04 - i),
            correlation,
            loud_correlation: correlation,
            non_finite_samples: 0,
            duration_s: 125.5,
            sample_rate_hz: 44_100,
            channels,
        }
    }

    #[test]
    fn analysis_table_has_units_and_reasons() {
        let t = analysis_table("mix.wav", &sample(Some(-14.04), Some(0.8123), 2));
        for needle in [
            "mix.wav",
            "44100 Hz, stereo",
            "2:05.5 (125.50 s)",
            "-14.0 LUFS",
            "6.3 LU",
            "-1.0 dBTP",
            "-1.5 dBFS",
            "-9.0 LUFS",
            "n/a (silence or shorter than 3 s)",
            "13.0 dB",
            "+0.81 (Pearson",
        ] {
            assert!(t.contains(needle), "missing {needle:?} in\n{t}");
        }
        let mono = analysis_table("m.wav", &sample(None, None, 1));
        assert!(mono.contains("n/a (mono)"), "{mono}");
        assert!(mono.contains("mono"));
        assert!(mono.contains("Integrated loudness") && mono.contains("n/a (silence)"));
    }

    #[test]
    fn before_after_table_shows_signed_changes() {
        let before = sample(Some(-20.0), Some(1.0), 2);
        let mut after = sample(Some(-14.0), Some(1.0), 2);
        after.true_peak_dbtp = Some(-1.0);
        after.plr_db = Some(13.0);
        let t = before_after_table(&before, &after);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(lines[0].contains("Before") && lines[0].contains("Change"));
        assert!(
            lines[1].contains("-20.0 LUFS")
                && lines[1].contains("-14.0 LUFS")
                && lines[1].contains("+6.0 LU"),
            "{t}"
        );
        assert!(lines[2].contains("+0.0 dB"), "{t}");
        assert!(lines[4].contains("-6.0 dB"), "{t}");
        let silent = sample(None, None, 2);
        assert!(
            before_after_table(&silent, &after)
                .lines()
                .nth(1)
                .unwrap()
                .contains("n/a")
        );
    }

    #[test]
    fn a_change_that_rounds_to_zero_has_no_minus_sign() {
        assert_eq!(change(Some(2.3), Some(2.27), "LU"), "+0.0 LU");
        assert_eq!(change(Some(2.3), Some(2.2), "LU"), "-0.1 LU");
    }

    fn figures(target: Option<(LoudnessTarget, DriveSolution)>) -> LimiterFigures {
        LimiterFigures {
            drive_db: 7.346,
            ceiling_dbtp: -2.0,
            gain_reduction: GainReductionSummary {
                max_db: 3.24,
                mean_active_db: Some(1.06),
                active_fraction: 0.234,
            },
            target,
            written_lufs: Some(-14.04),
        }
    }

    fn solved(outcome: TargetOutcome) -> (LoudnessTarget, DriveSolution) {
        (
            LoudnessTarget {
                target_lufs: -14.0,
                max_gain_reduction_db: 12.0,
                platform: Some(lacquer_core::platform::Platform::Amazon),
            },
            DriveSolution {
                drive_db: 7.346,
                measurement: lacquer_core::assistant::loudness::TrialMeasurement {
                    integrated_lufs: Some(-14.03),
                    max_gain_reduction_db: 3.24,
                },
                num_passes: 4,
                outcome,
            },
        )
    }

    #[test]
    fn limiter_rows_have_units_and_align_with_the_table_above() {
        let t = limiter_table(&figures(None));
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 4, "{t}");
        for (line, (name, value)) in lines.iter().zip([
            ("Drive", "+7.35 dB"),
            ("Ceiling", "-2.0 dBTP"),
            ("Max gain reduction", "3.2 dB"),
            (
                "Mean gain reduction",
                "1.1 dB while limiting (23% of the time)",
            ),
        ]) {
            assert!(line.starts_with(name), "{line}");
            // Values start after the 20-character name column and two spaces.
            assert_eq!(&line[NAME_WIDTH + 2..], value, "{t}");
        }
        let idle = LimiterFigures {
            gain_reduction: GainReductionSummary::default(),
            ..figures(None)
        };
        assert!(limiter_table(&idle).contains("0.0 dB\nMean gain reduction   n/a ("));
    }

    #[test]
    fn target_rows_say_what_was_reached_and_how() {
        let t = limiter_table(&figures(Some(solved(TargetOutcome::Reached))));
        for needle in [
            "Loudness target       -14.0 LUFS (Amazon Music)",
            "Reached               -14.0 LUFS (within 0.1 LU)",
            "Render passes         4 to find the drive + 1 final",
        ] {
            assert!(t.contains(needle), "{needle:?} missing in\n{t}");
        }
        let off = LimiterFigures {
            written_lufs: Some(-14.34),
            ..figures(Some(solved(TargetOutcome::Reached)))
        };
        assert!(limiter_table(&off).contains("-14.3 LUFS (-0.3 LU off target)"));
        let limited = limiter_table(&figures(Some(solved(
            TargetOutcome::LimitedByGainReduction,
        ))));
        assert!(
            limited.contains("(stopped at the 12.0 dB gain-reduction limit)"),
            "{limited}"
        );
        let silent = LimiterFigures {
            written_lufs: None,
            ..figures(Some(solved(TargetOutcome::Silent)))
        };
        assert!(limiter_table(&silent).contains("n/a (silent input, nothing to target)"));
    }
}
