fn main() {
    std::process::exit(lacquer_cli_placeholder());
}

fn lacquer_cli_placeholder() -> i32 {
    eprintln!("lacquer: the command line is not built yet");
    1
}
