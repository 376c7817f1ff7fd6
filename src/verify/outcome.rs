//! The result every planned operation ends in.

// The provider classifies its failures; an outcome carries that class unchanged.
pub use crate::provider::InfraClass;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Verified,
    /// The data or state is wrong. `check` names what looked, so a reader knows where to dig.
    Corrupted {
        check: String,
        expected: String,
        actual: String,
    },
    /// The platform did not answer properly; `status` keeps the HTTP status when there was one.
    Infra {
        class: InfraClass,
        status: Option<u16>,
        detail: String,
    },
}

impl Outcome {
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Verified => "verified",
            Outcome::Corrupted { .. } => "corrupted",
            Outcome::Infra { .. } => "infra",
        }
    }

    pub fn corrupted(check: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        Outcome::Corrupted {
            check: check.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    pub fn is_corrupted(&self) -> bool {
        matches!(self, Outcome::Corrupted { .. })
    }
}
