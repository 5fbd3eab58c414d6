//! Offline measurement of a whole programme: integrated loudness, loudness range, maximum
//! momentary and short-term loudness (ITU-R BS.1770-4, EBU Tech 3341/3342 via the `ebur128`
//! crate), true and sample peak, peak-to-loudness ratio and L/R correlation.
//!
//! Unlike the real-time [`super::LoudnessMeter`], this keeps every gating block (exact gating,
//! no histogram quantisation) and reads momentary and short-term loudness every 10 ms, which is
//! what EBU Tech 3341 cases 9 and 12 and the maximum-loudness cases need. It is a pure function
//! over planar buffers: the CLI uses it for `analyze` and for the before/after table of
//! `master`.

use super::stream::{StepBuffer, check_block};
use ebur128::{EbuR128, Mode};
use serde::Serialize;
use std::fmt;

mod correlation;

pub use correlation::{loud_correlation, pearson};

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
///
/// The whole-slice form of [`Analyzer`]: the same figures, bit for bit, as pushing the audio
/// in blocks of any sizes.
pub fn analyze(channels: &[&[f32]], sample_rate_hz: u32) -> Result<Analysis, AnalysisError> {
    analyze_with(channels, sample_rate_hz, true)
}

/// [`analyze`], optionally without the fast windowed maxima (for the differential test).
fn analyze_with(
    channels: &[&[f32]],
    sample_rate_hz: u32,
    allow_windowed: bool,
) -> Result<Analysis, AnalysisError> {
    // The layout is checked before the rate, as it always was.
    let num_frames = channels.first().map_or(0, |c| c.len());
    if !channels.is_empty() && channels.iter().any(|c| c.len() != num_frames) {
        return Err(AnalysisError::BadLayout(
            "channels have different lengths".into(),
        ));
    }
    let mut analyzer = Analyzer::with_windowed(channels.len(), sample_rate_hz, allow_windowed)?;
    analyzer.push(channels)?;
    analyzer.finish()
}

/// [`analyze`] in constant memory: audio is pushed block by block (planar, of any lengths,
/// e.g. as a decoder delivers it) and [`Analyzer::finish`] gives the [`Analysis`].
///
/// The figures are bit-identical to [`analyze`] on the concatenated audio, whatever the block
/// sizes: the `ebur128` meter is fed in the same 10 ms steps counted from the first frame
/// (a step that straddles two blocks is gathered first, see `meter::stream`), the window
/// maxima are read after the same steps, and the correlation sums run in the same order.
/// Memory: the meter's 3 s ring buffer and its gating history (one number per 100 ms block and
/// one per second: about 310 KB per hour), one 10 ms step, 300 step energies, and for stereo
/// four numbers per 400 ms block for the loud-parts correlation (about 290 KB per hour), plus a cleaned copy of a
/// pushed block only when it holds NaN, infinite or subnormal samples.
pub struct Analyzer {
    meter: EbuR128,
    sample_rate_hz: u32,
    num_channels: usize,
    steps: StepBuffer,
    step_frames: usize,
    /// Frames fed to the meter so far (whole steps).
    frames_fed: usize,
    /// Frames pushed so far.
    num_frames: usize,
    maxima: WindowMaxima,
    non_finite_samples: usize,
    /// Cleaned copies of the current block's channels that need cleaning.
    scratch: Vec<Vec<f32>>,
    /// Correlation sums, for stereo only.
    correlation: Option<(correlation::PearsonSums, correlation::LoudBlocks)>,
}

impl fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Analyzer")
            .field("sample_rate_hz", &self.sample_rate_hz)
            .field("num_channels", &self.num_channels)
            .field("num_frames", &self.num_frames)
            .finish_non_exhaustive()
    }
}

impl Analyzer {
    /// A meter for `num_channels` channels at `sample_rate_hz`. Errors as [`analyze`]: no
    /// channels ([`AnalysisError::BadLayout`]), a rate outside [`ANALYSIS_RATE_RANGE_HZ`]
    /// ([`AnalysisError::UnsupportedRate`]), or a layout the loudness meter refuses
    /// ([`AnalysisError::Meter`]).
    pub fn new(num_channels: usize, sample_rate_hz: u32) -> Result<Self, AnalysisError> {
        Self::with_windowed(num_channels, sample_rate_hz, true)
    }

    fn with_windowed(
        num_channels: usize,
        sample_rate_hz: u32,
        allow_windowed: bool,
    ) -> Result<Self, AnalysisError> {
        if num_channels == 0 {
            return Err(AnalysisError::BadLayout("no channels".into()));
        }
        if !(ANALYSIS_RATE_RANGE_HZ.0..=ANALYSIS_RATE_RANGE_HZ.1).contains(&sample_rate_hz) {
            return Err(AnalysisError::UnsupportedRate(sample_rate_hz));
        }
        let mode = Mode::I | Mode::M | Mode::S | Mode::LRA | Mode::SAMPLE_PEAK | Mode::TRUE_PEAK;
        let meter = EbuR128::new(num_channels as u32, sample_rate_hz, mode)
            .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;
        let rate = u64::from(sample_rate_hz);
        let step_frames = ((rate * u64::from(READ_INTERVAL_MS)) / 1000).max(1) as usize;
        Ok(Self {
            meter,
            sample_rate_hz,
            num_channels,
            steps: StepBuffer::new(num_channels, step_frames),
            step_frames,
            frames_fed: 0,
            num_frames: 0,
            maxima: WindowMaxima::new(sample_rate_hz, allow_windowed),
            non_finite_samples: 0,
            scratch: vec![Vec::new(); num_channels],
            correlation: (num_channels == 2).then(|| {
                (
                    correlation::PearsonSums::default(),
                    correlation::LoudBlocks::new(sample_rate_hz),
                )
            }),
        })
    }

    /// Measures the next `block` of audio: one slice per channel, all of the same length (any,
    /// 0 included). A block with another channel count or slices of different lengths is a
    /// [`AnalysisError::BadLayout`] and is not measured.
    pub fn push(&mut self, block: &[&[f32]]) -> Result<(), AnalysisError> {
        let frames = check_block(block, self.num_channels)?;
        if frames == 0 {
            return Ok(());
        }
        let Self {
            meter,
            steps,
            step_frames,
            frames_fed,
            maxima,
            scratch,
            correlation,
            non_finite_samples,
            num_frames,
            ..
        } = self;
        // Cleaned copies only of the channels that need it (a normal block is measured in
        // place); cleaning is per sample, so per block is the same as per file.
        let mut cleaned: Vec<&[f32]> = Vec::with_capacity(block.len());
        for (&c, copy) in block.iter().zip(scratch.iter_mut()) {
            if crate::dsp::sanitize::needs_flush(c) {
                copy.clear();
                copy.extend_from_slice(c);
                *non_finite_samples += crate::dsp::sanitize::flush_non_finite_and_subnormal(copy);
                let copy: &Vec<f32> = copy;
                cleaned.push(copy);
            } else {
                cleaned.push(c);
            }
        }
        *num_frames += frames;
        if let (Some((pearson, loud)), [l, r]) = (correlation.as_mut(), cleaned.as_slice()) {
            pearson.push(l, r);
            loud.push(l, r);
        }
        steps.push(&cleaned, |step| {
            feed_step(meter, maxima, frames_fed, *step_frames, step)
        })
    }

    /// The [`Analysis`] of everything pushed (the final, partial 10 ms step is measured here).
    pub fn finish(mut self) -> Result<Analysis, AnalysisError> {
        let rest = self.steps.remainder();
        if !rest[0].is_empty() {
            feed_step(
                &mut self.meter,
                &mut self.maxima,
                &mut self.frames_fed,
                self.step_frames,
                &rest,
            )?;
        }
        let (meter, maxima, num_channels) = (&self.meter, &self.maxima, self.num_channels);
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
        let (correlation, loud_correlation) = match self.correlation {
            Some((pearson, loud)) => (pearson.finish(), loud.finish()),
            None => (None, None),
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
            non_finite_samples: self.non_finite_samples,
            duration_s: self.num_frames as f64 / f64::from(self.sample_rate_hz.max(1)),
            sample_rate_hz: self.sample_rate_hz,
            channels: num_channels,
        })
    }
}

/// Feeds one 10 ms step (or the shorter final one) to the meter and reads the window maxima.
fn feed_step(
    meter: &mut EbuR128,
    maxima: &mut WindowMaxima,
    frames_fed: &mut usize,
    step_frames: usize,
    step: &[&[f32]],
) -> Result<(), AnalysisError> {
    let len = step.first().map_or(0, |c| c.len());
    meter
        .add_frames_planar_f32(step)
        .map_err(|e| AnalysisError::Meter(format!("{e:?}")))?;
    *frames_fed += len;
    maxima.update(meter, *frames_fed, len == step_frames);
    Ok(())
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

#[cfg(test)]
mod tests;

#[cfg(test)]
mod robustness_tests;

#[cfg(test)]
mod stream_tests;
