//! Tests of the Listen session: capture through the ring as the audio thread pushes it, the
//! background drain, the analysis and the proposal, and the phases the plugin and the editor
//! follow.

use super::*;
use crate::assistant::decide::DEFAULT_AMOUNT_PCT;
use crate::listen::capture::{CaptureWriter, capture_ring_with_seconds};
use crate::meter::analysis::analyze;

pub(crate) const RATE_HZ: f32 = 48_000.0;

/// A music-like stereo mix: a 110 Hz bass with harmonics, a pulsing 1.2 kHz line and white
/// noise (partly decorrelated between the channels for some side), beating in level every
/// half second so there are loud and quiet moments; about -20 LUFS, at [`RATE_HZ`]. Also
/// the plugin-side Listen tests' material.
pub(crate) fn mix(seconds: f32) -> [Vec<f32>; 2] {
    let n = (seconds * RATE_HZ) as usize;
    let mut state = 0x5eed_u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as f32 / (1u64 << 31) as f32) - 1.0
    };
    let (mut left, mut right) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let t = i as f32 / RATE_HZ;
        let tau = std::f32::consts::TAU;
        let pulse = 0.6 + 0.4 * (tau * 2.0 * t).sin().abs();
        let bass = 0.08 * ((tau * 110.0 * t).sin() + 0.5 * (tau * 220.0 * t).sin());
        let line = 0.04 * pulse * (tau * 1200.0 * t).sin();
        let common = 0.02 * noise();
        left.push(bass + line + common + 0.01 * noise());
        right.push(bass + 0.8 * line + common + 0.01 * noise());
    }
    [left, right]
}

/// Pushes `audio` into the ring in 512-frame blocks, draining every 8 blocks as the plugin's
/// background task does.
fn listen_to(session: &ListenSession, writer: &mut CaptureWriter, audio: &[Vec<f32>; 2]) {
    for (i, (l, r)) in audio[0].chunks(512).zip(audio[1].chunks(512)).enumerate() {
        writer.push(&[l, r]);
        if i % 8 == 7 {
            session.drain();
        }
    }
}

fn inputs(target_lufs: f32) -> ProposalInputs {
    ProposalInputs {
        base: ChainSettings::default(),
        goal: Goal {
            target_lufs,
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
        references: Vec::new(),
        named: Vec::new(),
    }
}

fn session_with_ring(seconds: f32) -> (ListenSession, CaptureWriter) {
    let session = ListenSession::default();
    let (writer, reader, status) = capture_ring_with_seconds(RATE_HZ, seconds);
    session.install(reader, status);
    (session, writer)
}

#[test]
fn listen_then_finish_proposes_settings_that_meet_the_goal_when_rendered() {
    // A ring of 2 s: the 12 s capture only fits because the session drains it as it goes.
    let (session, mut writer) = session_with_ring(2.0);
    assert_eq!(session.phase(), ListenPhase::Idle);
    let audio = mix(12.0);
    writer.push(&[&audio[0][..4800], &audio[1][..4800]]);
    session.start();
    assert_eq!(session.phase(), ListenPhase::Listening);
    listen_to(&session, &mut writer, &audio);
    let live = session.status();
    assert!(
        (live.seconds_captured - 12.0).abs() < 0.02,
        "seconds captured while listening: {}",
        live.seconds_captured
    );

    session.finish(&inputs(-14.0));
    let status = session.status();
    assert_eq!(status.phase, ListenPhase::Proposed, "{}", status.message);
    assert_eq!(status.progress, 1.0);
    assert!((status.seconds_captured - 12.0).abs() < 0.02);
    let weight_sum: f32 = status.family_weights.iter().map(|(_, w)| w).sum();
    assert!(
        (weight_sum - 1.0).abs() < 1e-3,
        "family weights {weight_sum}"
    );
    assert!(!status.explanations.is_empty(), "no explanation");
    assert!(
        status.message.starts_with("Proposal ready"),
        "{}",
        status.message
    );

    let proposal = session.take_proposal().expect("a proposal");
    assert_eq!(session.phase(), ListenPhase::Applied);
    assert!(
        session.take_proposal().is_none(),
        "a proposal is taken once"
    );
    // The mix sits near -20 LUFS: reaching -14 needs Drive, and the settings rendered through
    // the chain (independently of the session) land on the goal.
    assert!(
        proposal.settings.drive_db > 3.0,
        "drive {}",
        proposal.settings.drive_db
    );
    assert_eq!(proposal.settings.ceiling_dbtp, -1.0);
    let rendered = crate::render::render(audio.to_vec(), RATE_HZ as u32, &proposal.settings);
    let slices: Vec<&[f32]> = rendered.channels.iter().map(Vec::as_slice).collect();
    let measured = analyze(&slices, RATE_HZ as u32)
        .expect("analysis")
        .integrated_lufs
        .expect("loudness");
    assert!((measured + 14.0).abs() < 0.3, "rendered at {measured} LUFS");

    session.accepted();
    assert_eq!(session.phase(), ListenPhase::Idle);
    assert!(session.status().message.starts_with("Accepted"));
}

#[test]
fn a_chosen_family_replaces_the_automatic_blend_and_an_unknown_one_fails() {
    let audio = mix(8.0);
    let mut auto_weights = Vec::new();
    for family in [None, Some("acoustic"), Some("bass-heavy")] {
        let (session, mut writer) = session_with_ring(2.0);
        session.start();
        listen_to(&session, &mut writer, &audio);
        session.finish(&ProposalInputs {
            family,
            ..inputs(-14.0)
        });
        let status = session.status();
        assert_eq!(status.phase, ListenPhase::Proposed, "{}", status.message);
        match family {
            None => auto_weights = status.family_weights,
            Some(name) => assert_eq!(status.family_weights, vec![(name.to_string(), 1.0)]),
        }
    }
    // The automatic blend of this mix is not simply one of the forced families.
    assert_eq!(auto_weights.len(), 3, "{auto_weights:?}");
    let (session, mut writer) = session_with_ring(2.0);
    session.start();
    listen_to(&session, &mut writer, &audio);
    session.finish(&ProposalInputs {
        family: Some("polka"),
        ..inputs(-14.0)
    });
    let status = session.status();
    assert_eq!(status.phase, ListenPhase::Failed);
    assert!(
        status.message.contains("unknown family 'polka'"),
        "{}",
        status.message
    );
}

#[test]
fn a_short_or_silent_listen_fails_with_a_reason_and_no_proposal() {
    let (session, mut writer) = session_with_ring(5.0);
    session.start();
    let short = mix(2.0);
    listen_to(&session, &mut writer, &short);
    session.finish(&inputs(-14.0));
    let status = session.status();
    assert_eq!(status.phase, ListenPhase::Failed);
    assert!(status.message.contains("2.0 s heard"), "{}", status.message);
    assert!(session.take_proposal().is_none());

    session.start();
    let silence = [vec![0.0; 48_000 * 8], vec![0.0; 48_000 * 8]];
    listen_to(&session, &mut writer, &silence);
    session.finish(&inputs(-14.0));
    let status = session.status();
    assert_eq!(status.phase, ListenPhase::Failed);
    assert!(status.message.contains("silent"), "{}", status.message);
}

#[test]
fn finish_without_listening_and_audio_outside_a_session_do_nothing() {
    let (session, mut writer) = session_with_ring(5.0);
    let audio = mix(8.0);
    listen_to(&session, &mut writer, &audio);
    session.finish(&inputs(-14.0));
    assert_eq!(session.phase(), ListenPhase::Idle);
    assert_eq!(session.status().seconds_captured, 0.0);
    assert!(session.take_proposal().is_none());
}

#[test]
fn a_new_ring_ends_a_capture_and_cancel_returns_to_idle() {
    let (session, mut writer) = session_with_ring(5.0);
    session.start();
    listen_to(&session, &mut writer, &mix(1.0));
    let (_, reader, status) = capture_ring_with_seconds(96_000.0, 1.0);
    session.install(reader, status);
    assert_eq!(session.phase(), ListenPhase::Idle);
    assert!(session.status().message.contains("restarted"));
    session.cancelled();
    assert!(session.status().message.starts_with("Cancelled"));
}
