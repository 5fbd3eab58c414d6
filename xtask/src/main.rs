//! `cargo xtask ...`: project tasks. `bundle` and the other plugin-packaging commands are
//! forwarded to nice-plug-xtask; `test` and `demo` are Lacquer's own.

mod demo;
mod eval;
mod targets;
mod test;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("eval") => eval::run(&args[1..]),
        Some("derive-targets") => targets::run(&args[1..]),
        _ => nice_plug_xtask::main().map_err(|e| format!("{e:#}")),
    };
    if let Err(message) = result {
        eprintln!("xtask: {message}");
        std::process::exit(1);
    }
}
