//! Acceptance tests of the tone (EQ), dynamics (multiband) and stereo-image stages. Per-stage
//! measurements live in `stages_support/{tone,dynamics,image}.rs` (measured responses against
//! the published maths, the compressor against hand-computed curve points and its time
//! constants, bass mono on noise); this file holds the properties of the three together:
//! bit-transparency when neutral, click-free macro automation, block-size independence and
//! allocation-free processing.

mod stages_support;

use lacquer_core::dsp::eq::{EqBand, ToneEq};
use lacquer_core::dsp::macros::{MacroSettings, StagesSettings};
use lacquer_core::dsp::multiband::MultibandCompressor;
use lacquer_core::dsp::stereo::StereoImage;
use stages_support::alloc::{CountingAllocator, count_allocations};
use stages_support::signals::{Split, max_step, noise, render, sine};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The three stages in chain order.
struct Stages {
    eq: ToneEq,
    multiband: MultibandCompressor,
    stereo: StereoImage,
}

impl Stages {
    fn new(sample_rate_hz: f32, settings: &StagesSettings) -> Self {
        let mut s = Self {
            eq: ToneEq::new(),
            multiband: MultibandCompressor::new(),
            stereo: StereoImage::new(),
        };
        s.eq.configure(sample_rate_hz, 2, 512);
        s.multiband.configure(sample_rate_hz, 2, 512);
        s.stereo.configure(sample_rate_hz, 2, 512);
        s.set(settings);
        s.eq.reset();
        s.multiband.reset();
        s.stereo.reset();
        s
    }

    fn set(&mut self, settings: &StagesSettings) {
        self.eq.set_settings(&settings.eq);
        self.multiband.set_settings(&settings.multiband);
        self.stereo.set_settings(&settings.stereo);
    }

    fn process(&mut self, channels: &mut [&mut [f32]]) {
        self.eq.process(channels);
        self.multiband.process(channels);
        self.stereo.process(channels);
    }
}

#[test]
fn neutral_stages_are_bit_transparent_each_and_together() {
    let input = [noise(30_000, 21, 0.8), noise(30_000, 22, 0.8)];
    let mut eq = ToneEq::new();
    let out = render(
        &mut eq,
        &input,
        Split::Random(3),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    assert_eq!(out, input);
    let mut mb = MultibandCompressor::new();
    let out = render(
        &mut mb,
        &input,
        Split::Random(4),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    assert_eq!(out, input);
    let mut st = StereoImage::new();
    let out = render(
        &mut st,
        &input,
        Split::Random(5),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    assert_eq!(out, input);
    let neutral = MacroSettings::default().apply(&StagesSettings::default());
    let mut all = Stages::new(44_100.0, &neutral);
    let out = render(
        &mut all,
        &input,
        Split::Fixed(64),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    assert_eq!(out, input);
}

#[test]
fn stages_return_to_bit_transparency_after_being_used() {
    let sr = 48_000.0;
    let busy = MacroSettings {
        tone: 60.0,
        dynamics_pct: 80.0,
        width_pct: 150.0,
        bass_mono_on: true,
        ..Default::default()
    }
    .apply(&StagesSettings::default());
    let mut all = Stages::new(sr, &busy);
    let warm = [noise(48_000, 1, 0.5), noise(48_000, 2, 0.5)];
    let used = render(
        &mut all,
        &warm,
        Split::Fixed(512),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    assert_ne!(used, warm);
    all.set(&StagesSettings::default());
    // Release of the slowest band (250 ms) plus the fades: 3 s of programme is plenty.
    let settle = [noise(144_000, 3, 0.5), noise(144_000, 4, 0.5)];
    render(
        &mut all,
        &settle,
        Split::Fixed(512),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    let input = [noise(10_000, 5, 0.5), noise(10_000, 6, 0.5)];
    let out = render(
        &mut all,
        &input,
        Split::Fixed(333),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    assert_eq!(out, input);
}

/// Renders `input` through all three stages while the macros move from `from` to `to` in
/// 10 ms (settings updated every `update_every` samples), starting 0.2 s in.
fn automate(
    from: MacroSettings,
    to: MacroSettings,
    input: &[Vec<f32>],
    update_every: usize,
) -> Vec<Vec<f32>> {
    let sr = 48_000.0;
    let start = (0.2 * sr) as usize;
    let ramp = (0.010 * sr) as usize;
    let base = StagesSettings::default();
    let mut all = Stages::new(sr, &from.apply(&base));
    let lerp = |t: f32| MacroSettings {
        tone: from.tone + (to.tone - from.tone) * t,
        dynamics_pct: from.dynamics_pct + (to.dynamics_pct - from.dynamics_pct) * t,
        width_pct: from.width_pct + (to.width_pct - from.width_pct) * t,
        bass_mono_on: if t > 0.0 {
            to.bass_mono_on
        } else {
            from.bass_mono_on
        },
        bass_mono_hz: from.bass_mono_hz + (to.bass_mono_hz - from.bass_mono_hz) * t,
        programme_lufs: from.programme_lufs,
        dynamics_bands: from.dynamics_bands,
    };
    let events: Vec<usize> = (0..=ramp)
        .step_by(update_every)
        .map(|k| start + k)
        .collect();
    render(
        &mut all,
        input,
        Split::Fixed(256),
        &events,
        |all, i| {
            let t = ((events[i] - start) as f32 / ramp as f32).min(1.0);
            all.set(&lerp(t).apply(&base));
        },
        |all, c| all.process(c),
    )
}

#[test]
fn automating_any_macro_end_to_end_in_10_ms_does_not_click() {
    let sr = 48_000.0;
    let len = (0.6 * sr) as usize;
    let s440 = sine(440.0, 0.251, sr, len); // -12 dBFS
    let mono_ish = vec![s440.clone(), s440.iter().map(|x| 0.5 * x).collect()];
    let s100 = sine(100.0, 0.251, sr, len);
    let bass = vec![s100.clone(), s100.iter().map(|x| -0.5 * x).collect()];
    let same = vec![s440.clone(), s440.clone()];
    let m = MacroSettings {
        programme_lufs: -13.0,
        ..Default::default()
    };
    let cases: Vec<(&str, MacroSettings, MacroSettings, &Vec<Vec<f32>>)> = vec![
        (
            "tone -100 -> +100",
            MacroSettings { tone: -100.0, ..m },
            MacroSettings { tone: 100.0, ..m },
            &same,
        ),
        (
            "tone +100 -> -100",
            MacroSettings { tone: 100.0, ..m },
            MacroSettings { tone: -100.0, ..m },
            &same,
        ),
        (
            "dynamics 0 -> 100",
            m,
            MacroSettings {
                dynamics_pct: 100.0,
                ..m
            },
            &same,
        ),
        (
            "dynamics 100 -> 0",
            MacroSettings {
                dynamics_pct: 100.0,
                ..m
            },
            m,
            &same,
        ),
        (
            "width 0 -> 200",
            MacroSettings {
                width_pct: 0.0,
                ..m
            },
            MacroSettings {
                width_pct: 200.0,
                ..m
            },
            &mono_ish,
        ),
        (
            "width 200 -> 0",
            MacroSettings {
                width_pct: 200.0,
                ..m
            },
            MacroSettings {
                width_pct: 0.0,
                ..m
            },
            &mono_ish,
        ),
        (
            "bass mono off -> on",
            m,
            MacroSettings {
                bass_mono_on: true,
                ..m
            },
            &bass,
        ),
        (
            "bass mono on -> off",
            MacroSettings {
                bass_mono_on: true,
                ..m
            },
            m,
            &bass,
        ),
        (
            "bass mono 40 -> 300 Hz",
            MacroSettings {
                bass_mono_on: true,
                bass_mono_hz: 40.0,
                ..m
            },
            MacroSettings {
                bass_mono_on: true,
                bass_mono_hz: 300.0,
                ..m
            },
            &bass,
        ),
        (
            "bass mono 300 -> 40 Hz at 440",
            MacroSettings {
                bass_mono_on: true,
                bass_mono_hz: 300.0,
                ..m
            },
            MacroSettings {
                bass_mono_on: true,
                bass_mono_hz: 40.0,
                ..m
            },
            &mono_ish,
        ),
    ];
    for (name, from, to, input) in cases {
        let reference = max_step(&input[0]).max(max_step(&input[1]));
        // Per-sample updates, a typical 64-sample automation grid, and a single jump.
        for update_every in [1, 64, 480] {
            let out = automate(from, to, input, update_every);
            assert_ne!(&out, input, "{name}: the stages must be doing something");
            for ch in &out {
                let step = max_step(&ch[960..]);
                assert!(
                    step <= 1.5 * reference,
                    "{name} (updates every {update_every}): step {step} vs sine {reference}"
                );
            }
        }
    }
}

/// Settings snapshots exercising every feature, for the block-size test.
fn snapshots() -> Vec<StagesSettings> {
    let base = StagesSettings::default();
    let mut a = MacroSettings {
        tone: 40.0,
        dynamics_pct: 70.0,
        width_pct: 140.0,
        bass_mono_on: true,
        bass_mono_hz: 100.0,
        programme_lufs: -16.0,
        ..Default::default()
    }
    .apply(&base.with_crossovers(150.0, 3000.0));
    a.eq.high_pass_on = true;
    a.eq.bells[1] = EqBand {
        freq_hz: 300.0,
        gain_db: -3.0,
        q: 2.0,
    };
    let mut b = MacroSettings {
        tone: -80.0,
        dynamics_pct: 30.0,
        width_pct: 60.0,
        bass_mono_on: true,
        bass_mono_hz: 200.0,
        programme_lufs: -16.0,
        ..Default::default()
    }
    .apply(&base.with_crossovers(200.0, 4000.0));
    b.eq.bells[3] = EqBand {
        freq_hz: 5000.0,
        gain_db: 4.0,
        q: 1.0,
    };
    b.multiband.bands[1].makeup_db = 2.0;
    let mut c = MacroSettings {
        tone: 100.0,
        dynamics_pct: 100.0,
        width_pct: 200.0,
        ..Default::default()
    }
    .apply(&base);
    c.eq.high_pass_on = true;
    c.eq.high_pass_db_per_oct = 48.0;
    vec![a, b, base, c]
}

#[test]
fn output_is_identical_for_any_block_split_with_settings_changing_mid_stream() {
    let sr = 48_000.0;
    let len = 72_000;
    let mut l = sine(55.0, 0.3, sr, len);
    let mut r = sine(330.0, 0.2, sr, len);
    for ((a, b), (n1, n2)) in l
        .iter_mut()
        .zip(r.iter_mut())
        .zip(noise(len, 8, 0.2).into_iter().zip(noise(len, 9, 0.2)))
    {
        *a += n1;
        *b += n2;
    }
    let input = [l, r];
    let snaps = snapshots();
    let events = [0, 20_011, 41_000, 52_345];
    let run = |split: Split| {
        let mut all = Stages::new(sr, &StagesSettings::default());
        render(
            &mut all,
            &input,
            split,
            &events,
            |all, i| all.set(&snaps[i]),
            |all, c| all.process(c),
        )
    };
    let reference = run(Split::Fixed(4096));
    assert_ne!(reference.as_slice(), input.as_slice());
    for split in [
        Split::Fixed(1),
        Split::Fixed(7),
        Split::Fixed(64),
        Split::Fixed(512),
        Split::Random(1),
        Split::Random(77),
    ] {
        assert!(
            run(split) == reference,
            "{split:?} differs from 4096-sample blocks"
        );
    }
}

#[test]
fn processing_never_allocates() {
    let sr = 48_000.0;
    let snaps = snapshots();
    let mut all = Stages::new(sr, &snaps[0]);
    let mut l = noise(20_000, 31, 0.5);
    let mut r = noise(20_000, 32, 0.5);
    let mut mono = noise(20_000, 33, 0.5);
    let allocations = count_allocations(|| {
        for (i, block) in [1usize, 7, 64, 512, 4096, 10_000].into_iter().enumerate() {
            all.set(&snaps[i % snaps.len()]);
            let mut start = 0;
            while start + block <= l.len() {
                all.process(&mut [&mut l[start..start + block], &mut r[start..start + block]]);
                all.process(&mut [&mut mono[start..start + block]]);
                start += block;
            }
            let _ = all.multiband.take_peak_gain_reduction_db();
            let _ = all.multiband.gain_reduction_db();
        }
        all.eq.reset();
        all.multiband.reset();
        all.stereo.reset();
    });
    assert_eq!(allocations, 0);
    // The counter does count: a Vec allocates.
    assert!(count_allocations(|| drop(std::hint::black_box(vec![1u8; 16]))) > 0);
}
