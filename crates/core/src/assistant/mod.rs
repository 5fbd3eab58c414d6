//! The assistant: analysis of a mix and the decisions it leads to, as pure functions over
//! audio and features. No plugin-framework types; the CLI and the plugin both call this.

pub mod analysis;
pub mod decide;
pub mod eval;
pub mod explain;
pub mod learn;
pub mod loudness;
pub mod profile;
pub mod targets;
