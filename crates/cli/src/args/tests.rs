//! Unit tests of the argument checks.

use super::*;

fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
    Cli::try_parse_from(std::iter::once("lacquer").chain(args.iter().copied()))
}

fn master(args: &[&str]) -> MasterArgs {
    match parse(args).unwrap().command {
        Some(Command::Master(m)) => *m,
        other => panic!("expected master, got {other:?}"),
    }
}

#[test]
fn no_arguments_means_demo() {
    assert!(parse(&[]).unwrap().command.is_none());
    assert!(matches!(
        parse(&["demo"]).unwrap().command,
        Some(Command::Demo)
    ));
}

#[test]
fn master_defaults_are_the_plugin_defaults() {
    let m = master(&["master", "in.wav", "-o", "out.wav"]);
    assert_eq!(m.bit_depth, BitDepth::Int24);
    assert!(!m.force);
    let s = m.chain_settings().unwrap();
    assert_eq!(s.drive_db, 0.0);
    assert_eq!(s.ceiling_dbtp, -1.0);
    assert_eq!(s.output_db, 0.0);
    assert!(!s.bypass);
}

#[test]
fn negative_values_and_bit_depths_parse() {
    let m = master(&[
        "master",
        "in.wav",
        "-o",
        "out.wav",
        "--drive",
        "-3.5",
        "--ceiling",
        "-0.3",
        "--output",
        "-6",
        "--bit-depth",
        "32f",
        "--force",
    ]);
    let s = m.chain_settings().unwrap();
    assert_eq!(
        (s.drive_db, s.ceiling_dbtp, s.output_db),
        (-3.5, -0.3, -6.0)
    );
    assert_eq!(m.bit_depth, BitDepth::Float32);
    assert!(m.force);
    assert_eq!(
        master(&["master", "a", "-o", "b", "--bit-depth", "16"]).bit_depth,
        BitDepth::Int16
    );
    assert!(parse(&["master", "a", "-o", "b", "--bit-depth", "8"]).is_err());
}

#[test]
fn out_of_range_and_non_finite_values_are_refused() {
    for bad in [["--drive", "99"], ["--ceiling", "1"], ["--output", "NaN"]] {
        let m = master(&["master", "in.wav", "-o", "out.wav", bad[0], bad[1]]);
        let err = m.chain_settings().unwrap_err().to_string();
        assert!(
            err.contains(bad[0]) && err.contains("out of range"),
            "{err}"
        );
    }
}

#[test]
fn master_needs_an_output() {
    assert!(parse(&["master", "in.wav"]).is_err());
}

fn with(extra: &[&str]) -> MasterArgs {
    let mut args = vec!["master", "in.wav", "-o", "out.wav"];
    args.extend_from_slice(extra);
    master(&args)
}

#[test]
fn limiter_flags_reach_the_settings_and_are_range_checked() {
    let s = with(&["--lookahead", "5.5", "--release", "40", "--link", "30"])
        .chain_settings()
        .unwrap();
    assert_eq!(
        (s.lookahead_ms, s.release_ms, s.link_pct),
        (5.5, 40.0, 30.0)
    );
    let d = with(&[]).chain_settings().unwrap();
    assert_eq!(
        (d.lookahead_ms, d.release_ms, d.link_pct),
        (2.0, 150.0, 100.0)
    );
    for (flag, bad, range) in [
        ("--lookahead", "0.2", "from 0.5 to 10 ms"),
        ("--lookahead", "11", "from 0.5 to 10 ms"),
        ("--release", "5", "from 10 to 1000 ms"),
        ("--link", "-1", "from 0 to 100 %"),
        ("--link", "inf", "from 0 to 100 %"),
    ] {
        let err = with(&[flag, bad]).chain_settings().unwrap_err().to_string();
        assert!(err.starts_with(flag) && err.contains(range), "{err}");
    }
}

#[test]
fn a_preset_sets_goal_ceiling_macros_and_amounts_and_flags_override_them() {
    let m = with(&["--preset", "club"]);
    let s = m.chain_settings().unwrap();
    assert_eq!(s.ceiling_dbtp, -0.3);
    assert_eq!(s.macros.dynamics_pct, 60.0);
    assert!(s.macros.bass_mono_on && s.stages.eq.high_pass_on);
    assert_eq!(m.loudness_target().unwrap().unwrap().target_lufs, -8.0);
    let gentle = with(&["--preset", "Gentle"]).assist_job().unwrap().unwrap();
    assert_eq!(gentle.amounts.tone_pct, 50.0);
    let m = with(&[
        "--preset",
        "club",
        "--ceiling",
        "-1.5",
        "--target-lufs",
        "-10",
    ]);
    assert_eq!(m.chain_settings().unwrap().ceiling_dbtp, -1.5);
    assert_eq!(m.loudness_target().unwrap().unwrap().target_lufs, -10.0);
    let apple = with(&["--preset", "apple-music"])
        .loudness_target()
        .unwrap()
        .unwrap();
    assert_eq!(apple.platform, Some(Platform::Apple));
    let e = with(&["--preset", "loud"]).chain_settings().unwrap_err();
    assert!(e.to_string().contains("unknown preset 'loud'"), "{e}");
    let e = with(&["--preset", "club", "--drive", "3"])
        .chain_settings()
        .unwrap_err();
    assert!(e.to_string().contains("--drive and --preset"), "{e}");
}

#[test]
fn platform_sets_target_and_ceiling_and_flags_override_them() {
    let m = with(&["--platform", "amazon"]);
    let t = m.loudness_target().unwrap().unwrap();
    assert_eq!(t.target_lufs, -14.0);
    assert_eq!(t.max_gain_reduction_db, 12.0);
    assert_eq!(t.platform, Some(Platform::Amazon));
    assert_eq!(m.chain_settings().unwrap().ceiling_dbtp, -2.0);

    let m = with(&[
        "--platform",
        "Apple",
        "--ceiling",
        "-0.5",
        "--target-lufs",
        "-12",
    ]);
    assert_eq!(m.loudness_target().unwrap().unwrap().target_lufs, -12.0);
    assert_eq!(m.chain_settings().unwrap().ceiling_dbtp, -0.5);

    let m = with(&["--target-lufs", "-20", "--max-gr", "3"]);
    let t = m.loudness_target().unwrap().unwrap();
    assert_eq!(
        (t.target_lufs, t.max_gain_reduction_db, t.platform),
        (-20.0, 3.0, None)
    );
    assert_eq!(m.chain_settings().unwrap().ceiling_dbtp, -1.0);
    assert_eq!(with(&[]).loudness_target().unwrap(), None);
}

#[test]
fn unknown_platform_lists_the_valid_names() {
    let m = with(&["--platform", "napster"]);
    for err in [
        m.loudness_target().unwrap_err().to_string(),
        m.chain_settings().unwrap_err().to_string(),
    ] {
        assert!(err.contains("'napster'"), "{err}");
        for p in Platform::ALL {
            assert!(err.contains(p.cli_name()), "{err}");
        }
    }
}

#[test]
fn drive_conflicts_with_a_target() {
    for (other, value) in [("--target-lufs", "-14"), ("--platform", "spotify")] {
        let err = with(&["--drive", "3", other, value])
            .chain_settings()
            .unwrap_err()
            .to_string();
        assert!(err.contains("--drive") && err.contains(other), "{err}");
    }
    // Each alone is fine.
    assert!(with(&["--drive", "3"]).chain_settings().is_ok());
    assert!(with(&["--target-lufs", "-14"]).chain_settings().is_ok());
}

#[test]
fn target_and_max_gr_are_range_checked() {
    for ok in ["-30", "-6", "-14.5"] {
        assert!(
            with(&["--target-lufs", ok]).loudness_target().is_ok(),
            "{ok}"
        );
    }
    for bad in ["-30.5", "-5", "0", "NaN"] {
        let err = with(&["--target-lufs", bad])
            .loudness_target()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--target-lufs") && err.contains("-30 to -6 LUFS"),
            "{err}"
        );
    }
    for bad in ["-1", "25"] {
        let err = with(&["--platform", "cd", "--max-gr", bad])
            .loudness_target()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--max-gr") && err.contains("0 to 24 dB"),
            "{err}"
        );
    }
    let err = with(&["--max-gr", "6"])
        .loudness_target()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("--max-gr") && err.contains("--target-lufs"),
        "{err}"
    );
}

#[test]
fn fix_takes_a_list_of_named_problems_once_each() {
    let job = with(&["--fix", "mud,Harsh", "--fix", "muddy,dull"])
        .assist_job()
        .unwrap()
        .unwrap();
    assert_eq!(
        job.fix,
        vec![Problem::Mud, Problem::Harshness, Problem::Dullness]
    );
    assert!(with(&[]).assist_job().unwrap().unwrap().fix.is_empty());
    let err = parse(&["master", "in.wav", "-o", "o.wav", "--fix", "mud,bright"])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("unknown problem `bright`") && err.contains("boom, thin, mud, harsh, dull"),
        "{err}"
    );
    let err = with(&["--fix", "mud", "--no-assist"])
        .assist_job()
        .unwrap_err();
    assert!(err.to_string().contains("--fix"), "{err}");
}
