//! Helpers shared by `tests/stages.rs` (an FFT, a counting allocator, signal generators and
//! a renderer that applies settings at fixed sample positions under any block split), and the
//! per-stage acceptance tests, one module per stage, to keep each file readable.

pub mod alloc;
mod dynamics;
pub mod fft;
mod image;
pub mod signals;
mod tone;

/// `count` log-spaced frequencies from 20 Hz to 20 kHz.
pub fn log_grid(count: usize) -> impl Iterator<Item = f64> {
    (0..count).map(move |k| 20.0 * 1000f64.powf(k as f64 / (count - 1) as f64))
}

/// The sample rates every response is checked at.
pub const RATES_HZ: [f32; 3] = [44_100.0, 48_000.0, 96_000.0];
