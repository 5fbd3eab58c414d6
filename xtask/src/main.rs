//! `cargo xtask ...`: project tasks. `bundle` and the other plugin-packaging commands are
//! forwarded to nice-plug-xtask; `test`, `deps`, `demo`, `corpus`, `eval`, `derive-targets` and
//! the others below are Lacquer's own:
//!
//! - `cargo xtask test`: every test, real hosts included (installs its system packages first);
//! - `cargo xtask deps`: only installs the system packages the build and the tests need;
//! - `cargo xtask demo [--check]`: renders (or checks) the demo mix;
//! - `cargo xtask corpus [--base] [DIR]`: downloads real music from Debian's archive, prints its
//!   folder (`--base`: the 55 tracks `docs/eval.md`'s figures were measured on);
//! - `cargo xtask eval DIR`, `cargo xtask derive-targets DIR`, `cargo xtask train-assistant DIR`:
//!   run on such a folder;
//! - `cargo xtask msrv`: builds the workspace with the Rust version it declares;
//! - `cargo xtask bench-batch`: times batch mastering against single files (whole-CLI figures);
//! - `cargo xtask bench-memory`: the peak memory of a 1-hour 96 kHz master, and streamed masters
//!   against in-memory ones;
//! - `cargo xtask plot-tradeoff CSV PNG [--title TEXT]`: draws the assistant's restore-versus-harm
//!   curve from the training command's CSV (and an SVG beside the PNG).

mod bench;
mod bench_memory;
mod corpus;
mod demo;
mod eval;
mod msrv;
mod plot;
mod targets;
mod test;
mod train;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("deps") => test::system::run(&args[1..]),
        Some("corpus") => corpus::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("eval") => eval::run(&args[1..]),
        Some("eval-resonance") => eval::run_resonance(&args[1..]),
        Some("msrv") => msrv::run(&args[1..]),
        Some("bench-batch") => bench::run(&args[1..]),
        Some("bench-memory") => bench_memory::run(&args[1..]),
        Some("derive-targets") => targets::run(&args[1..]),
        Some("train-assistant") => train::run(&args[1..]),
        Some("plot-tradeoff") => plot::run(&args[1..]),
        _ => nice_plug_xtask::main().map_err(|e| format!("{e:#}")),
    };
    if let Err(message) = result {
        eprintln!("xtask: {message}");
        std::process::exit(1);
    }
}
