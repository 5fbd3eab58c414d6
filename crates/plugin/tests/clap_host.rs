//! The built `.clap` loaded by a real CLAP host (clack-host), as a DAW would load it.
//!
//! These tests need the bundles, so they are ignored by a plain `cargo test`; `cargo xtask test`
//! builds the bundles and runs them with `cargo test -p lacquer --test clap_host -- --ignored`,
//! pointing `LACQUER_CLAP` at the release bundle and `LACQUER_CLAP_ALLOC_CHECK` at the debug
//! bundle built with `assert_process_allocs` (which aborts the process if the plugin allocates
//! in `process`).

#[path = "clap_host/host.rs"]
mod host;
#[path = "clap_host/signal.rs"]
mod signal;

use clack_extensions::params::ParamInfoFlags;
use host::{Automation, Instance, PLUGIN_ID, Render, descriptors, load_entry};
use lacquer::chain::MasteringChain;
use signal::{SplitMix64, db_to_gain, max_deviation, random_blocks, rms_dbfs, sine};
use std::path::PathBuf;

/// Test tone: 997 Hz (not a submultiple of any test rate, so blocks never line up with periods).
const TONE_HZ: f64 = 997.0;
/// Input level, dBFS RMS: far below the -1 dBTP ceiling even with +6 dB of drive.
const INPUT_RMS_DBFS: f64 = -30.0;
/// Largest block the test host sends.
const MAX_BLOCK: usize = 1024;
/// Time skipped before measuring, s: the 20 ms parameter ramps plus a wide margin.
const SETTLE_S: f64 = 0.1;

/// Path of a bundle from an environment variable, else from `target/` for local runs.
fn bundle_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../..")
                .join(default)
        },
        PathBuf::from,
    )
}

fn release_bundle() -> PathBuf {
    bundle_path("LACQUER_CLAP", "target/bundled/Lacquer.clap")
}

fn alloc_check_bundle() -> PathBuf {
    bundle_path(
        "LACQUER_CLAP_ALLOC_CHECK",
        "target/alloc-check/Lacquer.clap",
    )
}

/// The latency the DSP chain itself has at this rate: what the plugin must report to the host.
fn chain_latency(sample_rate_hz: f64, num_channels: usize) -> u32 {
    let mut chain = MasteringChain::new();
    chain.configure(sample_rate_hz as f32, num_channels, MAX_BLOCK);
    chain.latency_samples()
}

/// Sets a parameter from display text (`"6"` for +6 dB) at `at_sample`, as host automation.
fn automate(plugin: &mut Instance, name: &str, text: &str, at_sample: usize) -> Automation {
    Automation {
        at_sample,
        id: plugin.param(name).id,
        value: plugin.parse(name, text),
    }
}

/// Checks a render of the test sine with drive and output applied: every sample finite, and
/// from input sample `from_sample` on, the output is the input times `expected_gain_db` delayed by
/// the latency the plugin reported (by RMS, and sample by sample, which also proves the reported
/// latency is the real one).
fn check_gain(render: &Render, input: &[Vec<f32>], from_sample: usize, expected_gain_db: f64) {
    let latency = render.latency_samples as usize;
    for (ch, (out, inp)) in render.output.iter().zip(input).enumerate() {
        assert!(
            out.iter().all(|s| s.is_finite()),
            "channel {ch}: non-finite output"
        );
        let out_range = from_sample + latency..out.len();
        let in_range = from_sample..out.len() - latency;
        let gain_db = rms_dbfs(&out[out_range.clone()]) - rms_dbfs(&inp[in_range]);
        assert!(
            (gain_db - expected_gain_db).abs() < 0.01,
            "channel {ch}: gain {gain_db:.4} dB, expected {expected_gain_db} dB"
        );
        let peak = f64::from(inp.iter().fold(0f32, |m, s| m.max(s.abs())));
        let gain = db_to_gain(expected_gain_db);
        let deviation = max_deviation(out, inp, gain, latency, out_range);
        assert!(
            deviation < 1e-4 * peak,
            "channel {ch}: output differs from the input x {gain:.5} delayed by {latency} samples \
             by up to {deviation:e} (input peak {peak:e})"
        );
    }
}

/// Input samples skipped before measuring at this rate.
fn settle_samples(sample_rate_hz: f64) -> usize {
    (SETTLE_S * sample_rate_hz) as usize
}

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn descriptor_and_parameters() {
    let entry = load_entry(&release_bundle());
    let plugins = descriptors(&entry);
    assert_eq!(
        plugins,
        vec![(PLUGIN_ID.to_string(), "Lacquer".to_string())],
        "descriptor"
    );
    let mut plugin = Instance::new(&entry);
    for p in &plugin.params {
        println!(
            "param {:>10} id {:>10} range {}..{} default {} flags {:?}",
            p.name,
            p.id.get(),
            p.min,
            p.max,
            p.default,
            p.flags
        );
    }
    // Display ranges and defaults as the host shows them. Automation is stored as CLAP values
    // over these ranges, so changing one breaks saved sessions: they are part of the contract.
    for (name, min, max, default, unit) in [
        ("Drive", -12.0, 24.0, 0.0, "dB"),
        ("Ceiling", -12.0, 0.0, -1.0, "dBTP"),
        ("Output", -12.0, 12.0, 0.0, "dB"),
    ] {
        let p = plugin.param(name);
        assert!(
            p.flags.contains(ParamInfoFlags::IS_AUTOMATABLE),
            "{name} not automatable"
        );
        for (value, expected) in [(p.min, min), (p.max, max), (p.default, default)] {
            let text = plugin.text(name, value);
            let number: f64 = text
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{name}: unparsable display text {text:?}"));
            assert!(
                (number - expected).abs() < 1e-6,
                "{name}: {text:?}, expected {expected}"
            );
            assert!(
                text.ends_with(unit),
                "{name}: {text:?} lacks the unit {unit}"
            );
        }
        assert_eq!(
            plugin.value(name),
            p.default,
            "{name}: a fresh instance is not at its default"
        );
    }
    let bypass = plugin.param("Bypass");
    assert!(
        bypass.flags.contains(ParamInfoFlags::IS_BYPASS),
        "Bypass is not the host bypass"
    );
    assert!(
        bypass.flags.contains(ParamInfoFlags::IS_STEPPED),
        "Bypass is not stepped"
    );
    assert_eq!(
        (bypass.min, bypass.max, bypass.default),
        (0.0, 1.0, 0.0),
        "Bypass range"
    );
    let configs = plugin.port_configs();
    assert!(
        configs.iter().any(|c| (c.1, c.2) == (2, 2)),
        "no stereo config: {configs:?}"
    );
    assert!(
        configs.iter().any(|c| (c.1, c.2) == (1, 1)),
        "no mono config: {configs:?}"
    );
}

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn drive_and_output_set_the_level_at_every_rate() {
    let entry = load_entry(&release_bundle());
    let mut rng = SplitMix64::new(0x01ac_90e4);
    for num_channels in [2usize, 1] {
        for sample_rate_hz in [44_100.0, 48_000.0, 96_000.0] {
            let mut plugin = Instance::new(&entry);
            plugin.select_channels(num_channels as u32);
            let ports = plugin.main_port_channels();
            assert_eq!(ports, (num_channels as u32, num_channels as u32), "ports");
            let num_samples = (0.5 * sample_rate_hz) as usize;
            let input = sine(
                TONE_HZ,
                INPUT_RMS_DBFS,
                sample_rate_hz,
                num_samples,
                num_channels,
            );
            let blocks = random_blocks(&mut rng, num_samples, MAX_BLOCK);
            let automation = [
                automate(&mut plugin, "Drive", "6", 0),
                automate(&mut plugin, "Output", "-3", 0),
            ];
            let render = plugin.render(sample_rate_hz, &input, &blocks, &automation);
            println!(
                "{num_channels} ch at {sample_rate_hz} Hz: latency {} samples ({} blocks)",
                render.latency_samples,
                blocks.len()
            );
            assert_eq!(
                render.latency_samples,
                chain_latency(sample_rate_hz, num_channels),
                "reported latency differs from the chain's at {sample_rate_hz} Hz"
            );
            check_gain(&render, &input, settle_samples(sample_rate_hz), 6.0 - 3.0);
        }
    }
}

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn state_round_trips_into_a_fresh_instance() {
    let entry = load_entry(&release_bundle());
    let sample_rate_hz = 48_000.0;
    let num_samples = 24_000;
    let input = sine(TONE_HZ, INPUT_RMS_DBFS, sample_rate_hz, num_samples, 2);
    let mut rng = SplitMix64::new(7);
    let mut original = Instance::new(&entry);
    let automation = [
        automate(&mut original, "Drive", "6", 0),
        automate(&mut original, "Output", "-3", 17),
        automate(&mut original, "Ceiling", "-2", 300),
    ];
    let blocks = random_blocks(&mut rng, num_samples, MAX_BLOCK);
    original.render(sample_rate_hz, &input, &blocks, &automation);
    let names = ["Drive", "Ceiling", "Output", "Bypass"];
    let saved: Vec<f64> = names.iter().map(|n| original.value(n)).collect();
    for (name, text) in [
        ("Drive", "6.0 dB"),
        ("Output", "-3.0 dB"),
        ("Ceiling", "-2.0 dBTP"),
    ] {
        let value = original.value(name);
        assert_eq!(original.text(name, value), text, "{name} after automation");
    }
    let state = original.save_state();
    assert!(!state.is_empty(), "empty state");

    let mut restored = Instance::new(&entry);
    assert_ne!(
        restored.value("Drive"),
        saved[0],
        "a fresh instance already has the value"
    );
    restored.load_state(&state);
    for (name, value) in names.iter().zip(&saved) {
        assert_eq!(
            restored.value(name),
            *value,
            "{name} after loading the state"
        );
    }

    // Both instances, freshly activated with the same values, render the same samples.
    let blocks = random_blocks(&mut rng, num_samples, MAX_BLOCK);
    let a = original.render(sample_rate_hz, &input, &blocks, &[]);
    let b = restored.render(sample_rate_hz, &input, &blocks, &[]);
    assert_eq!(a.latency_samples, b.latency_samples, "latency");
    for (ch, (x, y)) in a.output.iter().zip(&b.output).enumerate() {
        let first_difference = x
            .iter()
            .zip(y)
            .position(|(p, q)| p.to_bits() != q.to_bits());
        assert_eq!(
            first_difference, None,
            "channel {ch}: the restored instance renders differently"
        );
    }
    check_gain(&b, &input, settle_samples(sample_rate_hz), 3.0);
}

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn bypass_gives_the_input_back() {
    let entry = load_entry(&release_bundle());
    let sample_rate_hz = 48_000.0;
    let num_samples = 24_000;
    let input = sine(TONE_HZ, INPUT_RMS_DBFS, sample_rate_hz, num_samples, 2);
    let mut plugin = Instance::new(&entry);
    let automation = [
        automate(&mut plugin, "Drive", "12", 0),
        automate(&mut plugin, "Bypass", "Bypassed", 0),
        // The input's own level (Match Loudness would bring it to the processed loudness).
        automate(&mut plugin, "Match Loudness", "Off", 0),
    ];
    assert_eq!(automation[1].value, 1.0, "Bypass on is not CLAP value 1");
    let blocks = random_blocks(&mut SplitMix64::new(11), num_samples, MAX_BLOCK);
    let render = plugin.render(sample_rate_hz, &input, &blocks, &automation);
    check_gain(&render, &input, settle_samples(sample_rate_hz), 0.0);
}

/// Set in the child process that really drives the alloc-check bundle.
const CHILD_VAR: &str = "LACQUER_ALLOC_CHECK_CHILD";

#[test]
#[ignore = "needs the bundles: run cargo xtask test"]
fn alloc_check_bundle_never_allocates_in_process() {
    if std::env::var_os(CHILD_VAR).is_some() {
        drive_alloc_check_bundle();
        return;
    }
    // The parent re-runs this test in a child process: an allocation on the audio thread aborts
    // the child (SIGABRT), and the parent turns that into a readable failure.
    let output = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "alloc_check_bundle_never_allocates_in_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_VAR, "1")
        .output()
        .expect("could not start the child test process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    assert!(
        output.status.success(),
        "the assert_process_allocs bundle failed ({}): if it was killed by SIGABRT the plugin \
         allocated inside process() (look for 'memory allocation of N bytes failed' above)",
        output.status
    );
    assert!(stdout.contains("1 passed"), "the child ran no test");
}

/// Several seconds of audio with random block sizes and dense random automation through the
/// debug bundle, then a known setting whose level is checked, proving processing really ran.
fn drive_alloc_check_bundle() {
    let path = alloc_check_bundle();
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("no alloc-check bundle at {}: {e}", path.display()));
    assert!(
        bytes.windows(21).any(|w| w == b"Memory allocation of "),
        "{} was not built with --features assert_process_allocs",
        path.display()
    );
    let entry = load_entry(&path);
    let mut rng = SplitMix64::new(0xa110c);
    for (num_channels, sample_rate_hz, seconds) in [(2usize, 48_000.0, 4.0), (1, 96_000.0, 3.0)] {
        let mut plugin = Instance::new(&entry);
        plugin.select_channels(num_channels as u32);
        let num_samples = (seconds * sample_rate_hz) as usize;
        let input = sine(
            TONE_HZ,
            INPUT_RMS_DBFS,
            sample_rate_hz,
            num_samples,
            num_channels,
        );
        let blocks = random_blocks(&mut rng, num_samples, MAX_BLOCK);
        // Random automation of every parameter over all but the last two seconds...
        let automated_until = num_samples - 2 * sample_rate_hz as usize;
        // Every parameter the plugin exposes, so every stage (EQ, multiband, stereo, limiter
        // lookahead) is switched in and out on the audio thread.
        let params: Vec<_> = plugin.params.clone();
        assert!(
            params.len() > 30,
            "expected the macro and expert parameters too"
        );
        let mut automation = Vec::new();
        let mut at_sample = 0;
        while at_sample < automated_until {
            let p = &params[rng.range(0, params.len() - 1)];
            let value = if p.flags.contains(ParamInfoFlags::IS_STEPPED) {
                rng.range(p.min as usize, p.max as usize) as f64
            } else {
                p.min + rng.unit() * (p.max - p.min)
            };
            automation.push(Automation {
                at_sample,
                id: p.id,
                value,
            });
            at_sample += rng.range(1, 400);
        }
        // ...then a known setting for the last second: everything at its default...
        for p in &params {
            automation.push(Automation {
                at_sample: automated_until,
                id: p.id,
                value: p.default,
            });
        }
        // ...but Drive and Output.
        automation.push(automate(&mut plugin, "Drive", "6", automated_until));
        automation.push(automate(&mut plugin, "Output", "-3", automated_until));
        automation.push(automate(&mut plugin, "Ceiling", "-1", automated_until));
        automation.push(automate(
            &mut plugin,
            "Bypass",
            "Not Bypassed",
            automated_until,
        ));
        let render = plugin.render(sample_rate_hz, &input, &blocks, &automation);
        println!(
            "alloc check: {num_channels} ch at {sample_rate_hz} Hz, {} blocks, {} parameter events",
            blocks.len(),
            automation.len()
        );
        // The bypass crossfade and gain ramps settle within half a second; the band
        // compressors' gain reduction left by random thresholds and ratios decays with the
        // default releases (up to 250 ms), so measure the last half second of the two.
        let tail_start = automated_until + 3 * sample_rate_hz as usize / 2;
        check_gain(&render, &input, tail_start, 3.0);
    }
}
