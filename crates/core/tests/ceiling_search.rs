//! Randomised search for true-peak overshoots: seeded and deterministic. Each case draws a
//! sample rate from [`RATES`], a hard signal (white, pink-ish or brown-ish noise, music with
//! full-band noise bursts, square or sawtooth waves, clipped music, +100 dB steps), a drive of
//! 0..+24 dB, a ceiling of -1 or 0 dBTP (sometimes anywhere in -6..0), a lookahead of
//! 0.5..10 ms, a release of 10..1000 ms, a stereo link and a block size; it runs the limiter
//! and measures the output with the independent 16x meter and the standard BS.1770-4 meter.
//! The worst overshoot and the case that produced it are printed.
//!
//! `cargo test` runs [`DEFAULT_CASES`] short cases; set `LACQUER_CEILING_CASES` (e.g.
//! `LACQUER_CEILING_CASES=100000 cargo test --release -p lacquer-core --test ceiling_search --
//! --nocapture`) for more, and `LACQUER_CEILING_SEED` for another sequence.

mod ceiling_support;

use ceiling_support::*;
use lacquer_core::dsp::limiter::LimiterSettings;

/// Cases run by a plain `cargo test`.
const DEFAULT_CASES: usize = 2000;

#[derive(Clone)]
struct Case {
    index: usize,
    rate: f64,
    signal: String,
    drive_db: f64,
    settings: LimiterSettings,
    block: usize,
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.settings;
        write!(
            f,
            "case {} at {} Hz: {} driven {:+.2} dB; ceiling {:.3} dBTP, lookahead {:.3} ms, \
             release {:.1} ms, link {:.3}, blocks of {}",
            self.index,
            self.rate,
            self.signal,
            self.drive_db,
            s.ceiling_dbtp,
            s.lookahead_ms,
            s.release_ms,
            s.link,
            self.block
        )
    }
}

/// What one thread found: its worst case and every case over the tolerance.
struct Found {
    worst: Option<(f64, Case)>,
    failures: Vec<(f64, Case)>,
}

/// Draws case `index` from its own generator, so any case can be re-run alone.
fn draw(seed: u64, index: usize) -> (Case, [Vec<f32>; 2]) {
    let mut rng = Rng::new(seed ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let rate = RATES[rng.range(0, RATES.len() - 1)];
    let u = |rng: &mut Rng| 0.5 * (rng.uniform() + 1.0); // 0..1
    // 15..60 ms, at most 6000 samples per channel so high rates stay cheap (the 16x meter is
    // the slow part).
    let seconds = (0.015 + 0.045 * u(&mut rng)).min(6_000.0 / rate);
    let signal_seed = rng.next_u64();
    let (signal, input) = match rng.range(0, 8) {
        0 => (
            "white noise".to_string(),
            coloured_noise(rate, seconds, Colour::White, signal_seed),
        ),
        1 => (
            "pink noise".to_string(),
            coloured_noise(rate, seconds, Colour::Pink, signal_seed),
        ),
        2 => (
            "brown noise".to_string(),
            coloured_noise(rate, seconds, Colour::Brown, signal_seed),
        ),
        3 => {
            let burst_ms = 0.2 + 10.0 * u(&mut rng);
            let every_ms = burst_ms + 5.0 + 40.0 * u(&mut rng);
            (
                format!("music with {burst_ms:.1} ms bursts every {every_ms:.1} ms"),
                music_with_bursts(rate, seconds, burst_ms, every_ms, signal_seed),
            )
        }
        4 => {
            let f = 20.0 + (rate * 0.45 - 20.0) * u(&mut rng).powi(3);
            let phase = u(&mut rng);
            (
                format!("square {f:.1} Hz phase {phase:.3}"),
                square(rate, seconds, f, phase),
            )
        }
        5 => {
            let f = 20.0 + (rate * 0.45 - 20.0) * u(&mut rng).powi(3);
            let phase = u(&mut rng);
            (
                format!("sawtooth {f:.1} Hz phase {phase:.3}"),
                sawtooth(rate, seconds, f, phase),
            )
        }
        6 => {
            let push = 3.0 + 15.0 * u(&mut rng);
            (
                format!("music clipped {push:.1} dB"),
                clipped_music(rate, seconds, push, signal_seed),
            )
        }
        7 => (
            "+100 dB steps".to_string(),
            hundred_db_steps(rate, seconds.max(0.05) * 4.0, signal_seed),
        ),
        _ => {
            let colour = [Colour::White, Colour::Pink, Colour::Brown][rng.range(0, 2)];
            let burst_ms = 0.5 + 5.0 * u(&mut rng);
            let mut x = coloured_noise(rate, seconds, colour, signal_seed);
            let every = ((burst_ms * 4.0) * 1e-3 * rate) as usize + 2;
            let burst = ((burst_ms * 1e-3 * rate) as usize).max(1);
            for c in x.iter_mut() {
                for (i, s) in c.iter_mut().enumerate() {
                    if i % every >= burst {
                        *s *= 0.01;
                    }
                }
            }
            (format!("{colour:?} noise bursts of {burst_ms:.1} ms"), x)
        }
    };
    let drive_db = 24.0 * u(&mut rng);
    let ceiling_dbtp = match rng.range(0, 3) {
        0 | 1 => -1.0,
        2 => 0.0,
        _ => -6.0 * u(&mut rng) as f32,
    };
    let lookahead_ms = if rng.range(0, 3) == 0 {
        [0.5, 10.0][rng.range(0, 1)]
    } else {
        0.5 + 9.5 * u(&mut rng).powi(2) as f32
    };
    let release_ms = 10.0 * 100f32.powf(u(&mut rng) as f32);
    let link = if rng.range(0, 3) == 0 {
        u(&mut rng) as f32
    } else {
        1.0
    };
    let block = [1, 64, 512, 4096, rng.range(1, 2000)][rng.range(0, 4)];
    let case = Case {
        index,
        rate,
        signal,
        drive_db,
        settings: LimiterSettings {
            ceiling_dbtp,
            lookahead_ms,
            release_ms,
            link,
        },
        block,
    };
    (case, driven(input, drive_db))
}

fn env_usize(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn randomised_search_finds_no_overshoot() {
    let cases = env_usize("LACQUER_CEILING_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let seed = env_usize("LACQUER_CEILING_SEED").unwrap_or(0x1ac9_e5ee_d000_0001);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let start = std::time::Instant::now();
    let found: Vec<Found> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let meter = ReferenceMeter::new();
                    let mut found = Found {
                        worst: None,
                        failures: Vec::new(),
                    };
                    for index in (t..cases).step_by(threads) {
                        let (case, input) = draw(seed, index);
                        let out = limit(case.rate, &case.settings, &input, case.block);
                        let over = both_meters_db(&meter, case.rate, &out)
                            - case.settings.ceiling_dbtp as f64;
                        if found.worst.as_ref().is_none_or(|(w, _)| over > *w) {
                            found.worst = Some((over, case.clone()));
                        }
                        if over > TOLERANCE_DB {
                            found.failures.push((over, case));
                        }
                    }
                    found
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    assert_eq!(found.len(), threads, "a search thread panicked");
    let mut worst: Option<(f64, Case)> = None;
    let mut failures = Vec::new();
    for f in found {
        if let Some((over, case)) = f.worst
            && worst.as_ref().is_none_or(|(w, _)| over > *w)
        {
            worst = Some((over, case));
        }
        failures.extend(f.failures);
    }
    if let Some((over, case)) = &worst {
        println!(
            "{cases} cases (seed {seed:#x}) in {:.1} s; worst true peak over the ceiling \
             {over:+.4} dB: {case}",
            start.elapsed().as_secs_f64()
        );
    }
    failures.sort_by(|a, b| b.0.total_cmp(&a.0));
    let shown: Vec<String> = failures
        .iter()
        .take(20)
        .map(|(over, case)| format!("{over:+.3} dB: {case}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {cases} cases over the ceiling by more than {TOLERANCE_DB} dB, worst first:\n{}",
        failures.len(),
        shown.join("\n")
    );
}
