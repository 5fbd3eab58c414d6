//! Signal-processing stages. Plain slices and settings in; no plugin-framework types.
//!
//! Every stage follows the same shape: `new`/`Default`, `set_sample_rate` and `resize` may
//! allocate and are called from the plugin's `initialize`/`activate` (or once by the CLI);
//! `reset`, setters and `process` never allocate, lock or panic.

pub mod biquad;
pub mod bypass;
pub mod compressor;
pub mod crossover;
pub mod delay;
pub mod dither;
pub mod eq;
pub mod gain;
pub mod limiter;
pub mod loudness_match;
pub mod macros;
pub mod multiband;
pub mod resonance;
pub mod sanitize;
pub mod simd;
pub mod stereo;
pub mod true_peak;

/// Converts decibels to a linear amplitude factor.
#[inline]
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db * 0.05)
}

/// Converts a linear amplitude factor to decibels (`-inf` for 0).
#[inline]
pub fn gain_to_db(gain: f32) -> f32 {
    20.0 * gain.log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_round_trip() {
        assert!((db_to_gain(-6.0206) - 0.5).abs() < 1e-5);
        assert!((db_to_gain(20.0) - 10.0).abs() < 1e-4);
        assert!((gain_to_db(0.1) + 20.0).abs() < 1e-4);
        assert_eq!(gain_to_db(0.0), f32::NEG_INFINITY);
    }
}
