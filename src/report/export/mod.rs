//! Exporters: everything a person reads about a run, rendered from the view of `report.json`.
//!
//! [`finish`] is the one way a run directory is finished (`run`, `aggregate` and `report` call it):
//! every file format, then GitHub Actions ([`actions`]). The console tables ([`console`]) read the
//! same view but are printed, not written. Like hyperfine's `export/`, each output format is one small type behind [`Exporter`], and the
//! [`ExportManager`] writes each exporter's files as soon as they are rendered, so a failure in a later
//! format never costs the files of an earlier one (and never touches `report.json`). Rendering is
//! deterministic: the same `report.json` and `events.jsonl` give byte-identical files, which is what
//! lets `stress-action report DIR` regenerate a run directory and lets tests compare outputs.

pub mod actions;
pub mod console;
pub mod hlog;
mod html;
pub mod markdown;
pub mod mermaid;
pub mod svg;

use std::path::{Path, PathBuf};

pub use hlog::HlogExporter;
pub use html::HtmlExporter;
pub use markdown::{render_summary, MarkdownExporter};
pub use svg::SvgExporter;

use super::view::RunView;
use super::{ReadError, RunResult};

/// Why a format could not be rendered. The run's measurements are never affected.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("chart {chart}: {message}")]
    Chart { chart: String, message: String },
    #[error("template {template}: {message}")]
    Template { template: String, message: String },
    /// A file that is data, not a picture (histograms.hlog), could not be encoded.
    #[error("{file}: {message}")]
    Encode { file: String, message: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One rendered file: its name inside the run directory and its content.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub name: String,
    pub content: String,
}

/// What an exporter may read: the view (built once for all of them), the model, and the run
/// directory.
pub struct ExportContext<'a> {
    pub view: &'a RunView<'a>,
    pub result: &'a RunResult,
    pub run_dir: &'a Path,
}

/// One output format. `earlier` holds what the exporters before it rendered, so the HTML report can
/// inline charts without reading them back from disk.
pub trait Exporter {
    fn name(&self) -> &'static str;
    fn render(&self, ctx: &ExportContext<'_>, earlier: &[Rendered]) -> Result<Vec<Rendered>, ExportError>;
}

/// Runs every exporter in order and writes each one's files before starting the next.
pub struct ExportManager {
    exporters: Vec<Box<dyn Exporter>>,
}

impl Default for ExportManager {
    fn default() -> Self {
        Self {
            exporters: vec![
                Box::new(SvgExporter),
                Box::new(MarkdownExporter),
                Box::new(HtmlExporter),
                Box::new(HlogExporter),
            ],
        }
    }
}

impl ExportManager {
    /// Renders and writes every format; returns the names of the files written, in order.
    pub fn export(&self, result: &RunResult, run_dir: &Path) -> Result<Vec<String>, ExportError> {
        self.export_view(&RunView::build(result, run_dir), run_dir)
    }

    /// [`ExportManager::export`] of a view already built (the caller shows it elsewhere too).
    pub fn export_view(&self, view: &RunView<'_>, run_dir: &Path) -> Result<Vec<String>, ExportError> {
        self.export_timed(view, run_dir, &mut ExportTimes::default())
    }

    /// [`ExportManager::export_view`], adding the time spent writing files to `times` (a run's
    /// `timing` tells rendering from writing).
    fn export_timed(
        &self,
        view: &RunView<'_>,
        run_dir: &Path,
        times: &mut ExportTimes,
    ) -> Result<Vec<String>, ExportError> {
        let ctx = ExportContext {
            view,
            result: view.result,
            run_dir,
        };
        let mut done: Vec<Rendered> = Vec::new();
        for exporter in &self.exporters {
            let files = exporter.render(&ctx, &done)?;
            let started = std::time::Instant::now();
            for file in &files {
                write_atomic(&run_dir.join(&file.name), &file.content)?;
            }
            times.writing += started.elapsed();
            done.extend(files);
        }
        Ok(done.into_iter().map(|f| f.name).collect())
    }
}

/// `stress-action report DIR`: reads `DIR/report.json` and finishes the directory again from it.
pub fn render_run_dir(dir: &Path, warn: &dyn Fn(&str)) -> Result<(RunResult, Vec<String>), RenderDirError> {
    let result = RunResult::read_dir(dir)?;
    let files = finish(&RunView::build(&result, dir), dir, warn)?;
    Ok((result, files))
}

/// Bad input (exit 2) is told apart from a rendering failure (exit 1).
#[derive(Debug, thiserror::Error)]
pub enum RenderDirError {
    #[error(transparent)]
    Input(#[from] ReadError),
    #[error("rendering failed: {0}")]
    Export(#[from] ExportError),
}

/// Finishes a run directory, the one way `run`, `aggregate` and `report` all do it: renders every
/// format, then feeds GitHub Actions (job summary, outputs, annotations). Actions are fed even when a
/// format failed, so the job still shows the verdict; the caller decides what a rendering failure
/// means (a warning after a run, whose report.json is already safe; exit 1 for `report`).
pub fn finish(view: &RunView<'_>, run_dir: &Path, warn: &dyn Fn(&str)) -> Result<Vec<String>, ExportError> {
    finish_timed(view, run_dir, warn).0
}

/// Of [`finish`]'s time, what went to writing files (the rest is rendering).
#[derive(Clone, Copy, Debug, Default)]
pub struct ExportTimes {
    pub writing: std::time::Duration,
}

/// [`finish`], saying how long writing the files took.
pub fn finish_timed(
    view: &RunView<'_>,
    run_dir: &Path,
    warn: &dyn Fn(&str),
) -> (Result<Vec<String>, ExportError>, ExportTimes) {
    let mut times = ExportTimes::default();
    let exported = ExportManager::default().export_timed(view, run_dir, &mut times);
    actions::export_from_env(view.result, run_dir, warn);
    (exported, times)
}

/// What `run` and `aggregate` say when [`finish`] failed: the measurements are intact.
pub fn rendering_failed(run_dir: &Path, e: &ExportError) -> String {
    format!(
        "rendering the reports failed ({e}); report.json is intact, retry with `stress-action report {}`",
        run_dir.display()
    )
}

fn write_atomic(path: &Path, content: &str) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, content).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
