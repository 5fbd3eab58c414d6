//! Reading pass/fail counts from the closing lines of `cargo test` and pytest, so that
//! `cargo xtask test` can end with one `N passed, N failed` line for the whole run.

/// Passed, failed and skipped tests, summed over everything `cargo xtask test` ran.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Counts {
    /// Adds another step's counts.
    pub fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// `(number, word)` pairs of a summary such as `3 passed; 0 failed` or `2 passed, 1 error`.
fn number_word_pairs(text: &str) -> Vec<(u64, String)> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',' || c == '=' || c == '.')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .windows(2)
        .filter_map(|pair| Some((pair[0].parse().ok()?, pair[1].to_ascii_lowercase())))
        .collect()
}

/// Counts from one line of `cargo test` output, if it is a libtest closing line:
/// `test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ...`.
/// Ignored tests count as skipped.
pub fn parse_libtest_line(line: &str) -> Option<Counts> {
    let rest = line.trim().strip_prefix("test result:")?;
    let mut counts = Counts::default();
    for (n, word) in number_word_pairs(rest) {
        match word.as_str() {
            "passed" => counts.passed += n,
            "failed" => counts.failed += n,
            "ignored" => counts.skipped += n,
            _ => {}
        }
    }
    Some(counts)
}

/// Counts from pytest's closing line, e.g. `==== 4 passed, 1 failed, 2 skipped in 1.20s ====`
/// or, with `-q`, `4 passed in 1.20s`. Errors (failures outside a test body) count as failed,
/// `xpassed` as failed too (an expected failure that passes hides a stale marker), `xfailed` as
/// skipped. Returns `None` for any other line.
pub fn parse_pytest_line(line: &str) -> Option<Counts> {
    let line = line.trim().trim_matches('=').trim();
    let (summary, _duration) = line.rsplit_once(" in ")?;
    if summary == "no tests ran" {
        return Some(Counts::default());
    }
    let mut counts = Counts::default();
    for part in summary.split(", ") {
        let (n, word) = part.trim().split_once(' ')?;
        let n: u64 = n.parse().ok()?;
        match word {
            "passed" => counts.passed += n,
            "failed" | "error" | "errors" | "xpassed" => counts.failed += n,
            "skipped" | "xfailed" | "deselected" => counts.skipped += n,
            "warning" | "warnings" => {}
            _ => return None,
        }
    }
    Some(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_closing_line() {
        let line = "test result: FAILED. 12 passed; 2 failed; 3 ignored; 0 measured; 1 filtered \
                    out; finished in 0.16s";
        assert_eq!(
            parse_libtest_line(line),
            Some(Counts {
                passed: 12,
                failed: 2,
                skipped: 3
            })
        );
    }

    #[test]
    fn libtest_other_lines_are_not_counts() {
        assert_eq!(parse_libtest_line("test foo ... ok"), None);
        assert_eq!(parse_libtest_line("running 5 tests"), None);
    }

    #[test]
    fn pytest_closing_lines() {
        let full = "=========== 4 passed, 1 failed, 2 skipped, 1 error in 1.20s ===========";
        assert_eq!(
            parse_pytest_line(full),
            Some(Counts {
                passed: 4,
                failed: 2,
                skipped: 2
            })
        );
        assert_eq!(
            parse_pytest_line("3 passed in 0.51s"),
            Some(Counts {
                passed: 3,
                failed: 0,
                skipped: 0
            })
        );
        assert_eq!(
            parse_pytest_line("========== no tests ran in 0.01s =========="),
            Some(Counts::default())
        );
        assert_eq!(
            parse_pytest_line("===== 2 passed, 1 warning in 0.30s ====="),
            Some(Counts {
                passed: 2,
                failed: 0,
                skipped: 0
            })
        );
    }

    #[test]
    fn pytest_other_lines_are_not_counts() {
        assert_eq!(
            parse_pytest_line("tests/vst3/test_vst3.py ....   [100%]"),
            None
        );
        assert_eq!(parse_pytest_line("collected 4 items"), None);
        assert_eq!(
            parse_pytest_line("E   AssertionError: gain 2.9 dB in channel 0"),
            None
        );
    }
}
