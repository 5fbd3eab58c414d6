//! Unit tests of the limiter's envelope pieces.

use super::*;

#[test]
fn fixed_window_min_matches_brute_force() {
    for window in [1usize, 2, 7, 64] {
        let mut m = FixedWindowMin::new(100);
        m.set_window(window);
        let mut seed = 7u32;
        let mut values = Vec::new();
        for i in 0..1000usize {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = (seed >> 8) as f32 / (1u32 << 24) as f32;
            values.push(v);
            let got = m.push(v);
            let first = (i + 1).saturating_sub(window);
            let expected = values[first..=i].iter().cloned().fold(1.0f32, f32::min);
            assert_eq!(got, expected, "window {window}, i {i}");
        }
    }
}

#[test]
fn sliding_min_matches_brute_force_for_changing_windows() {
    let mut m = SlidingMin::new(40);
    let mut seed = 1u32;
    let mut values = Vec::new();
    for i in 0..2000u64 {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let v = (seed >> 8) as f32 / (1u32 << 24) as f32;
        values.push(v);
        m.push(i, v);
        let window = 1 + (seed % 40) as u64;
        let first = (i + 1).saturating_sub(window);
        let expected = values[first as usize..=i as usize]
            .iter()
            .cloned()
            .fold(f32::INFINITY, f32::min);
        assert_eq!(m.min_since(first), expected, "i {i} window {window}");
    }
}

#[test]
fn attack_smoother_is_an_s_curve_that_lands_exactly() {
    let mut a = AttackSmoother::new(16);
    a.set_lengths(2, 3);
    let depths = [0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    let mut gains = [0.0f32; 8];
    a.process_block(&depths, &mut gains);
    // Two boxes (2 and 3): step response 0, 1/6, 1/2, 5/6, 1 of 0.5 over a + b - 2 = 3.
    let expected = [0.0, 0.5 / 6.0, 0.25, 2.5 / 6.0, 0.5, 0.5, 0.5, 0.5];
    for (got, want) in gains.iter().zip(expected) {
        assert!((*got as f64 - (1.0 - want)).abs() < 1e-7, "{gains:?}");
    }
    // Back to zero depth: exactly unity gain after a + b - 2 samples.
    let mut back = [0.0f32; 5];
    a.process_block(&[0.0; 5], &mut back);
    assert_eq!(back[3], 1.0);
    assert_eq!(back[4], 1.0);
}

#[test]
fn release_is_fast_after_a_transient_and_slow_after_sustained_reduction() {
    let rate = 48_000.0;
    let mut r = AdaptiveRelease::default();
    r.set_times(150.0, rate);
    // One sample at 6 dB of reduction, then let go: after 100 ms the depth is small.
    r.process(0.5);
    let after_transient = (0..4800).map(|_| r.process(0.0)).last().unwrap_or(1.0);
    // Two seconds at 6 dB, then let go.
    r.reset();
    for _ in 0..96_000 {
        r.process(0.5);
    }
    let after_sustained = (0..4800).map(|_| r.process(0.0)).last().unwrap_or(0.0);
    // Exponential recovery from d = 0.5: tau = 75 ms gives 0.5 e^(-4/3) = 0.132 after
    // 100 ms, tau = 450 ms gives 0.5 e^(-2/9) = 0.400.
    assert!((after_transient - 0.132).abs() < 0.005, "{after_transient}");
    assert!((after_sustained - 0.400).abs() < 0.005, "{after_sustained}");
    // It never releases below the depth required now.
    assert!(r.process(0.45) >= 0.45);
}

#[test]
fn release_returns_to_exactly_zero() {
    let mut r = AdaptiveRelease::default();
    r.set_times(10.0, 48_000.0);
    r.process(0.9);
    for _ in 0..48_000 {
        r.process(0.0);
    }
    assert!(
        r.process(0.0) > 0.0,
        "decays, never reaching zero by itself"
    );
    r.flush();
    assert_eq!(r.process(0.0), 0.0);
}

#[test]
fn half_period_tracker_reads_a_bass_sine_under_treble() {
    let rate = 48_000.0;
    let mut t = HalfPeriodTracker::default();
    t.set_sample_rate(rate);
    for n in 0..24_000 {
        let ph = n as f32 / rate;
        let x = (2.0 * std::f32::consts::PI * 50.0 * ph).sin()
            + 0.2 * (2.0 * std::f32::consts::PI * 5000.0 * ph).sin();
        t.process(x);
    }
    // 50 Hz: 480-sample half-period.
    let hp = t.half_period_samples();
    assert!((470..=490).contains(&hp), "{hp}");
}
