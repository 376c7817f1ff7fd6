//! What `templates/report.html.j2` is given: the banner, the corruption details, and one section
//! per part of the run, each a list of blocks (a table, a note, a chart with its caption) in the
//! order a reader wants them. Numbers are formatted once, by summary.md's context, and turned back
//! into plain text here; the template escapes all of it.

use std::collections::BTreeSet;

use serde::Serialize;

use super::strip_xml_declaration;
use crate::report::export::markdown::context::{self, SummaryContext};
use crate::report::export::markdown::format::self_test_line;
use crate::report::export::Rendered;
use crate::report::view::{CorruptionDetail, RunView, ThresholdStatus};
use crate::report::Verdict;

#[derive(Serialize)]
pub struct Page {
    title: String,
    /// `pass`, `fail` or `inconclusive`: the banner's CSS class and its word.
    verdict: &'static str,
    self_test: Option<String>,
    reasons: Vec<String>,
    interrupted: bool,
    workloads: Vec<WorkloadLine>,
    warnings: Vec<String>,
    thresholds: Vec<ThresholdLine>,
    run_line: String,
    placement: Option<String>,
    corruptions: Option<Corruptions>,
    sections: Vec<Section>,
    footer: Vec<String>,
}

#[derive(Serialize)]
struct WorkloadLine {
    name: String,
    verdict: &'static str,
    verified: String,
    corrupted: u64,
    infra: u64,
    lost: u64,
    why: String,
}

#[derive(Serialize)]
struct ThresholdLine {
    expr: String,
    measured: String,
    /// `held`, `crossed` or `nodata`: its CSS class.
    status: &'static str,
    word: &'static str,
}

#[derive(Serialize)]
struct Corruptions {
    /// Open under the banner when the run failed.
    open: bool,
    shown: usize,
    total: u64,
    rows: Vec<CorruptionLine>,
}

#[derive(Serialize)]
struct CorruptionLine {
    location: String,
    check: String,
    detail: String,
    /// A relative link into the run directory's `evidence/`; none for anything else.
    evidence: Option<String>,
}

#[derive(Serialize)]
pub(super) struct Section {
    id: &'static str,
    title: &'static str,
    blocks: Vec<Block>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub(super) enum Block {
    Table {
        head: Vec<&'static str>,
        /// Columns from this one on hold numbers (right-aligned).
        num_from: usize,
        rows: Vec<Vec<String>>,
    },
    Note {
        text: String,
    },
    Figure {
        id: String,
        svg: String,
        caption: String,
    },
}

/// The charts rendered before the page, handed out once each to the section they belong to.
pub(super) struct Charts<'a> {
    rendered: &'a [Rendered],
    placed: BTreeSet<String>,
}

impl Charts<'_> {
    pub(super) fn figure(&mut self, name: &str, caption: String) -> Option<Block> {
        let chart = self.rendered.iter().find(|r| r.name == name)?;
        self.placed.insert(name.to_string());
        Some(Block::Figure {
            id: name.to_string(),
            svg: strip_xml_declaration(&chart.content).to_string(),
            caption,
        })
    }

    /// Charts no section claimed (a chart type newer than this page), so none is ever dropped.
    fn rest(&mut self) -> Vec<Block> {
        let names: Vec<String> = self
            .rendered
            .iter()
            .filter(|r| r.name.ends_with(".svg") && !self.placed.contains(&r.name))
            .map(|r| r.name.clone())
            .collect();
        names.iter().filter_map(|n| self.figure(n, n.clone())).collect()
    }
}

pub fn build(view: &RunView<'_>, earlier: &[Rendered]) -> Page {
    let result = view.result;
    let md = context::build(view);
    let mut charts = Charts {
        rendered: earlier,
        placed: BTreeSet::new(),
    };
    let mut sections = vec![integrity(&md)];
    sections.extend(checkpoint(&md, &mut charts));
    sections.extend(lifecycle(view, &md, &mut charts));
    sections.extend(storage(&md, &mut charts));
    sections.extend(object_storage(&md, &mut charts));
    sections.extend(contention_and_chaos(&md));
    sections.extend(super::soak::soak_section(&md.soak, &mut charts));
    if !md.shards.is_empty() {
        let head = vec![
            "shard",
            "verdict",
            "operations",
            "corrupted",
            "duration s",
            "peak RSS MB",
            "CPU s",
            "max open fds",
        ];
        sections.push(section("shards", "Shards", vec![table(head, 2, &md.shards)]));
    }
    let rest = charts.rest();
    if !rest.is_empty() {
        sections.push(section("charts", "Other charts", rest));
    }
    let mut footer: Vec<String> = md.host_line.iter().map(|h| format!("runner: {h}")).collect();
    footer.extend(md.time_line.iter().map(|t| plain(t)));
    if !md.environment.is_empty() {
        let env: Vec<String> = md.environment.iter().map(|(k, v)| format!("{k}={v}")).collect();
        footer.push(plain(&format!("environment: {}", env.join(" · "))));
    }
    Page {
        title: format!(
            "stress-action report {}: {} ({} on {})",
            result.display_label(),
            result.verdict.as_str(),
            result.profile,
            result.provider
        ),
        verdict: result.verdict.as_str(),
        self_test: view.headline.self_test.as_ref().map(|st| plain(&self_test_line(st))),
        reasons: view.headline.reasons.to_vec(),
        interrupted: result.interrupted,
        workloads: workloads(view),
        warnings: view.warnings.clone(),
        thresholds: thresholds(view),
        run_line: plain(&md.run_line),
        placement: md.shard_line.as_deref().map(plain),
        corruptions: corruptions(view),
        sections,
        footer,
    }
}

fn workloads(view: &RunView<'_>) -> Vec<WorkloadLine> {
    view.workloads
        .iter()
        .map(|w| WorkloadLine {
            name: w.name.to_string(),
            verdict: w.verdict.as_str(),
            verified: format!("{} of {}", w.verified, w.planned),
            corrupted: w.corrupted,
            infra: w.infra,
            lost: w.lost,
            why: w.why.clone(),
        })
        .collect()
}

fn thresholds(view: &RunView<'_>) -> Vec<ThresholdLine> {
    view.thresholds
        .iter()
        .map(|t| {
            let (status, word) = match t.status {
                ThresholdStatus::Held => ("held", "held"),
                ThresholdStatus::Crossed => ("crossed", "crossed"),
                ThresholdStatus::NoData => ("nodata", "no data"),
            };
            ThresholdLine {
                expr: t.expr.to_string(),
                measured: t.measured.to_string(),
                status,
                word,
            }
        })
        .collect()
}

fn corruptions(view: &RunView<'_>) -> Option<Corruptions> {
    let total = view.result.totals.corrupted;
    if total == 0 {
        return None;
    }
    Some(Corruptions {
        open: view.result.verdict == Verdict::Fail,
        shown: view.corruptions.len(),
        total,
        rows: view.corruptions.iter().map(corruption_line).collect(),
    })
}

fn corruption_line(c: &CorruptionDetail) -> CorruptionLine {
    CorruptionLine {
        location: c.location(),
        check: c.check.clone().unwrap_or_else(|| "-".into()),
        detail: c.detail.clone().unwrap_or_else(|| "-".into()),
        evidence: c.evidence.as_deref().and_then(evidence_link),
    }
}

/// Only a relative path inside the run directory's `evidence/` becomes a link: report.json may
/// come from a fork, and a link must never leave the directory or run a script.
fn evidence_link(path: &str) -> Option<String> {
    let inside = path.starts_with("evidence/")
        && !path.contains("..")
        && !path.contains(':')
        && !path.contains('\\')
        && !path.contains("//");
    inside.then(|| path.to_string())
}

fn integrity(md: &SummaryContext) -> Section {
    let head = vec![
        "planned",
        "verified",
        "corrupted",
        "infra",
        "lost",
        "injected / detected",
    ];
    let mut blocks = vec![table(head, 0, std::slice::from_ref(&md.integrity))];
    if !md.infra_classes.is_empty() {
        let rows: Vec<Vec<String>> = md
            .infra_classes
            .iter()
            .map(|(k, v)| vec![k.clone(), v.to_string()])
            .collect();
        blocks.push(table(vec!["infra class", "count"], 1, &rows));
    }
    if !md.retries.is_empty() {
        let head = vec!["provider call", "calls", "first-try success", "retried", "gave up"];
        blocks.push(table(head, 1, &md.retries));
    }
    section("integrity", "Integrity", blocks)
}

fn checkpoint(md: &SummaryContext, charts: &mut Charts<'_>) -> Option<Section> {
    let latency = md.checkpoint.checkpoint_latency.as_ref()?;
    let mut blocks = vec![table(
        vec!["latency", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        1,
        latency,
    )];
    blocks.extend(
        charts.figure(
            "checkpoint-latency.svg",
            "Checkpoint (request to ready, polling included) and restore latency by percentile: lower is better; \
         the labelled dot is the slowest sample."
                .into(),
        ),
    );
    if !md.checkpoint.checkpoint_line.is_empty() {
        blocks.push(note(&md.checkpoint.checkpoint_line));
    }
    if !md.checkpoint.rounds.is_empty() {
        let head = vec![
            "round",
            "restores",
            "verified",
            "corrupted",
            "infra",
            "setup ms",
            "checkpoint ms",
            "restore p50 ms",
            "restore p95 ms",
            "verify p50 ms",
            "verify p95 ms",
        ];
        blocks.push(table(head, 0, &md.checkpoint.rounds));
        blocks.extend(charts.figure(
            "restores.svg",
            "Per round: every restore verified (all green) is good; median restore and verify latency, lower is better."
                .into(),
        ));
    }
    Some(section("checkpoint", "Checkpoint / restore", blocks))
}

fn lifecycle(view: &RunView<'_>, md: &SummaryContext, charts: &mut Charts<'_>) -> Option<Section> {
    if md.mode_rows.is_empty() {
        return None;
    }
    let head = vec![
        "mode",
        "count",
        "success",
        "partial",
        "readiness failed",
        "failed",
        "TTI p50 ms",
        "TTI p95 ms",
        "TTI p99 ms",
        "peak concurrency",
    ];
    let mut blocks = vec![table(head, 1, &md.mode_rows)];
    for failures in &md.mode_failures {
        blocks.push(note(failures));
    }
    for (name, mode) in &view.modes {
        blocks.extend(charts.figure(
            &format!("tti-{name}.svg"),
            format!(
                "{name}: latency by percentile, lower is better; TTI from the scheduled start, so queueing counts; \
                 the labelled dot is the slowest of {} sandboxes.",
                mode.tti_ms.count
            ),
        ));
        let held = if *name == "sequential" {
            format!(
                "One is created at a time, but every sandbox is held alive until the whole mode settles, then probed \
                 and destroyed: that is why sequential reaches {} alive.",
                mode.peak_concurrency
            )
        } else {
            "Every sandbox is held alive until the whole mode settles, then probed and destroyed.".to_string()
        };
        blocks.extend(charts.figure(
            &format!("concurrency-{name}.svg"),
            format!(
                "{name}: sandboxes alive at every instant, a step at each create and destroy; the orange line is the \
                 mean, {:.2}. {held}",
                mode.mean_concurrency
            ),
        ));
    }
    Some(section("lifecycle", "Lifecycle", blocks))
}

fn storage(md: &SummaryContext, charts: &mut Charts<'_>) -> Option<Section> {
    if md.storage.is_empty() {
        return None;
    }
    let caption =
        "Per file size: higher throughput is better, lower p95 latency is better; every transfer SHA-256 verified.";
    let blocks = per_size_blocks(&md.storage, "storage.svg", caption, charts);
    Some(section("storage", "Storage", blocks))
}

/// The object-storage workload: its table, where it ran, and its chart, like storage.
fn object_storage(md: &SummaryContext, charts: &mut Charts<'_>) -> Option<Section> {
    if md.object_storage.is_empty() {
        return None;
    }
    let caption =
        "Per object size: higher throughput is better, lower p95 latency is better; every download SHA-256 verified.";
    let mut blocks = per_size_blocks(&md.object_storage, "object-storage.svg", caption, charts);
    if let Some(line) = &md.object_storage_line {
        blocks.insert(1, note(line));
    }
    Some(section("object-storage", "Object storage", blocks))
}

/// A per-size table (storage, object-storage) followed by its chart.
fn per_size_blocks(rows: &[Vec<String>], chart: &str, caption: &str, charts: &mut Charts<'_>) -> Vec<Block> {
    let head = vec![
        "size MB",
        "iterations",
        "verified",
        "corrupted",
        "infra",
        "upload MB/s",
        "upload p95 ms",
        "download MB/s",
        "download p95 ms",
    ];
    let mut blocks = vec![table(head, 0, rows)];
    blocks.extend(charts.figure(chart, caption.into()));
    blocks
}

fn contention_and_chaos(md: &SummaryContext) -> Vec<Section> {
    let mut out = Vec::new();
    if let (Some(counts), Some(latency)) = (&md.chaos.contention, &md.chaos.contention_latency) {
        let head = vec![
            "writers",
            "writes",
            "acknowledged",
            "present",
            "lost",
            "duplicates",
            "unknown",
            "refused",
            "indeterminate",
        ];
        let mut blocks = vec![table(head, 0, std::slice::from_ref(counts))];
        let mut row = vec!["write".to_string()];
        row.extend(latency.iter().cloned());
        blocks.push(table(
            vec!["write latency", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"],
            1,
            &[row],
        ));
        if !md.chaos.contention_note.is_empty() {
            blocks.push(note(&md.chaos.contention_note));
        }
        out.push(section("contention", "Contention", blocks));
    }
    if !md.chaos.chaos.is_empty() {
        let head = vec![
            "scenario",
            "verdict",
            "workload",
            "runs",
            "passed",
            "pass rate",
            "faults hit",
            "indeterminate",
            "verified",
            "corrupted",
            "infra",
        ];
        let mut blocks = vec![table(head, 3, &md.chaos.chaos)];
        blocks.extend(md.chaos.chaos_failures.iter().map(|f| note(f)));
        out.push(section("chaos", "Chaos", blocks));
    }
    out
}

pub(super) fn section(id: &'static str, title: &'static str, blocks: Vec<Block>) -> Section {
    Section { id, title, blocks }
}

pub(super) fn table(head: Vec<&'static str>, num_from: usize, rows: &[Vec<String>]) -> Block {
    Block::Table {
        head,
        num_from,
        rows: rows.iter().map(|r| r.iter().map(|c| plain(c)).collect()).collect(),
    }
}

pub(super) fn note(text: &str) -> Block {
    Block::Note { text: plain(text) }
}

/// summary.md's text as plain text: its escapes and emphasis undone (the template escapes for
/// HTML), its verdict icons dropped (the page shows verdicts with words and colour).
fn plain(md: &str) -> String {
    let md = md
        .replace("✅ ", "")
        .replace("❌ ", "")
        .replace("⚠️ ", "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let mut text = String::with_capacity(md.len());
    let mut chars = md.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // A backslash escape (`\[`, `\|`, `\_`, ...) shows the character itself.
            '\\' if chars.peek().is_some_and(|n| n.is_ascii_punctuation()) => {
                text.extend(chars.next());
            }
            // Our own emphasis and code spans: report text never holds them unescaped.
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
            }
            '`' => {}
            c => text.push(c),
        }
    }
    text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_inside_evidence_become_links() {
        assert_eq!(
            evidence_link("evidence/round1-restore7/").as_deref(),
            Some("evidence/round1-restore7/")
        );
        for hostile in [
            "javascript:alert(1)",
            "evidence/../../etc/passwd",
            "/etc/passwd",
            "https://x.test/e",
            "evidence//x",
        ] {
            assert_eq!(evidence_link(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn markdown_cells_read_as_plain_text() {
        assert_eq!(plain("a \\| b &lt;c&gt; **d** `e` &amp;"), "a | b <c> d e &");
        assert_eq!(
            plain("\\[x\\](https\\://e) \\*\\*b\\*\\* \\`c\\`"),
            "[x](https://e) **b** `c`"
        );
        assert_eq!(plain("❌ fail"), "fail");
    }
}
