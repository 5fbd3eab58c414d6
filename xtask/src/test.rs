//! `cargo xtask test`: every test, including the real-host tests. (Being written.)

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`cargo xtask test` is not written yet".to_string())
}
