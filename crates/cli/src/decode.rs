//! Decoding any supported file (WAV 16/24/32f, FLAC, MP3, Ogg Vorbis, AIFF) to planar f32 with
//! symphonia 0.6. Mono and stereo only: the mastering chain is built for those.

use super::CliError;
use std::fs::File;
use std::io::ErrorKind;
use std::path::Path;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// The formats we promise to read, for error messages.
const SUPPORTED: &str = "WAV, FLAC, MP3, Ogg Vorbis or AIFF";

/// A decoded file: one `Vec` per channel (1 or 2), all the same length, full scale ±1.0.
/// Every sample is finite and none is subnormal (see [`decode_file_with`]).
#[derive(Debug, Clone)]
pub struct DecodedAudio {
    /// Planar samples.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Samples that were NaN or infinite in the file (now 0), over all channels.
    pub non_finite_samples: usize,
}

impl DecodedAudio {
    /// The channels as slices, for the analysis.
    pub fn slices(&self) -> Vec<&[f32]> {
        self.channels.iter().map(Vec::as_slice).collect()
    }

    /// Refuses a sample rate outside `range` (Hz, inclusive) with one line naming the rate,
    /// the range and what to do; `purpose` says what needs the range ("measures" or
    /// "masters").
    pub fn check_rate(
        &self,
        path: &Path,
        range: (u32, u32),
        purpose: &str,
    ) -> Result<(), CliError> {
        let rate = self.sample_rate_hz;
        if (range.0..=range.1).contains(&rate) {
            return Ok(());
        }
        Err(CliError::new(format!(
            "'{}' has a sample rate of {rate} Hz; lacquer {purpose} {} to {} Hz only, so \
             resample it into that range first",
            path.display(),
            range.0,
            range.1
        )))
    }

    /// One line for stderr when the file held NaN or infinite samples, else `None`.
    pub fn non_finite_warning(&self, path: &Path) -> Option<String> {
        let n = self.non_finite_samples;
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
}

/// Checks that `path` names a readable, non-empty regular file, with one clear message for
/// each way it can fail. Called before any output is created.
pub fn check_input(path: &Path) -> Result<(), CliError> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => CliError::new(format!("cannot read '{shown}': no such file")),
        ErrorKind::PermissionDenied => {
            CliError::new(format!("cannot read '{shown}': permission denied"))
        }
        _ => CliError::new(format!("cannot read '{shown}': {e}")),
    })?;
    if meta.is_dir() {
        return Err(CliError::new(format!(
            "'{shown}' is a folder; give an audio file ({SUPPORTED})"
        )));
    }
    if meta.len() == 0 {
        return Err(CliError::new(format!(
            "'{shown}' is empty (0 bytes); give an audio file ({SUPPORTED})"
        )));
    }
    Ok(())
}

/// Decodes the default audio track of `path` completely; a decode that stops before the length
/// the file declares is an error.
pub fn decode_file(path: &Path) -> Result<DecodedAudio, CliError> {
    decode_file_with(path, false)
}

/// Decodes the default audio track of `path` completely. A decode that stops before the length
/// the file declares (a damaged or truncated file) is an error, or with `allow_partial` a
/// one-line warning on stderr and the audio that was read. NaN and infinite samples become 0
/// (and are counted) and subnormal ones 0, here, once: every meter, FFT and filter after this
/// then sees normal numbers (subnormals slow x86 arithmetic many times over; as audio they lie
/// 600 dB under any noise floor, so zero is exact), and no path (measurement, assistant,
/// chain) can miss the cleaning.
pub fn decode_file_with(path: &Path, allow_partial: bool) -> Result<DecodedAudio, CliError> {
    check_input(path)?;
    let shown = path.display();
    let file =
        File::open(path).map_err(|e| CliError::new(format!("cannot read '{shown}': {e}")))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
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
            SymphoniaError::Unsupported(_) => CliError::new(format!(
                "'{shown}' is not an audio file lacquer can read; use {SUPPORTED}"
            )),
            other => CliError::new(format!(
                "'{shown}' is damaged or truncated ({other}); re-export it as {SUPPORTED}"
            )),
        })?;

    let no_audio = || CliError::new(format!("'{shown}' contains no audio track"));
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
    if let Some(count) = params.channels.as_ref().map(|c| c.count()) {
        check_channel_count(path, count)?;
    }
    let mut opts = AudioDecoderOptions::default();
    opts.verify = true;
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(&params, &opts)
        .map_err(|e| {
            CliError::new(format!(
                "'{shown}' uses an audio codec lacquer cannot decode ({e}); use {SUPPORTED}"
            ))
        })?;

    let corrupt = |e: SymphoniaError| {
        CliError::new(format!(
            "'{shown}' is damaged or truncated ({e}); re-export it from the source"
        ))
    };
    let mut channels: Vec<Vec<f32>> = Vec::new();
    let mut sample_rate_hz = params.sample_rate.unwrap_or(0);
    let mut scratch: Vec<Vec<f32>> = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(Some(packet)) => packet,
            Ok(None) => break,
            // Some readers report the end of a stream as an unexpected end of file.
            Err(SymphoniaError::IoError(e)) if e.kind() == ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::ResetRequired) => {
                return Err(CliError::new(format!(
                    "'{shown}' changes its audio format part-way (chained stream); \
                     convert it to a single WAV or FLAC first"
                )));
            }
            Err(e) => return Err(corrupt(e)),
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
        if channels.is_empty() {
            channels = vec![Vec::new(); count];
            sample_rate_hz = spec.rate();
        } else if count != channels.len() || spec.rate() != sample_rate_hz {
            return Err(CliError::new(format!(
                "'{shown}' changes channel count or sample rate part-way; \
                 convert it to a single WAV or FLAC first"
            )));
        }
        buffer.copy_to_vecs_planar::<f32>(&mut scratch);
        for (out, plane) in channels.iter_mut().zip(&scratch) {
            out.extend_from_slice(plane);
        }
    }
    let verify_ok = decoder.finalize().verify_ok;
    let decoded_frames = channels.first().map_or(0, Vec::len) as u64;
    if let Some(declared) = declared_frames
        && decoded_frames < declared
        && sample_rate_hz > 0
    {
        let rate = f64::from(sample_rate_hz);
        let what = format!(
            "'{shown}': decoding stopped at {:.1} s of {:.1} s (the file is damaged or truncated)",
            decoded_frames as f64 / rate,
            declared as f64 / rate
        );
        if !allow_partial {
            return Err(CliError::new(format!(
                "{what}; use --allow-partial to go on with what was read"
            )));
        }
        if decoded_frames > 0 {
            eprintln!("lacquer: warning: {what}; going on with what was read (--allow-partial)");
        }
    } else if verify_ok == Some(false) {
        return Err(CliError::new(format!(
            "'{shown}' failed its integrity check (checksum mismatch); re-export it from the source"
        )));
    }
    if channels.first().is_none_or(Vec::is_empty) {
        return Err(CliError::new(format!(
            "'{shown}' contains no audio samples"
        )));
    }
    if sample_rate_hz == 0 {
        return Err(CliError::new(format!(
            "'{shown}' does not state its sample rate"
        )));
    }
    let non_finite_samples = channels
        .iter_mut()
        .map(|c| lacquer_core::dsp::sanitize::flush_non_finite_and_subnormal(c))
        .sum();
    Ok(DecodedAudio {
        channels,
        sample_rate_hz,
        non_finite_samples,
    })
}

/// Refuses anything but mono or stereo with a message that says what to do.
fn check_channel_count(path: &Path, count: usize) -> Result<(), CliError> {
    match count {
        1 | 2 => Ok(()),
        0 => Err(CliError::new(format!(
            "'{}' declares no audio channels",
            path.display()
        ))),
        n => Err(CliError::new(format!(
            "'{}' has {n} channels; lacquer handles mono and stereo only, so mix it down to \
             stereo first",
            path.display()
        ))),
    }
}
