//! Decoding any supported file (WAV 16/24/32f, FLAC, MP3, Ogg Vorbis, AIFF) to planar f32 with
//! symphonia 0.6. Mono and stereo only: the mastering chain is built for those.

use super::CliError;
use std::cell::Cell;
use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::well_known::FORMAT_ID_OGG;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::{MetadataOptions, StandardTag};

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
    /// The file's common text tags as Vorbis comment fields (`KEY`, value), in file order (see
    /// [`vorbis_comment_of`]); empty when it has none. Written into a FLAC output.
    pub tags: Vec<(String, String)>,
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
/// the file declares, or an Ogg file whose stream lacks its end-of-stream page (a damaged or
/// truncated file), is an error, or with `allow_partial` a one-line warning on stderr and the
/// audio that was read. A panic inside the decoder (a third-party bug a malformed file can
/// trigger) is an error naming the file. NaN and infinite samples become 0 (and are counted)
/// and subnormal ones 0, here, once: every meter, FFT and filter after this then sees normal
/// numbers (subnormals slow x86 arithmetic many times over; as audio they lie 600 dB under any
/// noise floor, so zero is exact), and no path (measurement, assistant, chain) can miss the
/// cleaning.
pub fn decode_file_with(path: &Path, allow_partial: bool) -> Result<DecodedAudio, CliError> {
    check_input(path)?;
    let shown = path.display();
    let RawDecode {
        mut channels,
        sample_rate_hz,
        declared_frames,
        verify_ok,
        is_ogg,
        tags,
    } = catch_decoder_panic(path, || read_with_symphonia(path))?;
    let decoded_frames = channels.first().map_or(0, Vec::len) as u64;
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
        tags,
    })
}

/// What symphonia read from one file, before the checks on its length.
struct RawDecode {
    /// Planar samples as decoded (not yet sanitised).
    channels: Vec<Vec<f32>>,
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

/// Whether a panic on this thread is a decoder's, which [`catch_decoder_panic`] turns into an
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
fn catch_decoder_panic<T>(
    path: &Path,
    read: impl FnOnce() -> Result<T, CliError>,
) -> Result<T, CliError> {
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
        Err(CliError::new(format!(
            "'{}' is damaged ({failed}); re-export it as {SUPPORTED}",
            path.display()
        )))
    })
}

/// Probes and decodes the default audio track of `path` with symphonia (the part of
/// [`decode_file_with`] that calls into it, run under [`catch_decoder_panic`]).
fn read_with_symphonia(path: &Path) -> Result<RawDecode, CliError> {
    let file = File::open(path)
        .map_err(|e| CliError::new(format!("cannot read '{}': {e}", path.display())))?;
    read_source(Box::new(file), path)
}

/// Decodes an encoded file held in memory (the codec check's MP3 and Ogg Vorbis) to planar
/// samples and their rate. `name` is for messages, and its extension is the format's hint.
pub fn decode_bytes(bytes: Vec<u8>, name: &Path) -> Result<(Vec<Vec<f32>>, u32), CliError> {
    let raw = catch_decoder_panic(name, || {
        read_source(Box::new(std::io::Cursor::new(bytes)), name)
    })?;
    Ok((raw.channels, raw.sample_rate_hz))
}

/// Decodes everything `source` holds; `path` names it in messages and hints its format.
fn read_source(
    source: Box<dyn symphonia::core::io::MediaSource>,
    path: &Path,
) -> Result<RawDecode, CliError> {
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
            SymphoniaError::Unsupported(_) => CliError::new(format!(
                "'{shown}' is not an audio file lacquer can read; use {SUPPORTED}"
            )),
            other => CliError::new(format!(
                "'{shown}' is damaged or truncated ({other}); re-export it as {SUPPORTED}"
            )),
        })?;
    let is_ogg = format.format_info().format == FORMAT_ID_OGG;

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
    let tags = text_tags(format.as_mut(), track_id);
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
            // Some readers report the end of a stream as an unexpected end of file (and the Ogg
            // reader a stream cut short; `decode_file_with` checks that case).
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
    Ok(RawDecode {
        channels,
        sample_rate_hz,
        declared_frames,
        verify_ok,
        is_ogg,
        tags,
    })
}

/// The common text tags of the file open in `format` (those read before the first packet:
/// the container's own tags and any ID3/APE tag the probe found), for the whole file and for
/// the audio track `track_id`, as Vorbis comment fields (see [`vorbis_comment_of`]). When the
/// file holds several tag revisions (e.g. an ID3v2 tag and an ID3v1 tag), a field in a later
/// one replaces every value of that field from earlier ones. Pictures and other tags are left
/// out.
fn text_tags(format: &mut dyn FormatReader, track_id: u32) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = Vec::new();
    let mut metadata = format.metadata();
    loop {
        if let Some(revision) = metadata.current() {
            let track_tags = revision
                .per_track
                .iter()
                .filter(|t| t.track_id == u64::from(track_id))
                .flat_map(|t| &t.metadata.tags);
            let mut fields: Vec<(String, String)> = Vec::new();
            // A year alone counts as DATE only when the revision has no full date.
            let mut year = None;
            for tag in revision.media.tags.iter().chain(track_tags) {
                if let Some(StandardTag::RecordingYear(y) | StandardTag::ReleaseYear(y)) = &tag.std
                {
                    year.get_or_insert_with(|| y.to_string());
                } else if let Some((key, value)) = tag.std.as_ref().and_then(vorbis_comment_of)
                    && !value.is_empty()
                {
                    let field = (key.to_string(), value);
                    if !fields.contains(&field) {
                        fields.push(field);
                    }
                }
            }
            if let Some(year) = year
                && !fields.iter().any(|(k, _)| k == "DATE")
            {
                fields.push(("DATE".to_string(), year));
            }
            tags.retain(|(key, _)| !fields.iter().any(|(k, _)| k == key));
            tags.extend(fields);
        }
        if metadata.pop().is_none() {
            break;
        }
    }
    tags
}

/// The Vorbis comment field (name, value) for a standard tag Lacquer carries over: title,
/// artist, album, album artist, track and disc number and total, date, genre, comment (and
/// description), composer and ISRC; `None` for any other tag. A year alone (ID3v2.3's TYER,
/// a Vorbis YEAR) is not mapped here: [`text_tags`] writes it as DATE when there is no date.
fn vorbis_comment_of(tag: &StandardTag) -> Option<(&'static str, String)> {
    use StandardTag as S;
    let (key, value) = match tag {
        S::TrackTitle(v) => ("TITLE", v.to_string()),
        S::Artist(v) => ("ARTIST", v.to_string()),
        S::Album(v) => ("ALBUM", v.to_string()),
        S::AlbumArtist(v) => ("ALBUMARTIST", v.to_string()),
        S::TrackNumber(n) => ("TRACKNUMBER", n.to_string()),
        S::TrackTotal(n) => ("TRACKTOTAL", n.to_string()),
        S::DiscNumber(n) => ("DISCNUMBER", n.to_string()),
        S::DiscTotal(n) => ("DISCTOTAL", n.to_string()),
        S::RecordingDate(v) | S::ReleaseDate(v) => ("DATE", v.to_string()),
        S::Genre(v) => ("GENRE", v.to_string()),
        S::Comment(v) => ("COMMENT", v.to_string()),
        // The Vorbis comment specification's own field for a comment (ffmpeg writes one there).
        S::Description(v) => ("DESCRIPTION", v.to_string()),
        S::Composer(v) => ("COMPOSER", v.to_string()),
        S::IdentIsrc(v) => ("ISRC", v.to_string()),
        _ => return None,
    };
    Some((key, value))
}

// ---- Ogg: does the file end with an end-of-stream page? ----
//
// An Ogg file is a run of pages (RFC 3533). Each starts with a 27-byte header:
//
//   0..4   capture pattern "OggS"        14..18 stream serial number
//   4      version (0)                   18..22 page sequence number
//   5      header type flags             22..26 CRC-32 of the whole page (this field as 0)
//   6..14  granule position              26     number of segments (lacing values)
//
// then the segment table (one lacing value, 0 to 255, per segment) and the page's data, as
// many bytes as the lacing values add up to. The header type's bit 0x04 marks the last page
// of a logical stream (end of stream), which every complete stream ends with. A file cut short
// ends instead with an incomplete page, or, cut at a page boundary, with a complete page
// without that flag; and symphonia's Ogg reader then declares no length, so the decoded length
// cannot be compared with one.

/// The largest Ogg page: header, 255 lacing values, and 255 segments of 255 bytes.
const OGG_MAX_PAGE_BYTES: usize = 27 + 255 + 255 * 255;

/// How much of the end of an Ogg file is read: always more than a whole page.
const OGG_TAIL_BYTES: u64 = 64 * 1024;

/// Whether the Ogg file `path` ends with a complete end-of-stream page (see
/// [`ogg_tail_ends_stream`]); reads only its last [`OGG_TAIL_BYTES`].
fn ogg_file_ends_stream(path: &Path) -> Result<bool, CliError> {
    let cannot_read =
        |e: std::io::Error| CliError::new(format!("cannot read '{}': {e}", path.display()));
    let mut file = File::open(path).map_err(cannot_read)?;
    let len = file.metadata().map_err(cannot_read)?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(OGG_TAIL_BYTES)))
        .map_err(cannot_read)?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).map_err(cannot_read)?;
    Ok(ogg_tail_ends_stream(&tail))
}

/// Whether the last genuine Ogg page in `tail` (the end of a file, at least
/// [`OGG_MAX_PAGE_BYTES`] long unless it is the whole file) is complete and has the
/// end-of-stream flag.
///
/// "OggS" can occur by chance inside compressed data, so a page counts only if it is whole
/// and its CRC matches; the search goes backwards from the end to the first such page. A file
/// cut inside its last page has, before the cut, a whole page without the flag (or, if even
/// that lies outside `tail`, no whole page at all), so it is refused either way. Bytes after a
/// whole end-of-stream page (e.g. a tag a program appended) are ignored: the stream itself is
/// complete. The flag may belong to any of the file's logical streams; in a file holding
/// several, the last page written is the end of one of them.
fn ogg_tail_ends_stream(tail: &[u8]) -> bool {
    debug_assert!(OGG_MAX_PAGE_BYTES as u64 <= OGG_TAIL_BYTES);
    let mut end = tail.len();
    while let Some(start) = tail[..end].windows(4).rposition(|w| w == b"OggS") {
        if let Some(page) = whole_ogg_page(&tail[start..]) {
            return page[5] & 0x04 != 0;
        }
        // Look for a page starting before this one.
        end = start + 3;
    }
    false
}

/// The Ogg page at the start of `bytes` if it is whole (header, segment table and data all
/// present), of version 0, and its CRC matches; else `None`.
fn whole_ogg_page(bytes: &[u8]) -> Option<&[u8]> {
    let header = bytes.get(..27)?;
    if &header[..4] != b"OggS" || header[4] != 0 {
        return None;
    }
    let segments = usize::from(header[26]);
    let table = bytes.get(27..27 + segments)?;
    let data_len: usize = table.iter().map(|&n| usize::from(n)).sum();
    let page = bytes.get(..27 + segments + data_len)?;
    let stored = u32::from_le_bytes([page[22], page[23], page[24], page[25]]);
    (ogg_crc(page) == stored).then_some(page)
}

/// The Ogg CRC-32 of a page: polynomial 0x04C11DB7, initial value 0, no bit reflection, no
/// final XOR, computed with the CRC field (bytes 22..26) taken as zero.
fn ogg_crc(page: &[u8]) -> u32 {
    let mut crc = 0u32;
    for (i, &byte) in page.iter().enumerate() {
        let byte = if (22..26).contains(&i) { 0 } else { byte };
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
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

#[cfg(test)]
mod tests {
    use super::*;

    /// One Ogg page with a correct CRC: `flags` in the header type, `data` in segments.
    fn page(flags: u8, sequence: u32, data: &[u8]) -> Vec<u8> {
        let mut lacing = vec![255u8; data.len() / 255];
        lacing.push((data.len() % 255) as u8);
        // 255 full segments: the packet goes on in the next page (no closing 0).
        lacing.truncate(255);
        let mut page = b"OggS".to_vec();
        page.push(0); // version
        page.push(flags);
        page.extend_from_slice(&1000u64.to_le_bytes()); // granule position
        page.extend_from_slice(&7u32.to_le_bytes()); // serial
        page.extend_from_slice(&sequence.to_le_bytes());
        page.extend_from_slice(&[0; 4]); // CRC, filled in below
        page.push(lacing.len() as u8);
        page.extend_from_slice(&lacing);
        page.extend_from_slice(data);
        let crc = ogg_crc(&page);
        page[22..26].copy_from_slice(&crc.to_le_bytes());
        page
    }

    /// Data that holds the capture pattern by chance, as compressed audio can.
    fn data(len: usize) -> Vec<u8> {
        let mut d: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        d[len / 2..len / 2 + 4].copy_from_slice(b"OggS");
        d
    }

    #[test]
    fn the_ogg_crc_is_the_standard_one() {
        // The same CRC as POSIX cksum's (CRC-32/CKSUM, check value 0x765E7680 for
        // "123456789") without its final XOR with all ones.
        let mut bytes = vec![0u8; 26];
        bytes.extend_from_slice(b"123456789");
        // Bytes 22..26 count as zero anyway; with all 26 leading zeros the CRC (init 0) is
        // that of the nine digits alone.
        assert_eq!(ogg_crc(&bytes), 0x765E_7680 ^ 0xFFFF_FFFF);
    }

    #[test]
    fn a_complete_end_of_stream_page_is_accepted() {
        let mut file = page(0x02, 0, &data(30)); // beginning of stream
        file.extend(page(0, 1, &data(600)));
        file.extend(page(0x04, 2, &data(300)));
        assert!(ogg_tail_ends_stream(&file));
        // Also when the tail starts inside an earlier page, and with bytes appended.
        assert!(ogg_tail_ends_stream(&file[40..]));
        let mut tagged = file.clone();
        tagged.extend_from_slice(b"TAG and some trailing bytes");
        assert!(ogg_tail_ends_stream(&tagged));
        // A single page that both begins and ends its stream.
        assert!(ogg_tail_ends_stream(&page(0x06, 0, &data(100))));
        // An end-of-stream page holding only an empty packet.
        let mut empty_last = page(0, 0, &data(100));
        empty_last.extend(page(0x04, 1, &[]));
        assert!(ogg_tail_ends_stream(&empty_last));
    }

    #[test]
    fn a_last_page_without_the_end_of_stream_flag_is_refused() {
        let mut file = page(0x02, 0, &data(30));
        file.extend(page(0, 1, &data(600)));
        file.extend(page(0, 2, &data(300)));
        assert!(!ogg_tail_ends_stream(&file));
    }

    #[test]
    fn a_truncated_last_page_is_refused() {
        let mut file = page(0x02, 0, &data(30));
        file.extend(page(0, 1, &data(600)));
        let last = page(0x04, 2, &data(300));
        for cut in [1, 10, 27, 29, last.len() / 2, last.len() - 1] {
            let mut cut_file = file.clone();
            cut_file.extend_from_slice(&last[..cut]);
            assert!(!ogg_tail_ends_stream(&cut_file), "cut after {cut} bytes");
            // The cut last page alone (no whole page in the tail at all).
            assert!(!ogg_tail_ends_stream(&last[..cut]), "alone, {cut} bytes");
        }
        // A whole page whose bytes are damaged fails its CRC and does not count.
        let mut damaged = file.clone();
        let mut last_damaged = last.clone();
        let n = last_damaged.len();
        last_damaged[n - 5] ^= 0x40;
        damaged.extend(last_damaged);
        assert!(!ogg_tail_ends_stream(&damaged));
        assert!(!ogg_tail_ends_stream(b""));
        assert!(!ogg_tail_ends_stream(b"OggS"));
    }

    #[test]
    fn the_tail_holds_a_whole_page_of_the_largest_size() {
        let big = page(0x04, 0, &vec![0x55; 255 * 255]);
        assert_eq!(big.len(), OGG_MAX_PAGE_BYTES);
        assert!(OGG_MAX_PAGE_BYTES as u64 <= OGG_TAIL_BYTES);
        assert!(ogg_tail_ends_stream(&big));
    }
}
