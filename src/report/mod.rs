//! Everything after the run that reads only report.json, in the order a run is finished: the model
//! (`report.json` itself, a leaf), the thresholds and verdict rules that judge it, the view that
//! decides what every output shows, and the exporters that render it (console, summary.md,
//! report.html, charts, GitHub Actions). See docs/ARCHITECTURE.md for what each may import.

pub mod export;
pub mod model;
pub mod thresholds;
pub mod verdict;
pub mod view;

// The model is what `crate::report::X` names: every other part of report/ is reached by its path.
pub use model::*;
