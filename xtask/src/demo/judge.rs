//! `cargo xtask demo --judge MASTER.wav`: how far a master of the demo mix ends from the
//! balanced mix's tonal balance, with the demo's own octave-band method ([`super::measure`]).
//!
//! Levels differ (a master is louder), so each band is read relative to the same file's
//! 0.71-2.84 kHz mids, the reference the demo's problem statement uses ("+4.06 dB relative to
//! 0.7-2.8 kHz"): a band's error is its level over the mids in the master minus the same in
//! the balanced mix. Issue #14's acceptance: with mud and dullness named, the 177-355 Hz octave
//! within [`MUD_TOLERANCE_DB`] and everything above 6 kHz within [`AIR_TOLERANCE_DB`].

use super::instruments::Stereo;
use super::measure::{AIR_BAND, Band, REPORT_BANDS, band_level_db};
use std::path::Path;

/// The mids every band is read against.
const MIDS: Band = Band {
    lo_hz: 710.0,
    hi_hz: 2_840.0,
};
/// The mud octave of the acceptance.
const MUD: Band = Band {
    lo_hz: 177.0,
    hi_hz: 355.0,
};
/// Largest error allowed in the mud octave, dB.
pub const MUD_TOLERANCE_DB: f64 = 2.0;
/// Largest error allowed above 6 kHz, dB.
pub const AIR_TOLERANCE_DB: f64 = 3.0;

/// A band's level over the mids, dB.
fn balance_db(x: &Stereo, band: Band) -> f64 {
    band_level_db(x, band) - band_level_db(x, MIDS)
}

/// The error of `master`'s balance against `balanced`'s in `band`, dB (positive: too much).
pub fn error_db(master: &Stereo, balanced: &Stereo, band: Band) -> f64 {
    balance_db(master, band) - balance_db(balanced, band)
}

/// Reads a stereo WAV at the demo's rate (any PCM depth or 32-bit float).
fn read_wav(path: &Path) -> Result<Stereo, String> {
    let err = |e: hound::Error| format!("cannot read {}: {e}", path.display());
    let mut reader = hound::WavReader::open(path).map_err(err)?;
    let spec = reader.spec();
    if spec.channels != 2 || spec.sample_rate != super::dsp::SAMPLE_RATE_HZ as u32 {
        return Err(format!(
            "{}: {} channels at {} Hz; the judge needs the demo's stereo at {} Hz",
            path.display(),
            spec.channels,
            spec.sample_rate,
            super::dsp::SAMPLE_RATE_HZ
        ));
    }
    let samples: Vec<f64> = match spec.sample_format {
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| s.map(f64::from))
            .collect::<Result<_, _>>()
            .map_err(err)?,
        hound::SampleFormat::Int => {
            let scale = f64::from(1u32 << (spec.bits_per_sample - 1));
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| f64::from(v) / scale))
                .collect::<Result<_, _>>()
                .map_err(err)?
        }
    };
    Ok(Stereo {
        left: samples.iter().step_by(2).copied().collect(),
        right: samples.iter().skip(1).step_by(2).copied().collect(),
    })
}

/// Prints every band's error of the master at `path` against `balanced` and fails when the
/// mud octave or the top is outside its tolerance.
pub fn judge(path: &Path, balanced: &Stereo) -> Result<(), String> {
    let master = read_wav(path)?;
    println!("  band (Hz)          error vs balanced mix (dB, each relative to 0.71-2.84 kHz)");
    for band in REPORT_BANDS.iter().take(10) {
        println!(
            "  {:>6.0}-{:<6.0}     {:>+6.2}",
            band.lo_hz,
            band.hi_hz,
            error_db(&master, balanced, *band)
        );
    }
    let mud = error_db(&master, balanced, MUD);
    let air = error_db(&master, balanced, AIR_BAND);
    println!("  mud octave 177-355 Hz  {mud:+.2} dB (tolerance {MUD_TOLERANCE_DB} dB)");
    println!("  above 6 kHz            {air:+.2} dB (tolerance {AIR_TOLERANCE_DB} dB)");
    if mud.abs() > MUD_TOLERANCE_DB || air.abs() > AIR_TOLERANCE_DB {
        return Err(format!(
            "{}: mud {mud:+.2} dB, top {air:+.2} dB from the balanced mix's balance",
            path.display()
        ));
    }
    Ok(())
}

/// Issue #14's demo acceptance, run by `cargo xtask test` (step j) with the release `lacquer`:
/// mastered without a hint, the explanation names mud and dullness as likely problems with
/// how to correct them; mastered with `--fix mud,dull`, the master is within the tolerances
/// above. Returns how many of the two checks passed, or the first failure.
pub fn fix_check(lacquer: &Path, work: &Path, balanced: &Stereo) -> Result<u64, String> {
    std::fs::create_dir_all(work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let input = super::workspace_root().join(super::ASSET_PATH);
    let master = |fix: Option<&str>, out: &Path| -> Result<String, String> {
        let mut cmd = std::process::Command::new(lacquer);
        cmd.arg("master")
            .arg(&input)
            .arg("-o")
            .arg(out)
            .args(["--force", "--no-codec-check"]);
        if let Some(fix) = fix {
            cmd.args(["--fix", fix]);
        }
        let output = cmd
            .output()
            .map_err(|e| format!("cannot run {}: {e}", lacquer.display()))?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        print!("{text}");
        if output.status.success() {
            Ok(text)
        } else {
            Err(format!(
                "lacquer master failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    };
    let plain = master(None, &work.join("demo-no-hint.wav"))?;
    for problem in ["mud", "dull"] {
        let said = plain
            .lines()
            .any(|l| l.contains(&format!("Possible {problem}:")) && l.contains("--fix"));
        if !said {
            return Err(format!(
                "without a hint, the explanation does not name {problem} as a likely problem"
            ));
        }
    }
    let fixed = work.join("demo-fix-mud-dull.wav");
    master(Some("mud,dull"), &fixed)?;
    judge(&fixed, balanced)?;
    Ok(2)
}
