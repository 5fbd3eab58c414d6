//! Properties of the whole mastering chain (the code the plugin and the CLI both run):
//! latency is exactly what it reports, output does not depend on block size, the bypass lines
//! up with the processed path.

use lacquer_core::chain::{ChainSettings, MasteringChain};
use lacquer_core::dsp::macros::MacroSettings;
use lacquer_test_support::signals::{music_like, noise};

const RATES_HZ: [f32; 6] = [44_100.0, 48_000.0, 88_200.0, 96_000.0, 176_400.0, 192_000.0];

fn render(chain: &mut MasteringChain, input: &[Vec<f32>], splits: &[usize]) -> Vec<Vec<f32>> {
    let mut out = input.to_vec();
    let len = out[0].len();
    let mut start = 0;
    let mut i = 0;
    while start < len {
        let n = splits[i % splits.len()].max(1);
        let end = (start + n).min(len);
        let (l, r) = out.split_at_mut(1);
        chain.process(&mut [&mut l[0][start..end], &mut r[0][start..end]]);
        start = end;
        i += 1;
    }
    out
}

fn impulse_position(chain: &mut MasteringChain, sample_rate_hz: f32) -> Option<usize> {
    let len = (sample_rate_hz * 0.1) as usize;
    let mut l = vec![0.0f32; len];
    l[0] = 0.5; // -6 dBFS: below the -1 dBTP ceiling, so the limiter must leave it alone
    let input = vec![l.clone(), l];
    let out = render(chain, &input, &[512]);
    let peak = out[0].iter().fold(0.0f32, |m, s| m.max(s.abs()));
    out[0].iter().position(|s| s.abs() == peak && peak > 0.25)
}

#[test]
fn impulse_arrives_at_the_reported_latency_at_every_rate() {
    for sample_rate_hz in RATES_HZ {
        for lookahead_ms in [2.0f32, 0.5, 10.0] {
            let mut chain = MasteringChain::new();
            chain.configure(sample_rate_hz, 2, 512);
            chain.set_settings_immediately(&ChainSettings {
                lookahead_ms,
                ..Default::default()
            });
            let reported = chain.latency_samples() as usize;
            let found = impulse_position(&mut chain, sample_rate_hz);
            assert_eq!(
                found,
                Some(reported),
                "{sample_rate_hz} Hz, lookahead {lookahead_ms} ms"
            );
        }
    }
}

#[test]
fn latency_follows_a_lookahead_change() {
    let mut chain = MasteringChain::new();
    chain.configure(48_000.0, 2, 512);
    chain.set_settings_immediately(&ChainSettings::default());
    let before = chain.latency_samples();
    chain.set_settings(&ChainSettings {
        lookahead_ms: 5.0,
        ..Default::default()
    });
    chain.reset();
    let after = chain.latency_samples() as usize;
    assert!(
        after as u32 >= before,
        "longer lookahead cannot shorten latency"
    );
    assert_eq!(impulse_position(&mut chain, 48_000.0), Some(after));
}

#[test]
fn output_is_identical_for_any_block_size() {
    let sample_rate_hz = 48_000.0;
    let n = 48_000;
    // Loud noise driven hard: exercises gain ramps, bypass fades and the limiter.
    let input = [noise(n, 1), noise(n, 2)];
    let mut settings = ChainSettings {
        drive_db: 9.0,
        output_db: -2.0,
        macros: MacroSettings {
            tone: 35.0,
            dynamics_pct: 60.0,
            width_pct: 140.0,
            bass_mono_on: true,
            bass_mono_hz: 90.0,
            ..Default::default()
        },
        ..Default::default()
    };
    settings.stages.eq.bells[1].gain_db = -3.0;
    settings.stages.eq.high_pass_on = true;
    let run = |splits: &[usize]| {
        let mut chain = MasteringChain::new();
        chain.configure(sample_rate_hz, 2, 4096);
        chain.set_settings_immediately(&ChainSettings::default());
        // Settings change after the first render starts, as automation would.
        let mut out = render(
            &mut chain,
            &[input[0][..1000].to_vec(), input[1][..1000].to_vec()],
            splits,
        );
        chain.set_settings(&settings);
        let rest = render(
            &mut chain,
            &[input[0][1000..].to_vec(), input[1][1000..].to_vec()],
            splits,
        );
        out[0].extend_from_slice(&rest[0]);
        out[1].extend_from_slice(&rest[1]);
        out
    };
    let reference = run(&[512]);
    let random_splits: Vec<usize> = noise(64, 7)
        .iter()
        .map(|x| ((x.abs() * 700.0) as usize).max(1))
        .collect();
    for splits in [vec![1], vec![7], vec![64], vec![4096], random_splits] {
        let out = run(&splits);
        for ch in 0..2 {
            let max_diff = out[ch]
                .iter()
                .zip(&reference[ch])
                .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(
                max_diff <= 1e-6,
                "splits {:?}: max diff {max_diff}",
                &splits[..1]
            );
        }
    }
}

#[test]
fn bypass_is_the_input_delayed_by_the_latency() {
    let sample_rate_hz = 44_100.0;
    let mut chain = MasteringChain::new();
    chain.configure(sample_rate_hz, 2, 256);
    chain.set_settings_immediately(&ChainSettings {
        drive_db: 18.0,
        bypass: true,
        // Bit-exact only without Match Loudness (tests/master_bus.rs covers it on).
        match_loudness: false,
        ..Default::default()
    });
    let input = vec![noise(20_000, 3), noise(20_000, 4)];
    let out = render(&mut chain, &input, &[256]);
    let latency = chain.latency_samples() as usize;
    for ch in 0..2 {
        assert!(out[ch][..latency].iter().all(|&s| s == 0.0));
        assert_eq!(&out[ch][latency..], &input[ch][..20_000 - latency]);
    }
}

#[test]
fn default_chain_is_transparent_below_the_ceiling() {
    for sample_rate_hz in [44_100.0f32, 48_000.0, 96_000.0] {
        let input = music_like(sample_rate_hz, 3.0, 0.1); // -20 dBFS peak
        let mut chain = MasteringChain::new();
        chain.configure(sample_rate_hz, 2, 512);
        chain.set_settings_immediately(&ChainSettings::default());
        let out = render(&mut chain, &input, &[512]);
        let d = chain.latency_samples() as usize;
        let worst = (0..2)
            .flat_map(|ch| {
                out[ch][d..]
                    .iter()
                    .zip(&input[ch])
                    .map(|(o, i)| (o - i).abs())
                    .collect::<Vec<_>>()
            })
            .fold(0.0f32, f32::max);
        // -100 dBFS = 1e-5.
        assert!(worst < 1e-5, "{sample_rate_hz} Hz: residual {worst}");
        // And it really is the signal, not silence.
        assert!(out[0][d..].iter().any(|s| s.abs() > 0.05));
    }
}

/// The resonance stage in the chain: its frame adds to the latency while it is in, the
/// host's bypass gives back the input delayed by the whole latency, and the output does not
/// depend on the block size.
#[test]
fn resonance_stage_adds_its_frame_to_the_latency_and_keeps_block_size_invariance() {
    use lacquer_core::dsp::resonance::frame_len;
    let rate = 48_000.0;
    let settings = |bypass: bool| {
        let mut s = ChainSettings {
            drive_db: 6.0,
            bypass,
            match_loudness: false,
            ..Default::default()
        };
        s.resonance.amount_pct = 80.0;
        s
    };
    let mut off = MasteringChain::new();
    off.configure(rate, 2, 512);
    let mut on = MasteringChain::new();
    on.configure(rate, 2, 512);
    on.set_settings_immediately(&settings(false));
    assert_eq!(
        on.latency_samples(),
        off.latency_samples() + frame_len(rate, false) as u32
    );
    let input: Vec<Vec<f32>> = (0..2)
        .map(|c| {
            (0..48_000)
                .map(|i| {
                    0.3 * ((i as f32 * (0.031 + 0.01 * c as f32)).sin()
                        + 0.5 * (i as f32 * 0.27).sin())
                })
                .collect()
        })
        .collect();
    let render = |block: usize, s: &ChainSettings| {
        let mut chain = MasteringChain::new();
        chain.configure(rate, 2, block);
        chain.set_settings_immediately(s);
        let mut bufs = input.clone();
        chain.process_buffers(&mut bufs);
        (bufs, chain.latency_samples() as usize)
    };
    let (big, _) = render(4096, &settings(false));
    for block in [1, 64, 511] {
        assert_eq!(render(block, &settings(false)).0, big, "block {block}");
    }
    let (bypassed, delay) = render(512, &settings(true));
    for (out, inp) in bypassed.iter().zip(&input) {
        assert_eq!(&out[delay..], &inp[..inp.len() - delay]);
    }
}
