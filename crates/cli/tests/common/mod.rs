//! Helpers shared by the CLI integration tests: signal synthesis, writers for every input
//! format the CLI reads (WAV via hound, FLAC via flacenc, MP3 via LAME, Ogg Vorbis via
//! libvorbis, AIFF by hand), and running the built `lacquer` binary.

#![allow(dead_code)] // Each test crate uses a different subset.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Planar audio: one `Vec` per channel.
pub type Planar = Vec<Vec<f32>>;

/// Linear amplitude of a level in dBFS.
pub fn db_to_amp(db: f64) -> f64 {
    10f64.powf(db / 20.0)
}

/// A sine of `freq_hz` with continuous phase whose peak level steps through `segments`
/// of (dBFS, seconds), as the EBU test signals do.
pub fn stepped_sine(sample_rate_hz: u32, freq_hz: f64, segments: &[(f64, f64)]) -> Vec<f32> {
    let sr = f64::from(sample_rate_hz);
    let mut out = Vec::new();
    for &(dbfs, seconds) in segments {
        let amp = db_to_amp(dbfs);
        let n = (seconds * sr).round() as usize;
        let start = out.len();
        out.extend(
            (start..start + n).map(|i| (amp * (2.0 * PI * freq_hz * i as f64 / sr).sin()) as f32),
        );
    }
    out
}

/// A steady sine with a given linear amplitude and sampling phase (degrees), faded in and out
/// over `FADE_S` with a raised cosine: an abrupt start from silence is a step whose
/// band-limited reconstruction overshoots (Gibbs), which is not what the true-peak cases
/// measure. The fades never exceed the steady amplitude.
pub fn phased_sine(
    sample_rate_hz: u32,
    freq_hz: f64,
    amplitude: f64,
    phase_deg: f64,
    seconds: f64,
) -> Vec<f32> {
    const FADE_S: f64 = 0.05;
    let sr = f64::from(sample_rate_hz);
    let phase = phase_deg.to_radians();
    let n = (seconds * sr).round() as usize;
    let fade = (FADE_S * sr) as usize;
    (0..n)
        .map(|i| {
            let edge = i.min(n - 1 - i);
            let gain = if edge < fade {
                0.5 - 0.5 * (PI * edge as f64 / fade as f64).cos()
            } else {
                1.0
            };
            (gain * amplitude * (2.0 * PI * freq_hz * i as f64 / sr + phase).sin()) as f32
        })
        .collect()
}

/// A music-like stereo test signal: two tones and a little deterministic noise, peaking near
/// `peak_dbfs`, different in each channel (so channel mix-ups show).
pub fn program(sample_rate_hz: u32, num_channels: usize, seconds: f64, peak_dbfs: f64) -> Planar {
    let sr = f64::from(sample_rate_hz);
    let n = (seconds * sr).round() as usize;
    let amp = db_to_amp(peak_dbfs) / 1.3;
    let mut state = 0x9E37_79B9u32;
    (0..num_channels)
        .map(|ch| {
            let f1 = 220.0 * (ch as f64 + 1.0);
            (0..n)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    let noise = f64::from(state) / f64::from(u32::MAX) - 0.5;
                    let t = i as f64 / sr;
                    (amp * (0.7 * (2.0 * PI * f1 * t).sin()
                        + 0.4 * (2.0 * PI * 3150.0 * t).sin()
                        + 0.2 * noise)) as f32
                })
                .collect()
        })
        .collect()
}

/// RMS of all samples of all channels.
pub fn rms(audio: &[Vec<f32>]) -> f64 {
    let (sum, n) = audio.iter().flatten().fold((0.0f64, 0usize), |(s, n), &x| {
        (s + f64::from(x).powi(2), n + 1)
    });
    (sum / n.max(1) as f64).sqrt()
}

/// Interleaves planar audio.
pub fn interleave(audio: &[Vec<f32>]) -> Vec<f32> {
    let n = audio.first().map_or(0, Vec::len);
    (0..n)
        .flat_map(|i| audio.iter().map(move |c| c[i]))
        .collect()
}

/// Integer code of a sample at `bits` bits (plain rounding; test inputs need no dither).
pub fn to_code(x: f32, bits: u16) -> i32 {
    let fs = f64::from(1u32 << (bits - 1));
    (f64::from(x) * fs).round().clamp(-fs, fs - 1.0) as i32
}

/// Writes a WAV file: `bits` 16 or 24 (integer) or 32 (float).
pub fn write_wav(path: &Path, audio: &[Vec<f32>], sample_rate_hz: u32, bits: u16) {
    let spec = hound::WavSpec {
        channels: audio.len() as u16,
        sample_rate: sample_rate_hz,
        bits_per_sample: bits,
        sample_format: if bits == 32 {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create test WAV");
    for x in interleave(audio) {
        match bits {
            32 => w.write_sample(x).unwrap(),
            16 => w.write_sample(to_code(x, 16) as i16).unwrap(),
            _ => w.write_sample(to_code(x, bits)).unwrap(),
        }
    }
    w.finalize().unwrap();
}

/// Reads a WAV file back as planar f32 plus its spec.
pub fn read_wav(path: &Path) -> (hound::WavSpec, Planar) {
    let mut r = hound::WavReader::open(path).expect("open output WAV");
    let spec = r.spec();
    let flat: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let fs = f32::powi(2.0, i32::from(spec.bits_per_sample) - 1);
            r.samples::<i32>().map(|s| s.unwrap() as f32 / fs).collect()
        }
    };
    let c = usize::from(spec.channels);
    let planar = (0..c)
        .map(|ch| flat.iter().skip(ch).step_by(c).copied().collect())
        .collect();
    (spec, planar)
}

/// Writes a 16-bit FLAC file (flacenc).
pub fn write_flac(path: &Path, audio: &[Vec<f32>], sample_rate_hz: u32) {
    write_flac_tagged(path, audio, sample_rate_hz, &[]);
}

/// Writes a 16-bit FLAC file (flacenc) with a VORBIS_COMMENT block after STREAMINFO holding
/// `tags` as `KEY=value` comments (vendor "test"), unless `tags` is empty. The block's bytes
/// are laid out here, by hand, after the FLAC format's description, independently of the
/// CLI's own writer.
pub fn write_flac_tagged(
    path: &Path,
    audio: &[Vec<f32>],
    sample_rate_hz: u32,
    tags: &[(&str, &str)],
) {
    use flacenc::component::BitRepr;
    use flacenc::error::Verify;
    let samples: Vec<i32> = interleave(audio)
        .into_iter()
        .map(|x| to_code(x, 16))
        .collect();
    let config = flacenc::config::Encoder::default()
        .into_verified()
        .expect("FLAC config");
    let source = flacenc::source::MemSource::from_samples(
        &samples,
        audio.len(),
        16,
        sample_rate_hz as usize,
    );
    // symphonia only accepts fixed-blocksize frames when STREAMINFO's minimum and maximum block
    // sizes are equal, and flacenc counts a shorter last block in the minimum: use a block size
    // that divides the length so that every block is the same.
    let frames = audio[0].len();
    let block_size = (16..=4096)
        .rev()
        .find(|&b| frames.is_multiple_of(b))
        .unwrap_or(4096);
    let mut stream =
        flacenc::encode_with_fixed_block_size(&config, source, block_size).expect("FLAC encode");
    if !tags.is_empty() {
        let mut block = Vec::new();
        block.extend_from_slice(&4u32.to_le_bytes());
        block.extend_from_slice(b"test");
        block.extend_from_slice(&(tags.len() as u32).to_le_bytes());
        for (key, value) in tags {
            let comment = format!("{key}={value}");
            block.extend_from_slice(&(comment.len() as u32).to_le_bytes());
            block.extend_from_slice(comment.as_bytes());
        }
        stream.add_metadata_block(
            flacenc::component::MetadataBlockData::new_unknown(4, &block).expect("block type"),
        );
    }
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).expect("FLAC write");
    std::fs::write(path, sink.as_slice()).unwrap();
}

/// Writes a 192 kb/s MP3 (LAME) with its LAME tag, so decoders can trim encoder delay.
pub fn write_mp3(path: &Path, audio: &[Vec<f32>], sample_rate_hz: u32) {
    use mp3lame_encoder::{Bitrate, Builder, DualPcm, FlushGap, MonoPcm, Quality};
    let mut b = Builder::new().expect("LAME");
    b.set_num_channels(audio.len() as u8).unwrap();
    b.set_sample_rate(sample_rate_hz).unwrap();
    b.set_brate(Bitrate::Kbps192).unwrap();
    b.set_quality(Quality::Best).unwrap();
    let mut enc = b.build().expect("LAME init");
    let pcm: Vec<Vec<i16>> = audio
        .iter()
        .map(|c| c.iter().map(|&x| to_code(x, 16) as i16).collect())
        .collect();
    let n = pcm[0].len();
    let mut out = Vec::with_capacity(mp3lame_encoder::max_required_buffer_size(n));
    match pcm.as_slice() {
        [m] => enc.encode_to_vec(MonoPcm(m.as_slice()), &mut out),
        [l, r] => enc.encode_to_vec(DualPcm { left: l, right: r }, &mut out),
        _ => panic!("MP3 test files are mono or stereo"),
    }
    .expect("LAME encode");
    out.reserve(7200);
    enc.flush_to_vec::<FlushGap>(&mut out).expect("LAME flush");
    let mut tag = Vec::with_capacity(enc.lame_tag_size());
    if enc.lame_tag_encode_to_vec(&mut tag).is_some() {
        out[..tag.len()].copy_from_slice(&tag);
    }
    std::fs::write(path, out).unwrap();
}

/// Writes an Ogg Vorbis file (libvorbis through vorbis_rs), fixed stream serial.
pub fn write_ogg(path: &Path, audio: &[Vec<f32>], sample_rate_hz: u32) {
    use std::num::{NonZeroU8, NonZeroU32};
    let file = std::fs::File::create(path).unwrap();
    let mut enc = vorbis_rs::VorbisEncoderBuilder::new_with_serial(
        NonZeroU32::new(sample_rate_hz).unwrap(),
        NonZeroU8::new(audio.len() as u8).unwrap(),
        file,
        1,
    )
    .build()
    .expect("Vorbis init");
    let n = audio[0].len();
    let mut start = 0;
    while start < n {
        let end = (start + 1024).min(n);
        let block: Vec<&[f32]> = audio.iter().map(|c| &c[start..end]).collect();
        enc.encode_audio_block(&block).expect("Vorbis encode");
        start = end;
    }
    enc.finish().expect("Vorbis finish");
}

/// Writes a 16-bit AIFF file by hand (FORM/COMM/SSND, big-endian, 80-bit float rate).
pub fn write_aiff(path: &Path, audio: &[Vec<f32>], sample_rate_hz: u32) {
    let channels = audio.len() as u16;
    let frames = audio[0].len() as u32;
    let mut data = Vec::new();
    for x in interleave(audio) {
        data.extend_from_slice(&(to_code(x, 16) as i16).to_be_bytes());
    }
    // IEEE 754 80-bit extended: sign/exponent (bias 16383) then a 64-bit mantissa with an
    // explicit integer bit.
    let exponent = 63 - u64::from(sample_rate_hz).leading_zeros();
    let mut rate = Vec::new();
    rate.extend_from_slice(&((16383 + exponent) as u16).to_be_bytes());
    rate.extend_from_slice(&(u64::from(sample_rate_hz) << (63 - exponent)).to_be_bytes());
    let mut comm = Vec::new();
    comm.extend_from_slice(&channels.to_be_bytes());
    comm.extend_from_slice(&frames.to_be_bytes());
    comm.extend_from_slice(&16u16.to_be_bytes());
    comm.extend_from_slice(&rate);
    let mut body = b"AIFF".to_vec();
    body.extend_from_slice(b"COMM");
    body.extend_from_slice(&(comm.len() as u32).to_be_bytes());
    body.extend_from_slice(&comm);
    body.extend_from_slice(b"SSND");
    body.extend_from_slice(&(data.len() as u32 + 8).to_be_bytes());
    body.extend_from_slice(&[0; 8]); // offset, block size
    body.extend_from_slice(&data);
    let mut file = b"FORM".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_be_bytes());
    file.extend_from_slice(&body);
    std::fs::write(path, file).unwrap();
}

/// The built binary.
pub fn lacquer() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_lacquer"))
}

/// Runs `lacquer` with `args` in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(lacquer())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run lacquer")
}

/// Runs `lacquer analyze --json FILE` and returns the parsed object; fails the test with
/// stderr if the command failed.
pub fn analyze_json(path: &Path) -> serde_json::Value {
    let out = Command::new(lacquer())
        .args(["analyze", "--json"])
        .arg(path)
        .output()
        .expect("run lacquer");
    assert!(
        out.status.success(),
        "analyze {} failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON object ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A number from the analysis object (panics with the object if null or missing).
pub fn num(v: &serde_json::Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} is not a number in {v}"))
}

/// Asserts that `value` lies in `expected - minus ..= expected + plus`.
pub fn assert_within(what: &str, value: f64, expected: f64, minus: f64, plus: f64) {
    assert!(
        value >= expected - minus && value <= expected + plus,
        "{what}: {value:.3} not within {expected} -{minus}/+{plus}"
    );
}

/// The names of the entries of `dir`, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
