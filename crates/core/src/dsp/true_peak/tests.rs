//! Unit tests of the true-peak detector.

use super::*;
use std::f64::consts::PI;

#[test]
fn bessel_i0_matches_tabulated_values() {
    // Known values: I0(1) = 1.266065878, I0(5) = 27.23987182.
    assert!((bessel_i0(1.0) - 1.266_065_878).abs() < 1e-8);
    assert!((bessel_i0(5.0) - 27.239_871_82).abs() < 1e-6);
}

#[test]
fn first_stage_is_flat_to_048_fs_and_zero_at_nyquist() {
    let a = HalfBandInterpolator::design(STAGE_A_HALF_LENGTH, STAGE_A_BETA);
    for i in 0..=480 {
        let f = i as f64 * 0.001;
        let tolerance = if f <= 0.45 { 3e-3 } else { 8e-3 };
        assert!(
            (a.response(f) - 1.0).abs() < tolerance,
            "f = {f}: {}",
            a.response(f)
        );
    }
    // Half-band symmetry: the midpoint phase cannot see a tone at Nyquist.
    assert!(a.response(0.5).abs() < 1e-9);
}

#[test]
fn second_stage_is_flat_over_the_band_the_2x_stream_carries() {
    // In 2x-stream units the programme occupies 0..0.25 (plus the first stage's
    // transition up to ~0.26).
    let b = HalfBandInterpolator::design(STAGE_B_HALF_LENGTH, STAGE_B_BETA);
    for i in 0..=265 {
        let f = i as f64 * 0.001;
        assert!(
            (b.response(f) - 1.0).abs() < 4e-3,
            "f = {f}: {}",
            b.response(f)
        );
    }
}

#[test]
fn refine_peak_is_exact_for_sinusoids_and_never_below_the_point() {
    for &w in &[0.05, 0.3, PI / 4.0] {
        for &phi in &[0.0, 0.1, -0.2, 0.37] {
            let phi: f64 = phi * w / 0.8;
            let y = |k: f64| (1.7 * (w * k + phi).cos()) as f32;
            let est = refine_peak(y(-1.0), y(0.0), y(1.0), std::f32::consts::FRAC_PI_4);
            assert!((est - 1.7).abs() < 2e-4, "w {w} phi {phi}: {est}");
        }
    }
    // Not a local maximum: the point itself.
    assert_eq!(refine_peak(0.9, 0.5, 0.1, 0.785), 0.5);
    assert_eq!(refine_peak(-0.2, -0.5, -0.7, 0.785), 0.5);
    // A tone at fs/4 on a one-point grid, neighbours across zero crossings.
    let phase = 0.4f64;
    let y = |k: f64| (std::f64::consts::FRAC_PI_2 * k + phase).sin() as f32;
    let est = refine_peak(y(0.0), y(1.0), y(2.0), std::f32::consts::FRAC_PI_2);
    assert!((est - 1.0).abs() < 1e-5, "{est}");
}

fn detect(x: &[f32], rate: f32) -> Vec<f32> {
    let mut d = TruePeakDetector::new(rate);
    let mut p = vec![0.0; x.len()];
    d.process(x, &mut p);
    p
}

#[test]
fn ebu_3341_case_19_reads_plus_3_dbtp() {
    // EBU Tech 3341 case 19: fs/4 sine, amplitude 1.41, phase 45 deg, expected +3.0 dBTP
    // (+0.2 / -0.4). Samples sit at +/-1.0.
    let x: Vec<f32> = (0..4800)
        .map(|n| (1.41 * (PI / 2.0 * n as f64 + PI / 4.0).sin()) as f32)
        .collect();
    // Skip the onset, whose step has an overshoot of its own.
    let peak = detect(&x, 48_000.0)[200..]
        .iter()
        .fold(0.0f32, |m, &p| m.max(p));
    let db = 20.0 * peak.log10();
    assert!((db - 2.984).abs() < 0.03, "{db} dBTP");
}

/// True peak of a mono signal on the `ebur128` crate's BS.1770-4 meter (what `lacquer
/// analyze` shows), linear.
fn standard_meter(x: &[f32], rate: f32) -> f32 {
    let mut meter = ebur128::EbuR128::new(1, rate as u32, ebur128::Mode::TRUE_PEAK).expect("meter");
    meter.add_frames_f32(x).expect("frames");
    meter.true_peak(0).expect("true peak") as f32
}

#[test]
fn reads_the_amplitude_of_sines_across_the_band() {
    // A sine's true peak is its amplitude, wherever its samples fall: the estimate is never
    // more than 0.03 dB under it, and over it only where the standard meter's short
    // interpolator (which the detector also follows, see `MeterKernel`) reads high itself.
    for rate in [48_000.0f32, 96_000.0, 192_000.0] {
        let top = if rate > 176_000.0 { 0.25 } else { 0.45 };
        for &f in &[0.002, 0.05, 0.13, 0.25, 0.33, top] {
            if f > top {
                continue;
            }
            for &phase in &[0.0, 0.4, 1.3] {
                let x: Vec<f32> = (0..6000)
                    .map(|n| (0.7 * (2.0 * PI * f * n as f64 + phase).sin()) as f32)
                    .collect();
                let peak = detect(&x, rate)[1000..5000]
                    .iter()
                    .fold(0.0f32, |m, &p| m.max(p));
                let error_db = 20.0 * (peak / 0.7).log10();
                let standard_db = 20.0 * (standard_meter(&x[1000..5000], rate) / 0.7).log10();
                assert!(
                    error_db > -0.03 && error_db < standard_db.max(0.0) + 0.03,
                    "{rate} Hz, f {f}, phase {phase}: {error_db:+.3} dB (standard meter \
                     {standard_db:+.3} dB)"
                );
            }
        }
    }
}

#[test]
fn delay_lines_the_estimate_up_with_its_interval() {
    for rate in [48_000.0, 192_000.0] {
        let mut x = vec![0.0f32; 400];
        x[100] = 1.0;
        let p = detect(&x, rate);
        let d = TruePeakDetector::new(rate).delay_samples();
        // The estimate for the impulse's own sample reads exactly its height.
        assert_eq!(p[100 + d], 1.0, "rate {rate}");
        let biggest = p.iter().cloned().fold(0.0, f32::max);
        assert_eq!(biggest, 1.0);
    }
}

#[test]
fn output_does_not_depend_on_how_the_input_is_split() {
    let x: Vec<f32> = (0..3000)
        .map(|n| ((n as f32 * 0.37).sin() + (n as f32 * 2.9).sin()) * 0.5)
        .collect();
    let whole = detect(&x, 44_100.0);
    for split in [1usize, 7, 128, 129, 1000] {
        let mut d = TruePeakDetector::new(44_100.0);
        let mut p = vec![0.0; x.len()];
        for (xc, pc) in x.chunks(split).zip(p.chunks_mut(split)) {
            d.process(xc, pc);
        }
        assert_eq!(p, whole, "split {split}");
    }
}
