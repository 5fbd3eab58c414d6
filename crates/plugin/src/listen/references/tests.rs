//! Reference tracks in the plugin: the target from saved analyses is the CLI's target from the
//! files, the project keeps them (and an old project has none), and Listen decides against them.

use super::*;
use crate::assistant::decide::{Amounts, DEFAULT_AMOUNT_PCT, Goal};
use crate::chain::ChainSettings;
use crate::listen::session::tests::{RATE_HZ, mix};
use crate::listen::session::{ProposalInputs, propose};
use crate::listen::{Assistant, AssistantTask};
use crate::migrate::harness::{load_json, save_json};
use crate::params::LacquerParams;
use lacquer_decode::reference::analyse_reference;
use std::sync::Arc;

/// Deterministic white noise in -1..1.
fn noise(seed: u64) -> impl FnMut() -> f32 {
    let mut state = seed;
    move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) - 1.0
    }
}

/// The colour of a synthetic reference.
#[derive(Clone, Copy)]
pub(crate) enum Colour {
    /// Noise rising 6 dB per octave (first difference of white noise): all top.
    Bright,
    /// Noise through a one-pole low-pass at this corner, Hz.
    Dark(f32),
}

/// A stereo reference of `seconds`: coloured noise under a 110 Hz bass, at about -20 dBFS RMS.
pub(crate) fn reference_audio(seconds: f32, colour: Colour) -> [Vec<f32>; 2] {
    let n = (seconds * RATE_HZ) as usize;
    let mut white = noise(0xbead);
    let mut last = [0.0f32; 2];
    let mut out = [Vec::with_capacity(n), Vec::with_capacity(n)];
    for i in 0..n {
        let bass = 0.05 * (std::f32::consts::TAU * 110.0 * i as f32 / RATE_HZ).sin();
        for (c, ch) in out.iter_mut().enumerate() {
            let x = white();
            let y = match colour {
                Colour::Bright => 0.5 * (x - last[c]),
                Colour::Dark(corner_hz) => {
                    let a = 1.0 - (-std::f32::consts::TAU * corner_hz / RATE_HZ).exp();
                    last[c] + a * (x - last[c])
                }
            };
            last[c] = if matches!(colour, Colour::Bright) {
                x
            } else {
                y
            };
            ch.push(bass + 0.15 * y);
        }
    }
    out
}

/// Writes `audio` as a 32-bit float stereo WAV at [`RATE_HZ`].
pub(crate) fn write_wav(path: &Path, audio: &[Vec<f32>; 2]) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE_HZ as u32,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for (l, r) in audio[0].iter().zip(&audio[1]) {
        w.write_sample(*l).unwrap();
        w.write_sample(*r).unwrap();
    }
    w.finalize().unwrap();
}

/// An assistant over fresh parameters that loads `paths` as the editor's "Add reference" does
/// (the task run here, as the background executor would).
fn assistant_with(paths: &[&Path]) -> (Arc<LacquerParams>, Assistant) {
    let params = Arc::new(LacquerParams::default());
    let assistant = Assistant::new(params.clone());
    for path in paths {
        assert!(
            !assistant.add_reference(path.to_path_buf()),
            "no executor here"
        );
    }
    assistant.run(AssistantTask::LoadReferences);
    (params, assistant)
}

fn inputs(references: Vec<SavedReference>) -> ProposalInputs {
    ProposalInputs {
        base: ChainSettings::default(),
        goal: Goal {
            target_lufs: -14.0,
            ceiling_dbtp: -1.0,
        },
        amounts: Amounts {
            tone_pct: DEFAULT_AMOUNT_PCT,
            dynamics_pct: DEFAULT_AMOUNT_PCT,
            width_pct: DEFAULT_AMOUNT_PCT,
        },
        drive_range_db: (-12.0, 24.0),
        max_gain_reduction_db: 12.0,
        family: None,
        references,
        named: Vec::new(),
    }
}

/// The EQ's mean gain over 6..14 kHz, dB: how much top the settings give.
fn top_db(settings: &ChainSettings) -> f32 {
    let eq = settings.macros.apply(&settings.stages).eq;
    let mean = |freqs: &[f32]| {
        freqs
            .iter()
            .map(|f| eq.response_db(*f, RATE_HZ))
            .sum::<f32>()
            / freqs.len() as f32
    };
    mean(&[6_000.0, 8_000.0, 10_000.0, 12_000.0, 14_000.0])
}

#[test]
fn saved_profiles_give_the_cli_target_of_the_files_after_the_files_are_gone() {
    let dir = tempfile::tempdir().unwrap();
    let bright = dir.path().join("bright.wav");
    let dark = dir.path().join("dark.wav");
    write_wav(&bright, &reference_audio(10.0, Colour::Bright));
    write_wav(&dark, &reference_audio(10.0, Colour::Dark(800.0)));
    // The CLI's way: `--reference bright.wav --reference dark.wav --weight 1 --weight 0.5`.
    let cli = profile_from_references(&[
        (analyse_reference(&bright, false).unwrap(), 1.0),
        (analyse_reference(&dark, false).unwrap(), 0.5),
    ]);

    let (params, assistant) = assistant_with(&[&bright, &dark]);
    assert!(assistant.reference_status().errors.is_empty());
    assistant.edit_references(|list| {
        for r in list.iter_mut() {
            r.weight_pct = if r.name == "dark.wav" { 50.0 } else { 100.0 };
        }
    });
    let saved = save_json(&params);
    std::fs::remove_file(&bright).unwrap();
    std::fs::remove_file(&dark).unwrap();

    let reopened = Arc::new(LacquerParams::default());
    assert!(load_json(&reopened, &saved));
    let assistant = Assistant::new(reopened.clone());
    let listed = assistant.inputs().references;
    let mut names: Vec<&str> = listed.iter().map(|r| r.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["bright.wav", "dark.wav"]);
    assert_eq!(reference_target(&listed), Some(cli.clone()));
    // And a different weighting is a different target (the comparison can fail).
    let mut equal = listed.clone();
    equal.iter_mut().for_each(|r| r.weight_pct = 100.0);
    assert_ne!(reference_target(&equal), Some(cli));
}

#[test]
fn a_file_that_cannot_be_used_leaves_one_line_and_no_reference() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.wav");
    std::fs::write(&text, "not audio").unwrap();
    let missing = dir.path().join("missing.flac");
    let (_, assistant) = assistant_with(&[&text, &missing]);
    assert!(assistant.references().is_empty());
    let status = assistant.reference_status();
    assert!(status.loading.is_empty());
    assert_eq!(status.errors.len(), 2, "{:?}", status.errors);
    for (error, name) in status.errors.iter().zip(["missing.flac", "notes.wav"]) {
        assert!(
            !error.contains('\n') && error.contains(name),
            "{error:?} should name {name}"
        );
    }
}

#[test]
fn the_state_keeps_the_references_and_an_old_project_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ref.wav");
    write_wav(&path, &reference_audio(8.0, Colour::Dark(3000.0)));
    let (params, assistant) = assistant_with(&[&path]);
    assistant.edit_references(|list| list[0].weight_pct = 37.0);
    let saved = save_json(&params);
    let reopened = LacquerParams::default();
    assert!(load_json(&reopened, &saved));
    // Byte for byte: nothing is lost or rounded on the way (f32 through JSON is exact).
    assert_eq!(save_json(&reopened), saved);
    let list = reopened.references.read().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].weight_pct, 37.0);
    assert_eq!(list[0].path, path.display().to_string());
    assert_eq!(list[0], assistant.references()[0]);

    // A 0.3.0 project (before reference tracks) has no such field: it loads with none, and
    // everything else as it was.
    let mut old: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    old["version"] = "0.3.0".into();
    old["fields"].as_object_mut().unwrap().remove("references");
    old["params"]["drive"] = serde_json::json!({ "f32": 5.5 });
    let old = serde_json::to_vec(&old).unwrap();
    let loaded = LacquerParams::default();
    *loaded.references.write().unwrap() = list;
    crate::migrate::harness::reset(&loaded);
    assert!(load_json(&loaded, &old));
    assert!(loaded.references.read().unwrap().is_empty());
    assert_eq!(loaded.drive.value(), 5.5);
}

#[test]
fn unusable_saved_references_are_dropped_and_weights_made_safe() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ref.wav");
    write_wav(&path, &reference_audio(8.0, Colour::Bright));
    let good = SavedReference::new(&path, analyse_reference(&path, false).unwrap());
    let mut silent = good.clone();
    silent.features.integrated_lufs = None;
    let mut heavy = good.clone();
    heavy.weight_pct = 250.0;
    let mut list = vec![good.clone(), silent, heavy];
    let notes = crate::migrate::sanitise_references(&mut list);
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].weight_pct, 100.0);
    assert!(crate::migrate::sanitise_references(&mut list).is_empty());
}

#[test]
fn listen_decides_against_the_references_instead_of_the_family() {
    let dir = tempfile::tempdir().unwrap();
    let bright_path = dir.path().join("bright.wav");
    let dark_path = dir.path().join("dark.wav");
    write_wav(&bright_path, &reference_audio(10.0, Colour::Bright));
    write_wav(&dark_path, &reference_audio(10.0, Colour::Dark(500.0)));
    let bright = SavedReference::new(
        &bright_path,
        analyse_reference(&bright_path, false).unwrap(),
    );
    let dark = SavedReference::new(&dark_path, analyse_reference(&dark_path, false).unwrap());
    let audio = mix(10.0);

    let family = propose(&audio, RATE_HZ, &inputs(Vec::new()), |_| {}).unwrap();
    let with_bright = propose(&audio, RATE_HZ, &inputs(vec![bright.clone()]), |_| {}).unwrap();
    let with_dark = propose(&audio, RATE_HZ, &inputs(vec![dark.clone()]), |_| {}).unwrap();
    let (f, b, d) = (
        top_db(&family.settings),
        top_db(&with_bright.settings),
        top_db(&with_dark.settings),
    );
    // More top than the family asks for with the bright one, less with the dark one.
    assert!(
        b > f + 3.0,
        "bright reference {b:.2} dB of top, family {f:.2} dB"
    );
    assert!(
        d < f - 3.0,
        "dark reference {d:.2} dB of top, family {f:.2} dB"
    );

    assert!(!family.family_weights.is_empty() && family.references.is_empty());
    assert!(with_bright.family_weights.is_empty());
    assert_eq!(
        with_bright.references,
        vec![("bright.wav".to_string(), 1.0)]
    );
    let first = &with_bright.explanations[0];
    assert!(
        first.starts_with("Target: 1 reference track instead of the genre family")
            && first.contains("bright.wav 100 %")
            && first.contains("LUFS"),
        "{first}"
    );

    // A reference at 0 % is left out: with no other, the family decides again.
    let mut off = bright.clone();
    off.weight_pct = 0.0;
    let again = propose(&audio, RATE_HZ, &inputs(vec![off]), |_| {}).unwrap();
    assert_eq!(again.settings, family.settings);
    assert_eq!(again.family_weights, family.family_weights);
}
