//! Loading projects saved by older versions: each parameter-set change that would alter how an
//! old project sounds gets a migration here, keyed on the version the state was saved with
//! ([`PluginState::version`], the crate version). Called by the framework just before a state
//! is loaded (`Plugin::filter_state`). After the migrations every state is made safe
//! ([`sanitise()`]): whatever the bytes said, no parameter ends up non-finite or outside its
//! range, and each fallback is logged.

pub mod harness;
mod sanitise;

use nice_plug::plugin::{ParamValue, PluginState};
pub use sanitise::{sanitise, sanitise_ab, sanitise_references};

/// `(major, minor, patch)` of a version string such as "0.1.0"; an empty or unreadable one (a
/// very old state) counts as 0.0.0.
pub fn parse_version(version: &str) -> (u32, u32, u32) {
    let mut parts = version
        .trim()
        .split(['.', '-', '+'])
        .map(|p| p.parse::<u32>().ok());
    let mut next = || parts.next().flatten().unwrap_or(0);
    (next(), next(), next())
}

/// The first version with the "Goal" parameters (`match_loudness`, `target_lufs`, `platform`,
/// the assistant amounts).
pub const GOAL_PARAMS_SINCE: (u32, u32, u32) = (0, 2, 0);

/// The first version with Compare (`compare`): from it on, Bypass (the host's bypass) is the
/// plain delayed input and Match Loudness applies to Compare only.
pub const COMPARE_SINCE: (u32, u32, u32) = (0, 3, 0);

/// Whether the on/off parameter `id` is on in `state`; `default` when the state lacks it.
fn is_on(state: &PluginState, id: &str, default: bool) -> bool {
    match state.params.get(id) {
        Some(ParamValue::Bool(on)) => *on,
        Some(ParamValue::F32(v)) => *v >= 0.5,
        Some(ParamValue::I32(v)) => *v != 0,
        Some(ParamValue::String(_)) | None => default,
    }
}

/// Brings an older state up to the current parameter set.
///
/// - Before 0.2.0 there was no Match Loudness: bypass played the dry signal at its own level.
///   A project from then loads with `match_loudness` off, so its bypass sounds as it did
///   (new instances default to on).
/// - Before 0.3.0 Bypass with Match Loudness on played the dry signal levelled to the processed
///   loudness; since then the host's Bypass is the plain delayed input and the levelled dry
///   signal is Compare. A project saved bypassed with Match Loudness on (stated, or missing and
///   so at its default, on) loads with Bypass off and Compare on: what its user was listening
///   to, the loudness-matched comparison (now kept under the ceiling). Bypassed with Match
///   Loudness off it was the plain dry signal, and stays Bypass. Not bypassed, nothing changes
///   (Compare is off, its default).
///
/// Then [`sanitise()`] makes every value safe; what fell back is logged (nice-plug's log,
/// `NICE_LOG` says where it goes).
pub fn migrate(state: &mut PluginState) {
    let version = parse_version(&state.version);
    if version < GOAL_PARAMS_SINCE {
        state
            .params
            .entry("match_loudness".to_string())
            .or_insert(ParamValue::Bool(false));
    }
    if version < COMPARE_SINCE
        && is_on(state, "bypass", false)
        && is_on(state, "match_loudness", true)
    {
        state
            .params
            .insert("bypass".to_string(), ParamValue::Bool(false));
        state
            .params
            .insert("compare".to_string(), ParamValue::Bool(true));
    }
    let fallbacks = sanitise(state);
    if !fallbacks.is_empty() {
        nice_plug::nice_warn!(
            "Lacquer: the loaded state (saved by version {:?}) fell back in {} place(s): {}",
            state.version,
            fallbacks.len(),
            fallbacks.join("; ")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(version: &str) -> PluginState {
        PluginState {
            version: version.to_string(),
            params: [("drive".to_string(), ParamValue::F32(4.5))].into(),
            fields: Default::default(),
        }
    }

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(parse_version("0.1.0"), (0, 1, 0));
        assert_eq!(parse_version("0.10.2-beta"), (0, 10, 2));
        assert_eq!(parse_version(""), (0, 0, 0));
        assert!(parse_version("0.10.0") > parse_version("0.2.0"));
    }

    #[test]
    fn an_old_state_gets_match_loudness_off_and_keeps_the_rest() {
        for old in ["0.1.0", "", "0.1.9"] {
            let mut s = state(old);
            migrate(&mut s);
            assert!(
                matches!(
                    s.params.get("match_loudness"),
                    Some(ParamValue::Bool(false))
                ),
                "{old:?}"
            );
            assert!(matches!(s.params.get("drive"), Some(ParamValue::F32(v)) if *v == 4.5));
        }
    }

    fn with(version: &str, params: &[(&str, bool)]) -> PluginState {
        let mut s = state(version);
        for (id, on) in params {
            s.params.insert(id.to_string(), ParamValue::Bool(*on));
        }
        s
    }

    fn on(s: &PluginState, id: &str) -> Option<bool> {
        match s.params.get(id) {
            Some(ParamValue::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    #[test]
    fn a_0_2_state_bypassed_with_match_loudness_loads_as_compare() {
        // Match Loudness stated on, or missing (its default then was on).
        for params in [
            &[("bypass", true), ("match_loudness", true)][..],
            &[("bypass", true)][..],
        ] {
            for old in ["0.2.0", "0.2.9", "0.2.1-beta"] {
                let mut s = with(old, params);
                migrate(&mut s);
                assert_eq!(on(&s, "bypass"), Some(false), "{old}: {params:?}");
                assert_eq!(on(&s, "compare"), Some(true), "{old}: {params:?}");
                assert!(matches!(s.params.get("drive"), Some(ParamValue::F32(v)) if *v == 4.5));
            }
        }
    }

    #[test]
    fn a_0_2_state_not_matched_or_not_bypassed_keeps_its_meaning() {
        // Bypassed with Match Loudness off: the plain dry signal, which Bypass still is.
        let mut s = with("0.2.0", &[("bypass", true), ("match_loudness", false)]);
        migrate(&mut s);
        assert_eq!(on(&s, "bypass"), Some(true));
        assert_eq!(on(&s, "compare"), None);
        // Not bypassed: nothing to do.
        let mut s = with("0.2.0", &[("bypass", false), ("match_loudness", true)]);
        let before = serde_json::to_string(&s).unwrap();
        migrate(&mut s);
        assert_eq!(serde_json::to_string(&s).unwrap(), before);
        // A 0.1.0 project had no Match Loudness: its bypass was the plain dry signal too.
        let mut s = with("0.1.0", &[("bypass", true)]);
        migrate(&mut s);
        assert_eq!(on(&s, "bypass"), Some(true));
        assert_eq!(on(&s, "match_loudness"), Some(false));
        assert_eq!(on(&s, "compare"), None);
    }

    #[test]
    fn a_0_3_state_bypassed_with_match_loudness_stays_bypassed() {
        let mut s = with("0.3.0", &[("bypass", true), ("match_loudness", true)]);
        migrate(&mut s);
        assert_eq!(on(&s, "bypass"), Some(true));
        assert_eq!(on(&s, "compare"), None);
    }

    #[test]
    fn a_current_state_is_left_alone() {
        let mut s = state(env!("CARGO_PKG_VERSION"));
        let before = serde_json::to_string(&s).unwrap();
        migrate(&mut s);
        assert_eq!(serde_json::to_string(&s).unwrap(), before);
    }
}
