//! The composition: tempo, key, chord progression, patterns and arrangement of the demo, and
//! the rendering of each part into its own stem.
//!
//! A minor at 116 BPM, one chord per bar, Am - F - C - G twice (i - VI - III - VII), then a
//! final Am hit that rings out. Bar 1 is an intro (pad and hats, with a drum pickup), the
//! groove enters in bar 2, the lead melody from the end of bar 2, a snare fill closes bar 4,
//! bars 5-8 lift (16th hats, clap on the backbeat, open hats) and a tom fill closes bar 8.

use super::drums::Kit;
use super::dsp::SAMPLE_RATE_HZ;
use super::instruments::{Note, Stereo, bass, lead, pad};

/// Tempo in beats per minute.
pub const BPM: f64 = 116.0;
/// Bars of groove before the final hit (4/4 time).
pub const NUM_BARS: usize = 8;
/// Seconds the final chord, cymbal and reverb ring after the last downbeat.
pub const TAIL_S: f64 = 2.8;
/// Swing of the off-beat 16ths, as a fraction of a beat (0.0 = straight).
const SWING_BEATS: f64 = 0.035;

/// Pad voicings (MIDI notes) per bar of the 4-chord cycle, voice-led around middle C:
/// Am (A3 C4 E4 A4), F (A3 C4 F4 A4), C (G3 C4 E4 G4), G (G3 B3 D4 G4).
const PAD_CHORDS: [[f64; 4]; 4] = [
    [57.0, 60.0, 64.0, 69.0],
    [57.0, 60.0, 65.0, 69.0],
    [55.0, 60.0, 64.0, 67.0],
    [55.0, 59.0, 62.0, 67.0],
];

/// Bass roots (MIDI) of the cycle: A1, F1, C2, G1.
const BASS_ROOTS: [f64; 4] = [33.0, 29.0, 36.0, 31.0];

/// Bass groove per bar: (16th step, semitones above the root, length in 16ths, velocity).
const BASS_GROOVE: [(usize, f64, f64, f64); 7] = [
    (0, 0.0, 2.6, 1.0),
    (3, 0.0, 1.0, 0.6),
    (6, 12.0, 1.6, 0.8),
    (8, 0.0, 2.6, 0.95),
    (11, 0.0, 0.9, 0.6),
    (12, 7.0, 1.6, 0.75),
    (14, 12.0, 1.6, 0.8),
];

/// Lead melody: (bar, beat in bar, MIDI note, length in beats, velocity, slurred into the next
/// note). Phrase X over C-G (bars 3-4), phrase Y over Am-F (bars 5-6), X' over C-G resolving
/// to A4 on the final downbeat.
const MELODY: [(usize, f64, f64, f64, f64, bool); 32] = [
    (1, 3.0, 69.0, 0.5, 0.8, false),
    (1, 3.5, 72.0, 0.5, 0.85, true),
    (2, 0.0, 76.0, 1.0, 1.0, false),
    (2, 1.0, 74.0, 0.5, 0.85, false),
    (2, 1.5, 72.0, 0.5, 0.85, true),
    (2, 2.0, 74.0, 1.5, 0.9, false),
    (2, 3.5, 76.0, 0.5, 0.85, true),
    (3, 0.0, 74.0, 1.5, 0.95, false),
    (3, 1.5, 71.0, 0.5, 0.85, true),
    (3, 2.0, 67.0, 1.5, 0.9, false),
    (4, 0.0, 69.0, 0.5, 0.95, false),
    (4, 0.5, 72.0, 0.5, 0.85, false),
    (4, 1.0, 76.0, 1.0, 0.95, false),
    (4, 2.0, 74.0, 0.5, 0.85, false),
    (4, 2.5, 72.0, 0.5, 0.85, false),
    (4, 3.0, 76.0, 1.0, 0.9, true),
    (5, 0.0, 72.0, 1.5, 0.95, false),
    (5, 1.5, 69.0, 0.5, 0.85, false),
    (5, 2.0, 72.0, 0.5, 0.85, true),
    (5, 2.5, 74.0, 1.5, 0.9, false),
    (6, 0.0, 76.0, 1.0, 1.0, false),
    (6, 1.0, 74.0, 0.5, 0.85, false),
    (6, 1.5, 72.0, 0.5, 0.85, true),
    (6, 2.0, 74.0, 1.0, 0.9, false),
    (6, 3.0, 76.0, 0.5, 0.9, true),
    (6, 3.5, 79.0, 0.5, 0.95, true),
    (7, 0.0, 76.0, 1.5, 1.0, false),
    (7, 1.5, 74.0, 0.5, 0.85, true),
    (7, 2.0, 71.0, 1.0, 0.9, false),
    (7, 3.0, 74.0, 0.5, 0.85, false),
    (7, 3.5, 72.0, 0.5, 0.85, true),
    (8, 0.0, 69.0, 2.0, 0.95, false),
];

/// Seconds per beat at [`BPM`].
pub fn beat_s() -> f64 {
    60.0 / BPM
}

/// Sample position of a time in beats from the start.
pub fn beat_to_samples(beats: f64) -> usize {
    (beats * beat_s() * SAMPLE_RATE_HZ).round() as usize
}

/// Sample position of 16th step `step` (0..16) of bar `bar`, with swing on the odd steps.
fn step_to_samples(bar: usize, step: usize) -> usize {
    let swing = if step % 2 == 1 { SWING_BEATS } else { 0.0 };
    beat_to_samples(bar as f64 * 4.0 + step as f64 / 4.0 + swing)
}

/// Length of the whole piece in samples: the bars, the final downbeat and its tail.
pub fn total_samples() -> usize {
    beat_to_samples(NUM_BARS as f64 * 4.0) + (TAIL_S * SAMPLE_RATE_HZ) as usize
}

/// Every part of the arrangement rendered on its own, dry, at the sample rate of the mix.
pub struct Stems {
    /// Kick drum (mono).
    pub kick: Vec<f64>,
    /// Snare drum including fills (mono).
    pub snare: Vec<f64>,
    /// Hand clap doubling the backbeat in the second half (mono).
    pub clap: Vec<f64>,
    /// Closed and open hi-hats (mono).
    pub hats: Vec<f64>,
    /// Toms of the last fill (mono).
    pub toms: Vec<f64>,
    /// Crash cymbal on the final downbeat (mono).
    pub crash: Vec<f64>,
    /// Bass line (mono).
    pub bass: Vec<f64>,
    /// Chord pad (stereo).
    pub pad: Stereo,
    /// Lead melody, dry (mono); the mix adds its delay and reverb.
    pub lead: Vec<f64>,
}

/// Renders all parts of the arrangement.
pub fn render_stems() -> Stems {
    let n = total_samples();
    let mut kit = Kit::default();
    let mut s = Stems {
        kick: vec![0.0; n],
        snare: vec![0.0; n],
        clap: vec![0.0; n],
        hats: vec![0.0; n],
        toms: vec![0.0; n],
        crash: vec![0.0; n],
        bass: vec![0.0; n],
        pad: Stereo::silent(n),
        lead: vec![0.0; n],
    };
    for bar in 0..NUM_BARS {
        let groove = bar >= 1;
        let lift = bar >= 4;
        let fill = bar == 3 || bar == 7;
        for step in 0..16 {
            let at = step_to_samples(bar, step);
            // Hats: 8ths (accented on the beat) until the lift, then 16ths; open on the last "and".
            let open = groove && step == 14;
            if step % 2 == 0 || lift {
                let accent = if step % 4 == 0 { 1.0 } else { 0.7 };
                let velocity = if step % 2 == 1 { 0.45 } else { accent };
                let velocity = if bar == 0 { 0.75 * velocity } else { velocity };
                kit.hat(&mut s.hats, at, velocity, open);
            }
            if (groove && matches!(step, 0 | 7 | 8)) || (lift && step == 10) {
                kit.kick(&mut s.kick, at, if step == 0 { 1.0 } else { 0.9 });
            }
            if groove && matches!(step, 4 | 12) {
                kit.snare(&mut s.snare, at, 1.0);
                if lift {
                    kit.clap(&mut s.clap, at, 0.9);
                }
            }
            if groove && !fill && step == 15 {
                kit.snare(&mut s.snare, at, 0.25); // ghost note
            }
        }
    }
    // Pickup into the groove at the end of the intro, and the two fills.
    for (step, velocity) in [(13, 0.4), (14, 0.55), (15, 0.7)] {
        kit.snare(&mut s.snare, step_to_samples(0, step), velocity);
        kit.snare(&mut s.snare, step_to_samples(3, step), velocity + 0.15);
    }
    for (step, freq_hz) in [(12, 196.0), (13, 165.0), (14, 131.0), (15, 98.0)] {
        kit.tom(&mut s.toms, step_to_samples(7, step), 0.9, freq_hz);
    }
    // The final downbeat.
    let end = step_to_samples(NUM_BARS, 0);
    kit.kick(&mut s.kick, end, 1.0);
    kit.crash(&mut s.crash, end, 0.9);

    bass(&mut s.bass, &bass_notes());
    pad(&mut s.pad, &pad_notes(), 0x9ad);
    lead(&mut s.lead, &lead_notes());
    s
}

/// The bass part: the groove on each chord root from bar 2 on, walking up into the next
/// root in the fill bars, and a long root on the final downbeat.
fn bass_notes() -> Vec<Note> {
    let step_s = beat_s() / 4.0;
    let mut notes = Vec::new();
    for bar in 1..NUM_BARS {
        let root = BASS_ROOTS[bar % 4];
        let fill = bar == 3 || bar == 7;
        for &(step, interval, len_steps, velocity) in &BASS_GROOVE {
            // In fill bars the last two notes climb G -> A into the next bar's Am.
            let interval = match (fill, step) {
                (true, 12) => 12.0,
                (true, 14) => 14.0,
                _ => interval,
            };
            notes.push(Note {
                start_samples: step_to_samples(bar, step),
                hold_s: len_steps * step_s,
                pitch: root + interval,
                velocity,
            });
        }
    }
    notes.push(Note {
        start_samples: step_to_samples(NUM_BARS, 0),
        hold_s: 1.2,
        pitch: BASS_ROOTS[0],
        velocity: 1.0,
    });
    notes
}

/// The pad part: each bar's chord held for the bar, the final Am held longer.
fn pad_notes() -> Vec<Note> {
    let mut notes = Vec::new();
    for bar in 0..=NUM_BARS {
        let chord = PAD_CHORDS[bar % 4];
        let (hold_s, velocity) = match bar {
            0 => (4.0 * beat_s() - 0.05, 0.8),
            b if b == NUM_BARS => (1.4, 1.0),
            _ => (4.0 * beat_s() - 0.05, 1.0),
        };
        for pitch in chord {
            notes.push(Note {
                start_samples: beat_to_samples(bar as f64 * 4.0),
                hold_s,
                pitch,
                velocity,
            });
        }
    }
    notes
}

/// The lead part from [`MELODY`]: slurred notes are held to the next note-on (so the lead
/// glides), the others are shortened to 85 % of their length.
fn lead_notes() -> Vec<Note> {
    MELODY
        .iter()
        .map(|&(bar, beat, pitch, len_beats, velocity, slur)| Note {
            start_samples: beat_to_samples(bar as f64 * 4.0 + beat),
            hold_s: len_beats * beat_s() * if slur { 1.0 } else { 0.85 },
            pitch,
            velocity,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piece_fits_the_brief() {
        let duration_s = total_samples() as f64 / SAMPLE_RATE_HZ;
        assert!(
            (16.0..=20.0).contains(&duration_s),
            "duration {duration_s} s"
        );
        assert!((100.0..=124.0).contains(&BPM));
    }

    #[test]
    fn melody_is_in_a_minor_and_time_ordered() {
        // A natural minor pitch classes: A B C D E F G.
        let scale = [9, 11, 0, 2, 4, 5, 7];
        let mut last_start = 0.0;
        for &(bar, beat, pitch, len, _, _) in &MELODY {
            assert!(scale.contains(&((pitch as i64) % 12)), "pitch {pitch}");
            let start = bar as f64 * 4.0 + beat;
            assert!(start >= last_start && len > 0.0);
            last_start = start + len;
        }
    }

    #[test]
    fn chords_contain_their_bass_root() {
        for (chord, root) in PAD_CHORDS.iter().zip(BASS_ROOTS) {
            let root_class = root as i64 % 12;
            assert!(
                chord.iter().any(|&p| p as i64 % 12 == root_class),
                "{chord:?} vs {root}"
            );
        }
    }
}
