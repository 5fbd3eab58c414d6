//! `lacquer master --report FILE`: a JSON record of one mastering job: measurements and
//! features before and after, family weights or references, every decision with its
//! explanation, and every plugin parameter by its id (README's tables), so the plugin set to
//! those values renders the same file.

use super::assist::Assisted;
use crate::cli::CliError;
use lacquer::assistant::decide::Amounts;
use lacquer::assistant::profile::TrackFeatures;
use lacquer::chain::ChainSettings;
use lacquer::meter::analysis::Analysis;
use lacquer::platform::Platform;
use serde_json::{Map, Value, json};
use std::path::Path;

/// Position of the "Bass Mono" and "High-Pass" parameters that means Off: one step below the
/// lowest frequency (`src/params/stages.rs`).
const BASS_MONO_OFF: f32 = 39.0;
const HIGH_PASS_OFF: f32 = 9.0;

/// Every plugin parameter (by id) for `settings`, the amounts and the loudness goal.
pub fn plugin_parameters(
    settings: &ChainSettings,
    amounts: &Amounts,
    target_lufs: f32,
    platform: Option<Platform>,
) -> Map<String, Value> {
    let mut p = Map::new();
    let mut num = |id: &str, v: f32| {
        p.insert(id.to_string(), json!(v));
    };
    num("drive", settings.drive_db);
    num("ceiling", settings.ceiling_dbtp);
    num("output", settings.output_db);
    num("lookahead", settings.lookahead_ms);
    num("release", settings.release_ms);
    num("link", settings.link_pct);
    num("target_lufs", target_lufs);
    num("amount_tone", amounts.tone_pct);
    num("amount_dynamics", amounts.dynamics_pct);
    num("amount_width", amounts.width_pct);
    let m = &settings.macros;
    num("tone", m.tone);
    num("dynamics", m.dynamics_pct);
    num("width", m.width_pct);
    num(
        "bass_mono",
        if m.bass_mono_on {
            m.bass_mono_hz
        } else {
            BASS_MONO_OFF
        },
    );
    let eq = &settings.stages.eq;
    num(
        "eq_hp",
        if eq.high_pass_on {
            eq.high_pass_hz
        } else {
            HIGH_PASS_OFF
        },
    );
    num("eq_ls_gain", eq.low_shelf.gain_db);
    num("eq_ls_freq", eq.low_shelf.freq_hz);
    for (i, b) in eq.bells.iter().enumerate() {
        num(&format!("eq_b{}_gain", i + 1), b.gain_db);
        num(&format!("eq_b{}_freq", i + 1), b.freq_hz);
        num(&format!("eq_b{}_q", i + 1), b.q);
    }
    num("eq_hs_gain", eq.high_shelf.gain_db);
    num("eq_hs_freq", eq.high_shelf.freq_hz);
    num("xover_low", settings.stages.multiband.low_mid_hz);
    num("xover_high", settings.stages.multiband.mid_high_hz);
    for (b, prefix) in ["low", "mid", "high"].iter().enumerate() {
        let preset = &m.dynamics_bands[b];
        num(&format!("{prefix}_thresh"), preset.threshold_offset_db);
        num(&format!("{prefix}_ratio"), preset.full_ratio);
        num(&format!("{prefix}_attack"), preset.attack_ms);
        num(&format!("{prefix}_release"), preset.release_ms);
        num(
            &format!("{prefix}_width"),
            settings.stages.stereo.band_width_pct[b],
        );
    }
    p.insert("bypass".into(), json!(settings.bypass));
    p.insert("match_loudness".into(), json!(settings.match_loudness));
    p.insert(
        "platform".into(),
        json!(platform.map_or("custom", Platform::cli_name)),
    );
    p
}

/// What goes into the report besides the assistant's own record.
pub struct ReportInputs<'a> {
    /// Input file.
    pub input: &'a Path,
    /// Output file.
    pub output: &'a Path,
    /// Measurements before and after.
    pub before: &'a Analysis,
    /// Measurement of the written file.
    pub after: &'a Analysis,
    /// Features of the written file.
    pub features_after: &'a TrackFeatures,
    /// The platform asked for, if any.
    pub platform: Option<Platform>,
    /// The amounts.
    pub amounts: Amounts,
}

/// The report as JSON.
pub fn report_json(a: &Assisted, r: &ReportInputs) -> Value {
    let weights: Vec<Value> = a
        .family_weights
        .iter()
        .map(|(name, w)| json!({ "family": name, "weight": w }))
        .collect();
    let references: Vec<Value> = a
        .references
        .iter()
        .map(|x| {
            json!({
                "file": x.file,
                "weight": x.weight,
                "integrated_lufs": x.features.integrated_lufs,
            })
        })
        .collect();
    json!({
        "input": r.input.display().to_string(),
        "output": r.output.display().to_string(),
        "mode": if a.references.is_empty() { "family" } else { "reference" },
        "family_weights": weights,
        "references": references,
        "target": a.target.name,
        "goal": a.goal,
        "amounts": r.amounts,
        "measurements": { "before": r.before, "after": r.after },
        "features": { "before": a.features, "after": r.features_after },
        "decision": a.decision,
        "explanations": a.explanations,
        "parameters": plugin_parameters(&a.settings, &r.amounts, a.goal.target_lufs, r.platform),
        "chain_settings": a.settings,
    })
}

/// Writes the report to `path` (pretty JSON), or a one-line error.
pub fn write_report(path: &Path, report: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(report)
        .map_err(|e| CliError::new(format!("cannot encode the report: {e}")))?;
    std::fs::write(path, text + "\n").map_err(|e| {
        CliError::new(format!(
            "cannot write the report '{}': {}; choose another --report path",
            path.display(),
            crate::cli::output::describe_io(&e)
        ))
    })
}
