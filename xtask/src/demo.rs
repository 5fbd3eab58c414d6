//! `cargo xtask demo`: synthesises the demo mix `assets/demo/demo-mix.wav` from code alone.
//!
//! A deterministic 19.4 s piece (A minor, 116 BPM: drums, bass, pad, lead) mixed, then spoiled
//! on purpose the way unmastered mixes often are (quiet, muddy, dull, narrow) so the assistant
//! has something to fix. `cargo xtask demo` writes the file and prints its measurements;
//! `cargo xtask demo --check` renders in memory and fails if the committed file differs, which
//! proves the asset is made by this code. See `assets/demo/README.md`.

mod drums;
mod dsp;
mod instruments;
mod judge;
mod math;
mod measure;
mod mix;
mod score;

use std::io::Cursor;
use std::path::{Path, PathBuf};

const USAGE: &str =
    "usage: cargo xtask demo [--check] [--verbose] [--judge MASTER.wav] [--fix-check]";

/// Where the demo mix lives, relative to the workspace root.
const ASSET_PATH: &str = "assets/demo/demo-mix.wav";

/// Runs the task with the arguments after `demo`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut check = false;
    let mut verbose = false;
    let mut judged: Option<PathBuf> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--verbose" | "-v" => verbose = true,
            "--fix-check" => {
                let (target, lacquer) = crate::bench::build_release_lacquer(&workspace_root())?;
                let passed = fix_check(&lacquer, &target.join("demo-fix"))?;
                println!("demo fix check: {passed} of 2 passed");
                return Ok(());
            }
            "--judge" => match args.next() {
                Some(path) => judged = Some(PathBuf::from(path)),
                None => return Err(format!("--judge needs a WAV file; {USAGE}")),
            },
            "--help" | "-h" => {
                println!("{USAGE}");
                println!("  (no flag)  render {ASSET_PATH} and print its measurements");
                println!("  --check    render in memory; fail if the committed file differs");
                println!("  --verbose  also print band levels against the balanced mix");
                println!(
                    "  --judge M  print how far master M ends from the balanced mix's balance \
                     per octave; fail if the 177-355 Hz octave is off by more than 2 dB or \
                     the top above 6 kHz by more than 3 dB"
                );
                println!(
                    "  --fix-check  master the demo with the release lacquer without a hint and \
                     with --fix mud,dull, and judge both (a step of cargo xtask test)"
                );
                return Ok(());
            }
            other => return Err(format!("unknown option `{other}` for demo; {USAGE}")),
        }
    }

    let path = workspace_root().join(ASSET_PATH);
    let mixdown = mix::mix(&score::render_stems());
    if let Some(master) = judged {
        return judge::judge(&master, &mixdown.balanced);
    }
    let bytes = encode_wav(&mixdown.samples)?;

    if check {
        let committed = std::fs::read(&path).map_err(|e| {
            format!(
                "cannot read {}: {e}; run `cargo xtask demo` and commit the file",
                path.display()
            )
        })?;
        if committed != bytes {
            return Err(format!(
                "{} differs from what this code renders; run `cargo xtask demo` and commit it",
                path.display()
            ));
        }
        println!("{ASSET_PATH} matches the generator ({} bytes)", bytes.len());
    } else {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(&path, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {} ({} bytes)", path.display(), bytes.len());
    }
    print_figures(&mixdown, verbose)
}

/// Step j of `cargo xtask test`: the demo mix mastered by `lacquer` without a hint and with
/// `--fix mud,dull`, judged against the balanced mix ([`judge::fix_check`]); files in `work`.
pub fn fix_check(lacquer: &Path, work: &Path) -> Result<u64, String> {
    let mixdown = mix::mix(&score::render_stems());
    judge::fix_check(lacquer, work, &mixdown.balanced)
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask_dir.parent().unwrap_or(xtask_dir).to_path_buf()
}

/// Encodes interleaved stereo 16-bit samples as a canonical 44-byte-header PCM WAV in memory.
fn encode_wav(samples: &[i16]) -> Result<Vec<u8>, String> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: dsp::SAMPLE_RATE_HZ as u32,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let err = |e: hound::Error| format!("WAV encoding failed: {e}");
    let mut cursor = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut cursor, spec).map_err(err)?;
    for &s in samples {
        writer.write_sample(s).map_err(err)?;
    }
    writer.finalize().map_err(err)?;
    Ok(cursor.into_inner())
}

/// Prints the loudness/peak/stereo figures of the delivered samples and, with `verbose`,
/// band levels of the delivered mix against the balanced one (both at the delivered gain).
fn print_figures(mixdown: &mix::Mixdown, verbose: bool) -> Result<(), String> {
    let f = measure::figures(&mixdown.samples)?;
    println!("  duration          {:>7.2} s", f.duration_s);
    println!("  integrated        {:>7.2} LUFS", f.integrated_lufs);
    println!("  loudness range    {:>7.2} LU", f.loudness_range_lu);
    println!("  sample peak       {:>7.2} dBFS", f.sample_peak_dbfs);
    println!("  true peak         {:>7.2} dBTP", f.true_peak_dbtp);
    println!("  L/R correlation   {:>7.3}", f.correlation);
    println!("  side vs mid       {:>7.2} dB", f.side_to_mid_db);
    let delivered = measure::deinterleave(&mixdown.samples);
    let balanced = &mixdown.balanced;
    println!(
        "  balanced mix had  side vs mid {:.2} dB, correlation {:.3}",
        measure::side_to_mid_db(balanced),
        measure::correlation(balanced)
    );
    let diff =
        |band| measure::band_level_db(&delivered, band) - measure::band_level_db(balanced, band);
    let mud_band = measure::Band {
        lo_hz: 200.0,
        hi_hz: 400.0,
    };
    let mids_band = measure::Band {
        lo_hz: 710.0,
        hi_hz: 2_840.0,
    };
    println!(
        "  200-400 Hz        {:>+7.2} dB vs balanced mix ({:+.2} dB relative to 0.7-2.8 kHz)",
        diff(mud_band),
        diff(mud_band) - diff(mids_band)
    );
    println!(
        "  above 6 kHz       {:>+7.2} dB vs balanced mix",
        diff(measure::AIR_BAND)
    );
    if verbose {
        println!("  band (Hz)          delivered   balanced   (mid signal, dB re full scale)");
        for band in measure::REPORT_BANDS {
            println!(
                "  {:>6.0}-{:<6.0}     {:>8.2}   {:>8.2}",
                band.lo_hz,
                band.hi_hz,
                measure::band_level_db(&delivered, band),
                measure::band_level_db(balanced, band)
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders once and checks the delivered file against the brief and against the
    /// committed asset (the same comparison `--check` makes).
    #[test]
    fn rendered_mix_has_the_intended_problems_and_matches_the_asset() {
        let mixdown = mix::mix(&score::render_stems());
        let bytes = encode_wav(&mixdown.samples).unwrap();
        assert!(bytes.len() <= 4 * 1024 * 1024, "{} bytes", bytes.len());

        let f = measure::figures(&mixdown.samples).unwrap();
        assert!(f.duration_s <= 20.0 && f.duration_s >= 16.0, "{f:?}");
        assert!((-22.0..=-20.0).contains(&f.integrated_lufs), "{f:?}");
        assert!((-8.0..=-6.0).contains(&f.sample_peak_dbfs), "{f:?}");
        assert!(
            f.true_peak_dbtp < -6.0,
            "not limited, far from clipping: {f:?}"
        );
        assert!(f.correlation > 0.8 && f.side_to_mid_db < -15.0, "{f:?}");

        let delivered = measure::deinterleave(&mixdown.samples);
        let diff = |band| {
            measure::band_level_db(&delivered, band)
                - measure::band_level_db(&mixdown.balanced, band)
        };
        let mud = diff(measure::Band {
            lo_hz: 200.0,
            hi_hz: 400.0,
        });
        assert!((4.0..=6.0).contains(&mud), "low-mid excess {mud} dB");
        let air = diff(measure::AIR_BAND);
        assert!(air < -6.0, "top not dull enough: {air} dB");
        // The balanced reference itself must be wider than the delivered mix.
        assert!(measure::side_to_mid_db(&mixdown.balanced) > f.side_to_mid_db + 6.0);

        let committed = std::fs::read(workspace_root().join(ASSET_PATH)).unwrap();
        assert!(
            committed == bytes,
            "{ASSET_PATH} is stale: run `cargo xtask demo`"
        );
    }
}
