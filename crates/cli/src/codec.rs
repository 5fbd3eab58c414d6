//! The codec check: what the streaming services' lossy encoders do to a master's true peak.
//!
//! A lossy codec removes and smears content, and the decoded waveform can peak higher than the
//! master it was made from (the reason a -1 dBTP ceiling exists at all). The check encodes the
//! master the way the services deliver it (into anonymous temporary files, as it is written),
//! decodes it again with the same decoder `lacquer` reads files with, and measures the decoded
//! signal's true peak with the same meter as the master's:
//!
//! - MP3, 320 kb/s CBR (LAME 3.100, `-q 2`), the stores' and many services' download and
//!   stream format; a master at 32, 44.1 or 48 kHz is encoded at its rate, any other at
//!   44.1 kHz (LAME's own resampler, as the services resample);
//! - Ogg Vorbis at quality 5 (libvorbis, aoTuV; about 160 kb/s for 44.1 kHz stereo, Spotify's
//!   "high" stream), at the master's rate.
//!
//! The two are encoded on two threads, block by block as the master is rendered, so memory
//! does not grow with its length. `--codec-safe` lowers the ceiling until the worst codec
//! stays under [`CODEC_SAFE_DBTP`] (see `master`).

use super::decode::decode_media;
use lacquer_core::meter::peak::TruePeakMeter;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::num::{NonZeroU8, NonZeroU32};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Where `--codec-safe` keeps every codec's decoded true peak, dBTP.
pub const CODEC_SAFE_DBTP: f64 = -0.1;

/// A decoded codec peak above this, dBTP, gets a warning: it clips in a fixed-point player.
pub const CODEC_WARNING_DBTP: f64 = 0.0;

/// One codec's figure.
#[derive(Debug, Clone, PartialEq)]
pub struct CodecPeak {
    /// The codec and its rate, e.g. "MP3 320 kb/s".
    pub codec: &'static str,
    /// True peak of the decoded signal, dBTP; `Err` says why it was not measured.
    pub true_peak_dbtp: Result<f64, String>,
}

/// The codecs, by name.
const MP3: &str = "MP3 320 kb/s";
const VORBIS: &str = "Ogg Vorbis q5";

/// Encodes `channels` (planar, -1..1) at `sample_rate_hz` with each codec, decodes and
/// measures the true peak. Never fails as a whole: a codec that cannot run says why. (`master`
/// feeds a [`CodecCheck`] as it writes; this is the same for a buffer, for the tests.)
#[cfg(test)]
pub fn check(channels: &[Vec<f32>], sample_rate_hz: u32) -> Vec<CodecPeak> {
    let mut check = CodecCheck::start(channels.len(), sample_rate_hz);
    let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
    check.push(&slices);
    check.finish()
}

/// Frames handed to the encoders at a time.
const CHUNK_FRAMES: usize = 8192;

/// Chunks that may wait for an encoder (bounds the memory when one lags behind).
const QUEUE_CHUNKS: usize = 16;

/// A chunk of planar audio shared by the encoders' threads.
type Chunk = Arc<Vec<Vec<f32>>>;

/// [`check`] for a master that arrives block by block: each codec encodes on its own thread
/// into an anonymous temporary file as the blocks come, and [`Self::finish`] decodes the files
/// block by block, so memory does not grow with the master's length.
pub struct CodecCheck {
    senders: Vec<SyncSender<Chunk>>,
    threads: Vec<(&'static str, JoinHandle<Result<f64, String>>)>,
    pending: Vec<Vec<f32>>,
}

impl std::fmt::Debug for CodecCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodecCheck").finish_non_exhaustive()
    }
}

impl CodecCheck {
    /// Starts both codecs for `num_channels` at `sample_rate_hz`.
    pub fn start(num_channels: usize, sample_rate_hz: u32) -> Self {
        let mut senders = Vec::new();
        let mut threads = Vec::new();
        for (codec, name) in [(MP3, "check.mp3"), (VORBIS, "check.ogg")] {
            let (tx, rx) = sync_channel::<Chunk>(QUEUE_CHUNKS);
            let thread = std::thread::spawn(move || {
                encode_and_measure(codec, name, num_channels, sample_rate_hz, &rx)
            });
            senders.push(tx);
            threads.push((codec, thread));
        }
        Self {
            senders,
            threads,
            pending: vec![Vec::with_capacity(CHUNK_FRAMES); num_channels],
        }
    }

    /// Hands the next planar block of the master to the codecs.
    pub fn push(&mut self, block: &[&[f32]]) {
        let frames = block.first().map_or(0, |c| c.len());
        let mut offset = 0;
        while offset < frames {
            let filled = self.pending.first().map_or(0, Vec::len);
            let take = (CHUNK_FRAMES - filled).min(frames - offset);
            for (p, c) in self.pending.iter_mut().zip(block) {
                p.extend_from_slice(&c[offset..offset + take]);
            }
            offset += take;
            if filled + take == CHUNK_FRAMES {
                self.send();
            }
        }
    }

    fn send(&mut self) {
        let fresh = vec![Vec::with_capacity(CHUNK_FRAMES); self.pending.len()];
        let chunk: Chunk = Arc::new(std::mem::replace(&mut self.pending, fresh));
        for tx in &self.senders {
            // A codec that failed has dropped its receiver; its thread reports why.
            let _ = tx.send(Arc::clone(&chunk));
        }
    }

    /// Ends the master, waits for the codecs and measures their decodes.
    pub fn finish(mut self) -> Vec<CodecPeak> {
        if self.pending.first().is_some_and(|p| !p.is_empty()) {
            self.send();
        }
        self.senders.clear();
        self.threads
            .into_iter()
            .map(|(codec, thread)| CodecPeak {
                codec,
                true_peak_dbtp: thread
                    .join()
                    .unwrap_or_else(|_| Err("the encoder failed".to_string())),
            })
            .collect()
    }
}

/// One codec's thread: encodes the chunks from `rx` into a temporary file, then decodes it
/// (`name` gives the decoder its format hint) and measures the true peak.
fn encode_and_measure(
    codec: &str,
    name: &str,
    num_channels: usize,
    sample_rate_hz: u32,
    rx: &Receiver<Chunk>,
) -> Result<f64, String> {
    let io = |e: std::io::Error| format!("cannot write the {codec} check's temporary file: {e}");
    let mut file = tempfile::tempfile().map_err(io)?;
    {
        let sink = BufWriter::new(&mut file);
        if codec == MP3 {
            encode_mp3(rx, num_channels, sample_rate_hz, sink)?;
        } else {
            encode_vorbis(rx, num_channels, sample_rate_hz, sink)?;
        }
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut meter: Option<TruePeakMeter> = None;
    let mut error = None;
    decode_media(file, Path::new(name), &mut |block, rate| {
        let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
        if meter.is_none() {
            meter = match TruePeakMeter::new(slices.len(), rate) {
                Ok(m) => Some(m),
                Err(e) => {
                    error = Some(format!("cannot measure: {e}"));
                    return Err(super::CliError::new("cannot measure"));
                }
            };
        }
        if let Some(m) = meter.as_mut()
            && let Err(e) = m.push(&slices)
        {
            error = Some(format!("cannot measure: {e}"));
            return Err(super::CliError::new("cannot measure"));
        }
        Ok(())
    })
    .map_err(|e| error.take().unwrap_or_else(|| e.to_string()))?;
    let peak = match meter {
        Some(m) => m.finish().map_err(|e| format!("cannot measure: {e}"))?,
        None => None,
    };
    Ok(peak.unwrap_or(f64::NEG_INFINITY))
}

/// The highest measured codec peak, dBTP, if any codec was measured.
pub fn worst_dbtp(peaks: &[CodecPeak]) -> Option<f64> {
    peaks
        .iter()
        .filter_map(|p| p.true_peak_dbtp.as_ref().ok().copied())
        .reduce(f64::max)
}

/// MP3 at 320 kb/s, LAME quality 2, of the chunks from `rx`, into `sink`.
fn encode_mp3(
    rx: &Receiver<Chunk>,
    num_channels: usize,
    sample_rate_hz: u32,
    mut sink: impl Write,
) -> Result<(), String> {
    use mp3lame_encoder::{Bitrate, Builder, DualPcm, FlushNoGap, MonoPcm, Quality};
    let fail = |what: &str| format!("the MP3 encoder {what}");
    let mut builder = Builder::new().ok_or_else(|| fail("could not start"))?;
    builder
        .set_num_channels(num_channels as u8)
        .map_err(|e| fail(&format!("refused the channels ({e})")))?;
    builder
        .set_sample_rate(sample_rate_hz)
        .map_err(|e| fail(&format!("refused {sample_rate_hz} Hz ({e})")))?;
    if ![32_000, 44_100, 48_000].contains(&sample_rate_hz) {
        builder
            .set_output_sample_rate(NonZeroU32::new(44_100))
            .map_err(|e| fail(&format!("cannot resample ({e})")))?;
    }
    builder
        .set_brate(Bitrate::Kbps320)
        .map_err(|e| fail(&format!("refused 320 kb/s ({e})")))?;
    builder
        .set_quality(Quality::NearBest)
        .map_err(|e| fail(&format!("refused the quality ({e})")))?;
    let mut encoder = builder
        .build()
        .map_err(|e| fail(&format!("could not start ({e})")))?;
    let written = |e: std::io::Error| fail(&format!("could not write ({e})"));
    // LAME's output for a chunk grows with its resampling ratio (up to 44.1 kHz from 8 kHz).
    let room = mp3lame_encoder::max_required_buffer_size(CHUNK_FRAMES * 6);
    let mut out = Vec::new();
    for chunk in rx {
        out.clear();
        out.reserve(room);
        match chunk.as_slice() {
            [mono] => encoder.encode_to_vec(MonoPcm(mono), &mut out),
            [left, right] => encoder.encode_to_vec(DualPcm { left, right }, &mut out),
            _ => return Err("the codec check takes mono or stereo".into()),
        }
        .map_err(|e| fail(&format!("failed ({e})")))?;
        sink.write_all(&out).map_err(written)?;
    }
    out.clear();
    out.reserve(7200);
    encoder
        .flush_to_vec::<FlushNoGap>(&mut out)
        .map_err(|e| fail(&format!("failed at the end ({e})")))?;
    sink.write_all(&out).map_err(written)?;
    sink.flush().map_err(written)
}

/// Frames the Vorbis encoder analyses per call.
const VORBIS_BLOCK_FRAMES: usize = 4096;

/// Ogg Vorbis at quality 5 of the chunks from `rx`, into `sink`.
fn encode_vorbis(
    rx: &Receiver<Chunk>,
    num_channels: usize,
    sample_rate_hz: u32,
    sink: impl Write,
) -> Result<(), String> {
    use vorbis_rs::{VorbisBitrateManagementStrategy, VorbisEncoderBuilder};
    let fail = |e: vorbis_rs::VorbisError| format!("the Ogg Vorbis encoder failed ({e})");
    let rate = NonZeroU32::new(sample_rate_hz).ok_or("no sample rate")?;
    let count = NonZeroU8::new(num_channels as u8).ok_or("no channels")?;
    let mut builder = VorbisEncoderBuilder::new_with_serial(rate, count, sink, 1);
    // Quality 5 (0.5 here), about 160 kb/s for 44.1 kHz stereo: a quality, not a bitrate, so
    // that every rate and channel count has a mode (libvorbis has no 160 kb/s at 22 kHz mono).
    builder.bitrate_management_strategy(VorbisBitrateManagementStrategy::QualityVbr {
        target_quality: 0.5,
    });
    let mut encoder = builder.build().map_err(fail)?;
    for chunk in rx {
        let frames = chunk.first().map_or(0, Vec::len);
        let mut start = 0;
        while start < frames {
            let end = (start + VORBIS_BLOCK_FRAMES).min(frames);
            let block: Vec<&[f32]> = chunk.iter().map(|c| &c[start..end]).collect();
            encoder.encode_audio_block(&block).map_err(fail)?;
            start = end;
        }
    }
    let mut sink = encoder.finish().map_err(fail)?;
    sink.flush()
        .map_err(|e| format!("the Ogg Vorbis encoder could not write ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A square wave at 0.9 of full scale: its decoded peaks overshoot (Gibbs ringing of the
    /// band-limited codec), while silence stays silent.
    #[test]
    fn a_full_scale_square_overshoots_after_both_codecs() {
        let rate = 44_100;
        let square: Vec<f32> = (0..rate * 2)
            .map(|i| if (i / 50) % 2 == 0 { 0.9 } else { -0.9 })
            .collect();
        let master_dbtp = 20.0 * 0.9f64.log10();
        let peaks = check(&[square.clone(), square], rate as u32);
        assert_eq!(peaks.len(), 2);
        for p in &peaks {
            let got = p.true_peak_dbtp.clone().unwrap();
            assert!(
                got > master_dbtp + 0.5,
                "{}: decoded peak {got:.2} dBTP, master sample peak {master_dbtp:.2}",
                p.codec
            );
        }
        assert_eq!(
            worst_dbtp(&peaks),
            peaks
                .iter()
                .map(|p| *p.true_peak_dbtp.as_ref().unwrap())
                .reduce(f64::max)
        );
    }

    #[test]
    fn other_rates_are_measured_too() {
        for rate in [22_050u32, 96_000] {
            let tone: Vec<f32> = (0..rate)
                .map(|i| 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / rate as f32).sin())
                .collect();
            for p in check(std::slice::from_ref(&tone), rate) {
                let got = p.true_peak_dbtp.clone();
                // A 1 kHz sine at -6 dBFS decodes within about 1 dB of itself.
                assert!(
                    got.as_ref().is_ok_and(|db| (db + 6.02).abs() < 1.0),
                    "{} at {rate} Hz: {got:?}",
                    p.codec
                );
            }
        }
    }
}
