//! Integrity checks and their classification into [`Outcome`]s.
//!
//! The one rule that matters most: a check that could not run because the platform failed is
//! [`Outcome::Infra`], never [`Outcome::Corrupted`]. Only a check that ran and saw wrong data corrupts.

pub mod outcome;
pub mod restore;
pub mod sha256;

pub use outcome::{InfraClass, Outcome};
