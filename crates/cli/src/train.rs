//! The hidden `lacquer train-assistant DIR` command behind `cargo xtask train-assistant DIR`:
//! analyses every master in DIR (whole tracks) with the assistant's own analysis, trains the
//! damage estimator (`lacquer_core::assistant::learn`), prints its leave-one-track-out figures
//! on the evaluation's damage (the restore-versus-harm curve across the correction strength,
//! and the named-problem figures), and writes the weights (`--out`) and the curve (`--csv`).

use super::CliError;
use super::derive::{Analysed, analyse_folder};
use lacquer_core::assistant::learn::study::{NamedFigures, measure, measure_named_decided};
use lacquer_core::assistant::learn::train::{DEFAULT_SEED, ROWS_PER_TRACK, Trainer, rounded};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of the hidden `train-assistant` command.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Folder of real masters (e.g. the one `cargo xtask corpus` prints).
    pub dir: PathBuf,
    /// Where to write the weights.
    #[arg(long, default_value = "assets/estimator/estimator.json")]
    pub out: PathBuf,
    /// Also write the restore-versus-harm curve here (CSV, for `cargo xtask plot-tradeoff`).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Read the features from a file written by `derive-targets --features` instead of
    /// decoding DIR again.
    #[arg(long)]
    pub from_features: Option<PathBuf>,
    /// Seed of the training damage.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
    /// Seed of the evaluation damage the figures are measured on (as `cargo xtask eval`).
    #[arg(long, default_value_t = 1)]
    pub eval_seed: u64,
    /// Evaluation damages per track for the figures (the first is `cargo xtask eval`'s).
    #[arg(long, default_value_t = 10)]
    pub copies: usize,
    /// Ridge penalty (in units of squared dB of features per training row).
    #[arg(long, default_value_t = 1.0e6)]
    pub lambda: f64,
    /// The no-hint threshold, in spreads on undamaged masters.
    #[arg(long, default_value_t = 1.0)]
    pub threshold: f32,
    /// Train on the middle S seconds of each track (as `cargo xtask eval` measures) instead
    /// of whole tracks.
    #[arg(long)]
    pub seconds: Option<f32>,
    /// Write the analysed features here (JSON, for `--from-features`).
    #[arg(long)]
    pub save_features: Option<PathBuf>,
    /// Print this track's leave-one-track-out no-hint correction per band.
    #[arg(long)]
    pub show: Option<String>,
    /// Only print the figures; do not write the weights.
    #[arg(long)]
    pub dry_run: bool,
}

/// Strengths the curve is measured at.
const STRENGTHS: [f32; 10] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0];

/// The kind as `cargo xtask plot-tradeoff` reads it (`all`, or the problem's full name).
fn csv_kind(kind: &str) -> &str {
    match kind {
        "thin" => "thinness",
        "harsh" => "harshness",
        "dull" => "dullness",
        other => other,
    }
}

/// Analyses the middle `seconds` of every track in `dir`.
fn analyse_excerpts(dir: &std::path::Path, seconds: f32) -> Result<Vec<Analysed>, CliError> {
    let files = super::derive::list_audio(dir)?;
    let mut out = Vec::with_capacity(files.len());
    for (n, path) in files.iter().enumerate() {
        let audio = super::decode::decode_file(path)?;
        let rate = audio.sample_rate_hz;
        let part = super::eval::excerpt(audio.channels, rate, seconds);
        let features = lacquer_core::assistant::analysis::analyze_track(
            &super::eval::slices(&part),
            rate as f32,
        );
        eprintln!("[{}/{}] {}", n + 1, files.len(), path.display());
        out.push(Analysed {
            file: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            held_out: false,
            family: None,
            features,
        });
    }
    Ok(out)
}

/// One line per kind of the named-problem figures.
fn named_rows(out: &mut String, figures: &[NamedFigures]) {
    for f in figures {
        let _ = writeln!(
            out,
            "  {:<9} {:>4} {:>6.2} {:>6.2} {:>7.1} | {:>6.2} {:>6.3}",
            f.kind,
            f.count,
            f.damaged_db,
            f.named_db,
            f.restored_pct,
            f.wrong_name_max_db,
            f.wrong_name_mean_db
        );
    }
}

/// Runs the command.
pub fn run(args: &TrainArgs) -> Result<(), CliError> {
    let tracks: Vec<Analysed> = match &args.from_features {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::new(format!("cannot read '{}': {e}", path.display())))?;
            serde_json::from_str(&text).map_err(|e| {
                CliError::new(format!("'{}' is not a features file: {e}", path.display()))
            })?
        }
        None => match args.seconds {
            Some(seconds) => analyse_excerpts(&args.dir, seconds)?,
            None => analyse_folder(&args.dir)?,
        },
    };
    if let Some(path) = &args.save_features {
        let text = serde_json::to_string(&tracks)
            .map_err(|e| CliError::new(format!("cannot encode the features: {e}")))?;
        std::fs::write(path, text)
            .map_err(|e| CliError::new(format!("cannot write '{}': {e}", path.display())))?;
    }
    if tracks.len() < 10 {
        return Err(CliError::new(format!(
            "{} tracks in '{}': the estimator needs at least 10; give the folder `cargo xtask corpus` prints",
            tracks.len(),
            args.dir.display()
        )));
    }
    let n = tracks.len();
    let features = tracks.iter().map(|t| t.features.clone()).collect();
    let trainer = Trainer::new(features, args.seed, args.lambda, args.threshold);
    let loo = trainer.leave_one_out();
    if let Some(name) = &args.show
        && let Some(t) = tracks.iter().position(|t| t.file.contains(name.as_str()))
    {
        let c = loo[t].no_hint_correction(&tracks[t].features, 1.0);
        let est = loo[t].model("any").map(|m| {
            m.estimate(&lacquer_core::assistant::learn::features(
                &tracks[t].features,
            ))
        });
        for (k, v) in c.iter().enumerate() {
            let b = k.wrapping_sub(lacquer_core::assistant::learn::FIRST_CORE);
            eprintln!(
                "{:>8.0} Hz  mid {:>7.2}  estimate {:>6.2}  spread {:>5.2}  correction {:>6.2}",
                lacquer_core::assistant::profile::band_centre_hz(k),
                tracks[t].features.mid_db[k],
                est.map_or(0.0, |e| e.get(b).copied().unwrap_or(0.0)),
                loo[t]
                    .model("any")
                    .map_or(0.0, |m| if b < 28 { m.spread(b) } else { 0.0 }),
                v
            );
        }
    }
    let (curve, named) = measure(&trainer, &loo, args.eval_seed, args.copies, &STRENGTHS);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "leave-one-track-out on {n} tracks, {} evaluation damages each (seed {}), lambda {}, threshold {}",
        args.copies, args.eval_seed, args.lambda, args.threshold
    );
    let _ = writeln!(
        out,
        "no hint: kind strength restored% | undamaged: mean mid error dB, moved >1.5 dB %, max move dB"
    );
    for p in &curve {
        let _ = writeln!(
            out,
            "  {:<9} {:>5.2} {:>7.1} | {:>6.3} {:>6.1} {:>6.2}",
            p.kind, p.strength, p.restored_pct, p.harm_mean_db, p.harm_over_1p5_pct, p.harm_max_db
        );
    }
    let _ = writeln!(
        out,
        "named (strength 1): kind n damaged named restored% | named on undamaged: max move dB, mean mid error dB"
    );
    named_rows(&mut out, &named);
    let decided = measure_named_decided(&trainer, &loo, args.eval_seed, args.copies);
    let _ = writeln!(
        out,
        "named through the decision (the fitted EQ of `decide`, automatic family): same columns"
    );
    named_rows(&mut out, &decided);
    print!("{out}");
    if let Some(path) = &args.csv {
        let mut csv =
            String::from("kind,strength,restored_pct,harm_mean_db,harm_over_1p5_pct,harm_max_db\n");
        for p in &curve {
            let _ = writeln!(
                csv,
                "{},{:.2},{:.2},{:.4},{:.2},{:.3}",
                csv_kind(&p.kind),
                p.strength,
                p.restored_pct,
                p.harm_mean_db,
                p.harm_over_1p5_pct,
                p.harm_max_db
            );
        }
        std::fs::write(path, csv)
            .map_err(|e| CliError::new(format!("cannot write '{}': {e}", path.display())))?;
    }
    if !args.dry_run {
        let made_from = format!(
            "lacquer train-assistant: {n} tracks ({}..{}), {ROWS_PER_TRACK} damaged copies per track and model, seed {}, ridge lambda {}",
            tracks.first().map_or("", |t| t.file.as_str()),
            tracks.last().map_or("", |t| t.file.as_str()),
            args.seed,
            args.lambda
        );
        let estimator = rounded(trainer.full(made_from));
        let text = serde_json::to_string(&estimator)
            .map_err(|e| CliError::new(format!("cannot encode the weights: {e}")))?;
        std::fs::write(&args.out, text + "\n")
            .map_err(|e| CliError::new(format!("cannot write '{}': {e}", args.out.display())))?;
        eprintln!("wrote {}", args.out.display());
    }
    Ok(())
}
