//! `--album`: four tracks of different loudness mastered as one record. The album's integrated
//! loudness (all tracks' gating blocks together, measured here with the `ebur128` crate)
//! reaches the target, the tracks keep their loudness differences as mixed, every track stays
//! under the ceiling on the test support's independent 16x meter, a track whose tonal balance
//! departs from the rest is decided on its own (and the summary says so), and the album's
//! HTML page has a row per track.

mod common;

use common::*;
use ebur128::{EbuR128, Mode};
use lacquer_test_support::reference::ReferenceMeter;
use std::f64::consts::PI;
use std::path::Path;

fn meter(audio: &[Vec<f32>], rate: u32) -> EbuR128 {
    let mut m = EbuR128::new(audio.len() as u32, rate, Mode::I).unwrap();
    let planar: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
    m.add_frames_planar_f32(&planar).unwrap();
    m
}

/// A bass-only track: a 90 Hz tone with a slow tremolo, unlike the others' full range.
fn bass_track(rate: u32, seconds: f64, amp: f64) -> Vec<Vec<f32>> {
    let n = (seconds * f64::from(rate)) as usize;
    let ch: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            (amp * (0.7 + 0.3 * (2.0 * PI * 0.5 * t).sin()) * (2.0 * PI * 90.0 * t).sin()) as f32
        })
        .collect();
    vec![ch.clone(), ch]
}

#[test]
fn an_album_reaches_its_target_keeps_its_levels_and_its_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let tracks = dir.path().join("tracks");
    std::fs::create_dir(&tracks).unwrap();
    let rate = 44_100u32;
    let inputs: Vec<(&str, Vec<Vec<f32>>)> = vec![
        ("1-single.wav", program(rate, 2, 8.0, -6.0)),
        ("2-ballad.wav", program(rate, 2, 8.0, -14.0)),
        ("3-interlude.wav", program(rate, 2, 8.0, -22.0)),
        ("4-bass.wav", bass_track(rate, 8.0, 0.3)),
    ];
    for (name, audio) in &inputs {
        write_wav(&tracks.join(name), audio, rate, 32);
    }
    let out = run_in(
        dir.path(),
        &[
            "master",
            "tracks",
            "-o",
            "album",
            "--album",
            "--bit-depth",
            "32f",
            "--report",
            "reports",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Album: 4 tracks"), "{stdout}");
    assert!(
        stdout.contains("decided on their own: 'tracks/4-bass.wav'"),
        "the bass-only track departs from the album's balance: {stdout}"
    );

    // The album's page beside the tracks' reports: a row per track and its two plots.
    let page = std::fs::read_to_string(dir.path().join("reports/album.html")).unwrap_or_else(|e| {
        panic!(
            "no album page ({e}): reports {:?}, stderr {}",
            names_in(&dir.path().join("reports")),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(page.matches("<tr class=\"track\">").count(), 4, "{page}");
    assert_eq!(page.matches("<svg").count(), 2);
    assert!(
        page.contains("its own") && page.contains("album's"),
        "{page}"
    );
    assert_eq!(
        names_in(&dir.path().join("reports")).len(),
        9,
        "4 x (JSON + HTML) + album"
    );

    // The album's page is checked with every other output before anything is written.
    std::fs::create_dir(dir.path().join("reports2")).unwrap();
    std::fs::write(dir.path().join("reports2/album.html"), b"keep").unwrap();
    let again = run_in(
        dir.path(),
        &[
            "master", "tracks", "-o", "album2", "--album", "--report", "reports2",
        ],
    );
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success(), "{err}");
    assert!(
        err.contains("album.html' already exists; add --force"),
        "{err}"
    );
    assert!(
        !dir.path().join("album2").exists(),
        "nothing written: {err}"
    );

    let reference = ReferenceMeter::new();
    let mut mixed = Vec::new();
    let mut mastered = Vec::new();
    let mut meters = Vec::new();
    for (name, audio) in &inputs {
        let (_, written) = read_wav(&Path::new(dir.path()).join("album").join(name));
        mixed.push(meter(audio, rate).loudness_global().unwrap());
        let m = meter(&written, rate);
        mastered.push(m.loudness_global().unwrap());
        meters.push(m);
        for ch in &written {
            // Padded with silence so the meter sees the first and last samples' peaks too.
            let mut padded = vec![0.0f32; 256];
            padded.extend_from_slice(ch);
            padded.extend(std::iter::repeat_n(0.0, 256));
            let peak = reference.true_peak_db(&padded);
            assert!(
                peak <= -0.95,
                "{name}: {peak:.2} dBTP over the -1 dBTP ceiling"
            );
        }
    }
    let album = EbuR128::loudness_global_multiple(meters.iter()).unwrap();
    assert!(
        (album + 14.0).abs() <= 0.1,
        "album loudness {album:.2} LUFS, target -14 (tracks {mastered:.2?})"
    );
    for i in 0..inputs.len() {
        for j in i + 1..inputs.len() {
            let was = mixed[i] - mixed[j];
            let now = mastered[i] - mastered[j];
            assert!(
                (now - was).abs() <= 0.5,
                "{} vs {}: {was:+.2} LU as mixed, {now:+.2} LU mastered",
                inputs[i].0,
                inputs[j].0
            );
        }
    }
}
