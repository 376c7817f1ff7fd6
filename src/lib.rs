//! stress-action: run integrity and latency workloads against a sandbox provider, record every
//! operation, and turn the records into a verdict.
//!
//! The library needs no command line: the binary builds a [`config::RunConfig`] and calls
//! [`run::run`], so tests can drive whole runs in-process against real providers. (The publishing
//! settings derive clap's `Args` anyway, so that their one field list is also the flags of `run` and
//! `publish`; nothing in the library parses a command line.) Every planned operation ends in exactly one
//! [`verify::Outcome`]; everything after the [`record::Recorder`] reads only the run directory.

pub mod cancel;
pub mod compare;
pub mod config;
pub mod console;
pub mod doctor;
pub mod error;
pub mod fdlimit;
pub mod history;
pub mod leaderboard;
pub mod provider;
pub mod publish;
pub mod record;
pub mod report;
pub mod run;
pub mod s3;
pub mod server;
pub mod shard;
pub mod source;
pub mod stats;
pub mod verify;
pub mod workload;

pub use error::{ExitStatus, RunError};
