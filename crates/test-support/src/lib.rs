//! Test and benchmark material shared by Lacquer's crates: synthesised signals, an
//! independent 16x true-peak meter and a THD measurement. Nothing here is shipped; it depends
//! on no Lacquer crate, so a meter that checks the limiter shares no code with it.

pub mod bench;
pub mod measure;
pub mod reference;
pub mod signals;
