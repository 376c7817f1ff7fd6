//! What `doctor` found: one [`Check`] per line, and the report they add up to.
//!
//! A check says what the protocol expects and what the platform did, because "✗ restore" alone
//! sends a platform engineer back to reading logs, which is what `doctor` exists to spare them.

use serde::Serialize;

/// How one check ended. Only `Fail` makes `doctor` exit 1: a warning is a fact worth knowing that
/// stress-action copes with, a skip is a check that did not apply or could not run after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    Warn,
    Skip,
}

impl Status {
    pub fn mark(self) -> &'static str {
        match self {
            Status::Pass => "✓",
            Status::Fail => "✗",
            Status::Warn => "!",
            Status::Skip => "-",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable and dotted (`idempotency.exec`), so scripts and tests can name a check.
    pub name: String,
    pub status: Status,
    /// What the protocol expects; empty when the check passed and there is nothing to contrast.
    pub expected: String,
    /// What the platform did.
    pub received: String,
}

impl Check {
    /// One line for people: the mark, the name, and expected against received where they differ.
    pub fn line(&self) -> String {
        let name = format!("{:<24}", self.name);
        match self.status {
            Status::Pass => format!("{} {name} {}", self.status.mark(), self.received),
            Status::Skip => format!("{} {name} skipped: {}", self.status.mark(), self.received),
            Status::Fail | Status::Warn => format!(
                "{} {name} expected {}; received {}",
                self.status.mark(),
                self.expected,
                self.received
            ),
        }
    }
}

/// Every check of one doctor run, in the order they ran.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// `http` or `command`.
    pub provider: String,
    /// The endpoint or the plugin program the checks ran against.
    pub target: String,
    pub checks: Vec<Check>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
}

impl Report {
    pub fn counts(&self) -> Counts {
        let n = |s: Status| self.checks.iter().filter(|c| c.status == s).count();
        Counts {
            passed: n(Status::Pass),
            failed: n(Status::Fail),
            warned: n(Status::Warn),
            skipped: n(Status::Skip),
        }
    }

    /// True when no check failed: what exit 0 promises.
    pub fn healthy(&self) -> bool {
        self.counts().failed == 0
    }

    /// The closing line of the text output.
    pub fn summary(&self) -> String {
        let c = self.counts();
        let failed: Vec<&str> = self
            .checks
            .iter()
            .filter(|c| c.status == Status::Fail)
            .map(|c| c.name.as_str())
            .collect();
        let mut line = format!(
            "doctor: {} passed, {} failed, {} warnings, {} skipped",
            c.passed, c.failed, c.warned, c.skipped
        );
        if !failed.is_empty() {
            line.push_str(&format!(" (failed: {})", failed.join(", ")));
        }
        line
    }

    /// The machine-readable form (`--json`): the checks, the counts and whether it passed.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "provider": self.provider,
            "target": self.target,
            "passed": self.healthy(),
            "counts": self.counts(),
            "checks": self.checks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, status: Status) -> Check {
        Check {
            name: name.into(),
            status,
            expected: "409 not_ready".into(),
            received: "201".into(),
        }
    }

    #[test]
    fn lines_contrast_expected_and_received_and_only_failures_fail() {
        let failed = check("checkpoint.pending", Status::Fail);
        assert!(failed.line().starts_with("✗ checkpoint.pending "), "{}", failed.line());
        assert!(failed.line().ends_with("expected 409 not_ready; received 201"));
        let mut report = Report {
            checks: vec![
                check("a", Status::Pass),
                check("b", Status::Warn),
                check("c", Status::Skip),
            ],
            ..Report::default()
        };
        assert!(report.healthy());
        report.checks.push(failed);
        assert!(!report.healthy());
        assert!(
            report.summary().ends_with("(failed: checkpoint.pending)"),
            "{}",
            report.summary()
        );
        assert_eq!(report.to_json()["counts"]["failed"], 1);
    }
}
