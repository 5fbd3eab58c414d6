//! From a decision to chain settings: each dimension scaled by its amount and snapped to the
//! parameters' steps (the contract), so the plugin renders exactly what the CLI wrote.

use super::*;

/// A percentage as a 0..1 fraction, NaN-safe.
pub(super) fn fraction(pct: f32) -> f32 {
    if pct.is_finite() {
        (pct / 100.0).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// The chain settings for `decision` at `amounts`, on top of `base` (the settings the user
/// had: limiter times, output trim, high-pass and other expert settings are kept). Sets the
/// EQ's shelves and bells, the tone macro (the tilt), the dynamics macro and its programme
/// level, the per-band widths (width macro to 100 %), bass mono, the crossovers, the ceiling
/// and, once solved, the Drive.
pub fn apply(decision: &Decision, amounts: Amounts, base: &ChainSettings) -> ChainSettings {
    let mut out = *base;
    let tone = fraction(amounts.tone_pct);
    let eq = &decision.eq.settings;
    // Shelf Q is not a plugin parameter: the shelves keep the user's (the fit uses the same
    // 0.707 default).
    let scaled = |band: crate::dsp::eq::EqBand, q: f32| crate::dsp::eq::EqBand {
        freq_hz: snap(band.freq_hz, HZ_STEP),
        gain_db: snap(band.gain_db * tone, GAIN_STEP_DB),
        q,
    };
    out.stages.eq.low_shelf = scaled(eq.low_shelf, base.stages.eq.low_shelf.q);
    out.stages.eq.high_shelf = scaled(eq.high_shelf, base.stages.eq.high_shelf.q);
    for (dst, src) in out.stages.eq.bells.iter_mut().zip(eq.bells) {
        *dst = scaled(src, snap(src.q, Q_STEP));
    }
    out.macros.tone =
        snap(eq.tilt_db * tone / TONE_TILT_DB_AT_FULL * 100.0, TONE_STEP).clamp(-100.0, 100.0);

    out.macros.dynamics_pct = snap(
        decision.dynamics.amount_pct * fraction(amounts.dynamics_pct),
        PCT_STEP,
    );

    let width = fraction(amounts.width_pct);
    let (low_mid_hz, mid_high_hz) = decision.width.crossovers_hz;
    out.stages = out.stages.with_crossovers(low_mid_hz, mid_high_hz);
    out.macros.width_pct = 100.0;
    for (dst, decided) in out
        .stages
        .stereo
        .band_width_pct
        .iter_mut()
        .zip(decision.width.band_width_pct)
    {
        // Scale the move in dB: w^a, so 50 % of a doubling is +3 dB of side.
        let gain = (decided / 100.0).max(0.0);
        let pct = if gain > 0.0 {
            100.0 * gain.powf(width)
        } else {
            100.0 * (1.0 - width)
        };
        *dst = snap(pct, PCT_STEP);
    }
    match decision.bass_mono {
        Some(b) if width > 0.0 => {
            out.macros.bass_mono_on = true;
            out.macros.bass_mono_hz = snap(b.freq_hz, HZ_STEP);
        }
        _ => out.macros.bass_mono_on = false,
    }
    out.ceiling_dbtp = decision.loudness.ceiling_dbtp;
    if let Some(drive_db) = decision.loudness.drive_db {
        out.drive_db = snap(drive_db, GAIN_STEP_DB);
    }
    out
}

/// Steps of the parameters the decisions land on, from the parameter contract: a host stores a
/// parameter on its step, so [`apply`] rounds to the same steps and the plugin, set to the
/// reported values, renders exactly what the CLI wrote.
pub use crate::contract::{
    STEP_DB as GAIN_STEP_DB, STEP_HZ as HZ_STEP, STEP_PCT as PCT_STEP, STEP_Q as Q_STEP,
    STEP_TONE as TONE_STEP, snap,
};
