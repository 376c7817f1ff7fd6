//! Publishers: everything that sends a finished run directory somewhere else (S3, the PR comment)
//! and the comparison against a baseline run. They read only the run directory, so an unreachable
//! S3 or GitHub never costs the measurements: `publish DIR` can be retried later.

pub mod actions;
pub mod comment;
pub mod compare;
pub mod config;
pub mod error;
pub mod github;
pub mod publisher;
pub mod s3;
pub mod s3_upload;
pub mod sticky;
