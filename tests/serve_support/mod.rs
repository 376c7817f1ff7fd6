//! The reference server for tests, two ways:
//! - [`Server`] runs it inside the test process (its own thread and runtime) on 127.0.0.1:0, for
//!   tests whose subject is a client of the server: the http provider, workloads, the `run` binary;
//! - [`ServeChild`] starts the real `stress-action serve` binary, for tests whose subject is that
//!   process: its printed address, its graceful exit on SIGTERM, a restart on the same root.
//!
//! Both stop by themselves when dropped, even when the test panics.
// Each test file uses part of this module.
#![allow(dead_code, unused_imports)]

mod child;
mod files;
mod in_process;

pub use child::ServeChild;
pub use files::{assert_absent_in_dir, files_under};
pub use in_process::Server;
pub use stress_action::server::ServeArgs;
