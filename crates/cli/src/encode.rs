//! Writing the mastered audio: requantisation with TPDF dither (16/24-bit) and the WAV file
//! itself (hound). Quantisation happens in place first, so the buffer that is measured for the
//! "after" column holds exactly the values written to the file.

use super::args::BitDepth;
use lacquer_core::dsp::dither::TpdfDither;
use std::io::{Seek, Write};

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
/// already be quantised by [`quantize_in_place`]; they are written exactly.
pub fn write_wav<W: Write + Seek>(
    sink: W,
    channels: &[Vec<f32>],
    sample_rate_hz: u32,
    depth: BitDepth,
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
    let mut writer = hound::WavWriter::new(sink, spec)?;
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
    writer.finalize()
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
        write_wav(&mut bytes, &audio, 44_100, BitDepth::Float32).unwrap();
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
            write_wav(&mut bytes, &audio, 48_000, depth).unwrap();
            let (spec, samples) = read_back(bytes.into_inner());
            assert_eq!(spec.bits_per_sample, depth.bits());
            let interleaved: Vec<f32> =
                (0..1000).flat_map(|i| [audio[0][i], audio[1][i]]).collect();
            assert_eq!(samples, interleaved, "{depth:?}");
        }
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
