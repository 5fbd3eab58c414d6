//! L/R correlation of a whole programme, in one pass over blocks of any sizes: Pearson's
//! coefficient ([`pearson`]) and the loud-parts figure ([`loud_correlation`]).

use super::{CORRELATION_ABSOLUTE_GATE_DBFS, CORRELATION_BLOCK_MS, CORRELATION_RELATIVE_GATE_DB};

/// Frames whose shifted sums are added up on their own before they join the totals (counted
/// from the first frame, so the sums do not depend on how the audio is split into blocks). A
/// two-level sum: rounding errors grow with 4096 + n / 4096 terms instead of n.
const PEARSON_CHUNK: usize = 4096;

/// One-pass sums for Pearson's coefficient: every sample is taken relative to its channel's
/// first sample (the "shifted data" algorithm), so the sums stay near the signal's own
/// variation instead of its offset and `sum(d^2) - sum(d)^2 / n` does not cancel
/// catastrophically; in f64, per 4096-frame chunk, then in total.
#[derive(Debug, Clone, Default)]
pub(crate) struct PearsonSums {
    /// First sample of each channel, the shift.
    shift: Option<(f64, f64)>,
    /// Sums of dx, dy, dx^2, dy^2, dx dy over the current chunk, and its frames.
    chunk: [f64; 5],
    chunk_len: usize,
    /// The same sums over the finished chunks, and their frames.
    total: [f64; 5],
    frames: u64,
}

impl PearsonSums {
    /// Adds the next frames (`a` and `b` cut to the shorter).
    pub(crate) fn push(&mut self, a: &[f32], b: &[f32]) {
        let n = a.len().min(b.len());
        let (a, b) = (&a[..n], &b[..n]);
        let Some(&first_a) = a.first() else { return };
        let (ka, kb) = *self
            .shift
            .get_or_insert((f64::from(first_a), f64::from(b[0])));
        let mut pos = 0;
        while pos < n {
            let take = (PEARSON_CHUNK - self.chunk_len).min(n - pos);
            let [mut sa, mut sb, mut saa, mut sbb, mut sab] = self.chunk;
            for (&x, &y) in a[pos..pos + take].iter().zip(&b[pos..pos + take]) {
                let dx = f64::from(x) - ka;
                let dy = f64::from(y) - kb;
                sa += dx;
                sb += dy;
                saa += dx * dx;
                sbb += dy * dy;
                sab += dx * dy;
            }
            self.chunk = [sa, sb, saa, sbb, sab];
            self.chunk_len += take;
            pos += take;
            if self.chunk_len == PEARSON_CHUNK {
                self.close_chunk();
            }
        }
    }

    fn close_chunk(&mut self) {
        for (t, c) in self.total.iter_mut().zip(&mut self.chunk) {
            *t += *c;
            *c = 0.0;
        }
        self.frames += self.chunk_len as u64;
        self.chunk_len = 0;
    }

    /// The coefficient, -1..1; `None` for no frames or a constant channel.
    pub(crate) fn finish(mut self) -> Option<f64> {
        self.close_chunk();
        if self.frames == 0 {
            return None;
        }
        let n = self.frames as f64;
        let [sa, sb, saa, sbb, sab] = self.total;
        let aa = saa - sa * sa / n;
        let bb = sbb - sb * sb / n;
        let ab = sab - sa * sb / n;
        if aa <= 0.0 || bb <= 0.0 {
            return None;
        }
        Some((ab / (aa * bb).sqrt()).clamp(-1.0, 1.0))
    }
}

/// Pearson's correlation coefficient of two equally long signals, -1..1, accumulated in f64.
/// `None` when either signal is constant (zero variance), e.g. silence.
///
/// One pass over the samples (so [`super::Analyzer`] can stream): the sums are taken of each
/// sample minus its signal's first sample, in f64 and per 4096-frame chunk, and the
/// covariance and variances are `sum(dx dy) - sum(dx) sum(dy) / n` and the like. For audio
/// (bounded, its first sample within the signal's range) this agrees with the two-pass
/// formula (means first) to about 1e-13, and a constant signal reads exactly 0 variance.
pub fn pearson(a: &[f32], b: &[f32]) -> Option<f64> {
    let mut sums = PearsonSums::default();
    sums.push(a, b);
    sums.finish()
}

/// Per-400 ms block sums of the loud-parts correlation, gathered as the audio streams.
#[derive(Debug, Clone)]
pub(crate) struct LoudBlocks {
    block: usize,
    /// (sum L R, sum L^2, sum R^2, frames) of the current block.
    current: (f64, f64, f64, usize),
    /// The same of every finished block.
    blocks: Vec<(f64, f64, f64, usize)>,
}

impl LoudBlocks {
    /// Blocks of [`CORRELATION_BLOCK_MS`] at `sample_rate_hz`, counted from the first frame.
    pub(crate) fn new(sample_rate_hz: u32) -> Self {
        let block =
            ((u64::from(sample_rate_hz) * u64::from(CORRELATION_BLOCK_MS) / 1000) as usize).max(1);
        Self {
            block,
            current: (0.0, 0.0, 0.0, 0),
            blocks: Vec::new(),
        }
    }

    /// Adds the next frames (`l` and `r` cut to the shorter).
    pub(crate) fn push(&mut self, l: &[f32], r: &[f32]) {
        let n = l.len().min(r.len());
        let mut pos = 0;
        while pos < n {
            let take = (self.block - self.current.3).min(n - pos);
            let (mut lr, mut ll, mut rr, len) = self.current;
            for (&x, &y) in l[pos..pos + take].iter().zip(&r[pos..pos + take]) {
                let (x, y) = (f64::from(x), f64::from(y));
                lr += x * y;
                ll += x * x;
                rr += y * y;
            }
            self.current = (lr, ll, rr, len + take);
            pos += take;
            if self.current.3 == self.block {
                self.blocks.push(self.current);
                self.current = (0.0, 0.0, 0.0, 0);
            }
        }
    }

    /// The loud-parts correlation: see [`super::Analysis::loud_correlation`].
    pub(crate) fn finish(mut self) -> Option<f64> {
        if self.current.3 > 0 {
            self.blocks.push(self.current);
        }
        let blocks = self.blocks;
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
}

/// Correlation of `l` and `r` over their loud parts: see [`super::Analysis::loud_correlation`].
pub fn loud_correlation(l: &[f32], r: &[f32], sample_rate_hz: u32) -> Option<f64> {
    let mut blocks = LoudBlocks::new(sample_rate_hz);
    blocks.push(l, r);
    blocks.finish()
}
