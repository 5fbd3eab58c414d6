//! Album mastering (`lacquer master TRACKS... -o DIR --album`): the tracks as one record.
//!
//! 1. Every track is decoded and analysed (in parallel); any track that cannot be read stops
//!    the album before a file is written.
//! 2. Shared direction: the album's features ([`album_features`]: the tracks' spectra, width
//!    and dynamics weighted by length) are what tone, dynamics and width are decided on, once,
//!    for every track. A track whose tonal balance departs from the others' by more than
//!    [`ALBUM_DEPARTURE_DB`] (the median of its RMS differences over the 1/3-octave bands,
//!    level aside, to each other track) is decided on its own features instead, is left out
//!    of the album's features, and the report says so.
//! 3. Loudness: one gain for the album. The album's integrated loudness (all tracks' gating
//!    blocks together, [`album_lufs`]) sets the gain to the target; each track's Drive is
//!    searched so that it lands at its mix loudness plus that gain, so a quiet interlude stays
//!    as much quieter than the single as it was mixed. The written masters' album loudness is
//!    then measured, and if it missed the target by more than [`ALBUM_TOLERANCE_LU`] the gain
//!    is corrected and the tracks rendered once more.
//!
//! Every track keeps the ceiling (the limiter's true-peak guarantee). With `--report DIR`,
//! besides each track's JSON and HTML, `DIR/album.html` shows the album: a row per track and
//! the tracks' loudness and true peaks before and after.

use super::super::CliError;
use super::super::codec;
use super::super::decode::{check_rate, decode_stream};
use super::super::output::{TempOutput, commit_all};
use super::super::progress::RunProgress;
use super::super::target::TARGET_LUFS_RANGE;
use super::assist::AlbumTrack;
use super::batch::{
    MakeJob, Outcome, PlannedFile, finish, master_files, print_failure, worker_pool,
};
use super::html::{AlbumRow, album_html};
use super::report::write_text;
use super::{AssistOptions, MASTER_RATE_RANGE_HZ, print_report};
use lacquer_core::assistant::analysis::TrackAnalyzer;
use lacquer_core::assistant::profile::{TrackFeatures, album_features, spectral_departure_db};
use lacquer_core::meter::album::{TrackLoudness, album_lufs};
use rayon::prelude::*;
use std::path::Path;

/// A track whose tonal balance departs from the album's by more than this (dB RMS over the
/// bands, level aside) is decided on its own.
pub const ALBUM_DEPARTURE_DB: f32 = 3.0;

/// How close the written album's loudness must be to the target before a second pass, LU.
pub const ALBUM_TOLERANCE_LU: f64 = 0.05;

/// How far each track's tonal balance departs from the others': the median of its
/// [`spectral_departure_db`] to every other track (0 for a lone track).
fn departures_from_the_rest(features: &[TrackFeatures]) -> Vec<f32> {
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut d: Vec<f32> = features
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, g)| spectral_departure_db(f, g))
                .collect();
            d.sort_by(f32::total_cmp);
            match d.len() {
                0 => 0.0,
                n if n % 2 == 1 => d[n / 2],
                n => 0.5 * (d[n / 2 - 1] + d[n / 2]),
            }
        })
        .collect()
}

/// One track as analysed before mastering.
struct Analysed {
    features: TrackFeatures,
    loudness: TrackLoudness,
}

/// Decodes and measures one track as it decodes (nothing of it is kept).
fn analyse(file: &PlannedFile, allow_partial: bool) -> Result<Analysed, CliError> {
    let measure_error =
        |e: String| CliError::new(format!("cannot measure '{}': {e}", file.input.display()));
    let mut meters: Option<(TrackAnalyzer, TrackLoudness)> = None;
    decode_stream(&file.input, allow_partial, &mut |block, rate| {
        let slices: Vec<&[f32]> = block.iter().map(Vec::as_slice).collect();
        let (features, loudness) = match meters.as_mut() {
            Some(m) => m,
            None => {
                check_rate(rate, &file.input, MASTER_RATE_RANGE_HZ, "masters")?;
                let loudness = TrackLoudness::new(slices.len(), rate)
                    .map_err(|e| measure_error(e.to_string()))?;
                meters.insert((TrackAnalyzer::new(slices.len(), rate as f32), loudness))
            }
        };
        features.push(&slices);
        loudness
            .push(&slices)
            .map_err(|e| measure_error(e.to_string()))
    })?;
    let Some((features, loudness)) = meters else {
        return Err(CliError::new(format!(
            "'{}' contains no audio samples",
            file.input.display()
        )));
    };
    Ok(Analysed {
        features: features.finish(),
        loudness,
    })
}

/// Masters the planned files as an album.
pub fn run(
    files: &[PlannedFile],
    album_page: Option<&Path>,
    make_job: &MakeJob<'_>,
    options: &AssistOptions,
    threads: usize,
    quiet: bool,
) -> Result<(), CliError> {
    let Some(assist) = &options.assist else {
        return Err(CliError::new(
            "--album needs the assistant (it decides the album's direction); drop --no-assist",
        ));
    };
    if assist.fixed_drive {
        return Err(CliError::new(
            "--album sets each track's Drive to keep the album's levels; drop --drive",
        ));
    }
    let first_job = files.first().map(|f| make_job(0, f));
    let allow_partial = first_job.as_ref().is_some_and(|j| j.allow_partial);
    let pool = worker_pool(threads)?;
    let analysed: Vec<Result<Analysed, CliError>> = pool.install(|| {
        files
            .par_iter()
            .map(|f| analyse(f, allow_partial))
            .collect()
    });
    let mut tracks = Vec::with_capacity(files.len());
    let mut unreadable = Vec::new();
    for (file, result) in files.iter().zip(analysed) {
        match result {
            Ok(a) => tracks.push(a),
            Err(e) => {
                print_failure(&file.input, &e);
                unreadable.push(format!("'{}'", file.input.display()));
            }
        }
    }
    if !unreadable.is_empty() {
        return Err(CliError::new(format!(
            "the album was not mastered: {} of its {} tracks cannot be read ({}); nothing was \
             written",
            unreadable.len(),
            files.len(),
            unreadable.join(", ")
        )));
    }
    let features: Vec<TrackFeatures> = tracks.iter().map(|t| t.features.clone()).collect();
    // Who departs is decided against the other tracks (the median of a track's distances to
    // the rest, robust to one odd track), and the album's direction is then made from the
    // tracks that share it, so one odd track cannot pull the album's balance.
    let departures = departures_from_the_rest(&features);
    let sharing: Vec<TrackFeatures> = features
        .iter()
        .zip(&departures)
        .filter(|(_, d)| **d <= ALBUM_DEPARTURE_DB)
        .map(|(f, _)| f.clone())
        .collect();
    let album = album_features(if sharing.is_empty() {
        &features
    } else {
        &sharing
    })
    .ok_or_else(|| CliError::new("the album is silent: every track is gated out"))?;
    let meters: Vec<&TrackLoudness> = tracks.iter().map(|t| &t.loudness).collect();
    let album_in = album_lufs(&meters)
        .ok_or_else(|| CliError::new("the album is silent: every track is gated out"))?;
    let target = f64::from(assist.target_lufs.unwrap_or(assist.default_target_lufs));

    let progress = RunProgress::new(files.len(), quiet);
    let mut gain_db = target - album_in;
    let mut pass = 0;
    let (outcomes, album_out) = loop {
        pass += 1;
        let goals: Vec<Option<f32>> = tracks
            .iter()
            .map(|t| {
                t.loudness
                    .integrated_lufs()
                    .map(|l| ((l + gain_db) as f32).clamp(TARGET_LUFS_RANGE.0, TARGET_LUFS_RANGE.1))
            })
            .collect();
        let track_job = |i: usize, file: &PlannedFile| {
            let mut job = make_job(i, file);
            job.measure_loudness = true;
            // A second pass replaces the masters the first one wrote.
            job.force |= pass > 1;
            job
        };
        let track_options = |i: usize, file: &PlannedFile| {
            let mut assist = assist.clone();
            let own = departures[i] > ALBUM_DEPARTURE_DB;
            let level = tracks[i]
                .loudness
                .integrated_lufs()
                .map_or("silent".to_string(), |l| format!("{l:.1} LUFS"));
            let goal = goals[i].map_or("n/a".to_string(), |g| format!("{g:.1} LUFS"));
            let note = if own {
                format!(
                    "Album: this track's tonal balance departs from the other tracks' by {:.1} \
                     dB (RMS over the bands, more than {ALBUM_DEPARTURE_DB:.0} dB), so its tone, \
                     dynamics and width were decided on its own; loudness {goal} (mixed at \
                     {level}, album gain {gain_db:+.1} dB)",
                    departures[i]
                )
            } else {
                format!(
                    "Album: tone, dynamics and width decided once for the {} tracks together \
                     (this one departs {:.1} dB from the others' balance); loudness {goal} \
                     (mixed at {level}, album gain {gain_db:+.1} dB, so the tracks keep their \
                     levels as mixed)",
                    files.len(),
                    departures[i]
                )
            };
            assist.album = Some(AlbumTrack {
                shared: (!own).then(|| album.clone()),
                note,
            });
            assist.target_lufs = goals[i];
            AssistOptions {
                assist: Some(assist),
                report: file.report.clone(),
                ..options.clone()
            }
        };
        let outcomes = master_files(files, &track_job, &track_options, threads, &progress, false)?;
        let written: Vec<&TrackLoudness> = outcomes
            .iter()
            .filter_map(|o| match o {
                Some(Outcome { report: Ok(r), .. }) => r.loudness.as_deref(),
                _ => None,
            })
            .collect();
        let all_ok = written.len() == files.len();
        let album_out = album_lufs(&written);
        match album_out {
            Some(out) if all_ok && pass < 2 && (out - target).abs() > ALBUM_TOLERANCE_LU => {
                gain_db += target - out;
            }
            _ => break (outcomes, album_out),
        }
    };
    progress.finish();
    for (file, outcome) in files.iter().zip(&outcomes) {
        match outcome {
            Some(Outcome { report: Ok(r), .. }) => {
                let job = make_job(0, file);
                print_report(&job, r)?;
            }
            Some(Outcome { report: Err(e), .. }) => print_failure(&file.input, e),
            None => {}
        }
    }
    let shared = departures
        .iter()
        .filter(|d| **d <= ALBUM_DEPARTURE_DB)
        .count();
    let own: Vec<String> = files
        .iter()
        .zip(&departures)
        .filter(|(_, d)| **d > ALBUM_DEPARTURE_DB)
        .map(|(f, d)| format!("'{}' ({d:.1} dB)", f.input.display()))
        .collect();
    super::super::print_stdout(&format!(
        "\nAlbum: {} tracks, {album_in:.1} LUFS as mixed -> {} (target {target:.1} LUFS), album \
         gain {gain_db:+.1} dB in {pass} pass{}\n  Shared direction (tone, dynamics, width): {shared} \
         of {} tracks{}\n",
        files.len(),
        album_out.map_or("n/a".to_string(), |l| format!("{l:.1} LUFS")),
        if pass == 1 { "" } else { "es" },
        files.len(),
        if own.is_empty() {
            String::new()
        } else {
            format!("; decided on their own: {}", own.join(", "))
        }
    ))?;
    if let Some(page) = album_page {
        let rows: Vec<AlbumRow<'_>> = files
            .iter()
            .zip(&outcomes)
            .zip(&departures)
            .filter_map(|((file, outcome), departure)| match outcome {
                Some(Outcome { report: Ok(r), .. }) => Some(AlbumRow {
                    input: &file.input,
                    output: &file.output,
                    before: &r.before,
                    after: &r.after,
                    shared: *departure <= ALBUM_DEPARTURE_DB,
                    codec_worst_dbtp: codec::worst_dbtp(&r.codec),
                }),
                _ => None,
            })
            .collect();
        let ceiling = first_job.as_ref().map_or(-1.0, |j| j.settings.ceiling_dbtp);
        let html = album_html(&rows, album_in, album_out, target, ceiling)?;
        let mut temp = TempOutput::create_beside(page)?;
        write_text(temp.file()?, page, &html)?;
        commit_all(vec![(temp, page)], true)?;
    }
    finish(files, &outcomes, progress.elapsed_seconds(), threads)
}
