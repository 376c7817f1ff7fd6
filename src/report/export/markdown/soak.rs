//! summary.md's section of a timed run: the capacity search's steps and knee, the time series
//! window by window, and the trend of each headline latency.

use serde::Serialize;

use super::format::{cell, fmt_ms};
use crate::report::{CapacityReport, RunResult, TimeSeries};

/// Windows shown at most; a longer run shows every k-th window so the table stays readable.
const MAX_WINDOW_ROWS: usize = 30;

#[derive(Serialize, Default)]
pub struct SoakSection {
    /// Shown above the collapsed details: the knee of a ramp and every degraded latency, since a
    /// run can pass while it gets slower.
    pub soak_lead: Vec<String>,
    /// The degraded latencies of the lead alone (report.html states the knee in its own note).
    pub degraded: Vec<String>,
    /// "sustainable: 40 sandboxes/s (p95 TTI 433 ms, success 100.0 %)" and how the ramp ended.
    pub capacity_line: Option<String>,
    /// offered/s, launched, achieved/s, success, TTI p50, TTI p95, result.
    pub capacity_steps: Vec<Vec<String>>,
    /// What the time series follows (`lifecycle.staggered.tti_ms`) and its window.
    pub series_line: Option<String>,
    /// t, launched, ended, success, infra, p50, p95, p99, alive, RSS MB, fds.
    pub series: Vec<Vec<String>>,
    /// One line per headline latency: its drift and whether it is a significant degradation.
    pub trends: Vec<String>,
}

pub fn section(result: &RunResult) -> SoakSection {
    let mut s = SoakSection::default();
    if let Some(c) = result.lifecycle.as_ref().and_then(|lc| lc.capacity.as_ref()) {
        capacity(c, &mut s);
    }
    if let Some(ts) = &result.timeseries {
        series(ts, &mut s);
        s.degraded.extend(ts.trends.iter().filter(|(_, t)| t.degraded).map(|(key, t)| {
            format!(
                "⚠️ **`{}` degraded**: p95 {} ms in the last third of the run against {} ms in the first (drift {:.2}, the 95 % intervals do not overlap)",
                cell(key),
                fmt_ms(t.last_p95),
                fmt_ms(t.first_p95),
                t.drift
            )
        }));
        s.soak_lead.extend(s.degraded.iter().cloned());
    }
    s
}

fn capacity(c: &CapacityReport, s: &mut SoakSection) {
    s.soak_lead.push(format!("**{}**", cell(&c.headline())));
    let end = if c.stopped_early {
        format!(
            "; stopped after {} of {} steps, two past the knee",
            c.steps.len(),
            c.steps_planned
        )
    } else {
        String::new()
    };
    let slo = match (c.slo.tti_p95_max_ms, c.slo.tti_p95_factor) {
        (Some(ms), Some(f)) => format!("p95 TTI ≤ {}x the lowest step's ({} ms)", f, fmt_ms(ms)),
        (Some(ms), None) => format!("p95 TTI ≤ {} ms", fmt_ms(ms)),
        _ => "p95 TTI".to_string(),
    };
    s.capacity_line = Some(format!(
        "**{}**: {}/s..{}/s over {} s in steps of {} s; a step holds when achieved ≥ {:.0} % of offered, {slo}, success ≥ {:.1} %{end}",
        cell(&c.headline()),
        c.from_per_s,
        c.to_per_s,
        c.over_s,
        (c.step_s * 100.0).round() / 100.0,
        c.slo.keep_up * 100.0,
        c.slo.min_success * 100.0,
    ));
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
    let ms = |v: Option<f64>| v.map_or("-".to_string(), fmt_ms);
    s.capacity_steps = c
        .steps
        .iter()
        .map(|st| {
            let result = match (st.keeps_up, st.slo_holds) {
                (true, true) => "✅ holds",
                (false, _) => "❌ falls behind",
                (true, false) => "❌ SLO broken",
            };
            vec![
                format!("{}", st.offered_per_s),
                st.launched.to_string(),
                format!("{}", st.achieved_per_s),
                pct(st.success_rate),
                ms(st.tti_p50_ms),
                ms(st.tti_p95_ms),
                result.to_string(),
            ]
        })
        .collect();
}

fn series(ts: &TimeSeries, s: &mut SoakSection) {
    let Some(key) = crate::report::export::svg::timeseries::headline_key(ts) else {
        return;
    };
    let every = ts.windows.len().div_ceil(MAX_WINDOW_ROWS).max(1);
    s.series_line = Some(format!(
        // Plain text: it is the summary line of a <details>, where markdown is not rendered.
        "Time series of {}, {} windows of {} s{}",
        cell(&key),
        ts.windows.len(),
        ts.window_s,
        if every > 1 {
            format!(" (every {every}th shown; all are in report.json)")
        } else {
            String::new()
        }
    ));
    let pct = |v: Option<f64>| v.map_or("-".to_string(), |r| format!("{:.1}%", r * 100.0));
    s.series = ts
        .windows
        .iter()
        .step_by(every)
        .map(|w| {
            let l = w.latency.get(&key);
            let ms = |f: fn(&crate::report::WindowLatency) -> f64| l.map_or("-".to_string(), |l| fmt_ms(f(l)));
            vec![
                format!("{}", w.t_s),
                w.launched.to_string(),
                w.ended.to_string(),
                pct(w.success_rate),
                pct(w.infra_rate),
                ms(|l| l.p50),
                ms(|l| l.p95),
                ms(|l| l.p99),
                w.alive.to_string(),
                w.rss_mb.map_or("-".to_string(), |m| format!("{m}")),
                w.open_fds.map_or("-".to_string(), |f| f.to_string()),
            ]
        })
        .collect();
    s.trends = ts
        .trends
        .iter()
        .map(|(key, t)| {
            format!(
                "{} `{}`: p95 {} ms in the last third against {} ms in the first (drift {:.2}, 95 % intervals [{}, {}] and [{}, {}]){}",
                if t.degraded { "⚠️" } else { "✅" },
                cell(key),
                fmt_ms(t.last_p95),
                fmt_ms(t.first_p95),
                t.drift,
                fmt_ms(t.last_ci[0]),
                fmt_ms(t.last_ci[1]),
                fmt_ms(t.first_ci[0]),
                fmt_ms(t.first_ci[1]),
                if t.degraded { ": degraded" } else { "" }
            )
        })
        .collect();
}
