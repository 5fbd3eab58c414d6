//! Every parameter reads back its own text: for each entry of [`LacquerParams`]' param map,
//! several normalised values are shown with the host's string function (with and without the
//! unit, as the CLAP and the VST3 wrappers call it) and parsed back with the host's parse
//! function, which must give the same normalised value. A host that lets the user type a value
//! (or that re-reads the text it displayed, as clap-validator does) depends on it.

use crate::params::LacquerParams;
use nice_plug::prelude::{ParamPtr, Params};

/// Normalised values tried on every parameter: both ends, the middle and some uneven points.
const NORMALIZED: [f32; 11] = [
    0.0, 0.01, 0.1, 0.25, 0.333, 0.5, 0.618, 0.75, 0.9, 0.99, 1.0,
];

/// The normalised value the parameter really takes for `normalized`: on one of its steps
/// (a discrete parameter's, or a float parameter's step size).
///
/// # Safety
/// `ptr` must point into a live parameter object.
unsafe fn on_step(ptr: &ParamPtr, normalized: f32) -> f32 {
    unsafe {
        match ptr.step_count() {
            Some(steps) => (normalized * steps as f32).round() / steps as f32,
            None => ptr.preview_normalized(ptr.preview_plain(normalized)),
        }
    }
}

#[test]
fn every_parameter_parses_its_own_text() {
    let params = LacquerParams::default();
    let map = params.param_map();
    assert!(map.len() > 40, "param map has only {} entries", map.len());
    let mut failures = Vec::new();
    for (id, ptr, _) in &map {
        for n in NORMALIZED {
            // SAFETY: the pointers come from `params`' own map and `params` outlives the loop.
            unsafe {
                let expected = on_step(ptr, n);
                for include_unit in [true, false] {
                    let text = ptr.normalized_value_to_string(expected, include_unit);
                    match ptr.string_to_normalized_value(&text) {
                        Some(parsed) if (on_step(ptr, parsed) - expected).abs() <= 1e-5 => {}
                        other => failures.push(format!(
                            "{id}: {expected} shown as {text:?} parses to {other:?}"
                        )),
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Tone's text is "+25 (+0.8 dB tilt)"; a plain number, with or without the sign, or the
/// number with the tilt part from another value, reads as the number.
#[test]
fn tone_reads_plain_numbers_and_its_own_text() {
    let params = LacquerParams::default();
    let tone = &params.macros.tone;
    let map = params.param_map();
    let (_, ptr, _) = map.iter().find(|(id, _, _)| id == "tone").unwrap();
    // SAFETY: as above.
    let parse = |s: &str| unsafe { ptr.string_to_normalized_value(s) };
    let plain = |v: f32| nice_plug::prelude::Param::preview_normalized(tone, v);
    assert_eq!(parse("-100 (-3.0 dB tilt)"), Some(plain(-100.0)));
    assert_eq!(parse("+25 (+0.8 dB tilt)"), Some(plain(25.0)));
    assert_eq!(parse("25"), Some(plain(25.0)));
    assert_eq!(parse("+25"), Some(plain(25.0)));
    assert_eq!(parse(" -40 "), Some(plain(-40.0)));
    assert_eq!(parse("0 (+0.0 dB tilt)"), Some(plain(0.0)));
    assert_eq!(parse("-12.5"), Some(plain(-12.5)));
    assert_eq!(parse("warm"), None);
    assert_eq!(parse(""), None);
}
