//! `stress-action history`'s output directory: the trend charts, history.md and history.json,
//! each written whole (to a temporary name, then renamed) so a reader never sees half a file.

use std::path::Path;

use super::chart::render_charts;
use super::render::history_markdown;
use super::store::HistoryError;
use super::trend::Trend;

/// Writes every file of the trend into `out`; returns their names in order.
pub fn write_trend(trend: &Trend, out: &Path) -> Result<Vec<String>, HistoryError> {
    let io = |what: &str| {
        let context = format!("cannot write {what} in {}", out.display());
        move |source| HistoryError::Io { context, source }
    };
    std::fs::create_dir_all(out).map_err(io("the directory"))?;
    let charts = render_charts(trend).map_err(|e| HistoryError::Invalid("trend chart".into(), e.to_string()))?;
    let mut files: Vec<(String, String)> = charts.into_iter().map(|c| (c.name, c.content)).collect();
    let chart_names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    files.push(("history.md".into(), history_markdown(trend, &chart_names)));
    let json =
        serde_json::to_string_pretty(trend).map_err(|e| HistoryError::Invalid("history.json".into(), e.to_string()))?;
    files.push(("history.json".into(), json + "\n"));
    for (name, content) in &files {
        let tmp = out.join(format!(".{name}.tmp"));
        std::fs::write(&tmp, content).map_err(io(name))?;
        std::fs::rename(&tmp, out.join(name)).map_err(io(name))?;
    }
    Ok(files.into_iter().map(|(n, _)| n).collect())
}
