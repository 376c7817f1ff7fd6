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

/// Longest piece of report text shown in one place; the rest is cut with `…`.
const MAX_TEXT_CHARS: usize = 300;

/// Report text as markdown that shows exactly that text, safe inside a table cell and inside the
/// raw HTML of `<details>`. report.json may come from a fork, so any string in it can be an attack
/// on the comment or report.html: no markup survives (`<`, `>`, `&` become entities), no markdown
/// syntax (every character that can open a link or image, code, emphasis, strikethrough, math, a
/// table column or an escape is backslash-escaped; `_` inside a word cannot, so `clone_mode`
/// stays readable), no link GitHub would make from bare text (`https\://`, `www\.`), no mention
/// or issue reference (`@`, `#123` get an invisible word joiner), no line break, no control or
/// bidirectional-override character. Text that starts a line cannot open a block either.
pub fn cell(text: &str) -> String {
    let text = text.trim_start();
    let mut out = String::with_capacity(text.len() + 16);
    let chars: Vec<char> = text.chars().take(MAX_TEXT_CHARS).collect();
    for (i, &ch) in chars.iter().enumerate() {
        match ch {
            // What would open a list where the text starts a line (`- `, `1. `; `#` below).
            '-' | '+' if i == 0 && ends_marker(&chars, i) => {
                out.push('\\');
                out.push(ch);
            }
            '.' | ')' if i > 0 && chars[..i].iter().all(char::is_ascii_digit) && ends_marker(&chars, i) => {
                out.push('\\');
                out.push(ch);
            }
            '#' => {
                if i == 0 {
                    out.push('\\');
                }
                out.push('#');
                if chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                    out.push('\u{2060}');
                }
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '[' | ']' | '|' | '~' | '$' => {
                out.push('\\');
                out.push(ch);
            }
            '_' if !(i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())) =>
            {
                out.push_str("\\_");
            }
            ':' if chars.get(i + 1) == Some(&'/') => out.push_str("\\:"),
            '.' if i >= 3 && chars[i - 3..i].iter().collect::<String>().eq_ignore_ascii_case("www") => {
                out.push_str("\\.");
            }
            '@' => out.push_str("@\u{2060}"),
            c if c.is_control() || is_bidi_control(c) => out.push(' '),
            c => out.push(c),
        }
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        out.push('…');
    }
    out
}

/// Whether `chars[i]` ends a list marker: whitespace or nothing follows.
fn ends_marker(chars: &[char], i: usize) -> bool {
    chars.get(i + 1).is_none_or(|c| c.is_whitespace())
}

/// Report text inside a code span (`` `profile` ``): nothing in a code span is markup, so only what
/// could end the span or the line is changed (backticks become `'`).
pub fn code(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_TEXT_CHARS)
        .map(|c| match c {
            '`' => '\'',
            c if c.is_control() || is_bidi_control(c) => ' ',
            c => c,
        })
        .collect();
    if text.chars().count() > MAX_TEXT_CHARS {
        out.push('…');
    }
    format!("`{}`", out.trim())
}

/// Characters that reorder how the text around them is displayed ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's dialect as far as comrak has it: tables, strikethrough, bare-URL and email links.
    fn html(markdown: &str) -> String {
        let mut options = comrak::Options::default();
        options.extension.table = true;
        options.extension.strikethrough = true;
        options.extension.autolink = true;
        options.render.r#unsafe = true;
        comrak::markdown_to_html(markdown, &options)
    }

    const ATTACKS: [&str; 12] = [
        "<script>alert(1)</script>",
        "[click](https://evil.example)",
        "![x](https://evil.example/x.png)",
        "https://evil.example and www.evil.example and a@evil.example",
        "| forged | ✅ pass |",
        "`code` **bold** _it_ ~~gone~~ $x$",
        "line one\nline two\r\n# heading",
        "&lt;script&gt; &#60;b&#62;",
        "\\| escaped pipe \\",
        "@octocat see #123",
        "# title",
        "1. item",
    ];

    #[test]
    fn report_text_renders_as_itself_and_nothing_more() {
        for attack in ATTACKS {
            let row = format!("| a | b |\n|---|---|\n| {} | {} |\n", cell(attack), cell("x"));
            let out = html(&row);
            assert!(
                !out.contains("<a ") && !out.contains("<script") && !out.contains("<img"),
                "{attack:?}: {out}"
            );
            for tag in ["<strong>", "<em>", "<del>", "<code>", "<h1>", "<ol>"] {
                assert!(!out.contains(tag), "{attack:?}: {out}");
            }
            assert_eq!(out.matches("<td>").count(), 2, "two cells: {attack:?}: {out}");
            // Paragraph starts, list items, setext lines: the text opens no block either.
            let line = html(&format!("- {}\n", cell(attack)));
            assert_eq!(line.matches("<li>").count(), 1, "{attack:?}: {line}");
            assert!(!line.contains("<h1>") && !line.contains("<ol>"), "{attack:?}: {line}");
        }
        // What a reader sees is the text itself.
        let shown = html(&format!(
            "| a |\n|---|\n| {} |\n",
            cell("[click](https://x.example) <b>&amp; | *y*")
        ));
        assert!(
            shown.contains("<td>[click](https://x.example) &lt;b&gt;&amp;amp; | *y*</td>"),
            "{shown}"
        );
        let mention = cell("@octocat #123");
        assert!(!mention.contains("@octocat") && !mention.contains("#123"), "{mention}");
        assert_eq!(cell("clone_mode http_error_502"), "clone_mode http_error_502");
        assert_eq!(cell(&"x".repeat(400)).chars().count(), 301);
        assert_eq!(cell("a\u{202E}b"), "a b");
    }

    #[test]
    fn code_spans_hold_any_text() {
        for attack in ATTACKS {
            let out = html(&format!("profile {}\n", code(attack)));
            assert_eq!(out.matches("<code>").count(), 1, "{attack:?}: {out}");
            assert!(!out.contains("<a ") && !out.contains("<script"), "{attack:?}: {out}");
        }
    }

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
