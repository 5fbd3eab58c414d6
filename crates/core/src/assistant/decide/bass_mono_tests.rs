//! Tests of the bass mono and polarity decisions (the helpers are [`super::tests`]'s).

use super::tests::*;
use super::*;
use crate::assistant::profile::band_centre_hz;

#[test]
fn a_wide_low_end_gets_bass_mono_when_the_target_is_mono_there() {
    let curve = music_curve();
    let mut t = target(curve, 1.0);
    for k in 0..NUM_BANDS {
        if band_centre_hz(k) < 200.0 {
            t.side_to_mid_db[k] = pct(-30.0, -25.0, -20.0);
        }
    }
    let wide = decide(&track(curve, -5.0), &t, &GOAL);
    let b = wide.bass_mono.expect("bass mono");
    assert!((80.0..=160.0).contains(&b.freq_hz), "{b:?}");
    assert!(decide(&track(curve, -30.0), &t, &GOAL).bass_mono.is_none());
    // A target that is wide in the lows does not ask for it.
    assert!(
        decide(&track(curve, -5.0), &target(curve, 1.0), &GOAL)
            .bass_mono
            .is_none()
    );
}

#[test]
fn bass_mono_only_where_the_low_end_loses_more_than_a_db_in_mono() {
    // The fold-down loss is 10 log10(1 + S/M): 3 dB for equal mid and side, 1 dB at -5.87 dB.
    assert!((fold_down_loss_db(0.0) - 3.01).abs() < 0.01);
    assert!((fold_down_loss_db(BASS_MONO_TRIGGER_DB) - BASS_MONO_FOLD_DOWN_LOSS_DB).abs() < 1e-3);
    let curve = music_curve();
    let mut t = target(curve, 1.0);
    for k in 0..NUM_BANDS {
        if band_centre_hz(k) < 200.0 {
            t.side_to_mid_db[k] = pct(-30.0, -25.0, -20.0);
        }
    }
    // Side/mid from -12 to -6.5 dB: far wider than the mono target, but the low end loses only
    // 0.3 to 0.9 dB in mono; a natural stereo bass is left alone.
    for low in [-12.0, -9.0, -6.5] {
        let d = decide(&track(curve, low), &t, &GOAL);
        assert!(
            d.bass_mono.is_none(),
            "side/mid {low} dB: {:?}",
            d.bass_mono
        );
    }
    // From -5.5 dB on (1.1 dB of loss and more) it is decided, and the explanation gives the
    // loss it fixes.
    for low in [-5.5, -3.0, -1.0] {
        let d = decide(&track(curve, low), &t, &GOAL);
        let b = d
            .bass_mono
            .unwrap_or_else(|| panic!("side/mid {low} dB: no bass mono"));
        assert_eq!(b.track_low_end_side_to_mid_db, low);
        let settings = apply(&d, Amounts::default(), &ChainSettings::default());
        let lines = crate::assistant::explain::explain(&d, &settings);
        let line = lines
            .iter()
            .find(|l| l.starts_with("Bass mono below"))
            .expect("a bass mono line");
        let loss = format!("loses {:.1} dB", fold_down_loss_db(low));
        assert!(line.contains(&loss), "{line}");
    }
}

#[test]
fn a_polarity_inverted_track_is_never_narrowed_or_made_bass_mono() {
    // Right = -left: the mono fold-down is silent, the side/mid ratio +60 dB everywhere. The
    // old width logic read that as 70 dB "too wide" and narrowed every band to 0 %.
    let (l, r) = noise_mix(12.0, -1.0, 0.0);
    let features = crate::assistant::analysis::analyze_track(&[&l, &r], 48_000.0);
    assert!(polarity_inverted(&features));
    let c = track_correlation(&features).unwrap();
    assert!(c < -0.99, "{c}");
    let t = target(music_curve(), 2.0);
    let d = decide(&features, &t, &GOAL);
    assert!(d.width.polarity_inverted);
    assert_eq!(d.width.band_width_pct, [100.0; NUM_SPLIT], "{:?}", d.width);
    assert!(d.bass_mono.is_none());
    let applied = apply(&d, Amounts::default(), &ChainSettings::default());
    assert!(
        applied
            .stages
            .stereo
            .band_width_pct
            .iter()
            .all(|&w| w == 100.0),
        "{:?}",
        applied.stages.stereo
    );
    assert!(!applied.macros.bass_mono_on);
    // The tone is judged on the corrected view: the same as for the track with right = left.
    let fixed: Vec<f32> = r.iter().map(|x| -x).collect();
    let upright = crate::assistant::analysis::analyze_track(&[&l, &fixed], 48_000.0);
    assert_eq!(d.eq.settings, decide(&upright, &t, &GOAL).eq.settings);
    let said = crate::assistant::explain::explain(&d, &applied);
    assert!(
        said.iter()
            .any(|s| s.contains("right channel is the left inverted")
                && s.contains("correlation -1.00")),
        "{said:?}"
    );
    // An ordinary wide mix is not taken for one.
    let (l, r) = noise_mix(12.0, 0.3, 1.0);
    let wide = crate::assistant::analysis::analyze_track(&[&l, &r], 48_000.0);
    assert!(!polarity_inverted(&wide), "{:?}", track_correlation(&wide));
}

#[test]
fn the_low_band_is_narrowed_towards_a_family_only_where_it_loses_in_mono() {
    let curve = music_curve();
    let mut t = target(curve, 1.0);
    for k in 0..NUM_BANDS {
        if band_centre_hz(k) < 200.0 {
            t.side_to_mid_db[k] = pct(-30.0, -25.0, -20.0);
        }
    }
    // -9 dB: far wider than the family's lows, but only 0.5 dB lost in mono: left alone.
    let d = decide(&track(curve, -9.0), &t, &GOAL);
    assert_eq!(d.width.band_width_pct[0], 100.0, "{:?}", d.width);
    // -3 dB: 1.8 dB lost in mono: narrowed.
    let d = decide(&track(curve, -3.0), &t, &GOAL);
    assert!(d.width.band_width_pct[0] < 100.0, "{:?}", d.width);
}
