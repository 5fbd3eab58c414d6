//! Signals and block plans for the tests of the streaming meters: every streaming meter must
//! give, bit for bit, what its whole-slice form (and the frozen pre-streaming implementation)
//! gives, whatever the block sizes.

use std::f64::consts::PI;

/// Small deterministic generator (xorshift64*).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [-1, 1), as f32.
    pub(crate) fn sample(&mut self) -> f32 {
        (2.0 * self.unit() - 1.0) as f32
    }

    /// Uniform in 0..n.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

/// A stereo test signal: name, left, right.
pub(crate) type Stereo = (&'static str, Vec<f32>, Vec<f32>);

/// Hostile and musical stereo signals of `len` frames at `rate`: full-scale white noise
/// (independent channels), noise bursts, a sine sweep, a square wave, and a mix with silence
/// gaps (a tone and noise with gaps long enough for the meters' filters to decay into
/// subnormal numbers).
pub(crate) fn signals(rate: u32, len: usize, seed: u64) -> Vec<Stereo> {
    let sr = f64::from(rate);
    let mut rng = Rng(seed | 1);
    let white_l: Vec<f32> = (0..len).map(|_| rng.sample()).collect();
    let white_r: Vec<f32> = (0..len).map(|_| rng.sample()).collect();
    let bursts: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f64 / sr;
            let gain = if (t * 2.3).fract() < 0.15 { 0.9 } else { 0.01 };
            gain * rng.sample()
        })
        .collect();
    let bursts_r: Vec<f32> = bursts.iter().map(|x| -0.5 * x).collect();
    let seconds = (len as f64 / sr).max(1e-3);
    let (f0, f1) = (20.0f64, 0.45 * sr);
    let sweep: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f64 / sr;
            let k = (f1 / f0).ln() / seconds;
            (0.7 * (2.0 * PI * f0 * ((k * t).exp() - 1.0) / k).sin()) as f32
        })
        .collect();
    let sweep_r: Vec<f32> = sweep.iter().rev().copied().collect();
    let period = (sr / 220.0).round().max(2.0) as usize;
    let square: Vec<f32> = (0..len)
        .map(|i| if i % period < period / 2 { 0.8 } else { -0.8 })
        .collect();
    let square_r: Vec<f32> = square.iter().map(|x| 0.25 * x).collect();
    let gap = |i: usize| {
        let t = i as f64 / sr;
        // Sound for 2 s, then silence for 4.5 s (long enough for subnormal filter states).
        t % 6.5 < 2.0
    };
    let mix_l: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f64 / sr;
            let tone = 0.4 * (2.0 * PI * 440.0 * t).sin() + 0.1 * f64::from(rng.sample());
            if gap(i) { tone as f32 } else { 0.0 }
        })
        .collect();
    let mix_r: Vec<f32> = (0..len)
        .map(|i| {
            let t = i as f64 / sr;
            let tone = 0.3 * (2.0 * PI * 97.0 * t).cos() + 0.05 * f64::from(rng.sample());
            if gap(i) { tone as f32 } else { 0.0 }
        })
        .collect();
    vec![
        ("white noise", white_l, white_r),
        ("noise bursts", bursts, bursts_r),
        ("sine sweep", sweep, sweep_r),
        ("square wave", square, square_r),
        ("mix with silence gaps", mix_l, mix_r),
    ]
}

/// Block-size plans: the given fixed sizes, the sizes 1, 2, 7, 511, 512, 4096 and 65 537 in
/// turn, and random sizes (0 included) from a seeded generator. Each plan is cycled until the
/// audio is used up. `small` adds the plans of 1 and 2 frames only (slow on long audio).
pub(crate) fn block_plans(seed: u64, small: bool) -> Vec<Vec<usize>> {
    let mut rng = Rng(seed | 1);
    let mut plans: Vec<Vec<usize>> = vec![
        vec![7],
        vec![511],
        vec![512],
        vec![4096],
        vec![65_537],
        vec![1, 2, 7, 511, 512, 4096, 65_537],
        (0..64).map(|_| rng.below(20_000)).collect(),
        (0..64)
            .map(|_| {
                if rng.unit() < 0.5 {
                    rng.below(5)
                } else {
                    rng.below(100_000)
                }
            })
            .collect(),
    ];
    if small {
        plans.push(vec![1]);
        plans.push(vec![2]);
    }
    plans
}

/// Calls `push` with consecutive blocks of `channels` (planar, all one length) whose sizes
/// follow `plan` cyclically.
pub(crate) fn push_in_blocks(channels: &[&[f32]], plan: &[usize], mut push: impl FnMut(&[&[f32]])) {
    let len = channels.first().map_or(0, |c| c.len());
    let mut pos = 0;
    let mut sizes = plan.iter().cycle();
    let mut block: Vec<&[f32]> = Vec::with_capacity(channels.len());
    while pos < len {
        let size = sizes.next().copied().unwrap_or(len).min(len - pos);
        block.clear();
        block.extend(channels.iter().map(|c| &c[pos..pos + size]));
        push(&block);
        pos += size;
    }
    // An empty block at the end must change nothing.
    block.clear();
    block.extend(channels.iter().map(|c| &c[len..]));
    push(&block);
}

/// Bit-for-bit equality through `Debug` (which tells -0.0 from 0.0 and prints every f32/f64
/// exactly), with `what` in the message.
pub(crate) fn assert_bits<T: std::fmt::Debug>(got: &T, want: &T, what: &str) {
    assert_eq!(format!("{got:?}"), format!("{want:?}"), "{what}");
}
