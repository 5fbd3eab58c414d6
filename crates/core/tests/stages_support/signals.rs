//! Test signals (synthesised here, deterministic) and rendering helpers.

use std::f32::consts::TAU;

/// Deterministic xorshift32 noise, uniform in -amplitude..amplitude.
pub fn noise(len: usize, seed: u32, amplitude: f32) -> Vec<f32> {
    let mut s = seed.max(1);
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            ((s as f32 / u32::MAX as f32) * 2.0 - 1.0) * amplitude
        })
        .collect()
}

/// A sine of `freq_hz` with peak `amplitude`.
pub fn sine(freq_hz: f32, amplitude: f32, sample_rate_hz: f32, len: usize) -> Vec<f32> {
    (0..len)
        .map(|i| amplitude * (TAU * freq_hz * i as f32 / sample_rate_hz).sin())
        .collect()
}

/// Largest absolute sample-to-sample step.
pub fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

/// RMS of a slice.
pub fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

/// Block lengths for a render: a fixed size, or a deterministic pseudo-random sequence.
#[derive(Clone, Copy, Debug)]
pub enum Split {
    Fixed(usize),
    Random(u32),
}

impl Split {
    /// The block lengths covering `len` samples.
    pub fn lengths(self, len: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut done = 0;
        let mut seed = match self {
            Split::Random(s) => s.max(1),
            Split::Fixed(_) => 1,
        };
        while done < len {
            let n = match self {
                Split::Fixed(n) => n,
                Split::Random(_) => {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    1 + (seed % 700) as usize
                }
            };
            let n = n.min(len - done);
            out.push(n);
            done += n;
        }
        out
    }
}

/// Renders a planar buffer through `process(stage, block)` in blocks given by `split`,
/// calling `change(stage, i)` at the sample position of each event `events[i]` (block
/// boundaries are added there, as a host does for sample-accurate automation).
pub fn render<T>(
    stage: &mut T,
    input: &[Vec<f32>],
    split: Split,
    events: &[usize],
    mut change: impl FnMut(&mut T, usize),
    mut process: impl FnMut(&mut T, &mut [&mut [f32]]),
) -> Vec<Vec<f32>> {
    let mut out = input.to_vec();
    let len = out[0].len();
    let mut cuts: Vec<usize> = Vec::new();
    let mut pos = 0;
    for n in split.lengths(len) {
        pos += n;
        cuts.push(pos);
    }
    cuts.extend(events.iter().copied().filter(|&e| e > 0 && e < len));
    cuts.sort_unstable();
    cuts.dedup();
    let mut start = 0;
    let mut next_event = 0;
    for end in cuts {
        while next_event < events.len() && events[next_event] <= start {
            change(stage, next_event);
            next_event += 1;
        }
        match out.as_mut_slice() {
            [mono] => process(stage, &mut [&mut mono[start..end]]),
            [l, r] => process(stage, &mut [&mut l[start..end], &mut r[start..end]]),
            _ => unreachable!("tests use one or two channels"),
        }
        start = end;
    }
    out
}
