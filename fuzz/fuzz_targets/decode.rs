//! Fuzz target `decode`: any bytes, as a file, through the decoder the CLI and the plugin share
//! (`decode_file_with` of the `lacquer-decode` crate, crates/decode). It may refuse a file with
//! an error but must not panic, hang or run out of memory, and what it returns must keep its
//! promise: 1 or 2 channels of equal length, a sample rate, every sample finite and not
//! subnormal.
//!
//! The bytes are written to a file (in /dev/shm when there is one) because the decoder reads a
//! path. The file's extension, the decoder's format hint, and `--allow-partial` are taken from
//! the input's last byte, so the corpus holds plain audio files.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

use lacquer_decode as decode;

const EXTENSIONS: [&str; 8] = ["wav", "flac", "mp3", "ogg", "aiff", "", "m4a", "caf"];

/// A scratch directory of this process.
fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() {
            shm
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("lacquer-fuzz-decode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("cannot create the scratch directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let last = data.last().copied().unwrap_or(0);
    let ext = EXTENSIONS[usize::from(last) % EXTENSIONS.len()];
    let allow_partial = last & 0x80 != 0;
    let path = scratch_dir().join(format!("input.{ext}"));
    std::fs::write(&path, data).expect("cannot write the scratch file");
    if let Ok(audio) = decode::decode_file_with(&path, allow_partial) {
        let n = audio.channels.len();
        assert!(n == 1 || n == 2, "{n} channels");
        let len = audio.channels[0].len();
        assert!(len > 0, "no samples");
        assert!(audio.channels.iter().all(|c| c.len() == len), "ragged");
        assert!(audio.sample_rate_hz > 0, "no rate");
        assert!(
            audio
                .channels
                .iter()
                .flatten()
                .all(|s| s.is_finite() && (*s == 0.0 || s.is_normal())),
            "a non-finite or subnormal sample"
        );
    }
    let _ = std::fs::remove_file(&path);
});
