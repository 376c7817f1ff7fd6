//! Mermaid `xychart-beta` blocks: charts that render inline in summary.md and in a PR comment with
//! nothing uploaded. The one builder for both, so they draw the view's chart data the same way.

use crate::report::view::Chart;

/// A fenced block, without a newline after the closing fence.
pub fn xychart(chart: &Chart) -> String {
    let mut out = format!(
        "```mermaid\nxychart-beta\n    title \"{}\"\n    x-axis [{}]\n    y-axis \"{}\" 0 --> {:.0}\n",
        chart.title,
        chart.labels.join(", "),
        chart.y_label,
        chart.y_max()
    );
    for series in &chart.series {
        let values: Vec<String> = series.iter().map(|v| format!("{v:.1}")).collect();
        out.push_str(&format!("    line [{}]\n", values.join(", ")));
    }
    out.push_str("```");
    out
}
