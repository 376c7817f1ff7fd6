//! Publishers: everything that sends a finished run directory somewhere else (S3, the PR comment,
//! the history index), with the comparison against a baseline run. They read only the run
//! directory, so an unreachable S3 or GitHub never costs the measurements: `publish DIR` can be
//! retried later.

pub mod comment;
pub mod error;
pub mod github;
pub mod history;
pub mod publisher;
pub mod redact;
pub mod stage;
pub mod sticky;
pub mod upload;
