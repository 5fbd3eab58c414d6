//! Tests of the plugin side of Listen: the audio thread's part (tasks it asks for, capture),
//! and Listen -> proposal -> apply through a host context -> Accept or Cancel, with the host
//! stand-in the editor tests use (`tests/common/gui_host.rs`).

use super::*;

#[path = "../../tests/common/gui_host.rs"]
mod gui_host;
use gui_host::RecordingHost as TestHost;

use crate::listen::session::tests::{RATE_HZ, mix};

/// Every parameter's normalised value, by id.
fn normalized_values(params: &LacquerParams) -> Vec<(String, f32)> {
    params
        .param_map()
        .into_iter()
        // SAFETY: the pointers come from `params`, alive for the call.
        .map(|(id, ptr, _)| (id, unsafe { ptr.unmodulated_normalized_value() }))
        .collect()
}

fn set_listen(params: &LacquerParams, on: bool) {
    let map = params.param_map();
    let (_, ptr, _) = map
        .iter()
        .find(|(id, _, _)| id == "listen")
        .expect("listen");
    // SAFETY: as above.
    unsafe { ptr._internal_set_normalized_value(if on { 1.0 } else { 0.0 }) };
}

/// Plays `audio` through the audio thread's part in 512-frame blocks with Listen as the
/// parameter says, running every task it asks for as the executors would.
fn play(
    params: &LacquerParams,
    assistant: &Assistant,
    audio_part: &mut ListenAudio,
    audio: &mut [Vec<f32>; 2],
) -> Vec<AssistantTask> {
    let mut tasks = Vec::new();
    let [left, right] = audio;
    for (l, r) in left.chunks_mut(512).zip(right.chunks_mut(512)) {
        let block: [&mut [f32]; 2] = [l, r];
        if let Some(task) = audio_part.block(params.listen.value(), &block) {
            tasks.push(task);
            assistant.task_scheduled();
            assistant.run(task);
        }
    }
    tasks
}

struct Rig {
    params: Arc<LacquerParams>,
    assistant: Arc<Assistant>,
    audio_part: ListenAudio,
    host: Arc<TestHost>,
}

fn rig() -> Rig {
    let params = Arc::new(LacquerParams::default());
    let assistant = Arc::new(Assistant::new(params.clone()));
    let mut audio_part = ListenAudio::default();
    audio_part.configure(assistant.new_ring(RATE_HZ), RATE_HZ);
    Rig {
        params,
        assistant,
        audio_part,
        host: Arc::new(TestHost::default()),
    }
}

/// Listen on, 12 s of the mix, Listen off (one more block for the audio thread to see it).
fn listen_once(r: &mut Rig) -> Vec<AssistantTask> {
    set_listen(&r.params, true);
    let mut tasks = play(&r.params, &r.assistant, &mut r.audio_part, &mut mix(12.0));
    set_listen(&r.params, false);
    tasks.extend(play(
        &r.params,
        &r.assistant,
        &mut r.audio_part,
        &mut mix(0.1),
    ));
    tasks
}

#[test]
fn the_audio_thread_asks_for_start_drains_and_finish_which_applies() {
    let mut r = rig();
    r.assistant.set_context(GuiContext::new(r.host.clone()));
    // Listen off: nothing is asked for and nothing captured.
    let idle = play(&r.params, &r.assistant, &mut r.audio_part, &mut mix(1.0));
    assert!(idle.is_empty(), "{idle:?}");
    let tasks = listen_once(&mut r);
    assert_eq!(tasks.first(), Some(&AssistantTask::Start));
    let drains = tasks.iter().filter(|t| **t == AssistantTask::Drain).count();
    // One drain every 0.25 s of the 12 s (the first interval starts at Start).
    assert!((46..=48).contains(&drains), "{drains} drains");
    assert_eq!(tasks.last(), Some(&AssistantTask::Finish), "{tasks:?}");
    assert_eq!(
        tasks
            .iter()
            .filter(|t| **t == AssistantTask::Finish)
            .count(),
        1
    );
    assert_eq!(r.assistant.session.phase(), ListenPhase::Applied);
    assert!((r.assistant.session.status().seconds_captured - 12.0).abs() < 0.02);
}

#[test]
fn apply_sets_the_proposal_through_the_host_and_cancel_restores_every_value_exactly() {
    let mut r = rig();
    r.assistant.set_context(GuiContext::new(r.host.clone()));
    let before = normalized_values(&r.params);
    let before_settings = r.params.chain_settings();
    listen_once(&mut r);
    assert_eq!(r.assistant.session.phase(), ListenPhase::Applied);
    let status = r.assistant.session.status();
    assert!(!status.explanations.is_empty());

    // The host saw gestures, each parameter as begin, set, end.
    let log = lock(&r.host.log).clone();
    assert!(log.len() >= 3 && log.len().is_multiple_of(3), "{log:?}");
    for g in log.chunks(3) {
        let name = g[0].trim_start_matches("begin ");
        assert_eq!(g[1], format!("set {name}"));
        assert_eq!(g[2], format!("end {name}"));
    }
    assert!(log.contains(&"set Drive".to_string()), "{log:?}");
    // The mix sits near -20 LUFS: the -14 LUFS default goal needs several dB of Drive.
    let applied = r.params.chain_settings();
    assert!(applied.drive_db > 3.0, "drive {}", applied.drive_db);
    assert_ne!(applied, before_settings);

    r.assistant.cancel();
    assert_eq!(r.assistant.session.phase(), ListenPhase::Idle);
    assert_eq!(
        normalized_values(&r.params),
        before,
        "Cancel left a difference"
    );
    assert_eq!(r.params.chain_settings(), before_settings);
}

#[test]
fn accept_keeps_the_values_and_a_second_listen_cancels_back_to_before_the_first() {
    let mut r = rig();
    r.assistant.set_context(GuiContext::new(r.host.clone()));
    let original = normalized_values(&r.params);
    listen_once(&mut r);
    let applied = normalized_values(&r.params);
    r.assistant.accept();
    assert_eq!(r.assistant.session.phase(), ListenPhase::Idle);
    assert_eq!(normalized_values(&r.params), applied);
    // Cancel after Accept changes nothing.
    r.assistant.cancel();
    assert_eq!(normalized_values(&r.params), applied);

    // Two Listens without Accept: Cancel goes back to before the first of them.
    let mut second = rig();
    second
        .assistant
        .set_context(GuiContext::new(second.host.clone()));
    listen_once(&mut second);
    listen_once(&mut second);
    assert_eq!(second.assistant.session.phase(), ListenPhase::Applied);
    second.assistant.cancel();
    assert_eq!(normalized_values(&second.params), original);
}

#[test]
fn without_a_host_context_the_proposal_waits_until_an_editor_gives_one() {
    let mut r = rig();
    let before = normalized_values(&r.params);
    listen_once(&mut r);
    assert_eq!(r.assistant.session.phase(), ListenPhase::Proposed);
    assert_eq!(
        normalized_values(&r.params),
        before,
        "changed without the host"
    );
    assert!(!r.assistant.apply_pending());
    r.assistant.set_context(GuiContext::new(r.host.clone()));
    assert!(r.assistant.apply_pending());
    assert_eq!(r.assistant.session.phase(), ListenPhase::Applied);
    assert_ne!(normalized_values(&r.params), before);
}

#[test]
fn deactivate_waits_until_every_scheduled_task_has_run() {
    // The plugin's `deactivate` relies on this: a task of ours must never be queued or running
    // in nice-plug's shared worker when the host destroys the instance.
    let r = rig();
    assert!(
        r.assistant.wait_for_tasks(Duration::ZERO),
        "nothing scheduled yet"
    );
    r.assistant.task_scheduled();
    r.assistant.task_scheduled();
    assert_eq!(r.assistant.tasks_in_flight(), 2);
    assert!(
        !r.assistant.wait_for_tasks(Duration::from_millis(20)),
        "two tasks are queued and none has run"
    );
    let assistant = r.assistant.clone();
    let started = Instant::now();
    let worker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(60));
        assistant.run(AssistantTask::Start);
        std::thread::sleep(Duration::from_millis(60));
        assistant.run(AssistantTask::Finish);
    });
    assert!(r.assistant.wait_for_tasks(Duration::from_secs(10)));
    assert!(
        started.elapsed() >= Duration::from_millis(120),
        "returned after {:?}, before the second task ran",
        started.elapsed()
    );
    assert_eq!(r.assistant.tasks_in_flight(), 0);
    worker.join().expect("worker");
    // A task run without being counted does not wrap the count.
    r.assistant.run(AssistantTask::Start);
    assert_eq!(r.assistant.tasks_in_flight(), 0);
}

/// The EQ's response (bands and the tone macro's tilt) of `s` at `freq_hz`, dB.
fn eq_db(s: &crate::chain::ChainSettings, freq_hz: f32) -> f32 {
    let mut eq = s.stages.eq;
    eq.tilt_db = crate::dsp::macros::tone_to_tilt_db(s.macros.tone);
    eq.response_db(freq_hz, 48_000.0)
}

/// An estimator with no no-hint evidence and a mud model of 5 dB at 250 Hz (intercepts only).
fn mud_estimator() -> crate::assistant::learn::Estimator {
    use crate::assistant::learn::{Estimator, FIRST_CORE, Model, NUM_CORE, NUM_FEATURES};
    use crate::assistant::profile::band_centre_hz;
    let model = |kind: &str, gain_db: f32| Model {
        kind: kind.to_string(),
        weights: (0..NUM_CORE)
            .map(|b| {
                let oct = (band_centre_hz(FIRST_CORE + b) / 250.0).log2();
                let mut w = vec![0.0; NUM_FEATURES + 1];
                w[NUM_FEATURES] = gain_db * (-2.0 * oct * oct).exp();
                w
            })
            .collect(),
        null_spread_db: vec![1.0; NUM_CORE],
    };
    Estimator {
        made_from: "test".into(),
        lambda: 1.0,
        threshold: 1.0,
        models: vec![model("any", 0.0), model("mud", 5.0)],
    }
}

#[test]
fn a_named_problem_is_decided_again_on_the_capture_and_a_second_press_takes_it_back() {
    let mut r = rig();
    r.assistant.set_context(GuiContext::new(r.host.clone()));
    let before = normalized_values(&r.params);
    // Before any Listen a press only names it (nothing to decide on yet).
    assert!(!r.assistant.toggle_problem(Problem::Mud));
    assert_eq!(r.assistant.named_problems(), vec![Problem::Mud]);
    assert!(!r.assistant.toggle_problem(Problem::Mud));
    assert!(r.assistant.named_problems().is_empty());

    listen_once(&mut r);
    assert_eq!(r.assistant.session.phase(), ListenPhase::Applied);
    let plain = r.params.chain_settings();
    // Mud named after the Listen: decided again on the same capture (the test runs the task
    // the executor would), a deeper low-mid cut, and the explanation says why.
    r.assistant.toggle_problem(Problem::Mud);
    assert_eq!(r.assistant.named_problems(), vec![Problem::Mud]);
    r.assistant.task_scheduled();
    // With an estimator whose mud model says "5 dB at 250 Hz" whatever the track (the
    // committed weights' view of this test signal is not what is tested here).
    crate::assistant::learn::with_estimator(mud_estimator(), || {
        r.assistant.run(AssistantTask::Redecide)
    });
    assert_eq!(r.assistant.session.phase(), ListenPhase::Applied);
    let named = r.params.chain_settings();
    let (cut_plain, cut_named) = (eq_db(&plain, 300.0), eq_db(&named, 300.0));
    assert!(
        cut_named < cut_plain - 1.0,
        "{cut_named} dB vs {cut_plain} dB at 300 Hz"
    );
    // No deeper than the estimate asks (5 dB; the cap is 3 dB on weak evidence, the
    // departure from comparable music on strong).
    assert!(
        cut_named > -5.5,
        "{cut_named} dB: more than the estimate asks"
    );
    let status = r.assistant.session.status();
    assert!(
        status
            .explanations
            .iter()
            .any(|l| l.starts_with("You named mud")),
        "{:#?}",
        status.explanations
    );
    // A second press takes it back: the first proposal's settings again.
    r.assistant.toggle_problem(Problem::Mud);
    r.assistant.task_scheduled();
    r.assistant.run(AssistantTask::Redecide);
    assert_eq!(r.params.chain_settings(), plain);
    // Cancel still returns to the settings from before the assistant.
    r.assistant.cancel();
    assert_eq!(normalized_values(&r.params), before);
}
