//! Tonal EQ acceptance: the measured response (FFT of the impulse response) matches
//! `EqSettings::response_db` for every band type at 44.1, 48 and 96 kHz; gain jumps ramp.

use super::fft::magnitude_db;
use super::signals::{Split, max_step, render, rms, sine};
use super::{RATES_HZ, log_grid};
use lacquer_core::dsp::eq::{EqBand, EqSettings, ToneEq};

fn eq_cases() -> Vec<(&'static str, EqSettings)> {
    let flat = EqSettings::default();
    let mut bell_boost = flat;
    bell_boost.bells[2] = EqBand {
        freq_hz: 1000.0,
        gain_db: 6.0,
        q: 1.4,
    };
    let mut bell_cut = flat;
    bell_cut.bells[4] = EqBand {
        freq_hz: 8000.0,
        gain_db: -9.0,
        q: 4.0,
    };
    let mut low_shelf = flat;
    low_shelf.low_shelf = EqBand {
        freq_hz: 120.0,
        gain_db: 4.0,
        q: 0.707,
    };
    let mut high_shelf = flat;
    high_shelf.high_shelf = EqBand {
        freq_hz: 6000.0,
        gain_db: -5.0,
        q: 1.0,
    };
    fn high_pass(high_pass_hz: f32, high_pass_db_per_oct: f32) -> EqSettings {
        EqSettings {
            high_pass_on: true,
            high_pass_hz,
            high_pass_db_per_oct,
            ..EqSettings::default()
        }
    }
    let mut everything = high_pass(25.0, 24.0);
    everything.low_shelf.gain_db = -2.0;
    everything.bells = [
        EqBand {
            freq_hz: 60.0,
            gain_db: 2.0,
            q: 0.8,
        },
        EqBand {
            freq_hz: 300.0,
            gain_db: -3.0,
            q: 2.0,
        },
        EqBand {
            freq_hz: 900.0,
            gain_db: 1.5,
            q: 1.0,
        },
        EqBand {
            freq_hz: 3500.0,
            gain_db: -2.5,
            q: 3.0,
        },
        EqBand {
            freq_hz: 12_000.0,
            gain_db: 3.0,
            q: 0.7,
        },
    ];
    everything.high_shelf.gain_db = 1.5;
    everything.tilt_db = 1.0;
    vec![
        ("bell boost", bell_boost),
        ("bell cut", bell_cut),
        ("low shelf", low_shelf),
        ("high shelf", high_shelf),
        ("high-pass 12", high_pass(40.0, 12.0)),
        ("high-pass 24", high_pass(30.0, 24.0)),
        ("high-pass 48", high_pass(60.0, 48.0)),
        (
            "tilt up",
            EqSettings {
                tilt_db: 3.0,
                ..flat
            },
        ),
        (
            "tilt down",
            EqSettings {
                tilt_db: -2.5,
                ..flat
            },
        ),
        ("everything", everything),
    ]
}

#[test]
fn eq_measured_response_matches_response_db_for_every_band_type_and_rate() {
    for sample_rate_hz in RATES_HZ {
        let n = if sample_rate_hz > 50_000.0 {
            1 << 17
        } else {
            1 << 16
        };
        for (name, settings) in eq_cases() {
            let mut eq = ToneEq::new();
            eq.configure(sample_rate_hz, 2, 512);
            eq.set_settings(&settings);
            eq.reset();
            // Left gets a unit impulse, right half of one: both lanes are checked.
            let mut l = vec![0.0f32; n];
            let mut r = vec![0.0f32; n];
            l[0] = 1.0;
            r[0] = 0.5;
            for (a, b) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
                eq.process(&mut [a, b]);
            }
            let (db_l, db_r) = (magnitude_db(&l, n), magnitude_db(&r, n));
            let bin_hz = f64::from(sample_rate_hz) / n as f64;
            for f in log_grid(400) {
                let k = (f / bin_hz).round() as usize;
                let f_bin = k as f64 * bin_hz;
                let expected = f64::from(settings.response_db(f_bin as f32, sample_rate_hz));
                if expected > -60.0 {
                    let err_l = db_l[k] - expected;
                    let err_r = db_r[k] - (expected - 6.0206);
                    assert!(
                        err_l.abs() < 0.1 && err_r.abs() < 0.1,
                        "{name} at {sample_rate_hz} Hz, {f_bin:.1} Hz: measured {:.3} dB, \
                         response_db {expected:.3} dB",
                        db_l[k]
                    );
                } else {
                    assert!(
                        db_l[k] < -59.0,
                        "{name}: {f_bin} Hz should be deep in the stopband"
                    );
                }
            }
        }
    }
}

#[test]
fn eq_bell_jump_does_not_zipper() {
    // A 12 dB bell switched on at once on a steady sine: the ramp keeps the output's
    // sample-to-sample steps within what the louder sine alone would have.
    let sr = 48_000.0;
    let x = sine(1000.0, 0.25, sr, 24_000);
    let mut eq = ToneEq::new();
    eq.configure(sr, 2, 512);
    let mut s = EqSettings::default();
    s.bells[2] = EqBand {
        freq_hz: 1000.0,
        gain_db: 12.0,
        q: 1.0,
    };
    let out = render(
        &mut eq,
        &[x.clone(), x.clone()],
        Split::Fixed(64),
        &[4800],
        |v, _| v.set_settings(&s),
        |v, c| v.process(c),
    );
    let louder = 10f32.powf(12.0 / 20.0);
    assert!(
        max_step(&out[0]) <= 1.05 * louder * max_step(&x),
        "{}",
        max_step(&out[0])
    );
    // And it arrives: the end is 12 dB up.
    let tail = rms(&out[0][19_200..]) / rms(&x[19_200..]);
    assert!((20.0 * tail.log10() - 12.0).abs() < 0.05);
}
