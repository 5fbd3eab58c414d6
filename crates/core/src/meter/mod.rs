//! Metering: loudness (ITU-R BS.1770 / EBU R128 via the `ebur128` crate), true peak, and the
//! lock-free bus that carries meter values from the audio thread to the editor, and the
//! editor's feeds (spectrum, correlation and vectorscope, histories).

pub mod album;
pub mod analysis;
pub mod bus;
pub mod feeds;
pub mod history;
pub mod loudness;
pub mod peak;
pub mod resonance_display;
pub mod spectrum;
pub mod spectrum_analyzer;
pub mod stereo_meter;
pub(crate) mod stream;
pub mod timeline;

pub use bus::MeterBus;
pub use feeds::{EditorFeeds, EditorReaders};
pub use loudness::LoudnessMeter;
