//! Loudness penalty: for each platform, how many dB its loudness normalisation will turn this
//! master down (or up), from the integrated loudness and the true peak ("Spotify -2.3 dB").
//!
//! Rules per platform, from docs/standards.md, platform-targets (Spotify's published
//! behaviour; the others as measured by third parties and marked there):
//! - every normalising platform turns a master louder than its target down to the target;
//! - Spotify (and, by the same account, Apple's Sound Check, Amazon, Deezer) turns a quieter
//!   master up only as far as the true peak stays at or under -1 dBTP (Spotify's example:
//!   -20 LUFS with -5 dBTP peaks is lifted 4 dB, to -16 LUFS);
//! - YouTube and TIDAL only turn down;
//! - SoundCloud and CD do not normalise (0 dB, shown as "none");
//! - EBU R128 broadcast normalises both ways (a broadcaster's chain limits peaks itself).

use super::theme;
use crate::platform::Platform;
use egui::{RichText, Ui};

/// Peak level a platform keeps when it turns a quiet master up, dBTP.
pub const TURN_UP_PEAK_LIMIT_DBTP: f32 = -1.0;

/// How a platform normalises loudness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Normalisation {
    /// No normalisation: plays as delivered.
    None,
    /// Turns loud masters down, never quiet ones up.
    DownOnly,
    /// Turns down, and up as far as the true peak stays under [`TURN_UP_PEAK_LIMIT_DBTP`].
    UpToPeakLimit,
    /// Turns down and up to the target whatever the peak.
    Both,
}

/// The normalisation behaviour of a platform.
pub fn normalisation(platform: Platform) -> Normalisation {
    match platform {
        Platform::Spotify | Platform::Apple | Platform::Amazon | Platform::Deezer => {
            Normalisation::UpToPeakLimit
        }
        Platform::Youtube | Platform::Tidal => Normalisation::DownOnly,
        Platform::Soundcloud | Platform::Cd => Normalisation::None,
        Platform::EbuR128 => Normalisation::Both,
    }
}

/// Gain the platform applies to a master of `integrated_lufs` with `true_peak_dbtp` peaks,
/// dB (negative: turned down). `None` without an integrated reading yet.
pub fn penalty_db(platform: Platform, integrated_lufs: f32, true_peak_dbtp: f32) -> Option<f32> {
    if !integrated_lufs.is_finite() {
        return None;
    }
    let to_target_db = platform.target_lufs() - integrated_lufs;
    let gain = match normalisation(platform) {
        Normalisation::None => 0.0,
        _ if to_target_db <= 0.0 => to_target_db,
        Normalisation::DownOnly => 0.0,
        Normalisation::Both => to_target_db,
        Normalisation::UpToPeakLimit => {
            // Silence-level peaks (-inf) leave unlimited headroom: the target caps the lift.
            let headroom_db = (TURN_UP_PEAK_LIMIT_DBTP - true_peak_dbtp).max(0.0);
            to_target_db.min(headroom_db)
        }
    };
    Some(gain)
}

/// The penalty list: one line per platform.
pub fn show(ui: &mut Ui, integrated_lufs: f32, true_peak_dbtp: f32) {
    ui.label(
        RichText::new("LOUDNESS PENALTY")
            .font(theme::heading_font())
            .color(theme::TEXT_DIM),
    );
    egui::Grid::new("penalty")
        .num_columns(2)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            for platform in Platform::ALL {
                ui.label(RichText::new(platform.display_name()).size(11.5));
                let text = match (
                    normalisation(platform),
                    penalty_db(platform, integrated_lufs, true_peak_dbtp),
                ) {
                    (Normalisation::None, Some(_)) => RichText::new("none").color(theme::TEXT_DIM),
                    (_, Some(db)) if db < -0.05 => {
                        RichText::new(format!("{db:+.1} dB")).color(theme::ACCENT)
                    }
                    (_, Some(db)) => RichText::new(format!("{db:+.1} dB")).color(theme::TEXT),
                    (_, None) => RichText::new("\u{2013} dB").color(theme::TEXT_DIM),
                };
                ui.label(text.size(11.5));
                ui.end_row();
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loud_masters_are_turned_down_to_the_target() {
        // -8 LUFS on Spotify (target -14): 6 dB down; on Apple (-16): 8 dB down.
        assert_eq!(penalty_db(Platform::Spotify, -8.0, -0.2), Some(-6.0));
        assert_eq!(penalty_db(Platform::Apple, -8.0, -0.2), Some(-8.0));
        let youtube = penalty_db(Platform::Youtube, -11.7, -1.0).expect("a reading");
        assert!((youtube + 2.3).abs() < 1e-5, "{youtube}");
        assert_eq!(penalty_db(Platform::EbuR128, -8.0, -1.0), Some(-15.0));
    }

    #[test]
    fn quiet_masters_follow_each_platform_rule() {
        // Spotify's own example: -20 LUFS, -5 dBTP peaks -> lifted to -16 LUFS (+4 dB).
        assert_eq!(penalty_db(Platform::Spotify, -20.0, -5.0), Some(4.0));
        // Enough headroom: lifted all the way to -14.
        assert_eq!(penalty_db(Platform::Spotify, -20.0, -9.0), Some(6.0));
        // Peaks already at -0.5 dBTP: no lift at all.
        assert_eq!(penalty_db(Platform::Spotify, -20.0, -0.5), Some(0.0));
        // Turn-down-only platforms leave it.
        assert_eq!(penalty_db(Platform::Tidal, -20.0, -9.0), Some(0.0));
        assert_eq!(penalty_db(Platform::Youtube, -20.0, -9.0), Some(0.0));
        // Broadcast normalises both ways.
        assert_eq!(penalty_db(Platform::EbuR128, -30.0, -9.0), Some(7.0));
        // No normalisation.
        assert_eq!(penalty_db(Platform::Soundcloud, -6.0, 0.0), Some(0.0));
        assert_eq!(penalty_db(Platform::Cd, -20.0, -9.0), Some(0.0));
    }

    #[test]
    fn no_reading_no_penalty() {
        assert_eq!(penalty_db(Platform::Spotify, f32::NEG_INFINITY, -3.0), None);
    }
}
