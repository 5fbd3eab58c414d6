//! The bass half-period tracker that sets how long the limiter holds its gain reduction.

/// Tracks the half-period of the dominant low-frequency waveform of a channel with a Schmitt
/// trigger, so the limiter can hold its gain reduction across a whole bass half-cycle instead
/// of following the waveform (which would modulate the gain at twice the bass frequency and
/// distort it).
#[derive(Debug, Clone, Default)]
pub struct HalfPeriodTracker {
    envelope: f32,
    envelope_decay: f32,
    polarity: i8,
    samples_since_flip: u32,
    last_half_period: u32,
}

/// Hysteresis of the trigger as a fraction of the recent peak level: ripples smaller than this
/// (high-frequency content riding on the bass) do not count as zero crossings.
const HYSTERESIS_FRACTION: f32 = 0.25;

impl HalfPeriodTracker {
    /// Sets the peak-envelope decay (time constant 100 ms, longer than a 20 Hz half-cycle).
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.envelope_decay = (-1.0 / (0.1 * sample_rate_hz.max(1.0))).exp();
    }

    /// Forgets the history.
    pub fn reset(&mut self) {
        self.envelope = 0.0;
        self.polarity = 0;
        self.samples_since_flip = 0;
        self.last_half_period = 0;
    }

    /// Recent peak level of the channel (linear).
    pub fn level(&self) -> f32 {
        self.envelope
    }

    /// Feeds one sample.
    #[inline]
    pub fn process(&mut self, x: f32) {
        self.envelope = (self.envelope * self.envelope_decay).max(x.abs());
        let threshold = HYSTERESIS_FRACTION * self.envelope;
        let polarity = if x > threshold {
            1
        } else if x < -threshold {
            -1
        } else {
            self.polarity
        };
        self.samples_since_flip = self.samples_since_flip.saturating_add(1);
        if polarity != self.polarity {
            if self.polarity != 0 {
                self.last_half_period = self.samples_since_flip;
            }
            self.polarity = polarity;
            self.samples_since_flip = 0;
        }
    }

    /// Current estimate of the half-period in samples: the last completed half-cycle, or the
    /// current one once it has lasted longer.
    pub fn half_period_samples(&self) -> u32 {
        self.last_half_period.max(self.samples_since_flip)
    }
}
