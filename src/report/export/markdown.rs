//! `summary.md`: the view reviewers read in a job summary or PR comment, from `templates/summary.md.j2`.

use std::path::Path;

use minijinja::Environment;

use super::corruptions::first_corruptions;
use super::view::{self, CORRUPTION_DETAILS};
use super::{ExportContext, ExportError, Exporter, Rendered};
use crate::report::RunResult;

/// Compiled into the binary so a release needs no files next to it.
const SUMMARY_TEMPLATE: &str = include_str!("../../../templates/summary.md.j2");

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn name(&self) -> &'static str {
        "markdown"
    }

    fn render(&self, ctx: &ExportContext<'_>, _earlier: &[Rendered]) -> Result<Vec<Rendered>, ExportError> {
        Ok(vec![Rendered {
            name: "summary.md".to_string(),
            content: render_summary(ctx.result, ctx.run_dir)?,
        }])
    }
}

/// The summary markdown of a run. Public so publishers (PR comment) show exactly what the job summary
/// shows; `run_dir` is only read for the corruption details in `events.jsonl`.
pub fn render_summary(result: &RunResult, run_dir: &Path) -> Result<String, ExportError> {
    let corruptions = if result.totals.corrupted > 0 {
        first_corruptions(run_dir, CORRUPTION_DETAILS)
    } else {
        Vec::new()
    };
    let view = view::build(result, &corruptions);
    render_template("summary.md", SUMMARY_TEMPLATE, &view)
}

/// Markdown-friendly whitespace handling: block tags take their line with them.
pub(super) fn render_template<S: serde::Serialize>(name: &str, source: &str, ctx: &S) -> Result<String, ExportError> {
    let err = |e: minijinja::Error| ExportError::Template {
        template: name.to_string(),
        message: e.to_string(),
    };
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(err)?;
    env.set_syntax(syntax);
    env.add_template(name, source).map_err(err)?;
    env.get_template(name)
        .map_err(err)?
        .render(minijinja::value::Serde(ctx))
        .map_err(err)
}
