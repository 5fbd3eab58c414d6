//! Unit tests of the biquad designs, states and ramps.

use super::*;

const SR: f64 = 48_000.0;

#[test]
fn identity_has_unit_response_and_passes_samples_unchanged() {
    let c = BiquadCoefs::IDENTITY;
    assert_eq!(c.response_db(1234.0, SR), 0.0);
    let mut st = BiquadState::default();
    let mut x = [0.5f32, -0.25, 1e-20, -0.0, 0.75];
    let orig = x;
    st.process_slice(&c, &mut x);
    assert_eq!(x, orig);
}

#[test]
fn zero_db_bell_is_exactly_flat() {
    for f in [30.0, 1000.0, 15000.0] {
        assert!(BiquadCoefs::peaking(f, 0.0, 2.0, SR).is_flat());
    }
    assert!(!BiquadCoefs::peaking(1000.0, 0.01, 2.0, SR).is_flat());
}

#[test]
fn cookbook_shapes_hit_their_defining_points() {
    // Bell: full gain at the centre.
    let bell = BiquadCoefs::peaking(1000.0, 6.0, 1.0, SR);
    assert!((bell.response_db(1000.0, SR) - 6.0).abs() < 1e-9);
    // Shelves: half the dB gain at the corner, full gain far away.
    let ls = BiquadCoefs::low_shelf(200.0, -8.0, std::f64::consts::FRAC_1_SQRT_2, SR);
    assert!((ls.response_db(200.0, SR) + 4.0).abs() < 1e-9);
    assert!((ls.response_db(5.0, SR) + 8.0).abs() < 0.01);
    assert!(ls.response_db(10_000.0, SR).abs() < 0.01);
    let hs = BiquadCoefs::high_shelf(4000.0, 5.0, std::f64::consts::FRAC_1_SQRT_2, SR);
    assert!((hs.response_db(4000.0, SR) - 2.5).abs() < 1e-9);
    assert!((hs.response_db(23_000.0, SR) - 5.0).abs() < 0.05);
    // Butterworth low/high-pass: -3.01 dB at the corner.
    let q = std::f64::consts::FRAC_1_SQRT_2;
    let lp = BiquadCoefs::low_pass(500.0, q, SR);
    let hp = BiquadCoefs::high_pass(500.0, q, SR);
    assert!((lp.response_db(500.0, SR) + 3.0103).abs() < 1e-3);
    assert!((hp.response_db(500.0, SR) + 3.0103).abs() < 1e-3);
    // All-pass: unit magnitude everywhere, -180 degrees at the corner.
    let ap = BiquadCoefs::all_pass(500.0, q, SR);
    for f in [20.0, 500.0, 20_000.0] {
        assert!(ap.response_db(f, SR).abs() < 1e-9);
    }
    assert!((ap.response(500.0, SR).arg().abs() - PI).abs() < 1e-6);
}

#[test]
fn butterworth_qs_match_the_textbook_values() {
    // Published 4th- and 8th-order Butterworth section Qs.
    assert!((butterworth_q(2, 0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
    assert!((butterworth_q(4, 0) - 0.54120).abs() < 1e-5);
    assert!((butterworth_q(4, 1) - 1.30656).abs() < 1e-5);
    assert!((butterworth_q(8, 3) - 2.56292).abs() < 1e-5);
}

#[test]
fn shelf_slope_one_is_q_one_over_root_two() {
    for g in [-12.0, 0.0, 6.0] {
        assert!((shelf_q_from_slope(g, 1.0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-12);
    }
    assert!(shelf_q_from_slope(6.0, 0.5) < 0.7);
}

#[test]
fn blend_with_identity_interpolates_the_transfer_function() {
    let hp = BiquadCoefs::high_pass(100.0, 0.7, SR);
    assert!(hp.blend_with_identity(1.0).is_flat());
    let half = hp.blend_with_identity(0.5);
    for f in [20.0, 100.0, 1000.0] {
        let h = hp.response(f, SR);
        let expected = Complex::new(0.5 * h.re + 0.5, 0.5 * h.im);
        let got = half.response(f, SR);
        assert!((got.re - expected.re).abs() < 1e-9 && (got.im - expected.im).abs() < 1e-9);
    }
}

#[test]
fn ramp_is_linear_and_lands_on_target() {
    let mut r = ParamRamp::new(0.0);
    r.set_target(1.0, 4);
    let v: Vec<f64> = (0..6).map(|_| r.advance()).collect();
    assert_eq!(v, vec![0.25, 0.5, 0.75, 1.0, 1.0, 1.0]);
    assert!(!r.is_moving());
    r.set_target(1.0, 4);
    assert!(
        !r.is_moving(),
        "an unchanged target must not restart the ramp"
    );
}

#[test]
fn lanes_compute_exactly_what_single_states_compute() {
    let lp = BiquadCoefs::low_pass(300.0, 0.9, SR);
    let hs = BiquadCoefs::high_shelf(3000.0, 4.0, 0.7, SR);
    let (mut a, mut b) = (BiquadState::default(), BiquadState::default());
    let mut lanes = LaneState::default();
    for i in 0..500 {
        let x = [(i as f64 * 0.37).sin(), (i as f64 * 0.11).cos()];
        let y = lanes.process_pair([&lp, &hs], x);
        assert_eq!(y, [a.process(&lp, x[0]), b.process(&hs, x[1])]);
    }
}

#[test]
fn tiny_states_are_flushed() {
    let mut st = BiquadState {
        s1: 1e-35,
        s2: 1e-3,
    };
    st.flush_tiny();
    assert_eq!(st.s1, 0.0);
    assert_eq!(st.s2, 1e-3);
}
