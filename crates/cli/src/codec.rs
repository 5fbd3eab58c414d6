//! The codec check: what the streaming services' lossy encoders do to a master's true peak.
//!
//! A lossy codec removes and smears content, and the decoded waveform can peak higher than the
//! master it was made from (the reason a -1 dBTP ceiling exists at all). The check encodes the
//! master in memory the way the services deliver it, decodes it again with the same decoder
//! `lacquer` reads files with, and measures the decoded signal's true peak with the same meter
//! as the master's:
//!
//! - MP3, 320 kb/s CBR (LAME 3.100, `-q 2`), the stores' and many services' download and
//!   stream format; a master at 32, 44.1 or 48 kHz is encoded at its rate, any other at
//!   44.1 kHz (LAME's own resampler, as the services resample);
//! - Ogg Vorbis at quality 5 (libvorbis, aoTuV; about 160 kb/s for 44.1 kHz stereo, Spotify's
//!   "high" stream), at the master's rate.
//!
//! The two are encoded on two threads. `--codec-safe` lowers the ceiling until the worst codec
//! stays under [`CODEC_SAFE_DBTP`] (see `master`).

use super::decode::decode_bytes;
use lacquer_core::meter::peak::true_peak_dbtp;
use std::num::{NonZeroU8, NonZeroU32};
use std::path::Path;

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
/// measures the true peak. Never fails as a whole: a codec that cannot run says why.
pub fn check(channels: &[Vec<f32>], sample_rate_hz: u32) -> Vec<CodecPeak> {
    let (mp3, vorbis) = std::thread::scope(|s| {
        let mp3 = s.spawn(|| measure(encode_mp3(channels, sample_rate_hz), "check.mp3"));
        let vorbis = measure(encode_vorbis(channels, sample_rate_hz), "check.ogg");
        let mp3 = mp3
            .join()
            .unwrap_or_else(|_| Err("the encoder failed".to_string()));
        (mp3, vorbis)
    });
    vec![
        CodecPeak {
            codec: MP3,
            true_peak_dbtp: mp3,
        },
        CodecPeak {
            codec: VORBIS,
            true_peak_dbtp: vorbis,
        },
    ]
}

/// The highest measured codec peak, dBTP, if any codec was measured.
pub fn worst_dbtp(peaks: &[CodecPeak]) -> Option<f64> {
    peaks
        .iter()
        .filter_map(|p| p.true_peak_dbtp.as_ref().ok().copied())
        .reduce(f64::max)
}

/// Decodes an encoded file and measures its true peak.
fn measure(encoded: Result<Vec<u8>, String>, name: &str) -> Result<f64, String> {
    let (decoded, rate) = decode_bytes(encoded?, Path::new(name)).map_err(|e| e.to_string())?;
    let slices: Vec<&[f32]> = decoded.iter().map(Vec::as_slice).collect();
    let peak = true_peak_dbtp(&slices, rate).map_err(|e| format!("cannot measure: {e}"))?;
    Ok(peak.unwrap_or(f64::NEG_INFINITY))
}

/// MP3 at 320 kb/s, LAME quality 2.
fn encode_mp3(channels: &[Vec<f32>], sample_rate_hz: u32) -> Result<Vec<u8>, String> {
    use mp3lame_encoder::{Bitrate, Builder, DualPcm, FlushNoGap, MonoPcm, Quality};
    let fail = |what: &str| format!("the MP3 encoder {what}");
    let mut builder = Builder::new().ok_or_else(|| fail("could not start"))?;
    builder
        .set_num_channels(channels.len() as u8)
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
    let frames = channels.first().map_or(0, Vec::len);
    // LAME's output for a chunk grows with its resampling ratio (up to 44.1 kHz from 8 kHz).
    let chunk = 8192;
    let room = mp3lame_encoder::max_required_buffer_size(chunk * 6);
    let mut out = Vec::new();
    let mut start = 0;
    while start < frames {
        let end = (start + chunk).min(frames);
        out.reserve(room);
        match channels {
            [mono] => encoder.encode_to_vec(MonoPcm(&mono[start..end]), &mut out),
            [left, right] => encoder.encode_to_vec(
                DualPcm {
                    left: &left[start..end],
                    right: &right[start..end],
                },
                &mut out,
            ),
            _ => return Err("the codec check takes mono or stereo".into()),
        }
        .map_err(|e| fail(&format!("failed ({e})")))?;
        start = end;
    }
    out.reserve(7200);
    encoder
        .flush_to_vec::<FlushNoGap>(&mut out)
        .map_err(|e| fail(&format!("failed at the end ({e})")))?;
    Ok(out)
}

/// Ogg Vorbis at quality 5.
fn encode_vorbis(channels: &[Vec<f32>], sample_rate_hz: u32) -> Result<Vec<u8>, String> {
    use vorbis_rs::{VorbisBitrateManagementStrategy, VorbisEncoderBuilder};
    let fail = |e: vorbis_rs::VorbisError| format!("the Ogg Vorbis encoder failed ({e})");
    let rate = NonZeroU32::new(sample_rate_hz).ok_or("no sample rate")?;
    let count = NonZeroU8::new(channels.len() as u8).ok_or("no channels")?;
    let mut builder = VorbisEncoderBuilder::new_with_serial(rate, count, Vec::new(), 1);
    // Quality 5 (0.5 here), about 160 kb/s for 44.1 kHz stereo: a quality, not a bitrate, so
    // that every rate and channel count has a mode (libvorbis has no 160 kb/s at 22 kHz mono).
    builder.bitrate_management_strategy(VorbisBitrateManagementStrategy::QualityVbr {
        target_quality: 0.5,
    });
    let mut encoder = builder.build().map_err(fail)?;
    let frames = channels.first().map_or(0, Vec::len);
    let mut start = 0;
    while start < frames {
        let end = (start + 4096).min(frames);
        let block: Vec<&[f32]> = channels.iter().map(|c| &c[start..end]).collect();
        encoder.encode_audio_block(&block).map_err(fail)?;
        start = end;
    }
    encoder.finish().map_err(fail)
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
