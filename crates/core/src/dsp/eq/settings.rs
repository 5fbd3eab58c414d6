//! Settings of the tonal EQ in display units, and their mapping to the internal bands.

use super::super::biquad::{BiquadCoefs, Complex, butterworth_q};
use super::{
    HIGH_PASS_RANGE_HZ, MAX_BAND_GAIN_DB, MAX_HIGH_PASS_SECTIONS, NUM_BANDS, NUM_BELLS,
    TILT_PIVOT_HZ, TILT_Q,
};
use serde::{Deserialize, Serialize};

/// One shelf or bell: corner/centre frequency (Hz), gain (dB, 0 = off) and Q.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EqBand {
    /// Centre (bell) or corner (shelf) frequency, Hz; clamped to 10 Hz..0.45 fs.
    pub freq_hz: f32,
    /// Boost (+) or cut (-), dB; 0 dB makes the band exactly transparent.
    pub gain_db: f32,
    /// Bandwidth: cookbook Q (0.707 = shelf slope 1, the steepest without overshoot).
    pub q: f32,
}

impl EqBand {
    /// A band at 0 dB.
    pub const fn flat(freq_hz: f32, q: f32) -> Self {
        Self {
            freq_hz,
            gain_db: 0.0,
            q,
        }
    }
}

/// Every setting of the tonal EQ, in display units. The default is flat (every gain 0 dB,
/// high-pass off, tilt 0 dB).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EqSettings {
    /// High-pass (rumble filter) on.
    pub high_pass_on: bool,
    /// High-pass corner, Hz (-3 dB for 12 dB/oct; Butterworth cascade), 10..60 Hz.
    pub high_pass_hz: f32,
    /// High-pass slope, dB/octave: 12, 24, 36 or 48 (rounded to the nearest).
    pub high_pass_db_per_oct: f32,
    /// Low shelf.
    pub low_shelf: EqBand,
    /// Peaking bells, low to high by default (any order works).
    pub bells: [EqBand; NUM_BELLS],
    /// High shelf.
    pub high_shelf: EqBand,
    /// Tilt, dB at the top of the spectrum relative to the pivot ([`TILT_PIVOT_HZ`]); the
    /// bottom gets the opposite: +2 dB means +2 dB at 20 kHz and -2 dB at 20 Hz.
    /// Made of a low shelf of `-tilt_db` and a high shelf of `+tilt_db` at the pivot
    /// (cookbook shelves, [`TILT_Q`]): each gives half its gain at the pivot, so they cancel
    /// there exactly.
    pub tilt_db: f32,
}

impl Default for EqSettings {
    fn default() -> Self {
        Self {
            high_pass_on: false,
            high_pass_hz: 30.0,
            high_pass_db_per_oct: 24.0,
            low_shelf: EqBand::flat(100.0, 0.707),
            bells: [
                EqBand::flat(80.0, 1.0),
                EqBand::flat(250.0, 1.0),
                EqBand::flat(1000.0, 1.0),
                EqBand::flat(3500.0, 1.0),
                EqBand::flat(8000.0, 1.0),
            ],
            high_shelf: EqBand::flat(10_000.0, 0.707),
            tilt_db: 0.0,
        }
    }
}

/// Which cookbook shape a band is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum BandKind {
    HighPass,
    LowShelf,
    HighShelf,
    Peaking,
}

/// Design parameters of one band. `mix` only matters for the high-pass: 0 = filter fully in,
/// 1 = identity (see [`BiquadCoefs::blend_with_identity`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct BandParams {
    pub(super) freq_hz: f64,
    pub(super) gain_db: f64,
    pub(super) q: f64,
    pub(super) mix: f64,
}

impl BandParams {
    pub(super) fn coefs(&self, kind: BandKind, sample_rate_hz: f64) -> BiquadCoefs {
        let (f, g, q) = (self.freq_hz, self.gain_db, self.q);
        match kind {
            BandKind::HighPass => {
                BiquadCoefs::high_pass(f, q, sample_rate_hz).blend_with_identity(self.mix)
            }
            BandKind::LowShelf => BiquadCoefs::low_shelf(f, g, q, sample_rate_hz),
            BandKind::HighShelf => BiquadCoefs::high_shelf(f, g, q, sample_rate_hz),
            BandKind::Peaking => BiquadCoefs::peaking(f, g, q, sample_rate_hz),
        }
    }

    pub(super) fn is_flat(&self, kind: BandKind) -> bool {
        match kind {
            BandKind::HighPass => self.mix >= 1.0,
            _ => self.gain_db == 0.0,
        }
    }
}

pub(super) const KINDS: [BandKind; NUM_BANDS] = {
    let mut kinds = [BandKind::Peaking; NUM_BANDS];
    let mut i = 0;
    while i < MAX_HIGH_PASS_SECTIONS {
        kinds[i] = BandKind::HighPass;
        i += 1;
    }
    kinds[MAX_HIGH_PASS_SECTIONS] = BandKind::LowShelf;
    kinds[NUM_BANDS - 3] = BandKind::HighShelf;
    kinds[NUM_BANDS - 2] = BandKind::LowShelf;
    kinds[NUM_BANDS - 1] = BandKind::HighShelf;
    kinds
};

/// `x` if finite, else `fallback` (keeps a NaN from a broken host out of the filters).
pub(super) fn finite_or(x: f32, fallback: f32) -> f32 {
    if x.is_finite() { x } else { fallback }
}

impl EqSettings {
    /// Number of high-pass biquads for the chosen slope (12 dB/oct per section).
    pub(super) fn high_pass_sections(&self) -> usize {
        let per_oct = finite_or(self.high_pass_db_per_oct, 24.0);
        ((per_oct / 12.0).round() as usize).clamp(1, MAX_HIGH_PASS_SECTIONS)
    }

    /// The design parameters of every internal band, clamped for this sample rate.
    pub(super) fn band_params(&self, sample_rate_hz: f32) -> [BandParams; NUM_BANDS] {
        let nyquist_guard_hz = 0.45 * f64::from(sample_rate_hz);
        let band = |b: &EqBand, mix: f64| BandParams {
            freq_hz: f64::from(finite_or(b.freq_hz, 1000.0).max(10.0)).min(nyquist_guard_hz),
            gain_db: f64::from(
                finite_or(b.gain_db, 0.0).clamp(-MAX_BAND_GAIN_DB, MAX_BAND_GAIN_DB),
            ),
            q: f64::from(finite_or(b.q, 0.707).clamp(0.1, 20.0)),
            mix,
        };
        let mut out = [band(&EqBand::flat(1000.0, 1.0), 0.0); NUM_BANDS];
        let sections = self.high_pass_sections();
        let hp_hz =
            finite_or(self.high_pass_hz, 30.0).clamp(HIGH_PASS_RANGE_HZ.0, HIGH_PASS_RANGE_HZ.1);
        for (k, p) in out.iter_mut().take(MAX_HIGH_PASS_SECTIONS).enumerate() {
            let used = self.high_pass_on && k < sections;
            *p = BandParams {
                freq_hz: f64::from(hp_hz),
                gain_db: 0.0,
                q: if k < sections {
                    butterworth_q(2 * sections, k)
                } else {
                    std::f64::consts::FRAC_1_SQRT_2
                },
                mix: if used { 0.0 } else { 1.0 },
            };
        }
        out[MAX_HIGH_PASS_SECTIONS] = band(&self.low_shelf, 0.0);
        for (p, b) in out[MAX_HIGH_PASS_SECTIONS + 1..]
            .iter_mut()
            .zip(&self.bells)
        {
            *p = band(b, 0.0);
        }
        out[NUM_BANDS - 3] = band(&self.high_shelf, 0.0);
        let tilt_db = finite_or(self.tilt_db, 0.0).clamp(-MAX_BAND_GAIN_DB, MAX_BAND_GAIN_DB);
        let tilt = |gain_db: f32| BandParams {
            freq_hz: f64::from(TILT_PIVOT_HZ),
            gain_db: f64::from(gain_db),
            q: TILT_Q,
            mix: 0.0,
        };
        out[NUM_BANDS - 2] = tilt(-tilt_db);
        out[NUM_BANDS - 1] = tilt(tilt_db);
        out
    }

    /// Complex response of the whole EQ at `freq_hz`, from the same coefficients the audio
    /// thread settles on (for drawing the curve, or phase).
    pub fn response(&self, freq_hz: f32, sample_rate_hz: f32) -> Complex {
        let sr = f64::from(sample_rate_hz);
        let params = self.band_params(sample_rate_hz);
        params
            .iter()
            .zip(KINDS)
            .filter(|(p, kind)| !p.is_flat(*kind))
            .fold(Complex::ONE, |acc, (p, kind)| {
                acc * p.coefs(kind, sr).response(f64::from(freq_hz), sr)
            })
    }

    /// Magnitude response of the whole EQ at `freq_hz`, dB.
    pub fn response_db(&self, freq_hz: f32, sample_rate_hz: f32) -> f32 {
        self.response(freq_hz, sample_rate_hz).db() as f32
    }

    /// True when every band is transparent (the EQ then passes audio bit for bit).
    pub fn is_neutral(&self) -> bool {
        let params = self.band_params(48_000.0);
        params.iter().zip(KINDS).all(|(p, kind)| p.is_flat(kind))
    }
}
