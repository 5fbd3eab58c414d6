//! Whole-signal measurements the tests compare against: integrated loudness by the `ebur128`
//! crate (an implementation independent of Lacquer's meters) and the largest true peak by the
//! independent 16x [`ReferenceMeter`].

use crate::reference::ReferenceMeter;
use ebur128::{EbuR128, Mode};

/// Integrated loudness (ITU-R BS.1770-4) of planar audio at `rate` Hz, LUFS.
pub fn integrated_lufs(audio: &[Vec<f32>], rate: u32) -> f64 {
    let mut meter = EbuR128::new(audio.len() as u32, rate, Mode::I).expect("ebur128 meter");
    let slices: Vec<&[f32]> = audio.iter().map(Vec::as_slice).collect();
    meter
        .add_frames_planar_f32(&slices)
        .expect("ebur128 frames");
    meter.loudness_global().expect("ebur128 loudness")
}

/// Largest true peak over all channels, dBTP, by the reference meter.
pub fn true_peak_dbtp(audio: &[Vec<f32>]) -> f64 {
    let meter = ReferenceMeter::new();
    audio
        .iter()
        .map(|c| meter.true_peak_db(c))
        .fold(f64::NEG_INFINITY, f64::max)
}
