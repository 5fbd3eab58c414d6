//! A plain radix-2 FFT (iterative Cooley-Tukey), enough to measure filter responses from
//! impulse responses and noise spectra in the tests.

use std::f64::consts::PI;

/// In-place FFT of `re + i im` (length a power of two).
pub fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    assert!(n.is_power_of_two() && im.len() == n);
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if j > i {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let step = -2.0 * PI / len as f64;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (s, c) = (step * k as f64).sin_cos();
                let (a, b) = (start + k, start + k + len / 2);
                let (br, bi) = (re[b] * c - im[b] * s, re[b] * s + im[b] * c);
                re[b] = re[a] - br;
                im[b] = im[a] - bi;
                re[a] += br;
                im[a] += bi;
            }
        }
        len *= 2;
    }
}

/// Magnitude spectrum in dB of a real signal (zero-padded to `n`), bins `0..=n/2`.
pub fn magnitude_db<T: Copy + Into<f64>>(signal: &[T], n: usize) -> Vec<f64> {
    let mut re: Vec<f64> = signal.iter().map(|&x| x.into()).collect();
    re.resize(n, 0.0);
    let mut im = vec![0.0; n];
    fft(&mut re, &mut im);
    (0..=n / 2)
        .map(|k| 10.0 * (re[k] * re[k] + im[k] * im[k]).log10())
        .collect()
}

/// Averaged power spectrum (Hann window, 50 % overlap) of a long signal, linear power per
/// bin `0..=seg/2`.
pub fn welch_power(signal: &[f32], seg: usize) -> Vec<f64> {
    let window: Vec<f64> = (0..seg)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f64 / seg as f64).cos())
        .collect();
    let mut acc = vec![0.0; seg / 2 + 1];
    let mut count = 0;
    let mut start = 0;
    while start + seg <= signal.len() {
        let mut re: Vec<f64> = signal[start..start + seg]
            .iter()
            .zip(&window)
            .map(|(&x, w)| f64::from(x) * w)
            .collect();
        let mut im = vec![0.0; seg];
        fft(&mut re, &mut im);
        for (k, a) in acc.iter_mut().enumerate() {
            *a += re[k] * re[k] + im[k] * im[k];
        }
        count += 1;
        start += seg / 2;
    }
    acc.iter().map(|a| a / count as f64).collect()
}

#[test]
fn fft_of_a_sine_peaks_in_its_bin() {
    let n = 1024;
    let x: Vec<f32> = (0..n)
        .map(|i| (2.0 * std::f32::consts::PI * 37.0 * i as f32 / n as f32).sin())
        .collect();
    let db = magnitude_db(&x, n);
    let peak = (0..=n / 2)
        .max_by(|&a, &b| db[a].total_cmp(&db[b]))
        .unwrap();
    assert_eq!(peak, 37);
    // A unit sine over n samples has |X| = n / 2 in its bin.
    assert!((db[37] - 20.0 * (n as f64 / 2.0).log10()).abs() < 1e-6);
    assert!(db[100] < db[37] - 100.0);
}
