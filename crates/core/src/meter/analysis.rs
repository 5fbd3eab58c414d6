//! Offline measurement of a whole programme: integrated loudness, loudness range, maximum
//! momentary and short-term loudness (ITU-R BS.1770-4, EBU Tech 3341/3342 via the `ebur128`
//! crate), true and sample peak, peak-to-loudness ratio and L/R correlation.
//!
//! Unlike the real-time [`super::LoudnessMeter`], this keeps every gating block (exact gating,
//! no histogram quantisation) and reads momentary and short-term loudness every 10 ms, which is
//! what EBU Tech 3341 cases 9 and 12 and the maximum-loudness cases need. It is a pure function
//! over planar buffers: the CLI uses it for `analyze` and for the before/after table of
//! `master`.

use ebur128::{EbuR128, Mode};
use serde::Serialize;
use std::fmt;

/// How often momentary and short-term loudness are read to find their maxima, in ms.
/// EBU Tech 3341 requires at least 10 Hz; the maximum-loudness cases are only met to ±0.1 LU
/// with a much finer step, so we read every 10 ms (100 Hz).
pub const READ_INTERVAL_MS: u32 = 10;

/// Length of the momentary window, ms (ITU-R BS.1770-4 / EBU Tech 3341).
pub const MOMENTARY_WINDOW_MS: u32 = 400;

/// Length of the short-term window, ms (EBU Tech 3341).
pub const SHORT_TERM_WINDOW_MS: u32 = 3000;

/// Sample rates the analysis measures correctly, Hz (inclusive). Measured with a stereo 1 kHz
/// sine at -20 dBFS through [`analyze`]: integrated, momentary and short-term loudness read
/// -20.00 within 0.03 LU and the true peak -20.00 dBTP from 8 to 384 kHz (a 100 Hz tone agrees
/// with its 48 kHz reading within 0.25 LU there). Below, `ebur128`'s filters break down: at
/// 6 kHz the true peak over-reads by 0.4 dB, at 4 kHz a 100 Hz tone reads 0.5 LU off, and at
/// 2 kHz and below the K-weighting is unstable (a -20 dBFS tone reads about +3000 LUFS). Above
/// 384 kHz, the highest rate the chain is specified for and the highest any audio format uses,
/// the meter's buffers grow with the rate until it cannot allocate them (a 4 GHz header).
pub const ANALYSIS_RATE_RANGE_HZ: (u32, u32) = (8_000, 384_000);

/// L/R correlation over the loud parts ([`Analysis::loud_correlation`]) below which the right
/// channel counts as the left with its polarity inverted. At -0.9 the mono fold-down
/// `(L + R) / 2` of two equally loud channels keeps (1 + r) / 2 = 5 % of their power, 13 dB
/// down; wide mixes (M/S-widened masters, phasey pads, decorrelated reverbs) stay well above
/// it (a fully decorrelated pair reads 0, deliberately out-of-phase effects over a whole loud
/// passage rarely go below -0.5), so only a polarity error, or a mix made nearly of one
/// inverted source, gets there.
pub const POLARITY_INVERTED_CORRELATION: f64 = -0.9;

/// Blocks the loud-parts correlation is gated in, ms (the momentary window).
const CORRELATION_BLOCK_MS: u32 = 400;

/// Blocks more than this below the mean power of the blocks above the absolute gate do not
/// count in the loud-parts correlation, dB (BS.1770-4's relative gate, without K-weighting).
const CORRELATION_RELATIVE_GATE_DB: f64 = 10.0;

/// Blocks whose mean square is below this do not count in the loud-parts correlation, dBFS
/// (BS.1770-4's absolute gate, as a plain level).
const CORRELATION_ABSOLUTE_GATE_DBFS: f64 = -70.0;

/// Everything `lacquer analyze` reports. `None` (JSON `null`) where the value is undefined:
/// integrated loudness of silence, correlation of a mono file, maxima of windows longer than
/// the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// Gated programme loudness, LUFS (BS.1770-4: absolute gate -70 LUFS, relative -10 LU).
    pub integrated_lufs: Option<f64>,
    /// Loudness range, LU (EBU Tech 3342: short-term values, relative gate -20 LU,
    /// 10th to 95th percentile).
    pub loudness_range_lu: Option<f64>,
    /// Largest true (inter-sample) peak over all channels, dBTP (BS.1770-4 Annex 2).
    pub true_peak_dbtp: Option<f64>,
    /// Largest absolute sample value over all channels, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Largest momentary (400 ms) loudness, LUFS; `None` for files shorter than 400 ms.
    pub momentary_max_lufs: Option<f64>,
    /// Largest short-term (3 s) loudness, LUFS; `None` for files shorter than 3 s.
    pub short_term_max_lufs: Option<f64>,
    /// Peak-to-loudness ratio: true peak minus integrated loudness, dB.
    pub plr_db: Option<f64>,
    /// Pearson correlation of left and right over the whole file, -1..1; `None` for mono or
    /// when a channel is constant.
    pub correlation: Option<f64>,
    /// Correlation of left and right over the loud parts only (400 ms blocks within 10 dB of
    /// the mean power of the blocks above -70 dBFS; `sum(L R) / sqrt(sum(L^2) sum(R^2))`, the
    /// phase meter's figure), -1..1; `None` for mono or silence. Below
    /// [`POLARITY_INVERTED_CORRELATION`] the channels are polarity-inverted copies.
    pub loud_correlation: Option<f64>,
    /// Samples that were NaN or infinite (over all channels); they are measured as 0, as the
    /// chain's sanitize stage plays them.
    pub non_finite_samples: usize,
    /// Length of the programme, seconds.
    pub duration_s: f64,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// Number of channels.
    pub channels: usize,
}

/// Why a measurement could not be made.
#[derive(Debug, Clone, PartialEq)]
pub enum AnalysisError {
    /// No channels, or channels of different lengths.
    BadLayout(String),
    /// The loudness meter refused the sample rate or channel count.
    Meter(String),
    /// The sample rate (Hz) is outside [`ANALYSIS_RATE_RANGE_HZ`].
    UnsupportedRate(u32),
    /// The audio could not be read (a streamed file's decoder, or a sink, failed).
    Read(String),
}

impl fmt::Display for AnalysisError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadLayout(msg) => write!(f, "cannot measure this audio: {msg}"),
            Self::Meter(msg) => write!(f, "loudness meter error: {msg}"),
            Self::Read(msg) => f.write_str(msg),
            Self::UnsupportedRate(rate) => write!(
                f,
                "the sample rate {rate} Hz is outside the range the loudness meters measure \
                 correctly ({} to {} Hz)",
                ANALYSIS_RATE_RANGE_HZ.0, ANALYSIS_RATE_RANGE_HZ.1
            ),
        }
    }
}

impl Analysis {
    /// True when the loud parts of a stereo file have the right channel as the left inverted
    /// (correlation below [`POLARITY_INVERTED_CORRELATION`]).
    pub fn polarity_inverted(&self) -> bool {
        self.loud_correlation
            .is_some_and(|c| c < POLARITY_INVERTED_CORRELATION)
    }
}

/// Correlation of `l` and `r` over their loud parts: see [`Analysis::loud_correlation`].
pub fn loud_correlation(l: &[f32], r: &[f32], sample_rate_hz: u32) -> Option<f64> {
    let n = l.len().min(r.len());
    let block =
        ((u64::from(sample_rate_hz) * u64::from(CORRELATION_BLOCK_MS) / 1000) as usize).max(1);
    // (sum L R, sum L^2, sum R^2, frames) per block.
    let blocks: Vec<(f64, f64, f64, usize)> = l[..n]
        .chunks(block)
        .zip(r[..n].chunks(block))
        .map(|(a, b)| {
            let (mut lr, mut ll, mut rr) = (0.0f64, 0.0f64, 0.0f64);
            for (&x, &y) in a.iter().zip(b) {
                let (x, y) = (f64::from(x), f64::from(y));
                lr += x * y;
                ll += x * x;
                rr += y * y;
            }
            (lr, ll, rr, a.len())
        })
        .collect();
    let power = |&(_, ll, rr, len): &(f64, f64, f64, usize)| (ll + rr) / (2.0 * len as f64);
    let absolute = 10f64.powf(CORRELATION_ABSOLUTE_GATE_DBFS / 10.0);
    let above: Vec<f64> = blocks.iter().map(power).filter(|&p| p > absolute).collect();
    if above.is_empty() {
        return None;
    }
    let mean = above.iter().sum::<f64>() / above.len() as f64;
    let gate = (mean * 10f64.powf(-CORRELATION_RELATIVE_GATE_DB / 10.0)).max(absolute);
    let (mut lr, mut ll, mut rr) = (0.0f64, 0.0f64, 0.0f64);
    for b in blocks.iter().filter(|b| power(b) >= gate) {
        lr += b.0;
        ll += b.1;
        rr += b.2;
    }
    (ll > 0.0 && rr > 0.0).then(|| (lr / (ll * rr).sqrt()).clamp(-1.0, 1.0))
}

impl std::error::Error for AnalysisError {}

/// A finite level or `None` (`-inf` for silence becomes `None`).
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

/// A linear peak as dB, `None` for 0.
pub(crate) fn peak_db(peak: f64) -> Option<f64> {
    if peak > 0.0 {
        finite(20.0 * peak.log10())
    } else {
        None
    }
}

/// Measures planar audio (one slice per channel, all the same length) at `sample_rate_hz`
/// (within [`ANALYSIS_RATE_RANGE_HZ`]). NaN and infinite samples are measured as 0 and counted
/// ([`Analysis::non_finite_samples`]); subnormal ones as 0 too (exact, and fast).
pub fn analyze(channels: &[&[f32]], sample_rate_hz: u32) -> Result<Analysis, AnalysisError> {
    analyze_with(channels, sample_rate_hz, true)
}

/// [`analyze`], optionally without the fast windowed maxima (for the differential test).
fn analyze_with(
    channels: &[&[f32]],
    sample_rate_hz: u32,
    allow_windowed: bool,
) -> Result<Analysis, AnalysisError> {
    let num_channels = channels.len();
    if num_channels == 0 {
        return Err(AnalysisError::BadLayout("no channels".into()));
    }
    let num_frames = channels[0].len();
    if channels.iter().any(|c| c.len() != num_frames) {
        return Err(AnalysisError::BadLayout(
            "channels have different lengths".into(),
        ));
    }
    if !(ANALYSIS_RATE_RANGE_HZ.0..=ANALYSIS_RATE_RANGE_HZ.1).contains(&sample_rate_hz) {
        return Err(AnalysisError::UnsupportedRate(sample_rate_hz));
    }
    // Cleaned copies only of the channels that need it (a normal file is measured in place).
    let mut non_finite_samples = 0;
    let cleaned: Vec<Option<Vec<f32>>> = channels
        .iter()
        .map(|c| {
            crate::dsp::sanitize::needs_flush(c).then(|| {
                let mut copy = c.to_vec();
                non_finite_samples +=
                    crate::dsp::sanitize::flush_non_finite_and_subnormal(&mut copy);
                copy
            })
        })
        .collect();
    let channels: Vec<&[f32]> = channels
        .iter()
        .zip(&cleaned)
        .map(|(c, clean)| clean.as_deref().unwrap_or(c))
        .collect();
    let channels = channels.as_slice();
    let mode = Mode::I | Mode::M | Mode::S | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK;
    let mut meter = EbuR128::new(num_channels as u32, sample_rate_hz, mode)
        .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;

    let rate = u64::from(sample_rate_hz);
    let step_frames = ((rate * u64::from(READ_INTERVAL_MS)) / 1000).max(1) as usize;
    let mut maxima = WindowMaxima::new(sample_rate_hz, allow_windowed);
    let mut block: Vec<&[f32]> = Vec::with_capacity(num_channels);
    let mut start = 0;
    while start < num_frames {
        let end = (start + step_frames).min(num_frames);
        block.clear();
        block.extend(channels.iter().map(|c| &c[start..end]));
        meter
            .add_frames_planar_f32(&block)
            .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;
        maxima.update(&meter, end, end - start == step_frames);
        start = end;
    }
    let have_short_term = maxima.short_term_max.is_some();

    let integrated_lufs = meter.loudness_global().ok().and_then(finite);
    // LRA is undefined without a single gated short-term block: files under 3 s, or silence.
    let loudness_range_lu = if have_short_term && integrated_lufs.is_some() {
        meter.loudness_range().ok().and_then(finite)
    } else {
        None
    };
    let mut true_peak = 0.0f64;
    let mut sample_peak = 0.0f64;
    for ch in 0..num_channels as u32 {
        true_peak = true_peak.max(meter.true_peak(ch).unwrap_or(0.0));
        sample_peak = sample_peak.max(meter.sample_peak(ch).unwrap_or(0.0));
    }
    let true_peak_dbtp = peak_db(true_peak);
    let plr_db = match (true_peak_dbtp, integrated_lufs) {
        (Some(tp), Some(i)) => Some(tp - i),
        _ => None,
    };
    let (correlation, loud_correlation) = match channels {
        [l, r] => (pearson(l, r), loud_correlation(l, r, sample_rate_hz)),
        _ => (None, None),
    };

    Ok(Analysis {
        integrated_lufs,
        loudness_range_lu,
        true_peak_dbtp,
        sample_peak_dbfs: peak_db(sample_peak),
        momentary_max_lufs: maxima.momentary_max.and_then(finite),
        short_term_max_lufs: maxima.short_term_max.and_then(finite),
        plr_db,
        correlation,
        loud_correlation,
        non_finite_samples,
        duration_s: num_frames as f64 / f64::from(sample_rate_hz.max(1)),
        sample_rate_hz,
        channels: num_channels,
    })
}

/// Loudness of a mean-square energy, LUFS: `-0.691 + 10 log10(energy)` (ITU-R BS.1770-4, eq. 2).
fn energy_to_lufs(energy: f64) -> f64 {
    if energy > 0.0 {
        -0.691 + 10.0 * energy.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// Inverse of [`energy_to_lufs`]; 0 for `-inf`.
fn lufs_to_energy(lufs: f64) -> f64 {
    if lufs.is_finite() {
        10f64.powf((lufs + 0.691) / 10.0)
    } else {
        0.0
    }
}

/// Tracks the maximum momentary (400 ms) and short-term (3 s) loudness, read every
/// [`READ_INTERVAL_MS`].
///
/// Asking `ebur128` for the short-term loudness re-sums 3 s of audio each time, which at 100
/// reads per second costs more than everything else together. When the rate is a multiple of
/// 100 Hz, a 10 ms step is exactly a tenth of ebur128's 100 ms block, so we instead read the
/// energy of each 10 ms step once (`loudness_window(10)`) and average the last 40 (momentary)
/// or 300 (short-term) of them: the same windows, summed once. Other rates read directly.
struct WindowMaxima {
    /// Energies of the last 300 full 10 ms steps, oldest first; `None` for direct reads.
    step_energies: Option<std::collections::VecDeque<f64>>,
    momentary_frames: usize,
    short_term_frames: usize,
    momentary_max: Option<f64>,
    short_term_max: Option<f64>,
}

/// Steps of [`READ_INTERVAL_MS`] in the momentary and the short-term window.
const STEPS_PER_MOMENTARY: usize = (MOMENTARY_WINDOW_MS / READ_INTERVAL_MS) as usize;
const STEPS_PER_SHORT_TERM: usize = (SHORT_TERM_WINDOW_MS / READ_INTERVAL_MS) as usize;

impl WindowMaxima {
    fn new(sample_rate_hz: u32, allow_windowed: bool) -> Self {
        let rate = u64::from(sample_rate_hz);
        let windowed = allow_windowed && sample_rate_hz.is_multiple_of(100);
        Self {
            step_energies: windowed
                .then(|| std::collections::VecDeque::with_capacity(STEPS_PER_SHORT_TERM + 1)),
            momentary_frames: (rate * u64::from(MOMENTARY_WINDOW_MS) / 1000) as usize,
            short_term_frames: (rate * u64::from(SHORT_TERM_WINDOW_MS) / 1000) as usize,
            momentary_max: None,
            short_term_max: None,
        }
    }

    /// Call after each step of audio; `frames_so_far` counts all frames fed, `full_step` is
    /// false only for a shorter final step.
    fn update(&mut self, meter: &EbuR128, frames_so_far: usize, full_step: bool) {
        let raise = |slot: &mut Option<f64>, value: f64| {
            *slot = Some(slot.map_or(value, |m| m.max(value)));
        };
        let want_momentary = frames_so_far >= self.momentary_frames;
        let want_short_term = frames_so_far >= self.short_term_frames;
        match self.step_energies.as_mut() {
            Some(energies) if full_step => {
                let step = meter
                    .loudness_window(READ_INTERVAL_MS)
                    .unwrap_or(f64::NEG_INFINITY);
                energies.push_back(lufs_to_energy(step));
                if energies.len() > STEPS_PER_SHORT_TERM {
                    energies.pop_front();
                }
                let mean_of_last = |n: usize| energies.iter().rev().take(n).sum::<f64>() / n as f64;
                if want_momentary {
                    raise(
                        &mut self.momentary_max,
                        energy_to_lufs(mean_of_last(STEPS_PER_MOMENTARY)),
                    );
                }
                if want_short_term {
                    raise(
                        &mut self.short_term_max,
                        energy_to_lufs(mean_of_last(STEPS_PER_SHORT_TERM)),
                    );
                }
            }
            _ => {
                if want_momentary {
                    raise(
                        &mut self.momentary_max,
                        meter.loudness_momentary().unwrap_or(f64::NEG_INFINITY),
                    );
                }
                if want_short_term {
                    raise(
                        &mut self.short_term_max,
                        meter.loudness_shortterm().unwrap_or(f64::NEG_INFINITY),
                    );
                }
            }
        }
    }
}

/// Pearson's correlation coefficient of two equally long signals, -1..1, accumulated in f64.
/// `None` when either signal is constant (zero variance), e.g. silence.
pub fn pearson(a: &[f32], b: &[f32]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n == 0 {
        return None;
    }
    let mean_a = a[..n].iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let mean_b = b[..n].iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64;
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (&x, &y) in a[..n].iter().zip(&b[..n]) {
        let dx = f64::from(x) - mean_a;
        let dy = f64::from(y) - mean_b;
        ab += dx * dy;
        aa += dx * dx;
        bb += dy * dy;
    }
    if aa <= 0.0 || bb <= 0.0 {
        return None;
    }
    Some((ab / (aa * bb).sqrt()).clamp(-1.0, 1.0))
}

#[cfg(test)]
mod tests {

    use super::*;
    use std::f64::consts::PI;

    const SR: u32 = 48_000;

    fn sine(amplitude_dbfs: f64, freq_hz: f64, seconds: f64) -> Vec<f32> {
        let amp = 10f64.powf(amplitude_dbfs / 20.0);
        let n = (seconds * f64::from(SR)) as usize;
        (0..n)
            .map(|i| (amp * (2.0 * PI * freq_hz * i as f64 / f64::from(SR)).sin()) as f32)
            .collect()
    }

    #[test]
    fn reference_sine_reads_minus_23_everywhere() {
        // BS.1770 calibration: a 1 kHz stereo sine at -23 dBFS peak reads -23 LUFS.
        let s = sine(-23.0, 1000.0, 10.0);
        let a = analyze(&[&s, &s], SR).unwrap();
        for (name, v) in [
            ("I", a.integrated_lufs),
            ("M max", a.momentary_max_lufs),
            ("S max", a.short_term_max_lufs),
        ] {
            let v = v.unwrap();
            assert!((v + 23.0).abs() < 0.1, "{name} = {v}");
        }
        let tp = a.true_peak_dbtp.unwrap();
        assert!((tp + 23.0).abs() < 0.1, "TP {tp}");
        let sp = a.sample_peak_dbfs.unwrap();
        assert!((sp + 23.0).abs() < 0.01, "sample peak {sp}");
        // A steady tone has no loudness range and a PLR near 0 dB.
        assert!(a.loudness_range_lu.unwrap().abs() < 0.1);
        assert!(a.plr_db.unwrap().abs() < 0.2);
        assert!((a.correlation.unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(a.channels, 2);
        assert_eq!(a.sample_rate_hz, SR);
        assert!((a.duration_s - 10.0).abs() < 1e-9);
    }

    #[test]
    fn silence_has_no_loudness_and_no_peaks() {
        let z = vec![0.0f32; SR as usize * 5];
        let a = analyze(&[&z, &z], SR).unwrap();
        assert_eq!(a.integrated_lufs, None);
        assert_eq!(a.loudness_range_lu, None);
        assert_eq!(a.true_peak_dbtp, None);
        assert_eq!(a.sample_peak_dbfs, None);
        assert_eq!(a.momentary_max_lufs, None);
        assert_eq!(a.plr_db, None);
        assert_eq!(a.correlation, None);
    }

    #[test]
    fn mono_has_no_correlation_but_is_measured() {
        let s = sine(-20.0, 1000.0, 4.0);
        let a = analyze(&[&s], SR).unwrap();
        assert_eq!(a.correlation, None);
        assert_eq!(a.channels, 1);
        // One channel carries half the power of two: 3 dB less than the stereo reading.
        let i = a.integrated_lufs.unwrap();
        assert!((i + 23.01).abs() < 0.1, "mono I = {i}");
    }

    #[test]
    fn window_maxima_need_enough_audio() {
        let short = sine(-20.0, 1000.0, 0.39);
        let a = analyze(&[&short, &short], SR).unwrap();
        assert_eq!(a.momentary_max_lufs, None);
        assert_eq!(a.short_term_max_lufs, None);
        let medium = sine(-20.0, 1000.0, 1.0);
        let a = analyze(&[&medium, &medium], SR).unwrap();
        assert!(a.momentary_max_lufs.is_some());
        assert_eq!(a.short_term_max_lufs, None);
        assert_eq!(a.loudness_range_lu, None);
    }

    #[test]
    fn correlation_follows_polarity_and_independence() {
        let s = sine(-20.0, 440.0, 1.0);
        let inverted: Vec<f32> = s.iter().map(|x| -x).collect();
        let quadrature: Vec<f32> = (0..s.len())
            .map(|i| (0.1 * (2.0 * PI * 440.0 * i as f64 / f64::from(SR)).cos()) as f32)
            .collect();
        assert!((pearson(&s, &inverted).unwrap() + 1.0).abs() < 1e-9);
        // sin and cos over whole cycles are uncorrelated (440 Hz * 1 s = 440 cycles).
        assert!(pearson(&s, &quadrature).unwrap().abs() < 1e-3);
        assert_eq!(pearson(&s, &vec![0.25; s.len()]), None);
    }

    #[test]
    fn windowed_maxima_equal_direct_ebur128_reads() {
        // Bursts of varying length and level, plus a partial final 10 ms step (the length is
        // not a multiple of 10 ms), at two rates that take the fast path.
        for sr in [48_000u32, 44_100] {
            let n = (f64::from(sr) * 7.3) as usize + 17;
            let mut state = 0x1234_5678u32;
            let mut noise = || {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as f32 / u32::MAX as f32 - 0.5
            };
            let l: Vec<f32> = (0..n)
                .map(|i| {
                    let t = i as f64 / f64::from(sr);
                    let gain = if (t * 1.7).fract() < 0.3 { 0.8 } else { 0.05 };
                    gain * noise()
                })
                .collect();
            let r: Vec<f32> = l
                .iter()
                .enumerate()
                .map(|(i, x)| x * (1.0 - i as f32 / n as f32))
                .collect();
            let fast = analyze_with(&[&l, &r], sr, true).unwrap();
            let direct = analyze_with(&[&l, &r], sr, false).unwrap();
            let (fm, dm) = (
                fast.momentary_max_lufs.unwrap(),
                direct.momentary_max_lufs.unwrap(),
            );
            let (fs, ds) = (
                fast.short_term_max_lufs.unwrap(),
                direct.short_term_max_lufs.unwrap(),
            );
            assert!((fm - dm).abs() < 1e-6, "{sr} Hz: M max {fm} vs {dm}");
            assert!((fs - ds).abs() < 1e-6, "{sr} Hz: S max {fs} vs {ds}");
            assert_eq!(fast.integrated_lufs, direct.integrated_lufs);
        }
    }

    #[test]
    fn rates_off_the_100_hz_grid_are_measured_too() {
        let sr = 22_050;
        let amp = 10f64.powf(-23.0 / 20.0);
        let s: Vec<f32> = (0..sr as usize * 4)
            .map(|i| (amp * (2.0 * PI * 1000.0 * i as f64 / f64::from(sr)).sin()) as f32)
            .collect();
        let a = analyze(&[&s, &s], sr).unwrap();
        for v in [
            a.integrated_lufs,
            a.momentary_max_lufs,
            a.short_term_max_lufs,
        ] {
            let v = v.unwrap();
            assert!((v + 23.0).abs() < 0.15, "{v}");
        }
    }

    #[test]
    fn mismatched_channels_are_an_error() {
        let a = vec![0.0f32; 100];
        let b = vec![0.0f32; 99];
        assert!(matches!(
            analyze(&[&a, &b], SR),
            Err(AnalysisError::BadLayout(_))
        ));
        assert!(analyze(&[], SR).is_err());
        assert!(matches!(
            analyze(&[&a], 0),
            Err(AnalysisError::UnsupportedRate(0))
        ));
    }
}

#[cfg(test)]
mod robustness_tests {
    use super::*;
    use std::f64::consts::PI;

    fn sine_at(sr: u32, amplitude_dbfs: f64, freq_hz: f64, seconds: f64) -> Vec<f32> {
        let amp = 10f64.powf(amplitude_dbfs / 20.0);
        (0..(seconds * f64::from(sr)) as usize)
            .map(|i| (amp * (2.0 * PI * freq_hz * i as f64 / f64::from(sr)).sin()) as f32)
            .collect()
    }

    #[test]
    fn non_finite_samples_are_measured_as_zero_and_counted() {
        let clean = sine_at(48_000, -20.0, 1000.0, 5.0);
        let mut dirty = clean.clone();
        for i in [10, 4_800, 100_000, 200_000] {
            dirty[i] = f32::NAN;
        }
        dirty[150_000] = f32::INFINITY;
        let right = dirty.clone();
        let a = analyze(&[&dirty, &right], 48_000).unwrap();
        assert_eq!(a.non_finite_samples, 10);
        // Five zeroed samples out of 240 000 move nothing visibly.
        let i = a.integrated_lufs.expect("loudness of the finite samples");
        assert!((i + 20.0).abs() < 0.05, "I {i}");
        assert!(a.momentary_max_lufs.is_some() && a.true_peak_dbtp.is_some());
        assert!((a.correlation.unwrap() - 1.0).abs() < 1e-9);
        let plain = analyze(&[&clean, &clean], 48_000).unwrap();
        assert_eq!(plain.non_finite_samples, 0);
    }

    #[test]
    fn subnormal_input_measures_as_silence() {
        let tiny: Vec<f32> = (0..48_000 * 4)
            .map(|i| if i % 2 == 0 { 1.0e-40 } else { -3.0e-41 })
            .collect();
        let zero = vec![0.0f32; tiny.len()];
        assert_eq!(
            analyze(&[&tiny, &tiny], 48_000).unwrap(),
            analyze(&[&zero, &zero], 48_000).unwrap()
        );
    }

    #[test]
    fn rates_outside_the_meters_range_are_refused_and_inside_read_right() {
        for sr in [1u32, 1_000, 7_999, 384_001, 4_000_000_000] {
            let s = vec![0.1f32; 1000];
            assert_eq!(
                analyze(&[&s, &s], sr),
                Err(AnalysisError::UnsupportedRate(sr)),
                "{sr} Hz"
            );
        }
        // The calibration tone reads -20 LUFS (and dBTP) at the range's ends and within.
        for sr in [8_000u32, 22_050, 44_100, 384_000] {
            let s = sine_at(sr, -20.0, 1000.0, 4.0);
            let a = analyze(&[&s, &s], sr).unwrap();
            for v in [
                a.integrated_lufs,
                a.momentary_max_lufs,
                a.short_term_max_lufs,
            ] {
                let v = v.unwrap();
                assert!((v + 20.0).abs() < 0.05, "{sr} Hz: {v}");
            }
            let tp = a.true_peak_dbtp.unwrap();
            assert!((tp + 20.0).abs() < 0.05, "{sr} Hz: TP {tp}");
        }
    }

    #[test]
    fn loud_correlation_sees_an_inverted_channel_through_quiet_parts() {
        let sr = 48_000;
        let music = sine_at(sr, -12.0, 220.0, 6.0);
        let inverted: Vec<f32> = music.iter().map(|x| -0.7 * x).collect();
        let a = analyze(&[&music, &inverted], sr).unwrap();
        assert!(a.loud_correlation.unwrap() < -0.999);
        assert!(a.polarity_inverted());
        // A loud in-phase part with a quiet inverted tail: the loud part decides.
        let (mut l, mut r) = (music.clone(), music.clone());
        let tail = music.len() - sr as usize;
        for (x, y) in l[tail..].iter_mut().zip(&mut r[tail..]) {
            *x *= 0.001;
            *y *= -0.001;
        }
        let a = analyze(&[&l, &r], sr).unwrap();
        assert!(a.loud_correlation.unwrap() > 0.99);
        assert!(!a.polarity_inverted());
        // Decorrelated channels (sine and cosine) read 0, far from inverted.
        let cos: Vec<f32> = (0..music.len())
            .map(|i| (0.25 * (2.0 * PI * 220.0 * i as f64 / f64::from(sr)).cos()) as f32)
            .collect();
        let a = analyze(&[&music, &cos], sr).unwrap();
        assert!(a.loud_correlation.unwrap().abs() < 0.01);
        assert!(analyze(&[&music], sr).unwrap().loud_correlation.is_none());
    }
}
