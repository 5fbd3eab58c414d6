//! Parameters of the resonance stage: its amount (a macro) and the expert section (depth,
//! focus range, speed, delta listen, low-latency mode). Ids are frozen once released.

use super::{float_param, on_off_param};
use crate::dsp::resonance::ResonanceSettings;
use nice_plug::prelude::*;

/// The resonance stage's parameters.
#[derive(Params)]
pub struct ResonanceParams {
    /// How strongly narrow excess is reduced, percent; 0 takes the stage out (and its latency).
    #[id = "resonance"]
    pub amount: FloatParam,
    /// Deepest reduction of any band, dB.
    #[id = "res_depth"]
    pub depth: FloatParam,
    /// Lower edge of the focus range, Hz.
    #[id = "res_low"]
    pub low: FloatParam,
    /// Upper edge of the focus range, Hz.
    #[id = "res_high"]
    pub high: FloatParam,
    /// Release time of the reduction, ms.
    #[id = "res_speed"]
    pub speed: FloatParam,
    /// Hear only what the stage removes.
    #[id = "res_delta"]
    pub delta: BoolParam,
    /// Quarter-length frames: a quarter of the latency, coarser in frequency.
    #[id = "res_low_latency"]
    pub low_latency: BoolParam,
}

impl Default for ResonanceParams {
    fn default() -> Self {
        Self {
            amount: float_param("resonance"),
            depth: float_param("res_depth"),
            low: float_param("res_low"),
            high: float_param("res_high"),
            speed: float_param("res_speed"),
            delta: on_off_param("res_delta"),
            low_latency: on_off_param("res_low_latency"),
        }
    }
}

impl ResonanceParams {
    /// The stage settings these values stand for.
    pub fn settings(&self) -> ResonanceSettings {
        ResonanceSettings {
            amount_pct: self.amount.value(),
            depth_db: self.depth.value(),
            low_hz: self.low.value(),
            high_hz: self.high.value(),
            speed_ms: self.speed.value(),
            delta: self.delta.value(),
            low_latency: self.low_latency.value(),
        }
    }
}
