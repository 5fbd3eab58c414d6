//! Factory presets, one list for the plugin (the editor's preset menu) and the CLI
//! (`--preset NAME`). A preset is a handful of parameter values by their frozen ids; every
//! other parameter keeps its default. The plugin sets these through the host (so automation and
//! undo see them); the CLI turns the same values into chain settings with [`preset_settings`],
//! and a test checks that both give the same chain.

use crate::chain::ChainSettings;
use crate::platform::Platform;

/// One factory preset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactoryPreset {
    /// Name shown in the editor.
    pub name: &'static str,
    /// Name used on the command line (`--preset`).
    pub cli_name: &'static str,
    /// What it is for, one line.
    pub description: &'static str,
    /// Delivery platform whose loudness and ceiling it uses; `None` = Custom.
    pub platform: Option<Platform>,
    /// Loudness goal, LUFS (the platform's own when `platform` is set).
    pub target_lufs: f32,
    /// True-peak ceiling, dBTP.
    pub ceiling_dbtp: f32,
    /// "Dynamics" macro, percent.
    pub dynamics_pct: f32,
    /// "Tone" macro, -100..100.
    pub tone: f32,
    /// "Width" macro, percent.
    pub width_pct: f32,
    /// "Bass Mono" macro, Hz; `None` = Off.
    pub bass_mono_hz: Option<f32>,
    /// EQ high-pass, Hz; `None` = Off.
    pub high_pass_hz: Option<f32>,
    /// Assistant amounts (tone, dynamics, width), percent.
    pub amounts_pct: [f32; 3],
}

/// Every factory preset, in menu order.
pub const FACTORY_PRESETS: [FactoryPreset; 6] = [
    FactoryPreset {
        name: "Streaming",
        cli_name: "streaming",
        description: "-14 LUFS, -1 dBTP: Spotify, YouTube, TIDAL, Amazon play at this level",
        platform: None,
        target_lufs: -14.0,
        ceiling_dbtp: -1.0,
        dynamics_pct: 20.0,
        tone: 0.0,
        width_pct: 100.0,
        bass_mono_hz: None,
        high_pass_hz: None,
        amounts_pct: [100.0, 100.0, 100.0],
    },
    FactoryPreset {
        name: "Apple Music",
        cli_name: "apple-music",
        description: "-16 LUFS, -1 dBTP: Apple Music's Sound Check level",
        platform: Some(Platform::Apple),
        target_lufs: -16.0,
        ceiling_dbtp: -1.0,
        dynamics_pct: 20.0,
        tone: 0.0,
        width_pct: 100.0,
        bass_mono_hz: None,
        high_pass_hz: None,
        amounts_pct: [100.0, 100.0, 100.0],
    },
    FactoryPreset {
        name: "Club",
        cli_name: "club",
        description: "-8 LUFS, -0.3 dBTP, denser dynamics, mono bass below 120 Hz for PA systems",
        platform: None,
        target_lufs: -8.0,
        ceiling_dbtp: -0.3,
        dynamics_pct: 60.0,
        tone: 0.0,
        width_pct: 100.0,
        bass_mono_hz: Some(120.0),
        high_pass_hz: Some(25.0),
        amounts_pct: [100.0, 100.0, 100.0],
    },
    FactoryPreset {
        name: "Gentle",
        cli_name: "gentle",
        description: "-16 LUFS, -1 dBTP, light touch: half the assistant's moves, little compression",
        platform: None,
        target_lufs: -16.0,
        ceiling_dbtp: -1.0,
        dynamics_pct: 10.0,
        tone: 0.0,
        width_pct: 100.0,
        bass_mono_hz: None,
        high_pass_hz: None,
        amounts_pct: [50.0, 50.0, 50.0],
    },
    FactoryPreset {
        name: "Podcast",
        cli_name: "podcast",
        description: "-16 LUFS, -1 dBTP, voice-friendly: 80 Hz high-pass, a little presence, \
                      even dynamics, mono below 200 Hz",
        platform: None,
        target_lufs: -16.0,
        ceiling_dbtp: -1.0,
        dynamics_pct: 45.0,
        tone: 20.0,
        width_pct: 100.0,
        bass_mono_hz: Some(200.0),
        high_pass_hz: Some(60.0),
        amounts_pct: [100.0, 100.0, 50.0],
    },
    FactoryPreset {
        name: "Broadcast R128",
        cli_name: "broadcast-r128",
        description: "-23 LUFS, -1 dBTP: EBU R128 broadcast delivery",
        platform: Some(Platform::EbuR128),
        target_lufs: -23.0,
        ceiling_dbtp: -1.0,
        dynamics_pct: 15.0,
        tone: 0.0,
        width_pct: 100.0,
        bass_mono_hz: None,
        high_pass_hz: None,
        amounts_pct: [100.0, 100.0, 100.0],
    },
];

/// A parameter value a preset sets, in the parameter's display units (plain value); booleans
/// as 0/1; the platform as its variant id.
#[derive(Debug, Clone, PartialEq)]
pub enum PresetValue {
    /// A float parameter's plain value.
    Plain(f32),
    /// An enum parameter's variant id.
    Variant(&'static str),
}

/// Value of an "Off, or a frequency" parameter whose first real value is `min_hz`: one step
/// below it means Off (see `params::stages`).
fn hz_or_off(hz: Option<f32>, min_hz: f32) -> f32 {
    hz.unwrap_or(min_hz - 1.0)
}

impl FactoryPreset {
    /// The parameter values this preset sets, by parameter id.
    pub fn parameter_values(&self) -> Vec<(&'static str, PresetValue)> {
        use PresetValue::{Plain, Variant};
        vec![
            (
                "platform",
                Variant(self.platform.map_or("custom", |p| p.cli_name())),
            ),
            ("target_lufs", Plain(self.target_lufs)),
            ("ceiling", Plain(self.ceiling_dbtp)),
            ("dynamics", Plain(self.dynamics_pct)),
            ("tone", Plain(self.tone)),
            ("width", Plain(self.width_pct)),
            ("bass_mono", Plain(hz_or_off(self.bass_mono_hz, 40.0))),
            ("eq_hp", Plain(hz_or_off(self.high_pass_hz, 10.0))),
            ("amount_tone", Plain(self.amounts_pct[0])),
            ("amount_dynamics", Plain(self.amounts_pct[1])),
            ("amount_width", Plain(self.amounts_pct[2])),
        ]
    }

    /// Looks a preset up by its command-line or display name (case-insensitive).
    pub fn by_name(name: &str) -> Option<&'static FactoryPreset> {
        let name = name.trim();
        FACTORY_PRESETS
            .iter()
            .find(|p| p.cli_name.eq_ignore_ascii_case(name) || p.name.eq_ignore_ascii_case(name))
    }
}

/// The chain settings a preset gives on top of `base` (what the CLI renders with): the
/// ceiling, the macros and the EQ high-pass. Loudness is a goal, not a chain setting: the
/// CLI's loudness targeting reads [`FactoryPreset::target_lufs`].
pub fn preset_settings(preset: &FactoryPreset, base: &ChainSettings) -> ChainSettings {
    let mut s = *base;
    s.ceiling_dbtp = preset.ceiling_dbtp;
    s.macros.dynamics_pct = preset.dynamics_pct;
    s.macros.tone = preset.tone;
    s.macros.width_pct = preset.width_pct;
    s.macros.bass_mono_on = preset.bass_mono_hz.is_some();
    if let Some(hz) = preset.bass_mono_hz {
        s.macros.bass_mono_hz = hz;
    }
    s.stages.eq.high_pass_on = preset.high_pass_hz.is_some();
    if let Some(hz) = preset.high_pass_hz {
        s.stages.eq.high_pass_hz = hz;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_lists_these_presets_with_these_goals() {
        // (name, LUFS, dBTP) from issue #7.
        for (name, lufs, dbtp) in [
            ("Streaming", -14.0, -1.0),
            ("Apple Music", -16.0, -1.0),
            ("Club", -8.0, -0.3),
            ("Gentle", -16.0, -1.0),
            ("Podcast", -16.0, -1.0),
            ("Broadcast R128", -23.0, -1.0),
        ] {
            let p = FactoryPreset::by_name(name).expect(name);
            assert_eq!((p.target_lufs, p.ceiling_dbtp), (lufs, dbtp), "{name}");
            assert_eq!(FactoryPreset::by_name(p.cli_name), Some(p));
            if let Some(platform) = p.platform {
                assert_eq!(platform.target_lufs(), lufs, "{name}: platform disagrees");
                assert_eq!(platform.ceiling_dbtp(), dbtp, "{name}: platform disagrees");
            }
        }
        let club = FactoryPreset::by_name("club").unwrap();
        let streaming = FactoryPreset::by_name("streaming").unwrap();
        assert!(club.dynamics_pct > streaming.dynamics_pct, "Club is denser");
        let gentle = FactoryPreset::by_name("gentle").unwrap();
        assert!(
            gentle.amounts_pct.iter().all(|&a| a < 100.0),
            "Gentle is lighter"
        );
        assert!(FactoryPreset::by_name("no such preset").is_none());
    }
}
