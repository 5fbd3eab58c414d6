//! Writing the mastered audio, block by block as it is rendered: requantisation with TPDF
//! dither (16/24-bit), the WAV file itself (hound) and the FLAC file (flacenc, 16/24-bit).
//! The whole-buffer forms (`quantize_in_place`, `write_wav`, `write_flac`) are the same
//! writers fed one block, for the tests. Quantisation happens in place first,
//! so the buffer that is measured for the "after" column holds exactly the values written to
//! the file, in either format.

use super::args::BitDepth;
use lacquer_core::dsp::dither::TpdfDither;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Requantises planar audio in place to the grid of `depth` with TPDF dither seeded by `seed`
/// (frame by frame, channel by channel, so the result is deterministic). Returns the number of
/// samples that had to be clamped to full scale. 32-bit float is left untouched (no dither:
/// float has no fixed LSB to decorrelate).
#[cfg(test)]
pub fn quantize_in_place(channels: &mut [Vec<f32>], depth: BitDepth, seed: u64) -> usize {
    let mut quantizer = Quantizer::new(depth, seed);
    let mut block: Vec<&mut [f32]> = channels.iter_mut().map(Vec::as_mut_slice).collect();
    quantizer.apply(&mut block);
    quantizer.num_clipped
}

/// [`quantize_in_place`] block by block: the same dither sequence whatever the blocks, so a
/// file quantised in pieces is exactly the file quantised whole.
#[derive(Debug)]
pub struct Quantizer {
    dither: Option<TpdfDither>,
    /// Samples clamped to full scale so far.
    pub num_clipped: usize,
}

impl Quantizer {
    /// A quantiser to `depth` (none for 32-bit float) with dither seeded by `seed`.
    pub fn new(depth: BitDepth, seed: u64) -> Self {
        Self {
            dither: (depth != BitDepth::Float32)
                .then(|| TpdfDither::new(u32::from(depth.bits()), seed)),
            num_clipped: 0,
        }
    }

    /// Requantises the next planar block in place.
    pub fn apply(&mut self, block: &mut [&mut [f32]]) {
        let Some(dither) = self.dither.as_mut() else {
            return;
        };
        let num_frames = block.first().map_or(0, |c| c.len());
        for frame in 0..num_frames {
            for channel in block.iter_mut() {
                if let Some(sample) = channel.get_mut(frame) {
                    let (code, clipped) = dither.quantize(*sample);
                    self.num_clipped += usize::from(clipped);
                    *sample = dither.code_to_sample(code);
                }
            }
        }
    }
}

/// The integer code of a sample that is already on the grid of a `bits`-bit integer format.
fn code_of(sample: f32, bits: u16) -> i32 {
    let full_scale = f64::from(1u32 << (bits - 1));
    (f64::from(sample) * full_scale)
        .round()
        .clamp(-full_scale, full_scale - 1.0) as i32
}

/// Writes planar audio as an interleaved WAV to `sink`. For integer depths the samples must
/// already be quantised by [`quantize_in_place`]; they are written exactly. With `software`,
/// a `LIST`/`INFO` chunk naming it (`ISFT`) follows the audio (see [`software_tag`]).
#[cfg(test)]
pub fn write_wav<W: Write + Seek>(
    mut sink: W,
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
    depth: BitDepth,
    software: Option<&str>,
) -> std::io::Result<()> {
    let mut writer = SampleWriter::wav(&mut sink, channels.len(), sample_rate_hz, depth)?;
    writer.write(&planar(channels))?;
    writer.finish()?;
    finish_wav(&mut sink, software)
}

/// Ends a WAV file [`SampleWriter::wav`] wrote to `sink`: the software chunk, if any (see
/// [`write_wav`]), and a flush.
pub fn finish_wav<W: Write + Seek>(sink: &mut W, software: Option<&str>) -> std::io::Result<()> {
    if let Some(software) = software {
        append_software_chunk(sink, software)?;
    }
    sink.flush()
}

/// Writes planar audio as a FLAC stream to `sink` (flacenc's default encoder settings, fixed
/// 4096-frame blocks), one block at a time: each frame goes to `sink` as it is encoded, and
/// the STREAMINFO header (length, MD5) is written last over a placeholder of the same size.
/// `depth` must be 16 or 24 (FLAC has no float samples) and the samples must already be
/// quantised by [`quantize_in_place`]: the integer codes are the same as [`write_wav`] writes,
/// so the FLAC decodes to exactly the WAV's samples. A VORBIS_COMMENT block follows
/// STREAMINFO, with [`FLAC_VENDOR`] as its vendor string and `tags` (Vorbis comment field
/// names and values, e.g. `("TITLE", "…")`) as its comments; with no tags it holds the vendor
/// string alone.
#[cfg(test)]
pub fn write_flac<W: Write + Seek>(
    mut sink: W,
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
    depth: BitDepth,
    tags: &[(String, String)],
) -> std::io::Result<()> {
    let mut writer = SampleWriter::flac(&mut sink, channels.len(), sample_rate_hz, depth, tags)?;
    writer.write(&planar(channels))?;
    writer.finish()?;
    sink.flush()
}

#[cfg(test)]
fn planar(channels: &[Vec<f32>]) -> Vec<&[f32]> {
    channels.iter().map(Vec::as_slice).collect()
}

fn hound_error(e: hound::Error) -> std::io::Error {
    match e {
        hound::Error::IoError(io) => io,
        other => std::io::Error::other(other.to_string()),
    }
}

/// Writes quantised planar audio block by block as WAV ([`write_wav`]) or FLAC
/// ([`write_flac`]): the file of the whole buffer, written in pieces.
pub enum SampleWriter<'a, W: Write + Seek> {
    /// A WAV file.
    Wav {
        /// hound's writer.
        writer: hound::WavWriter<&'a mut W>,
        /// Sample format.
        depth: BitDepth,
    },
    /// A FLAC stream.
    Flac(Box<FlacStream<'a, W>>),
}

impl<'a, W: Write + Seek> SampleWriter<'a, W> {
    /// Starts a WAV file in `sink`; end it with [`Self::finish`], then [`finish_wav`].
    pub fn wav(
        sink: &'a mut W,
        num_channels: usize,
        sample_rate_hz: u32,
        depth: BitDepth,
    ) -> std::io::Result<Self> {
        let spec = hound::WavSpec {
            channels: num_channels as u16,
            sample_rate: sample_rate_hz,
            bits_per_sample: depth.bits(),
            sample_format: match depth {
                BitDepth::Float32 => hound::SampleFormat::Float,
                BitDepth::Int16 | BitDepth::Int24 => hound::SampleFormat::Int,
            },
        };
        Ok(Self::Wav {
            writer: hound::WavWriter::new(sink, spec).map_err(hound_error)?,
            depth,
        })
    }

    /// Starts a FLAC stream in `sink` with `tags` (see [`write_flac`]).
    pub fn flac(
        sink: &'a mut W,
        num_channels: usize,
        sample_rate_hz: u32,
        depth: BitDepth,
        tags: &[(String, String)],
    ) -> std::io::Result<Self> {
        FlacStream::new(sink, num_channels, sample_rate_hz, depth, tags)
            .map(|f| Self::Flac(Box::new(f)))
    }

    /// Writes the next planar block.
    pub fn write(&mut self, block: &[&[f32]]) -> std::io::Result<()> {
        match self {
            Self::Wav { writer, depth } => {
                let num_frames = block.first().map_or(0, |c| c.len());
                for frame in 0..num_frames {
                    for channel in block {
                        let sample = channel.get(frame).copied().unwrap_or(0.0);
                        match depth {
                            BitDepth::Float32 => writer.write_sample(sample),
                            BitDepth::Int16 => writer.write_sample(code_of(sample, 16) as i16),
                            BitDepth::Int24 => writer.write_sample(code_of(sample, 24)),
                        }
                        .map_err(hound_error)?;
                    }
                }
                Ok(())
            }
            Self::Flac(flac) => flac.write(block),
        }
    }

    /// Ends the audio (the WAV header's lengths, or the FLAC's last block and header).
    pub fn finish(self) -> std::io::Result<()> {
        match self {
            Self::Wav { writer, .. } => writer.finalize().map_err(hound_error),
            Self::Flac(flac) => flac.finish(),
        }
    }
}

/// A FLAC stream being written (see [`write_flac`]).
pub struct FlacStream<'a, W: Write + Seek> {
    sink: &'a mut W,
    config: flacenc::error::Verified<flacenc::config::Encoder>,
    info: flacenc::component::StreamInfo,
    comments: Vec<u8>,
    header_len: usize,
    bits: u16,
    num_channels: usize,
    buffers: (flacenc::source::FrameBuf, flacenc::source::Context),
    /// The current block, interleaved integer codes.
    block: Vec<i32>,
    bytes: flacenc::bitsink::ByteSink,
}

fn encoder_error(what: &str, e: &dyn std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("the FLAC encoder failed ({what}: {e})"))
}

impl<'a, W: Write + Seek> FlacStream<'a, W> {
    fn new(
        sink: &'a mut W,
        num_channels: usize,
        sample_rate_hz: u32,
        depth: BitDepth,
        tags: &[(String, String)],
    ) -> std::io::Result<Self> {
        use flacenc::error::Verify;
        use flacenc::source::{Context, FrameBuf};
        let bits = match depth {
            BitDepth::Int16 | BitDepth::Int24 => depth.bits(),
            BitDepth::Float32 => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "FLAC has no 32-bit float samples",
                ));
            }
        };
        let config = flacenc::config::Encoder::default()
            .into_verified()
            .map_err(|(_, e)| encoder_error("configuration", &e))?;
        let block_size = config.block_size;
        let info = flacenc::component::StreamInfo::new(
            sample_rate_hz as usize,
            num_channels,
            usize::from(bits),
        )
        .map_err(|e| encoder_error("format", &e))?;
        let comments = vorbis_comment_block(FLAC_VENDOR, tags);
        // The header written at the end: `fLaC`, STREAMINFO, then the VORBIS_COMMENT block
        // (its 4-byte block header and its content).
        let header_len = FLAC_HEADER_LEN + 4 + comments.len();
        sink.write_all(&vec![0; header_len])?;
        let buffers = (
            FrameBuf::with_size(num_channels, block_size)
                .map_err(|e| encoder_error("block", &e))?,
            Context::new(usize::from(bits), num_channels),
        );
        Ok(Self {
            sink,
            config,
            info,
            comments,
            header_len,
            bits,
            num_channels,
            buffers,
            block: Vec::with_capacity(block_size * num_channels),
            bytes: flacenc::bitsink::ByteSink::new(),
        })
    }

    fn write(&mut self, block: &[&[f32]]) -> std::io::Result<()> {
        let block_size = self.config.block_size;
        let num_frames = block.first().map_or(0, |c| c.len());
        for frame in 0..num_frames {
            for channel in block {
                let sample = channel.get(frame).copied().unwrap_or(0.0);
                self.block.push(code_of(sample, self.bits));
            }
            if self.block.len() == block_size * self.num_channels {
                self.encode_block()?;
            }
        }
        Ok(())
    }

    /// Encodes the frames gathered in `block` as one FLAC frame and writes it.
    fn encode_block(&mut self) -> std::io::Result<()> {
        use flacenc::component::BitRepr;
        use flacenc::source::Fill;
        self.buffers
            .fill_interleaved(&self.block)
            .map_err(|e| encoder_error("reading", &e))?;
        self.block.clear();
        let number = self.buffers.1.current_frame_number().unwrap_or(0);
        let frame =
            flacenc::encode_fixed_size_frame(&self.config, &self.buffers.0, number, &self.info)
                .map_err(|e| encoder_error("encoding", &e))?;
        self.info.update_frame_info(&frame);
        self.bytes.clear();
        frame
            .write(&mut self.bytes)
            .map_err(|e| encoder_error("writing", &e))?;
        self.sink.write_all(self.bytes.as_slice())
    }

    fn finish(mut self) -> std::io::Result<()> {
        use flacenc::component::{BitRepr, MetadataBlockData, Stream};
        if !self.block.is_empty() {
            self.encode_block()?;
        }
        let block_size = self.config.block_size;
        let mut info = self.info;
        info.set_md5_digest(&self.buffers.1.md5_digest());
        info.set_total_samples(self.buffers.1.total_samples());
        // A fixed-blocksize stream states its block size as both minimum and maximum (the
        // format excludes the shorter last block, as libFLAC writes it; flacenc's own
        // bookkeeping counts it, and symphonia refuses fixed-size frames when the two differ).
        info.set_block_sizes(block_size, block_size)
            .map_err(|e| encoder_error("block size", &e))?;
        let mut bytes = flacenc::bitsink::ByteSink::new();
        let mut stream = Stream::with_stream_info(info);
        // flacenc writes the block header (type 4, the 24-bit length) and sets the last-block
        // flag on this block alone.
        stream.add_metadata_block(
            MetadataBlockData::new_unknown(FLAC_VORBIS_COMMENT, &self.comments)
                .map_err(|e| encoder_error("tags", &e))?,
        );
        stream
            .write(&mut bytes)
            .map_err(|e| encoder_error("header", &e))?;
        if bytes.as_slice().len() != self.header_len {
            return Err(encoder_error(
                "header",
                &format!(
                    "{} bytes instead of {}",
                    bytes.as_slice().len(),
                    self.header_len
                ),
            ));
        }
        let end = self.sink.stream_position()?;
        self.sink.seek(SeekFrom::Start(0))?;
        self.sink.write_all(bytes.as_slice())?;
        self.sink.seek(SeekFrom::Start(end))?;
        Ok(())
    }
}

/// The `fLaC` marker and the STREAMINFO block (a 4-byte header and 34 bytes): the bytes
/// before the VORBIS_COMMENT block.
const FLAC_HEADER_LEN: usize = 4 + 4 + 34;

/// The vendor string of the VORBIS_COMMENT block of a FLAC output.
const FLAC_VENDOR: &str = concat!("Lacquer ", env!("CARGO_PKG_VERSION"));

/// The FLAC metadata block type of VORBIS_COMMENT.
const FLAC_VORBIS_COMMENT: u8 = 4;

/// The largest content of a FLAC metadata block (its length is a 24-bit field).
const FLAC_MAX_BLOCK_LEN: usize = (1 << 24) - 1;

/// The content of a FLAC VORBIS_COMMENT block (without the block's 4-byte header): the vendor
/// string's length (32-bit little-endian) and the string, the number of comments (32-bit
/// little-endian), then each comment as its length (32-bit little-endian) and `KEY=value` in
/// UTF-8 (no framing bit, unlike in Ogg Vorbis). A comment that would make the block longer
/// than a FLAC block can be ([`FLAC_MAX_BLOCK_LEN`]) is left out, as is one with an empty
/// value.
fn vorbis_comment_block(vendor: &str, tags: &[(String, String)]) -> Vec<u8> {
    let mut comments: Vec<String> = Vec::new();
    let mut len = 4 + vendor.len() + 4;
    for (key, value) in tags {
        let comment = format!("{key}={value}");
        if value.is_empty() || len + 4 + comment.len() > FLAC_MAX_BLOCK_LEN {
            continue;
        }
        len += 4 + comment.len();
        comments.push(comment);
    }
    let mut block = Vec::with_capacity(len);
    block.extend_from_slice(&(vendor.len() as u32).to_le_bytes());
    block.extend_from_slice(vendor.as_bytes());
    block.extend_from_slice(&(comments.len() as u32).to_le_bytes());
    for comment in &comments {
        block.extend_from_slice(&(comment.len() as u32).to_le_bytes());
        block.extend_from_slice(comment.as_bytes());
    }
    block
}

/// Appends a `LIST`/`INFO` chunk with `ISFT` = `software` to the complete RIFF file in `sink`
/// (hound cannot write extra chunks) and fixes the RIFF size. Chunks start on even offsets, so
/// an odd-length data chunk gets its pad byte first.
fn append_software_chunk<W: Write + Seek>(sink: &mut W, software: &str) -> std::io::Result<()> {
    let end = sink.seek(SeekFrom::End(0))?;
    if end % 2 == 1 {
        sink.write_all(&[0])?;
    }
    let mut text = software.as_bytes().to_vec();
    text.push(0);
    let isft_len = text.len() as u32;
    if text.len() % 2 == 1 {
        text.push(0);
    }
    let mut chunk = b"LIST".to_vec();
    chunk.extend_from_slice(&(4 + 8 + text.len() as u32).to_le_bytes());
    chunk.extend_from_slice(b"INFOISFT");
    chunk.extend_from_slice(&isft_len.to_le_bytes());
    chunk.extend_from_slice(&text);
    sink.write_all(&chunk)?;
    let len = sink.stream_position()?;
    let riff_size = u32::try_from(len - 8).map_err(|_| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "the WAV file is over 4 GB")
    })?;
    sink.seek(SeekFrom::Start(4))?;
    sink.write_all(&riff_size.to_le_bytes())?;
    sink.seek(SeekFrom::Start(len))?;
    Ok(())
}

/// The `ISFT` (software) text of the `LIST`/`INFO` chunk of the WAV file at `path`, if it has
/// one; `None` for anything else (not a RIFF/WAVE file, no such chunk, unreadable).
pub fn software_tag(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    let file_len = file.metadata().ok()?.len();
    let mut header = [0u8; 12];
    file.read_exact(&mut header).ok()?;
    if &header[0..4] != b"RIFF" || &header[8..12] != b"WAVE" {
        return None;
    }
    let mut pos = 12u64;
    while pos + 8 <= file_len {
        file.seek(SeekFrom::Start(pos)).ok()?;
        let mut chunk = [0u8; 8];
        file.read_exact(&mut chunk).ok()?;
        let size = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        if &chunk[0..4] == b"LIST" && size <= 4096 {
            let mut body = vec![0u8; size as usize];
            file.read_exact(&mut body).ok()?;
            if body.get(0..4) == Some(b"INFO".as_slice()) {
                let mut at = 4;
                while at + 8 <= body.len() {
                    let id = &body[at..at + 4];
                    let len = u32::from_le_bytes(body[at + 4..at + 8].try_into().ok()?) as usize;
                    let text = body.get(at + 8..at + 8 + len)?;
                    if id == b"ISFT" {
                        let text = text.split(|&b| b == 0).next().unwrap_or_default();
                        return Some(String::from_utf8_lossy(text).into_owned());
                    }
                    at += 8 + len + len % 2;
                }
            }
        }
        pos += 8 + size + size % 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_back(bytes: Vec<u8>) -> (hound::WavSpec, Vec<f32>) {
        let mut reader = hound::WavReader::new(Cursor::new(bytes)).unwrap();
        let spec = reader.spec();
        let samples = match spec.sample_format {
            hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
            hound::SampleFormat::Int => {
                let scale = f32::powi(2.0, i32::from(spec.bits_per_sample) - 1);
                reader
                    .samples::<i32>()
                    .map(|s| s.unwrap() as f32 / scale)
                    .collect()
            }
        };
        (spec, samples)
    }

    fn test_signal() -> Vec<Vec<f32>> {
        let l: Vec<f32> = (0..1000).map(|i| 0.5 * (i as f32 * 0.031).sin()).collect();
        let r: Vec<f32> = (0..1000)
            .map(|i| -0.25 * (i as f32 * 0.017).cos())
            .collect();
        vec![l, r]
    }

    #[test]
    fn float_output_is_bit_exact_and_undithered() {
        let mut audio = test_signal();
        let original = audio.clone();
        assert_eq!(quantize_in_place(&mut audio, BitDepth::Float32, 1), 0);
        assert_eq!(audio, original, "32f must not be dithered");
        let mut bytes = Cursor::new(Vec::new());
        write_wav(&mut bytes, &audio, 44_100, BitDepth::Float32, None).unwrap();
        let (spec, samples) = read_back(bytes.into_inner());
        assert_eq!(spec.bits_per_sample, 32);
        assert_eq!(spec.sample_format, hound::SampleFormat::Float);
        assert_eq!(spec.sample_rate, 44_100);
        let interleaved: Vec<f32> = (0..1000)
            .flat_map(|i| [original[0][i], original[1][i]])
            .collect();
        assert_eq!(samples, interleaved);
    }

    #[test]
    fn integer_output_holds_exactly_the_quantised_buffer() {
        for depth in [BitDepth::Int16, BitDepth::Int24] {
            let mut audio = test_signal();
            let original = audio.clone();
            quantize_in_place(&mut audio, depth, 5);
            let lsb = f32::powi(2.0, 1 - i32::from(depth.bits()));
            // Dithered: within 1.5 LSB of the input, and not simply rounded.
            let mut differs_from_rounding = false;
            for (q, x) in audio.iter().flatten().zip(original.iter().flatten()) {
                assert!((q - x).abs() <= 1.5 * lsb + 1e-9, "{depth:?}: {q} vs {x}");
                differs_from_rounding |= *q != (x / lsb).round() * lsb;
            }
            assert!(differs_from_rounding, "{depth:?}: no dither was added");
            let mut bytes = Cursor::new(Vec::new());
            write_wav(&mut bytes, &audio, 48_000, depth, None).unwrap();
            let (spec, samples) = read_back(bytes.into_inner());
            assert_eq!(spec.bits_per_sample, depth.bits());
            let interleaved: Vec<f32> =
                (0..1000).flat_map(|i| [audio[0][i], audio[1][i]]).collect();
            assert_eq!(samples, interleaved, "{depth:?}");
        }
    }

    #[test]
    fn software_tag_is_written_after_the_audio_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        // 24-bit mono with an odd frame count: an odd-length data chunk needs a pad byte.
        for (name, channels, frames, tag) in [
            ("odd.wav", 1, 999, "Lacquer demo"),
            ("even.wav", 2, 1000, "Lacquer"),
        ] {
            let mut audio: Vec<Vec<f32>> = test_signal().into_iter().take(channels).collect();
            for c in &mut audio {
                c.truncate(frames);
            }
            quantize_in_place(&mut audio, BitDepth::Int24, 3);
            let path = dir.path().join(name);
            let file = std::fs::File::create(&path).unwrap();
            write_wav(file, &audio, 48_000, BitDepth::Int24, Some(tag)).unwrap();
            assert_eq!(software_tag(&path).as_deref(), Some(tag));
            let bytes = std::fs::read(&path).unwrap();
            let riff = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
            assert_eq!(riff + 8, bytes.len());
            assert_eq!(bytes.len() % 2, 0);
            let (spec, samples) = read_back(bytes);
            assert_eq!(usize::from(spec.channels), channels);
            let interleaved: Vec<f32> = (0..frames)
                .flat_map(|i| audio.iter().map(move |c| c[i]))
                .collect();
            assert_eq!(samples, interleaved);
        }
        let plain = dir.path().join("plain.wav");
        let file = std::fs::File::create(&plain).unwrap();
        write_wav(file, &test_signal(), 48_000, BitDepth::Int16, None).unwrap();
        assert_eq!(software_tag(&plain), None);
        std::fs::write(dir.path().join("text.wav"), b"RIFF not really").unwrap();
        assert_eq!(software_tag(&dir.path().join("text.wav")), None);
    }

    #[test]
    fn flac_refuses_float_and_states_its_block_size_and_length() {
        let mut bytes = Cursor::new(Vec::new());
        let err =
            write_flac(&mut bytes, &test_signal(), 48_000, BitDepth::Float32, &[]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        // Shorter than one block, two blocks and a short one, and empty.
        for frames in [10, 2 * 4096 + 5, 0] {
            let mut audio: Vec<Vec<f32>> = (0..2)
                .map(|c| (0..frames).map(|i| ((i + c) % 7) as f32 / 64.0).collect())
                .collect();
            quantize_in_place(&mut audio, BitDepth::Int16, 1);
            let mut bytes = Cursor::new(Vec::new());
            write_flac(&mut bytes, &audio, 44_100, BitDepth::Int16, &[]).unwrap();
            let bytes = bytes.into_inner();
            assert_eq!(&bytes[..4], b"fLaC");
            // STREAMINFO, not the last metadata block, 34 bytes: min and max block size 4096.
            assert_eq!(&bytes[4..8], &[0, 0, 0, 34]);
            assert_eq!(&bytes[8..12], &[0x10, 0, 0x10, 0]);
            // The low 36 bits of bytes 18..26 are the length in frames.
            let packed = u64::from_be_bytes(bytes[18..26].try_into().unwrap());
            assert_eq!(packed & 0xF_FFFF_FFFF, frames as u64, "{frames}");
            // Then the last block, VORBIS_COMMENT with the vendor string and no comments.
            let vendor_len = FLAC_VENDOR.len();
            let block_len = 4 + vendor_len + 4;
            assert_eq!(&bytes[42..46], &[0x84, 0, 0, block_len as u8], "{frames}");
            assert_eq!(&bytes[46..50], &(vendor_len as u32).to_le_bytes());
            assert_eq!(&bytes[50..50 + vendor_len], FLAC_VENDOR.as_bytes());
            assert_eq!(&bytes[50 + vendor_len..54 + vendor_len], &[0, 0, 0, 0]);
            let header_len = 46 + block_len;
            assert_eq!(bytes.len() > header_len, frames > 0, "{frames}");
            if frames > 0 {
                // The first frame's sync code follows at once.
                assert_eq!(&bytes[header_len..header_len + 2], &[0xFF, 0xF8]);
            }
        }
    }

    #[test]
    fn the_vorbis_comment_block_is_laid_out_as_the_format_says() {
        let tags = [
            ("TITLE".to_string(), "Caf\u{e9}".to_string()),
            ("EMPTY".to_string(), String::new()),
            ("TRACKNUMBER".to_string(), "3".to_string()),
        ];
        #[rustfmt::skip]
        let expected: &[u8] = &[
            3, 0, 0, 0, b'L', b'a', b'q', // vendor string, its length little-endian
            2, 0, 0, 0, // two comments (the empty value is left out)
            11, 0, 0, 0, b'T', b'I', b'T', b'L', b'E', b'=', b'C', b'a', b'f', 0xC3, 0xA9,
            13, 0, 0, 0, b'T', b'R', b'A', b'C', b'K', b'N', b'U', b'M', b'B', b'E', b'R', b'=',
            b'3',
        ];
        assert_eq!(vorbis_comment_block("Laq", &tags), expected);
        // No tags: the vendor string and a count of 0.
        assert_eq!(vorbis_comment_block("", &[]), [0; 8]);

        // In a FLAC file: STREAMINFO loses the last-block flag, the comment block (type 4,
        // its length big-endian in 24 bits) has it, and the first frame follows.
        let mut audio = vec![vec![0.25f32; 10]];
        quantize_in_place(&mut audio, BitDepth::Int16, 1);
        let mut bytes = Cursor::new(Vec::new());
        write_flac(&mut bytes, &audio, 48_000, BitDepth::Int16, &tags).unwrap();
        let bytes = bytes.into_inner();
        let block = vorbis_comment_block(FLAC_VENDOR, &tags);
        assert_eq!(&bytes[4..8], &[0x00, 0, 0, 34]);
        assert_eq!(&bytes[42..46], &[0x84, 0, 0, block.len() as u8]);
        assert_eq!(&bytes[46..46 + block.len()], block.as_slice());
        assert_eq!(&bytes[46 + block.len()..48 + block.len()], &[0xFF, 0xF8]);
    }

    #[test]
    fn quantisation_is_deterministic_and_counts_clipping() {
        let mut a = test_signal();
        let mut b = test_signal();
        quantize_in_place(&mut a, BitDepth::Int16, 9);
        quantize_in_place(&mut b, BitDepth::Int16, 9);
        assert_eq!(a, b);
        let mut hot = vec![vec![1.5f32, -1.5, 0.0, 0.999]];
        assert_eq!(quantize_in_place(&mut hot, BitDepth::Int16, 9), 2);
        assert!(hot[0].iter().all(|s| (-1.0..1.0).contains(s)));
    }
}
