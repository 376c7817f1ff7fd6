//! What `publish` sends, gathered in `DIR/published/` before anything leaves the machine: only the
//! files a run directory holds by construction, each under a size cap and through the credential
//! scan, plus what publishing renders itself from report.json.
//!
//! In the fork-PR recipe every byte of the run directory was written by the fork. So publishing
//! never posts or uploads a rendered file it was handed (summary.md, report.html, charts, a stray
//! `pwn.html`): it re-renders them from report.json, which must first match the schema. The
//! inputs it does pass on are data, not markup: report.json, events.jsonl, the logs and evidence/
//! (served as `text/plain`). `DIR/published/` then holds exactly what was uploaded, byte for byte.
//!
//! The verdict shown is judged again from report.json's own numbers (`report::thresholds`, then
//! `report::verdict`), as `run` and `aggregate` judge: a report whose `verdict` field says pass
//! while its counts hold corruption is shown as the failure it records.

pub mod files;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::publish::error::PublishError;
use crate::publish::redact::{Counts, Redactor};
use crate::report::thresholds;
use crate::report::verdict;
use crate::report::{RunResult, REPORT_FILE};
use files::Entry;

/// The directory inside the run directory that holds what was published.
pub const PUBLISHED_DIR: &str = "published";
const MIB: u64 = 1024 * 1024;
/// report.json above this is refused (exit 2): a real one, histograms included, is well under 1 MiB.
pub const REPORT_CAP: u64 = 32 * MIB;
/// The data files passed on when present, with their caps (a 30 MB events.jsonl is normal).
pub const DATA_FILES: [(&str, u64); 3] = [
    ("events.jsonl", 128 * MIB),
    ("run.log", 16 * MIB),
    ("error-details.log", 16 * MIB),
];
pub const EVIDENCE_DIR: &str = "evidence";
pub const EVIDENCE_FILE_CAP: u64 = MIB;
pub const EVIDENCE_TOTAL_CAP: u64 = 16 * MIB;
/// The recorder writes `evidence/<op>/<file>`; deeper trees are not its.
const EVIDENCE_DEPTH: usize = 2;
/// Names of files not published that s3-manifest.json lists; the rest are counted.
const MAX_NOT_PUBLISHED_NAMED: usize = 50;
/// What publishing itself writes into the run directory; not "left out" when found there.
pub const OWN_FILES: [&str; 4] = ["comment.md", "comparison.md", "s3-manifest.json", PUBLISHED_DIR];

/// A file of the run directory that was not passed on, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub file: String,
    /// Its size in bytes, when it is a regular file.
    pub size: Option<u64>,
    pub why: String,
}

/// What the staging left out or changed: recorded in s3-manifest.json and said as warnings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageNotes {
    /// Files publishing would pass on but did not (over a cap, not a regular file).
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// Credentials replaced, per published file and kind; never the values.
    #[serde(default)]
    pub redactions: BTreeMap<String, Counts>,
    /// Other entries of the run directory (not data publishing passes on, nor a file it
    /// renders): the first few by name, all by count.
    #[serde(default)]
    pub not_published: Vec<String>,
    #[serde(default)]
    pub not_published_total: usize,
    /// Set when report.json's `verdict` is not what its numbers give.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejudged: Option<Rejudged>,
}

/// report.json claimed one verdict; judged from its numbers, the run has another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rejudged {
    pub claimed: String,
    pub judged: String,
}

impl StageNotes {
    /// Adds the redactions made in `file`.
    pub fn count(&mut self, file: &str, counts: Counts) {
        if !counts.is_empty() {
            let entry = self.redactions.entry(file.to_string()).or_default();
            for (kind, n) in counts {
                *entry.entry(kind).or_default() += n;
            }
        }
    }

    fn skip(&mut self, file: impl Into<String>, size: Option<u64>, why: impl Into<String>) {
        self.skipped.push(Skipped {
            file: file.into(),
            size,
            why: why.into(),
        });
    }

    /// One warning per skipped file and one for all redactions, for the console.
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .skipped
            .iter()
            .map(|s| format!("not publishing {}: {}", s.file, s.why))
            .collect();
        if self.not_published_total > 0 {
            let mut names = self
                .not_published
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if self.not_published_total > 10 {
                names.push_str(&format!(" and {} more", self.not_published_total - 10));
            }
            out.push(format!(
                "not publishing what a run directory does not hold by construction \
                 (publishing renders its own reports from report.json): {names}"
            ));
        }
        if let Some(r) = &self.rejudged {
            out.push(format!(
                "report.json says the verdict is {}, but judged from its own numbers it is {}: \
                 publishing shows {}",
                r.claimed, r.judged, r.judged
            ));
        }
        if !self.redactions.is_empty() {
            let per_file: Vec<String> = self
                .redactions
                .iter()
                .map(|(file, kinds)| {
                    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
                    format!("{file} ({})", kinds.join(", "))
                })
                .collect();
            out.push(format!(
                "redacted credential-shaped strings before publishing: {}",
                per_file.join("; ")
            ));
        }
        out
    }
}

/// A run directory gathered for publishing.
pub struct Staged {
    /// `DIR/published/`.
    pub dir: PathBuf,
    /// Read from the redacted report.json: everything rendered from it is clean.
    pub result: RunResult,
    pub notes: StageNotes,
}

/// `DIR/report.json`, a regular file under [`REPORT_CAP`] that matches the schema. Every failure
/// is bad input (exit 2); the message names the file and fields, with credentials redacted.
pub fn read_report(dir: &Path, redactor: &Redactor) -> Result<Vec<u8>, PublishError> {
    let path = dir.join(REPORT_FILE);
    let bad =
        |why: String| PublishError::Input(redactor.text(&format!("{}: {why}", path.display()), &mut Counts::new()));
    match files::entry(&path)? {
        Entry::Missing => {
            return Err(bad(
                "no report.json there (is it a run directory written by `stress-action run`?)".into(),
            ))
        }
        Entry::Other => return Err(bad("not a regular file; publishing reads no links".into())),
        Entry::File(size) if size > REPORT_CAP => {
            return Err(bad(format!("{size} bytes, over the {} MiB cap", REPORT_CAP / MIB)))
        }
        Entry::File(_) => {}
    }
    let data = files::read_capped(&path, REPORT_CAP)?;
    let value: serde_json::Value =
        serde_json::from_slice(&data).map_err(|e| bad(format!("not a valid report.json: {e}")))?;
    schema::validate(&value).map_err(|fields| {
        bad(format!(
            "does not match schema/report.schema.json: {}",
            fields.join("; ")
        ))
    })?;
    Ok(data)
}

/// Builds `DIR/published/` from `report` (as [`read_report`] returned it) and the data files.
pub fn stage(dir: &Path, report: &[u8], redactor: &Redactor) -> Result<Staged, PublishError> {
    let out = files::fresh_dir(&dir.join(PUBLISHED_DIR))?;
    let mut notes = StageNotes::default();
    let mut counts = Counts::new();
    let mut redacted = Vec::with_capacity(report.len());
    redactor
        .copy(report, &mut redacted, &mut counts)
        .map_err(|e| PublishError::io("cannot scan report.json", e))?;
    notes.count(REPORT_FILE, counts);
    files::write_replacing(&out.join(REPORT_FILE), &redacted)?;
    let mut result = RunResult::from_json(&redacted, REPORT_FILE).map_err(|e| PublishError::Input(e.to_string()))?;
    notes.rejudged = rejudge(&mut result);
    for (name, cap) in DATA_FILES {
        match files::entry(&dir.join(name))? {
            Entry::Missing => {}
            Entry::Other => notes.skip(name, None, "not a regular file"),
            Entry::File(size) if size > cap => notes.skip(name, Some(size), format!("over the {} MiB cap", cap / MIB)),
            Entry::File(_) => {
                let counts = files::copy_redacted(&dir.join(name), &out.join(name), cap, redactor)?;
                notes.count(name, counts);
            }
        }
    }
    stage_evidence(dir, &out, redactor, &mut notes)?;
    Ok(Staged {
        dir: out,
        result,
        notes,
    })
}

/// Evaluates the thresholds and judges the run again from its numbers, in place; says so when the
/// verdict report.json claimed is not the one its numbers give.
fn rejudge(result: &mut RunResult) -> Option<Rejudged> {
    let claimed = result.verdict;
    thresholds::apply(result);
    verdict::judge(result);
    (result.verdict != claimed).then(|| Rejudged {
        claimed: claimed.as_str().to_string(),
        judged: result.verdict.as_str().to_string(),
    })
}

/// `evidence/`: each file under [`EVIDENCE_FILE_CAP`], in name order until [`EVIDENCE_TOTAL_CAP`].
fn stage_evidence(dir: &Path, out: &Path, redactor: &Redactor, notes: &mut StageNotes) -> Result<(), PublishError> {
    let root = dir.join(EVIDENCE_DIR);
    match std::fs::symlink_metadata(&root) {
        Err(_) => return Ok(()),
        Ok(m) if !m.file_type().is_dir() => {
            notes.skip(EVIDENCE_DIR, None, "not a directory");
            return Ok(());
        }
        Ok(_) => {}
    }
    let (found, refused) = files::walk(&root, EVIDENCE_DEPTH)?;
    for name in refused {
        notes.skip(
            format!("{EVIDENCE_DIR}/{name}"),
            None,
            "not a regular file with a plain name",
        );
    }
    let mut total = 0;
    for name in found {
        let rel = format!("{EVIDENCE_DIR}/{name}");
        let size = match files::entry(&dir.join(&rel))? {
            Entry::File(size) => size,
            _ => continue,
        };
        if size > EVIDENCE_FILE_CAP {
            notes.skip(
                rel,
                Some(size),
                format!("over the {} MiB cap per evidence file", EVIDENCE_FILE_CAP / MIB),
            );
            continue;
        }
        if total + size > EVIDENCE_TOTAL_CAP {
            notes.skip(
                rel,
                Some(size),
                format!("over the {} MiB cap for all evidence", EVIDENCE_TOTAL_CAP / MIB),
            );
            continue;
        }
        total += size;
        let target = out.join(&rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| PublishError::io(format!("cannot create {}", parent.display()), e))?;
        }
        let counts = files::copy_redacted(&dir.join(&rel), &target, EVIDENCE_FILE_CAP, redactor)?;
        notes.count(&rel, counts);
    }
    Ok(())
}

/// Scans files publishing rendered into the staged directory (a secret that reached the model in
/// a form the input scan could not see, such as a JSON `\u` escape, is caught on the way out).
pub fn redact_rendered(
    staged: &Path,
    names: &[String],
    redactor: &Redactor,
    notes: &mut StageNotes,
) -> Result<(), PublishError> {
    for name in names {
        let path = staged.join(name);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| PublishError::io(format!("cannot read {}", path.display()), e))?;
        let mut counts = Counts::new();
        let clean = redactor.text(&text, &mut counts);
        if !counts.is_empty() {
            files::write_replacing(&path, clean.as_bytes())?;
            notes.count(name, counts);
        }
    }
    Ok(())
}

/// Top-level entries of the run directory that were not published: neither data publishing
/// passes on, nor a file it renders (`rendered`) or writes itself.
pub fn note_left_out(dir: &Path, rendered: &[String], notes: &mut StageNotes) -> Result<(), PublishError> {
    let list = |e| PublishError::io(format!("cannot list {}", dir.display()), e);
    let mut left_out = Vec::new();
    for item in std::fs::read_dir(dir).map_err(list)? {
        let name = item.map_err(list)?.file_name().to_string_lossy().into_owned();
        let known = name == REPORT_FILE
            || name == EVIDENCE_DIR
            || DATA_FILES.iter().any(|(f, _)| *f == name)
            || OWN_FILES.contains(&name.as_str())
            || rendered.contains(&name);
        if !known {
            left_out.push(name);
        }
    }
    left_out.sort();
    notes.not_published_total = left_out.len();
    left_out.truncate(MAX_NOT_PUBLISHED_NAMED);
    notes.not_published = left_out;
    Ok(())
}
