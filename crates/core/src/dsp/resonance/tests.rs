use super::*;
use crate::dsp::biquad::{BiquadCoefs, BiquadState};
use lacquer_test_support::reference::{Rng, hundred_db_steps, music_like, squares, white_noise};

fn active(amount_pct: f32) -> ResonanceSettings {
    ResonanceSettings {
        amount_pct,
        ..Default::default()
    }
}

fn stage(rate: f32, settings: &ResonanceSettings) -> Resonance {
    let mut s = Resonance::new();
    s.configure(rate);
    s.set_settings(settings);
    s.reset();
    s
}

fn run(s: &mut Resonance, x: &[Vec<f32>], block: usize) -> Vec<Vec<f32>> {
    let mut out = x.to_vec();
    let n = out[0].len();
    let mut start = 0;
    while start < n {
        let end = (start + block).min(n);
        match out.as_mut_slice() {
            [m] => s.process(&mut [&mut m[start..end]]),
            [l, r] => s.process(&mut [&mut l[start..end], &mut r[start..end]]),
            _ => unreachable!(),
        }
        start = end;
    }
    out
}

/// Pink-ish noise (white noise through a -3 dB/octave approximation, Paul Kellet's economy
/// filter coefficients), independent channels, about -20 dBFS RMS.
fn pink(rate: f32, seconds: f32, seed: u64) -> Vec<Vec<f32>> {
    let n = (rate * seconds) as usize;
    let mut rng = Rng::new(seed);
    (0..2)
        .map(|_| {
            let (mut b0, mut b1, mut b2) = (0.0f64, 0.0f64, 0.0f64);
            (0..n)
                .map(|_| {
                    let w = rng.uniform();
                    b0 = 0.99765 * b0 + w * 0.0990460;
                    b1 = 0.96300 * b1 + w * 0.2965164;
                    b2 = 0.57000 * b2 + w * 1.0526913;
                    (0.1 * (b0 + b1 + b2 + w * 0.1848)) as f32
                })
                .collect()
        })
        .collect()
}

fn peak_filter(x: &[Vec<f32>], rate: f32, freq_hz: f64, gain_db: f64, q: f64) -> Vec<Vec<f32>> {
    let c = BiquadCoefs::peaking(freq_hz, gain_db, q, f64::from(rate));
    x.iter()
        .map(|ch| {
            let mut st = BiquadState::default();
            ch.iter()
                .map(|&s| st.process(&c, f64::from(s)) as f32)
                .collect()
        })
        .collect()
}

/// Power of the sum of both channels within `[lo_hz, hi_hz]`, dB, averaged over Hann-windowed
/// 8192-point frames from `skip` samples on, over all but the last `delay` samples (an
/// independent measurement, not the stage's). An output is measured with `skip + delay` and
/// `0`, its input with `skip` and `delay`: the same stretch of music.
fn band_db(
    x: &[Vec<f32>],
    rate: f32,
    (skip, delay): (usize, usize),
    lo_hz: f32,
    hi_hz: f32,
) -> f64 {
    let len = 8192;
    let mut planner = RealFftPlanner::<f64>::new();
    let fft = planner.plan_fft_forward(len);
    let mut frame = fft.make_input_vec();
    let mut spec = fft.make_output_vec();
    let bin_hz = rate / len as f32;
    let mut total = 0.0;
    let mut frames = 0;
    let mut start = skip;
    while start + len + delay <= x[0].len() {
        for (i, f) in frame.iter_mut().enumerate() {
            let w = 0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / len as f64).cos();
            let s: f64 = x.iter().map(|c| f64::from(c[start + i])).sum();
            *f = s * w;
        }
        fft.process(&mut frame, &mut spec).unwrap();
        for (k, c) in spec.iter().enumerate() {
            let f = k as f32 * bin_hz;
            if f >= lo_hz && f <= hi_hz {
                total += c.norm_sqr();
            }
        }
        frames += 1;
        start += len / 2;
    }
    10.0 * (total / frames.max(1) as f64 + 1e-30).log10()
}

#[test]
fn latency_is_exactly_one_frame_and_unity_gains_give_the_input_back() {
    for rate in [22_050.0, 44_100.0, 48_000.0, 96_000.0, 384_000.0] {
        for low_latency in [false, true] {
            // Depth 0: the stage runs every frame but never reduces.
            let settings = ResonanceSettings {
                depth_db: 0.0,
                low_latency,
                ..active(100.0)
            };
            let mut s = stage(rate, &settings);
            let delay = s.latency_samples() as usize;
            assert_eq!(delay, frame_len(rate, low_latency));
            let x = pink(rate, 0.2, 3);
            let y = run(&mut s, &x, 333);
            for (yc, xc) in y.iter().zip(&x) {
                assert!(yc[..delay].iter().all(|v| v.abs() < 1e-6));
                let worst = yc[delay..]
                    .iter()
                    .zip(xc)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0f32, f32::max);
                assert!(
                    worst < 2e-5,
                    "{rate} Hz, low latency {low_latency}: {worst}"
                );
            }
        }
    }
}

#[test]
fn impulse_comes_out_after_the_reported_latency() {
    let mut s = stage(48_000.0, &active(100.0));
    let mut x = vec![vec![0.0f32; 8000]; 2];
    x[0][100] = 0.5;
    x[1][100] = 0.5;
    let y = run(&mut s, &x, 64);
    let peak = y[0]
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .map(|(i, _)| i)
        .unwrap();
    assert_eq!(peak, 100 + s.latency_samples() as usize);
}

#[test]
fn out_at_zero_percent_bit_for_bit_and_without_latency() {
    let mut s = stage(48_000.0, &active(0.0));
    assert_eq!(s.latency_samples(), 0);
    let x = music_like(48_000.0, 0.3, 1).to_vec();
    assert_eq!(run(&mut s, &x, 512), x);
}

#[test]
fn output_is_identical_for_any_block_size() {
    let x = peak_filter(&pink(48_000.0, 0.6, 5), 48_000.0, 3000.0, 10.0, 8.0);
    let reference = run(&mut stage(48_000.0, &active(100.0)), &x, 4096);
    for block in [1, 7, 64, 512] {
        assert_eq!(
            run(&mut stage(48_000.0, &active(100.0)), &x, block),
            reference
        );
    }
    let mut s = stage(48_000.0, &active(100.0));
    let mut out = x.clone();
    let blocks = lacquer_test_support::reference::random_blocks(9);
    let (mut start, mut k) = (0, 0);
    while start < out[0].len() {
        let end = (start + blocks[k % blocks.len()]).min(out[0].len());
        let (l, r) = out.split_at_mut(1);
        s.process(&mut [&mut l[0][start..end], &mut r[0][start..end]]);
        start = end;
        k += 1;
    }
    assert_eq!(out, reference);
}

#[test]
fn a_narrow_resonance_loses_at_least_half_its_excess_and_the_rest_stays() {
    let rate = 48_000.0;
    for (freq, gain_db, q) in [(3000.0, 9.0, 8.0), (1200.0, 8.0, 6.0), (6000.0, 10.0, 12.0)] {
        let clean = pink(rate, 4.0, 11);
        let damaged = peak_filter(&clean, rate, freq, gain_db, q);
        let mut s = stage(rate, &active(100.0));
        let delay = s.latency_samples() as usize;
        let out = run(&mut s, &damaged, 512);
        let skip = rate as usize;
        let lo = (freq / 2f64.powf(1.0 / 24.0)) as f32;
        let hi = (freq * 2f64.powf(1.0 / 24.0)) as f32;
        let clean_db = band_db(&clean, rate, (skip, delay), lo, hi);
        let added = band_db(&damaged, rate, (skip, delay), lo, hi) - clean_db;
        let left = band_db(&out, rate, (skip + delay, 0), lo, hi) - clean_db;
        assert!(
            added > gain_db - 2.0,
            "{freq} Hz: the damage added {added:.1} dB"
        );
        assert!(
            left <= 0.5 * added,
            "{freq} Hz: {added:.1} dB added, {left:.1} dB left after the stage"
        );
        // An octave away the level is untouched.
        for f in [freq * 0.5, freq * 2.0] {
            let (lo, hi) = ((f / 1.06) as f32, (f * 1.06) as f32);
            let before = band_db(&damaged, rate, (skip, delay), lo, hi);
            let after = band_db(&out, rate, (skip + delay, 0), lo, hi);
            assert!(
                (after - before).abs() < 0.5,
                "{f} Hz moved {:.2} dB",
                after - before
            );
        }
    }
}

#[test]
fn a_resonance_of_the_side_leaves_the_mid_alone() {
    let rate = 48_000.0;
    let clean = pink(rate, 3.0, 21);
    // Mid and side from the clean pair; only the side gets a resonance.
    let mid: Vec<f32> = clean[0]
        .iter()
        .zip(&clean[1])
        .map(|(l, r)| 0.5 * (l + r))
        .collect();
    let side: Vec<f32> = clean[0]
        .iter()
        .zip(&clean[1])
        .map(|(l, r)| 0.5 * (l - r))
        .collect();
    let side = peak_filter(&[side], rate, 2500.0, 10.0, 8.0).remove(0);
    let damaged = vec![
        mid.iter()
            .zip(&side)
            .map(|(m, s)| m + s)
            .collect::<Vec<f32>>(),
        mid.iter()
            .zip(&side)
            .map(|(m, s)| m - s)
            .collect::<Vec<f32>>(),
    ];
    let mut s = stage(rate, &active(100.0));
    let delay = s.latency_samples() as usize;
    let out = run(&mut s, &damaged, 512);
    let out_mid: Vec<f32> = out[0]
        .iter()
        .zip(&out[1])
        .map(|(l, r)| 0.5 * (l + r))
        .collect();
    let out_side: Vec<f32> = out[0]
        .iter()
        .zip(&out[1])
        .map(|(l, r)| 0.5 * (l - r))
        .collect();
    let (lo, hi) = (2400.0, 2600.0);
    let skip = rate as usize;
    let mid_change = band_db(&[out_mid], rate, (skip + delay, 0), lo, hi)
        - band_db(&[mid], rate, (skip, delay), lo, hi);
    let side_change = band_db(&[out_side], rate, (skip + delay, 0), lo, hi)
        - band_db(&[side], rate, (skip, delay), lo, hi);
    assert!(mid_change.abs() < 0.5, "mid moved {mid_change:.2} dB");
    assert!(side_change < -3.0, "side moved only {side_change:.2} dB");
}

#[test]
fn broadband_material_is_left_alone() {
    let rate = 48_000.0;
    // Steady pink noise, and pink noise in bursts (a drum-like on/off every 125 ms).
    let steady = pink(rate, 3.0, 31);
    let mut bursts = pink(rate, 3.0, 32);
    for ch in bursts.iter_mut() {
        for (i, v) in ch.iter_mut().enumerate() {
            let t = (i % 6000) as f32 / rate;
            *v *= 4.0 * (-t / 0.03).exp();
        }
    }
    for x in [
        steady,
        bursts,
        white_noise(f64::from(rate), 3.0, 33).to_vec(),
    ] {
        let mut s = stage(rate, &active(100.0));
        let out = run(&mut s, &x, 512);
        let delay = s.latency_samples() as usize;
        let skip = rate as usize;
        for octave in 0..7 {
            let lo = 125.0 * 2f32.powi(octave);
            let change = band_db(&out, rate, (skip + delay, 0), lo, 2.0 * lo)
                - band_db(&x, rate, (skip, delay), lo, 2.0 * lo);
            assert!(change.abs() < 0.3, "{lo} Hz octave moved {change:.2} dB");
        }
    }
}

#[test]
fn delta_is_exactly_what_the_stage_removes() {
    let rate = 48_000.0;
    let x = peak_filter(&pink(rate, 1.5, 41), rate, 3000.0, 10.0, 8.0);
    let wet = run(&mut stage(rate, &active(100.0)), &x, 256);
    let delta = run(
        &mut stage(
            rate,
            &ResonanceSettings {
                delta: true,
                ..active(100.0)
            },
        ),
        &x,
        256,
    );
    let delay = frame_len(rate, false);
    let mut removed_energy = 0.0f64;
    for ((w, d), xc) in wet.iter().zip(&delta).zip(&x) {
        for i in delay..xc.len() {
            let sum = w[i] + d[i];
            assert!(
                (sum - xc[i - delay]).abs() < 2e-5,
                "sample {i}: {sum} vs {}",
                xc[i - delay]
            );
            removed_energy += f64::from(d[i]).powi(2);
        }
    }
    assert!(removed_energy > 1.0, "the delta is empty: {removed_energy}");
}

#[test]
fn reduction_never_passes_the_depth_and_hostile_input_stays_finite() {
    for rate in [22_050.0f32, 44_100.0, 96_000.0, 384_000.0] {
        let r = f64::from(rate);
        let signals: Vec<Vec<Vec<f32>>> = vec![
            white_noise(r, 0.5, 1).to_vec(),
            squares(r, 0.5).to_vec(),
            hundred_db_steps(r, 0.5, 2).to_vec(),
            music_like(r, 0.5, 3).to_vec(),
        ];
        for x in signals {
            let settings = ResonanceSettings {
                depth_db: 4.0,
                ..active(100.0)
            };
            let mut s = stage(rate, &settings);
            let y = run(&mut s, &x, 500);
            assert!(y.iter().flatten().all(|v| v.is_finite()));
            let (_, red) = s.mid_reduction_db();
            assert!(
                red.iter().all(|&d| (0.0..=4.0 + 1e-4).contains(&d)),
                "{red:?}"
            );
        }
    }
}

#[test]
fn mono_is_processed_as_mid() {
    let rate = 48_000.0;
    let x = peak_filter(&pink(rate, 3.0, 51), rate, 3000.0, 10.0, 8.0);
    let stereo_same = vec![x[0].clone(), x[0].clone()];
    let mono = run(&mut stage(rate, &active(100.0)), &[x[0].clone()], 512);
    let stereo = run(&mut stage(rate, &active(100.0)), &stereo_same, 512);
    for (a, b) in mono[0].iter().zip(&stereo[0]) {
        assert!((a - b).abs() < 1e-5);
    }
}

#[test]
fn statistics_count_the_reduction_where_it_happens() {
    let rate = 48_000.0;
    let x = peak_filter(&pink(rate, 3.0, 61), rate, 3000.0, 10.0, 8.0);
    let mut s = stage(rate, &active(100.0));
    s.set_collect_stats(true);
    let _ = run(&mut s, &x, 512);
    let [mid, _] = s.stats();
    let strongest = mid
        .iter()
        .max_by(|a, b| a.mean_db.total_cmp(&b.mean_db))
        .unwrap();
    assert!(
        (2700.0..3300.0).contains(&strongest.centre_hz),
        "{strongest:?}"
    );
    assert!(
        strongest.mean_db > 2.0 && strongest.p95_db >= strongest.mean_db,
        "{strongest:?}"
    );
    assert!(strongest.share_over_1db > 0.8, "{strongest:?}");
    let far = mid.iter().find(|b| b.centre_hz > 8000.0).unwrap();
    assert_eq!(far.mean_db, 0.0, "{far:?}");
}
