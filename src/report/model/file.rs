//! report.json on disk: the one way to write it (atomically) and the one way to read it, so every
//! command that starts from a run directory (`report`, `publish`, `compare`, `aggregate`) accepts
//! the same inputs and says the same thing about a wrong one.

use std::path::{Path, PathBuf};

use super::RunResult;

/// The model's file name inside a run directory.
pub const REPORT_FILE: &str = "report.json";

/// Why a report could not be read. Every variant is the user's input to fix (a path that is no run
/// directory, a file that is no report), which is why callers map all of them to exit 2.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read report {}: no such file (no report.json there: is it a run directory written by `stress-action run`?)", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read report {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read report {source_name}: not a valid report.json: {message}")]
    Invalid { source_name: String, message: String },
}

impl RunResult {
    /// Reads a run directory's report.json, or a report.json named directly.
    pub fn read_dir(path: &Path) -> Result<Self, ReadError> {
        let file = if path.is_dir() {
            path.join(REPORT_FILE)
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read(&file).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ReadError::Missing { path: file.clone() },
            _ => ReadError::Io {
                path: file.clone(),
                source,
            },
        })?;
        Self::from_json(&text, &file.display().to_string())
    }

    /// Parses a report fetched from elsewhere (a baseline in S3); `source_name` says where from.
    pub fn from_json(data: &[u8], source_name: &str) -> Result<Self, ReadError> {
        serde_json::from_slice(data).map_err(|e| ReadError::Invalid {
            source_name: source_name.to_string(),
            message: e.to_string(),
        })
    }

    /// Written to a temporary name and renamed, so readers never see half a report.
    pub fn write_atomic(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("json.tmp");
        let mut text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        text.push('\n');
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }
}

/// Run directories at or right under `dir` (one level: download-artifact never nests a run
/// directory deeper), in name order. The error names `dir` and says what was missing.
pub fn run_dirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    if dir.join(REPORT_FILE).is_file() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "{}: not a run directory and not readable as a directory of runs ({e})",
            dir.display()
        )
    })?;
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(REPORT_FILE).is_file())
        .collect();
    out.sort();
    if out.is_empty() {
        return Err(format!(
            "{}: holds no report.json, nor do its subdirectories (is it a run directory?)",
            dir.display()
        ));
    }
    Ok(out)
}
