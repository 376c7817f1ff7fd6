//! leaderboard.json: several runs side by side, ranked. Built from the runs' report.json alone,
//! and the one input of every leaderboard output (markdown, HTML, charts, the PR comment), so
//! `publish` can re-render it without trusting any rendered file.

use serde::{Deserialize, Serialize};

use super::score;
use super::Run;
use crate::report::{decode_histogram, new_histogram, StorageSizeReport};

/// Bumped when a field changes meaning or disappears.
pub const LEADERBOARD_SCHEMA_VERSION: u32 = 1;
pub const LEADERBOARD_FILE: &str = "leaderboard.json";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Leaderboard {
    pub schema_version: u32,
    pub generated_at: String,
    /// How lifecycle rows are ranked, in words.
    pub score_formula: String,
    /// The runs compared, in the order given.
    pub runs: Vec<RunEntry>,
    /// One table per lifecycle mode that every run has, in the canonical mode order.
    pub modes: Vec<ModeBoard>,
    /// One table per storage file size, fastest download first.
    #[serde(default)]
    pub storage: Vec<SizeBoard>,
    /// One table per object size of the object-storage workload, fastest download first.
    #[serde(default)]
    pub object_storage: Vec<SizeBoard>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunEntry {
    pub label: String,
    pub provider: String,
    pub profile: String,
    /// The run's own verdict (pass, fail, inconclusive).
    pub verdict: String,
    /// Where the run was read from (a directory or an s3:// URL).
    pub source: String,
    pub started_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModeBoard {
    pub mode: String,
    /// Best score first.
    pub rows: Vec<ModeRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModeRow {
    pub rank: usize,
    pub label: String,
    /// Sandboxes launched in this mode.
    pub n: u64,
    pub success_rate: f64,
    /// Time to interactive from the run's histogram (untrimmed); absent when none got that far.
    pub tti_p50_ms: Option<f64>,
    pub tti_p95_ms: Option<f64>,
    pub tti_p99_ms: Option<f64>,
    pub score: f64,
    pub verdict: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SizeBoard {
    pub size_mb: f64,
    pub rows: Vec<SizeRow>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SizeRow {
    pub rank: usize,
    pub label: String,
    pub verified: u64,
    pub iterations: u64,
    pub upload_mb_s: f64,
    pub upload_p95_ms: f64,
    pub download_mb_s: f64,
    pub download_p95_ms: f64,
    pub verdict: String,
}

impl Leaderboard {
    /// Ranks comparable runs (see `compare::check`); a histogram that cannot be read scores 0.
    pub fn build(runs: &[Run]) -> Self {
        let entries = runs
            .iter()
            .map(|r| RunEntry {
                label: r.result.display_label().to_string(),
                provider: r.result.provider.clone(),
                profile: r.result.profile.clone(),
                verdict: r.result.verdict.as_str().to_string(),
                source: r.source.clone(),
                started_at: r.result.started_at.clone(),
            })
            .collect();
        Leaderboard {
            schema_version: LEADERBOARD_SCHEMA_VERSION,
            generated_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            score_formula: score::FORMULA.to_string(),
            runs: entries,
            modes: mode_boards(runs),
            storage: size_boards(runs, |r| r.result.storage.as_ref().map(|s| s.sizes.as_slice())),
            object_storage: size_boards(runs, |r| r.result.object_storage.as_ref().map(|s| s.sizes.as_slice())),
        }
    }
}

fn mode_boards(runs: &[Run]) -> Vec<ModeBoard> {
    let names = crate::config::LifecycleMode::NAMES;
    names
        .iter()
        .filter_map(|mode| {
            let mut rows: Vec<ModeRow> = runs.iter().filter_map(|r| mode_row(r, mode)).collect();
            if rows.is_empty() {
                return None;
            }
            rows.sort_by(|a, b| {
                b.score.total_cmp(&a.score).then(
                    a.tti_p50_ms
                        .unwrap_or(f64::MAX)
                        .total_cmp(&b.tti_p50_ms.unwrap_or(f64::MAX)),
                )
            });
            for (i, row) in rows.iter_mut().enumerate() {
                row.rank = i + 1;
            }
            Some(ModeBoard {
                mode: mode.to_string(),
                rows,
            })
        })
        .collect()
}

fn mode_row(run: &Run, mode: &str) -> Option<ModeRow> {
    let result = &run.result;
    let report = result
        .lifecycle
        .as_ref()?
        .modes()
        .into_iter()
        .find(|(m, _)| *m == mode)?
        .1;
    let h = result
        .histograms
        .get(&format!("lifecycle.{mode}.tti_ms"))
        .and_then(|text| decode_histogram(text).ok())
        .unwrap_or_else(new_histogram);
    let some = |v: f64| (!h.is_empty()).then_some(v);
    Some(ModeRow {
        rank: 0,
        label: result.display_label().to_string(),
        n: report.count,
        success_rate: report.success_rate(),
        tti_p50_ms: some(report.tti_ms.p50),
        tti_p95_ms: some(report.tti_ms.p95),
        tti_p99_ms: some(report.tti_ms.p99),
        score: score::composite(&h, report.success_rate()),
        verdict: result.verdict.as_str().to_string(),
    })
}

fn size_boards(runs: &[Run], sizes_of: impl Fn(&Run) -> Option<&[StorageSizeReport]>) -> Vec<SizeBoard> {
    let mut boards: Vec<SizeBoard> = Vec::new();
    for run in runs {
        for size in sizes_of(run).unwrap_or_default() {
            let row = SizeRow {
                rank: 0,
                label: run.result.display_label().to_string(),
                verified: size.verified,
                iterations: size.iterations,
                upload_mb_s: size.upload_mb_s,
                upload_p95_ms: size.upload_ms.p95,
                download_mb_s: size.download_mb_s,
                download_p95_ms: size.download_ms.p95,
                verdict: run.result.verdict.as_str().to_string(),
            };
            match boards.iter_mut().find(|b| b.size_mb == size.size_mb) {
                Some(board) => board.rows.push(row),
                None => boards.push(SizeBoard {
                    size_mb: size.size_mb,
                    rows: vec![row],
                }),
            }
        }
    }
    boards.sort_by(|a, b| a.size_mb.total_cmp(&b.size_mb));
    for board in &mut boards {
        board.rows.sort_by(|a, b| {
            b.download_mb_s
                .total_cmp(&a.download_mb_s)
                .then(b.upload_mb_s.total_cmp(&a.upload_mb_s))
        });
        for (i, row) in board.rows.iter_mut().enumerate() {
            row.rank = i + 1;
        }
    }
    boards
}
