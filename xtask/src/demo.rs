//! `cargo xtask demo`: synthesises the demo mix in `assets/demo/`. (Being written.)

pub fn run(_args: &[String]) -> Result<(), String> {
    Err("`cargo xtask demo` is not written yet".to_string())
}
