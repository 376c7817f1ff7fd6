//! The one model every later step reads (`report.json`), the verdict rules, and the console view.

pub mod export;
pub mod model;
pub mod thresholds;
pub mod verdict;
pub mod view;

// The model is what `crate::report::X` names: every other part of report/ is reached by its path.
pub use model::*;
