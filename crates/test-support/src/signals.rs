//! Signals shared by the chain, master-bus and CLI tests.

/// Deterministic xorshift noise in -1..1.
pub fn noise(len: usize, mut seed: u32) -> Vec<f32> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Steady music-like stereo material: kick every 0.5 s, bass, a chord, noise hats; peak
/// normalised to `peak`.
pub fn music_like(sample_rate_hz: f32, seconds: f32, peak: f32) -> Vec<Vec<f32>> {
    let n = (sample_rate_hz * seconds) as usize;
    let hats = noise(n, 99);
    let tau = std::f32::consts::TAU;
    let mut l = Vec::with_capacity(n);
    let mut r = Vec::with_capacity(n);
    for (i, hat) in hats.iter().enumerate() {
        let t = i as f32 / sample_rate_hz;
        let beat = (t * 2.0).fract();
        let kick = (tau * (50.0 + 80.0 * (-beat * 30.0).exp()) * beat).sin() * (-beat * 8.0).exp();
        let bass = 0.5 * (tau * 55.0 * t).sin();
        let chord =
            0.2 * ((tau * 220.0 * t).sin() + (tau * 277.2 * t).sin() + (tau * 329.6 * t).sin());
        let hat = 0.2 * hat * (-(t * 8.0).fract() * 40.0).exp();
        l.push(kick + bass + chord + hat);
        r.push(kick + bass + 0.8 * chord - hat);
    }
    let max = l.iter().chain(&r).fold(0.0f32, |m, s| m.max(s.abs()));
    for s in l.iter_mut().chain(r.iter_mut()) {
        *s *= peak / max;
    }
    vec![l, r]
}
