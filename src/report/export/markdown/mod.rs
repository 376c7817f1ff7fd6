//! `summary.md`: the view reviewers read in a job summary or PR comment, from
//! `templates/summary.md.j2`. The template is given the view as text ([`context`]), formatted the
//! markdown way ([`format`]).

mod checkpoint;
pub(crate) mod context;
pub mod format;
mod lead;
mod sections;
pub mod soak;

use minijinja::Environment;

use super::{ExportContext, ExportError, Exporter, Rendered};
use crate::report::view::RunView;

/// Compiled into the binary so a release needs no files next to it.
const SUMMARY_TEMPLATE: &str = include_str!("../../../../templates/summary.md.j2");

pub struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn name(&self) -> &'static str {
        "markdown"
    }

    fn render(&self, ctx: &ExportContext<'_>, _earlier: &[Rendered]) -> Result<Vec<Rendered>, ExportError> {
        Ok(vec![Rendered {
            name: "summary.md".to_string(),
            content: render_summary(ctx.view)?,
        }])
    }
}

/// The summary markdown of a run.
pub fn render_summary(view: &RunView<'_>) -> Result<String, ExportError> {
    render_template("summary.md", SUMMARY_TEMPLATE, &context::build(view))
}

/// Markdown-friendly whitespace handling: block tags take their line with them.
pub(crate) fn render_template<S: serde::Serialize>(name: &str, source: &str, ctx: &S) -> Result<String, ExportError> {
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
