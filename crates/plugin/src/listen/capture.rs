//! The plugin's "Listen" capture: a preallocated, lock-free single-producer/single-consumer
//! ring of stereo audio. The audio thread pushes every block ([`CaptureWriter::push`]: no
//! allocation, no lock, no wait, no panic); a background thread drains it into planar `Vec`s
//! ([`CaptureReader::drain`]) for [`crate::assistant::analysis::analyze_track`]; anyone (the editor, the
//! GUI context) reads the seconds captured ([`CaptureStatus::seconds_captured`]) atomically.
//!
//! Samples are stored as `AtomicU32` bit patterns, so the ring needs no `unsafe`: a relaxed
//! atomic store of a `u32` is a plain move on the platforms we build for. Positions are
//! monotonic frame counters; the producer publishes with a release store of its counter after
//! writing the samples, the consumer acquires it before reading them (and the other way round
//! for the free space), the classic Lamport SPSC queue (L. Lamport, "Specifying concurrent
//! program modules", ACM TOPLAS 5(2), 1983).
//!
//! A capture session: [`CaptureReader::start`] drops whatever is in the ring, marks the
//! current position as the session start and arms the writer; the writer only stores frames
//! while armed; [`CaptureReader::stop`] disarms it. If the consumer falls more than the ring's
//! length behind, the newest frames are dropped (and counted), never the ones being read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Longest capture the ring holds between two drains, seconds. The plugin asks for a drain
/// every 0.25 s (`crate::listen::DRAIN_INTERVAL_S`), so 10 s is forty drains of margin for a
/// busy background thread, at 3.8 MB per instance at 48 kHz (the ring exists from activation
/// on, listening or not).
pub const CAPTURE_SECONDS: f32 = 10.0;

/// State shared by the writer, the reader and the status handles.
#[derive(Debug)]
struct Shared {
    /// Interleaved stereo, `2 * capacity_frames` samples as `f32` bits.
    samples: Box<[AtomicU32]>,
    capacity_frames: u64,
    sample_rate_hz: f32,
    /// Frames ever written (producer-owned).
    write_frames: AtomicU64,
    /// Frames ever read (consumer-owned).
    read_frames: AtomicU64,
    /// `write_frames` when the current session started.
    session_start_frames: AtomicU64,
    /// Frames dropped because the ring was full, this session.
    dropped_frames: AtomicU64,
    armed: AtomicBool,
}

/// Audio-thread side: pushes blocks while a session is armed.
#[derive(Debug)]
pub struct CaptureWriter {
    shared: Arc<Shared>,
}

/// Background side: starts and stops sessions and drains the captured audio.
#[derive(Debug)]
pub struct CaptureReader {
    shared: Arc<Shared>,
}

/// Read-only view for the editor and status displays; cheap to clone.
#[derive(Debug, Clone)]
pub struct CaptureStatus {
    shared: Arc<Shared>,
}

/// Makes a ring for [`CAPTURE_SECONDS`] of stereo at `sample_rate_hz` (allocates: call from
/// `initialize`, never from `process`), disarmed.
pub fn capture_ring(sample_rate_hz: f32) -> (CaptureWriter, CaptureReader, CaptureStatus) {
    capture_ring_with_seconds(sample_rate_hz, CAPTURE_SECONDS)
}

/// [`capture_ring`] holding `seconds` of audio (tests use short rings).
pub fn capture_ring_with_seconds(
    sample_rate_hz: f32,
    seconds: f32,
) -> (CaptureWriter, CaptureReader, CaptureStatus) {
    let rate = if sample_rate_hz.is_finite() {
        sample_rate_hz.max(1.0)
    } else {
        48_000.0
    };
    let capacity_frames = ((seconds.max(0.0) * rate).ceil() as u64).max(1);
    let samples: Box<[AtomicU32]> = (0..2 * capacity_frames)
        .map(|_| AtomicU32::new(0))
        .collect();
    let shared = Arc::new(Shared {
        samples,
        capacity_frames,
        sample_rate_hz: rate,
        write_frames: AtomicU64::new(0),
        read_frames: AtomicU64::new(0),
        session_start_frames: AtomicU64::new(0),
        dropped_frames: AtomicU64::new(0),
        armed: AtomicBool::new(false),
    });
    (
        CaptureWriter {
            shared: Arc::clone(&shared),
        },
        CaptureReader {
            shared: Arc::clone(&shared),
        },
        CaptureStatus { shared },
    )
}

impl CaptureWriter {
    /// Stores one block while a session is armed: `channels` is planar, one slice (mono, stored
    /// as left = right) or two; further channels are ignored, a shorter channel is cut to the
    /// shortest. Real-time safe: atomics only, no allocation, lock, wait or panic.
    pub fn push(&mut self, channels: &[&[f32]]) {
        let s = &*self.shared;
        if !s.armed.load(Ordering::Acquire) {
            return;
        }
        let (left, right) = match channels {
            [] => return,
            [mono] => (*mono, *mono),
            [l, r, ..] => (*l, *r),
        };
        let num_frames = left.len().min(right.len()) as u64;
        let write = s.write_frames.load(Ordering::Relaxed);
        let read = s.read_frames.load(Ordering::Acquire);
        let free = s.capacity_frames.saturating_sub(write.wrapping_sub(read));
        let stored = num_frames.min(free);
        if stored < num_frames {
            s.dropped_frames
                .fetch_add(num_frames - stored, Ordering::Relaxed);
        }
        for (i, (l, r)) in left.iter().zip(right).take(stored as usize).enumerate() {
            let slot = (((write + i as u64) % s.capacity_frames) * 2) as usize;
            if let (Some(a), Some(b)) = (s.samples.get(slot), s.samples.get(slot + 1)) {
                a.store(l.to_bits(), Ordering::Relaxed);
                b.store(r.to_bits(), Ordering::Relaxed);
            }
        }
        s.write_frames.store(write + stored, Ordering::Release);
    }
}

impl CaptureReader {
    /// Starts a session: drops what the ring holds, counts from here, arms the writer.
    pub fn start(&mut self) {
        let s = &*self.shared;
        s.armed.store(false, Ordering::Release);
        let write = s.write_frames.load(Ordering::Acquire);
        s.read_frames.store(write, Ordering::Release);
        s.session_start_frames.store(write, Ordering::Release);
        s.dropped_frames.store(0, Ordering::Relaxed);
        s.armed.store(true, Ordering::Release);
    }

    /// Stops the session: the writer ignores further blocks (what was pushed can still be
    /// drained).
    pub fn stop(&mut self) {
        self.shared.armed.store(false, Ordering::Release);
    }

    /// Moves every frame available now to the end of `out` (left, right) and returns how many
    /// frames it moved. Allocates as the `Vec`s grow: background thread only.
    pub fn drain(&mut self, out: &mut [Vec<f32>; 2]) -> usize {
        let s = &*self.shared;
        let read = s.read_frames.load(Ordering::Relaxed);
        let write = s.write_frames.load(Ordering::Acquire);
        let available = write.wrapping_sub(read).min(s.capacity_frames);
        let [left, right] = out;
        left.reserve(available as usize);
        right.reserve(available as usize);
        for i in 0..available {
            let slot = (((read + i) % s.capacity_frames) * 2) as usize;
            let get = |k: usize| {
                s.samples
                    .get(k)
                    .map_or(0.0, |v| f32::from_bits(v.load(Ordering::Relaxed)))
            };
            left.push(get(slot));
            right.push(get(slot + 1));
        }
        s.read_frames.store(read + available, Ordering::Release);
        available as usize
    }

    /// A status handle for the editor.
    pub fn status(&self) -> CaptureStatus {
        CaptureStatus {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl CaptureStatus {
    /// Seconds captured in the current session (pushed while armed and not dropped).
    pub fn seconds_captured(&self) -> f32 {
        let s = &*self.shared;
        let frames = s
            .write_frames
            .load(Ordering::Acquire)
            .saturating_sub(s.session_start_frames.load(Ordering::Acquire));
        frames as f32 / s.sample_rate_hz
    }

    /// Whether a session is running.
    pub fn is_capturing(&self) -> bool {
        self.shared.armed.load(Ordering::Acquire)
    }

    /// Frames dropped this session because the ring was full (the drainer fell behind).
    pub fn dropped_frames(&self) -> u64 {
        self.shared.dropped_frames.load(Ordering::Relaxed)
    }

    /// Sample rate of the captured audio, Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.shared.sample_rate_hz
    }

    /// Frames the ring holds between two drains.
    pub fn capacity_frames(&self) -> usize {
        self.shared.capacity_frames as usize
    }
}

#[cfg(test)]
mod tests;
