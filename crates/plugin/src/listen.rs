//! The plugin side of the assistant's Listen (issue #5 item 9), the glue between the audio
//! thread, the background task executor, the host's parameters and the editor:
//!
//! - "Listen" (id `listen`) is a host-visible parameter, so it works with no editor open (an
//!   automation lane or a host's generic UI toggles it). While it is on, `process()` pushes
//!   the input into the preallocated lock-free capture ring and asks the background executor
//!   to drain it a few times a second ([`AssistantTask::Drain`]); turning it off (or hearing
//!   [`MAX_LISTEN_SECONDS`](crate::listen::session::MAX_LISTEN_SECONDS)) analyses what was
//!   heard on the background thread ([`AssistantTask::Finish`]).
//! - The proposal is applied as parameter changes through the host's [`GuiContext`]
//!   (begin/set/end gestures), so the host records them and its undo works: by the background
//!   task right after the analysis, or by the editor's next frame. Not from `process()` with
//!   `execute_gui`: a host that calls `process()` on its main thread (pedalboard does) runs
//!   such a task inline, on the audio thread. nice-plug's wrappers queue those calls (CLAP: a
//!   lock-free output-event queue sent with the next block; VST3: `performEdit`), so they may
//!   come from the background thread. nice-plug hands a plugin that context only with an
//!   editor: the last editor's context is kept (it holds only a weak reference to the plugin,
//!   so it keeps nothing alive). Until an editor has been opened once, a proposal waits and
//!   is applied when the editor opens.
//! - Accept keeps the applied values; Cancel puts back, bit for bit (normalised values), every
//!   parameter the proposal changed.
//! - Reference tracks ([`references`]): the editor queues a file
//!   ([`Assistant::add_reference`]) and the background executor decodes and analyses it
//!   ([`AssistantTask::LoadReferences`]) into the persisted field `references`; the next
//!   Listen decides against them.

use crate::ab::HostParams;
use crate::assistant::decide::Goal;
use crate::assistant::decide::{Amounts, Problem};
use crate::listen::references::SavedReference;
use crate::listen::session::{ListenPhase, ListenSession, ProposalInputs};
use crate::params::{LacquerParams, settings_values};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most limiting the Listen's Drive search may ask for, dB (the CLI's `--max-gr` default).
pub const MAX_GAIN_REDUCTION_DB: f32 = 12.0;

/// How often the audio thread asks for the capture ring to be drained while listening,
/// seconds (the ring holds [`capture::CAPTURE_SECONDS`], far from filling up).
pub const DRAIN_INTERVAL_S: f32 = 0.25;

/// How long `deactivate` waits for the assistant's background tasks to end (an analysis of
/// the longest Listen takes well under this).
pub const TASK_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Work for the background executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistantTask {
    /// Listen was switched on: start a capture session.
    Start,
    /// Move the ring's audio into the capture (and stop at the maximum length).
    Drain,
    /// Listen was switched off: analyse, decide and apply.
    Finish,
    /// Decode and analyse the reference files the editor queued
    /// ([`Assistant::add_reference`]).
    LoadReferences,
    /// Decide again on the last capture with the problems the listener names now
    /// ([`Assistant::toggle_problem`]) and apply the new proposal.
    Redecide,
}

/// Hands a task to the background executor (set by the plugin when it makes its editor).
pub type Executor = Arc<dyn Fn(AssistantTask) + Send + Sync>;

/// What the editor shows about reference loading: files still being analysed and one line
/// per file that could not be used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReferenceStatus {
    /// Files queued or being analysed.
    pub loading: Vec<String>,
    /// One line per file that failed, from the last additions.
    pub errors: Vec<String>,
}

/// The assistant's state in the plugin, shared by the plugin, its task executor and the editor.
pub struct Assistant {
    /// The Listen session (capture, analysis, proposal, status).
    pub session: ListenSession,
    params: Arc<LacquerParams>,
    context: Mutex<Option<GuiContext>>,
    /// Normalised value by id of every parameter the applied proposal changed, from before it.
    previous: Mutex<Option<Vec<(String, f32)>>>,
    /// Tasks handed to the background executor and not yet finished (see
    /// [`Self::wait_for_tasks`]).
    in_flight: AtomicUsize,
    /// The background executor, for the editor's tasks (reference loading).
    executor: Mutex<Option<Executor>>,
    /// Reference files queued by the editor and not yet analysed.
    pending_references: Mutex<Vec<PathBuf>>,
    /// Reference loading as the editor shows it.
    reference_status: Mutex<ReferenceStatus>,
    /// The problems the listener names, one bit per [`Problem::ALL`] entry (this session
    /// only: a project keeps the settings they led to, not the buttons).
    named: AtomicU8,
}

/// Counts a task as finished when dropped, so a task that unwinds still counts.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        // Saturating: a task run directly (tests, an executor that was never counted) must not
        // wrap the count.
        let _ = self
            .0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Assistant {
    /// The assistant over the plugin's parameters.
    pub fn new(params: Arc<LacquerParams>) -> Self {
        Self {
            session: ListenSession::default(),
            params,
            context: Mutex::new(None),
            previous: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            executor: Mutex::new(None),
            pending_references: Mutex::new(Vec::new()),
            reference_status: Mutex::new(ReferenceStatus::default()),
            named: AtomicU8::new(0),
        }
    }

    /// The problems the listener names now, low to high.
    pub fn named_problems(&self) -> Vec<Problem> {
        let bits = self.named.load(Ordering::Acquire);
        Problem::ALL
            .iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .map(|(_, p)| *p)
            .collect()
    }

    /// Names `problem` or, if named, takes it back (editor thread). After a Listen the
    /// assistant decides again on what it heard, on the background executor, and applies
    /// the new proposal (Cancel still returns to the settings from before the assistant);
    /// before one, the next Listen uses it. Returns true when a new decision was scheduled.
    pub fn toggle_problem(&self, problem: Problem) -> bool {
        let Some(i) = Problem::ALL.iter().position(|p| *p == problem) else {
            return false;
        };
        self.named.fetch_xor(1 << i, Ordering::AcqRel);
        if !self.session.can_redecide() {
            return false;
        }
        let Some(executor) = lock(&self.executor).clone() else {
            return false;
        };
        self.task_scheduled();
        executor(AssistantTask::Redecide);
        true
    }

    /// Decides again on the last capture and applies the result (background executor).
    fn redecide(&self) {
        if self.session.redecide(&self.inputs()) {
            self.apply_pending();
        }
    }

    /// The background executor the editor's tasks go to.
    pub fn set_executor(&self, executor: Executor) {
        *lock(&self.executor) = Some(executor);
    }

    /// Queues the reference file `path` (editor thread) and asks the background executor to
    /// decode and analyse it. Returns false when no executor is known (tests then run
    /// [`AssistantTask::LoadReferences`] themselves).
    pub fn add_reference(&self, path: PathBuf) -> bool {
        {
            let mut status = lock(&self.reference_status);
            status.errors.clear();
            status.loading.push(path.display().to_string());
        }
        lock(&self.pending_references).push(path);
        let Some(executor) = lock(&self.executor).clone() else {
            return false;
        };
        self.task_scheduled();
        executor(AssistantTask::LoadReferences);
        true
    }

    /// Reference loading for the editor.
    pub fn reference_status(&self) -> ReferenceStatus {
        lock(&self.reference_status).clone()
    }

    /// The project's references (a copy).
    pub fn references(&self) -> Vec<SavedReference> {
        self.params
            .references
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Changes the project's references (editor: weight, removal).
    pub fn edit_references(&self, edit: impl FnOnce(&mut Vec<SavedReference>)) {
        edit(
            &mut self
                .params
                .references
                .write()
                .unwrap_or_else(|e| e.into_inner()),
        );
    }

    /// Decodes and analyses every queued reference file (background executor); each one that
    /// works joins the project's references (replacing one of the same path, whose weight it
    /// keeps), each one that does not leaves its one-line error.
    fn load_references(&self) {
        loop {
            let Some(path) = lock(&self.pending_references).pop() else {
                break;
            };
            let shown = path.display().to_string();
            let result = lacquer_decode::reference::analyse_reference(&path, false);
            {
                let mut status = lock(&self.reference_status);
                if let Some(i) = status.loading.iter().position(|p| *p == shown) {
                    status.loading.remove(i);
                }
                if let Err(e) = &result {
                    status.errors.push(e.message().to_string());
                }
            }
            if let Ok(features) = result {
                let added = SavedReference::new(&path, features);
                self.edit_references(
                    |list| match list.iter_mut().find(|r| r.path == added.path) {
                        Some(old) => {
                            *old = SavedReference {
                                weight_pct: old.weight_pct,
                                ..added
                            }
                        }
                        None => list.push(added),
                    },
                );
            }
        }
    }

    /// Counts a task about to be handed to the background executor (audio thread: one atomic
    /// add, no allocation). Every counted task must reach [`Self::run`].
    pub fn task_scheduled(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    /// Tasks scheduled and not yet finished.
    pub fn tasks_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Waits (main thread, from `deactivate`) until every scheduled task has finished, at most
    /// `timeout`; true when none is left. nice-plug 0.4.2 shares one worker thread between
    /// instances and shuts it down from the wrapper's destructor: a task still queued when the
    /// host destroys the instance makes that worker exit early, and the destructor then panics
    /// across the C ABI (an abort inside the host); a task still running holds the last
    /// reference, so the destructor runs on the worker and joins itself. The CLAP and VST3
    /// specs both deactivate before destroying, so waiting here closes both windows.
    /// The count drops inside the task, a few instructions before the worker lets go of its
    /// reference to the instance, so a millisecond more is waited after it reaches zero.
    pub fn wait_for_tasks(&self, timeout: Duration) -> bool {
        let start = Instant::now();
        while self.tasks_in_flight() > 0 {
            if start.elapsed() >= timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(1));
        true
    }

    /// Makes the capture ring for `sample_rate_hz` (allocates: call from `activate`) and returns
    /// the audio thread's end.
    pub fn new_ring(&self, sample_rate_hz: f32) -> capture::CaptureWriter {
        let (writer, reader, status) = capture::capture_ring(sample_rate_hz);
        self.session.install(reader, status);
        writer
    }

    /// Runs one task (background executor).
    pub fn run(&self, task: AssistantTask) {
        let _done = InFlight(&self.in_flight);
        match task {
            AssistantTask::Start => self.session.start(),
            AssistantTask::Drain => {
                if self.session.drain() {
                    self.finish();
                }
            }
            AssistantTask::Finish => self.finish(),
            AssistantTask::LoadReferences => self.load_references(),
            AssistantTask::Redecide => self.redecide(),
        }
    }

    /// Analyses what was heard and applies the proposal if a host context is known.
    fn finish(&self) {
        self.session.finish(&self.inputs());
        self.apply_pending();
    }

    /// What the analysis needs from the parameters now.
    pub fn inputs(&self) -> ProposalInputs {
        let p = &self.params;
        let goal = p.goal.goal(p.ceiling.value());
        ProposalInputs {
            base: p.chain_settings(),
            goal: Goal {
                target_lufs: goal.target_lufs,
                ceiling_dbtp: goal.ceiling_dbtp,
            },
            amounts: Amounts {
                tone_pct: p.goal.amount_tone.value(),
                dynamics_pct: p.goal.amount_dynamics.value(),
                width_pct: p.goal.amount_width.value(),
            },
            drive_range_db: (p.drive.preview_plain(0.0), p.drive.preview_plain(1.0)),
            max_gain_reduction_db: MAX_GAIN_REDUCTION_DB,
            family: p.goal.family.value().profile_name(),
            references: self.references(),
            named: self.named_problems(),
        }
    }

    /// The editor's host context (kept after the editor closes, see the module docs).
    pub fn set_context(&self, context: GuiContext) {
        *lock(&self.context) = Some(context);
    }

    /// Whether a host context is known, so a proposal can be applied.
    pub fn has_context(&self) -> bool {
        lock(&self.context).is_some()
    }

    /// Applies a ready proposal through the host context (background thread or the editor's
    /// thread, never the audio thread). Returns false when there is nothing to apply or no
    /// context yet.
    pub fn apply_pending(&self) -> bool {
        let Some(context) = lock(&self.context).clone() else {
            return false;
        };
        let Some(proposal) = self.session.take_proposal() else {
            return false;
        };
        let host = HostParams::new(&*self.params, &context);
        let mut previous = lock(&self.previous);
        // A Listen on top of an applied proposal keeps the first "before": Cancel goes back to
        // the settings the user had before the assistant.
        let keep_first = previous.is_some();
        let mut before = previous.take().unwrap_or_default();
        for (id, plain) in settings_values(&proposal.settings) {
            let (Some(now), Some(wanted)) =
                (host.normalized(id), host.preview_normalized(id, plain))
            else {
                continue;
            };
            if now == wanted {
                continue;
            }
            if !keep_first || !before.iter().any(|(i, _)| *i == id) {
                before.push((id.to_string(), now));
            }
            host.set_normalized(id, wanted);
        }
        *previous = Some(before);
        true
    }

    /// Keeps the applied proposal.
    pub fn accept(&self) {
        if self.session.phase() == ListenPhase::Applied {
            *lock(&self.previous) = None;
            self.session.accepted();
        }
    }

    /// Puts back every parameter the applied proposal changed (editor thread, with a context).
    pub fn cancel(&self) {
        if self.session.phase() != ListenPhase::Applied {
            return;
        }
        let Some(context) = lock(&self.context).clone() else {
            return;
        };
        if let Some(before) = lock(&self.previous).take() {
            let host = HostParams::new(&*self.params, &context);
            for (id, normalized) in before {
                host.set_normalized(&id, normalized);
            }
        }
        self.session.cancelled();
    }
}

/// The audio thread's part: the capture ring's writing end, Listen's last state and when to
/// ask for the next drain. No allocation, lock or wait.
pub struct ListenAudio {
    writer: Option<capture::CaptureWriter>,
    listening: bool,
    samples_to_drain: i64,
    drain_interval_samples: i64,
}

impl Default for ListenAudio {
    fn default() -> Self {
        Self {
            writer: None,
            listening: false,
            samples_to_drain: 0,
            drain_interval_samples: 12_000,
        }
    }
}

impl ListenAudio {
    /// Takes a new ring (from [`Assistant::new_ring`], at activation).
    pub fn configure(&mut self, writer: capture::CaptureWriter, sample_rate_hz: f32) {
        self.writer = Some(writer);
        self.listening = false;
        self.drain_interval_samples = (DRAIN_INTERVAL_S * sample_rate_hz).max(1.0) as i64;
        self.samples_to_drain = self.drain_interval_samples;
    }

    /// One block: follows the Listen parameter, captures `input` (planar, before processing)
    /// while listening, and returns the task to schedule on the background executor, if any.
    pub fn block(&mut self, listen: bool, input: &[&mut [f32]]) -> Option<AssistantTask> {
        let mut task = None;
        if listen != self.listening {
            self.listening = listen;
            self.samples_to_drain = self.drain_interval_samples;
            task = Some(if listen {
                AssistantTask::Start
            } else {
                AssistantTask::Finish
            });
        }
        if self.listening
            && let Some(writer) = self.writer.as_mut()
        {
            let num_samples = input.first().map_or(0, |c| c.len());
            match input {
                [mono] => writer.push(&[&**mono]),
                [left, right, ..] => writer.push(&[&**left, &**right]),
                [] => {}
            }
            self.samples_to_drain -= num_samples as i64;
            if task.is_none() && self.samples_to_drain <= 0 {
                self.samples_to_drain = self.drain_interval_samples;
                task = Some(AssistantTask::Drain);
            }
        }
        task
    }
}

pub mod capture;
pub mod references;
pub mod session;

#[cfg(test)]
mod tests;
