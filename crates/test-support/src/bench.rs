//! Test material shared by the chain and stage benches.

/// One second of a deterministic music-like stereo signal around -12 dBFS: a pumping bass, a
/// chord with some width, and a noise hat in opposite polarity left and right.
pub fn music_like(sample_rate_hz: f32) -> [Vec<f32>; 2] {
    let n = sample_rate_hz as usize;
    let mut seed = 0x1234_5678u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let tau = std::f32::consts::TAU;
    let mut l = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    for i in 0..n {
        let t = i as f32 / sample_rate_hz;
        let beat = (t * 2.0).fract();
        let bass = 0.3 * (tau * 55.0 * t).sin() * (1.0 - beat).powi(2);
        let chord =
            0.08 * ((tau * 220.0 * t).sin() + (tau * 277.2 * t).sin() + (tau * 329.6 * t).sin());
        let hat = 0.05 * noise() * (1.0 - (t * 8.0).fract()).powi(8);
        l.push(bass + chord + hat);
        r.push(bass + 0.9 * chord - hat);
    }
    [l, r]
}
