//! A trivial call's latency, against the network's round trip. A server that writes a response's
//! headers and body in two writes without TCP_NODELAY stalls each answer until the client's delayed
//! ACK, about 40 ms on Linux: every call of every workload then costs 40 ms more than the platform
//! spends. The round trip is measured as TCP connects, so a far-away platform is not blamed for
//! its distance.

use std::time::{Duration, Instant};

use super::super::session::Session;
use super::super::wire::{Exec, Kind, Wire};
use super::COMMAND_TIMEOUT;

const SAMPLES: usize = 10;
/// The stall of a delayed ACK, give or take: an excess here is the Nagle trap, not slowness.
const NAGLE_BAND: std::ops::RangeInclusive<u128> = 30..=60;

pub async fn run(s: &Session, sb: &str) {
    let mut health = Vec::new();
    for _ in 0..SAMPLES {
        let started = Instant::now();
        if let Err(e) = s.wire.health().await {
            return s.fail("latency", "health to answer", e.to_string());
        }
        health.push(started.elapsed());
    }
    let mut exec = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        if s.wire.exec(sb, Exec::new(&["true"], COMMAND_TIMEOUT)).await.is_ok() {
            exec.push(started.elapsed());
        }
    }
    let rtt = match (s.kind, &s.http) {
        (Kind::Http, Some(http)) => round_trip(http.base()).await,
        _ => None,
    };
    judge(s, &health, &exec, rtt);
}

fn judge(s: &Session, health: &[Duration], exec: &[Duration], rtt: Option<Duration>) {
    let min = health.iter().min().copied().unwrap_or_default();
    let facts = format!(
        "health min {} ms, median {} ms; exec `true` median {} ms{}",
        ms(min),
        ms(median(health)),
        ms(median(exec)),
        rtt.map(|r| format!("; network round trip {} ms", ms(r)))
            .unwrap_or_default()
    );
    let excess = min.saturating_sub(rtt.unwrap_or_default()).as_millis();
    let expected = "a trivial call to cost about one network round trip";
    if NAGLE_BAND.contains(&excess) {
        let trap = format!(
            "{facts}: ~{excess} ms above the round trip on every call, the Nagle/delayed-ACK stall of a server \
             that writes headers and body separately; set TCP_NODELAY on accepted sockets or write each response at once"
        );
        match s.kind {
            Kind::Http => s.fail("latency", expected, trap),
            // Without a round trip to compare with, the plugin's own work may be the cause.
            Kind::Command => s.warn("latency", expected, trap),
        }
    } else if excess > *NAGLE_BAND.end() {
        s.warn("latency", expected, format!("{facts}: a trivial call is slow"));
    } else {
        s.pass("latency", facts);
    }
}

/// The smallest of a few TCP connects to the endpoint's host: about one round trip.
async fn round_trip(base: &str) -> Option<Duration> {
    let url = reqwest::Url::parse(base).ok()?;
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port_or_known_default()?;
    let addr = tokio::net::lookup_host((host.as_str(), port)).await.ok()?.next()?;
    let mut best: Option<Duration> = None;
    for _ in 0..5 {
        let started = Instant::now();
        let connected = tokio::time::timeout(Duration::from_secs(5), tokio::net::TcpStream::connect(addr)).await;
        if matches!(connected, Ok(Ok(_))) {
            let took = started.elapsed();
            best = Some(best.map_or(took, |b| b.min(took)));
        }
    }
    best
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}
