//! Crossover and multiband acceptance: LR4 bands that sum flat, the compressor's static
//! curve and time constants measured through the stage, stereo-linked detection.

use super::fft::magnitude_db;
use super::signals::{Split, render, sine};
use super::{RATES_HZ, log_grid};
use lacquer_core::dsp::compressor::CompressorSettings;
use lacquer_core::dsp::crossover::{CrossoverCoefs, CrossoverState};
use lacquer_core::dsp::multiband::{MultibandCompressor, MultibandSettings};

/// LR4 magnitudes from the bilinear-transformed Butterworth prototype:
/// `r = tan(pi f / fs) / tan(pi fc / fs)`, `|LP4| = 1 / (1 + r^4)`, `|HP4| = r^4 / (1 + r^4)`.
fn lr4_low(f: f64, fc: f64, sr: f64) -> f64 {
    let r = (std::f64::consts::PI * f / sr).tan() / (std::f64::consts::PI * fc / sr).tan();
    1.0 / (1.0 + r.powi(4))
}

fn lr4_high(f: f64, fc: f64, sr: f64) -> f64 {
    1.0 - lr4_low(f, fc, sr)
}

#[test]
fn crossover_bands_sum_flat_and_each_band_is_lr4() {
    // The defaults, and a pair an octave apart where the low band's all-pass compensation is
    // what keeps the sum flat (without it the sum dips by about 0.6 dB near f1).
    for (f1, f2) in [(120.0, 2500.0), (500.0, 2000.0)] {
        check_crossover(f1, f2);
    }
}

fn check_crossover(f1: f64, f2: f64) {
    for sample_rate_hz in RATES_HZ {
        let sr = f64::from(sample_rate_hz);
        let n = if sr > 50_000.0 { 1 << 17 } else { 1 << 16 };
        let coefs = CrossoverCoefs::new(f1, f2, sr);
        let mut state = CrossoverState::default();
        let mut bands: Vec<Vec<f64>> = vec![Vec::new(); 3];
        for i in 0..n {
            let x = if i == 0 { 1.0 } else { 0.0 };
            for (band, [y, _]) in bands.iter_mut().zip(state.split(&coefs, [x, 0.0])) {
                band.push(y);
            }
        }
        let sum: Vec<f64> = (0..n)
            .map(|i| bands[0][i] + bands[1][i] + bands[2][i])
            .collect();
        let sum_db = magnitude_db(&sum, n);
        let band_db: Vec<Vec<f64>> = bands.iter().map(|b| magnitude_db(b, n)).collect();
        let bin_hz = sr / n as f64;
        let first = (20.0 / bin_hz).ceil() as usize;
        let last = (20_000.0 / bin_hz).floor() as usize;
        for (k, db) in sum_db.iter().enumerate().take(last + 1).skip(first) {
            assert!(
                db.abs() <= 0.05,
                "{sample_rate_hz}: sum {db:.4} dB at {:.1} Hz",
                k as f64 * bin_hz
            );
        }
        for f in log_grid(300) {
            let k = (f / bin_hz).round() as usize;
            let fb = k as f64 * bin_hz;
            let expected = [
                lr4_low(fb, f1, sr),
                lr4_high(fb, f1, sr) * lr4_low(fb, f2, sr),
                lr4_high(fb, f1, sr) * lr4_high(fb, f2, sr),
            ];
            for (b, e) in expected.iter().enumerate() {
                let e_db = 20.0 * e.log10();
                if e_db > -60.0 {
                    assert!(
                        (band_db[b][k] - e_db).abs() < 0.05,
                        "band {b} at {fb:.1} Hz: {:.3} vs {e_db:.3}",
                        band_db[b][k]
                    );
                }
            }
        }
        // Each LR4 half is -6.02 dB at its own crossover (the other crossover's filter, where
        // it applies, adds its own analytic gain there).
        let at = |band: usize, f: f64| coefs.band_response(band, f, sr).db();
        let db = |g: f64| 20.0 * g.log10();
        assert!((at(0, f1) + 6.0206).abs() < 0.01);
        assert!((at(1, f1) - (-6.0206 + db(lr4_low(f1, f2, sr)))).abs() < 0.01);
        assert!((at(1, f2) - (-6.0206 + db(lr4_high(f2, f1, sr)))).abs() < 0.01);
        assert!((at(2, f2) - (-6.0206 + db(lr4_high(f2, f1, sr)))).abs() < 0.01);
    }
}

/// Multiband settings whose compressors are active (ratio 2) but never reach their threshold.
fn idle_but_engaged() -> MultibandSettings {
    let band = CompressorSettings {
        threshold_db: 20.0,
        ratio: 2.0,
        ..Default::default()
    };
    MultibandSettings {
        bands: [band; 3],
        ..Default::default()
    }
}

#[test]
fn engaged_multiband_stage_sums_flat() {
    for sample_rate_hz in RATES_HZ {
        let n = 1 << 16;
        let mut mb = MultibandCompressor::new();
        mb.configure(sample_rate_hz, 2, 512);
        mb.set_settings(&idle_but_engaged());
        mb.reset();
        assert!(!mb.is_transparent());
        let mut l = vec![0.0f32; n];
        let mut r = vec![0.0f32; n];
        l[0] = 0.5;
        r[0] = -0.5;
        for (a, b) in l.chunks_mut(256).zip(r.chunks_mut(256)) {
            mb.process(&mut [a, b]);
        }
        assert_ne!(l[1], 0.0, "the split must actually run");
        let db = magnitude_db(&l, n);
        let bin_hz = f64::from(sample_rate_hz) / n as f64;
        let (first, last) = (
            (20.0 / bin_hz).ceil() as usize,
            (20_000.0 / bin_hz) as usize,
        );
        for (k, d) in db.iter().enumerate().take(last + 1).skip(first) {
            assert!(
                (d + 6.0206).abs() <= 0.05,
                "{sample_rate_hz}: {:.4} dB at {:.0} Hz",
                d + 6.0206,
                k as f64 * bin_hz
            );
        }
    }
}

/// Settles the multiband stage on DC at `level_db` (DC lies entirely in the low band) and
/// returns the output level, dB.
fn dc_through(mb: &mut MultibandCompressor, level_db: f32, seconds: f32, sr: f32) -> f32 {
    let x = 10f32.powf(level_db / 20.0);
    let n = (seconds * sr) as usize;
    let mut l = vec![x; n];
    let mut r = vec![x; n];
    for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        mb.process(&mut [a, b]);
    }
    20.0 * l[n - 1].abs().log10()
}

#[test]
fn compressor_static_curve_through_the_stage_matches_theory() {
    // T = -20 dB, R = 4, W = 10 dB. Points by hand from Giannoulis et al. eq. 4:
    //   -40 -> -40 (below), -25 -> -25 (knee start), -20 -> -20 - 0.75*25/20 = -20.9375,
    //   -16 -> -16 - 0.75*81/20 = -19.0375 (in the knee), 0 -> -20 + 20/4 = -15 (above).
    let sr = 48_000.0;
    let mut s = MultibandSettings::default();
    s.bands[0] = CompressorSettings {
        threshold_db: -20.0,
        ratio: 4.0,
        knee_db: 10.0,
        attack_ms: 1.0,
        release_ms: 10.0,
        makeup_db: 0.0,
    };
    for (input, expected) in [
        (-40.0, -40.0),
        (-25.0, -25.0),
        (-20.0, -20.9375),
        (-16.0, -19.0375),
        (0.0, -15.0),
    ] {
        let mut mb = MultibandCompressor::new();
        mb.configure(sr, 2, 512);
        mb.set_settings(&s);
        mb.reset();
        let out = dc_through(&mut mb, input, 0.5, sr);
        assert!(
            (out - expected).abs() < 0.2,
            "{input} dB in: {out} dB out, expected {expected}"
        );
    }
}

#[test]
fn attack_and_release_measured_through_the_stage_are_within_ten_percent() {
    let sr = 48_000.0;
    let (attack_ms, release_ms) = (50.0, 300.0);
    let mut s = MultibandSettings::default();
    s.bands[0] = CompressorSettings {
        threshold_db: -20.0,
        ratio: 4.0,
        knee_db: 0.0,
        attack_ms,
        release_ms,
        makeup_db: 0.0,
    };
    let mut mb = MultibandCompressor::new();
    mb.configure(sr, 2, 512);
    mb.set_settings(&s);
    mb.reset();
    dc_through(&mut mb, -40.0, 0.5, sr);
    // Step to 0 dBFS: 20 dB over a 4:1 threshold wants 15 dB of reduction.
    let mut trace = Vec::new();
    for _ in 0..(1.5 * sr) as usize {
        let (mut l, mut r) = ([1.0f32], [1.0f32]);
        mb.process(&mut [&mut l, &mut r]);
        trace.push(mb.gain_reduction_db()[0]);
    }
    let settled = *trace.last().unwrap();
    assert!((settled - 15.0).abs() < 0.05, "{settled}");
    let goal = settled * (1.0 - (-1.0f32).exp());
    let attack = trace.iter().position(|&g| g >= goal).unwrap() as f32 / sr * 1000.0;
    assert!((attack / attack_ms - 1.0).abs() < 0.1, "attack {attack} ms");
    // Step back down to -60 dBFS: the reduction decays with the release time constant.
    let mut trace = Vec::new();
    for _ in 0..(2.0 * sr) as usize {
        let (mut l, mut r) = ([0.001f32], [0.001f32]);
        mb.process(&mut [&mut l, &mut r]);
        trace.push(mb.gain_reduction_db()[0]);
    }
    let goal = settled * (-1.0f32).exp();
    let release = trace.iter().position(|&g| g <= goal).unwrap() as f32 / sr * 1000.0;
    assert!(
        (release / release_ms - 1.0).abs() < 0.1,
        "release {release} ms"
    );
}

#[test]
fn detection_is_stereo_linked() {
    // A loud left and a quiet right copy of one sine in the mid band: linked detection gives
    // both the same gain, so the output keeps the 10:1 ratio exactly.
    let sr = 48_000.0;
    let mut s = MultibandSettings::default();
    s.bands[1] = CompressorSettings {
        threshold_db: -20.0,
        ratio: 4.0,
        ..Default::default()
    };
    let mut mb = MultibandCompressor::new();
    mb.configure(sr, 2, 512);
    mb.set_settings(&s);
    mb.reset();
    let l = sine(1000.0, 0.5, sr, 48_000);
    let r: Vec<f32> = l.iter().map(|x| 0.1 * x).collect();
    let out = render(
        &mut mb,
        &[l, r],
        Split::Fixed(512),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    assert!(
        mb.gain_reduction_db()[1] > 3.0,
        "the left channel drives the mid band hard"
    );
    for (a, b) in out[0][24_000..].iter().zip(&out[1][24_000..]) {
        assert!((b - 0.1 * a).abs() <= 1e-6, "{a} {b}");
    }
    // The detector follows the louder channel, whichever it is: the same reduction with the
    // loud signal left, right or in both.
    let loud = sine(1000.0, 0.5, sr, 24_000);
    let quiet: Vec<f32> = loud.iter().map(|x| 0.1 * x).collect();
    let mut reduction = Vec::new();
    for pair in [[&loud, &quiet], [&quiet, &loud], [&loud, &loud]] {
        mb.reset();
        let input = [pair[0].clone(), pair[1].clone()];
        render(
            &mut mb,
            &input,
            Split::Fixed(512),
            &[],
            |_, _| {},
            |v, c| v.process(c),
        );
        reduction.push(mb.gain_reduction_db()[1]);
    }
    assert!(reduction[0] > 3.0);
    assert_eq!(reduction[0], reduction[1]);
    assert_eq!(reduction[0], reduction[2]);
}
