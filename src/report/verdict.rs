//! Turning counts into pass / fail / inconclusive. Corruption always wins, and a check never goes
//! green when nothing was tested.

use serde::{Deserialize, Serialize};

use super::Totals;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// The verdict and the reasons a reader needs to believe it.
pub fn decide(totals: &Totals, max_infra_rate: f64) -> (Verdict, Vec<String>) {
    let mut fail = Vec::new();
    if totals.corrupted > 0 {
        fail.push(format!(
            "{} of {} operations corrupted",
            totals.corrupted, totals.planned
        ));
    }
    if totals.lost > 0 {
        fail.push(format!("{} operations lost (planned but never reported)", totals.lost));
    }
    if !fail.is_empty() {
        return (Verdict::Fail, fail);
    }
    if totals.verified == 0 {
        return (Verdict::Inconclusive, vec!["nothing was verified".to_string()]);
    }
    let rate = if totals.planned == 0 {
        0.0
    } else {
        totals.infra as f64 / totals.planned as f64
    };
    if rate > max_infra_rate {
        return (
            Verdict::Inconclusive,
            vec![format!(
                "infra errors on {:.1}% of operations exceed --max-infra-rate {:.1}%",
                rate * 100.0,
                max_infra_rate * 100.0
            )],
        );
    }
    (
        Verdict::Pass,
        vec![format!("{} of {} operations verified", totals.verified, totals.planned)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(planned: u64, verified: u64, corrupted: u64, infra: u64, lost: u64) -> Totals {
        Totals {
            planned,
            verified,
            corrupted,
            infra,
            lost,
            ..Default::default()
        }
    }

    #[test]
    fn verdict_rules() {
        assert_eq!(decide(&totals(10, 10, 0, 0, 0), 0.5).0, Verdict::Pass);
        assert_eq!(decide(&totals(10, 9, 1, 0, 0), 0.5).0, Verdict::Fail);
        assert_eq!(decide(&totals(10, 9, 0, 0, 1), 0.5).0, Verdict::Fail);
        assert_eq!(decide(&totals(10, 0, 0, 10, 0), 1.0).0, Verdict::Inconclusive);
        assert_eq!(decide(&totals(10, 4, 0, 6, 0), 0.5).0, Verdict::Inconclusive);
        assert_eq!(decide(&totals(10, 5, 0, 5, 0), 0.5).0, Verdict::Pass);
        // Corruption wins over everything, even when almost everything was infra.
        assert_eq!(decide(&totals(10, 0, 1, 9, 0), 0.5).0, Verdict::Fail);
    }
}
