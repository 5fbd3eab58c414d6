use super::*;

const RATE: u32 = 48_000;

/// Stereo pink-ish noise (white noise through a gentle low-pass), `seconds` long.
fn noise(seconds: f32, mut seed: u64) -> Vec<Vec<f32>> {
    let len = (seconds * RATE as f32) as usize;
    (0..2)
        .map(|_| {
            let mut y = 0.0f32;
            (0..len)
                .map(|_| {
                    let x = (2.0 * split_mix(&mut seed) - 1.0) as f32;
                    y = 0.7 * y + 0.3 * x;
                    0.3 * y
                })
                .collect()
        })
        .collect()
}

fn on(settings_pct: f32) -> ResonanceSettings {
    ResonanceSettings {
        amount_pct: settings_pct,
        ..ResonanceSettings::default()
    }
}

#[test]
fn damages_alternate_and_stay_in_their_ranges() {
    for i in 0..200 {
        let d = resonance_damage_for(1, i);
        assert!((6.0..=10.0).contains(&d.gain_db), "{d:?}");
        match d.kind {
            ResonanceKind::Resonance => {
                assert_eq!(i % 2, 0);
                assert!((300.0..=8000.0).contains(&d.freq_hz) && (5.0..=12.0).contains(&d.q));
            }
            ResonanceKind::Shimmer => assert_eq!(i % 2, 1),
        }
    }
    assert_ne!(resonance_damage_for(1, 0), resonance_damage_for(2, 0));
}

#[test]
fn the_added_excess_is_measured_as_added_and_only_while_on() {
    // Without the stage (processed = damaged) nothing is removed, and the measured rise is
    // close to the gain (a resonance's band is a sixth of an octave around a peak of that
    // gain; the shimmer's rise is set on the band's mean power).
    let original = noise(12.0, 3);
    for d in [
        ResonanceDamage {
            kind: ResonanceKind::Resonance,
            freq_hz: 2_000.0,
            q: 8.0,
            gain_db: 9.0,
        },
        ResonanceDamage {
            kind: ResonanceKind::Shimmer,
            freq_hz: 5_916.0,
            q: 0.0,
            gain_db: 8.0,
        },
    ] {
        let mut damaged = original.clone();
        d.apply(&mut damaged, RATE);
        let f = excess_figures(&d, &original, &damaged, &damaged, RATE).unwrap();
        assert!(f.removed_pct.abs() < 1e-3, "{f:?}");
        assert!(
            (f.added_db - d.gain_db).abs() < 3.0 && f.added_db > 4.0,
            "{d:?}: {f:?}"
        );
        // Off outside its stretches: the first tenth is untouched.
        let n = original[0].len() / 10;
        assert!(
            original[0][..n] == damaged[0][..n],
            "{:?} changed the start",
            d.kind
        );
    }
}

#[test]
fn the_stage_takes_a_resonance_down_and_leaves_plain_noise_nearly_alone() {
    let original = noise(12.0, 5);
    let d = ResonanceDamage {
        kind: ResonanceKind::Resonance,
        freq_hz: 3_000.0,
        q: 8.0,
        gain_db: 9.0,
    };
    let mut damaged = original.clone();
    d.apply(&mut damaged, RATE);
    let processed = process_stage(&damaged, RATE, &on(100.0));
    let f = excess_figures(&d, &original, &damaged, &processed, RATE).unwrap();
    assert!(f.removed_pct > 40.0, "{f:?}");
    // The undamaged noise: small reductions in every third-octave.
    let plain = process_stage(&original, RATE, &on(100.0));
    let bands = reduction_per_band(&original, &plain, RATE);
    assert!(bands.len() > 20);
    for (c, mean, p95) in bands {
        assert!(mean < 1.0 && p95 < 2.0, "{c} Hz: mean {mean}, p95 {p95}");
    }
}

#[test]
fn the_reduction_per_band_reads_a_known_gain() {
    // A plain 3 dB attenuation reads 3 dB in every band, mean and 95th percentile.
    let original = noise(6.0, 9);
    let quieter: Vec<Vec<f32>> = original
        .iter()
        .map(|c| c.iter().map(|v| v * 10f32.powf(-3.0 / 20.0)).collect())
        .collect();
    for (c, mean, p95) in reduction_per_band(&original, &quieter, RATE) {
        assert!(
            (mean - 3.0).abs() < 0.01 && (p95 - 3.0).abs() < 0.01,
            "{c} Hz: {mean} {p95}"
        );
    }
    // The stage out (0 %) is bit-transparent and aligned: no reduction.
    let out = process_stage(&original, RATE, &on(0.0));
    assert_eq!(out, original);
}
