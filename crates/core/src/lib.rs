//! Lacquer's core: the DSP stages, the meters, the mastering chain, offline rendering, the
//! parameter contract and the assistant (analysis, targets, decisions, explanations). Plain
//! Rust: this crate depends on no plugin framework, GUI or file format, so the compiler keeps
//! the rule that the same code runs inside the plugin, the CLI, the benches and the tests.
//! docs/architecture.md is the map.

pub mod assistant;
pub mod chain;
pub mod contract;
pub mod dsp;
pub mod meter;
pub mod platform;
pub mod presets;
pub mod render;
