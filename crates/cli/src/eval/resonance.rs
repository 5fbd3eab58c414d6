//! `lacquer eval-resonance DIR` (hidden; `cargo xtask eval-resonance DIR` runs it): the
//! resonance case of issue 14 (items 3 and 8). Each master's middle excerpt gets a narrow
//! resonance (Q 5-12, +6..10 dB, 300 Hz-8 kHz, on for two stretches) or 5-7 kHz shimmer
//! bursts (`lacquer_core::assistant::eval::resonance`), and the resonance stage runs at each
//! amount over the damaged and the undamaged excerpt. Printed: how much of the added excess
//! it removes while present, and what it takes off the undamaged master per third-octave
//! (time-averaged and 95th percentile), against the limits (half the excess removed;
//! at most 0.5 dB averaged and 1.5 dB at the 95th percentile in every band).

use super::super::CliError;
use super::super::decode::decode_file;
use super::{excerpt, tracks_in};
use lacquer_core::assistant::eval::resonance::{
    ResonanceKind, excess_figures, process_stage, reduction_per_band, resonance_damage_for,
};
use lacquer_core::dsp::resonance::ResonanceSettings;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `lacquer eval-resonance`.
#[derive(Debug, clap::Args)]
pub struct ResonanceEvalArgs {
    /// Folder of real masters.
    pub dir: PathBuf,
    /// Length of the excerpt from each track's middle, seconds.
    #[arg(long, default_value_t = 30.0)]
    pub seconds: f32,
    /// Seed of the damage.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Resonance amounts to measure, percent, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [50.0, 100.0])]
    pub amounts: Vec<f32>,
    /// The stage's speed, ms (its default when absent).
    #[arg(long)]
    pub speed_ms: Option<f32>,
    /// The stage's depth, dB (its default when absent).
    #[arg(long)]
    pub depth_db: Option<f32>,
    /// Only the first N tracks.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Print every track's figures.
    #[arg(long)]
    pub verbose: bool,
}

/// One track at one amount.
struct Row {
    kind: ResonanceKind,
    freq_hz: f32,
    removed_pct: Option<f32>,
    worst_mean_db: f32,
    worst_p95_db: f32,
}

/// Which rows a summary line covers.
type Pick = fn(&Row) -> bool;

fn median(mut v: Vec<f32>) -> f32 {
    if v.is_empty() {
        return f32::NAN;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

fn summary(amount: f32, rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "resonance stage at {amount:.0} %:");
    let groups: [(&str, Pick); 5] = [
        ("resonance, all", |r: &Row| {
            r.kind == ResonanceKind::Resonance
        }),
        ("  below 600 Hz", |r: &Row| {
            r.kind == ResonanceKind::Resonance && r.freq_hz < 600.0
        }),
        ("  600 Hz-2 kHz", |r: &Row| {
            r.kind == ResonanceKind::Resonance && (600.0..2000.0).contains(&r.freq_hz)
        }),
        ("  2-8 kHz", |r: &Row| {
            r.kind == ResonanceKind::Resonance && r.freq_hz >= 2000.0
        }),
        ("shimmer 5-7 kHz", |r: &Row| {
            r.kind == ResonanceKind::Shimmer
        }),
    ];
    let _ = writeln!(
        out,
        "  {:<18} {:>4} {:>10} {:>10} {:>12}",
        "case", "n", "removed %", "median %", "removed>=50%"
    );
    for (label, pick) in &groups {
        let v: Vec<f32> = rows
            .iter()
            .filter(|r| pick(r))
            .filter_map(|r| r.removed_pct)
            .collect();
        if v.is_empty() {
            continue;
        }
        let n = v.len();
        let mean = v.iter().sum::<f32>() / n as f32;
        let ok = v.iter().filter(|&&p| p >= 50.0).count();
        let _ = writeln!(
            out,
            "  {label:<18} {n:>4} {mean:>10.1} {:>10.1} {:>8} of {n}",
            median(v.clone()),
            ok
        );
    }
    let n = rows.len();
    let ok_mean = rows.iter().filter(|r| r.worst_mean_db <= 0.5).count();
    let ok_p95 = rows.iter().filter(|r| r.worst_p95_db <= 1.5).count();
    let _ = writeln!(
        out,
        "  undamaged masters, worst third-octave: time-averaged reduction median {:.2} dB, max {:.2} dB, \
         <= 0.5 dB on {ok_mean} of {n}; 95th percentile median {:.2} dB, max {:.2} dB, <= 1.5 dB on {ok_p95} of {n}",
        median(rows.iter().map(|r| r.worst_mean_db).collect()),
        rows.iter().map(|r| r.worst_mean_db).fold(0.0, f32::max),
        median(rows.iter().map(|r| r.worst_p95_db).collect()),
        rows.iter().map(|r| r.worst_p95_db).fold(0.0, f32::max),
    );
    out
}

/// Runs the command.
pub fn run(args: &ResonanceEvalArgs) -> Result<(), CliError> {
    let mut files = tracks_in(&args.dir)?;
    if let Some(limit) = args.limit {
        files.truncate(limit);
    }
    if files.is_empty() {
        return Err(CliError::new(format!(
            "no audio files in '{}'",
            args.dir.display()
        )));
    }
    let mut rows: Vec<Vec<Row>> = args.amounts.iter().map(|_| Vec::new()).collect();
    for (index, path) in files.iter().enumerate() {
        let audio = decode_file(path)?;
        let rate = audio.sample_rate_hz;
        let original = excerpt(audio.channels, rate, args.seconds);
        let damage = resonance_damage_for(args.seed, index);
        let mut damaged = original.clone();
        damage.apply(&mut damaged, rate);
        for (a, amount) in args.amounts.iter().enumerate() {
            let default = ResonanceSettings::default();
            let settings = ResonanceSettings {
                amount_pct: *amount,
                speed_ms: args.speed_ms.unwrap_or(default.speed_ms),
                depth_db: args.depth_db.unwrap_or(default.depth_db),
                ..default
            };
            let processed = process_stage(&damaged, rate, &settings);
            let plain = process_stage(&original, rate, &settings);
            let excess = excess_figures(&damage, &original, &damaged, &processed, rate);
            let bands = reduction_per_band(&original, &plain, rate);
            let worst_mean = bands.iter().map(|b| b.1).fold(0.0, f32::max);
            let worst_at = bands
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map_or(0.0, |b| b.0);
            let worst_p95 = bands.iter().map(|b| b.2).fold(0.0, f32::max);
            if args.verbose {
                eprintln!(
                    "{} at {amount:.0} %: {:?} {:.0} Hz Q {:.1} +{:.1} dB: {}; undamaged worst band mean {worst_mean:.2} dB (at {worst_at:.0} Hz), p95 {worst_p95:.2} dB",
                    path.file_name()
                        .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
                    damage.kind,
                    damage.freq_hz,
                    damage.q,
                    damage.gain_db,
                    excess.map_or("no measurement".to_string(), |e| format!(
                        "added {:.2} dB, left {:.2} dB, removed {:.0} %",
                        e.added_db, e.left_db, e.removed_pct
                    )),
                );
            }
            rows[a].push(Row {
                kind: damage.kind,
                freq_hz: damage.freq_hz,
                removed_pct: excess.map(|e| e.removed_pct),
                worst_mean_db: worst_mean,
                worst_p95_db: worst_p95,
            });
        }
        eprintln!("[{}/{}] {}", index + 1, files.len(), path.display());
    }
    let d = ResonanceSettings::default();
    let mut out = format!(
        "resonance case: {} tracks, {} s excerpts, seed {}, speed {} ms, depth {} dB\n",
        files.len(),
        args.seconds,
        args.seed,
        args.speed_ms.unwrap_or(d.speed_ms),
        args.depth_db.unwrap_or(d.depth_db)
    );
    for (amount, r) in args.amounts.iter().zip(&rows) {
        out += &summary(*amount, r);
    }
    print!("{out}");
    Ok(())
}
