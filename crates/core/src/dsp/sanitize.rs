//! First stage of the chain: no NaN, infinity or denormal ever reaches the DSP after it.

/// Largest magnitude let through, +60 dBFS. Anything above is clamped so the stages after this
/// one (and the limiter's gain computer) work with finite arithmetic even on +100 dBFS input.
pub const MAX_ABS_SAMPLE: f32 = 1000.0;

/// Smallest magnitude kept; below it a sample is flushed to zero (denormal protection).
const DENORMAL_FLOOR: f32 = 1.0e-30;

/// Replaces NaN and infinities with 0, clamps to +/-[`MAX_ABS_SAMPLE`] and flushes tiny values.
/// Returns how many samples were non-finite so callers can report it.
#[inline]
pub fn sanitize(samples: &mut [f32]) -> usize {
    let mut num_non_finite = 0;
    for s in samples.iter_mut() {
        let x = *s;
        if !x.is_finite() {
            *s = 0.0;
            num_non_finite += 1;
        } else if x.abs() < DENORMAL_FLOOR {
            *s = 0.0;
        } else {
            *s = x.clamp(-MAX_ABS_SAMPLE, MAX_ABS_SAMPLE);
        }
    }
    num_non_finite
}

/// Replaces NaN and infinities with 0 and flushes subnormal values (magnitude below
/// `f32::MIN_POSITIVE`, about 1.2e-38, i.e. -758 dBFS) to 0; returns how many samples were
/// non-finite. Unlike [`sanitize`] it neither clamps nor touches any normal number, so it can
/// clean audio before it is measured (a file's +10 dBFS peak stays +10 dBFS) and changes no
/// ordinary sample: for audio, replacing a subnormal with 0 is exact (it lies 600 dB below
/// any converter's noise). Subnormal input makes every filter and FFT fed with it many times
/// slower on x86 (each operation on one takes a microcode assist), so the CLI flushes what it
/// decodes here once instead of relying on each consumer.
pub fn flush_non_finite_and_subnormal(samples: &mut [f32]) -> usize {
    let mut num_non_finite = 0;
    for s in samples.iter_mut() {
        if !s.is_finite() {
            *s = 0.0;
            num_non_finite += 1;
        } else if s.is_subnormal() {
            *s = 0.0;
        }
    }
    num_non_finite
}

/// True when `samples` holds a value [`flush_non_finite_and_subnormal`] would change (a cheap
/// scan, so callers copy only audio that needs cleaning).
pub fn needs_flush(samples: &[f32]) -> bool {
    samples.iter().any(|s| !s.is_finite() || s.is_subnormal())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_changes_only_non_finite_and_subnormal_values() {
        let tiny = f32::MIN_POSITIVE; // the smallest normal number stays
        let mut x = [
            f32::NAN,
            f32::NEG_INFINITY,
            1.0e-40,
            -1.0e-45,
            tiny,
            -tiny,
            1.0e-30,
            12.5,
            -0.0,
        ];
        assert!(needs_flush(&x));
        assert_eq!(flush_non_finite_and_subnormal(&mut x), 2);
        assert_eq!(x, [0.0, 0.0, 0.0, 0.0, tiny, -tiny, 1.0e-30, 12.5, -0.0]);
        assert!(x.iter().all(|v| !v.is_subnormal() && v.is_finite()));
        assert!(!needs_flush(&x));
    }

    #[test]
    fn replaces_non_finite_and_clamps() {
        let mut x = [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.5,
            -2.0,
            1.0e6,
            -1.0e6,
            1.0e-35,
        ];
        let n = sanitize(&mut x);
        assert_eq!(n, 3);
        assert_eq!(
            x,
            [
                0.0,
                0.0,
                0.0,
                0.5,
                -2.0,
                MAX_ABS_SAMPLE,
                -MAX_ABS_SAMPLE,
                0.0
            ]
        );
    }
}
