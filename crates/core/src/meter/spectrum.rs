//! The spectrum feed: the audio thread hands the editor the most recent [`SPECTRUM_FFT_SIZE`]
//! samples (mono sum) every [`SPECTRUM_HOP_SAMPLES`], through a triple buffer. The FFT itself
//! ([`super::spectrum_analyzer`]) runs on the GUI thread, and the feed does nothing at all
//! while the editor is closed (the `active` flag, from [`super::MeterBus::editor_open`]).
//!
//! Audio side: copy into a preallocated ring, and every hop copy the ring in time order into
//! the triple buffer's back buffer and publish it. No allocation, no lock, no wait: a triple
//! buffer never blocks its writer (the reader always has a buffer of its own).

use triple_buffer::{Input, Output, triple_buffer};

/// Samples per analysis frame: 8192 gives 5.9 Hz bins at 48 kHz, fine enough for 1/6-octave
/// smoothing down to about 60 Hz without interpolation.
pub const SPECTRUM_FFT_SIZE: usize = 8192;

/// Samples between two published frames (75 % overlap): about 23 frames per second at
/// 48 kHz, near a display's refresh rate.
pub const SPECTRUM_HOP_SAMPLES: usize = 2048;

/// One analysis frame: the last [`SPECTRUM_FFT_SIZE`] samples of the mono sum, oldest first.
#[derive(Debug, Clone)]
pub struct SpectrumFrame {
    /// Samples, full scale = 1.0, oldest first; always [`SPECTRUM_FFT_SIZE`] long.
    pub samples: Vec<f32>,
    /// Sample rate the frame was captured at, Hz.
    pub sample_rate_hz: f32,
    /// Count of frames published before this one by the same feed (tells frames apart).
    pub sequence: u64,
}

impl SpectrumFrame {
    fn silent() -> Self {
        Self {
            samples: vec![0.0; SPECTRUM_FFT_SIZE],
            sample_rate_hz: 48_000.0,
            sequence: 0,
        }
    }
}

/// Audio-thread side of one spectrum feed (input or output of the chain).
pub struct SpectrumFeed {
    /// The last [`SPECTRUM_FFT_SIZE`] samples, circular; `write_pos` is the oldest.
    ring: Vec<f32>,
    write_pos: usize,
    /// Samples written since the last publication.
    since_publish_samples: usize,
    /// Samples written since the feed (re)started; a frame is published only once the ring
    /// is full of fresh audio, so reopening the editor never shows minutes-old audio.
    fresh_samples: usize,
    sample_rate_hz: f32,
    num_published: u64,
    input: Input<SpectrumFrame>,
}

/// GUI side of one spectrum feed.
pub struct SpectrumReader {
    output: Output<SpectrumFrame>,
}

impl SpectrumFeed {
    /// A feed and its reader. Allocates (call outside the audio thread).
    pub fn new() -> (SpectrumFeed, SpectrumReader) {
        let (input, output) = triple_buffer(&SpectrumFrame::silent());
        (
            SpectrumFeed {
                ring: vec![0.0; SPECTRUM_FFT_SIZE],
                write_pos: 0,
                since_publish_samples: 0,
                fresh_samples: 0,
                sample_rate_hz: 48_000.0,
                num_published: 0,
                input,
            },
            SpectrumReader { output },
        )
    }

    /// Sets the sample rate stamped on the frames, Hz, and restarts the feed.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        self.sample_rate_hz = sample_rate_hz;
        self.reset();
    }

    /// Forgets the captured audio (no allocation).
    pub fn reset(&mut self) {
        self.ring.fill(0.0);
        self.write_pos = 0;
        self.since_publish_samples = 0;
        self.fresh_samples = 0;
    }

    /// Frames published since creation (for tests and diagnostics).
    pub fn num_published(&self) -> u64 {
        self.num_published
    }

    /// Captures one block (audio thread). `active` false (editor closed) makes this return at
    /// once without touching a sample; the next activation starts from a fresh ring.
    pub fn process<S: AsRef<[f32]>>(&mut self, channels: &[S], active: bool) {
        if !active {
            self.fresh_samples = 0;
            self.since_publish_samples = 0;
            return;
        }
        let num_channels = channels.len();
        if num_channels == 0 {
            return;
        }
        let num_samples = channels.iter().map(|c| c.as_ref().len()).min().unwrap_or(0);
        let scale = 1.0 / num_channels as f32;
        for i in 0..num_samples {
            let mut sum = 0.0;
            for ch in channels {
                // `i < num_samples <= len` for every channel.
                sum += ch.as_ref().get(i).copied().unwrap_or(0.0);
            }
            if let Some(slot) = self.ring.get_mut(self.write_pos) {
                *slot = sum * scale;
            }
            self.write_pos = (self.write_pos + 1) % SPECTRUM_FFT_SIZE;
            self.since_publish_samples += 1;
            self.fresh_samples = self.fresh_samples.saturating_add(1);
            if self.since_publish_samples >= SPECTRUM_HOP_SAMPLES
                && self.fresh_samples >= SPECTRUM_FFT_SIZE
            {
                self.publish();
            }
        }
    }

    fn publish(&mut self) {
        self.since_publish_samples = 0;
        let frame = self.input.input_buffer_mut();
        let (newer, older) = self.ring.split_at(self.write_pos);
        // Oldest first: from the write position to the end, then the start of the ring.
        for (out, &s) in frame.samples.iter_mut().zip(older.iter().chain(newer)) {
            *out = s;
        }
        frame.sample_rate_hz = self.sample_rate_hz;
        frame.sequence = self.num_published;
        self.input.publish();
        self.num_published += 1;
    }
}

impl SpectrumReader {
    /// The newest frame if one arrived since the previous call (GUI thread).
    pub fn take_new(&mut self) -> Option<&SpectrumFrame> {
        if self.output.updated() {
            Some(self.output.read())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ramp_block(start: usize, len: usize) -> Vec<f32> {
        (start..start + len).map(|i| i as f32).collect()
    }

    #[test]
    fn idle_while_the_editor_is_closed() {
        let (mut feed, mut reader) = SpectrumFeed::new();
        let block = vec![vec![0.5f32; 512]; 2];
        for _ in 0..1000 {
            feed.process(&block, false);
        }
        assert_eq!(feed.num_published(), 0);
        assert!(reader.take_new().is_none());
    }

    #[test]
    fn publishes_the_latest_samples_in_order_once_open() {
        let (mut feed, mut reader) = SpectrumFeed::new();
        // Closed for a while, then open: frames appear only after a full ring of fresh audio.
        let mut t = 0;
        for _ in 0..10 {
            feed.process(&[ramp_block(t, 100)], false);
            t += 100;
        }
        let mut n = 0;
        while feed.num_published() == 0 {
            feed.process(&[ramp_block(t, 100)], true);
            t += 100;
            n += 100;
        }
        assert!((SPECTRUM_FFT_SIZE..SPECTRUM_FFT_SIZE + 100).contains(&n));
        let frame = reader.take_new().expect("a frame");
        // The frame holds the most recent samples, oldest first, ending at the last sample
        // of the block that completed it (within that block).
        let last = frame.samples[SPECTRUM_FFT_SIZE - 1] as usize;
        assert!(last < t && last >= t - 100, "last {last}, t {t}");
        for w in frame.samples.windows(2) {
            assert_eq!(w[1] - w[0], 1.0);
        }
        assert!(
            reader.take_new().is_none(),
            "no new frame without new audio"
        );
        // Further frames every hop.
        let before = feed.num_published();
        for _ in 0..SPECTRUM_HOP_SAMPLES * 4 / 64 {
            feed.process(&[ramp_block(t, 64)], true);
            t += 64;
        }
        assert_eq!(feed.num_published() - before, 4);
    }

    #[test]
    fn mixes_channels_to_mono() {
        let (mut feed, mut reader) = SpectrumFeed::new();
        let block = [vec![1.0f32; 256], vec![0.0f32; 256]];
        for _ in 0..SPECTRUM_FFT_SIZE / 256 {
            feed.process(&block, true);
        }
        let frame = reader.take_new().expect("a frame");
        assert!(frame.samples.iter().all(|&s| s == 0.5));
    }
}
