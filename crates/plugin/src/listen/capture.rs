//! The plugin's "Listen" capture: a preallocated, wait-free single-producer/single-consumer
//! ring of stereo frames ([`rtrb`]). The audio thread pushes every block
//! ([`CaptureWriter::push`]: no allocation, no lock, no wait, no panic); a background thread
//! drains it into planar `Vec`s ([`CaptureReader::drain`]) for
//! [`crate::assistant::analysis::analyze_track`]; anyone (the editor, the GUI context) reads the
//! seconds captured ([`CaptureStatus::seconds_captured`]) atomically.
//!
//! The ring is `rtrb`'s (a Lamport SPSC queue with cached indices) holding `[f32; 2]` frames;
//! around it, a few atomics shared by the three handles carry what `rtrb` does not: the
//! session (armed or not, where it started), the frames written and the frames dropped.
//! `rtrb` replaced a hand-written ring of `AtomicU32` bit patterns because it is faster on
//! both sides and keeps every guarantee (`cargo bench -p lacquer --bench capture`, two runs
//! on the loaded 2-core machine): writing a 512-frame stereo block costs 180-270 ns against
//! 0.98-1.66 us hand-written (one chunk copy instead of a modulo and two atomic stores per
//! frame); draining 0.25 s at 48 kHz (24 blocks) costs 15-30 us against 27-38 us; into a full
//! ring (every frame dropped and counted) 15 ns against 14 ns. crossbeam's `ArrayQueue`, which
//! the first design named, is not used: it is a multi-producer/multi-consumer queue with no
//! bulk write or read, so every frame is a compare-and-swap (5.5-10 us a block, 134-218 us a
//! drain), its `force_push` drops the oldest frame rather than the newest, and it cannot
//! empty itself in one step at a session start.
//!
//! A capture session: [`CaptureReader::start`] drops whatever is in the ring, marks the
//! current position as the session start and arms the writer; the writer only stores frames
//! while armed; [`CaptureReader::stop`] disarms it. If the consumer falls more than the ring's
//! length behind, the newest frames are dropped (and counted), never the ones being read.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rtrb::{Consumer, Producer, RingBuffer};

/// Longest capture the ring holds between two drains, seconds. The plugin asks for a drain
/// every 0.25 s (`crate::listen::DRAIN_INTERVAL_S`), so 10 s is forty drains of margin for a
/// busy background thread, at 3.8 MB per instance at 48 kHz (the ring exists from activation
/// on, listening or not).
pub const CAPTURE_SECONDS: f32 = 10.0;

/// State shared by the writer, the reader and the status handles (the ring itself is split
/// between the writer and the reader).
#[derive(Debug)]
struct Shared {
    capacity_frames: usize,
    sample_rate_hz: f32,
    /// Frames ever written (producer-owned).
    write_frames: AtomicU64,
    /// `write_frames` when the current session started.
    session_start_frames: AtomicU64,
    /// Frames dropped because the ring was full, this session.
    dropped_frames: AtomicU64,
    armed: AtomicBool,
}

/// One stereo frame in the ring: left, right.
type Frame = [f32; 2];

/// Audio-thread side: pushes blocks while a session is armed.
#[derive(Debug)]
pub struct CaptureWriter {
    producer: Producer<Frame>,
    shared: Arc<Shared>,
}

/// Background side: starts and stops sessions and drains the captured audio.
#[derive(Debug)]
pub struct CaptureReader {
    consumer: Consumer<Frame>,
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
    let capacity_frames = ((seconds.max(0.0) * rate).ceil() as usize).max(1);
    let (mut producer, mut consumer) = RingBuffer::new(capacity_frames);
    // `rtrb` leaves its buffer uninitialised: write it whole once (zeros) and read it back, so
    // every page is in memory before the audio thread first writes (no page fault there).
    if let Ok(chunk) = producer.write_chunk(capacity_frames) {
        chunk.commit_all();
    }
    if let Ok(chunk) = consumer.read_chunk(capacity_frames) {
        chunk.commit_all();
    }
    let shared = Arc::new(Shared {
        capacity_frames,
        sample_rate_hz: rate,
        write_frames: AtomicU64::new(0),
        session_start_frames: AtomicU64::new(0),
        dropped_frames: AtomicU64::new(0),
        armed: AtomicBool::new(false),
    });
    (
        CaptureWriter {
            producer,
            shared: Arc::clone(&shared),
        },
        CaptureReader {
            consumer,
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
        let num_frames = left.len().min(right.len());
        // The whole block if it fits (the usual case: no load of the reader's position unless
        // the cached one says the ring may be full), else what fits; the rest is dropped.
        let chunk = match self.producer.write_chunk_uninit(num_frames) {
            Ok(chunk) => Some(chunk),
            Err(rtrb::chunks::ChunkError::TooFewSlots(free)) => {
                self.producer.write_chunk_uninit(free).ok()
            }
        };
        let frames = left.iter().zip(right).map(|(l, r)| [*l, *r]);
        let stored = chunk.map_or(0, |chunk| chunk.fill_from_iter(frames));
        if stored < num_frames {
            s.dropped_frames
                .fetch_add((num_frames - stored) as u64, Ordering::Relaxed);
        }
        let write = s.write_frames.load(Ordering::Relaxed);
        s.write_frames
            .store(write + stored as u64, Ordering::Release);
    }
}

impl CaptureReader {
    /// Starts a session: drops what the ring holds, counts from here, arms the writer.
    pub fn start(&mut self) {
        let s = &*self.shared;
        s.armed.store(false, Ordering::Release);
        let held = self.consumer.slots();
        if let Ok(chunk) = self.consumer.read_chunk(held) {
            chunk.commit_all();
        }
        let write = s.write_frames.load(Ordering::Acquire);
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
        let available = self.consumer.slots();
        let Ok(chunk) = self.consumer.read_chunk(available) else {
            return 0;
        };
        let [left, right] = out;
        left.reserve(available);
        right.reserve(available);
        let (first, second) = chunk.as_slices();
        for [l, r] in first.iter().chain(second) {
            left.push(*l);
            right.push(*r);
        }
        chunk.commit_all();
        available
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
        self.shared.capacity_frames
    }
}

#[cfg(test)]
mod tests;
