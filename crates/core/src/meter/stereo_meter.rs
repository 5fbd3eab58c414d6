//! Stereo metering on the audio thread: the phase correlation (a scalar, published to the
//! [`MeterBus`]) and the vectorscope's mid/side points (an array, through a triple buffer,
//! captured only while the editor is open).
//!
//! Correlation: Pearson's coefficient at zero lag, `r = E[LR] / sqrt(E[L^2] E[R^2])`, with the
//! expectations taken over an exponentially weighted window of [`CORRELATION_TIME_CONSTANT_MS`]
//! (the usual integration of a hardware correlation meter). +1: mono, 0: unrelated channels,
//! -1: one channel inverted (the mix cancels in mono).

use super::MeterBus;
use std::sync::atomic::Ordering;
use triple_buffer::{Input, Output, triple_buffer};

/// Integration time of the correlation meter, ms.
pub const CORRELATION_TIME_CONSTANT_MS: f32 = 300.0;
/// Points per vectorscope frame: at 48 kHz one frame is 43 ms of audio, published about 23
/// times a second.
pub const VECTORSCOPE_POINTS: usize = 2048;
/// Below this mean square (-100 dBFS) on either channel there is nothing to correlate and the
/// meter reads 0.
const SILENCE_MEAN_SQUARE: f64 = 1e-10;

/// One vectorscope frame: consecutive samples as `[side, mid]` pairs, `side = (L - R) / 2`,
/// `mid = (L + R) / 2`, so a mono signal is a vertical line.
#[derive(Debug, Clone)]
pub struct VectorscopeFrame {
    /// Points, [`VECTORSCOPE_POINTS`] long.
    pub side_mid: Vec<[f32; 2]>,
    /// Count of frames published before this one.
    pub sequence: u64,
}

/// Audio-thread side: correlation and the vectorscope feed.
pub struct StereoMeter {
    /// One-pole coefficient of the correlation averages, per sample.
    decay: f64,
    mean_lr: f64,
    mean_ll: f64,
    mean_rr: f64,
    num_points: usize,
    num_published: u64,
    input: Input<VectorscopeFrame>,
}

/// GUI side of the vectorscope feed.
pub struct VectorscopeReader {
    output: Output<VectorscopeFrame>,
}

impl StereoMeter {
    /// A meter and its vectorscope reader. Allocates (call outside the audio thread).
    pub fn new() -> (StereoMeter, VectorscopeReader) {
        let (input, output) = triple_buffer(&VectorscopeFrame {
            side_mid: vec![[0.0; 2]; VECTORSCOPE_POINTS],
            sequence: 0,
        });
        let mut meter = StereoMeter {
            decay: 0.0,
            mean_lr: 0.0,
            mean_ll: 0.0,
            mean_rr: 0.0,
            num_points: 0,
            num_published: 0,
            input,
        };
        meter.set_sample_rate(48_000.0);
        (meter, VectorscopeReader { output })
    }

    /// Sets the averaging for `sample_rate_hz` and resets.
    pub fn set_sample_rate(&mut self, sample_rate_hz: f32) {
        let tau_samples =
            f64::from(CORRELATION_TIME_CONSTANT_MS) * 1e-3 * f64::from(sample_rate_hz);
        self.decay = (-1.0 / tau_samples.max(1.0)).exp();
        self.reset();
    }

    /// Forgets the history (no allocation).
    pub fn reset(&mut self) {
        self.mean_lr = 0.0;
        self.mean_ll = 0.0;
        self.mean_rr = 0.0;
        self.num_points = 0;
    }

    /// Vectorscope frames published since creation (tests, diagnostics).
    pub fn num_published(&self) -> u64 {
        self.num_published
    }

    /// The correlation now, -1..+1 (0 for silence).
    pub fn correlation(&self) -> f32 {
        let energy = self.mean_ll * self.mean_rr;
        if self.mean_ll < SILENCE_MEAN_SQUARE || self.mean_rr < SILENCE_MEAN_SQUARE {
            return 0.0;
        }
        (self.mean_lr / energy.sqrt()).clamp(-1.0, 1.0) as f32
    }

    /// Measures one block and publishes the correlation to `bus` (audio thread). The
    /// vectorscope points are captured only while `vectorscope_active` (editor open). A mono
    /// block (one channel) reads +1.
    pub fn process<S: AsRef<[f32]>>(
        &mut self,
        channels: &[S],
        bus: &MeterBus,
        vectorscope_active: bool,
    ) {
        let (left, right) = match channels {
            [l, r, ..] => (l.as_ref(), r.as_ref()),
            [m] => (m.as_ref(), m.as_ref()),
            [] => return,
        };
        let a = self.decay;
        let b = 1.0 - a;
        for (&l, &r) in left.iter().zip(right) {
            let (l64, r64) = (f64::from(l), f64::from(r));
            self.mean_lr = a * self.mean_lr + b * l64 * r64;
            self.mean_ll = a * self.mean_ll + b * l64 * l64;
            self.mean_rr = a * self.mean_rr + b * r64 * r64;
        }
        bus.correlation.store(self.correlation(), Ordering::Relaxed);
        if !vectorscope_active {
            self.num_points = 0;
            return;
        }
        for (&l, &r) in left.iter().zip(right) {
            let frame = self.input.input_buffer_mut();
            if let Some(p) = frame.side_mid.get_mut(self.num_points) {
                *p = [(l - r) * 0.5, (l + r) * 0.5];
            }
            self.num_points += 1;
            if self.num_points >= VECTORSCOPE_POINTS {
                frame.sequence = self.num_published;
                self.input.publish();
                self.num_published += 1;
                self.num_points = 0;
            }
        }
    }
}

impl VectorscopeReader {
    /// The newest frame if one arrived since the previous call (GUI thread).
    pub fn take_new(&mut self) -> Option<&VectorscopeFrame> {
        if self.output.updated() {
            Some(self.output.read())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f32::consts::PI;

    fn sine(freq_hz: f32, phase_rad: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| 0.5 * (2.0 * PI * freq_hz * i as f32 / 48_000.0 + phase_rad).sin())
            .collect()
    }

    /// Uniform noise from a 64-bit LCG (Knuth's MMIX constants).
    fn noise(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn correlation_of(left: Vec<f32>, right: Vec<f32>) -> f32 {
        let (mut meter, _) = StereoMeter::new();
        let bus = MeterBus::default();
        for (l, r) in left.chunks(512).zip(right.chunks(512)) {
            meter.process(&[l, r], &bus, false);
        }
        bus.correlation.load(Ordering::Relaxed)
    }

    #[test]
    fn correlation_of_known_signals() {
        let n = 48_000 * 2;
        assert!((correlation_of(sine(440.0, 0.0, n), sine(440.0, 0.0, n)) - 1.0).abs() < 1e-3);
        let inverted: Vec<f32> = sine(440.0, 0.0, n).iter().map(|s| -s).collect();
        assert!((correlation_of(sine(440.0, 0.0, n), inverted) + 1.0).abs() < 1e-3);
        // Quadrature: E[sin cos] = 0.
        assert!(correlation_of(sine(440.0, 0.0, n), sine(440.0, PI / 2.0, n)).abs() < 0.02);
        // Independent noise: near 0 (the 300 ms window holds ~14400 samples).
        assert!(correlation_of(noise(1, n), noise(2, n)).abs() < 0.1);
        // 45 degrees apart: cos(45 deg).
        let r = correlation_of(sine(440.0, 0.0, n), sine(440.0, PI / 4.0, n));
        assert!((r - (PI / 4.0).cos()).abs() < 0.02, "{r}");
        assert_eq!(correlation_of(vec![0.0; n], vec![0.0; n]), 0.0);
    }

    #[test]
    fn vectorscope_points_are_side_and_mid_and_idle_when_closed() {
        let (mut meter, mut reader) = StereoMeter::new();
        let bus = MeterBus::default();
        let left = sine(100.0, 0.0, 512);
        let right: Vec<f32> = left.iter().map(|s| s * 0.5).collect();
        for _ in 0..100 {
            meter.process(&[&left, &right], &bus, false);
        }
        assert_eq!(meter.num_published(), 0);
        assert!(reader.take_new().is_none());
        for _ in 0..VECTORSCOPE_POINTS / 512 {
            meter.process(&[&left, &right], &bus, true);
        }
        assert_eq!(meter.num_published(), 1);
        let frame = reader.take_new().expect("a frame");
        for (i, p) in frame.side_mid.iter().enumerate() {
            let (l, r) = (left[i % 512], right[i % 512]);
            assert_eq!(*p, [(l - r) * 0.5, (l + r) * 0.5]);
        }
    }
}
