//! leaderboard.md (also the PR comment) and leaderboard.html, from leaderboard.json's model only:
//! every number formatted and every label escaped here, so the template only lays out lines.

use std::path::Path;

use comrak::{markdown_to_html, Options};
use serde::Serialize;

use super::model::{Leaderboard, SizeBoard};
use super::{LeaderboardError, LEADERBOARD_FILE};
use crate::report::export::markdown::format::{cell, fmt_ms, icon};
use crate::report::export::markdown::render_template;
use crate::report::export::Rendered;
use crate::report::Verdict;

const MARKDOWN_TEMPLATE: &str = include_str!("../../templates/leaderboard.md.j2");
const HTML_TEMPLATE: &str = include_str!("../../templates/leaderboard.html.j2");

#[derive(Serialize)]
struct Context {
    runs_line: String,
    formula: String,
    modes: Vec<Board>,
    storage: Vec<Board>,
    object_storage: Vec<Board>,
    runs: Vec<Vec<String>>,
}

#[derive(Serialize)]
struct Board {
    mode: String,
    size: String,
    rows: Vec<Vec<String>>,
}

fn verdict(text: &str) -> String {
    let known = [Verdict::Pass, Verdict::Fail, Verdict::Inconclusive];
    match known.into_iter().find(|v| v.as_str() == text) {
        Some(v) => format!("{} {text}", icon(v)),
        None => cell(text),
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), fmt_ms)
}

fn context(board: &Leaderboard) -> Context {
    let profiles: Vec<&str> = board.runs.iter().map(|r| r.profile.as_str()).take(1).collect();
    let runs_line = format!(
        "{} runs side by side · profile `{}` · generated {}",
        board.runs.len(),
        cell(profiles.first().copied().unwrap_or("-")),
        cell(&board.generated_at)
    );
    let modes = board
        .modes
        .iter()
        .map(|m| Board {
            mode: cell(&m.mode),
            size: String::new(),
            rows: m
                .rows
                .iter()
                .map(|r| {
                    vec![
                        r.rank.to_string(),
                        format!("**{}**", cell(&r.label)),
                        r.n.to_string(),
                        format!("{:.1} %", r.success_rate * 100.0),
                        ms(r.tti_p50_ms),
                        ms(r.tti_p95_ms),
                        ms(r.tti_p99_ms),
                        format!("{:.1}", r.score),
                        verdict(&r.verdict),
                    ]
                })
                .collect(),
        })
        .collect();
    Context {
        runs_line,
        formula: cell(&board.score_formula),
        modes,
        storage: board.storage.iter().map(size_board).collect(),
        object_storage: board.object_storage.iter().map(size_board).collect(),
        runs: board
            .runs
            .iter()
            .map(|r| {
                vec![
                    cell(&r.label),
                    cell(&r.provider),
                    cell(&r.profile),
                    verdict(&r.verdict),
                    cell(&r.started_at),
                ]
            })
            .collect(),
    }
}

fn size_board(b: &SizeBoard) -> Board {
    Board {
        mode: String::new(),
        size: format!("{}", b.size_mb),
        rows: b
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.rank.to_string(),
                    format!("**{}**", cell(&r.label)),
                    format!("{} / {}", r.verified, r.iterations),
                    format!("{:.1}", r.upload_mb_s),
                    fmt_ms(r.upload_p95_ms),
                    format!("{:.1}", r.download_mb_s),
                    fmt_ms(r.download_p95_ms),
                    verdict(&r.verdict),
                ]
            })
            .collect(),
    }
}

pub fn markdown(board: &Leaderboard) -> Result<String, LeaderboardError> {
    render_template("leaderboard.md", MARKDOWN_TEMPLATE, &context(board))
        .map_err(|e| LeaderboardError::Render(e.to_string()))
}

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

/// One page that opens offline: the markdown as HTML, every chart inlined.
pub fn html(board: &Leaderboard, markdown: &str, charts: &[Rendered]) -> Result<String, LeaderboardError> {
    let mut options = Options::default();
    options.extension.table = true;
    // The markdown is ours (labels are escaped) and uses <details> and <sub>.
    options.render.r#unsafe = true;
    let labels: Vec<&str> = board.runs.iter().map(|r| r.label.as_str()).collect();
    let page = Page {
        title: format!("stress-action leaderboard: {}", labels.join(", ")),
        body: markdown_to_html(markdown, &options),
        charts: charts
            .iter()
            .map(|c| Chart {
                name: &c.name,
                svg: without_xml_declaration(&c.content),
            })
            .collect(),
    };
    render_template("leaderboard.html", HTML_TEMPLATE, &page).map_err(|e| LeaderboardError::Render(e.to_string()))
}

/// An XML declaration is not allowed in the middle of an HTML document.
fn without_xml_declaration(svg: &str) -> &str {
    let trimmed = svg.trim_start();
    match trimmed
        .strip_prefix("<?xml")
        .and_then(|rest| rest.find("?>").map(|end| &rest[end + 2..]))
    {
        Some(rest) => rest.trim_start(),
        None => trimmed,
    }
}

/// Whether `dir` is a leaderboard directory rather than a run directory.
pub fn is_leaderboard_dir(dir: &Path) -> bool {
    dir.join(LEADERBOARD_FILE).is_file() && !dir.join("report.json").is_file()
}
