//! Unit tests of the compressor.

use super::*;

fn settings(threshold_db: f32, ratio: f32, knee_db: f32) -> CompressorSettings {
    CompressorSettings {
        threshold_db,
        ratio,
        knee_db,
        ..Default::default()
    }
}

#[test]
fn static_curve_matches_hand_computed_points() {
    // T = -20 dB, R = 4, W = 10 dB. By hand from the paper's eq. 4:
    //   -40 dB (below the knee)        -> -40 dB
    //   -20 dB (knee centre): -20 - 0.75 * 5^2 / 20 = -20.9375 dB
    //   -16 dB (in the knee): -16 - 0.75 * 9^2 / 20 = -19.0375 dB
    //     0 dB (above):  -20 + 20 / 4 = -15 dB
    let gc = GainComputer::new(&settings(-20.0, 4.0, 10.0));
    for (input, output) in [
        (-40.0, -40.0),
        (-20.0, -20.9375),
        (-16.0, -19.0375),
        (0.0, -15.0),
    ] {
        assert!((gc.output_db(input) - output).abs() < 1e-4, "{input}");
    }
    // Hard knee: the corner is exact.
    let hard = GainComputer::new(&settings(-10.0, 2.0, 0.0));
    assert_eq!(hard.output_db(-10.0), -10.0);
    assert!((hard.output_db(-4.0) + 7.0).abs() < 1e-5);
}

#[test]
fn knee_is_continuous_at_both_edges() {
    let gc = GainComputer::new(&settings(-18.0, 3.0, 8.0));
    for edge in [-22.0f32, -14.0] {
        let below = gc.output_db(edge - 1e-3);
        let above = gc.output_db(edge + 1e-3);
        assert!((below - above).abs() < 3e-3, "{edge}");
    }
}

/// Samples until the gain reduction has covered 63.2 % of a step.
fn samples_to_63_percent(c: &mut Compressor, level: f32, from_db: f32, to_db: f32) -> usize {
    let goal = from_db + (1.0 - (-1.0f32).exp()) * (to_db - from_db);
    (1..1_000_000)
        .find(|_| {
            c.next_gain(level);
            let gr = c.gain_reduction_db();
            if to_db > from_db {
                gr >= goal
            } else {
                gr <= goal
            }
        })
        .unwrap_or(usize::MAX)
}

#[test]
fn attack_and_release_are_one_pole_time_constants() {
    let sr = 48_000.0;
    let s = CompressorSettings {
        threshold_db: -20.0,
        ratio: 4.0,
        knee_db: 0.0,
        attack_ms: 20.0,
        release_ms: 200.0,
        makeup_db: 0.0,
    };
    let mut c = Compressor::default();
    c.set_settings(&s, sr);
    c.reset();
    // 0 dBFS is 20 dB over: 15 dB of reduction wanted.
    let attack = samples_to_63_percent(&mut c, 1.0, 0.0, 15.0);
    assert!(
        (attack as f32 / (0.020 * sr) - 1.0).abs() < 0.01,
        "{attack}"
    );
    for _ in 0..48_000 {
        c.next_gain(1.0);
    }
    assert!((c.gain_reduction_db() - 15.0).abs() < 1e-3);
    let release = samples_to_63_percent(&mut c, 0.01, 15.0, 0.0);
    assert!(
        (release as f32 / (0.200 * sr) - 1.0).abs() < 0.01,
        "{release}"
    );
}

#[test]
fn fast_log_and_exp_agree_with_the_library() {
    let mut x = 1e-6f32;
    while x < 1e4 {
        assert!((fast_log2(x) - x.log2()).abs() < 2e-6, "{x}");
        x *= 1.0173;
    }
    let mut y = -40.0f32;
    while y < 10.0 {
        let rel = fast_exp2(y) / y.exp2() - 1.0;
        assert!(rel.abs() < 1e-6, "{y}: {rel}");
        y += 0.0137;
    }
}

#[test]
fn neutral_compressor_has_unit_gain() {
    let mut c = Compressor::default();
    for peak in [0.0, 0.5, 1.0, 10.0] {
        assert_eq!(c.next_gain(peak), 1.0);
    }
    assert!(CompressorSettings::default().is_neutral());
    assert!(c.is_at_rest(1e-3));
}

#[test]
fn makeup_ramps_instead_of_jumping() {
    let sr = 48_000.0;
    let mut c = Compressor::default();
    c.set_settings(
        &CompressorSettings {
            makeup_db: 6.0,
            ..Default::default()
        },
        sr,
    );
    let first = c.next_gain(0.0);
    assert!(first > 1.0 && first < 1.001);
    for _ in 0..(0.02 * sr) as usize {
        c.next_gain(0.0);
    }
    assert!((c.next_gain(0.0) - 10f32.powf(6.0 / 20.0)).abs() < 1e-6);
}
