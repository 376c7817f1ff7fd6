//! The one line that says where a run's wall time went, for summary.md, report.html's footer and
//! the end of the console output.

use crate::report::Timing;

/// `time: start-up 0.01 s · preparation 0.31 s · lifecycle 18.2 s (burst: launch 0.2 s, ready
/// 9.5 s, probe + destroy 8.1 s, sweep 0.0 s) · report 0.1 s`, with `; total 20.8 s (0.1 s
/// between phases)` when `with_total`: the console's last word on a run, where a user sees where
/// a long run went.
pub fn timing_line(t: &Timing, with_total: bool) -> String {
    let top: Vec<String> = t
        .phases
        .iter()
        .filter(|p| p.is_top_level())
        .map(|p| {
            let mut scope = "";
            let parts: Vec<String> = t
                .parts_of(&p.name)
                .map(|part| {
                    let rest = &part.name[p.name.len() + 1..];
                    let (this_scope, label) = match rest.split_once('.') {
                        Some((s, l)) => (s, l),
                        None => ("", rest),
                    };
                    let head = match this_scope {
                        "" => format!("{} ", p.name),
                        s if s == scope => String::new(),
                        s => format!("{s}: "),
                    };
                    scope = this_scope;
                    format!("{head}{} {}", part_label(label), secs(part.seconds))
                })
                .collect();
            if parts.is_empty() {
                format!("{} {}", part_label(&p.name), secs(p.seconds))
            } else {
                format!("{} {} ({})", part_label(&p.name), secs(p.seconds), parts.join(", "))
            }
        })
        .collect();
    let mut line = format!("time: {}", top.join(" · "));
    if with_total {
        line.push_str(&format!(
            "; total {} ({} between phases)",
            secs(t.total_s),
            secs(t.unaccounted_s())
        ));
    }
    line
}

/// `startup` → `start-up`, `probe_destroy` → `probe + destroy`.
fn part_label(name: &str) -> String {
    match name {
        "startup" => "start-up".to_string(),
        other => other.replace('_', " + ").replace('.', " "),
    }
}

fn secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Phase;

    #[test]
    fn a_line_names_every_phase_and_the_parts_of_a_workload() {
        let phase = |name: &str, seconds| Phase {
            name: name.into(),
            seconds,
        };
        let t = Timing {
            total_s: 20.8,
            phases: vec![
                phase("startup", 0.004),
                phase("preparation", 0.31),
                phase("lifecycle.burst.launch", 0.2),
                phase("lifecycle.burst.ready", 9.5),
                phase("lifecycle.burst.probe_destroy", 8.1),
                phase("lifecycle.sweep", 0.0),
                phase("lifecycle", 17.9),
                phase("report", 0.1),
            ],
        };
        assert_eq!(
            timing_line(&t, true),
            "time: start-up 0.00 s · preparation 0.31 s · lifecycle 17.9 s (burst: launch 0.20 s, \
             ready 9.50 s, probe + destroy 8.10 s, lifecycle sweep 0.00 s) · report 0.10 s; \
             total 20.8 s (2.49 s between phases)"
        );
    }
}
