//! The limiter tests' helpers: everything framework-free comes from `lacquer-test-support`
//! (the independent 16x meter, the signals); only block-split rendering through the real
//! limiter lives here.

#![allow(dead_code)]

use lacquer_core::dsp::limiter::{Limiter, LimiterSettings};
pub use lacquer_test_support::reference::*;

/// Runs a fresh limiter over stereo input in blocks of the given sizes (cycled), returning
/// the output and the limiter's latency.
pub fn render(
    rate: f32,
    settings: &LimiterSettings,
    input: &[Vec<f32>; 2],
    blocks: &[usize],
) -> ([Vec<f32>; 2], usize) {
    let mut limiter = Limiter::new();
    limiter.configure(rate, 2, 512);
    limiter.set_settings(settings);
    limiter.reset();
    let mut out = input.clone();
    let [l, r] = &mut out;
    let mut start = 0;
    let mut k = 0;
    while start < l.len() {
        let len = blocks[k % blocks.len()].min(l.len() - start);
        limiter.process(&mut [&mut l[start..start + len], &mut r[start..start + len]]);
        start += len;
        k += 1;
    }
    (out, limiter.latency_samples() as usize)
}
