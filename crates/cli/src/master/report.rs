//! `lacquer master --report FILE`: a JSON record of one mastering job: measurements and
//! features before and after, family weights or references, every decision with its
//! explanation, and every plugin parameter by its id (README's tables), so the plugin set to
//! those values renders the same file.

use super::assist::Assisted;
use crate::CliError;
use crate::codec::CodecPeak;
use lacquer_core::assistant::decide::Amounts;
use lacquer_core::assistant::profile::TrackFeatures;
use lacquer_core::chain::ChainSettings;
use lacquer_core::contract::settings_values;
use lacquer_core::meter::analysis::Analysis;
use lacquer_core::platform::Platform;
use serde_json::{Map, Value, json};
use std::path::Path;

/// Every plugin parameter (by id) for `settings`, the amounts, the loudness goal and the
/// family (`family`: a profile name, or `None` for Auto).
pub fn plugin_parameters(
    settings: &ChainSettings,
    amounts: &Amounts,
    target_lufs: f32,
    platform: Option<Platform>,
    family: Option<&str>,
) -> Map<String, Value> {
    let mut p = Map::new();
    for (id, v) in settings_values(settings) {
        p.insert(id.into(), json!(v));
    }
    p.insert("target_lufs".into(), json!(target_lufs));
    p.insert("amount_tone".into(), json!(amounts.tone_pct));
    p.insert("amount_dynamics".into(), json!(amounts.dynamics_pct));
    p.insert("amount_width".into(), json!(amounts.width_pct));
    p.insert("family".into(), json!(family.unwrap_or("auto")));
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
    /// The channel `--flip-polarity` inverted, if any.
    pub flip_polarity: Option<&'static str>,
    /// The codec check of the written master (empty if skipped).
    pub codec: &'a [CodecPeak],
}

/// The report as JSON.
pub fn report_json(a: &Assisted, r: &ReportInputs<'_>) -> Value {
    // A family chosen with --family has weight 1 alone; the automatic blend lists them all,
    // and references leave the plugin's Family at Auto.
    let forced_family = match a.family_weights.as_slice() {
        [(name, _)] if a.references.is_empty() => Some(name.as_str()),
        _ => None,
    };
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
        "input_checks": {
            "polarity_inverted": r.before.polarity_inverted(),
            "loud_correlation": r.before.loud_correlation,
            "flipped_polarity": r.flip_polarity,
            "non_finite_samples": r.before.non_finite_samples,
        },
        "features": { "before": a.features, "after": r.features_after },
        "decision": a.decision,
        "explanations": a.explanations,
        "parameters": plugin_parameters(
            &a.settings,
            &r.amounts,
            a.goal.target_lufs,
            r.platform,
            forced_family,
        ),
        "chain_settings": a.settings,
        "codec_check": r.codec.iter().map(|c| match &c.true_peak_dbtp {
            Ok(dbtp) => json!({ "codec": c.codec, "true_peak_dbtp": dbtp }),
            Err(why) => json!({ "codec": c.codec, "true_peak_dbtp": null, "not_measured": why }),
        }).collect::<Vec<Value>>(),
    })
}

/// Writes the report (pretty JSON) into `file`, the temporary file for `path`, or a one-line
/// error.
pub fn write_report(file: &mut std::fs::File, path: &Path, report: &Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(report)
        .map_err(|e| CliError::new(format!("cannot encode the report: {e}")))?;
    write_text(file, path, &(text + "\n"))
}

/// Writes a report's text into `file`, the temporary file for `path`, or a one-line error.
pub fn write_text(file: &mut std::fs::File, path: &Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    file.write_all(text.as_bytes()).map_err(|e| {
        CliError::new(format!(
            "cannot write the report '{}': {}; choose another --report path",
            path.display(),
            crate::output::describe_io(&e)
        ))
    })
}
