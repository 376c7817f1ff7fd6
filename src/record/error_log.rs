//! `error-details.log`: the full story of every operation that did not verify, for the person who
//! has to find out why.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use super::Event;
use crate::verify::Outcome;

pub struct ErrorLog {
    out: Mutex<BufWriter<File>>,
}

impl ErrorLog {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            out: Mutex::new(BufWriter::new(File::create(path)?)),
        })
    }

    pub fn write_outcome(&self, event: &Event, outcome: &Outcome) {
        let mut text = format!(
            "=== {} {} {}{}{} at {}\n",
            outcome.kind().to_uppercase(),
            event.workload,
            event.phase,
            event.round.map(|r| format!(" round {r}")).unwrap_or_default(),
            event.restore.map(|r| format!(" restore {r}")).unwrap_or_default(),
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        );
        if let Some(sb) = &event.sandbox {
            text.push_str(&format!("sandbox: {sb}\n"));
        }
        if let Some(kind) = event.injected {
            text.push_str(&format!("injected damage (self-test): {kind}\n"));
        }
        match outcome {
            Outcome::Verified => {}
            Outcome::Corrupted {
                check,
                expected,
                actual,
            } => {
                text.push_str(&format!("check: {check}\nexpected: {expected}\nactual: {actual}\n"));
            }
            Outcome::Infra { class, status, detail } => {
                text.push_str(&format!("class: {class}\n"));
                if let Some(status) = status {
                    text.push_str(&format!("status: {status}\n"));
                }
                text.push_str(&format!("detail: {detail}\n"));
            }
        }
        if let Some(detail) = &event.detail {
            text.push_str(&format!("context: {detail}\n"));
        }
        if let Some(evidence) = &event.evidence {
            text.push_str(&format!("evidence: {evidence}\n"));
        }
        text.push('\n');
        let _ = self
            .out
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .write_all(text.as_bytes());
    }

    pub fn write_text(&self, text: &str) {
        let _ = self
            .out
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .write_all(text.as_bytes());
    }

    pub fn flush(&self) {
        let _ = self.out.lock().unwrap_or_else(|p| p.into_inner()).flush();
    }
}
