//! Outcome counters per workload. The invariant the verdict leans on:
//! `planned == verified + corrupted + infra + lost`, where `lost` is whatever never reported back.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::report::WorkloadResult;
use crate::verify::{InfraClass, Outcome};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub planned: u64,
    pub verified: u64,
    pub corrupted: u64,
    pub infra: u64,
}

impl Counts {
    pub fn lost(&self) -> u64 {
        self.planned.saturating_sub(self.verified + self.corrupted + self.infra)
    }

    pub fn add(&mut self, other: &Counts) {
        self.planned += other.planned;
        self.verified += other.verified;
        self.corrupted += other.corrupted;
        self.infra += other.infra;
    }
}

#[derive(Default)]
pub struct Accounting {
    inner: Mutex<State>,
}

#[derive(Default, Clone)]
struct State {
    per_workload: BTreeMap<&'static str, Counts>,
    infra_classes: BTreeMap<String, u64>,
    per_workload_classes: BTreeMap<&'static str, BTreeMap<String, u64>>,
    first_infra: BTreeMap<&'static str, String>,
    leaked: BTreeMap<&'static str, u64>,
}

/// How much of the first infra failure's detail a verdict reason quotes.
const FIRST_INFRA_CHARS: usize = 200;

impl Accounting {
    pub fn plan(&self, workload: &'static str) {
        self.lock().per_workload.entry(workload).or_default().planned += 1;
    }

    pub fn record(&self, workload: &'static str, outcome: &Outcome) {
        let mut state = self.lock();
        let counts = state.per_workload.entry(workload).or_default();
        match outcome {
            Outcome::Verified => counts.verified += 1,
            Outcome::Corrupted { .. } => counts.corrupted += 1,
            Outcome::Infra { class, status, detail } => {
                counts.infra += 1;
                let key = class_key(*class, *status);
                *state.infra_classes.entry(key.clone()).or_default() += 1;
                *state
                    .per_workload_classes
                    .entry(workload)
                    .or_default()
                    .entry(key.clone())
                    .or_default() += 1;
                state.first_infra.entry(workload).or_insert_with(|| {
                    let text: String = detail.chars().take(FIRST_INFRA_CHARS).collect();
                    if text.is_empty() {
                        key
                    } else {
                        text
                    }
                });
            }
        }
    }

    /// Counts sandboxes (or files) of `workload` that the platform left behind and a sweep removed.
    pub fn leak(&self, workload: &'static str, n: u64) {
        *self.lock().leaked.entry(workload).or_default() += n;
    }

    /// The workload's counts in the shape report.json judges (`verdict` still to be decided).
    pub fn workload_result(&self, workload: &str) -> WorkloadResult {
        let state = self.lock();
        let c = state.per_workload.get(workload).copied().unwrap_or_default();
        let mut result = WorkloadResult::counted(c.planned, c.verified, c.corrupted, c.infra, c.lost());
        result.leaked = state.leaked.get(workload).copied().unwrap_or(0);
        result.infra_classes = state.per_workload_classes.get(workload).cloned().unwrap_or_default();
        result.first_infra = state.first_infra.get(workload).cloned();
        result
    }

    pub fn workload(&self, workload: &'static str) -> Counts {
        self.lock().per_workload.get(workload).copied().unwrap_or_default()
    }

    pub fn total(&self) -> Counts {
        let mut total = Counts::default();
        for c in self.lock().per_workload.values() {
            total.add(c);
        }
        total
    }

    /// Infra failures by class, with the HTTP status where there was one (`http_error_502`).
    pub fn infra_classes(&self) -> BTreeMap<String, u64> {
        self.lock().infra_classes.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn class_key(class: InfraClass, status: Option<u16>) -> String {
    match status {
        Some(s) => format!("{class}_{s}"),
        None => class.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreported_operations_are_lost() {
        let acc = Accounting::default();
        for _ in 0..4 {
            acc.plan("checkpoint");
        }
        acc.record("checkpoint", &Outcome::Verified);
        acc.record("checkpoint", &Outcome::corrupted("sha256", "a", "b"));
        acc.record(
            "checkpoint",
            &Outcome::Infra {
                class: InfraClass::HttpError,
                status: Some(502),
                detail: String::new(),
            },
        );
        let c = acc.total();
        assert_eq!((c.planned, c.verified, c.corrupted, c.infra, c.lost()), (4, 1, 1, 1, 1));
        assert_eq!(acc.infra_classes().get("http_error_502"), Some(&1));
    }
}
