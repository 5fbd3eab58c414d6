//! Loading projects saved by older versions: each parameter-set change that would alter how an
//! old project sounds gets a migration here, keyed on the version the state was saved with
//! ([`PluginState::version`], the crate version). Called by the framework just before a state
//! is loaded (`Plugin::filter_state`).

use nice_plug::plugin::{ParamValue, PluginState};

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

/// Brings an older state up to the current parameter set.
///
/// - Before 0.2.0 there was no Match Loudness: bypass played the dry signal at its own level.
///   A project from then loads with `match_loudness` off, so its bypass sounds as it did
///   (new instances default to on).
pub fn migrate(state: &mut PluginState) {
    if parse_version(&state.version) < GOAL_PARAMS_SINCE {
        state
            .params
            .entry("match_loudness".to_string())
            .or_insert(ParamValue::Bool(false));
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

    #[test]
    fn a_current_state_is_left_alone() {
        let mut s = state(env!("CARGO_PKG_VERSION"));
        let before = serde_json::to_string(&s).unwrap();
        migrate(&mut s);
        assert_eq!(serde_json::to_string(&s).unwrap(), before);
    }
}
