//! Unit tests of the crossover and the split fade.

use super::*;

#[test]
fn lr4_halves_sum_to_the_all_pass() {
    let sr = 44_100.0;
    let c = Lr4Coefs::new(300.0, sr);
    for f in [20.0, 150.0, 300.0, 600.0, 5000.0, 20_000.0] {
        let sum = c.low_pass_response(f, sr) + c.high_pass_response(f, sr);
        let ap = c.ap.response(f, sr);
        assert!(
            (sum.re - ap.re).abs() < 1e-9 && (sum.im - ap.im).abs() < 1e-9,
            "{f}"
        );
    }
}

#[test]
fn crossovers_are_clamped_in_order() {
    assert_eq!(clamp_crossovers(3000.0, 1000.0, 48_000.0), (3000.0, 3000.0));
    assert_eq!(clamp_crossovers(5.0, 30_000.0, 44_100.0), (20.0, 16_000.0));
    assert_eq!(
        clamp_crossovers(100.0, 15_000.0, 22_050.0).1,
        0.45 * 22_050.0
    );
    assert_eq!(
        clamp_crossovers(f32::NAN, f32::INFINITY, 48_000.0),
        (DEFAULT_LOW_MID_HZ, DEFAULT_MID_HIGH_HZ)
    );
}

#[test]
fn split_sample_by_sample_matches_the_band_responses() {
    // A 1 kHz sine through the split: each band's steady-state amplitude (RMS over whole
    // cycles, times sqrt 2) must equal the magnitude its response predicts.
    let sr = 48_000.0;
    let c = CrossoverCoefs::new(120.0, 2500.0, sr);
    let mut st = CrossoverState::default();
    let mut energy = [0.0f64; 3];
    for i in 0..48_000 {
        let x = (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / sr).sin();
        let bands = st.split(&c, [x, 0.5 * x]);
        if i >= 24_000 {
            for (e, [b, half]) in energy.iter_mut().zip(bands) {
                assert!(
                    (half - 0.5 * b).abs() < 1e-12,
                    "lanes are independent and linear"
                );
                *e += b * b;
            }
        }
    }
    for (band, e) in energy.iter().enumerate() {
        let amplitude = (2.0 * e / 24_000.0).sqrt();
        let expected = c.band_response(band, 1000.0, sr).abs();
        assert!(
            (amplitude - expected).abs() < 1e-4,
            "band {band}: {amplitude} vs {expected}"
        );
    }
}

#[test]
fn fade_is_monotonic_and_complete() {
    let mut fade = SplitFade::default();
    fade.configure(1000.0); // 10-sample fade
    assert!(fade.is_dry());
    fade.set_wet(true);
    let weights: Vec<f32> = (0..12).map(|_| fade.next_weights().0).collect();
    assert!(weights.windows(2).all(|w| w[1] >= w[0]));
    assert_eq!(weights[9], 1.0);
    assert!(fade.is_wet());
    fade.set_wet(false);
    let back: Vec<f32> = (0..12).map(|_| fade.next_weights().0).collect();
    assert_eq!(back[9], 0.0);
    assert!(fade.is_dry());
}
