//! Tests of the bass mono and polarity decisions (the helpers are [`super::tests`]'s).

use super::tests::*;
use super::*;
use crate::assistant::profile::band_centre_hz;

/// A target whose side is 25 dB under the mid below 200 Hz (mono lows): a family for
/// `spread > 0`, a reference for 0.
fn mono_lows(spread: f32) -> TargetProfile {
    let mut t = target(music_curve(), spread);
    for k in 0..NUM_BANDS {
        if band_centre_hz(k) < 200.0 {
            t.side_to_mid_db[k] = pct(-30.0, -25.0, -20.0);
        }
    }
    t
}

#[test]
fn a_wide_low_end_gets_bass_mono_when_the_reference_is_mono_there() {
    let curve = music_curve();
    let t = mono_lows(0.0);
    let wide = decide(&track(curve, -5.0), &t, &GOAL);
    let b = wide.bass_mono.expect("bass mono");
    assert!((80.0..=160.0).contains(&b.freq_hz), "{b:?}");
    assert!(decide(&track(curve, -30.0), &t, &GOAL).bass_mono.is_none());
    // A reference that is wide in the lows does not ask for it.
    assert!(
        decide(&track(curve, -5.0), &target(curve, 0.0), &GOAL)
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
    let t = mono_lows(0.0);
    // Side/mid from -12 to -6.5 dB: far wider than the mono reference, but the low end loses
    // only 0.3 to 0.9 dB in mono; a natural stereo bass is left alone.
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
fn against_a_family_the_lows_are_narrowed_only_until_mono_loses_1_db() {
    // The never-harm run switched Bass Mono on for 12 good masters whose low end lost 1.0 to
    // 3 dB in mono, and it removed all of their side below 120 Hz (their width 10-14 dB off).
    // Against a family the lows now lose only what fixes the fold-down: the low band's width
    // is set so that mono playback loses 1 dB, the limit the widening keeps too.
    let curve = music_curve();
    let t = mono_lows(1.0);
    for low in [-12.0, -9.0, -6.5] {
        let d = decide(&track(curve, low), &t, &GOAL);
        assert!(d.bass_mono.is_none());
        assert_eq!(d.width.band_width_pct[0], 100.0, "{low}: {:?}", d.width);
        assert!(!d.width.fold_down_narrowed);
    }
    let mut last = 100.0;
    for low in [-5.5, -3.0, -1.0] {
        let d = decide(&track(curve, low), &t, &GOAL);
        assert!(d.bass_mono.is_none(), "{low}: {:?}", d.bass_mono);
        assert!(d.width.fold_down_narrowed);
        let w = d.width.band_width_pct[0];
        // Wider lows need more narrowing, and never all of it.
        assert!(w > 10.0 && w < last, "{low}: {w} after {last}");
        last = w;
        // The bands below 120 Hz, weighted by the crossover (LR4 at 120 Hz), lose 1 dB.
        let g = w / 100.0;
        let (mut side, mut before) = (0.0f32, 0.0f32);
        for k in (0..NUM_BANDS).filter(|&k| band_centre_hz(k) < 120.0) {
            let lp = 1.0 / (1.0 + (band_centre_hz(k) / 120.0).powi(4));
            side += (g * lp + 1.0 - lp).powi(2);
            before += 1.0;
        }
        let after_db = low + 10.0 * (side / before).log10();
        assert!(
            (fold_down_loss_db(after_db) - 1.0).abs() < 0.01,
            "{low}: {after_db}"
        );
        let settings = apply(&d, Amounts::default(), &ChainSettings::default());
        assert!(!settings.macros.bass_mono_on);
        let said = crate::assistant::explain::explain(&d, &settings);
        let loss = format!("mono playback loses {:.1} dB", fold_down_loss_db(low));
        assert!(
            said.iter().any(|s| s.starts_with("Narrow the lows")
                && s.contains(&loss)
                && s.contains("only until it loses 1 dB")),
            "{said:?}"
        );
    }
}

#[test]
fn the_narrowed_lows_of_a_rendered_mix_fold_down_with_1_db() {
    // A mix whose side is about 3 dB under its mid everywhere (1.8 dB lost in mono), rendered
    // with the decision against a family with mono lows: its low end then loses about 1 dB in
    // mono (Bass Mono, the old decision, left nearly nothing).
    let (l, r) = noise_mix(8.0, 1.0, 2.0);
    let before = crate::assistant::analysis::analyze_track(&[&l, &r], 48_000.0);
    let loss_before = fold_down_loss_db(before.low_end_side_to_mid_db);
    assert!(loss_before > 1.5, "{loss_before}");
    let d = decide(&before, &mono_lows(1.0), &GOAL);
    let settings = apply(&d, Amounts::default(), &ChainSettings::default());
    assert!(!settings.macros.bass_mono_on);
    let out = crate::render::render(vec![l, r], 48_000, &settings);
    let channels: Vec<&[f32]> = out.channels.iter().map(Vec::as_slice).collect();
    let after = crate::assistant::analysis::analyze_track(&channels, 48_000.0);
    let loss_after = fold_down_loss_db(after.low_end_side_to_mid_db);
    assert!(
        (loss_after - 1.0).abs() < 0.15,
        "{loss_before} -> {loss_after}"
    );
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
