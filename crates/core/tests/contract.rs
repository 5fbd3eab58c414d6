//! The parameter contract pinned: every id, name, unit, range, step, default and scale is
//! written out in `tests/contract.snapshot`, so changing any of them is a visible decision in
//! review. Ids must never change (saved projects and automation use them); a range, step or
//! default may change only on purpose, together with the snapshot and the CHANGELOG.

use lacquer_core::chain::ChainSettings;
use lacquer_core::contract::{self, Scale};

fn render_contract() -> String {
    let mut out = String::from("# id | name | unit | min | max | default | step | scale\n");
    for s in contract::floats() {
        let scale = match s.scale {
            Scale::Linear => "linear".to_string(),
            Scale::Skewed { exponent } => format!("skewed 2^{exponent}"),
        };
        out.push_str(&format!(
            "float {} | {} | {} | {} | {} | {} | {} | {}\n",
            s.id, s.name, s.unit, s.min, s.max, s.default, s.step, scale
        ));
    }
    for s in &contract::BOOLS {
        out.push_str(&format!(
            "bool {} | {} | default {}\n",
            s.id, s.name, s.default
        ));
    }
    for s in &contract::CHOICES {
        let entries: Vec<String> = s
            .entries
            .iter()
            .map(|(id, n)| format!("{id}={n}"))
            .collect();
        out.push_str(&format!(
            "choice {} | {} | default {} | {}\n",
            s.id,
            s.name,
            s.entries[s.default_index].0,
            entries.join(", ")
        ));
    }
    out
}

#[test]
fn the_contract_matches_its_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/contract.snapshot");
    let now = render_contract();
    if std::env::var_os("LACQUER_UPDATE_SNAPSHOT").is_some() {
        std::fs::write(&path, &now).unwrap();
    }
    let pinned = std::fs::read_to_string(&path).expect("tests/contract.snapshot is committed");
    let changed: Vec<String> = now
        .lines()
        .zip(pinned.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  pinned: {b}\n  now:    {a}"))
        .collect();
    assert!(
        changed.is_empty() && now.lines().count() == pinned.lines().count(),
        "the parameter contract changed ({} vs {} lines):\n{}\nIds never change. If a range, \
         step or default changed on purpose, rerun with LACQUER_UPDATE_SNAPSHOT=1 and say so in \
         CHANGELOG.md.",
        now.lines().count(),
        pinned.lines().count(),
        changed.join("\n")
    );
}

#[test]
fn ids_are_unique_and_every_lookup_resolves() {
    let mut ids: Vec<&str> = contract::floats().map(|s| s.id).collect();
    ids.extend(contract::BOOLS.iter().map(|s| s.id));
    ids.extend(contract::CHOICES.iter().map(|s| s.id));
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "an id appears twice");
    for s in contract::floats() {
        assert_eq!(contract::float(s.id), s);
        assert!(s.min < s.max, "{}: empty range", s.id);
        assert!(
            (s.min..=s.max).contains(&s.default),
            "{}: default outside",
            s.id
        );
        assert!(s.step > 0.0, "{}: step", s.id);
    }
}

/// The contract's defaults are the chain's defaults: a fresh plugin and the CLI without flags
/// render the same thing.
#[test]
fn defaults_are_the_chains_defaults() {
    for (id, value) in contract::settings_values(&ChainSettings::default()) {
        let spec = contract::float(id);
        assert!(
            (spec.default - value).abs() < 1e-6,
            "{id}: contract default {} but ChainSettings::default() gives {value}",
            spec.default
        );
    }
}

/// Every value the report lists lies on its parameter's step and inside its range once snapped,
/// and snapping never moves a value by more than half a step.
#[test]
fn snapping_stays_within_half_a_step() {
    for s in contract::floats() {
        for k in 0..=20 {
            let v = s.min + (s.max - s.min) * k as f32 / 20.0 + 0.37 * s.step;
            let snapped = s.snap(v);
            assert!((s.min..=s.max).contains(&snapped), "{}: {snapped}", s.id);
            if v <= s.max {
                assert!(
                    (snapped - v).abs() <= 0.5 * s.step + 1e-3,
                    "{}: {v} -> {snapped}",
                    s.id
                );
            }
        }
        assert_eq!(s.snap(f32::NAN), s.default);
    }
}
