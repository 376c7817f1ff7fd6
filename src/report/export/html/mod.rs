//! `report.html`: one file that opens offline and prints, laid out for a reader who must trust the
//! run at a glance. A verdict banner coloured by CSS (words, not emoji, carry the verdict), the
//! workloads under it; when the run failed, the corruption details open right below with links
//! into `evidence/`; then one section per workload, each table with its charts next to it and a
//! caption saying what good looks like. Everything comes from the view through
//! `templates/report.html.j2`, which escapes every piece of text; only the charts, rendered by
//! this crate, are inlined as they are.

mod page;
mod soak;

use super::markdown::render_template;
use super::{ExportContext, ExportError, Exporter, Rendered};

const HTML_TEMPLATE: &str = include_str!("../../../../templates/report.html.j2");

pub struct HtmlExporter;

impl Exporter for HtmlExporter {
    fn name(&self) -> &'static str {
        "html"
    }

    fn render(&self, ctx: &ExportContext<'_>, earlier: &[Rendered]) -> Result<Vec<Rendered>, ExportError> {
        let page = page::build(ctx.view, earlier);
        Ok(vec![Rendered {
            name: "report.html".to_string(),
            content: render_template("report.html", HTML_TEMPLATE, &page)?,
        }])
    }
}

/// An XML declaration is not allowed in the middle of an HTML document.
fn strip_xml_declaration(svg: &str) -> &str {
    let trimmed = svg.trim_start();
    if trimmed.starts_with("<?xml") {
        trimmed
            .find("?>")
            .map_or(trimmed, |end| trimmed[end + 2..].trim_start())
    } else {
        trimmed
    }
}
