//! Metering: loudness (ITU-R BS.1770 / EBU R128 via the `ebur128` crate), true peak, and the
//! lock-free bus that carries meter values from the audio thread to the editor.

pub mod analysis;
pub mod bus;
pub mod loudness;

pub use bus::MeterBus;
pub use loudness::LoudnessMeter;
