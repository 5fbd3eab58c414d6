//! The Listen capture ring (`lacquer::listen::capture`, on `rtrb`) against the hand-written
//! ring it replaced (kept below, verbatim, as `handwritten`) and crossbeam's `ArrayQueue`.
//!
//! What matters is the audio thread's cost: `write_512` pushes one 512-frame stereo block
//! into a 10 s ring at 48 kHz (the plugin's size) with room to spare, the ring drained outside
//! the timed part whenever it nears full; `write_512_full` pushes into a full ring (every
//! frame dropped and counted). `drain_0.25s` is the background side: 0.25 s at 48 kHz (what
//! the plugin drains at a time) moved into planar `Vec`s that already have the room, filled
//! outside the timed part. Criterion reports elements per second, one element per frame.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use crossbeam_queue::ArrayQueue;
use lacquer::listen::capture::{CaptureReader, CaptureWriter, capture_ring};
use std::hint::black_box;
use std::time::{Duration, Instant};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 512;
const DRAIN_FRAMES: usize = 12_000;

/// The hand-written Lamport ring of `AtomicU32` bit patterns that `capture.rs` used before
/// `rtrb` (push, start and drain unchanged; the status handle left out).
mod handwritten {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

    struct Shared {
        samples: Box<[AtomicU32]>,
        capacity_frames: u64,
        write_frames: AtomicU64,
        read_frames: AtomicU64,
        session_start_frames: AtomicU64,
        dropped_frames: AtomicU64,
        armed: AtomicBool,
    }

    pub struct CaptureWriter {
        shared: Arc<Shared>,
    }

    pub struct CaptureReader {
        shared: Arc<Shared>,
    }

    pub fn capture_ring(sample_rate_hz: f32, seconds: f32) -> (CaptureWriter, CaptureReader) {
        let capacity_frames = ((seconds.max(0.0) * sample_rate_hz).ceil() as u64).max(1);
        let samples: Box<[AtomicU32]> = (0..2 * capacity_frames)
            .map(|_| AtomicU32::new(0))
            .collect();
        let shared = Arc::new(Shared {
            samples,
            capacity_frames,
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
            CaptureReader { shared },
        )
    }

    impl CaptureWriter {
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
        pub fn start(&mut self) {
            let s = &*self.shared;
            s.armed.store(false, Ordering::Release);
            let write = s.write_frames.load(Ordering::Acquire);
            s.read_frames.store(write, Ordering::Release);
            s.session_start_frames.store(write, Ordering::Release);
            s.dropped_frames.store(0, Ordering::Relaxed);
            s.armed.store(true, Ordering::Release);
        }

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
    }
}

/// crossbeam's bounded MPMC queue used as the capture ring: one `push` per frame, the newest
/// frames dropped (and counted) when full, like the plugin's ring.
struct Crossbeam {
    queue: ArrayQueue<[f32; 2]>,
    dropped: u64,
}

impl Crossbeam {
    fn new() -> Self {
        Self {
            queue: ArrayQueue::new((10.0 * RATE) as usize),
            dropped: 0,
        }
    }

    fn push(&mut self, left: &[f32], right: &[f32]) {
        for (l, r) in left.iter().zip(right) {
            if self.queue.push([*l, *r]).is_err() {
                self.dropped += 1;
            }
        }
    }

    fn drain(&self, out: &mut [Vec<f32>; 2]) -> usize {
        let [left, right] = out;
        let mut n = 0;
        while let Some([l, r]) = self.queue.pop() {
            left.push(l);
            right.push(r);
            n += 1;
        }
        n
    }
}

/// One block of deterministic noise, planar.
fn block() -> [Vec<f32>; 2] {
    let mut seed = 0x2545_f491u32;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed as f32 / u32::MAX as f32) * 2.0 - 1.0
    };
    let left: Vec<f32> = (0..BLOCK).map(|_| noise()).collect();
    let right: Vec<f32> = (0..BLOCK).map(|_| noise()).collect();
    [left, right]
}

/// Times `iters` calls of `push`, calling `drain` (untimed) every `between` pushes.
fn timed_pushes(
    iters: u64,
    between: u64,
    mut push: impl FnMut(),
    mut drain: impl FnMut(),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let batch = between.min(iters - done);
        let start = Instant::now();
        for _ in 0..batch {
            push();
        }
        total += start.elapsed();
        done += batch;
        drain();
    }
    total
}

fn write(c: &mut Criterion) {
    let [l, r] = block();
    // Pushes that fit in the 10 s ring before it must be drained.
    let between = (10.0 * RATE) as u64 / BLOCK as u64 - 1;
    let mut sink = [Vec::new(), Vec::new()];
    let mut group = c.benchmark_group("capture");
    group.throughput(Throughput::Elements(BLOCK as u64));

    group.bench_function("write_512/rtrb", |b| {
        let (mut w, mut rd, _): (CaptureWriter, CaptureReader, _) = capture_ring(RATE);
        rd.start();
        b.iter_custom(|iters| {
            timed_pushes(
                iters,
                between,
                || w.push(black_box(&[&l, &r])),
                || {
                    sink.iter_mut().for_each(Vec::clear);
                    rd.drain(&mut sink);
                },
            )
        });
    });
    group.bench_function("write_512/handwritten", |b| {
        let (mut w, mut rd) = handwritten::capture_ring(RATE, 10.0);
        rd.start();
        b.iter_custom(|iters| {
            timed_pushes(
                iters,
                between,
                || w.push(black_box(&[&l, &r])),
                || {
                    sink.iter_mut().for_each(Vec::clear);
                    rd.drain(&mut sink);
                },
            )
        });
    });
    group.bench_function("write_512/crossbeam_array_queue", |b| {
        let mut q = Crossbeam::new();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let batch = between.min(iters - done);
                let start = Instant::now();
                for _ in 0..batch {
                    q.push(black_box(&l), black_box(&r));
                }
                total += start.elapsed();
                done += batch;
                sink.iter_mut().for_each(Vec::clear);
                q.drain(&mut sink);
            }
            total
        });
    });

    group.bench_function("write_512_full/rtrb", |b| {
        let (mut w, mut rd, _) = capture_ring(RATE);
        rd.start();
        for _ in 0..=between + 1 {
            w.push(&[&l, &r]);
        }
        b.iter(|| w.push(black_box(&[&l, &r])));
    });
    group.bench_function("write_512_full/handwritten", |b| {
        let (mut w, mut rd) = handwritten::capture_ring(RATE, 10.0);
        rd.start();
        for _ in 0..=between + 1 {
            w.push(&[&l, &r]);
        }
        b.iter(|| w.push(black_box(&[&l, &r])));
    });
    group.finish();
}

fn drain(c: &mut Criterion) {
    let [l, r] = block();
    let blocks = DRAIN_FRAMES.div_ceil(BLOCK);
    let mut out = [
        Vec::with_capacity(blocks * BLOCK),
        Vec::with_capacity(blocks * BLOCK),
    ];
    let mut group = c.benchmark_group("capture");
    group.throughput(Throughput::Elements((blocks * BLOCK) as u64));

    group.bench_function("drain_0.25s/rtrb", |b| {
        let (mut w, mut rd, _) = capture_ring(RATE);
        rd.start();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                for _ in 0..blocks {
                    w.push(&[&l, &r]);
                }
                out.iter_mut().for_each(Vec::clear);
                let start = Instant::now();
                black_box(rd.drain(&mut out));
                total += start.elapsed();
            }
            total
        });
    });
    group.bench_function("drain_0.25s/handwritten", |b| {
        let (mut w, mut rd) = handwritten::capture_ring(RATE, 10.0);
        rd.start();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                for _ in 0..blocks {
                    w.push(&[&l, &r]);
                }
                out.iter_mut().for_each(Vec::clear);
                let start = Instant::now();
                black_box(rd.drain(&mut out));
                total += start.elapsed();
            }
            total
        });
    });
    group.bench_function("drain_0.25s/crossbeam_array_queue", |b| {
        let mut q = Crossbeam::new();
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                for _ in 0..blocks {
                    q.push(&l, &r);
                }
                out.iter_mut().for_each(Vec::clear);
                let start = Instant::now();
                black_box(q.drain(&mut out));
                total += start.elapsed();
            }
            total
        });
    });
    group.finish();
}

criterion_group!(benches, write, drain);
criterion_main!(benches);
