//! How summary.md (and the PR comment, which quotes it) writes things: icons for verdicts, escaped
//! table cells, milliseconds without false precision.

use crate::report::view::{Headline, SelfTest};
use crate::report::Verdict;

pub fn icon(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
        Verdict::Inconclusive => "⚠️",
    }
}

/// `✅ **pass**: 10 of 10 operations verified in 1 workload`; a self-test run says first what it
/// injected: `❌ **fail** · 3 corruptions injected by the self-test, 3 detected: ...`.
pub fn verdict_line(headline: &Headline<'_>) -> String {
    let (icon, word) = (icon(headline.verdict), headline.verdict.as_str());
    let mut line = format!("{icon} **{word}**");
    if let Some(st) = &headline.self_test {
        line.push_str(" · ");
        line.push_str(&self_test_line(st));
    }
    let reasons = headline.reasons.join("; ");
    if !reasons.is_empty() {
        line.push_str(": ");
        line.push_str(&cell(&reasons));
    }
    line
}

/// `3 corruptions injected by the self-test, 3 detected` (`, **1 missed**` when the checks missed
/// some).
pub fn self_test_line(st: &SelfTest) -> String {
    let noun = if st.injected == 1 { "corruption" } else { "corruptions" };
    let mut line = format!(
        "{} {noun} injected by the self-test, {} detected",
        st.injected, st.detected
    );
    if st.missed() > 0 {
        line.push_str(&format!(", **{} missed**", st.missed()));
    }
    line
}

/// Milliseconds as people read them: no false precision on big numbers.
pub fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Text safe inside a markdown table cell and inside the raw HTML of `<details>`.
pub fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars().take(300) {
        match ch {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' => out.push('\''),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_self_test_headline_says_what_was_injected_and_what_was_missed() {
        let caught = SelfTest {
            injected: 3,
            detected: 3,
        };
        assert_eq!(
            self_test_line(&caught),
            "3 corruptions injected by the self-test, 3 detected"
        );
        let missed = SelfTest {
            injected: 4,
            detected: 3,
        };
        assert_eq!(
            self_test_line(&missed),
            "4 corruptions injected by the self-test, 3 detected, **1 missed**"
        );
    }
}
