//! Test-only helpers for the ceiling tests: an independent true-peak meter (16x windowed-sinc
//! oversampler, long Kaiser window, nothing shared with the limiter's detector), the standard
//! BS.1770-4 meter of the `ebur128` crate, a seeded random generator, the test signals and a
//! THD measurement.

use std::f64::consts::PI;

/// Oversampling factor of the reference meter.
pub const REFERENCE_FACTOR: usize = 16;
/// Input samples on each side of an interpolated point (256-tap phases, 4096-tap prototype).
pub const REFERENCE_HALF_TAPS: usize = 128;
/// Kaiser beta of the reference window: with 128 samples a side the reconstruction is within
/// 0.06 dB of the ideal up to 0.49 fs (-6 dB at Nyquist), with about 90 dB of image rejection.
/// (The Blackman-Harris window over 64 samples used before was flat only to about 0.45 fs, so
/// it under-read full-band noise, whose inter-sample peaks depend on the content just under
/// Nyquist, by up to 0.4 dB.)
pub const REFERENCE_KAISER_BETA: f64 = 12.0;

/// The reference true-peak meter: the ideal interpolator `sinc(t)` windowed by a Kaiser
/// window ([`REFERENCE_KAISER_BETA`]) over +/-128 samples, evaluated at 16 points per sample
/// directly (no half-band cascade). Written independently of the limiter's detector.
pub struct ReferenceMeter {
    /// `phases[p][k]`: weight of sample `n - 63 + k` for the value at `n + p / 16`.
    phases: Vec<Vec<f64>>,
}

/// Zeroth-order modified Bessel function (power series).
fn bessel_i0(x: f64) -> f64 {
    let (mut term, mut sum, mut k) = (1.0f64, 1.0f64, 1.0f64);
    while term > 1e-18 * sum {
        term *= (0.5 * x / k).powi(2);
        sum += term;
        k += 1.0;
    }
    sum
}

/// Kaiser window at `u` in [-1, 1].
fn kaiser(u: f64) -> f64 {
    if u.abs() >= 1.0 {
        return 0.0;
    }
    bessel_i0(REFERENCE_KAISER_BETA * (1.0 - u * u).sqrt()) / bessel_i0(REFERENCE_KAISER_BETA)
}

impl Default for ReferenceMeter {
    fn default() -> Self {
        Self::new()
    }
}

impl ReferenceMeter {
    pub fn new() -> Self {
        let h = REFERENCE_HALF_TAPS as f64;
        let phases = (0..REFERENCE_FACTOR)
            .map(|p| {
                let frac = p as f64 / REFERENCE_FACTOR as f64;
                (0..2 * REFERENCE_HALF_TAPS)
                    .map(|k| {
                        let t = frac - (k as f64 - (h - 1.0));
                        let sinc = if t.abs() < 1e-12 {
                            1.0
                        } else {
                            (PI * t).sin() / (PI * t)
                        };
                        sinc * kaiser(t / (h + 1.0))
                    })
                    .collect()
            })
            .collect();
        Self { phases }
    }

    fn value(&self, x: &[f32], n: usize, phase: usize) -> f64 {
        let start = n + 1 - REFERENCE_HALF_TAPS;
        self.phases[phase]
            .iter()
            .zip(&x[start..start + 2 * REFERENCE_HALF_TAPS])
            .map(|(&c, &s)| c * s as f64)
            .sum()
    }

    /// Largest magnitude of the reconstructed waveform over the intervals whose whole
    /// interpolation window lies inside `x` (so truncating a signal adds no false peak).
    ///
    /// Branch and bound, to keep the tests fast: the 4x points of every interval first (exact
    /// reference values), then all 16 points only for intervals whose 4x maximum, raised by
    /// the most a waveform with content up to 0.6 fs can rise between 4x points
    /// (1 / cos(0.6 pi / 4), +0.96 dB), could beat the best 4x value found.
    pub fn true_peak(&self, x: &[f32]) -> f64 {
        let h = REFERENCE_HALF_TAPS;
        if x.len() < 2 * h + 2 {
            return 0.0;
        }
        let range = h..x.len() - h;
        let coarse: Vec<f64> = range
            .clone()
            .map(|n| {
                (0..REFERENCE_FACTOR)
                    .step_by(REFERENCE_FACTOR / 4)
                    .map(|p| self.value(x, n, p).abs())
                    .fold(0.0, f64::max)
            })
            .collect();
        let best_coarse = coarse.iter().cloned().fold(0.0, f64::max);
        let rise = 1.0 / (0.6 * PI / 4.0).cos();
        let mut best = best_coarse;
        for (i, n) in range.enumerate() {
            // Interval n..n+1 also has the coarse points of n + 1 at its right end.
            let local = coarse[i].max(coarse.get(i + 1).copied().unwrap_or(0.0));
            if local * rise > best {
                for p in 1..REFERENCE_FACTOR {
                    best = best.max(self.value(x, n, p).abs());
                }
            }
        }
        best
    }

    /// [`Self::true_peak`] in dBTP.
    pub fn true_peak_db(&self, x: &[f32]) -> f64 {
        20.0 * self.true_peak(x).log10()
    }
}

/// True peak of `channels` (dBTP, the largest channel) on the standard BS.1770-4 meter as the
/// `ebur128` crate implements it (what `lacquer analyze` and most loudness tools show): a
/// short 4x interpolator below 96 kHz, 2x below 192 kHz, sample peaks above. Its short filter
/// lets images through, so on full-band material it reads higher than [`ReferenceMeter`].
pub fn standard_true_peak_db(rate: f64, channels: &[Vec<f32>]) -> f64 {
    channels
        .iter()
        .map(|c| {
            let mut meter = ebur128::EbuR128::new(1, rate as u32, ebur128::Mode::TRUE_PEAK)
                .expect("ebur128 meter");
            meter.add_frames_f32(c).expect("ebur128 frames");
            20.0 * meter.true_peak(0).expect("ebur128 true peak").log10()
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

/// xorshift64* generator: deterministic test signals and block splits.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [-1, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// Uniform integer in lo..=hi.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }
}

pub fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

pub fn from_db(d: f64) -> f64 {
    10f64.powf(d / 20.0)
}

/// Music-like stereo material peaking near 0 dBFS: a three-note chord with harmonics up to
/// 12 kHz, decaying white-noise bursts (hi-hat/snare-like, four per second), and a kick-like
/// thump (sine gliding 90 -> 45 Hz with a fast decay, twice per second).
pub fn music_like(rate: f64, seconds: f64, seed: u64) -> [Vec<f32>; 2] {
    let n = (rate * seconds) as usize;
    let mut rng = Rng::new(seed);
    let mut out = [vec![0.0f32; n], vec![0.0f32; n]];
    let notes = [110.0, 138.6, 164.8];
    let burst_every = (rate * 0.25) as usize;
    let kick_every = (rate * 0.5) as usize;
    for (ch, buf) in out.iter_mut().enumerate() {
        let mut kick_phase = 0.0f64;
        for (i, s) in buf.iter_mut().enumerate() {
            let t = i as f64 / rate;
            let mut v = 0.0;
            for (k, &f) in notes.iter().enumerate() {
                let mut h = 1.0;
                while f * h < 12_000.0 {
                    v += 0.08 / h * (2.0 * PI * f * h * t + 0.7 * k as f64 + 0.3 * ch as f64).sin();
                    h += 1.0;
                }
            }
            let since_burst = (i % burst_every) as f64 / rate;
            v += 0.5 * (-since_burst / 0.04).exp() * rng.uniform();
            let since_kick = (i % kick_every) as f64 / rate;
            if i % kick_every == 0 {
                kick_phase = 0.0;
            }
            let f_kick = 45.0 + 45.0 * (-since_kick / 0.03).exp();
            kick_phase += 2.0 * PI * f_kick / rate;
            v += 0.9 * (-since_kick / 0.15).exp() * kick_phase.sin();
            *s = (0.6 * v) as f32;
        }
    }
    out
}

/// Multiplies by a gain in dB.
pub fn driven(mut x: [Vec<f32>; 2], gain_db: f64) -> [Vec<f32>; 2] {
    let g = from_db(gain_db) as f32;
    x.iter_mut()
        .for_each(|c| c.iter_mut().for_each(|s| *s *= g));
    x
}

/// Music-like material alternating between -90 dB and +10 dB every 0.2 s: +100 dB steps up
/// and down, with no fade.
pub fn hundred_db_steps(rate: f64, seconds: f64, seed: u64) -> [Vec<f32>; 2] {
    let mut x = music_like(rate, seconds, seed);
    let period = (0.2 * rate) as usize;
    let (low, high) = (from_db(-90.0) as f32, from_db(10.0) as f32);
    for c in x.iter_mut() {
        for (i, s) in c.iter_mut().enumerate() {
            *s *= if (i / period).is_multiple_of(2) {
                low
            } else {
                high
            };
        }
    }
    x
}

/// Full-scale uniform white noise, independent channels.
pub fn white_noise(rate: f64, seconds: f64, seed: u64) -> [Vec<f32>; 2] {
    let n = (rate * seconds) as usize;
    let mut rng = Rng::new(seed);
    let l = (0..n).map(|_| rng.uniform() as f32).collect();
    let r = (0..n).map(|_| rng.uniform() as f32).collect();
    [l, r]
}

/// A sine at `fraction` of the sample rate, amplitude `amplitude`, phase `phase_deg` on the
/// left and the phase plus 90 degrees on the right.
pub fn sine(
    rate: f64,
    seconds: f64,
    fraction: f64,
    amplitude: f64,
    phase_deg: f64,
) -> [Vec<f32>; 2] {
    let n = (rate * seconds) as usize;
    let w = 2.0 * PI * fraction;
    let ph = phase_deg.to_radians();
    let l = (0..n)
        .map(|i| (amplitude * (w * i as f64 + ph).sin()) as f32)
        .collect();
    let r = (0..n)
        .map(|i| (amplitude * (w * i as f64 + ph + PI / 2.0).sin()) as f32)
        .collect();
    [l, r]
}

/// Naive (aliased) full-scale square waves, 997 Hz left and 3001 Hz right.
pub fn squares(rate: f64, seconds: f64) -> [Vec<f32>; 2] {
    let n = (rate * seconds) as usize;
    let sq = |f: f64| -> Vec<f32> {
        (0..n)
            .map(|i| {
                if ((i as f64 * f / rate) + 0.1).fract() < 0.5 {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect()
    };
    [sq(997.0), sq(3001.0)]
}

/// EBU Tech 3341 true-peak cases 15-19 (docs/standards.md, tech-3341), at this rate's fs/4,
/// fs/6, fs/8.
pub fn ebu_3341_case(case: u32, rate: f64, seconds: f64) -> [Vec<f32>; 2] {
    let (fraction, amplitude, phase): (f64, f64, f64) = match case {
        15 => (0.25, 0.50, 0.0),
        16 => (0.25, 0.50, 45.0),
        17 => (1.0 / 6.0, 0.50, 60.0),
        18 => (0.125, 0.50, 67.5),
        _ => (0.25, 1.41, 45.0),
    };
    let n = (rate * seconds) as usize;
    let w = 2.0 * PI * fraction;
    let c: Vec<f32> = (0..n)
        .map(|i| (amplitude * (w * i as f64 + phase.to_radians()).sin()) as f32)
        .collect();
    [c.clone(), c]
}

/// Random block sizes 1..=1500 (so some exceed the configured 512), seeded.
pub fn random_blocks(seed: u64) -> Vec<usize> {
    let mut rng = Rng::new(seed);
    (0..4000).map(|_| rng.range(1, 1500)).collect()
}

/// Total harmonic distortion of `x` relative to a sine of known frequency: the least-squares
/// fit of `a sin + b cos + c` at `freq_hz` is projected out, and the residual's RMS is compared
/// with the fundamental's. Over an integer number of periods, in dB.
pub fn thd_db(x: &[f32], rate: f64, freq_hz: f64) -> f64 {
    let w = 2.0 * PI * freq_hz / rate;
    // Normal equations of the 3-parameter fit (IEEE Std 1057 sine fit with known frequency).
    let mut m = [[0.0f64; 3]; 3];
    let mut v = [0.0f64; 3];
    for (i, &s) in x.iter().enumerate() {
        let basis = [(w * i as f64).sin(), (w * i as f64).cos(), 1.0];
        for r in 0..3 {
            v[r] += basis[r] * s as f64;
            for c in 0..3 {
                m[r][c] += basis[r] * basis[c];
            }
        }
    }
    let coef = solve3(m, v);
    let mut residual = 0.0;
    let mut fundamental = 0.0;
    for (i, &s) in x.iter().enumerate() {
        let fit = coef[0] * (w * i as f64).sin() + coef[1] * (w * i as f64).cos();
        residual += (s as f64 - fit - coef[2]).powi(2);
        fundamental += fit * fit;
    }
    10.0 * (residual / fundamental).log10()
}

fn solve3(mut m: [[f64; 3]; 3], mut v: [f64; 3]) -> [f64; 3] {
    for col in 0..3 {
        let pivot = (col..3)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap_or(col);
        m.swap(col, pivot);
        v.swap(col, pivot);
        for row in col + 1..3 {
            let f = m[row][col] / m[col][col];
            let pivot_row = m[col];
            for (x, &p) in m[row].iter_mut().zip(&pivot_row).skip(col) {
                *x -= f * p;
            }
            v[row] -= f * v[col];
        }
    }
    let mut out = [0.0; 3];
    for row in (0..3).rev() {
        let s: f64 = (row + 1..3).map(|c| m[row][c] * out[c]).sum();
        out[row] = (v[row] - s) / m[row][row];
    }
    out
}
