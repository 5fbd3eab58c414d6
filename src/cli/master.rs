//! `lacquer master INPUT -o OUTPUT`: decode, render through the plugin's chain at the file's
//! own rate in host-sized blocks with latency compensation, requantise with dither, write the
//! WAV safely, print a before/after table.

use super::args::{BitDepth, MasterArgs};
use super::decode::{check_input, decode_file};
use super::encode::{quantize_in_place, write_wav};
use super::output::{TempOutput, check_output, describe_io};
use super::table::before_after_table;
use super::{CliError, print_stdout};
use lacquer::chain::{ChainSettings, MasteringChain};
use lacquer::dsp::dither::DEFAULT_SEED;
use lacquer::meter::analysis::{Analysis, analyze};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Block size the chain is fed with, samples: what a typical host uses, so the CLI exercises
/// the same block handling as the plugin.
pub const HOST_BLOCK_SAMPLES: usize = 512;

/// One mastering job.
#[derive(Debug, Clone)]
pub struct MasterJob {
    /// File to read.
    pub input: PathBuf,
    /// WAV file to write.
    pub output: PathBuf,
    /// Chain settings (from flags or defaults).
    pub settings: ChainSettings,
    /// Sample format of the output.
    pub bit_depth: BitDepth,
    /// Replace an existing output.
    pub force: bool,
}

/// What a finished job measured.
#[derive(Debug, Clone)]
pub struct MasterReport {
    /// Measurement of the input.
    pub before: Analysis,
    /// Measurement of the written output (after dither).
    pub after: Analysis,
    /// Samples clamped to full scale when requantising.
    pub num_clipped: usize,
}

/// Runs the command from its arguments.
pub fn run(args: &MasterArgs) -> Result<(), CliError> {
    let job = MasterJob {
        input: args.input.clone(),
        output: args.output_path.clone(),
        settings: args.chain_settings()?,
        bit_depth: args.bit_depth,
        force: args.force,
    };
    let report = master(&job)?;
    print_report(&job, &report)
}

/// Prints the before/after table (and a clipping warning on stderr, if any).
pub fn print_report(job: &MasterJob, report: &MasterReport) -> Result<(), CliError> {
    if report.num_clipped > 0 {
        eprintln!(
            "lacquer: warning: {} samples were clipped at full scale in the {} output; \
             lower --drive or --output",
            report.num_clipped,
            job.bit_depth.label()
        );
    }
    let header = format!(
        "Mastered '{}' -> '{}' ({}, {} Hz)\n",
        job.input.display(),
        job.output.display(),
        job.bit_depth.label(),
        report.after.sample_rate_hz
    );
    print_stdout(&(header + &before_after_table(&report.before, &report.after)))
}

/// Does the whole job. Nothing is created at `job.output` unless everything succeeds.
pub fn master(job: &MasterJob) -> Result<MasterReport, CliError> {
    check_input(&job.input)?;
    check_output(&job.input, &job.output, job.force)?;
    let audio = decode_file(&job.input)?;
    let sample_rate_hz = audio.sample_rate_hz;
    let measure = |channels: &[Vec<f32>], what: &Path| -> Result<Analysis, CliError> {
        let slices: Vec<&[f32]> = channels.iter().map(Vec::as_slice).collect();
        analyze(&slices, sample_rate_hz)
            .map_err(|e| CliError::new(format!("cannot measure '{}': {e}", what.display())))
    };
    let before = measure(&audio.channels, &job.input)?;

    let sample_rate_hz = audio.sample_rate_hz;
    let mut rendered = render(audio.channels, sample_rate_hz, &job.settings);
    let num_clipped = quantize_in_place(&mut rendered, job.bit_depth, DEFAULT_SEED);
    let after = measure(&rendered, &job.output)?;

    let mut temp = TempOutput::create_beside(&job.output)?;
    // Lets the tests check that a bug mid-write still ends in one line and no leftover files.
    #[cfg(debug_assertions)]
    if std::env::var_os("LACQUER_DEBUG_PANIC_WHILE_WRITING").is_some() {
        panic!("LACQUER_DEBUG_PANIC_WHILE_WRITING is set");
    }
    let write_error = |e: hound::Error| {
        CliError::new(format!(
            "cannot write '{}': {}",
            job.output.display(),
            describe_hound(&e)
        ))
    };
    write_wav(
        BufWriter::new(temp.file()?),
        &rendered,
        sample_rate_hz,
        job.bit_depth,
    )
    .map_err(write_error)?;
    temp.commit(&job.output, job.force)?;
    Ok(MasterReport {
        before,
        after,
        num_clipped,
    })
}

fn describe_hound(e: &hound::Error) -> String {
    match e {
        hound::Error::IoError(io) => describe_io(io),
        other => other.to_string(),
    }
}

/// Renders planar audio (in place, to keep memory at one copy) through a fresh
/// [`MasteringChain`] at `sample_rate_hz` with `settings`, in blocks of
/// [`HOST_BLOCK_SAMPLES`], compensating the chain's latency.
pub fn render(
    input: Vec<Vec<f32>>,
    sample_rate_hz: u32,
    settings: &ChainSettings,
) -> Vec<Vec<f32>> {
    let mut chain = MasteringChain::new();
    chain.configure(sample_rate_hz as f32, input.len(), HOST_BLOCK_SAMPLES);
    chain.set_settings_immediately(settings);
    let latency_samples = chain.latency_samples() as usize;
    render_aligned(input, latency_samples, HOST_BLOCK_SAMPLES, |block| {
        chain.process(block)
    })
}

/// Runs `process` over the planar audio `padded` in blocks of `block_samples` and removes a
/// processing delay of `latency_samples`: the audio is extended in place by that many zeros (to
/// flush the delayed tail out) and that many samples are dropped from the start. The result has
/// the input's length and is time-aligned with it.
pub fn render_aligned<F>(
    mut padded: Vec<Vec<f32>>,
    latency_samples: usize,
    block_samples: usize,
    mut process: F,
) -> Vec<Vec<f32>>
where
    F: FnMut(&mut [&mut [f32]]),
{
    let num_frames = padded.first().map_or(0, Vec::len);
    let padded_len = num_frames + latency_samples;
    for channel in &mut padded {
        channel.resize(padded_len, 0.0);
    }
    let block_samples = block_samples.max(1);
    let mut start = 0;
    while start < padded_len {
        let end = (start + block_samples).min(padded_len);
        let mut block: Vec<&mut [f32]> = padded.iter_mut().map(|c| &mut c[start..end]).collect();
        process(&mut block);
        start = end;
    }
    for channel in &mut padded {
        channel.drain(..latency_samples);
    }
    padded
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A stand-in for a chain with latency: delays every channel by `delay` samples and checks
    /// that blocks never exceed `max_block`.
    fn delaying(delay: usize, channels: usize, max_block: usize) -> impl FnMut(&mut [&mut [f32]]) {
        let mut lines: Vec<VecDeque<f32>> = vec![VecDeque::from(vec![0.0; delay]); channels];
        move |block: &mut [&mut [f32]]| {
            for (line, ch) in lines.iter_mut().zip(block.iter_mut()) {
                assert!(ch.len() <= max_block);
                for s in ch.iter_mut() {
                    line.push_back(*s);
                    *s = line.pop_front().unwrap_or(0.0);
                }
            }
        }
    }

    fn ramp(n: usize, offset: f32) -> Vec<f32> {
        (0..n).map(|i| offset + i as f32 * 1e-3).collect()
    }

    #[test]
    fn any_latency_is_compensated_exactly() {
        let input = vec![ramp(2000, 0.1), ramp(2000, -0.5)];
        for latency in [0, 1, 64, 511, 512, 513, 3000] {
            for block in [1, 7, 512] {
                let out =
                    render_aligned(input.clone(), latency, block, delaying(latency, 2, block));
                assert_eq!(out, input, "latency {latency}, block {block}");
            }
        }
    }

    #[test]
    fn uncompensated_latency_would_show() {
        // The check above can fail: claiming less latency than there is misaligns the output.
        let input = vec![ramp(1000, 0.1)];
        let out = render_aligned(input.clone(), 10, 512, delaying(64, 1, 512));
        assert_eq!(out[0].len(), input[0].len());
        assert_ne!(out, input);
        assert_eq!(out[0][54..], input[0][..1000 - 54]);
    }

    #[test]
    fn blocks_are_host_sized_and_cover_everything() {
        let input = vec![vec![1.0f32; 1300]];
        let mut sizes = Vec::new();
        let out = render_aligned(input, 100, 512, |b| {
            sizes.push(b[0].len());
            for s in b[0].iter_mut() {
                *s *= 2.0;
            }
        });
        assert_eq!(sizes, vec![512, 512, 376]);
        assert_eq!(out[0].len(), 1300);
        assert!(out[0][..1200].iter().all(|&s| s == 2.0));
    }

    #[test]
    fn render_applies_drive_and_output_in_db() {
        let tone = |amp: f32| -> Vec<f32> {
            (0..4096)
                .map(|i| amp * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 44_100.0).sin())
                .collect()
        };
        let input = vec![tone(0.1), tone(-0.05)];
        let settings = ChainSettings {
            drive_db: 6.0,
            output_db: -9.0,
            ..ChainSettings::default()
        };
        let out = render(input.clone(), 44_100, &settings);
        let gain = 10f32.powf(-3.0 / 20.0);
        assert_eq!(out[0].len(), 4096);
        for (o, i) in out.iter().flatten().zip(input.iter().flatten()) {
            assert!((o - i * gain).abs() < 1e-5, "{o} vs {}", i * gain);
        }
    }
}
