//! The first corruption details of a run, streamed from `events.jsonl` so a run with millions of
//! events never has to fit in memory. The view lists the first [`CORRUPTION_DETAILS`]; GitHub
//! annotations, which have their own limit, ask for fewer.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// How many corruption details the view lists; the rest are counted.
pub const CORRUPTION_DETAILS: usize = 20;

/// What a reader needs to find a corrupted operation again.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CorruptionDetail {
    #[serde(default)]
    pub workload: String,
    #[serde(default)]
    pub phase: String,
    #[serde(default)]
    pub round: Option<u32>,
    #[serde(default)]
    pub restore: Option<u32>,
    #[serde(default)]
    pub sandbox: Option<String>,
    #[serde(default)]
    pub check: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
    /// The operation's id (contention writes, chaos probes).
    #[serde(default)]
    pub op: Option<String>,
    /// Where the evidence is, relative to the run directory.
    #[serde(default)]
    pub evidence: Option<String>,
}

#[derive(Deserialize)]
struct Line {
    #[serde(default)]
    outcome: String,
    #[serde(flatten)]
    detail: CorruptionDetail,
}

impl CorruptionDetail {
    /// One line for tables and annotations: where it happened, then what was wrong.
    pub fn location(&self) -> String {
        let mut parts = vec![self.workload.clone()];
        if let Some(r) = self.round {
            parts.push(format!("round {r}"));
        }
        if let Some(r) = self.restore {
            parts.push(format!("restore {r}"));
        }
        if let Some(s) = &self.sandbox {
            parts.push(format!("sandbox {s}"));
        }
        if let Some(op) = &self.op {
            parts.push(op.clone());
        }
        parts.join(" ")
    }
}

/// Up to `limit` corrupted events, in the order they happened. A missing or unreadable
/// `events.jsonl` gives none: the counts in report.json still tell the reader how many there were.
pub fn first_corruptions(run_dir: &Path, limit: usize) -> Vec<CorruptionDetail> {
    let Ok(file) = File::open(run_dir.join("events.jsonl")) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for line in BufReader::new(file).lines() {
        if found.len() >= limit {
            break;
        }
        let Ok(line) = line else { break };
        // Cheap filter first: most lines are not corruption, and parsing them all would be wasted.
        if !line.contains("\"corrupted\"") {
            continue;
        }
        if let Ok(parsed) = serde_json::from_str::<Line>(&line) {
            if parsed.outcome == "corrupted" {
                found.push(parsed.detail);
            }
        }
    }
    found
}
