//! Writing the mastered audio: requantisation with TPDF dither (16/24-bit) and the WAV file
//! itself (hound). Quantisation happens in place first, so the buffer that is measured for the
//! "after" column holds exactly the values written to the file.

use super::args::BitDepth;
use lacquer_core::dsp::dither::TpdfDither;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Requantises planar audio in place to the grid of `depth` with TPDF dither seeded by `seed`
/// (frame by frame, channel by channel, so the result is deterministic). Returns the number of
/// samples that had to be clamped to full scale. 32-bit float is left untouched (no dither:
/// float has no fixed LSB to decorrelate).
pub fn quantize_in_place(channels: &mut [Vec<f32>], depth: BitDepth, seed: u64) -> usize {
    if depth == BitDepth::Float32 {
        return 0;
    }
    let mut dither = TpdfDither::new(u32::from(depth.bits()), seed);
    let num_frames = channels.first().map_or(0, Vec::len);
    let mut num_clipped = 0;
    for frame in 0..num_frames {
        for channel in channels.iter_mut() {
            if let Some(sample) = channel.get_mut(frame) {
                let (code, clipped) = dither.quantize(*sample);
                num_clipped += usize::from(clipped);
                *sample = dither.code_to_sample(code);
            }
        }
    }
    num_clipped
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
pub fn write_wav<W: Write + Seek>(
    mut sink: W,
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
    depth: BitDepth,
    software: Option<&str>,
) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: channels.len() as u16,
        sample_rate: sample_rate_hz,
        bits_per_sample: depth.bits(),
        sample_format: match depth {
            BitDepth::Float32 => hound::SampleFormat::Float,
            BitDepth::Int16 | BitDepth::Int24 => hound::SampleFormat::Int,
        },
    };
    let mut writer = hound::WavWriter::new(&mut sink, spec)?;
    let num_frames = channels.first().map_or(0, Vec::len);
    for frame in 0..num_frames {
        for channel in channels {
            let sample = channel.get(frame).copied().unwrap_or(0.0);
            match depth {
                BitDepth::Float32 => writer.write_sample(sample)?,
                BitDepth::Int16 => writer.write_sample(code_of(sample, 16) as i16)?,
                BitDepth::Int24 => writer.write_sample(code_of(sample, 24))?,
            }
        }
    }
    writer.finalize()?;
    if let Some(software) = software {
        append_software_chunk(&mut sink, software)?;
    }
    sink.flush()?;
    Ok(())
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
