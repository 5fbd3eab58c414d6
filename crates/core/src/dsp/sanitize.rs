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

#[cfg(test)]
mod tests {
    use super::*;

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
