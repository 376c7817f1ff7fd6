//! `report.html`: one file that opens offline. The summary markdown is rendered with comrak (GFM
//! tables) into `templates/report.html.j2`, and every chart is inlined as SVG; nothing is fetched.

use comrak::{markdown_to_html, Options};
use serde::Serialize;

use super::markdown::render_template;
use super::{ExportContext, ExportError, Exporter, Rendered};

const HTML_TEMPLATE: &str = include_str!("../../../templates/report.html.j2");

pub struct HtmlExporter;

#[derive(Serialize)]
struct Chart<'a> {
    name: &'a str,
    svg: &'a str,
}

#[derive(Serialize)]
struct Page<'a> {
    title: String,
    body: String,
    charts: Vec<Chart<'a>>,
}

impl Exporter for HtmlExporter {
    fn name(&self) -> &'static str {
        "html"
    }

    fn render(&self, ctx: &ExportContext<'_>, earlier: &[Rendered]) -> Result<Vec<Rendered>, ExportError> {
        let markdown = match earlier.iter().find(|r| r.name == "summary.md") {
            Some(md) => md.content.clone(),
            None => super::render_summary(ctx.view)?,
        };
        let mut options = Options::default();
        options.extension.table = true;
        options.extension.strikethrough = true;
        // The markdown is ours (user text is escaped when the view is built) and uses <details>.
        options.render.r#unsafe = true;
        let body = markdown_to_html(&markdown, &options);
        let charts = earlier
            .iter()
            .filter(|r| r.name.ends_with(".svg"))
            .map(|r| Chart {
                name: &r.name,
                svg: strip_xml_declaration(&r.content),
            })
            .collect();
        let page = Page {
            title: format!(
                "stress-action report {}: {} ({} on {})",
                ctx.result.display_label(),
                ctx.result.verdict.as_str(),
                ctx.result.profile,
                ctx.result.provider
            ),
            body,
            charts,
        };
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
