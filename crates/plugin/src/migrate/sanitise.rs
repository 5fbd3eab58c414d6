//! Making any loaded state safe: run on every state just before nice-plug applies it (after the
//! version migrations), so a truncated, bit-flipped, hand-edited or newer project can never put
//! a parameter outside its range or make it non-finite.
//!
//! nice-plug 0.4.2 applies a saved float or integer value as it is: its wrapper's state loading
//! (`wrapper/state.rs`, `deserialize_object`) calls `_internal_set_plain_value`, which stores
//! the plain value without clamping, so `"drive": {"f32": 1e9}` (or `1e39`, which serde reads as
//! infinity) would become the live Drive. Values of the wrong type and unknown enum ids it skips
//! (the parameter keeps whatever it had); a persisted field that does not parse it skips as
//! well. Here every such value falls back instead, and each fallback is named:
//!
//! - a float parameter: non-finite or of another type gives the contract's default, outside the
//!   range is clamped to it;
//! - an on/off parameter of another type gives its default;
//! - a list parameter: an unknown entry id or an index outside the list gives its default;
//! - an id the contract does not know is dropped (a newer version's parameter);
//! - the A/B field (`ab`): unreadable gives empty slots; in a readable one every snapshot value
//!   is made safe as its parameter would be, values of unknown or non-slot ids are dropped;
//! - the editor field (`editor`): unreadable gives the default window; a readable one is
//!   brought inside the sizes and zooms the editor supports;
//! - the reference tracks (`references`): unreadable gives none; in a readable list a reference
//!   whose saved analysis has a non-finite number or no loudness is dropped, and a weight that
//!   is not a number or lies outside 0..100 % is set to 100 % or clamped;
//! - any other field is dropped.

use crate::ab::{AbState, NOT_IN_SLOTS};
use crate::editor::geometry::Geometry;
use crate::listen::references::{DEFAULT_WEIGHT_PCT, SavedReference};
use lacquer_core::contract::{self, ChoiceSpec, FloatSpec};
use nice_plug::plugin::{ParamValue, PluginState};

/// The persisted field holding the A/B slots (`#[persist = "ab"]`).
pub const AB_FIELD: &str = "ab";
/// The persisted field holding the editor geometry (`#[persist = "editor"]`).
pub const EDITOR_FIELD: &str = "editor";
/// The persisted field holding the reference tracks (`#[persist = "references"]`).
pub const REFERENCES_FIELD: &str = "references";

/// Makes every saved reference safe (see the module docs); returns one line per change.
pub fn sanitise_references(references: &mut Vec<SavedReference>) -> Vec<String> {
    let mut notes = Vec::new();
    references.retain(|r| {
        let keep = r.is_sound();
        if !keep {
            notes.push(format!(
                "reference '{}' has an unusable saved analysis, dropped",
                r.name
            ));
        }
        keep
    });
    for r in references.iter_mut() {
        let safe = if r.weight_pct.is_finite() {
            r.weight_pct.clamp(0.0, 100.0)
        } else {
            DEFAULT_WEIGHT_PCT
        };
        if safe.to_bits() != r.weight_pct.to_bits() {
            notes.push(format!(
                "reference '{}' weight {} % set to {safe} %",
                r.name, r.weight_pct
            ));
            r.weight_pct = safe;
        }
    }
    notes
}

/// What a parameter id stands for in the contract.
enum Kind {
    Float(&'static FloatSpec),
    Bool(bool),
    Choice(&'static ChoiceSpec),
}

fn kind(id: &str) -> Option<Kind> {
    if let Some(spec) = contract::floats().find(|s| s.id == id) {
        return Some(Kind::Float(spec));
    }
    if let Some(spec) = contract::BOOLS.iter().find(|s| s.id == id) {
        return Some(Kind::Bool(spec.default));
    }
    contract::CHOICES
        .iter()
        .find(|s| s.id == id)
        .map(Kind::Choice)
}

/// A float value made safe: `None` when it already is, else the value to use.
fn safe_float(spec: &FloatSpec, v: f32) -> Option<f32> {
    if !v.is_finite() {
        Some(spec.default)
    } else if v < spec.min || v > spec.max {
        Some(v.clamp(spec.min, spec.max))
    } else {
        None
    }
}

/// The saved parameter value made safe: `Ok(None)` when it is usable as it is, `Ok(Some(v))`
/// to use `v` instead (with the reason), `Err` to drop it.
fn safe_param(id: &str, value: &ParamValue) -> Result<Option<(ParamValue, String)>, String> {
    let Some(kind) = kind(id) else {
        return Err(format!("unknown parameter '{id}' ignored"));
    };
    Ok(match (kind, value) {
        (Kind::Float(spec), ParamValue::F32(v)) => safe_float(spec, *v).map(|safe| {
            (
                ParamValue::F32(safe),
                format!(
                    "'{id}' = {v} is outside {}..{}, set to {safe}",
                    spec.min, spec.max
                ),
            )
        }),
        (Kind::Float(spec), other) => Some((
            ParamValue::F32(spec.default),
            format!(
                "'{id}' = {other:?} is not a number, set to {}",
                spec.default
            ),
        )),
        (Kind::Bool(_), ParamValue::Bool(_)) => None,
        (Kind::Bool(default), other) => Some((
            ParamValue::Bool(default),
            format!("'{id}' = {other:?} is not on/off, set to {default}"),
        )),
        (Kind::Choice(spec), ParamValue::String(s))
            if spec.entries.iter().any(|(entry, _)| entry == s) =>
        {
            None
        }
        (Kind::Choice(spec), ParamValue::I32(i))
            if usize::try_from(*i).is_ok_and(|i| i < spec.entries.len()) =>
        {
            None
        }
        (Kind::Choice(spec), other) => {
            let default = spec.entries[spec.default_index].0;
            Some((
                ParamValue::String(default.to_string()),
                format!("'{id}' = {other:?} is no entry of the list, set to {default}"),
            ))
        }
    })
}

/// A snapshot value (a plain value as `ab::snapshot` stores it: on/off as 0 or 1, a list entry
/// as its index) made safe; `None` drops it.
fn safe_snapshot_value(id: &str, v: f32) -> Option<f32> {
    if NOT_IN_SLOTS.contains(&id) {
        return None;
    }
    Some(match kind(id)? {
        Kind::Float(spec) => safe_float(spec, v).unwrap_or(v),
        Kind::Bool(default) if !v.is_finite() => f32::from(u8::from(default)),
        Kind::Bool(_) => f32::from(u8::from(v >= 0.5)),
        Kind::Choice(spec) if !v.is_finite() => spec.default_index as f32,
        Kind::Choice(spec) => v.round().clamp(0.0, (spec.entries.len() - 1) as f32),
    })
}

/// Makes every snapshot value of `ab` safe; returns whether anything changed.
pub fn sanitise_ab(ab: &mut AbState) -> bool {
    let mut changed = false;
    for snapshot in [&mut ab.a, &mut ab.b] {
        snapshot.retain(|id, v| match safe_snapshot_value(id, *v) {
            None => {
                changed = true;
                false
            }
            Some(safe) => {
                // NaN != NaN also counts as a change.
                changed |= safe.to_bits() != v.to_bits();
                *v = safe;
                true
            }
        });
    }
    changed
}

/// Makes `state` safe to load (see the module docs) and returns one line per fallback taken,
/// empty for a good state.
pub fn sanitise(state: &mut PluginState) -> Vec<String> {
    let mut notes = Vec::new();
    let ids: Vec<String> = state.params.keys().cloned().collect();
    for id in ids {
        match safe_param(&id, &state.params[&id]) {
            Ok(None) => {}
            Ok(Some((safe, why))) => {
                notes.push(why);
                state.params.insert(id, safe);
            }
            Err(why) => {
                notes.push(why);
                state.params.remove(&id);
            }
        }
    }
    let mut fields = std::mem::take(&mut state.fields);
    if let Some(json) = fields.remove(AB_FIELD) {
        match serde_json::from_str::<AbState>(&json) {
            Ok(mut ab) => {
                if sanitise_ab(&mut ab) {
                    notes.push("A/B slot values outside their ranges were fixed".to_string());
                }
                match serde_json::to_string(&ab) {
                    Ok(json) => {
                        state.fields.insert(AB_FIELD.to_string(), json);
                    }
                    Err(e) => notes.push(format!("A/B slots not loaded ({e})")),
                }
            }
            Err(e) => notes.push(format!("A/B slots unreadable ({e}), loaded empty")),
        }
    }
    if let Some(json) = fields.remove(EDITOR_FIELD) {
        match serde_json::from_str::<Geometry>(&json) {
            Ok(geometry) => {
                let safe = geometry.sanitised();
                if safe != geometry {
                    notes.push(format!(
                        "editor size {geometry:?} outside what the editor supports, opened at \
                         {safe:?}"
                    ));
                }
                if let Ok(json) = serde_json::to_string(&safe) {
                    state.fields.insert(EDITOR_FIELD.to_string(), json);
                }
            }
            Err(e) => notes.push(format!(
                "editor size unreadable ({e}), opened at the default size"
            )),
        }
    }
    if let Some(json) = fields.remove(REFERENCES_FIELD) {
        match serde_json::from_str::<Vec<SavedReference>>(&json) {
            Ok(mut references) => {
                let fixed = sanitise_references(&mut references);
                if fixed.is_empty() {
                    // Untouched: the saved text goes through as it is (a round trip keeps the
                    // bytes).
                    state.fields.insert(REFERENCES_FIELD.to_string(), json);
                } else {
                    notes.extend(fixed);
                    match serde_json::to_string(&references) {
                        Ok(json) => {
                            state.fields.insert(REFERENCES_FIELD.to_string(), json);
                        }
                        Err(e) => notes.push(format!("reference tracks not loaded ({e})")),
                    }
                }
            }
            Err(e) => notes.push(format!("reference tracks unreadable ({e}), loaded none")),
        }
    }
    for unknown in fields.into_keys() {
        notes.push(format!("unknown saved field '{unknown}' ignored"));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(params: &[(&str, ParamValue)], fields: &[(&str, &str)]) -> PluginState {
        PluginState {
            version: env!("CARGO_PKG_VERSION").to_string(),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
            fields: fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn a_good_state_is_left_alone() {
        let mut s = state(
            &[
                ("drive", ParamValue::F32(3.0)),
                ("bypass", ParamValue::Bool(true)),
                ("platform", ParamValue::String("spotify".into())),
                ("family", ParamValue::I32(2)),
            ],
            &[(
                EDITOR_FIELD,
                r#"{"width":1100.0,"height":700.0,"zoom":1.25}"#,
            )],
        );
        let before = serde_json::to_string(&s).unwrap();
        assert!(sanitise(&mut s).is_empty());
        assert_eq!(serde_json::to_string(&s).unwrap(), before);
    }

    #[test]
    fn bad_values_fall_back_and_say_so() {
        let drive = contract::float("drive");
        let mut s = state(
            &[
                ("drive", ParamValue::F32(1e9)),
                ("ceiling", ParamValue::F32(f32::NAN)),
                ("output", ParamValue::Bool(true)),
                ("bypass", ParamValue::F32(1.0)),
                ("platform", ParamValue::String("myspace".into())),
                ("family", ParamValue::I32(-1)),
                ("from_the_future", ParamValue::F32(1.0)),
            ],
            &[
                (
                    AB_FIELD,
                    r#"{"active":"A","a":{"drive":1e39,"bypass":1,"nope":2},"#,
                ),
                (EDITOR_FIELD, r#"{"width":1e30,"height":-5,"zoom":0}"#),
                ("other", "{}"),
            ],
        );
        let notes = sanitise(&mut s);
        assert_eq!(notes.len(), 10, "{notes:#?}");
        assert!(matches!(s.params["drive"], ParamValue::F32(v) if v == drive.max));
        let ceiling = contract::float("ceiling").default;
        assert!(matches!(s.params["ceiling"], ParamValue::F32(v) if v == ceiling));
        assert!(matches!(s.params["bypass"], ParamValue::Bool(false)));
        assert!(matches!(&s.params["platform"], ParamValue::String(p) if p == "custom"));
        assert!(!s.params.contains_key("from_the_future"));
        assert!(!s.fields.contains_key(AB_FIELD) && !s.fields.contains_key("other"));
        let g: Geometry = serde_json::from_str(&s.fields[EDITOR_FIELD]).unwrap();
        assert_eq!(g, g.sanitised());
    }

    #[test]
    fn snapshot_values_are_made_safe() {
        let mut ab: AbState = serde_json::from_str(
            r#"{"active":"B","a":{"drive":1e39,"bypass":1,"platform":42.7,"match_loudness":0.2},
                "b":{"drive":3,"nope":1}}"#,
        )
        .unwrap();
        assert!(sanitise_ab(&mut ab));
        assert_eq!(ab.a["drive"], contract::float("drive").default);
        assert!(!ab.a.contains_key("bypass") && !ab.b.contains_key("nope"));
        assert_eq!(ab.a["platform"], 9.0);
        assert_eq!(ab.a["match_loudness"], 0.0);
        assert_eq!(ab.b["drive"], 3.0);
        assert!(!sanitise_ab(&mut ab));
    }
}
