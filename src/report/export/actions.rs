//! GitHub Actions as an output format: job summary, step outputs and annotations, written only when
//! the runner's variables exist. Nothing here can fail a run: GitHub's limits are met by shortening,
//! and I/O errors only warn, because the results are already on disk.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::markdown::format::verdict_line;
use crate::report::view::{first_corruptions, Headline};
use crate::report::RunResult;

/// GitHub rejects a step summary above 1 MiB.
pub const STEP_SUMMARY_LIMIT: usize = 1024 * 1024;
/// GitHub shows at most 10 annotations of each kind per step.
pub const MAX_ANNOTATIONS: usize = 10;
/// Infra errors on more than this fraction of operations get a warning annotation, even when the
/// verdict still passes: a flaky platform hides corruption behind failed checks.
pub const INFRA_WARNING_RATE: f64 = 0.01;

/// Where GitHub wants things, read from the environment once so tests can point it at temp files.
#[derive(Clone, Debug, Default)]
pub struct ActionsEnv {
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
    /// Annotations are workflow commands on stdout; only inside Actions do they mean anything.
    pub annotations: bool,
}

impl ActionsEnv {
    pub fn from_env() -> Self {
        let path = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        ActionsEnv {
            step_summary: path("GITHUB_STEP_SUMMARY"),
            output: path("GITHUB_OUTPUT"),
            annotations: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        }
    }
}

/// Part of finishing a run directory ([`super::finish`]): feeds whatever GitHub variables are set.
pub fn export_from_env(result: &RunResult, run_dir: &Path, warn: &dyn Fn(&str)) {
    let env = ActionsEnv::from_env();
    let mut stdout = std::io::stdout().lock();
    write(&env, result, run_dir, &mut stdout, warn);
}

/// Appends the job summary and the step outputs, and prints the annotations to `annotations`.
pub fn write(env: &ActionsEnv, result: &RunResult, run_dir: &Path, annotations: &mut dyn Write, warn: &dyn Fn(&str)) {
    let summary_path = run_dir.join("summary.md");
    if let Some(target) = &env.step_summary {
        let markdown = std::fs::read_to_string(&summary_path)
            .unwrap_or_else(|_| format!("## stress-action report\n\n{}\n", verdict_line(&Headline::of(result))));
        let used = std::fs::metadata(target).map(|m| m.len() as usize).unwrap_or(0);
        let text = fit_summary(&markdown, STEP_SUMMARY_LIMIT.saturating_sub(used));
        if let Err(e) = append(target, &text) {
            warn(&format!(
                "cannot append to GITHUB_STEP_SUMMARY {}: {e}",
                target.display()
            ));
        }
    }
    if let Some(target) = &env.output {
        let mut outputs = result_outputs(result);
        outputs.push(("report-dir", run_dir.display().to_string()));
        outputs.push(("summary-path", summary_path.display().to_string()));
        let text: String = outputs.iter().map(|(k, v)| output_entry(k, v)).collect();
        if let Err(e) = append(target, &text) {
            warn(&format!("cannot append to GITHUB_OUTPUT {}: {e}", target.display()));
        }
    }
    if env.annotations {
        let lines = annotation_lines(result, run_dir);
        if let Err(e) = annotations.write_all(lines.concat().as_bytes()) {
            warn(&format!("cannot write annotations: {e}"));
        }
    }
}

/// The outputs report.json alone decides, so every command that reads a run (`run`, `report`,
/// `publish`) gives the action the same `verdict` as the file, whatever else fails.
pub fn result_outputs(result: &RunResult) -> Vec<(&'static str, String)> {
    vec![
        ("verdict", result.verdict.as_str().to_string()),
        ("corrupted", result.totals.corrupted.to_string()),
        ("infra", result.totals.infra.to_string()),
    ]
}

/// Appends step outputs when running inside GitHub Actions (e.g. `report-url`, known only once
/// publishing uploaded); nothing otherwise.
pub fn set_outputs_from_env(outputs: &[(&str, String)], warn: &dyn Fn(&str)) {
    if let Some(target) = ActionsEnv::from_env().output {
        let text: String = outputs.iter().map(|(k, v)| output_entry(k, v)).collect();
        if let Err(e) = append(&target, &text) {
            warn(&format!("cannot append to GITHUB_OUTPUT {}: {e}", target.display()));
        }
    }
}

fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(text.as_bytes())
}

/// The summary cut at a line boundary to fit `budget` bytes, with a note saying so; a budget too small
/// for even the note gives nothing rather than a broken upload.
pub fn fit_summary(markdown: &str, budget: usize) -> String {
    if markdown.len() <= budget {
        return markdown.to_string();
    }
    let note = "\n\n_Summary shortened to fit GitHub's 1 MiB job summary limit: the full report is summary.md and report.html in the run directory._\n";
    // Room for the closing tags a cut may need (below), so adding them never overflows the budget.
    let closers = "\n</details>\n```\n";
    let Some(room) = budget.checked_sub(note.len() + closers.len()) else {
        return String::new();
    };
    let mut cut = 0;
    for (i, _) in markdown.match_indices('\n') {
        if i + 1 > room {
            break;
        }
        cut = i + 1;
    }
    let mut text = markdown[..cut].to_string();
    // A cut inside <details> or a code fence would swallow the note.
    if text.matches("<details>").count() > text.matches("</details>").count() {
        text.push_str("\n</details>\n");
    }
    if text.matches("```").count() % 2 == 1 {
        text.push_str("```\n");
    }
    if text.len() + note.len() > budget {
        return String::new();
    }
    text.push_str(note);
    text
}

/// `name<<DELIMITER` form: safe whatever the value holds, newlines included.
pub fn output_entry(name: &str, value: &str) -> String {
    let mut delimiter = "STRESS_ACTION_EOF".to_string();
    while value.contains(&delimiter) {
        delimiter.push('_');
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

/// `::error::` per corruption (the last slot summarizing the rest when there are more than fit) and
/// `::warning::` when infra errors pass [`INFRA_WARNING_RATE`].
pub fn annotation_lines(result: &RunResult, run_dir: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    let corrupted = result.totals.corrupted;
    if corrupted > 0 {
        let total = usize::try_from(corrupted).unwrap_or(usize::MAX);
        let shown = if total > MAX_ANNOTATIONS {
            MAX_ANNOTATIONS - 1
        } else {
            total
        };
        let details = first_corruptions(run_dir, shown);
        for d in &details {
            let message = format!(
                "{}: {} {}",
                d.location(),
                d.check.as_deref().unwrap_or("check"),
                d.detail.as_deref().unwrap_or("failed")
            );
            lines.push(format!(
                "::error title=stress-action corruption::{}\n",
                escape_data(&message)
            ));
        }
        let rest = corrupted - details.len() as u64;
        if rest > 0 {
            lines.push(format!(
                "::error title=stress-action corruption::{}\n",
                escape_data(&format!(
                    "{rest} more corrupted operations ({corrupted} in total); see summary.md and events.jsonl"
                ))
            ));
        }
    }
    let t = &result.totals;
    if t.infra > 0 && t.planned > 0 && t.infra as f64 / t.planned as f64 > INFRA_WARNING_RATE {
        let classes = result
            .infra_classes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        lines.push(format!(
            "::warning title=stress-action infra errors::{}\n",
            escape_data(&format!(
                "{} of {} operations failed on infrastructure ({classes})",
                t.infra, t.planned
            ))
        ));
    }
    lines
}

/// Workflow command data escaping, as the runner expects it.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_summary_shortens_at_a_line_and_says_so() {
        let md: String = (0..1000).map(|i| format!("| row {i} |\n")).collect();
        assert_eq!(fit_summary(&md, md.len()), md);
        let short = fit_summary(&md, 2000);
        assert!(short.len() <= 2000, "{}", short.len());
        assert!(short.contains("shortened"), "{short}");
        assert!(short.starts_with("| row 0 |\n"));
        assert_eq!(fit_summary(&md, 10), "");
    }

    #[test]
    fn output_entries_survive_the_delimiter_in_values() {
        assert_eq!(
            output_entry("verdict", "pass"),
            "verdict<<STRESS_ACTION_EOF\npass\nSTRESS_ACTION_EOF\n"
        );
        let tricky = output_entry("x", "a\nSTRESS_ACTION_EOF\nb");
        assert!(tricky.starts_with("x<<STRESS_ACTION_EOF_\n"), "{tricky}");
    }
}
