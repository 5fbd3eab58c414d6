//! Parameters of the loudness goal, the fair comparison and the assistant's amounts:
//! `target_lufs`, `platform`, `match_loudness`, `amount_tone`, `amount_dynamics`,
//! `amount_width`, `family`. Ids are frozen once released (README lists them).

use crate::platform::Platform;
use nice_plug::prelude::*;

/// The "Platform" choice: a delivery target whose loudness and ceiling the assistant uses, or
/// Custom (the "Target Loudness" and "Ceiling" parameters as set).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PlatformChoice {
    #[id = "custom"]
    Custom,
    #[id = "spotify"]
    Spotify,
    #[id = "apple"]
    #[name = "Apple Music"]
    Apple,
    #[id = "youtube"]
    #[name = "YouTube"]
    Youtube,
    #[id = "tidal"]
    #[name = "TIDAL"]
    Tidal,
    #[id = "amazon"]
    #[name = "Amazon Music"]
    Amazon,
    #[id = "deezer"]
    Deezer,
    #[id = "soundcloud"]
    #[name = "SoundCloud"]
    Soundcloud,
    #[id = "cd"]
    #[name = "CD / loud master"]
    Cd,
    #[id = "ebu-r128"]
    #[name = "EBU R128 broadcast"]
    EbuR128,
}

/// The "Family" choice: which target the assistant compares the track with when there is no
/// reference. Auto blends the committed families by the track's similarity to each (shown in
/// the editor); the others force one family (`assets/targets/<id>.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum FamilyChoice {
    #[id = "auto"]
    Auto,
    #[id = "modern"]
    #[name = "Modern / electronic"]
    Modern,
    #[id = "bass-heavy"]
    #[name = "Bass-heavy"]
    BassHeavy,
    #[id = "acoustic"]
    #[name = "Acoustic / orchestral"]
    Acoustic,
}

impl FamilyChoice {
    /// Name of the family profile this choice forces (the `name` in its JSON); `None` for Auto.
    pub fn profile_name(self) -> Option<&'static str> {
        match self {
            FamilyChoice::Auto => None,
            FamilyChoice::Modern => Some("modern"),
            FamilyChoice::BassHeavy => Some("bass-heavy"),
            FamilyChoice::Acoustic => Some("acoustic"),
        }
    }
}

impl PlatformChoice {
    /// The platform this choice stands for; `None` for Custom.
    pub fn platform(self) -> Option<Platform> {
        Some(match self {
            PlatformChoice::Custom => return None,
            PlatformChoice::Spotify => Platform::Spotify,
            PlatformChoice::Apple => Platform::Apple,
            PlatformChoice::Youtube => Platform::Youtube,
            PlatformChoice::Tidal => Platform::Tidal,
            PlatformChoice::Amazon => Platform::Amazon,
            PlatformChoice::Deezer => Platform::Deezer,
            PlatformChoice::Soundcloud => Platform::Soundcloud,
            PlatformChoice::Cd => Platform::Cd,
            PlatformChoice::EbuR128 => Platform::EbuR128,
        })
    }

    /// The choice for a platform.
    pub fn from_platform(platform: Platform) -> Self {
        match platform {
            Platform::Spotify => PlatformChoice::Spotify,
            Platform::Apple => PlatformChoice::Apple,
            Platform::Youtube => PlatformChoice::Youtube,
            Platform::Tidal => PlatformChoice::Tidal,
            Platform::Amazon => PlatformChoice::Amazon,
            Platform::Deezer => PlatformChoice::Deezer,
            Platform::Soundcloud => PlatformChoice::Soundcloud,
            Platform::Cd => PlatformChoice::Cd,
            Platform::EbuR128 => PlatformChoice::EbuR128,
        }
    }
}

/// The loudness goal the assistant aims for, with units: what "Platform" and "Target
/// Loudness"/"Ceiling" resolve to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoudnessGoal {
    /// Integrated loudness to reach, LUFS.
    pub target_lufs: f32,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f32,
}

/// The goal: a platform's own target and ceiling, or for Custom the parameters as set.
pub fn resolve_goal(choice: PlatformChoice, target_lufs: f32, ceiling_dbtp: f32) -> LoudnessGoal {
    match choice.platform() {
        Some(p) => LoudnessGoal {
            target_lufs: p.target_lufs(),
            ceiling_dbtp: p.ceiling_dbtp(),
        },
        None => LoudnessGoal {
            target_lufs,
            ceiling_dbtp,
        },
    }
}

/// Loudness goal, comparison and assistant amounts.
///
/// Platform and Family are lists. Their text is their names both ways (nice-plug's
/// `EnumParam` formats and parses the variant names, and every parameter's text round-trips:
/// `params/roundtrip.rs`), so a host that asks the plugin for a value's text shows names. How a
/// host presents the parameter, though, comes from flags the framework alone sets: nice-plug
/// 0.4.2's VST3 wrapper gives every parameter `stepCount` and never `ParameterInfo::kIsList`,
/// and its CLAP wrapper sets `CLAP_PARAM_IS_STEPPED` but not `CLAP_PARAM_IS_ENUM`; `ParamFlags`
/// has no list flag for the plugin to set. A VST3 host that lists only `kIsList` parameters by
/// name (Ardour's generic controls) shows these as numbers 0..n-1. That is a framework limit
/// Lacquer cannot work around from its side; the editor shows the names.
#[derive(Params)]
pub struct GoalParams {
    /// Integrated loudness the assistant aims for when Platform is Custom, LUFS.
    #[id = "target_lufs"]
    pub target_lufs: FloatParam,
    /// Delivery platform (sets the loudness goal and ceiling the assistant uses), or Custom.
    #[id = "platform"]
    pub platform: EnumParam<PlatformChoice>,
    /// Compare plays the dry signal at the processed signal's short-term loudness (kept under
    /// the ceiling). The host bypass is never levelled.
    #[id = "match_loudness"]
    pub match_loudness: BoolParam,
    /// How much of the assistant's EQ moves to apply, percent.
    #[id = "amount_tone"]
    pub amount_tone: FloatParam,
    /// How much of the assistant's dynamics decision to apply, percent.
    #[id = "amount_dynamics"]
    pub amount_dynamics: FloatParam,
    /// How much of the assistant's width moves to apply, percent.
    #[id = "amount_width"]
    pub amount_width: FloatParam,
    /// Target family for the next Listen (no reference in the plugin): Auto or a family.
    #[id = "family"]
    pub family: EnumParam<FamilyChoice>,
}

impl Default for GoalParams {
    fn default() -> Self {
        Self {
            target_lufs: super::float_param("target_lufs"),
            platform: EnumParam::new("Platform", PlatformChoice::Custom),
            match_loudness: super::on_off_param("match_loudness"),
            amount_tone: super::float_param("amount_tone"),
            amount_dynamics: super::float_param("amount_dynamics"),
            amount_width: super::float_param("amount_width"),
            family: EnumParam::new("Family", FamilyChoice::Auto),
        }
    }
}

impl GoalParams {
    /// The loudness goal the parameters resolve to.
    pub fn goal(&self, ceiling_dbtp: f32) -> LoudnessGoal {
        resolve_goal(
            self.platform.value(),
            self.target_lufs.value(),
            ceiling_dbtp,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_choice_but_auto_forces_a_committed_family_and_every_family_has_one() {
        let variants = FamilyChoice::variants();
        let named: Vec<&str> = (0..variants.len())
            .filter_map(|i| FamilyChoice::from_index(i).profile_name())
            .collect();
        assert_eq!(FamilyChoice::from_index(0).profile_name(), None);
        let committed: Vec<&str> = crate::assistant::targets::families()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(committed.len(), 3);
        let mut a = named.clone();
        let mut b = committed.clone();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        for name in named {
            assert!(crate::assistant::targets::family(name).is_some(), "{name}");
        }
    }

    #[test]
    fn every_platform_has_a_choice_and_back() {
        for p in Platform::ALL {
            assert_eq!(PlatformChoice::from_platform(p).platform(), Some(p));
        }
        assert_eq!(PlatformChoice::Custom.platform(), None);
        assert_eq!(PlatformChoice::variants().len(), Platform::ALL.len() + 1);
    }

    #[test]
    fn custom_uses_the_parameters_and_a_platform_its_own_numbers() {
        let custom = resolve_goal(PlatformChoice::Custom, -11.5, -0.5);
        assert_eq!((custom.target_lufs, custom.ceiling_dbtp), (-11.5, -0.5));
        let apple = resolve_goal(PlatformChoice::Apple, -11.5, -0.5);
        assert_eq!((apple.target_lufs, apple.ceiling_dbtp), (-16.0, -1.0));
    }
}
