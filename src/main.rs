//! The `lacquer` command-line tool: `lacquer analyze FILE [--json]`, `lacquer master INPUT -o
//! OUTPUT [...]`, and with no arguments a demo render. See [`cli`].

mod cli;

fn main() {
    std::process::exit(cli::run());
}
