//! Plain-text reports: the `analyze` table and the before/after table of `master`. Every value
//! carries its unit; undefined values say why they are missing.

use lacquer::meter::analysis::Analysis;
use std::fmt::Write;

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
        "{:<20}  {:>12}  {:>12}  {:>10}",
        "", "Before", "After", "Change"
    );
    for (name, b, a, unit, change_unit) in rows {
        let _ = writeln!(
            out,
            "{name:<20}  {:>12}  {:>12}  {:>10}",
            shown(b, unit),
            shown(a, unit),
            change(b, a, change_unit)
        );
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
}
