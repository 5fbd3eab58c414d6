//! The input of `lacquer master` as a [`BlockSource`]: decoded into memory when it is no
//! longer than [`IN_MEMORY_LIMIT_BYTES`] (a song), else decoded again from the file for every
//! pass over it (a concert, a DJ set, an hour of field recording), so that memory does not
//! grow with the file's length. Both hand out the same samples: the file's, cleaned (see
//! [`crate::decode::decode_stream`]) and with `--flip-polarity` applied.

use super::CliError;
use super::args::FlipChannel;
use super::decode::{StreamInfo, decode_stream, redecode};
use lacquer_core::render::{BlockSink, BlockSource, SliceSource};
use std::path::{Path, PathBuf};

/// Largest decoded input (32-bit float samples) kept in memory, bytes: 128 MiB, about 11
/// minutes of 48 kHz stereo or 5.8 minutes of 96 kHz stereo, so a whole master stays well
/// under 300 MB whatever the input's length. Longer inputs are decoded again for each pass
/// instead (a WAV or FLAC decodes at hundreds of times real time, so this costs little).
pub const IN_MEMORY_LIMIT_BYTES: usize = 128 << 20;

/// The limit in force: [`IN_MEMORY_LIMIT_BYTES`], or the number of bytes in the environment
/// variable `LACQUER_IN_MEMORY_LIMIT` (for the tests and `cargo xtask bench-memory`, which
/// stream short files to show that both paths write the same master).
fn in_memory_limit() -> usize {
    if let Some(limit) = std::env::var("LACQUER_IN_MEMORY_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return limit;
    }
    IN_MEMORY_LIMIT_BYTES
}

/// Where the samples are.
enum Samples {
    /// Decoded, planar.
    Memory(Vec<Vec<f32>>),
    /// Decoded again from the file for every pass.
    File(PathBuf),
}

/// A decoded input: its header figures and its samples (see the module docs).
pub struct InputAudio {
    /// What the first decode found.
    pub info: StreamInfo,
    samples: Samples,
    flip: Option<usize>,
}

impl std::fmt::Debug for InputAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputAudio")
            .field("info", &self.info)
            .field("in_memory", &matches!(self.samples, Samples::Memory(_)))
            .finish_non_exhaustive()
    }
}

impl InputAudio {
    /// Decodes `path` once (every check of [`decode_stream`]), keeping the samples if they fit
    /// in [`IN_MEMORY_LIMIT_BYTES`]. `flip` inverts one channel's polarity (a mono file is
    /// refused then).
    pub fn open(
        path: &Path,
        allow_partial: bool,
        flip: Option<FlipChannel>,
    ) -> Result<Self, CliError> {
        Self::open_with_limit(path, allow_partial, flip, in_memory_limit())
    }

    /// [`Self::open`] with the in-memory limit `limit`, bytes.
    fn open_with_limit(
        path: &Path,
        allow_partial: bool,
        flip: Option<FlipChannel>,
        limit: usize,
    ) -> Result<Self, CliError> {
        let mut kept: Option<Vec<Vec<f32>>> = Some(Vec::new());
        let mut bytes = 0usize;
        let info = decode_stream::<CliError>(path, allow_partial, &mut |block, _| {
            bytes += block.iter().map(|c| c.len() * 4).sum::<usize>();
            if bytes > limit {
                kept = None;
            }
            if let Some(channels) = kept.as_mut() {
                if channels.is_empty() {
                    *channels = vec![Vec::new(); block.len()];
                }
                for (out, plane) in channels.iter_mut().zip(block) {
                    out.extend_from_slice(plane);
                }
            }
            Ok(())
        })?;
        let flip = match flip {
            Some(channel) if info.num_channels == 2 => Some(channel.index()),
            Some(_) => {
                return Err(CliError::new(format!(
                    "'{}' is mono; --flip-polarity needs a stereo input",
                    path.display()
                )));
            }
            None => None,
        };
        let samples = match kept {
            Some(mut channels) => {
                if let Some(c) = flip.and_then(|i| channels.get_mut(i)) {
                    invert(c);
                }
                Samples::Memory(channels)
            }
            None => Samples::File(path.to_path_buf()),
        };
        Ok(Self {
            info,
            samples,
            flip,
        })
    }

    /// Whether the samples are in memory (else each pass decodes the file again).
    #[cfg(test)]
    pub fn in_memory(&self) -> bool {
        matches!(self.samples, Samples::Memory(_))
    }

    /// Length, seconds.
    pub fn seconds(&self) -> f32 {
        self.info.num_frames as f32 / self.info.sample_rate_hz.max(1) as f32
    }
}

fn invert(samples: &mut [f32]) {
    for s in samples {
        *s = -*s;
    }
}

impl BlockSource for InputAudio {
    fn num_channels(&self) -> usize {
        self.info.num_channels
    }

    fn sample_rate_hz(&self) -> u32 {
        self.info.sample_rate_hz
    }

    fn num_frames(&self) -> usize {
        self.info.num_frames
    }

    fn for_each_block(&self, sink: &mut BlockSink<'_>) -> Result<(), String> {
        match &self.samples {
            Samples::Memory(channels) => {
                let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
                SliceSource::new(&slices, self.info.sample_rate_hz).for_each_block(sink)
            }
            Samples::File(path) => {
                // The decode stops where the first one did (a file with --allow-partial), and
                // a sink's error is handed back as it was.
                let mut left = self.info.num_frames;
                let mut sink_error = None;
                let result = redecode(path, &mut |block, _| {
                    let frames = block.first().map_or(0, Vec::len).min(left);
                    if frames == 0 {
                        return Ok(());
                    }
                    left -= frames;
                    let mut flipped;
                    let block: &[Vec<f32>] = match self.flip {
                        Some(i) => {
                            flipped = block.to_vec();
                            if let Some(c) = flipped.get_mut(i) {
                                invert(c);
                            }
                            &flipped
                        }
                        None => block,
                    };
                    let slices: Vec<&[f32]> = block.iter().map(|c| &c[..frames]).collect();
                    sink(&slices).map_err(|e| {
                        sink_error = Some(e.clone());
                        CliError::new(e)
                    })
                });
                if let Some(e) = sink_error {
                    return Err(e);
                }
                result.map_err(|e| e.to_string())?;
                if left > 0 {
                    return Err(format!(
                        "'{}' changed while it was being mastered (it decoded shorter on a \
                         later pass); leave the input alone until lacquer is done",
                        path.display()
                    ));
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, frames: usize) {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 44_100,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..frames {
            w.write_sample(((i * 37) % 20_000) as i16).unwrap();
            w.write_sample(-(((i * 11) % 20_000) as i16)).unwrap();
        }
        w.finalize().unwrap();
    }

    fn collect(source: &InputAudio) -> Result<Vec<Vec<f32>>, String> {
        let mut out = vec![Vec::new(); source.num_channels()];
        source.for_each_block(&mut |block| {
            for (o, b) in out.iter_mut().zip(block) {
                o.extend_from_slice(b);
            }
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn both_paths_hand_out_the_same_samples_every_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.wav");
        write_wav(&path, 100_000);
        for flip in [None, Some(FlipChannel::Right)] {
            let memory = InputAudio::open_with_limit(&path, false, flip, usize::MAX).unwrap();
            let file = InputAudio::open_with_limit(&path, false, flip, 0).unwrap();
            assert!(memory.in_memory() && !file.in_memory());
            let expected = collect(&memory).unwrap();
            assert_eq!(expected[0].len(), 100_000);
            assert_eq!(file.num_frames(), 100_000);
            assert_eq!(collect(&file).unwrap(), expected);
            assert_eq!(collect(&file).unwrap(), expected, "second pass");
            // The flip inverts the right channel only.
            let sign = if flip.is_some() { -1.0 } else { 1.0 };
            assert_eq!(expected[1][5], sign * -(55.0 / 32_768.0));
            assert_eq!(expected[0][5], 185.0 / 32_768.0);
        }
    }

    #[test]
    fn an_input_that_shrinks_between_passes_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.wav");
        write_wav(&path, 100_000);
        let file = InputAudio::open_with_limit(&path, false, None, 0).unwrap();
        write_wav(&path, 50_000);
        let error = collect(&file).unwrap_err();
        assert!(
            error.contains("changed while it was being mastered"),
            "{error}"
        );
        assert!(error.contains("in.wav"), "{error}");
    }

    #[test]
    fn a_sink_error_comes_back_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.wav");
        write_wav(&path, 10_000);
        let file = InputAudio::open_with_limit(&path, false, None, 0).unwrap();
        let result = file.for_each_block(&mut |_| Err("disk full".into()));
        assert_eq!(result, Err("disk full".to_string()));
    }
}
