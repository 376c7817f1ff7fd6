//! Integrity checks and their classification into [`Outcome`]s.
//!
//! The one rule that matters most: a check that could not run because the platform failed is
//! [`Outcome::Infra`], never [`Outcome::Corrupted`]. Only a check that ran and saw wrong data corrupts;
//! a check killed by SIGKILL (the OOM killer) did not finish looking, so it is infra too
//! ([`exit_status`]).

pub mod exit_status;
pub mod outcome;
pub mod restore;
pub mod sha256;

pub use outcome::{InfraClass, Outcome};
