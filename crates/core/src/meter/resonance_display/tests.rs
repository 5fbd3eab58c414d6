use super::*;
use crate::chain::{ChainSettings, MasteringChain};
use crate::dsp::resonance::detector::Detector;
use crate::dsp::resonance::{ResonanceSettings, frame_len};
use lacquer_test_support::reference::{Rng, white_noise};

/// The detection bands' centres of a real layout (both frame modes, three rates).
fn layouts() -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    for rate in [44_100.0, 48_000.0, 96_000.0] {
        for low_latency in [false, true] {
            let mut d = Detector::default();
            d.configure(rate, frame_len(rate, low_latency));
            out.push(d.centre_hz().to_vec());
        }
    }
    out
}

/// The definition, band by band: the largest reduction of any detection band whose range
/// overlaps the display band's, 0 if none.
fn reference(centres_hz: &[f32], reduction_db: &[f32]) -> [f32; NUM_BANDS] {
    std::array::from_fn(|k| {
        let (lo, hi) = (band_edge_hz(k), band_edge_hz(k + 1));
        (0..centres_hz.len())
            .filter(|&b| {
                let (b_lo, b_hi) = detection_band_range_hz(centres_hz, b);
                b_lo < hi && b_hi > lo
            })
            .map(|b| reduction_db[b])
            .fold(0.0, f32::max)
    })
}

#[test]
fn detection_band_ranges_tile_the_axis_around_their_centres() {
    for centres in layouts() {
        for b in 0..centres.len() {
            let (lo, hi) = detection_band_range_hz(&centres, b);
            assert!(lo < centres[b] && centres[b] < hi, "band {b}: {lo}..{hi}");
            if b + 1 < centres.len() {
                let next_lo = detection_band_range_hz(&centres, b + 1).0;
                assert!((next_lo - hi).abs() <= 1e-5 * hi, "gap after band {b}");
            }
        }
    }
}

#[test]
fn each_display_band_holds_the_largest_reduction_of_the_bands_it_covers() {
    let mut rng = Rng::new(7);
    for centres in layouts() {
        for trial in 0..20 {
            // Sparse cuts over zeros, as the stage makes them; every third trial dense.
            let reduction: Vec<f32> = centres
                .iter()
                .map(|_| {
                    let u = rng.uniform() as f32;
                    if trial % 3 == 0 || u > 0.8 {
                        6.0 * (0.5 + 0.5 * rng.uniform() as f32)
                    } else {
                        0.0
                    }
                })
                .collect();
            let mut got = [f32::NAN; NUM_BANDS];
            decimate(&centres, &reduction, &mut got);
            assert_eq!(got, reference(&centres, &reduction), "trial {trial}");
        }
    }
}

#[test]
fn a_single_cut_lands_in_the_display_bands_it_overlaps_only() {
    // 1/24-octave bands (edges off the display grid): one band of 5 dB, first inside display
    // band 34 (1016-1140 Hz), then straddling that band's lower edge.
    let centres: Vec<f32> = (0..240)
        .map(|i| 20.0 * 2f32.powf((i as f32 + 0.3) / 24.0))
        .collect();
    let inside = centres
        .iter()
        .position(|&c| c > band_centre_hz(34))
        .unwrap();
    let straddling = (0..centres.len())
        .find(|&b| {
            let (lo, hi) = detection_band_range_hz(&centres, b);
            lo < band_edge_hz(34) && hi > band_edge_hz(34)
        })
        .unwrap();
    for (cut, lit) in [(inside, 34..35), (straddling, 33..35)] {
        let mut reduction = vec![0.0; centres.len()];
        reduction[cut] = 5.0;
        let mut got = [0.0; NUM_BANDS];
        decimate(&centres, &reduction, &mut got);
        for (k, &db) in got.iter().enumerate() {
            let expected = if lit.contains(&k) { 5.0 } else { 0.0 };
            assert_eq!(
                db, expected,
                "cut at {:.0} Hz, display band {k}",
                centres[cut]
            );
        }
    }
}

#[test]
fn publish_read_and_clear() {
    let display = ResonanceDisplay::default();
    let (mut mid, mut side) = ([1.0; NUM_BANDS], [1.0; NUM_BANDS]);
    assert!(!display.read(&mut mid, &mut side));
    assert_eq!((mid, side), ([0.0; NUM_BANDS], [0.0; NUM_BANDS]));

    let centres: Vec<f32> = (0..240)
        .map(|i| 20.0 * 2f32.powf((i as f32 + 0.3) / 24.0))
        .collect();
    let mid_in: Vec<f32> = (0..240).map(|i| (i % 7) as f32).collect();
    let side_in: Vec<f32> = (0..240).map(|i| (i % 5) as f32 * 0.5).collect();
    display.publish(Some([
        (centres.as_slice(), mid_in.as_slice()),
        (centres.as_slice(), side_in.as_slice()),
    ]));
    assert!(display.read(&mut mid, &mut side));
    assert_eq!(mid, reference(&centres, &mid_in));
    assert_eq!(side, reference(&centres, &side_in));

    display.publish(None);
    assert!(!display.read(&mut mid, &mut side));
    assert_eq!((mid, side), ([0.0; NUM_BANDS], [0.0; NUM_BANDS]));
}

/// A chain at 44.1 kHz stereo with the resonance stage at `amount_pct`.
fn chain(amount_pct: f32) -> MasteringChain {
    let mut chain = MasteringChain::new();
    chain.configure(44_100.0, 2, 512);
    chain.set_settings_immediately(&ChainSettings {
        resonance: ResonanceSettings {
            amount_pct,
            ..Default::default()
        },
        ..Default::default()
    });
    chain
}

/// Quiet white noise with a loud sine at `freq_hz` in both channels (so in the mid).
fn noise_with_sine(freq_hz: f32, seconds: f32) -> Vec<Vec<f32>> {
    let rate = 44_100.0;
    let noise = white_noise(f64::from(rate), f64::from(seconds), 3);
    noise
        .into_iter()
        .map(|ch| {
            ch.iter()
                .enumerate()
                .map(|(i, &n)| {
                    let t = i as f32 / rate;
                    0.03 * n + 0.3 * (std::f32::consts::TAU * freq_hz * t).sin()
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_strong_narrow_resonance_shows_where_it_is_and_nowhere_else() {
    // 3 s through the chain in 512-sample blocks, published after every block as the plugin
    // does; the last second's publications are averaged (a single frame of the side, noise
    // alone, can hold a chance cut of a dB or so).
    let freq = 2500.0;
    let mut chain = chain(100.0);
    let [mut l, mut r]: [Vec<f32>; 2] = noise_with_sine(freq, 3.0).try_into().unwrap();
    let display = ResonanceDisplay::default();
    let (mut mid, mut side) = ([0.0; NUM_BANDS], [0.0; NUM_BANDS]);
    let (mut mean_mid, mut mean_side) = ([0.0f32; NUM_BANDS], [0.0f32; NUM_BANDS]);
    let mut averaged = 0;
    let block = 512;
    for start in (0..l.len()).step_by(block) {
        let end = (start + block).min(l.len());
        chain.process(&mut [&mut l[start..end], &mut r[start..end]]);
        display.publish(chain.resonance_reduction_db());
        assert!(display.read(&mut mid, &mut side));
        if start >= 2 * 44_100 {
            for k in 0..NUM_BANDS {
                mean_mid[k] += mid[k];
                mean_side[k] += side[k];
            }
            averaged += 1;
        }
    }
    for k in 0..NUM_BANDS {
        mean_mid[k] /= averaged as f32;
        mean_side[k] /= averaged as f32;
    }

    let k_peak = (0..NUM_BANDS)
        .max_by(|&a, &b| mean_mid[a].total_cmp(&mean_mid[b]))
        .unwrap();
    let peak_hz = band_centre_hz(k_peak);
    assert!(
        (peak_hz / freq).log2().abs() <= 1.0 / 6.0,
        "the largest cut is at {peak_hz:.0} Hz, not near {freq} Hz: {mean_mid:?}"
    );
    assert!(
        mean_mid[k_peak] > 4.0,
        "only {:.2} dB at the sine",
        mean_mid[k_peak]
    );
    for k in 0..NUM_BANDS {
        if (band_centre_hz(k) / freq).log2().abs() > 0.5 {
            assert!(
                mean_mid[k] < 0.25,
                "{:.0} Hz, half an octave or more from the sine, shows {:.2} dB",
                band_centre_hz(k),
                mean_mid[k]
            );
        }
        assert!(
            mean_side[k] < 0.5,
            "the side (noise alone) shows {:.2} dB at {:.0} Hz",
            mean_side[k],
            band_centre_hz(k)
        );
    }
}

#[test]
fn nothing_is_published_while_the_stage_is_out() {
    let mut chain = chain(0.0);
    let mut audio = noise_with_sine(2500.0, 1.0);
    chain.process_buffers(&mut audio);
    assert!(chain.resonance_reduction_db().is_none());
    let display = ResonanceDisplay::default();
    let one: Lane<'_> = (&[1000.0], &[3.0]);
    display.publish(Some([one, one]));
    display.publish(chain.resonance_reduction_db());
    let (mut mid, mut side) = ([1.0; NUM_BANDS], [1.0; NUM_BANDS]);
    assert!(!display.read(&mut mid, &mut side));
    assert_eq!((mid, side), ([0.0; NUM_BANDS], [0.0; NUM_BANDS]));
}
