//! How summary.md (and the PR comment, which quotes it) writes things: icons for verdicts, escaped
//! table cells, milliseconds without false precision.

use crate::report::view::Headline;
use crate::report::Verdict;

pub fn icon(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
        Verdict::Inconclusive => "⚠️",
    }
}

/// `✅ **pass**: 10 of 10 operations verified in 1 workload`.
pub fn verdict_line(headline: &Headline<'_>) -> String {
    let (icon, word) = (icon(headline.verdict), headline.verdict.as_str());
    let reasons = headline.reasons.join("; ");
    if reasons.is_empty() {
        format!("{icon} **{word}**")
    } else {
        format!("{icon} **{word}**: {}", cell(&reasons))
    }
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
