//! Silence before the music does not change the master: a host runs silence through the
//! plugin before the music (Ardour 7's export pre-roll, the engine running since the plugin was
//! activated) and sets the parameters after activating it, while the CLI renders the file
//! from a fresh chain already at its settings. Both must give the same samples (the rule:
//! offline and real time agree bit for bit). Before the fix the limiter's bass tracker, which
//! runs on every 8th sample counted from its reset, saw the music on another grid after 1 to
//! 7 (mod 8) samples of silence: Ardour's export, 1 sample more than a multiple of 8, differed
//! from `lacquer master` by up to 0.0165 from sample 281 on (Drive +6, Ceiling -2).

use lacquer_core::chain::{ChainSettings, MasteringChain};
use lacquer_core::render::render;
use lacquer_test_support::signals::music_like;

const RATE_HZ: u32 = 48_000;

/// Drive +6 dB into a -2 dBTP ceiling on kick and bass: the limiter works, bass hold included.
fn limiting() -> ChainSettings {
    ChainSettings {
        drive_db: 6.0,
        ceiling_dbtp: -2.0,
        ..ChainSettings::default()
    }
}

fn input() -> Vec<Vec<f32>> {
    music_like(RATE_HZ as f32, 1.5, 10f32.powf(-3.0 / 20.0))
}

/// The first sample where two renders differ, with the difference.
fn first_difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> Option<(usize, f32)> {
    let mut first: Option<(usize, f32)> = None;
    for (ca, cb) in a.iter().zip(b) {
        assert_eq!(ca.len(), cb.len());
        if let Some(i) = ca
            .iter()
            .zip(cb)
            .position(|(x, y)| x.to_bits() != y.to_bits())
            && first.is_none_or(|(f, _)| i < f)
        {
            first = Some((i, ca[i] - cb[i]));
        }
    }
    first
}

/// What a host does: a chain activated at `initial` settings, `silence` samples of silence
/// (in host blocks of 1024, the last one partial), then `settings` and the music with its
/// latency flushed out; returns the output aligned with the music.
fn host_render(
    input: &[Vec<f32>],
    initial: &ChainSettings,
    settings: &ChainSettings,
    silence: usize,
) -> Vec<Vec<f32>> {
    const BLOCK: usize = 1024;
    let mut chain = MasteringChain::new();
    chain.configure(RATE_HZ as f32, 2, BLOCK);
    chain.set_settings_immediately(initial);
    let mut stream: Vec<Vec<f32>> = vec![vec![0.0; silence]; 2];
    let mut start = 0;
    while start < silence {
        let end = (start + BLOCK).min(silence);
        let (l, r) = stream.split_at_mut(1);
        chain.process(&mut [&mut l[0][start..end], &mut r[0][start..end]]);
        start = end;
    }
    chain.set_settings(settings);
    let latency = chain.latency_samples() as usize;
    let mut music: Vec<Vec<f32>> = input.to_vec();
    for ch in &mut music {
        ch.resize(ch.len() + latency, 0.0);
    }
    let len = music[0].len();
    let mut start = 0;
    while start < len {
        let end = (start + BLOCK).min(len);
        let (l, r) = music.split_at_mut(1);
        chain.process(&mut [&mut l[0][start..end], &mut r[0][start..end]]);
        start = end;
    }
    music.iter().map(|ch| ch[latency..].to_vec()).collect()
}

#[test]
fn leading_silence_of_any_length_leaves_the_render_unchanged() {
    let input = input();
    let settings = limiting();
    let reference = render(input.clone(), RATE_HZ, &settings);
    assert!(
        reference.gain_reduction.max_db > 2.0,
        "the test needs the limiter at work"
    );
    for silence in [1, 2, 3, 4, 5, 7, 9, 151, 1023, 1897, 48_001] {
        let mut padded = input.clone();
        for ch in &mut padded {
            ch.splice(0..0, std::iter::repeat_n(0.0, silence));
        }
        let rendered = render(padded, RATE_HZ, &settings);
        let aligned: Vec<Vec<f32>> = rendered
            .channels
            .iter()
            .map(|ch| ch[silence..].to_vec())
            .collect();
        assert!(
            rendered
                .channels
                .iter()
                .all(|ch| ch[..silence].iter().all(|&s| s == 0.0)),
            "{silence} samples of silence: the output must be silent there"
        );
        assert_eq!(
            first_difference(&aligned, &reference.channels),
            None,
            "{silence} samples of silence before the music changed the render (first \
             difference: sample, output - reference)"
        );
    }
}

#[test]
fn host_silence_and_late_parameters_give_the_cli_render() {
    let input = input();
    let settings = limiting();
    let cli = render(input.clone(), RATE_HZ, &settings).channels;
    // Activated with the restored settings, then silence: Ardour's export.
    for silence in [0, 1, 1897, 3 * 1024 - 151] {
        let out = host_render(&input, &settings, &settings, silence);
        assert_eq!(
            first_difference(&out, &cli),
            None,
            "activated at the settings, {silence} samples of silence, then the music"
        );
    }
    // Activated at the defaults, the settings arriving before any sound (a host restoring
    // the state after activation): no ramp from Drive 0 dB into the music.
    for silence in [0, 512, 1025] {
        let out = host_render(&input, &ChainSettings::default(), &settings, silence);
        assert_eq!(
            first_difference(&out, &cli),
            None,
            "activated at the defaults, {silence} samples of silence, the settings, the music"
        );
    }
}

#[test]
fn silent_input_gives_silent_output_and_sound_after_it_still_ramps() {
    let mut chain = MasteringChain::new();
    chain.configure(RATE_HZ as f32, 2, 512);
    let mut silence = vec![vec![-0.0f32; 700], vec![f32::NAN; 700]];
    chain.process_buffers(&mut silence);
    assert!(silence.iter().flatten().all(|s| s.to_bits() == 0));
    // Once sound has gone through, a change ramps again (no jump, no click).
    let mut tone = vec![vec![0.25f32; 4800]; 2];
    chain.process_buffers(&mut tone);
    chain.set_settings(&ChainSettings {
        output_db: -12.0,
        ..ChainSettings::default()
    });
    let mut tone = vec![vec![0.25f32; 4800]; 2];
    chain.process_buffers(&mut tone);
    let latency = chain.latency_samples() as usize;
    let step = tone[0]
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0f32, f32::max);
    assert!(
        step < 0.01,
        "the output trim must ramp after sound has passed, largest step {step}"
    );
    assert!((tone[0][latency + 3000] - 0.25 * 10f32.powf(-12.0 / 20.0)).abs() < 1e-5);
}
