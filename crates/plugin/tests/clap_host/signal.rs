#![allow(dead_code)] // shared by several test binaries, each using part of it
//! Signals, levels and seeded randomness for the host tests. Everything is synthesised here so
//! the tests need no asset and no corpus.

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a tiny seeded generator, so every run of a test sees the same block sizes and
/// automation and a failure can be replayed.
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose whole sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A whole number in `low..=high`.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        let span = (high - low + 1) as u64;
        low + (self.next_u64() % span) as usize
    }

    /// A real number in `[0, 1)` (the top 53 bits as a fraction).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Block sizes summing to `total_samples`, each in `1..=max_block_samples`, as an irregular host
/// would send them: mostly random sizes, with runs of very short blocks mixed in (1 to 8
/// samples), which is where block-boundary bugs show.
pub fn random_blocks(rng: &mut SplitMix64, total_samples: usize, max_block: usize) -> Vec<usize> {
    let mut blocks = Vec::new();
    let mut done = 0;
    while done < total_samples {
        let wanted = if rng.range(0, 9) == 0 {
            rng.range(1, 8.min(max_block))
        } else {
            rng.range(1, max_block)
        };
        let size = wanted.min(total_samples - done);
        blocks.push(size);
        done += size;
    }
    blocks
}

/// Linear amplitude of a level in dB (20 log10 convention for amplitudes).
pub fn db_to_gain(level_db: f64) -> f64 {
    10f64.powf(level_db / 20.0)
}

/// A sine of `freq_hz` whose *RMS* is `rms_dbfs` (so its peak is 3.01 dB higher), the same on
/// every channel, `num_samples` long. Planar channels, as CLAP passes them.
pub fn sine(
    freq_hz: f64,
    rms_dbfs: f64,
    sample_rate_hz: f64,
    num_samples: usize,
    num_channels: usize,
) -> Vec<Vec<f32>> {
    let peak = db_to_gain(rms_dbfs) * std::f64::consts::SQRT_2;
    let channel: Vec<f32> = (0..num_samples)
        .map(|n| {
            let phase = std::f64::consts::TAU * freq_hz * n as f64 / sample_rate_hz;
            (peak * phase.sin()) as f32
        })
        .collect();
    vec![channel; num_channels]
}

/// RMS level of a slice in dBFS (full-scale sine RMS = -3.01 dBFS by this definition).
pub fn rms_dbfs(samples: &[f32]) -> f64 {
    let sum_squares: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    10.0 * (sum_squares / samples.len() as f64).log10()
}

/// Largest `|out[n] - gain * reference[n - delay]|` over `out[range]`: how far the output is from
/// the reference scaled and delayed by the plugin's latency.
pub fn max_deviation(
    out: &[f32],
    reference: &[f32],
    gain: f64,
    delay_samples: usize,
    range: std::ops::Range<usize>,
) -> f64 {
    range
        .map(|n| (f64::from(out[n]) - gain * f64::from(reference[n - delay_samples])).abs())
        .fold(0.0, f64::max)
}
