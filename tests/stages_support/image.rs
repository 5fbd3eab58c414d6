//! Stereo-image acceptance: width 0 % is mono, widths act per band, bass mono removes the
//! side below its frequency and keeps mid and side in phase above it.

use super::fft::welch_power;
use super::signals::{Split, noise, render, rms, sine};
use lacquer::dsp::stereo::{StereoImage, StereoSettings};

#[test]
fn zero_width_gives_identical_channels() {
    for bass_mono_on in [false, true] {
        let mut st = StereoImage::new();
        st.configure(48_000.0, 2, 512);
        st.set_settings(&StereoSettings {
            band_width_pct: [0.0; 3],
            bass_mono_on,
            ..Default::default()
        });
        st.reset();
        let input = [noise(20_000, 3, 0.5), noise(20_000, 4, 0.5)];
        let out = render(
            &mut st,
            &input,
            Split::Random(5),
            &[],
            |_, _| {},
            |v, c| v.process(c),
        );
        assert_eq!(out[0], out[1]);
        assert!(rms(&out[0]) > 0.1);
    }
}

#[test]
fn band_widths_scale_the_side_of_their_band_only() {
    let sr = 48_000.0;
    let mut st = StereoImage::new();
    st.configure(sr, 2, 512);
    st.set_settings(&StereoSettings {
        band_width_pct: [100.0, 100.0, 200.0],
        ..Default::default()
    });
    st.reset();
    for (freq_hz, expected_db) in [(8000.0, 6.0206), (50.0, 0.0)] {
        let s = sine(freq_hz, 0.25, sr, 96_000);
        let minus: Vec<f32> = s.iter().map(|x| -x).collect();
        let out = render(
            &mut st,
            &[s.clone(), minus],
            Split::Fixed(512),
            &[],
            |_, _| {},
            |v, c| v.process(c),
        );
        let side: Vec<f32> = out[0]
            .iter()
            .zip(&out[1])
            .map(|(l, r)| 0.5 * (l - r))
            .collect();
        let gain_db = 20.0 * (rms(&side[48_000..]) / rms(&s[48_000..])).log10();
        assert!(
            (gain_db - expected_db).abs() < 0.1,
            "{freq_hz} Hz: {gain_db} dB"
        );
    }
}

#[test]
fn bass_mono_removes_the_side_below_its_frequency_and_keeps_it_above() {
    let sr = 48_000.0;
    for bass_mono_hz in [120.0f32, 300.0] {
        let mut st = StereoImage::new();
        st.configure(sr, 2, 512);
        st.set_settings(&StereoSettings {
            bass_mono_on: true,
            bass_mono_hz,
            ..Default::default()
        });
        st.reset();
        let input = [noise(1 << 19, 11, 0.5), noise(1 << 19, 12, 0.5)];
        let out = render(
            &mut st,
            &input,
            Split::Fixed(512),
            &[],
            |_, _| {},
            |v, c| v.process(c),
        );
        let side = |x: &[Vec<f32>]| -> Vec<f32> {
            x[0].iter().zip(&x[1]).map(|(l, r)| 0.5 * (l - r)).collect()
        };
        let mid = |x: &[Vec<f32>]| -> Vec<f32> {
            x[0].iter().zip(&x[1]).map(|(l, r)| 0.5 * (l + r)).collect()
        };
        let seg = 1 << 15;
        let bin_hz = f64::from(sr) / seg as f64;
        let (side_in, side_out) = (
            welch_power(&side(&input), seg),
            welch_power(&side(&out), seg),
        );
        let (mid_in, mid_out) = (welch_power(&mid(&input), seg), welch_power(&mid(&out), seg));
        let band = |p: &[f64], lo: f64, hi: f64| -> f64 {
            ((lo / bin_hz).ceil() as usize..=(hi / bin_hz) as usize)
                .map(|k| p[k])
                .sum()
        };
        let f = f64::from(bass_mono_hz);
        // Two octaves below the crossover and lower: the side is at least 40 dB down.
        let below_db =
            10.0 * (band(&side_out, 5.0, f / 4.0) / band(&side_in, 5.0, f / 4.0)).log10();
        assert!(
            below_db < -40.0,
            "{bass_mono_hz} Hz: side below f/4 only {below_db:.1} dB down"
        );
        // Two octaves above: the side is kept (within 0.2 dB), and the mid is never changed.
        let above_db =
            10.0 * (band(&side_out, 4.0 * f, 20_000.0) / band(&side_in, 4.0 * f, 20_000.0)).log10();
        assert!(
            above_db.abs() < 0.2,
            "{bass_mono_hz} Hz: side above 4f changed by {above_db:.2} dB"
        );
        let mid_db = 10.0 * (band(&mid_out, 5.0, 20_000.0) / band(&mid_in, 5.0, 20_000.0)).log10();
        assert!(mid_db.abs() < 0.1, "mid changed by {mid_db:.2} dB");
    }
}

#[test]
fn bass_mono_keeps_mid_and_side_in_phase_above_its_frequency() {
    // A source panned hard left at 1 kHz (M = S) must stay hard left: if the mid and side
    // paths disagreed in phase, it would leak into the right channel.
    let sr = 48_000.0;
    let mut st = StereoImage::new();
    st.configure(sr, 2, 512);
    st.set_settings(&StereoSettings {
        bass_mono_on: true,
        bass_mono_hz: 120.0,
        ..Default::default()
    });
    st.reset();
    let l = sine(1000.0, 0.5, sr, 48_000);
    let out = render(
        &mut st,
        &[l, vec![0.0; 48_000]],
        Split::Fixed(512),
        &[],
        |_, _| {},
        |v, c| v.process(c),
    );
    let leak_db = 20.0 * (rms(&out[1][9600..]) / rms(&out[0][9600..])).log10();
    assert!(
        leak_db < -60.0,
        "right channel only {leak_db:.1} dB below left"
    );
}
