//! The streaming [`Analyzer`] against the whole-slice [`analyze`] and against the frozen
//! pre-streaming implementation of `analyze` (copied below as it was before the streaming
//! meters, with its two-pass Pearson correlation): bit for bit for every figure but the
//! correlation, which is now one-pass and must agree within 1e-12.

use super::*;
use crate::meter::stream::test_support::{Rng, assert_bits, block_plans, push_in_blocks, signals};

/// Pre-streaming `analyze_with`, frozen (the reference the streaming meter must reproduce).
fn old_analyze(channels: &[&[f32]], sample_rate_hz: u32) -> Result<Analysis, AnalysisError> {
    let num_channels = channels.len();
    if num_channels == 0 {
        return Err(AnalysisError::BadLayout("no channels".into()));
    }
    let num_frames = channels[0].len();
    if channels.iter().any(|c| c.len() != num_frames) {
        return Err(AnalysisError::BadLayout(
            "channels have different lengths".into(),
        ));
    }
    if !(ANALYSIS_RATE_RANGE_HZ.0..=ANALYSIS_RATE_RANGE_HZ.1).contains(&sample_rate_hz) {
        return Err(AnalysisError::UnsupportedRate(sample_rate_hz));
    }
    // Cleaned copies only of the channels that need it (a normal file is measured in place).
    let mut non_finite_samples = 0;
    let cleaned: Vec<Option<Vec<f32>>> = channels
        .iter()
        .map(|c| {
            crate::dsp::sanitize::needs_flush(c).then(|| {
                let mut copy = c.to_vec();
                non_finite_samples +=
                    crate::dsp::sanitize::flush_non_finite_and_subnormal(&mut copy);
                copy
            })
        })
        .collect();
    let channels: Vec<&[f32]> = channels
        .iter()
        .zip(&cleaned)
        .map(|(c, clean)| clean.as_deref().unwrap_or(c))
        .collect();
    let channels = channels.as_slice();
    let mode = Mode::I | Mode::M | Mode::S | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK;
    let mut meter = EbuR128::new(num_channels as u32, sample_rate_hz, mode)
        .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;

    let rate = u64::from(sample_rate_hz);
    let step_frames = ((rate * u64::from(READ_INTERVAL_MS)) / 1000).max(1) as usize;
    let mut maxima = WindowMaxima::new(sample_rate_hz, true);
    let mut block: Vec<&[f32]> = Vec::with_capacity(num_channels);
    let mut start = 0;
    while start < num_frames {
        let end = (start + step_frames).min(num_frames);
        block.clear();
        block.extend(channels.iter().map(|c| &c[start..end]));
        meter
            .add_frames_planar_f32(&block)
            .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;
        maxima.update(&meter, end, end - start == step_frames);
        start = end;
    }
    let have_short_term = maxima.short_term_max.is_some();

    let integrated_lufs = meter.loudness_global().ok().and_then(finite);
    // LRA is undefined without a single gated short-term block: files under 3 s, or silence.
    let loudness_range_lu = if have_short_term && integrated_lufs.is_some() {
        meter.loudness_range().ok().and_then(finite)
    } else {
        None
    };
    let mut true_peak = 0.0f64;
    let mut sample_peak = 0.0f64;
    for ch in 0..num_channels as u32 {
        true_peak = true_peak.max(meter.true_peak(ch).unwrap_or(0.0));
        sample_peak = sample_peak.max(meter.sample_peak(ch).unwrap_or(0.0));
    }
    let true_peak_dbtp = peak_db(true_peak);
    let plr_db = match (true_peak_dbtp, integrated_lufs) {
        (Some(tp), Some(i)) => Some(tp - i),
        _ => None,
    };
    let (correlation, loud_correlation) = match channels {
        [l, r] => (
            old_pearson(l, r),
            old_loud_correlation(l, r, sample_rate_hz),
        ),
        _ => (None, None),
    };

    Ok(Analysis {
        integrated_lufs,
        loudness_range_lu,
        true_peak_dbtp,
        sample_peak_dbfs: peak_db(sample_peak),
        momentary_max_lufs: maxima.momentary_max.and_then(finite),
        short_term_max_lufs: maxima.short_term_max.and_then(finite),
        plr_db,
        correlation,
        loud_correlation,
        non_finite_samples,
        duration_s: num_frames as f64 / f64::from(sample_rate_hz.max(1)),
        sample_rate_hz,
        channels: num_channels,
    })
}

/// Pre-streaming `pearson` (two-pass: means first), frozen.
fn old_pearson(a: &[f32], b: &[f32]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n == 0 {
        return None;
    }
    let mean_a = a[..n].iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let mean_b = b[..n].iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a[..n].iter().zip(&b[..n]) {
        let dx = f64::from(x) - mean_a;
        let dy = f64::from(y) - mean_b;
        ab += dx * dy;
        aa += dx * dx;
        bb += dy * dy;
    }
    if aa <= 0.0 || bb <= 0.0 {
        return None;
    }
    Some((ab / (aa * bb).sqrt()).clamp(-1.0, 1.0))
}

/// Pre-streaming `loud_correlation`, frozen.
fn old_loud_correlation(l: &[f32], r: &[f32], sample_rate_hz: u32) -> Option<f64> {
    let n = l.len().min(r.len());
    let block =
        ((u64::from(sample_rate_hz) * u64::from(CORRELATION_BLOCK_MS) / 1000) as usize).max(1);
    // (sum L R, sum L^2, sum R^2, frames) per block.
    let blocks: Vec<(f64, f64, f64, usize)> = l[..n]
        .chunks(block)
        .zip(r[..n].chunks(block))
        .map(|(a, b)| {
            let (mut lr, mut ll, mut rr) = (0.0f64, 0.0f64, 0.0f64);
            for (&x, &y) in a.iter().zip(b) {
                let (x, y) = (f64::from(x), f64::from(y));
                lr += x * y;
                ll += x * x;
                rr += y * y;
            }
            (lr, ll, rr, a.len())
        })
        .collect();
    let power = |&(_, ll, rr, len): &(f64, f64, f64, usize)| (ll + rr) / (2.0 * len as f64);
    let absolute = 10f64.powf(CORRELATION_ABSOLUTE_GATE_DBFS / 10.0);
    let above: Vec<f64> = blocks.iter().map(power).filter(|&p| p > absolute).collect();
    if above.is_empty() {
        return None;
    }
    let mean = above.iter().sum::<f64>() / above.len() as f64;
    let gate = (mean * 10f64.powf(-CORRELATION_RELATIVE_GATE_DB / 10.0)).max(absolute);
    let (mut lr, mut ll, mut rr) = (0.0f64, 0.0f64, 0.0f64);
    for b in blocks.iter().filter(|b| power(b) >= gate) {
        lr += b.0;
        ll += b.1;
        rr += b.2;
    }
    (ll > 0.0 && rr > 0.0).then(|| (lr / (ll * rr).sqrt()).clamp(-1.0, 1.0))
}

/// `analysis` pushed into an [`Analyzer`] in blocks following `plan`.
fn streamed(channels: &[&[f32]], rate: u32, plan: &[usize]) -> Analysis {
    let mut analyzer = Analyzer::new(channels.len(), rate).unwrap();
    push_in_blocks(channels, plan, |b| analyzer.push(b).unwrap());
    analyzer.finish().unwrap()
}

/// Every field bit for bit, but the correlation within 1e-12.
fn assert_same(got: &Analysis, want: &Analysis, what: &str) {
    match (got.correlation, want.correlation) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-12, "{what}: correlation {g} vs {w}"),
        (g, w) => assert_eq!(g, w, "{what}: correlation"),
    }
    let strip = |a: &Analysis| Analysis {
        correlation: None,
        ..a.clone()
    };
    assert_bits(&strip(got), &strip(want), what);
    assert_eq!(strip(got), strip(want), "{what}");
}

/// `signals` plus a copy of the mix with a few NaN, infinite and subnormal samples.
fn test_signals(rate: u32, len: usize, seed: u64) -> Vec<(&'static str, Vec<f32>, Vec<f32>)> {
    let mut all = signals(rate, len, seed);
    let (_, mut l, mut r) = all[4].clone();
    let mut rng = Rng(seed ^ 0x9e37_79b9);
    for k in 0..6 {
        let i = rng.below(len.max(1));
        if let (Some(x), Some(y)) = (l.get_mut(i), r.get_mut(i)) {
            *x = [f32::NAN, f32::INFINITY, 1.0e-40][k % 3];
            *y = [-3.0e-41, f32::NEG_INFINITY, f32::NAN][k % 3];
        }
    }
    all.push(("mix with NaN and subnormals", l, r));
    all
}

#[test]
fn analyze_and_the_streaming_analyzer_equal_the_pre_streaming_analyze() {
    // Shorter than a 10 ms step, than 400 ms, than 3 s, and several seconds, at the rates of
    // the brief (44 101 Hz is off the 100 Hz grid: direct window reads).
    let cases: &[(u32, f64)] = &[
        (22_050, 0.005),
        (44_100, 0.3),
        (48_000, 2.5),
        (96_000, 7.3),
        (44_101, 4.1),
        (22_050, 13.0),
    ];
    for &(rate, seconds) in cases {
        let len = (f64::from(rate) * seconds) as usize + 3;
        let small = len < 200_000;
        for (name, l, r) in test_signals(rate, len, u64::from(rate) + len as u64) {
            for channels in [vec![&l[..], &r[..]], vec![&l[..]]] {
                let what = format!("{rate} Hz, {len} frames, {name}, {} ch", channels.len());
                let old = old_analyze(&channels, rate).unwrap();
                let whole = analyze(&channels, rate).unwrap();
                assert_same(&whole, &old, &what);
                for plan in block_plans(len as u64, small) {
                    let got = streamed(&channels, rate, &plan);
                    // Against the whole-slice form: everything bit for bit, correlation too.
                    assert_bits(&got, &whole, &format!("{what}, blocks {plan:?}"));
                }
            }
        }
    }
}

#[test]
fn minutes_at_a_low_rate_stream_bit_for_bit() {
    let rate = 22_050;
    let len = rate as usize * 200 + 77;
    let (name, l, r) = test_signals(rate, len, 11).swap_remove(5);
    let old = old_analyze(&[&l, &r], rate).unwrap();
    let whole = analyze(&[&l, &r], rate).unwrap();
    assert_same(&whole, &old, name);
    for plan in [vec![4096], vec![1, 2, 7, 511, 512, 4096, 65_537]] {
        assert_bits(&streamed(&[&l, &r], rate, &plan), &whole, name);
    }
}

#[test]
fn one_pass_pearson_agrees_with_the_two_pass_formula() {
    let mut rng = Rng(5);
    for len in [1usize, 2, 3, 4095, 4096, 4097, 100_000, 1_000_000] {
        // Offsets, different scales, partly correlated.
        let a: Vec<f32> = (0..len).map(|_| 0.3 + 0.5 * rng.sample()).collect();
        let b: Vec<f32> = a
            .iter()
            .map(|x| -0.2 + 0.7 * x + 0.1 * rng.sample())
            .collect();
        match (pearson(&a, &b), old_pearson(&a, &b)) {
            (Some(new), Some(old)) => assert!((new - old).abs() <= 1e-12, "{len}: {new} vs {old}"),
            (new, old) => assert_eq!(new, old, "{len}"),
        }
    }
    // A constant channel has no correlation, whatever its first sample.
    assert_eq!(
        pearson(&[0.1; 9], &[0.3, 0.1, 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]),
        None
    );
    assert_eq!(pearson(&[], &[]), None);
}

#[test]
fn layout_and_rate_errors_are_those_of_analyze() {
    assert_eq!(
        Analyzer::new(0, 48_000).unwrap_err(),
        analyze(&[], 48_000).unwrap_err()
    );
    assert_eq!(
        Analyzer::new(2, 7_999).unwrap_err(),
        AnalysisError::UnsupportedRate(7_999)
    );
    let (a, b) = ([0.1f32; 10], [0.1f32; 9]);
    let mut analyzer = Analyzer::new(2, 48_000).unwrap();
    assert!(matches!(
        analyzer.push(&[&a, &b]),
        Err(AnalysisError::BadLayout(_))
    ));
    assert!(matches!(
        analyzer.push(&[&a]),
        Err(AnalysisError::BadLayout(_))
    ));
    // Refused blocks are not measured.
    analyzer.push(&[&a, &a]).unwrap();
    assert_eq!(
        analyzer.finish().unwrap(),
        analyze(&[&a, &a], 48_000).unwrap()
    );
}
