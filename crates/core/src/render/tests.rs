//! Tests of [`super`]: latency compensation and block handling with stand-in processors, the
//! streaming path against the in-place one, and the gain-reduction statistics of the real
//! chain on signals whose overshoot is known by construction.

use super::*;
use crate::meter::analysis::analyze;
use std::collections::VecDeque;
use std::f32::consts::PI;

/// A stand-in for a chain with latency: delays every channel by `delay` samples and checks
/// that blocks never exceed `max_block`.
fn delaying(delay: usize, channels: usize, max_block: usize) -> impl FnMut(&mut [&mut [f32]]) {
    let mut lines: Vec<VecDeque<f32>> = vec![VecDeque::from(vec![0.0; delay]); channels];
    move |block: &mut [&mut [f32]]| {
        for (line, ch) in lines.iter_mut().zip(block.iter_mut()) {
            assert!(ch.len() <= max_block);
            for s in ch.iter_mut() {
                line.push_back(*s);
                *s = line.pop_front().unwrap_or(0.0);
            }
        }
    }
}

fn ramp(n: usize, offset: f32) -> Vec<f32> {
    (0..n).map(|i| offset + i as f32 * 1e-3).collect()
}

fn sine(n: usize, rate: f32, freq_hz: f32, peak: f32) -> Vec<f32> {
    (0..n)
        .map(|i| peak * (2.0 * PI * freq_hz * i as f32 / rate).sin())
        .collect()
}

fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

#[test]
fn any_latency_is_compensated_exactly() {
    let input = vec![ramp(2000, 0.1), ramp(2000, -0.5)];
    for latency in [0, 1, 64, 511, 512, 513, 3000] {
        for block in [1, 7, 512] {
            let out = render_aligned(input.clone(), latency, block, delaying(latency, 2, block));
            assert_eq!(out, input, "latency {latency}, block {block}");
        }
    }
}

#[test]
fn uncompensated_latency_would_show() {
    // The check above can fail: claiming less latency than there is misaligns the output.
    let input = vec![ramp(1000, 0.1)];
    let out = render_aligned(input.clone(), 10, 512, delaying(64, 1, 512));
    assert_eq!(out[0].len(), input[0].len());
    assert_ne!(out, input);
    assert_eq!(out[0][54..], input[0][..1000 - 54]);
}

#[test]
fn blocks_are_host_sized_and_cover_everything() {
    let input = vec![vec![1.0f32; 1300]];
    let mut sizes = Vec::new();
    let out = render_aligned(input, 100, 512, |b| {
        sizes.push(b[0].len());
        for s in b[0].iter_mut() {
            *s *= 2.0;
        }
    });
    assert_eq!(sizes, vec![512, 512, 376]);
    assert_eq!(out[0].len(), 1300);
    assert!(out[0][..1200].iter().all(|&s| s == 2.0));
}

#[test]
fn render_applies_drive_and_output_in_db() {
    let input = vec![
        sine(4096, 44_100.0, 1000.0, 0.1),
        sine(4096, 44_100.0, 1000.0, -0.05),
    ];
    let settings = ChainSettings {
        drive_db: 6.0,
        output_db: -9.0,
        ..ChainSettings::default()
    };
    let out = render(input.clone(), 44_100, &settings);
    let gain = db_to_gain(-3.0);
    assert_eq!(out.channels[0].len(), 4096);
    for (o, i) in out.channels.iter().flatten().zip(input.iter().flatten()) {
        assert!((o - i * gain).abs() < 1e-5, "{o} vs {}", i * gain);
    }
    // Peaks at -14 dBFS: the limiter never worked.
    assert_eq!(out.gain_reduction.max_db, 0.0);
    assert_eq!(out.gain_reduction.mean_active_db, None);
    assert_eq!(out.gain_reduction.active_fraction, 0.0);
}

/// 2 s of a quiet 100 Hz sine (peak -20 dBFS), then 2 s of the same sine at a peak of
/// +5 dBFS. With the ceiling at -1 dBTP the loud half needs 6 dB of gain reduction (a 100 Hz
/// sine's true peak is its sample peak to within 0.001 dB), the quiet half none.
fn quiet_then_loud(rate: f32) -> Vec<Vec<f32>> {
    let half = (2.0 * rate) as usize;
    let mut x = sine(2 * half, rate, 100.0, 1.0);
    for (i, s) in x.iter_mut().enumerate() {
        *s *= if i < half {
            db_to_gain(-20.0)
        } else {
            db_to_gain(5.0)
        };
    }
    vec![x.clone(), x]
}

#[test]
fn gain_reduction_statistics_follow_the_overshoot() {
    let input = quiet_then_loud(48_000.0);
    let out = render(input, 48_000, &ChainSettings::default());
    let gr = out.gain_reduction;
    assert!((gr.max_db - 6.0).abs() <= 0.1, "max {gr:?}");
    // The mean is over the loud half only: about 6 dB, not the 3 dB an all-blocks mean gives.
    let mean = gr.mean_active_db.expect("the limiter worked");
    assert!((mean - 6.0).abs() <= 0.1, "mean {gr:?}");
    // Limiting during the loud half, give or take the lookahead and the release tail.
    assert!((gr.active_fraction - 0.5).abs() <= 0.02, "fraction {gr:?}");
    // And the output really was held at the ceiling: the loud half peaks near -1 dBFS.
    let loud_peak = out.channels[0][120_000..]
        .iter()
        .fold(0.0f32, |m, s| m.max(s.abs()));
    assert!((20.0 * loud_peak.log10() + 1.0).abs() <= 0.1, "{loud_peak}");
}

#[test]
fn measuring_render_agrees_with_the_in_place_render() {
    // Driven into the limiter so that gain reduction and alignment both matter.
    let rate = 44_100;
    let input = quiet_then_loud(rate as f32);
    let settings = ChainSettings {
        drive_db: 3.0,
        output_db: -2.0,
        ..ChainSettings::default()
    };
    let slices: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
    let measured = measure_render(&slices, rate, &settings).unwrap();
    let rendered = render(input.clone(), rate, &settings);
    let out_slices: Vec<&[f32]> = rendered.channels.iter().map(Vec::as_slice).collect();
    let analysed = analyze(&out_slices, rate).unwrap();
    let (a, b) = (
        measured.integrated_lufs.unwrap(),
        analysed.integrated_lufs.unwrap(),
    );
    assert!((a - b).abs() < 1e-6, "streamed {a} vs in place {b}");
    assert_eq!(measured.gain_reduction, rendered.gain_reduction);
    assert!(measured.gain_reduction.max_db > 8.0);
}

#[test]
fn measuring_silence_reports_no_loudness() {
    let input = vec![vec![0.0f32; 48_000]; 2];
    let slices: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
    let m = measure_render(&slices, 48_000, &ChainSettings::default()).unwrap();
    assert_eq!(m.integrated_lufs, None);
    assert_eq!(m.gain_reduction, GainReductionSummary::default());
}

/// Pushes `input` into a [`StreamRenderer`] in blocks of the sizes `sizes` (cycled) and
/// collects what it hands on.
fn stream_render(
    input: &[Vec<f32>],
    rate: u32,
    settings: &ChainSettings,
    sizes: &[usize],
) -> (Vec<Vec<f32>>, StreamSummary) {
    let mut renderer = StreamRenderer::new(input.len(), rate, settings);
    let mut out = vec![Vec::new(); input.len()];
    let mut collect = |block: &[&[f32]]| -> SinkResult {
        for (o, b) in out.iter_mut().zip(block) {
            o.extend_from_slice(b);
        }
        Ok(())
    };
    let frames = input[0].len();
    let mut start = 0;
    for &size in sizes.iter().cycle() {
        if start >= frames {
            break;
        }
        let end = (start + size).min(frames);
        let block: Vec<&[f32]> = input.iter().map(|c| &c[start..end]).collect();
        renderer.push(&block, &mut collect).unwrap();
        start = end;
    }
    let summary = renderer.finish(&mut collect).unwrap();
    (out, summary)
}

#[test]
fn the_stream_renderer_gives_the_in_place_render_for_any_blocks() {
    // Hostile material into a driven limiter, at the lowest and highest rates, with short
    // and long lookaheads (latencies under and over a host block).
    for rate in [22_050u32, 44_100, 384_000] {
        let n = rate as usize / 2 + 333;
        let noise = lacquer_test_support::signals::noise(n, 7);
        let square: Vec<f32> = (0..n)
            .map(|i| if (i / 37) % 2 == 0 { 0.9 } else { -0.9 })
            .collect();
        let input = vec![noise, square];
        for lookahead_ms in [0.5f32, 10.0] {
            let settings = ChainSettings {
                drive_db: 12.0,
                lookahead_ms,
                ..ChainSettings::default()
            };
            let whole = render(input.clone(), rate, &settings);
            for sizes in [&[1usize, 7, 4096][..], &[512], &[511, 513], &[1 << 20]] {
                let (out, summary) = stream_render(&input, rate, &settings, sizes);
                assert_eq!(
                    out, whole.channels,
                    "{rate} Hz, {lookahead_ms} ms, {sizes:?}"
                );
                assert_eq!(summary.gain_reduction, whole.gain_reduction);
                assert_eq!(
                    summary.gain_reduction_per_block_db,
                    whole.gain_reduction_per_block_db
                );
                assert_eq!(summary.frames, n);
            }
        }
    }
}

#[test]
fn a_short_input_streams_whole_and_silence_streams_nothing() {
    let settings = ChainSettings::default();
    let input = vec![ramp(3, 0.1)];
    let (out, _) = stream_render(&input, 48_000, &settings, &[1]);
    assert_eq!(out, render(input, 48_000, &settings).channels);
    let (out, summary) = stream_render(&[Vec::new()], 48_000, &settings, &[1]);
    assert_eq!(out, vec![Vec::<f32>::new()]);
    assert_eq!(summary.frames, 0);
}

#[test]
fn a_sink_error_stops_the_render() {
    let input = [vec![0.5f32; 48_000]];
    let slices: Vec<&[f32]> = input.iter().map(Vec::as_slice).collect();
    let mut calls = 0;
    let result = render_source(
        &SliceSource::new(&slices, 48_000),
        &ChainSettings::default(),
        &mut |_| {
            calls += 1;
            Err("disk full".into())
        },
    );
    assert_eq!(result, Err("disk full".to_string()));
    assert_eq!(calls, 1);
}
