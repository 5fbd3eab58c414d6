//! "Match Loudness" for Compare: the running short-term loudness (BS.1770 K-weighting, 3 s
//! window) of the processed and of the dry signal, and the smoothed gain that brings the dry
//! signal to the processed one's loudness, so a comparison is of sound, not of level (louder
//! nearly always sounds better). The host bypass never uses it (`super::bypass`).
//!
//! Both signals are measured all the time, so the offset is ready the moment Compare is pressed.
//! The four K-weighting filters (dry L/R, processed L/R) run as four lanes of one loop
//! (`kweight`).

mod kweight;

use super::simd::Simd;
use kweight::{Coeffs, NUM_LANES, StageState, filter_energy};

/// Length of the short-term window, s (EBU Tech 3341).
pub const WINDOW_S: f32 = 3.0;

/// The window is kept as this many sub-blocks (100 ms each), so the loudness updates 10 times
/// a second.
const NUM_SUB_BLOCKS: usize = 30;

/// Largest dry gain either way, dB (issue #7: clamped to +/-24 dB).
pub const MAX_OFFSET_DB: f32 = 24.0;

/// Time constant of the dry gain's glide towards a new offset, ms. The offset itself moves in
/// 100 ms steps; gliding over a few of them keeps every change inaudible as a step.
pub const GLIDE_MS: f32 = 300.0;

/// Below this short-term loudness a signal counts as silent and the offset is held, LUFS
/// (the BS.1770-4 absolute gate).
const SILENCE_LUFS: f32 = -70.0;

/// BS.1770-4 K-weighting as two biquads, coefficients for any sample rate from the analog
/// prototype behind the standard's 48 kHz table: a high shelf (+4 dB, f0 1681.97 Hz,
/// Q 0.7072) and a high pass (f0 38.135 Hz, Q 0.5003). Returns `[b0, b1, b2, a1, a2]` per
/// stage.
pub fn k_weighting(sample_rate_hz: f32) -> [[f64; 5]; 2] {
    let fs = f64::from(sample_rate_hz);
    // Stage 1: the head's acoustic effect, a high shelf.
    let (f0, gain_db, q) = (
        1_681.974_450_955_533,
        3.999_843_853_973_347,
        0.707_175_236_955_419_6,
    );
    let k = (std::f64::consts::PI * f0 / fs).tan();
    let vh = 10f64.powf(gain_db / 20.0);
    let vb = vh.powf(0.499_666_774_154_541_6);
    let a0 = 1.0 + k / q + k * k;
    let shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ];
    // Stage 2: the RLB high pass.
    let (f0, q) = (38.135_470_876_024_44, 0.500_327_037_323_877_3);
    let k = (std::f64::consts::PI * f0 / fs).tan();
    let a0 = 1.0 + k / q + k * k;
    let high_pass = [
        1.0,
        -2.0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ];
    [shelf, high_pass]
}

/// Running short-term loudness of the dry and processed signals and the dry gain that matches
/// them. Allocation-free after construction (fixed-size arrays).
#[derive(Debug, Clone)]
pub struct LoudnessMatch {
    /// K-weighting coefficients, `[b0, b1, b2, a1, a2]` per stage.
    coeffs: [Coeffs; 2],
    /// Biquad history per stage (direct form I, four lanes).
    state: [StageState; 2],
    /// Energy of the sub-block being filled, per lane (summed in `f32`: at most one
    /// sub-block, 38 400 samples at 384 kHz, of positive terms, so the sum keeps ~5 digits).
    accumulating: [f32; NUM_LANES],
    samples_in_sub_block: usize,
    sub_block_samples: usize,
    /// Energy per finished sub-block and lane.
    sub_blocks: [[f64; 4]; NUM_SUB_BLOCKS],
    next_sub_block: usize,
    num_sub_blocks_filled: usize,
    num_channels: usize,
    /// Current offset (processed minus dry short-term loudness), dB, clamped.
    offset_db: f32,
    /// Gain applied to the dry signal now, linear; glides towards `10^(offset_db / 20)`.
    gain: f32,
    glide_coeff: f32,
    /// Instruction set of the K-weighting loop (see [`super::simd`]).
    simd: Simd,
}

impl Default for LoudnessMatch {
    fn default() -> Self {
        let mut m = Self {
            coeffs: [[0.0; 5]; 2],
            state: [StageState::default(); 2],
            accumulating: [0.0; NUM_LANES],
            samples_in_sub_block: 0,
            sub_block_samples: 1,
            sub_blocks: [[0.0; 4]; NUM_SUB_BLOCKS],
            next_sub_block: 0,
            num_sub_blocks_filled: 0,
            num_channels: 2,
            offset_db: 0.0,
            gain: 1.0,
            glide_coeff: 0.0,
            simd: Simd::detected(),
        };
        m.configure(48_000.0, 2);
        m
    }
}

impl LoudnessMatch {
    /// Sets the sample rate and channel count (1 or 2) and clears the history.
    pub fn configure(&mut self, sample_rate_hz: f32, num_channels: usize) {
        let k = k_weighting(sample_rate_hz);
        for (dst, src) in self.coeffs.iter_mut().zip(k) {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = s as f32;
            }
        }
        self.num_channels = num_channels.clamp(1, 2);
        self.sub_block_samples =
            ((WINDOW_S * sample_rate_hz / NUM_SUB_BLOCKS as f32).round() as usize).max(1);
        self.glide_coeff = (-1.0 / (GLIDE_MS * 0.001 * sample_rate_hz)).exp();
        self.reset();
    }

    /// Forgets all history; the offset returns to 0 dB.
    pub fn reset(&mut self) {
        self.forget_history();
        self.offset_db = 0.0;
        self.gain = 1.0;
    }

    /// Forgets the measured loudness (filter state and sub-blocks) but keeps the offset and
    /// the gain, so a measurement restarted after a pause moves on from where it was once
    /// 100 ms of signal has been heard.
    pub fn forget_history(&mut self) {
        self.state = [StageState::default(); 2];
        self.accumulating = [0.0; NUM_LANES];
        self.samples_in_sub_block = 0;
        self.sub_blocks = [[0.0; 4]; NUM_SUB_BLOCKS];
        self.next_sub_block = 0;
        self.num_sub_blocks_filled = 0;
    }

    /// The current offset the dry signal gets, dB (processed minus dry loudness, clamped to
    /// +/-[`MAX_OFFSET_DB`]); 0 until both signals have been heard.
    pub fn offset_db(&self) -> f32 {
        self.offset_db
    }

    /// Measures one block: `dry` and `processed` are planar, same length, 1 or 2 channels
    /// (a mono signal fills both of its lanes; only the first is counted).
    pub fn measure(&mut self, dry: &[&[f32]], processed: &[&[f32]]) {
        let lanes = [
            channel(dry, 0),
            channel(dry, 1),
            channel(processed, 0),
            channel(processed, 1),
        ];
        let n = lanes.iter().map(|l| l.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < n {
            // Up to the next sub-block edge, so each sub-block's energy is its own sum.
            let left_in_sub_block = self
                .sub_block_samples
                .saturating_sub(self.samples_in_sub_block)
                .max(1);
            let end = (start + left_in_sub_block).min(n);
            let segment = lanes.map(|l| l.get(start..end).unwrap_or(&[]));
            filter_energy(
                self.simd,
                &self.coeffs,
                &mut self.state,
                segment,
                &mut self.accumulating,
            );
            self.samples_in_sub_block += end - start;
            if self.samples_in_sub_block >= self.sub_block_samples {
                self.finish_sub_block();
            }
            start = end;
        }
        for stage in self.state.iter_mut() {
            stage.flush();
        }
    }

    fn finish_sub_block(&mut self) {
        if let Some(slot) = self.sub_blocks.get_mut(self.next_sub_block) {
            *slot = self.accumulating.map(f64::from);
        }
        self.accumulating = [0.0; NUM_LANES];
        self.samples_in_sub_block = 0;
        self.next_sub_block = (self.next_sub_block + 1) % NUM_SUB_BLOCKS;
        self.num_sub_blocks_filled = (self.num_sub_blocks_filled + 1).min(NUM_SUB_BLOCKS);
        if let (Some(dry), Some(processed)) = (self.lufs(0), self.lufs(2)) {
            self.offset_db = (processed - dry).clamp(-MAX_OFFSET_DB, MAX_OFFSET_DB);
        }
    }

    /// Short-term loudness of the lanes from `first_lane` (0 = dry, 2 = processed), LUFS, over
    /// the sub-blocks heard so far (up to 3 s); `None` when silent.
    fn lufs(&self, first_lane: usize) -> Option<f32> {
        if self.num_sub_blocks_filled == 0 {
            return None;
        }
        let energy: f64 = self
            .sub_blocks
            .iter()
            .take(self.num_sub_blocks_filled)
            .flat_map(|block| block.iter().skip(first_lane).take(self.num_channels))
            .sum();
        let mean = energy / (self.num_sub_blocks_filled * self.sub_block_samples) as f64;
        // BS.1770-4 eq. 2: L = -0.691 + 10 log10(sum of channel mean squares).
        let lufs = (-0.691 + 10.0 * mean.max(1e-30).log10()) as f32;
        (lufs > SILENCE_LUFS).then_some(lufs)
    }

    /// Short-term loudness of the dry signal, LUFS (`None` when silent or not yet heard).
    pub fn dry_lufs(&self) -> Option<f32> {
        self.lufs(0)
    }

    /// Short-term loudness of the processed signal, LUFS.
    pub fn processed_lufs(&self) -> Option<f32> {
        self.lufs(2)
    }

    /// The gain the dry signal glides to: the offset when matching, else unity.
    pub fn target_gain(&self, matching: bool) -> f32 {
        if matching {
            10f32.powf(self.offset_db / 20.0)
        } else {
            1.0
        }
    }

    /// The dry signal's gain now, dB.
    pub fn gain_db(&self) -> f32 {
        20.0 * self.gain.max(1e-12).log10()
    }

    /// Multiplies `dry` (planar) by the gain gliding to the offset (`matching`) or to unity.
    pub fn apply(&mut self, dry: &mut [&mut [f32]], matching: bool) {
        let n = dry.first().map_or(0, |c| c.len());
        let target = self.target_gain(matching);
        let a = self.glide_coeff;
        for i in 0..n {
            self.gain = target + a * (self.gain - target);
            for ch in dry.iter_mut() {
                if let Some(s) = ch.get_mut(i) {
                    *s *= self.gain;
                }
            }
        }
    }

    /// One sample of the glide towards `target` (from [`Self::target_gain`]); returns the
    /// gain for that sample, linear.
    #[inline]
    pub fn next_gain(&mut self, target: f32) -> f32 {
        self.gain = target + self.glide_coeff * (self.gain - target);
        self.gain
    }

    /// The dry signal's gain now, linear.
    pub fn gain(&self) -> f32 {
        self.gain
    }

    /// Lets the gain glide without a signal to apply it to (while not bypassed), so it is
    /// already at the offset when bypass is pressed.
    pub fn advance(&mut self, num_samples: usize, matching: bool) {
        let target = self.target_gain(matching);
        let a = self
            .glide_coeff
            .powi(num_samples.min(i32::MAX as usize) as i32);
        self.gain = target + a * (self.gain - target);
    }
}

/// Channel `c` of a planar signal, else its first channel (mono fills both lanes), else empty.
fn channel<'a>(channels: &[&'a [f32]], c: usize) -> &'a [f32] {
    channels
        .get(c)
        .or_else(|| channels.first())
        .copied()
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coefficients_at_48_khz_are_the_standards_table() {
        // ITU-R BS.1770-4, Tables 1 and 2 (the 48 kHz coefficients as printed there).
        let [shelf, hp] = k_weighting(48_000.0);
        let table_shelf = [
            1.535_124_859_586_97,
            -2.691_696_189_406_38,
            1.198_392_810_852_85,
            -1.690_659_293_182_41,
            0.732_480_774_215_85,
        ];
        let table_hp = [1.0, -2.0, 1.0, -1.990_047_454_833_98, 0.990_072_250_366_21];
        for (got, want) in shelf.iter().zip(table_shelf).chain(hp.iter().zip(table_hp)) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }

    fn sine(freq_hz: f32, amplitude: f32, sample_rate_hz: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                amplitude * (std::f32::consts::TAU * freq_hz * i as f32 / sample_rate_hz).sin()
            })
            .collect()
    }

    #[test]
    fn a_minus_23_dbfs_sine_reads_minus_23_lufs() {
        // EBU Tech 3341 case 1: a 1 kHz stereo sine at -23 dBFS reads -23 LUFS.
        let fs = 48_000.0;
        let x = sine(1000.0, 10f32.powf(-23.0 / 20.0), fs, (3.5 * fs) as usize);
        let mut m = LoudnessMatch::default();
        m.configure(fs, 2);
        m.measure(&[&x, &x], &[&x, &x]);
        let lufs = m.dry_lufs().expect("not silent");
        assert!((lufs + 23.0).abs() < 0.1, "{lufs} LUFS");
    }

    #[test]
    fn the_offset_is_the_loudness_difference_and_is_clamped() {
        let fs = 44_100.0;
        let n = (3.2 * fs) as usize;
        let dry = sine(440.0, 0.05, fs, n);
        let louder: Vec<f32> = dry.iter().map(|s| s * 10f32.powf(7.5 / 20.0)).collect();
        let mut m = LoudnessMatch::default();
        m.configure(fs, 2);
        m.measure(&[&dry, &dry], &[&louder, &louder]);
        assert!((m.offset_db() - 7.5).abs() < 0.05, "{}", m.offset_db());
        // The gain glides to the offset: after 3 s (10 time constants) it is there.
        let mut d = vec![1.0f32; n];
        m.apply(&mut [&mut d], true);
        let g_db = 20.0 * d[n - 1].log10();
        assert!((g_db - 7.5).abs() < 0.05, "{g_db}");
        assert!(d.windows(2).all(|w| w[1] >= w[0]), "the glide overshoots");

        let much_louder: Vec<f32> = dry.iter().map(|s| s * 1000.0).collect();
        m.reset();
        m.measure(&[&dry, &dry], &[&much_louder, &much_louder]);
        assert_eq!(m.offset_db(), MAX_OFFSET_DB);
    }

    #[test]
    fn silence_holds_the_offset() {
        let fs = 48_000.0;
        let n = (3.0 * fs) as usize;
        let dry = sine(100.0, 0.1, fs, n);
        let quieter: Vec<f32> = dry.iter().map(|s| s * 0.5).collect();
        let mut m = LoudnessMatch::default();
        m.configure(fs, 1);
        m.measure(&[&dry], &[&quieter]);
        let before = m.offset_db();
        assert!((before + 6.02).abs() < 0.05, "{before}");
        let silence = vec![0.0f32; 2 * n];
        m.measure(&[&silence], &[&silence]);
        assert_eq!(m.offset_db(), before);
    }
}
