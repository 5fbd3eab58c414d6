//! `lacquer eval-corpus DIR` (hidden; `cargo xtask eval DIR` runs it): the degrade-and-restore
//! evaluation of issue #5. For every Ogg/WAV/FLAC master in DIR (an excerpt from its middle):
//! damage it ([`lacquer_core::assistant::eval::damage_for`]), master the damaged mix with the
//! original as reference and without a reference (`--target-lufs -14`), master the undamaged
//! original without a reference ("never harm"), and print per track and on average the
//! mid-spectrum error, the side-minus-mid error, the loudness error and the 16x true peak.
//! Two more runs measure the problems a listener names (`--fix`): the damaged mix without a
//! reference with its damage's kind named ("named"), and the undamaged original with the same
//! problem named though it is not there ("never harm, named": how far a wrong hint moves).
//! For the never-harm run it also prints the width and dynamics changes (`never_harm`).

mod never_harm;
pub mod resonance;

use super::CliError;
use super::decode::decode_file;
use super::master::assist::{AssistJob, FamilyChoice, ReferenceInfo, assist};
use super::print_stdout;
use super::target::{DEFAULT_MAX_GAIN_REDUCTION_DB, TARGET_LUFS_RANGE};
use lacquer_core::assistant::analysis::analyze_track;
use lacquer_core::assistant::decide::{Amounts, Problem, WEAK_EVIDENCE_CAP_DB, fold_down_loss_db};
use lacquer_core::assistant::eval::{
    Damage, DamageKind, damage_for, mean, mid_error_db, true_peak_16x_dbtp, width_error_db,
};
use lacquer_core::assistant::learn;
use lacquer_core::assistant::profile::TrackFeatures;
use lacquer_core::chain::ChainSettings;
use lacquer_core::contract;
use lacquer_core::render::{SliceSource, render};
use serde::Serialize;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Arguments of `lacquer eval-corpus`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Folder of real masters (Ogg Vorbis, FLAC, WAV).
    pub dir: PathBuf,
    /// Length of the excerpt taken from the middle of each track, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f32,
    /// Seed of the damage.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Evaluate only the first N tracks (sorted by name).
    #[arg(long)]
    pub limit: Option<usize>,
    /// File listing held-out track names, one per line (default: the repository's
    /// assets/targets/holdout.txt when it exists).
    #[arg(long)]
    pub holdout: Option<PathBuf>,
    /// Write every figure as JSON here too.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Evaluate only tracks whose name contains this (each keeps its damage).
    #[arg(long)]
    pub only: Option<String>,
    /// Print per-band mid spectra (original, damaged, results) to stderr.
    #[arg(long)]
    pub verbose: bool,
    /// Decide with the committed estimator instead of one trained without the track
    /// (leave-one-track-out, the default: the committed weights were trained on the corpus,
    /// so their figures on it would be in-sample).
    #[arg(long)]
    pub committed_estimator: bool,
}

/// Loudness goal of the runs without a reference, LUFS (issue #5: `--target-lufs -14`).
const NO_REFERENCE_TARGET_LUFS: f32 = -14.0;

/// One mastering run's figures.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct RunFigures {
    /// Mid-spectrum error to the original, dB.
    pub mid_error_db: f32,
    /// Side-minus-mid error to the original, dB.
    pub width_error_db: f32,
    /// Loudness minus the goal, LU.
    pub loudness_error_lu: f32,
    /// 16x true peak, dBTP.
    pub true_peak_dbtp: f32,
    /// Largest EQ move (shelves, bells, tilt), dB.
    pub max_eq_move_db: f32,
    /// Whether the assistant switched Bass Mono on.
    pub bass_mono: bool,
    /// How much the input's low end (below 120 Hz) loses in the mono fold-down, dB.
    pub low_end_fold_down_loss_db: f32,
    /// Width, dynamics and width decisions of the run (see `never_harm`).
    #[serde(flatten)]
    pub change: never_harm::Change,
}

/// One track's figures.
#[derive(Debug, Clone, Serialize)]
pub struct TrackFigures {
    /// File name.
    pub name: String,
    /// Listed in the hold-out file.
    pub held_out: bool,
    /// The damage.
    pub damage: Damage,
    /// Damaged mix against the original: mid and width error, dB.
    pub damaged_mid_error_db: f32,
    /// Side-minus-mid error of the damaged mix, dB.
    pub damaged_width_error_db: f32,
    /// Width change of the damaged mix on the never-harm measure
    /// ([`lacquer_core::assistant::eval::width_change_db`]), dB.
    pub damaged_width_change_db: f32,
    /// With the original as reference.
    pub with_reference: RunFigures,
    /// Without a reference, -14 LUFS.
    pub without_reference: RunFigures,
    /// The undamaged original, without a reference.
    pub never_harm: RunFigures,
    /// Without a reference, -14 LUFS, the damage's kind named (`--fix`).
    pub named: RunFigures,
    /// The undamaged original with the same problem named.
    pub never_harm_named: RunFigures,
}

pub(crate) fn slices(channels: &[Vec<f32>]) -> Vec<&[f32]> {
    channels.iter().map(Vec::as_slice).collect()
}

/// The middle `seconds` of planar audio.
pub(crate) fn excerpt(channels: Vec<Vec<f32>>, sample_rate_hz: u32, seconds: f32) -> Vec<Vec<f32>> {
    let len = channels.first().map_or(0, Vec::len);
    let want = ((seconds * sample_rate_hz as f32) as usize).min(len);
    let start = (len - want) / 2;
    channels
        .into_iter()
        .map(|c| c[start..start + want].to_vec())
        .collect()
}

fn job(target_lufs: Option<f32>, fix: &[Problem]) -> AssistJob {
    AssistJob {
        references: Vec::new(),
        family: FamilyChoice::Auto,
        fix: fix.to_vec(),
        amounts: Amounts::default(),
        target_lufs,
        default_target_lufs: NO_REFERENCE_TARGET_LUFS,
        target_range_lufs: TARGET_LUFS_RANGE,
        max_gain_reduction_db: DEFAULT_MAX_GAIN_REDUCTION_DB,
        drive_range_db: contract::float("drive").range(),
        fixed_drive: false,
        album: None,
    }
}

/// Masters `audio` with the assistant and measures the result against `original`.
fn run(
    audio: &[Vec<f32>],
    sample_rate_hz: u32,
    original: &TrackFeatures,
    reference: Option<&TrackFeatures>,
    fix: &[Problem],
    verbose: bool,
) -> Result<RunFigures, CliError> {
    let base = ChainSettings::default();
    let references: Vec<ReferenceInfo> = reference
        .map(|f| ReferenceInfo {
            file: "original".into(),
            weight: 1.0,
            features: f.clone(),
        })
        .into_iter()
        .collect();
    let target = if reference.is_some() {
        None
    } else {
        Some(NO_REFERENCE_TARGET_LUFS)
    };
    let audio_slices = slices(audio);
    let features = analyze_track(&audio_slices, sample_rate_hz as f32);
    let source = SliceSource::new(&audio_slices, sample_rate_hz);
    let a = assist(&source, features, &base, &job(target, fix), references)?;
    let out = render(audio.to_vec(), sample_rate_hz, &a.settings);
    let result = analyze_track(&slices(&out.channels), sample_rate_hz as f32);
    if verbose {
        for line in &a.explanations {
            eprintln!("    - {line}");
        }
        for k in 0..lacquer_core::assistant::profile::NUM_BANDS {
            eprintln!(
                "  {:>7.0} Hz  mid {:>7.2} in {:>7.2} out {:>7.2} fit {:>6.2}  s-m {:>7.2} in {:>7.2} out {:>7.2}",
                lacquer_core::assistant::profile::band_centre_hz(k),
                original.mid_db[k],
                a.features.mid_db[k],
                result.mid_db[k],
                a.decision.eq.fitted_db.get(k).copied().unwrap_or(0.0),
                original.side_to_mid_db[k],
                a.features.side_to_mid_db[k],
                result.side_to_mid_db[k]
            );
        }
    }
    Ok(RunFigures {
        mid_error_db: mid_error_db(&result, original),
        width_error_db: width_error_db(&result, original),
        loudness_error_lu: result
            .integrated_lufs
            .map_or(f32::NAN, |l| l - a.goal.target_lufs),
        true_peak_dbtp: true_peak_16x_dbtp(&out.channels).unwrap_or(f32::NEG_INFINITY),
        max_eq_move_db: max_eq_move_db(&a.settings),
        bass_mono: a.settings.macros.bass_mono_on,
        low_end_fold_down_loss_db: fold_down_loss_db(a.features.low_end_side_to_mid_db),
        change: never_harm::Change::measure(&a, &result, original),
    })
}

/// Largest EQ gain the settings apply (shelves, bells, and the tilt from the tone macro), dB.
fn max_eq_move_db(s: &ChainSettings) -> f32 {
    let eq = s.effective_stages().eq;
    eq.bells
        .iter()
        .map(|b| b.gain_db.abs())
        .chain([
            eq.low_shelf.gain_db.abs(),
            eq.high_shelf.gain_db.abs(),
            eq.tilt_db.abs(),
        ])
        .fold(0.0, f32::max)
}

fn evaluate_track(path: &Path, index: usize, args: &EvalArgs) -> Result<TrackFigures, CliError> {
    let audio = decode_file(path)?;
    let rate = audio.sample_rate_hz;
    let original_audio = excerpt(audio.channels, rate, args.seconds);
    let original = analyze_track(&slices(&original_audio), rate as f32);
    let damage = damage_for(args.seed, index);
    let mut damaged = original_audio.clone();
    damage.apply(&mut damaged, rate);
    let damaged_features = analyze_track(&slices(&damaged), rate as f32);
    if args.verbose {
        eprintln!("{}: {damage:?}", path.display());
    }
    let named = [learn::study::problem_of(damage.kind)];
    Ok(TrackFigures {
        name: path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
        held_out: false,
        damage,
        damaged_mid_error_db: mid_error_db(&damaged_features, &original),
        damaged_width_error_db: width_error_db(&damaged_features, &original),
        damaged_width_change_db: lacquer_core::assistant::eval::width_change_db(
            &damaged_features,
            &original,
        ),
        with_reference: run(
            &damaged,
            rate,
            &original,
            Some(&original),
            &[],
            args.verbose,
        )?,
        without_reference: run(&damaged, rate, &original, None, &[], false)?,
        never_harm: run(&original_audio, rate, &original, None, &[], false)?,
        named: run(&damaged, rate, &original, None, &named, args.verbose)?,
        never_harm_named: run(&original_audio, rate, &original, None, &named, false)?,
    })
}

/// The damage estimator without each track (`learn::train`), trained as the committed one was
/// (its penalty and threshold, the training command's default seed) on the excerpts this
/// evaluation measures.
fn leave_one_out_estimators(
    files: &[PathBuf],
    args: &EvalArgs,
) -> Result<Vec<learn::Estimator>, CliError> {
    let committed = learn::Estimator::committed()
        .filter(|e| !e.models.is_empty())
        .ok_or_else(|| {
            CliError::new(
                "the committed estimator has no models; run `cargo xtask train-assistant DIR`",
            )
        })?;
    let mut features = Vec::with_capacity(files.len());
    for (i, path) in files.iter().enumerate() {
        let audio = decode_file(path)?;
        let rate = audio.sample_rate_hz;
        let original = excerpt(audio.channels, rate, args.seconds);
        features.push(analyze_track(&slices(&original), rate as f32));
        eprintln!("[{}/{}] analysed for the estimator", i + 1, files.len());
    }
    let trainer = learn::train::Trainer::new(
        features,
        learn::train::DEFAULT_SEED,
        committed.lambda,
        committed.threshold,
    );
    Ok(trainer.leave_one_out())
}

/// Audio files in `dir`, sorted by name.
pub(crate) fn tracks_in(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CliError::new(format!(
            "cannot read the folder '{}': {e}; give the corpus folder",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| {
                ["ogg", "flac", "wav"].contains(&x.to_string_lossy().to_lowercase().as_str())
            })
        })
        .collect();
    files.sort();
    Ok(files)
}

fn held_out_names(args: &EvalArgs) -> Vec<String> {
    let path = args
        .holdout
        .clone()
        .unwrap_or_else(|| super::demo::source_root().join("assets/targets/holdout.txt"));
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Averages of a set of tracks, one table row.
fn average_row(label: &str, tracks: &[&TrackFigures]) -> Option<String> {
    let avg = |f: &dyn Fn(&TrackFigures) -> f32| {
        mean(&tracks.iter().map(|t| f(t)).collect::<Vec<_>>()).unwrap_or(f32::NAN)
    };
    let max = |f: &dyn Fn(&TrackFigures) -> f32| {
        tracks
            .iter()
            .map(|t| f(t))
            .fold(f32::NEG_INFINITY, f32::max)
    };
    (!tracks.is_empty()).then(|| {
        format!(
            "{:<34} {:>5.2} {:>5.2} | {:>5.2} {:>5.2} {:>6.3} {:>6.2} | {:>5.2} {:>5.2} {:>6.3} {:>6.2} | {:>5.2} {:>5.2}\n",
            format!("{label} ({})", tracks.len()),
            avg(&|t| t.damaged_mid_error_db),
            avg(&|t| t.damaged_width_error_db),
            avg(&|t| t.with_reference.mid_error_db),
            avg(&|t| t.with_reference.width_error_db),
            avg(&|t| t.with_reference.loudness_error_lu.abs()),
            max(&|t| t.with_reference.true_peak_dbtp),
            avg(&|t| t.without_reference.mid_error_db),
            avg(&|t| t.without_reference.width_error_db),
            avg(&|t| t.without_reference.loudness_error_lu.abs()),
            max(&|t| t.without_reference.true_peak_dbtp),
            max(&|t| t.never_harm.max_eq_move_db),
            avg(&|t| t.never_harm.mid_error_db),
        )
    })
}

fn table(tracks: &[TrackFigures]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<34} {:>11} | {:>26} | {:>26} | {:>11}",
        "", "damaged", "with reference", "without reference (-14)", "never harm"
    );
    let _ = writeln!(
        s,
        "{:<34} {:>5} {:>5} | {:>5} {:>5} {:>6} {:>6} | {:>5} {:>5} {:>6} {:>6} | {:>5} {:>5}",
        "track",
        "mid",
        "width",
        "mid",
        "width",
        "LU",
        "dBTP",
        "mid",
        "width",
        "LU",
        "dBTP",
        "EQmax",
        "mid"
    );
    for t in tracks {
        let name = format!(
            "{}{} {:?} {:+.1}",
            if t.held_out { "*" } else { "" },
            t.name.chars().take(18).collect::<String>(),
            t.damage.kind,
            t.damage.gain_db
        );
        let _ = writeln!(
            s,
            "{:<34} {:>5.2} {:>5.2} | {:>5.2} {:>5.2} {:>+6.3} {:>6.2} | {:>5.2} {:>5.2} {:>+6.3} {:>6.2} | {:>5.2} {:>5.2}",
            name,
            t.damaged_mid_error_db,
            t.damaged_width_error_db,
            t.with_reference.mid_error_db,
            t.with_reference.width_error_db,
            t.with_reference.loudness_error_lu,
            t.with_reference.true_peak_dbtp,
            t.without_reference.mid_error_db,
            t.without_reference.width_error_db,
            t.without_reference.loudness_error_lu,
            t.without_reference.true_peak_dbtp,
            t.never_harm.max_eq_move_db,
            t.never_harm.mid_error_db,
        );
    }
    let all: Vec<&TrackFigures> = tracks.iter().collect();
    let held: Vec<&TrackFigures> = tracks.iter().filter(|t| t.held_out).collect();
    let rest: Vec<&TrackFigures> = tracks.iter().filter(|t| !t.held_out).collect();
    let bass_mono: Vec<&TrackFigures> = tracks.iter().filter(|t| t.never_harm.bass_mono).collect();
    let _ = writeln!(
        s,
        "never harm: Bass Mono on {} of {} masters; the least low-end fold-down loss among them \
         {}",
        bass_mono.len(),
        tracks.len(),
        bass_mono
            .iter()
            .map(|t| t.never_harm.low_end_fold_down_loss_db)
            .reduce(f32::min)
            .map_or("-".to_string(), |l| format!("{l:.2} dB"))
    );
    s.push_str("averages (LU: mean |error|; dBTP and EQmax: maximum)\n");
    for (label, set) in [("all", &all), ("held out", &held), ("target corpus", &rest)] {
        if let Some(row) = average_row(label, set) {
            s.push_str(&row);
        }
    }
    s
}

/// The named-problem block: per damage kind and over all tracks, the damaged mix's mean mid
/// error, the mean after mastering without a hint and with the damage's kind named, how much
/// lower than the damaged mix's each is, and on the undamaged originals with the same problem
/// named, the largest EQ move, how many moved beyond the weak-evidence cap, and the mean mid
/// error.
fn named_summary(tracks: &[TrackFigures]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "named problems (no reference, -14 LUFS): mean mid error, dB, and reduction against the \
         damaged mix; never harm with the same problem named on the undamaged original"
    );
    let _ = writeln!(
        s,
        "{:<12} {:>4} {:>8} {:>8} {:>6} {:>8} {:>6} | {:>6} {:>6} {:>6}",
        "kind", "n", "damaged", "no hint", "less", "named", "less", "EQmax", ">3 dB", "mid"
    );
    let kinds = [
        DamageKind::Mud,
        DamageKind::Harshness,
        DamageKind::Boom,
        DamageKind::Dullness,
        DamageKind::Thinness,
    ];
    let rows = kinds
        .iter()
        .map(|k| (format!("{k:?}"), Some(*k)))
        .chain([("all".to_string(), None)]);
    for (label, kind) in rows {
        let set: Vec<&TrackFigures> = tracks
            .iter()
            .filter(|t| kind.is_none_or(|k| t.damage.kind == k))
            .collect();
        let avg = |f: &dyn Fn(&TrackFigures) -> f32| {
            mean(&set.iter().map(|t| f(t)).collect::<Vec<_>>()).unwrap_or(f32::NAN)
        };
        if set.is_empty() {
            continue;
        }
        let damaged = avg(&|t| t.damaged_mid_error_db);
        let plain = avg(&|t| t.without_reference.mid_error_db);
        let named = avg(&|t| t.named.mid_error_db);
        let less = |v: f32| 100.0 * (1.0 - v / damaged);
        let eq_max = set
            .iter()
            .map(|t| t.never_harm_named.max_eq_move_db)
            .fold(0.0f32, f32::max);
        let over = set
            .iter()
            .filter(|t| t.never_harm_named.max_eq_move_db > WEAK_EVIDENCE_CAP_DB + 0.05)
            .count();
        let _ = writeln!(
            s,
            "{:<12} {:>4} {:>8.2} {:>8.2} {:>5.0}% {:>8.2} {:>5.0}% | {:>6.2} {:>6} {:>6.2}",
            label,
            set.len(),
            damaged,
            plain,
            less(plain),
            named,
            less(named),
            eq_max,
            over,
            avg(&|t| t.never_harm_named.mid_error_db),
        );
    }
    s
}

/// Runs the evaluation.
pub fn run_eval(args: &EvalArgs) -> Result<(), CliError> {
    let held = held_out_names(args);
    let mut files = tracks_in(&args.dir)?;
    if let Some(n) = args.limit {
        files.truncate(n);
    }
    if files.is_empty() {
        return Err(CliError::new(format!(
            "no Ogg, FLAC or WAV files in '{}'; give the corpus folder",
            args.dir.display()
        )));
    }
    let estimators = if args.committed_estimator {
        None
    } else {
        Some(leave_one_out_estimators(&files, args)?)
    };
    let mut results = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if let (Some(only), Some(name)) = (&args.only, name)
            && !name.contains(only.as_str())
        {
            continue;
        }
        let mut t = match &estimators {
            Some(e) => learn::with_estimator(e[i].clone(), || evaluate_track(path, i, args))?,
            None => evaluate_track(path, i, args)?,
        };
        t.held_out = held
            .iter()
            .any(|h| t.name == *h || t.name.starts_with(h.as_str()));
        eprintln!(
            "[{}/{}] {}: ref {:.2}/{:.2} dB, no ref {:.2} dB, harm {:.2} dB",
            i + 1,
            files.len(),
            t.name,
            t.with_reference.mid_error_db,
            t.with_reference.width_error_db,
            t.without_reference.mid_error_db,
            t.never_harm.mid_error_db
        );
        results.push(t);
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&results)
            .map_err(|e| CliError::new(format!("cannot encode the figures: {e}")))?;
        std::fs::write(path, text)
            .map_err(|e| CliError::new(format!("cannot write '{}': {e}", path.display())))?;
    }
    print_stdout(&(table(&results) + &never_harm::summary(&results) + &named_summary(&results)))
}
