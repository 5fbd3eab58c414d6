//! Tests of the step buffer, and of `ebur128`'s independence of how frames are split.

use super::test_support::{block_plans, push_in_blocks, signals};
use super::*;
use ebur128::{EbuR128, Mode};

#[test]
fn steps_are_counted_from_the_start_whatever_the_blocks() {
    let x: Vec<f32> = (0..10_007).map(|i| i as f32).collect();
    for plan in block_plans(3, true) {
        let mut steps = StepBuffer::new(1, 441);
        let mut seen: Vec<f32> = Vec::new();
        push_in_blocks(&[&x], &plan, |block| {
            steps
                .push(block, |step| {
                    assert_eq!(step[0].len(), 441);
                    assert_eq!(step[0][0] as usize % 441, 0);
                    seen.extend_from_slice(step[0]);
                    Ok::<(), ()>(())
                })
                .unwrap();
        });
        seen.extend_from_slice(steps.remainder()[0]);
        assert_eq!(seen, x, "{plan:?}");
        assert_eq!(steps.pending_frames(), 10_007 % 441);
    }
}

#[test]
fn blocks_of_the_wrong_layout_are_refused() {
    let (a, b) = ([0.0f32; 4], [0.0f32; 3]);
    assert_eq!(check_block(&[&a, &a], 2), Ok(4));
    assert!(matches!(
        check_block(&[&a, &b], 2),
        Err(AnalysisError::BadLayout(_))
    ));
    assert!(matches!(
        check_block(&[&a], 2),
        Err(AnalysisError::BadLayout(_))
    ));
}

/// Every figure of a meter fed `channels` at `rate` in blocks following `plan` (`None`: in one
/// call).
fn ebur128_figures(channels: &[&[f32]], rate: u32, plan: Option<&[usize]>) -> Vec<f64> {
    let mode = Mode::I | Mode::M | Mode::S | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK;
    let mut meter = EbuR128::new(channels.len() as u32, rate, mode).unwrap();
    match plan {
        None => meter.add_frames_planar_f32(channels).unwrap(),
        Some(plan) => push_in_blocks(channels, plan, |b| meter.add_frames_planar_f32(b).unwrap()),
    }
    let mut out = vec![
        meter.loudness_global().unwrap(),
        meter.loudness_range().unwrap(),
        meter.loudness_momentary().unwrap(),
        meter.loudness_shortterm().unwrap(),
        meter.loudness_window(10).unwrap(),
    ];
    for ch in 0..channels.len() as u32 {
        out.push(meter.true_peak(ch).unwrap());
        out.push(meter.sample_peak(ch).unwrap());
    }
    out
}

/// On x86 and x86-64 with SSE2, `ebur128` runs its filters in flush-to-zero mode, so its
/// results do not depend on how the frames are split across calls, even through silences long
/// enough for the filter states to decay into subnormal numbers. (On other targets it flushes
/// them only at the end of each call; the meters that need it are documented.)
#[cfg(all(
    any(target_arch = "x86", target_arch = "x86_64"),
    target_feature = "sse2"
))]
#[test]
fn ebur128_results_do_not_depend_on_how_frames_are_split() {
    for rate in [8_000u32, 22_050, 48_000] {
        for (name, l, r) in signals(rate, rate as usize * 14 + 123, 7) {
            let whole = ebur128_figures(&[&l, &r], rate, None);
            let mono = ebur128_figures(&[&l], rate, None);
            for plan in block_plans(u64::from(rate), false) {
                let split = ebur128_figures(&[&l, &r], rate, Some(&plan));
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&split), bits(&whole), "{rate} Hz {name} {plan:?}");
                let split = ebur128_figures(&[&l], rate, Some(&plan));
                assert_eq!(bits(&split), bits(&mono), "{rate} Hz mono {name} {plan:?}");
            }
        }
    }
}
