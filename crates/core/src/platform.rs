//! Delivery targets: the loudness and true-peak ceiling each platform expects. Shared by the
//! CLI (`--platform`) and the plugin's "Platform" parameter.
//!
//! Figures from docs/standards.md, platform-targets (Spotify's and TIDAL's published targets,
//! EBU R128; the others from third-party measurements, as marked there). A master louder than a platform's
//! target is turned down by it; one quieter may or may not be turned up.

use serde::{Deserialize, Serialize};

/// A delivery target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    Spotify,
    Apple,
    Youtube,
    Tidal,
    Amazon,
    Deezer,
    Soundcloud,
    Cd,
    EbuR128,
}

impl Platform {
    /// Every platform, in the order the README table and the CLI help list them.
    pub const ALL: [Platform; 9] = [
        Platform::Spotify,
        Platform::Apple,
        Platform::Youtube,
        Platform::Tidal,
        Platform::Amazon,
        Platform::Deezer,
        Platform::Soundcloud,
        Platform::Cd,
        Platform::EbuR128,
    ];

    /// The name used on the command line.
    pub fn cli_name(self) -> &'static str {
        match self {
            Platform::Spotify => "spotify",
            Platform::Apple => "apple",
            Platform::Youtube => "youtube",
            Platform::Tidal => "tidal",
            Platform::Amazon => "amazon",
            Platform::Deezer => "deezer",
            Platform::Soundcloud => "soundcloud",
            Platform::Cd => "cd",
            Platform::EbuR128 => "ebu-r128",
        }
    }

    /// The name shown to people.
    pub fn display_name(self) -> &'static str {
        match self {
            Platform::Spotify => "Spotify",
            Platform::Apple => "Apple Music",
            Platform::Youtube => "YouTube",
            Platform::Tidal => "TIDAL",
            Platform::Amazon => "Amazon Music",
            Platform::Deezer => "Deezer",
            Platform::Soundcloud => "SoundCloud",
            Platform::Cd => "CD / loud master",
            Platform::EbuR128 => "EBU R128 broadcast",
        }
    }

    /// Integrated loudness target, LUFS.
    pub fn target_lufs(self) -> f32 {
        match self {
            Platform::Spotify | Platform::Youtube | Platform::Tidal => -14.0,
            Platform::Amazon | Platform::Soundcloud => -14.0,
            Platform::Apple => -16.0,
            Platform::Deezer => -15.0,
            Platform::Cd => -9.0,
            Platform::EbuR128 => -23.0,
        }
    }

    /// True-peak ceiling, dBTP.
    pub fn ceiling_dbtp(self) -> f32 {
        match self {
            Platform::Amazon => -2.0,
            Platform::Cd => -0.3,
            _ => -1.0,
        }
    }

    /// Looks a platform up by its command-line name (case-insensitive).
    pub fn from_cli_name(name: &str) -> Option<Platform> {
        Self::ALL
            .into_iter()
            .find(|p| p.cli_name().eq_ignore_ascii_case(name.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_match_the_published_targets() {
        // (name, LUFS, dBTP) as the limiter issue lists them.
        let expected = [
            ("spotify", -14.0, -1.0),
            ("apple", -16.0, -1.0),
            ("youtube", -14.0, -1.0),
            ("tidal", -14.0, -1.0),
            ("amazon", -14.0, -2.0),
            ("deezer", -15.0, -1.0),
            ("soundcloud", -14.0, -1.0),
            ("cd", -9.0, -0.3),
            ("ebu-r128", -23.0, -1.0),
        ];
        for (name, lufs, dbtp) in expected {
            let p = Platform::from_cli_name(name).expect(name);
            assert_eq!((p.target_lufs(), p.ceiling_dbtp()), (lufs, dbtp), "{name}");
        }
        assert_eq!(Platform::from_cli_name("EBU-R128"), Some(Platform::EbuR128));
        assert_eq!(Platform::from_cli_name("napster"), None);
    }
}
