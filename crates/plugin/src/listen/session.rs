//! The plugin's Listen session: the state between "Listen" and "Accept"/"Cancel", shared by
//! the audio thread (which only reads [`ListenSession::phase`], an atomic), the background
//! task executor (which drains the capture ring and runs the analysis: [`ListenSession::start`],
//! [`ListenSession::drain`], [`ListenSession::finish`]) and the editor (which reads
//! [`ListenSession::status`] and takes the [`Proposal`] to apply it through the host).
//!
//! Capture runs while Listen is on, up to [`MAX_LISTEN_SECONDS`]; turning Listen off (or
//! reaching the maximum) analyses what was heard with the same functions `lacquer master`
//! uses: [`analyze_track`], the automatic family blend, [`decide_with`], the Drive search with the
//! real chain on the captured audio ([`solve_loudness`]) and [`apply`]. The result is a
//! proposal of chain settings plus the explanations; applying it, accepting it and cancelling
//! it are the plugin's business (it owns the host's parameters), recorded here with
//! [`ListenSession::take_proposal`], [`ListenSession::accepted`] and
//! [`ListenSession::cancelled`].
//!
//! Locks: every `Mutex` here is taken only off the audio thread (background executor, GUI).

use crate::assistant::analysis::analyze_track;
use crate::assistant::decide::{Amounts, Goal, Problem, apply, decide_with, solve_loudness};
use crate::assistant::explain::explain;
use crate::assistant::loudness::TargetOutcome;
use crate::assistant::targets::family_target;
use crate::chain::ChainSettings;
use crate::listen::capture::{CaptureReader, CaptureStatus};
use crate::listen::references::{self, SavedReference};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// Shortest capture the assistant decides from, seconds (a few 3 s analysis windows).
pub const MIN_LISTEN_SECONDS: f32 = 6.0;
/// Capture the analysis is designed for, seconds (Ozone asks for the loudest 30 s too): less is
/// analysed, with a note in the status.
pub const RECOMMENDED_LISTEN_SECONDS: f32 = 30.0;
/// Longest capture kept, seconds; listening stops by itself there (a whole song's chorus and
/// verse fit; 3 min of stereo at 48 kHz is 69 MB).
pub const MAX_LISTEN_SECONDS: f32 = 180.0;

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum ListenPhase {
    /// Nothing running (also after Accept or Cancel).
    #[default]
    Idle = 0,
    /// Capturing the input.
    Listening = 1,
    /// Analysing and deciding on the background thread.
    Analysing = 2,
    /// A proposal is ready to be applied to the parameters.
    Proposed = 3,
    /// The proposal is applied; Accept keeps it, Cancel restores the settings before it.
    Applied = 4,
    /// The last Listen gave no proposal (see the status message).
    Failed = 5,
}

impl ListenPhase {
    fn from_u8(value: u8) -> Self {
        match value {
            1 => Self::Listening,
            2 => Self::Analysing,
            3 => Self::Proposed,
            4 => Self::Applied,
            5 => Self::Failed,
            _ => Self::Idle,
        }
    }
}

/// What the editor shows about the session (the phase is the session's atomic, copied in by
/// [`ListenSession::status`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListenStatus {
    /// Where the session is.
    pub phase: ListenPhase,
    /// Seconds of input captured this session.
    pub seconds_captured: f32,
    /// Progress of the analysis, 0..1 (1 once a proposal is ready).
    pub progress: f32,
    /// Family blend of the detected genre family, weights summing to 1 (empty when
    /// references set the target).
    pub family_weights: Vec<(String, f32)>,
    /// The references the target was made from, with their shares (summing to 1); empty
    /// for a family target.
    pub references: Vec<(String, f32)>,
    /// One sentence per decision, with its numbers.
    pub explanations: Vec<String>,
    /// One line on what happened last (an error, a note on the capture, Accept/Cancel).
    pub message: String,
}

/// The assistant's proposal from one Listen.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// The chain settings decided (on top of the settings the user had), Drive solved.
    pub settings: ChainSettings,
    /// Loudness goal the Drive was solved for.
    pub goal: Goal,
    /// Integrated loudness of the captured audio rendered with `settings`, LUFS.
    pub rendered_lufs: Option<f32>,
    /// How the Drive search ended.
    pub outcome: TargetOutcome,
    /// Family blend the target came from (empty with references).
    pub family_weights: Vec<(String, f32)>,
    /// The references the target came from, with their shares (empty for a family target).
    pub references: Vec<(String, f32)>,
    /// One sentence per decision (with references, the first says the target is theirs).
    pub explanations: Vec<String>,
}

/// What the analysis needs besides the captured audio, read from the parameters when Listen
/// stops.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalInputs {
    /// The settings the user has now (expert settings the assistant keeps).
    pub base: ChainSettings,
    /// Loudness goal (target and ceiling from Platform/Target Loudness/Ceiling).
    pub goal: Goal,
    /// Amount per dimension, percent.
    pub amounts: Amounts,
    /// Range of the Drive parameter, dB.
    pub drive_range_db: (f32, f32),
    /// Most limiting the Drive search may ask for, dB.
    pub max_gain_reduction_db: f32,
    /// Family to compare with (a profile name), or `None` for the automatic blend; unused
    /// while a reference has a weight.
    pub family: Option<&'static str>,
    /// The project's reference tracks (their saved analyses): with any weighted above 0 they
    /// make the target instead of the family.
    pub references: Vec<SavedReference>,
    /// Problems the listener names on the Assistant page (mud, harshness, ...): each is
    /// located and sized in the capture and corrected (see `decide_with`).
    pub named: Vec<Problem>,
}

/// Runs the assistant on captured audio (planar stereo at `sample_rate_hz`): analysis, the
/// target (the references' when any is weighted, else the family's: the automatic blend
/// unless `inputs.family` names one), decisions, the Drive search with the real chain,
/// explanations.
/// `progress` is called with 0..1 as the steps finish. Allocates; background thread only.
pub fn propose(
    audio: &[Vec<f32>],
    sample_rate_hz: f32,
    inputs: &ProposalInputs,
    mut progress: impl FnMut(f32),
) -> Result<Proposal, String> {
    let slices: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
    let features = analyze_track(&slices, sample_rate_hz);
    progress(0.3);
    if features.integrated_lufs.is_none() {
        return Err("the captured audio is silent: play the song while Listen is on".into());
    }
    let (target, weights) = match references::reference_target(&inputs.references) {
        Some(target) => (target, Vec::new()),
        None => family_target(&features, inputs.family)?,
    };
    let used_references = references::shares(&inputs.references);
    let mut decision = decide_with(&features, &target, &inputs.goal, &inputs.named);
    progress(0.4);
    let solution = solve_loudness(
        &mut decision,
        &features,
        &slices,
        sample_rate_hz.round() as u32,
        inputs.amounts,
        &inputs.base,
        inputs.drive_range_db,
        inputs.max_gain_reduction_db,
    )
    .map_err(|e| format!("cannot measure a trial render: {e}"))?;
    progress(1.0);
    let settings = apply(&decision, inputs.amounts, &inputs.base);
    let mut explanations = explain(&decision, &settings);
    if !used_references.is_empty() {
        explanations.insert(
            0,
            references::target_sentence(&inputs.references, inputs.goal.target_lufs),
        );
    }
    Ok(Proposal {
        settings,
        goal: inputs.goal,
        rendered_lufs: solution.measurement.integrated_lufs,
        outcome: solution.outcome,
        family_weights: weights,
        references: used_references,
        explanations,
    })
}

/// A capture kept after its proposal (planar stereo) and its rate, Hz.
type KeptCapture = (Arc<[Vec<f32>; 2]>, f32);

/// The session, shared (in an `Arc`) by the plugin, its background tasks and the editor.
#[derive(Debug, Default)]
pub struct ListenSession {
    phase: AtomicU8,
    ring: Mutex<Option<(CaptureReader, CaptureStatus)>>,
    audio: Mutex<[Vec<f32>; 2]>,
    status: Mutex<ListenStatus>,
    proposal: Mutex<Option<Proposal>>,
    /// The last capture that gave a proposal and its rate, kept so a named problem can be
    /// decided again without another Listen ([`ListenSession::redecide`]).
    last_capture: Mutex<Option<KeptCapture>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl ListenSession {
    /// Where the session is (lock-free: the audio thread reads this).
    pub fn phase(&self) -> ListenPhase {
        ListenPhase::from_u8(self.phase.load(Ordering::Acquire))
    }

    fn set_phase(&self, phase: ListenPhase) {
        self.phase.store(phase as u8, Ordering::Release);
    }

    /// Installs the reading end of a new capture ring (at activation: the rate may have
    /// changed). A capture in progress ends without a proposal.
    pub fn install(&self, reader: CaptureReader, status: CaptureStatus) {
        *lock(&self.ring) = Some((reader, status));
        if self.phase() == ListenPhase::Listening {
            lock(&self.status).message =
                "Listening stopped: the host restarted the plugin (sample rate or layout)".into();
            self.set_phase(ListenPhase::Idle);
        }
    }

    /// Starts listening: empties the capture, arms the ring. A proposal not yet accepted is
    /// kept applied (Listen again re-decides from the new capture).
    pub fn start(&self) {
        let mut ring = lock(&self.ring);
        let Some((reader, _)) = ring.as_mut() else {
            return;
        };
        let mut audio = lock(&self.audio);
        for channel in audio.iter_mut() {
            channel.clear();
        }
        *lock(&self.last_capture) = None;
        reader.start();
        {
            let mut status = lock(&self.status);
            status.seconds_captured = 0.0;
            status.progress = 0.0;
            status.message.clear();
        }
        self.set_phase(ListenPhase::Listening);
    }

    /// Moves what the ring holds into the session's capture; stops the capture at
    /// [`MAX_LISTEN_SECONDS`]. Returns true if it stopped there.
    pub fn drain(&self) -> bool {
        if self.phase() != ListenPhase::Listening {
            return false;
        }
        let mut ring = lock(&self.ring);
        let Some((reader, status)) = ring.as_mut() else {
            return false;
        };
        let mut audio = lock(&self.audio);
        reader.drain(&mut audio);
        let rate = status.sample_rate_hz();
        let max_frames = (MAX_LISTEN_SECONDS * rate) as usize;
        let full = audio[0].len() >= max_frames;
        if full {
            reader.stop();
            for channel in audio.iter_mut() {
                channel.truncate(max_frames);
            }
        }
        lock(&self.status).seconds_captured = audio[0].len() as f32 / rate;
        full
    }

    /// Stops listening and runs the analysis on what was captured (background thread; takes
    /// about a second per minute captured). Does nothing unless listening.
    pub fn finish(&self, inputs: &ProposalInputs) {
        if self.phase() != ListenPhase::Listening {
            return;
        }
        let rate = {
            let mut ring = lock(&self.ring);
            let Some((reader, status)) = ring.as_mut() else {
                return;
            };
            reader.stop();
            status.sample_rate_hz()
        };
        // The stop has been published: whatever the writer stored before it is in the ring.
        self.drain_all();
        let audio = std::mem::take(&mut *lock(&self.audio));
        let seconds = audio[0].len() as f32 / rate;
        {
            let mut status = lock(&self.status);
            status.seconds_captured = seconds;
            status.progress = 0.05;
        }
        if seconds < MIN_LISTEN_SECONDS {
            lock(&self.status).message = format!(
                "Only {seconds:.1} s heard: Listen for at least {MIN_LISTEN_SECONDS:.0} s \
                 ({RECOMMENDED_LISTEN_SECONDS:.0} s of the loudest part is best)"
            );
            self.set_phase(ListenPhase::Failed);
            return;
        }
        self.set_phase(ListenPhase::Analysing);
        let result = propose(&audio, rate, inputs, |p| lock(&self.status).progress = p);
        if result.is_ok() {
            *lock(&self.last_capture) = Some((Arc::new(audio), rate));
        }
        self.conclude(result);
    }

    /// Decides again on the last capture with new `inputs` (background thread): what the
    /// Assistant page's problem buttons do after a Listen. Returns false (and does nothing)
    /// while listening or analysing, or when no capture has given a proposal yet.
    pub fn redecide(&self, inputs: &ProposalInputs) -> bool {
        if matches!(
            self.phase(),
            ListenPhase::Listening | ListenPhase::Analysing | ListenPhase::Proposed
        ) {
            return false;
        }
        // The capture is shared, not locked, while it is analysed: the editor asks
        // `can_redecide` every frame.
        let Some((audio, rate)) = lock(&self.last_capture).clone() else {
            return false;
        };
        lock(&self.status).progress = 0.05;
        self.set_phase(ListenPhase::Analysing);
        let result = propose(&audio[..], rate, inputs, |p| {
            lock(&self.status).progress = p
        });
        self.conclude(result);
        true
    }

    /// True when a capture is kept for [`Self::redecide`].
    pub fn can_redecide(&self) -> bool {
        lock(&self.last_capture).is_some()
    }

    /// Publishes the outcome of an analysis: the proposal and its explanations, or why none.
    fn conclude(&self, result: Result<Proposal, String>) {
        let seconds = lock(&self.status).seconds_captured;
        match result {
            Ok(proposal) => {
                let note = outcome_note(&proposal, seconds);
                {
                    let mut status = lock(&self.status);
                    status.family_weights = proposal.family_weights.clone();
                    status.references = proposal.references.clone();
                    status.explanations = proposal.explanations.clone();
                    status.message = note;
                    status.progress = 1.0;
                }
                *lock(&self.proposal) = Some(proposal);
                self.set_phase(ListenPhase::Proposed);
            }
            Err(why) => {
                lock(&self.status).message = why;
                self.set_phase(ListenPhase::Failed);
            }
        }
    }

    fn drain_all(&self) {
        let mut ring = lock(&self.ring);
        if let Some((reader, _)) = ring.as_mut() {
            let mut audio = lock(&self.audio);
            while reader.drain(&mut audio) > 0 {}
        }
    }

    /// The status for the editor, with the seconds captured live while listening.
    pub fn status(&self) -> ListenStatus {
        let mut status = lock(&self.status).clone();
        status.phase = self.phase();
        if status.phase == ListenPhase::Listening
            && let Some((_, capture)) = lock(&self.ring).as_ref()
        {
            status.seconds_captured = capture.seconds_captured().min(MAX_LISTEN_SECONDS);
        }
        status
    }

    /// Takes the ready proposal to apply it; the session is then [`ListenPhase::Applied`].
    pub fn take_proposal(&self) -> Option<Proposal> {
        if self.phase() != ListenPhase::Proposed {
            return None;
        }
        let proposal = lock(&self.proposal).take();
        if proposal.is_some() {
            self.set_phase(ListenPhase::Applied);
        }
        proposal
    }

    /// The applied proposal was accepted.
    pub fn accepted(&self) {
        lock(&self.status).message = "Accepted: the assistant's settings stay".into();
        self.set_phase(ListenPhase::Idle);
    }

    /// The applied proposal was cancelled (the plugin restored the settings before it).
    pub fn cancelled(&self) {
        lock(&self.status).message = "Cancelled: the settings from before Listen are back".into();
        self.set_phase(ListenPhase::Idle);
    }
}

/// The status line for a finished proposal.
fn outcome_note(proposal: &Proposal, seconds: f32) -> String {
    let heard = if seconds < RECOMMENDED_LISTEN_SECONDS {
        format!(" (decided from {seconds:.0} s; {RECOMMENDED_LISTEN_SECONDS:.0} s is best)")
    } else {
        format!(" (decided from {seconds:.0} s)")
    };
    let lufs = proposal
        .rendered_lufs
        .map_or("-".to_string(), |l| format!("{l:.1} LUFS"));
    let target = proposal.goal.target_lufs;
    let reached = match proposal.outcome {
        TargetOutcome::Reached => format!("{lufs} for the {target:.1} LUFS goal"),
        TargetOutcome::LimitedByGainReduction => {
            format!("{lufs}: the {target:.1} LUFS goal would need more limiting than allowed")
        }
        TargetOutcome::LimitedByDriveRange => {
            format!("{lufs}: the {target:.1} LUFS goal is outside the Drive range")
        }
        TargetOutcome::Silent => "silent input".to_string(),
    };
    format!("Proposal ready: {reached}{heard}")
}

#[cfg(test)]
pub(crate) mod tests;
