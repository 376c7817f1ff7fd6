//! Checking a store after concurrent writes: every acknowledged write present exactly once, per
//! writer (a global percentage hides a writer that lost everything), and nothing nobody wrote.

use std::collections::HashMap;

/// What the harness knows about one write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteState {
    /// Never issued (cancelled run).
    NotRun,
    /// The write command exited 0: the store promised to keep it.
    Acknowledged,
    /// The write command exited non-zero: the store refused it, so nothing was promised (infra).
    Refused,
    /// No answer (timeout, platform error): may or may not be in the store.
    Indeterminate,
    /// Killed mid-flight by the `kill9` schedule: may or may not be in the store.
    Killed,
}

/// The id a write stores; `{id}` in command templates.
pub fn write_id(writer: u32, seq: u32) -> String {
    format!("w{writer}-s{seq}")
}

fn parse_id(id: &str) -> Option<(u32, u32)> {
    let (w, s) = id.strip_prefix('w')?.split_once("-s")?;
    Some((w.parse().ok()?, s.parse().ok()?))
}

/// Ids in a listing with their multiplicity. A line is either a JSON object with an `id` field or
/// the id itself; blank lines are ignored.
pub fn parse_listing(text: &str) -> HashMap<String, u32> {
    let mut counts = HashMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let id = match serde_json::from_str::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(obj)) => match obj.get("id") {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => line.to_string(),
            },
            _ => line.to_string(),
        };
        *counts.entry(id).or_insert(0) += 1;
    }
    counts
}

/// The verdict on one write after the store was listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteVerdict {
    Present,
    Lost,
    Duplicated(u32),
    /// Not acknowledged and absent (or present once): allowed either way.
    Unacknowledged,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct StoreCheck {
    pub acknowledged: u64,
    pub present: u64,
    pub lost: u64,
    pub duplicates: u64,
    pub unknown: u64,
    /// A few unknown ids, for the evidence.
    pub unknown_examples: Vec<String>,
    /// Writers missing at least one acknowledged write, with how many each lost.
    pub incomplete_writers: Vec<(u32, u64)>,
}

/// Checks `states[writer][seq]` against the listing; `verdicts` gets one entry per write.
pub fn check_store(states: &[Vec<WriteState>], listing: &HashMap<String, u32>) -> (StoreCheck, Vec<Vec<WriteVerdict>>) {
    let mut result = StoreCheck::default();
    let mut verdicts = Vec::with_capacity(states.len());
    for (w, writes) in states.iter().enumerate() {
        let mut lost_here = 0;
        let mut row = Vec::with_capacity(writes.len());
        for (s, state) in writes.iter().enumerate() {
            let count = listing.get(&write_id(w as u32, s as u32)).copied().unwrap_or(0);
            result.present += u64::from(count > 0);
            let verdict = match (state, count) {
                (_, n) if n > 1 => WriteVerdict::Duplicated(n),
                (WriteState::Acknowledged, 0) => WriteVerdict::Lost,
                (WriteState::Acknowledged, _) => WriteVerdict::Present,
                _ => WriteVerdict::Unacknowledged,
            };
            if *state == WriteState::Acknowledged {
                result.acknowledged += 1;
            }
            match verdict {
                WriteVerdict::Lost => lost_here += 1,
                WriteVerdict::Duplicated(_) => result.duplicates += 1,
                _ => {}
            }
            row.push(verdict);
        }
        if lost_here > 0 {
            result.incomplete_writers.push((w as u32, lost_here));
        }
        result.lost += lost_here;
        verdicts.push(row);
    }
    let writers = states.len() as u32;
    let mut unknown: Vec<&String> = listing
        .keys()
        .filter(|id| match parse_id(id) {
            Some((w, s)) => w >= writers || s as usize >= states[w as usize].len(),
            None => true,
        })
        .collect();
    unknown.sort();
    result.unknown = unknown.iter().map(|id| u64::from(listing[*id])).sum();
    result.unknown_examples = unknown.into_iter().take(5).cloned().collect();
    (result, verdicts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use WriteState::*;

    #[test]
    fn finds_lost_duplicated_and_unknown_per_writer() {
        let states = vec![
            vec![Acknowledged, Acknowledged, Refused],
            vec![Acknowledged, Killed, Acknowledged],
        ];
        let listing = parse_listing("w0-s0\n{\"id\":\"w0-s1\"}\nw0-s1\nw1-s1\nw1-s2\nw9-s0\ngarbage\n\n");
        let (check, verdicts) = check_store(&states, &listing);
        assert_eq!(check.acknowledged, 4);
        assert_eq!(check.lost, 1, "w1-s0 was acknowledged and is missing");
        assert_eq!(check.duplicates, 1, "w0-s1 is stored twice");
        assert_eq!(check.unknown, 2);
        assert_eq!(check.incomplete_writers, vec![(1, 1)]);
        assert_eq!(
            verdicts[0],
            vec![
                WriteVerdict::Present,
                WriteVerdict::Duplicated(2),
                WriteVerdict::Unacknowledged
            ]
        );
        assert_eq!(
            verdicts[1][1],
            WriteVerdict::Unacknowledged,
            "a killed write may be present"
        );
    }

    #[test]
    fn a_complete_store_passes() {
        let states = vec![vec![Acknowledged; 3]; 2];
        let text: String = (0..2)
            .flat_map(|w| (0..3).map(move |s| write_id(w, s) + "\n"))
            .collect();
        let (check, _) = check_store(&states, &parse_listing(&text));
        assert_eq!(
            (
                check.acknowledged,
                check.present,
                check.lost,
                check.duplicates,
                check.unknown
            ),
            (6, 6, 0, 0, 0)
        );
    }
}
