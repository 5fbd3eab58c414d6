//! The limiter's user settings and their ranges.

/// Shortest lookahead, ms.
pub const MIN_LOOKAHEAD_MS: f32 = 0.5;
/// Longest lookahead, ms; buffers are sized for it.
pub const MAX_LOOKAHEAD_MS: f32 = 10.0;

/// User settings of the limiter, in display units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LimiterSettings {
    /// Highest true peak the output may reach, dBTP. -12..0, default -1 (EBU R128 delivery).
    pub ceiling_dbtp: f32,
    /// Lookahead, ms: the attack time, and with the detector delay the stage's latency.
    /// 0.5..10, default 2.
    pub lookahead_ms: f32,
    /// Base release time, ms (fast recovery takes half of it, sustained limiting three
    /// times it). 10..1000, default 150.
    pub release_ms: f32,
    /// Stereo link, 0..1: 1 applies the same gain to every channel (no image shift), 0 limits
    /// each channel on its own. Default 1.
    pub link: f32,
}

impl Default for LimiterSettings {
    fn default() -> Self {
        Self {
            ceiling_dbtp: -1.0,
            lookahead_ms: 2.0,
            release_ms: 150.0,
            link: 1.0,
        }
    }
}

impl LimiterSettings {
    /// The settings clamped to their documented ranges (NaN becomes the default).
    pub fn clamped(&self) -> Self {
        let d = Self::default();
        let fix = |v: f32, lo: f32, hi: f32, default: f32| {
            if v.is_nan() { default } else { v.clamp(lo, hi) }
        };
        Self {
            ceiling_dbtp: fix(self.ceiling_dbtp, -12.0, 0.0, d.ceiling_dbtp),
            lookahead_ms: fix(
                self.lookahead_ms,
                MIN_LOOKAHEAD_MS,
                MAX_LOOKAHEAD_MS,
                d.lookahead_ms,
            ),
            release_ms: fix(self.release_ms, 10.0, 1000.0, d.release_ms),
            link: fix(self.link, 0.0, 1.0, d.link),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_clamped_to_their_ranges() {
        let wild = LimiterSettings {
            ceiling_dbtp: 3.0,
            lookahead_ms: 0.01,
            release_ms: 1e6,
            link: -2.0,
        };
        let c = wild.clamped();
        assert_eq!(c.ceiling_dbtp, 0.0);
        assert_eq!(c.lookahead_ms, MIN_LOOKAHEAD_MS);
        assert_eq!(c.release_ms, 1000.0);
        assert_eq!(c.link, 0.0);
        let nan = LimiterSettings {
            ceiling_dbtp: f32::NAN,
            lookahead_ms: f32::NAN,
            release_ms: f32::NAN,
            link: f32::NAN,
        };
        assert_eq!(nan.clamped(), LimiterSettings::default());
        assert_eq!(
            LimiterSettings::default().clamped(),
            LimiterSettings::default()
        );
    }
}
