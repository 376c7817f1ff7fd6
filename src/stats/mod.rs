//! The statistics every comparison and every trend rests on, written here rather than pulled in
//! from a crate: they are small, and each one's assumptions are stated where it is defined (and in
//! docs/statistics.md), so a reader can check what "significant" means without leaving the project.
//!
//! A leaf of pure functions: distributions come in as bucket counts (an HdrHistogram's recorded
//! values), never as a vector of every sample, so memory does not grow with the operations a run
//! did. Everything random is seeded, so the same two reports always give the same answer.

mod bootstrap;
mod change_point;
mod distribution;
mod mann_whitney;
mod proportion;
mod special;
mod welch;

pub use bootstrap::{quantile_shift, Interval, QuantileShift, BOOTSTRAP_RESAMPLES};
pub use change_point::{change_points, ChangePoint, ChangePointSettings, Scale};
pub use distribution::Distribution;
pub use mann_whitney::{mann_whitney, MannWhitney};
pub use proportion::{two_proportions, wilson, ProportionTest};
pub use welch::{welch_t_test, WelchTest};
