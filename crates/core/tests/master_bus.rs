//! Issue #7 on the chain the plugin and the CLI share: the host bypass (the delayed input,
//! exactly), Compare with Match Loudness (matched, and never over the ceiling), click-free
//! toggling, every sample rate and block pattern a host may use, `reset` and reactivation.
//! The same properties are checked through real hosts in crates/plugin/tests/clap_master_bus.rs
//! and crates/plugin/tests/vst3/.

use ebur128::{EbuR128, Mode};
use lacquer_core::chain::{ChainSettings, MasteringChain};
use lacquer_test_support::signals::{music_like, noise};

fn sine(freq_hz: f32, amplitude: f32, sample_rate_hz: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| amplitude * (std::f32::consts::TAU * freq_hz * i as f32 / sample_rate_hz).sin())
        .collect()
}

/// Processes `input` in consecutive blocks of the given sizes (cycled), applying each
/// `(at_sample, settings)` change at the start of the block containing it.
fn render(
    chain: &mut MasteringChain,
    input: &[Vec<f32>],
    blocks: &[usize],
    changes: &[(usize, ChainSettings)],
) -> Vec<Vec<f32>> {
    let mut out = input.to_vec();
    let len = out[0].len();
    let (mut start, mut i, mut next_change) = (0, 0, 0);
    while start < len {
        let mut end = (start + blocks[i % blocks.len()].max(1)).min(len);
        // Split the block at a change, as sample-accurate automation does.
        if let Some((at, _)) = changes.get(next_change)
            && *at > start
            && *at < end
        {
            end = *at;
        }
        if let Some((at, settings)) = changes.get(next_change)
            && *at <= start
        {
            chain.set_settings(settings);
            next_change += 1;
        }
        let mut chans: Vec<&mut [f32]> = out.iter_mut().map(|c| &mut c[start..end]).collect();
        chain.process(&mut chans);
        start = end;
        i += 1;
    }
    out
}

fn fresh(
    sample_rate_hz: f32,
    num_channels: usize,
    max_block: usize,
    s: &ChainSettings,
) -> MasteringChain {
    let mut chain = MasteringChain::new();
    chain.configure(sample_rate_hz, num_channels, max_block);
    chain.set_settings_immediately(s);
    chain
}

/// Short-term loudness (3 s, BS.1770 via the ebur128 crate) every 100 ms, from `from_s` on.
fn short_term_lufs(audio: &[Vec<f32>], sample_rate_hz: u32, from_s: f32) -> Vec<f64> {
    let mut meter = EbuR128::new(audio.len() as u32, sample_rate_hz, Mode::S).unwrap();
    let hop = sample_rate_hz as usize / 10;
    let mut values = Vec::new();
    let mut start = 0;
    while start + hop <= audio[0].len() {
        let chans: Vec<&[f32]> = audio.iter().map(|c| &c[start..start + hop]).collect();
        meter.add_frames_planar_f32(&chans).unwrap();
        start += hop;
        if start as f32 / sample_rate_hz as f32 >= from_s {
            values.push(meter.loudness_shortterm().unwrap());
        }
    }
    values
}

fn max_step(x: &[f32]) -> f32 {
    x.windows(2).fold(0.0, |m, w| m.max((w[1] - w[0]).abs()))
}

#[test]
fn compare_with_match_loudness_is_the_delayed_input_times_one_smooth_gain() {
    let fs = 48_000.0;
    let input = music_like(fs, 5.0, 0.3);
    let settings = ChainSettings {
        drive_db: 6.0,
        compare: true,
        ..Default::default()
    };
    assert!(settings.match_loudness, "Match Loudness is on by default");
    let mut chain = fresh(fs, 2, 512, &settings);
    let out = render(&mut chain, &input, &[512], &[]);
    let d = chain.latency_samples() as usize;
    let mut gains = Vec::new();
    for i in d..input[0].len() {
        let (x, y) = (input[0][i - d], out[0][i]);
        if x.abs() > 1e-3 && input[1][i - d].abs() > 1e-3 {
            let g = y / x;
            // The same gain on both channels: the dry signal is only scaled, never altered.
            let g_right = out[1][i] / input[1][i - d];
            assert!(
                (g - g_right).abs() < 1e-4 * g.abs(),
                "sample {i}: {g} vs {g_right}"
            );
            gains.push(g);
        }
    }
    let last_db = 20.0 * gains.last().unwrap().log10();
    let (dry, processed) = chain.short_term_lufs();
    let expected = processed.unwrap() - dry.unwrap();
    assert!(
        expected > 3.0,
        "6 dB of drive must make it louder: {expected}"
    );
    assert!(
        (last_db - expected).abs() < 0.1,
        "{last_db} dB vs {expected} dB"
    );
    // A -10 dBFS mix matched by under 6 dB stays under the ceiling: not capped.
    assert_eq!(chain.compare_shortfall_db(), 0.0);
    assert!((chain.compare_gain_db() - last_db).abs() < 0.01);
    // Smooth: consecutive gains never jump.
    let worst = gains
        .windows(2)
        .fold(0.0f32, |m, w| m.max((w[1] / w[0]).log10().abs() * 20.0));
    assert!(worst < 0.01, "gain jumps by {worst} dB");
}

/// (a) The host bypass is a true bypass: once its 20 ms fade is over, the output is the input
/// delayed by the latency, bit for bit, with Match Loudness on or off and whether Compare was
/// on or not.
#[test]
fn host_bypass_is_the_delayed_input_exactly_whatever_match_loudness_and_compare_say() {
    let fs = 48_000.0;
    let input = music_like(fs, 6.0, 0.9);
    for match_loudness in [true, false] {
        for compare in [false, true] {
            let s = ChainSettings {
                drive_db: 6.0,
                match_loudness,
                compare,
                ..Default::default()
            };
            let bypass_at = (3.5 * fs) as usize + 77;
            let mut chain = fresh(fs, 2, 512, &s);
            let out = render(
                &mut chain,
                &input,
                &[512, 300, 1],
                &[(bypass_at, ChainSettings { bypass: true, ..s })],
            );
            let d = chain.latency_samples() as usize;
            let faded = bypass_at + (0.020 * fs) as usize;
            for (o, x) in out.iter().zip(&input) {
                assert!(
                    o[faded..] == x[faded - d..x.len() - d],
                    "match {match_loudness}, compare {compare}: bypassed output is not the \
                     delayed input"
                );
            }
            assert!(chain.match_gain_db().abs() > 1.0 || !match_loudness);
        }
    }
}

/// (b) Compare plays the dry mix within 0.5 LU of the processed one (music, 6 dB of drive).
#[test]
fn compare_keeps_the_output_within_half_a_lu_of_the_processed() {
    let fs = 48_000.0;
    let input = music_like(fs, 14.0, 0.3);
    let on = ChainSettings {
        drive_db: 6.0,
        ..Default::default()
    };
    let processed = render(&mut fresh(fs, 2, 512, &on), &input, &[512], &[]);
    let compare_at = (5.0 * fs) as usize;
    let comparing = ChainSettings {
        compare: true,
        ..on
    };
    let toggled = render(
        &mut fresh(fs, 2, 512, &on),
        &input,
        &[512],
        &[(compare_at, comparing)],
    );
    // From 3 s after the switch, the short-term window holds only the compared audio.
    let a = short_term_lufs(&processed, fs as u32, 8.0);
    let b = short_term_lufs(&toggled, fs as u32, 8.0);
    let worst = a
        .iter()
        .zip(&b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(
        worst <= 0.5,
        "compared vs processed short-term: {worst} LU apart"
    );
    // Without the match the gap is the drive's effect: the test can tell the difference.
    let unmatched = render(
        &mut fresh(fs, 2, 512, &on),
        &input,
        &[512],
        &[(
            compare_at,
            ChainSettings {
                match_loudness: false,
                ..comparing
            },
        )],
    );
    let c = short_term_lufs(&unmatched, fs as u32, 8.0);
    let gap = a
        .iter()
        .zip(&c)
        .fold(f64::MAX, |m, (x, y)| m.min((x - y).abs()));
    assert!(gap > 3.0, "unmatched compare only {gap} LU quieter");
    // The host bypass is never matched, Match Loudness on: the input's own loudness (the
    // unmatched comparison glides there from the matched gain, so it gets a 2 s head start).
    let bypassed = render(
        &mut fresh(fs, 2, 512, &on),
        &input,
        &[512],
        &[(compare_at, ChainSettings { bypass: true, ..on })],
    );
    let e = short_term_lufs(&bypassed, fs as u32, 10.0);
    let c_late = short_term_lufs(&unmatched, fs as u32, 10.0);
    let worst = e
        .iter()
        .zip(&c_late)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    assert!(worst < 0.01, "the host bypass is levelled: {worst} LU");
}

/// (c) Compare never puts the output over the ceiling, however much gain the match would need:
/// a dry mix far quieter than the master (the match wants +24 dB) and one peaking near 0 dBFS.
/// Measured with the independent 16x reference meter, through the switch's crossfade too (it
/// measured about 0.1 dB under when settled, the cap's margin, and 0.06 dB under with the fade).
#[test]
fn compare_never_passes_the_ceiling() {
    use lacquer_test_support::reference::{ReferenceMeter, music_like as dense_music};
    let meter = ReferenceMeter::new();
    let ceiling = -1.0;
    let dense = |fs: f32, gain: f32| {
        let [l, r] = dense_music(f64::from(fs), 10.0, 7);
        vec![
            l.iter().map(|s| s * gain).collect::<Vec<f32>>(),
            r.iter().map(|s| s * gain).collect(),
        ]
    };
    let cases = [
        ("quiet mix", 48_000.0, 2.0, dense(48_000.0, 0.1), 24.0),
        (
            "hot mix",
            48_000.0,
            2.0,
            music_like(48_000.0, 10.0, 0.99),
            6.0,
        ),
        // The shortest lookahead at 44.1 kHz: the least warning of a peak.
        (
            "hot dense mix, 0.5 ms",
            44_100.0,
            0.5,
            dense(44_100.0, 1.0),
            3.0,
        ),
    ];
    for (name, fs, lookahead_ms, input, drive_db) in &cases {
        let (fs, input) = (*fs, input);
        for blocks in [vec![512], vec![3, 1000, 1, 64, 77]] {
            let s = ChainSettings {
                drive_db: *drive_db,
                ceiling_dbtp: ceiling,
                lookahead_ms: *lookahead_ms,
                ..Default::default()
            };
            let compare_at = (4.0 * fs) as usize + 13;
            let mut chain = fresh(fs, 2, 1000, &s);
            let out = render(
                &mut chain,
                input,
                &blocks,
                &[(compare_at, ChainSettings { compare: true, ..s })],
            );
            let settled = compare_at + (0.020 * fs) as usize;
            let over_settled = out
                .iter()
                .map(|c| meter.true_peak_db(&c[settled..]) - f64::from(ceiling))
                .fold(f64::MIN, f64::max);
            let over_all = out
                .iter()
                .map(|c| meter.true_peak_db(&c[compare_at..]) - f64::from(ceiling))
                .fold(f64::MIN, f64::max);
            assert!(
                over_settled <= 0.0 && over_all <= 0.0,
                "{name}, blocks {blocks:?}: compared output {over_settled:+.3} dB over the \
                 ceiling ({over_all:+.3} dB with the fade)"
            );
            // The match alone would have gone over: Compare plays lower and says so.
            let shortfall = chain.compare_shortfall_db();
            assert!(shortfall > 0.5, "{name}: not capped ({shortfall} dB)");
            assert!(
                (chain.match_gain_db() - chain.compare_gain_db() - shortfall).abs() < 0.01,
                "{name}: the shortfall is the matched less the applied gain"
            );
            // And it is not silent: the cap lowers only as far as it must.
            let dry_peak = input
                .iter()
                .map(|c| meter.true_peak_db(c))
                .fold(f64::MIN, f64::max);
            let applied_peak = dry_peak + f64::from(chain.compare_gain_db());
            assert!(
                applied_peak > f64::from(ceiling) - 1.0,
                "{name}: capped to {applied_peak:.2} dBTP, far under the ceiling"
            );
        }
    }
}

#[test]
fn toggling_bypass_or_compare_on_a_steady_sine_never_clicks() {
    let fs = 48_000.0;
    let n = (4.0 * fs) as usize;
    for (drive_db, match_loudness) in [(0.0, true), (6.0, true), (6.0, false), (0.0, false)] {
        for freq_hz in [60.0, 1000.0] {
            let x = sine(freq_hz, 0.1, fs, n);
            let input = vec![x.clone(), x.clone()];
            let s = ChainSettings {
                drive_db,
                match_loudness,
                ..Default::default()
            };
            let steady = render(&mut fresh(fs, 2, 512, &s), &input, &[512], &[]);
            for (name, by) in [
                ("bypass", ChainSettings { bypass: true, ..s }),
                ("compare", ChainSettings { compare: true, ..s }),
            ] {
                // On after 3.3 s (the match has settled), off again 0.31 s later, mid-block.
                let changes = [((3.3 * fs) as usize, by), ((3.61 * fs) as usize, s)];
                let out = render(&mut fresh(fs, 2, 512, &s), &input, &[512], &changes);
                let d = 2000;
                let allowed = 1.5 * max_step(&steady[0][d..]).max(max_step(&x));
                let got = max_step(&out[0][d..]);
                assert!(
                    got <= allowed,
                    "{name}, {freq_hz} Hz, drive {drive_db} dB, match {match_loudness}: step \
                     {got} > {allowed}"
                );
            }
        }
    }
}

/// Loud music (limiter working hard) through the chain with every stage active.
fn busy_settings() -> ChainSettings {
    let mut s = ChainSettings {
        drive_db: 12.0,
        ceiling_dbtp: -1.0,
        ..Default::default()
    };
    s.macros.tone = 30.0;
    s.macros.dynamics_pct = 50.0;
    s.macros.width_pct = 130.0;
    s.macros.bass_mono_on = true;
    s.macros.bass_mono_hz = 100.0;
    s
}

#[test]
fn every_rate_and_block_pattern_gives_the_512_sample_render() {
    let rates = [
        22_050.0f32,
        44_100.0,
        48_000.0,
        88_200.0,
        96_000.0,
        176_400.0,
        192_000.0,
        352_800.0,
        384_000.0,
    ];
    let ceiling = 10f32.powf(-1.0 / 20.0);
    for fs in rates {
        let stereo = music_like(fs, 0.6, 0.9);
        for num_channels in [1usize, 2] {
            let input: Vec<Vec<f32>> = stereo[..num_channels].to_vec();
            let s = busy_settings();
            let reference = render(&mut fresh(fs, num_channels, 512, &s), &input, &[512], &[]);
            let random: Vec<usize> = noise(97, fs as u32)
                .iter()
                .map(|x| ((x.abs() * 16384.0) as usize).clamp(1, 16384))
                .collect();
            for blocks in [vec![1], vec![16384], vec![3, 1000, 1, 16384, 77], random] {
                let max_block = *blocks.iter().max().unwrap();
                let out = render(
                    &mut fresh(fs, num_channels, max_block, &s),
                    &input,
                    &blocks,
                    &[],
                );
                for (ch, (o, r)) in out.iter().zip(&reference).enumerate() {
                    assert!(o.iter().all(|v| v.is_finite()), "{fs} Hz: not finite");
                    let peak = o.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                    assert!(
                        peak <= ceiling,
                        "{fs} Hz ch {ch}: peak {peak} over the ceiling"
                    );
                    let diff = o
                        .iter()
                        .zip(r)
                        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
                    assert!(
                        diff <= 1e-6,
                        "{fs} Hz, {num_channels} ch, blocks {:?}: differs from the 512 render by {diff}",
                        &blocks[..blocks.len().min(3)]
                    );
                }
            }
        }
    }
}

#[test]
fn reset_and_reactivation_forget_everything() {
    let s = busy_settings();
    let loud = music_like(48_000.0, 1.0, 1.0);
    let probe = music_like(96_000.0, 0.5, 0.5);
    // Reactivation at a new rate: same instance, configured again.
    let mut chain = fresh(48_000.0, 2, 512, &s);
    render(&mut chain, &loud, &[512], &[]);
    chain.configure(96_000.0, 2, 512);
    chain.set_settings_immediately(&s);
    let again = render(&mut chain, &probe, &[512], &[]);
    let new = render(&mut fresh(96_000.0, 2, 512, &s), &probe, &[512], &[]);
    assert!(
        again == new,
        "reactivated at 96 kHz differs from a fresh instance"
    );
    // reset(): the audio state goes, the settings stay.
    render(&mut chain, &probe, &[512], &[]);
    chain.reset();
    let after_reset = render(&mut chain, &probe, &[512], &[]);
    assert!(after_reset == new, "reset left audio state behind");
}
