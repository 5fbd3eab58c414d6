//! Decoding any supported file (WAV 16/24/32f, FLAC, MP3, Ogg Vorbis, AIFF) to planar f32 with
//! symphonia 0.6. Mono and stereo only: the mastering chain is built for those. Shared by the
//! `lacquer` command and the plugin (its reference tracks), so both read a file the same way
//! and say the same thing about one they cannot read; [`reference`](mod@reference) decodes
//! and analyses a reference track.
//!
//! Errors are one-line messages ([`DecodeError`]). The functions that hand the audio to a sink
//! return the sink's own error type, which must take a [`DecodeError`] (`E: From<DecodeError>`),
//! so a caller's sink can fail with its own errors.

use ogg::ogg_file_ends_stream;
use std::cell::Cell;
use std::fs::File;
use std::io::ErrorKind;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::well_known::FORMAT_ID_OGG;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use tags::text_tags;

/// The formats we promise to read, for error messages.
const SUPPORTED: &str = "WAV, FLAC, MP3, Ogg Vorbis or AIFF";

mod ogg;
pub mod reference;
mod tags;

/// Why a file could not be read: one line naming the file and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    message: String,
}

impl DecodeError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DecodeError {}

/// A decoded file: one `Vec` per channel (1 or 2), all the same length, full scale ±1.0.
/// Every sample is finite and none is subnormal (see [`decode_file_with`]).
#[derive(Debug, Clone)]
pub struct DecodedAudio {
    /// Planar samples.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
}

impl DecodedAudio {
    /// The channels as slices, for the analysis.
    pub fn slices(&self) -> Vec<&[f32]> {
        self.channels.iter().map(Vec::as_slice).collect()
    }
}

/// One line for stderr when the file `path` held `n` NaN or infinite samples, else `None`.
pub fn non_finite_warning(n: usize, path: &Path) -> Option<String> {
    (n > 0).then(|| {
        format!(
            "'{}' has {n} sample{} that {} not a finite number (NaN or infinity); {} \
             read as 0 (silence), as the chain's sanitize stage would play {}",
            path.display(),
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" },
            if n == 1 { "it is" } else { "they are" },
            if n == 1 { "it" } else { "them" },
        )
    })
}

/// Refuses a sample `rate` of `path` outside `range` (Hz, inclusive) with one line naming the
/// rate, the range and what to do; `purpose` says what needs the range ("measures" or
/// "masters").
pub fn check_rate(
    rate: u32,
    path: &Path,
    range: (u32, u32),
    purpose: &str,
) -> Result<(), DecodeError> {
    if (range.0..=range.1).contains(&rate) {
        return Ok(());
    }
    Err(DecodeError::new(format!(
        "'{}' has a sample rate of {rate} Hz; lacquer {purpose} {} to {} Hz only, so \
         resample it into that range first",
        path.display(),
        range.0,
        range.1
    )))
}

/// Checks that `path` names a readable, non-empty regular file, with one clear message for
/// each way it can fail. Called before any output is created.
pub fn check_input(path: &Path) -> Result<(), DecodeError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => DecodeError::new(format!("cannot read '{shown}': no such file")),
        ErrorKind::PermissionDenied => {
            DecodeError::new(format!("cannot read '{shown}': permission denied"))
        }
        _ => DecodeError::new(format!("cannot read '{shown}': {e}")),
    })?;
    if meta.is_dir() {
        return Err(DecodeError::new(format!(
            "'{shown}' is a folder; give an audio file ({SUPPORTED})"
        )));
    }
    if meta.len() == 0 {
        return Err(DecodeError::new(format!(
            "'{shown}' is empty (0 bytes); give an audio file ({SUPPORTED})"
        )));
    }
    Ok(())
}

/// Decodes the default audio track of `path` completely; a decode that stops before the length
/// the file declares is an error.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, DecodeError> {
    decode_file_with(path, false)
}

/// Decodes the default audio track of `path` completely. A decode that stops before the length
/// the file declares, or an Ogg file whose stream lacks its end-of-stream page (a damaged or
/// truncated file), is an error, or with `allow_partial` a one-line warning on stderr and the
/// audio that was read. A panic inside the decoder (a third-party bug a malformed file can
/// trigger) is an error naming the file. NaN and infinite samples become 0 (and are counted)
/// and subnormal ones 0, here, once: every meter, FFT and filter after this then sees normal
/// numbers (subnormals slow x86 arithmetic many times over; as audio they lie 600 dB under any
/// noise floor, so zero is exact), and no path (measurement, assistant, chain) can miss the
/// cleaning.
pub fn decode_file_with(path: &Path, allow_partial: bool) -> Result<DecodedAudio, DecodeError> {
    let mut channels: Vec<Vec<f32>> = Vec::new();
    let info = decode_stream::<DecodeError>(path, allow_partial, &mut |block, _| {
        if channels.is_empty() {
            channels = vec![Vec::new(); block.len()];
        }
        for (out, plane) in channels.iter_mut().zip(block) {
            out.extend_from_slice(plane);
        }
        Ok(())
    })?;
    Ok(DecodedAudio {
        channels,
        sample_rate_hz: info.sample_rate_hz,
    })
}

/// Where a streamed decode hands its packets: planar, cleaned, with their rate; it may fail
/// with its own error `E`, which the decode returns.
pub type DecodedSink<'a, E> = dyn FnMut(&[Vec<f32>], u32) -> Result<(), E> + 'a;

/// What a streamed decode found (see [`decode_stream`]).
#[derive(Debug, Clone)]
pub struct StreamInfo {
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Channels (1 or 2).
    pub num_channels: usize,
    /// Frames decoded.
    pub num_frames: usize,
    /// Samples that were NaN or infinite in the file (handed on as 0), over all channels.
    pub non_finite_samples: usize,
    /// The file's common text tags as Vorbis comment fields (`KEY`, value), in file order (see
    /// `vorbis_comment_of` in tags.rs); empty when it has none. Written into a FLAC output.
    pub tags: Vec<(String, String)>,
}

/// Decodes `path` as [`decode_file_with`] does (the same checks, cleaning and errors), handing
/// each decoded packet to `sink` (planar, cleaned, with its rate) instead of keeping it: memory stays at one
/// packet whatever the file's length. The checks on the length come at the end, so `sink` may
/// have seen audio of a file that then turns out to be truncated.
pub fn decode_stream<E: From<DecodeError>>(
    path: &Path,
    allow_partial: bool,
    sink: &mut DecodedSink<'_, E>,
) -> Result<StreamInfo, E> {
    check_input(path)?;
    let shown = path.display();
    let mut non_finite_samples = 0;
    let RawDecode {
        num_channels,
        decoded_frames,
        sample_rate_hz,
        declared_frames,
        verify_ok,
        is_ogg,
        tags,
    } = catch_decoder_panic(path, || {
        read_with_symphonia(path, &mut |block, rate| {
            non_finite_samples += clean(block);
            sink(block, rate)
        })
    })?;
    let rate = f64::from(sample_rate_hz.max(1));
    // Why the decode is partial, if it is: one clause naming how much was read.
    let partial = if let Some(declared) = declared_frames
        && decoded_frames < declared
        && sample_rate_hz > 0
    {
        Some(format!(
            "'{shown}': decoding stopped at {:.1} s of {:.1} s (the file is damaged or truncated)",
            decoded_frames as f64 / rate,
            declared as f64 / rate
        ))
    } else if is_ogg && !ogg_file_ends_stream(path)? {
        // The Ogg reader declares no length for a stream it cannot find the end of, so the
        // check above cannot see a cut-off Ogg file; its last page can.
        Some(format!(
            "'{shown}': the Ogg stream ends without its end-of-stream page after {:.1} s (the \
             file is damaged or truncated)",
            decoded_frames as f64 / rate
        ))
    } else {
        None
    };
    if let Some(what) = partial {
        if !allow_partial {
            return Err(DecodeError::new(format!(
                "{what}; use --allow-partial to go on with what was read"
            ))
            .into());
        }
        if decoded_frames > 0 {
            eprintln!("lacquer: warning: {what}; going on with what was read (--allow-partial)");
        }
    } else if verify_ok == Some(false) {
        return Err(DecodeError::new(format!(
            "'{shown}' failed its integrity check (checksum mismatch); re-export it from the source"
        ))
        .into());
    }
    if decoded_frames == 0 {
        return Err(DecodeError::new(format!("'{shown}' contains no audio samples")).into());
    }
    if sample_rate_hz == 0 {
        return Err(DecodeError::new(format!("'{shown}' does not state its sample rate")).into());
    }
    Ok(StreamInfo {
        sample_rate_hz,
        num_channels,
        num_frames: decoded_frames as usize,
        non_finite_samples,
        tags,
    })
}

/// Decodes `path` again (a file [`decode_stream`] has accepted), handing `sink` the same
/// cleaned packets, in order.
pub fn redecode<E: From<DecodeError>>(path: &Path, sink: &mut DecodedSink<'_, E>) -> Result<(), E> {
    catch_decoder_panic(path, || {
        read_with_symphonia(path, &mut |block, rate| {
            clean(block);
            sink(block, rate)
        })
    })
    .map(|_| ())
}

/// NaN and infinite samples become 0 (counted, the count returned) and subnormal ones 0:
/// every meter, FFT and filter after this then sees normal numbers (subnormals slow x86
/// arithmetic many times over; as audio they lie 600 dB under any noise floor, so zero is
/// exact), and no path (measurement, assistant, chain) can miss the cleaning.
fn clean(block: &mut [Vec<f32>]) -> usize {
    block
        .iter_mut()
        .map(|c| lacquer_core::dsp::sanitize::flush_non_finite_and_subnormal(c))
        .sum()
}

/// What symphonia read from one file, before the checks on its length.
struct RawDecode {
    /// Channels of the decoded packets (0 if none was decoded).
    num_channels: usize,
    /// Frames decoded.
    decoded_frames: u64,
    /// Sample rate, Hz (0 if neither the file nor a decoded packet stated one).
    sample_rate_hz: u32,
    /// The length the container declares, frames, if it declares one.
    declared_frames: Option<u64>,
    /// The decoder's integrity check, if the format has one.
    verify_ok: Option<bool>,
    /// Whether symphonia read the file as Ogg.
    is_ogg: bool,
    /// The common text tags (see [`text_tags`]).
    tags: Vec<(String, String)>,
}

thread_local! {
    /// Whether this thread is inside [`catch_decoder_panic`].
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic on this thread is a decoder's, which `catch_decoder_panic` turns into an
/// error naming the file: the CLI's panic hook then keeps quiet.
pub fn panic_is_a_decoders() -> bool {
    DECODING.get()
}

/// Runs `read` (everything that calls into symphonia for `path`) so that a panic in it becomes
/// an error naming the file instead of the "internal error, this is a bug" of the CLI's panic
/// hook: symphonia 0.6.1 panics on some malformed files (e.g. a u16 overflow in its WAV fmt
/// chunk parser in builds with overflow checks), and that is a damaged file, not a Lacquer bug.
///
/// While `read` runs, a thread-local flag tells the CLI's panic hook (installed once at
/// start-up, see [`panic_is_a_decoders`]) to print nothing for this thread, so no panic report
/// reaches stderr; panics on other threads (a batch decodes several files at once) are
/// reported as usual.
///
/// Fuzz builds (`--cfg fuzzing`, set by cargo-fuzz and the xtask fuzz step) run `read` as is,
/// so the `decode` fuzz target still reports a decoder panic as a crash instead of an error.
#[allow(unexpected_cfgs)]
fn catch_decoder_panic<T, E: From<DecodeError>>(
    path: &Path,
    read: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    if cfg!(fuzzing) {
        return read();
    }
    let outer = DECODING.replace(true);
    // Unwind safety: everything `read` builds is its own and dropped on a panic; nothing it
    // leaves half-changed is used afterwards.
    let result = panic::catch_unwind(AssertUnwindSafe(read));
    DECODING.set(outer);
    result.unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        let failed = match message {
            Some(m) => format!("the decoder failed: {m}"),
            None => "the decoder failed".to_string(),
        };
        Err(DecodeError::new(format!(
            "'{}' is damaged ({failed}); re-export it as {SUPPORTED}",
            path.display()
        ))
        .into())
    })
}

/// Probes and decodes the default audio track of `path` with symphonia (the part of
/// [`decode_file_with`] that calls into it, run under [`catch_decoder_panic`]).
fn read_with_symphonia<E: From<DecodeError>>(
    path: &Path,
    sink: &mut PacketSink<'_, E>,
) -> Result<RawDecode, E> {
    let file = File::open(path)
        .map_err(|e| DecodeError::new(format!("cannot read '{}': {e}", path.display())))?;
    read_source(Box::new(file), path, sink)
}

/// Where decoded packets go: planar, as decoded (the sink may change them in place), with
/// their rate.
type PacketSink<'a, E> = dyn FnMut(&mut [Vec<f32>], u32) -> Result<(), E> + 'a;

/// Decodes an encoded file (the codec check's MP3 or Ogg Vorbis, in a temporary file) block by
/// block, handing `sink` each packet, planar, with its rate. `name` is for messages, and its
/// extension is the format's hint.
pub fn decode_media<E: From<DecodeError>>(
    file: File,
    name: &Path,
    sink: &mut DecodedSink<'_, E>,
) -> Result<(), E> {
    catch_decoder_panic(name, || {
        read_source(Box::new(file), name, &mut |block, rate| sink(block, rate))
    })
    .map(|_| ())
}

/// Decodes everything `source` holds; `path` names it in messages and hints its format.
fn read_source<E: From<DecodeError>>(
    source: Box<dyn symphonia::core::io::MediaSource>,
    path: &Path,
    sink: &mut PacketSink<'_, E>,
) -> Result<RawDecode, E> {
    let shown = path.display();
    let mss = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut format = symphonia::default::get_probe()
        .probe(
            &hint,
            mss,
            FormatOptions::default(),
            MetadataOptions::default(),
        )
        .map_err(|e| match e {
            SymphoniaError::Unsupported(_) => DecodeError::new(format!(
                "'{shown}' is not an audio file lacquer can read; use {SUPPORTED}"
            )),
            other => DecodeError::new(format!(
                "'{shown}' is damaged or truncated ({other}); re-export it as {SUPPORTED}"
            )),
        })?;
    let is_ogg = format.format_info().format == FORMAT_ID_OGG;

    let no_audio = || DecodeError::new(format!("'{shown}' contains no audio track"));
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(no_audio)?;
    let track_id = track.id;
    let declared_frames = track.num_frames;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(no_audio)?
        .clone();
    let tags = text_tags(format.as_mut(), track_id);
    if let Some(count) = params.channels.as_ref().map(|c| c.count()) {
        check_channel_count(path, count)?;
    }
    let mut opts = AudioDecoderOptions::default();
    opts.verify = true;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &opts)
        .map_err(|e| {
            DecodeError::new(format!(
                "'{shown}' uses an audio codec lacquer cannot decode ({e}); use {SUPPORTED}"
            ))
        })?;

    let corrupt = |e: SymphoniaError| {
        DecodeError::new(format!(
            "'{shown}' is damaged or truncated ({e}); re-export it from the source"
        ))
    };
    let mut num_channels = 0;
    let mut decoded_frames = 0u64;
    let mut sample_rate_hz = params.sample_rate.unwrap_or(0);
    let mut scratch: Vec<Vec<f32>> = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // Some readers report the end of a stream as an unexpected end of file (and the Ogg
            // reader a stream cut short; `decode_file_with` checks that case).
            Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::ResetRequired) => {
                return Err(DecodeError::new(format!(
                    "'{shown}' changes its audio format part-way (chained stream); \
                     convert it to a single WAV or FLAC first"
                ))
                .into());
            }
            Err(e) => return Err(corrupt(e).into()),
        };
        if packet.track_id != track_id {
            continue;
        }
        let buffer = decoder.decode(&packet).map_err(corrupt)?;
        if buffer.frames() == 0 {
            continue;
        }
        let spec = buffer.spec();
        let count = spec.channels().count();
        check_channel_count(path, count)?;
        if num_channels == 0 {
            num_channels = count;
            sample_rate_hz = spec.rate();
        } else if count != num_channels || spec.rate() != sample_rate_hz {
            return Err(DecodeError::new(format!(
                "'{shown}' changes channel count or sample rate part-way; \
                 convert it to a single WAV or FLAC first"
            ))
            .into());
        }
        buffer.copy_to_vecs_planar::<f32>(&mut scratch);
        scratch.truncate(count);
        decoded_frames += scratch.first().map_or(0, |c| c.len() as u64);
        sink(&mut scratch, sample_rate_hz)?;
    }
    let verify_ok = decoder.finalize().verify_ok;
    Ok(RawDecode {
        num_channels,
        decoded_frames,
        sample_rate_hz,
        declared_frames,
        verify_ok,
        is_ogg,
        tags,
    })
}

/// Refuses anything but mono or stereo with a message that says what to do.
fn check_channel_count(path: &Path, count: usize) -> Result<(), DecodeError> {
    match count {
        1 | 2 => Ok(()),
        0 => Err(DecodeError::new(format!(
            "'{}' declares no audio channels",
            path.display()
        ))),
        n => Err(DecodeError::new(format!(
            "'{}' has {n} channels; lacquer handles mono and stereo only, so mix it down to \
             stereo first",
            path.display()
        ))),
    }
}
