//! The tool's own footprint: peak RSS and CPU time from getrusage at the end, and the highest number
//! of open file descriptors from a light sampler (a count of /proc/self/fd every 200 ms). A burst of
//! many sandboxes is bounded by the generator's file descriptors and CPU as much as by the platform;
//! these numbers tell a user which one they measured.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::windows::WindowSet;
use crate::report::HostStats;

const SAMPLE_EVERY: Duration = Duration::from_millis(200);

/// Samples open file descriptors on a thread of its own (no async runtime needed, and a busy runtime
/// does not delay the samples) until [`HostSampler::finish`].
pub struct HostSampler {
    max_fds: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    sampled: bool,
}

impl HostSampler {
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// As [`HostSampler::start`], also writing the current RSS and open descriptors into the
    /// time-series windows, so a leak in the client shows over a long run.
    pub fn start_with(windows: Option<Arc<WindowSet>>) -> Self {
        let max_fds = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let sampled = open_fds().is_some();
        let thread = sampled
            .then(|| {
                let (max_fds, stop) = (max_fds.clone(), stop.clone());
                std::thread::Builder::new()
                    .name("fd-sampler".into())
                    .spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            let fds = open_fds();
                            if let Some(n) = fds {
                                max_fds.fetch_max(n, Ordering::Relaxed);
                            }
                            if let Some(w) = &windows {
                                w.sample_host(current_rss_mb(), fds);
                            }
                            std::thread::park_timeout(SAMPLE_EVERY);
                        }
                    })
                    .ok()
            })
            .flatten();
        Self {
            max_fds,
            stop,
            sampled: thread.is_some(),
            thread,
        }
    }

    /// Stops the sampler and reads the process's totals.
    pub fn finish(mut self) -> HostStats {
        self.stop_thread();
        if let Some(n) = open_fds() {
            self.max_fds.fetch_max(n, Ordering::Relaxed);
        }
        let (peak_rss_mb, cpu_s) = rusage();
        let fd_limit = fd_limit();
        let (max_open_fds, fds_source) = if self.sampled {
            (self.max_fds.load(Ordering::Relaxed), "sampled")
        } else {
            (fd_limit, "rlimit")
        };
        HostStats {
            peak_rss_mb,
            cpu_s,
            max_open_fds,
            fds_source: fds_source.to_string(),
            fd_limit,
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get() as u64),
        }
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

impl Drop for HostSampler {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Open descriptors of this process, or `None` where /proc is not available.
fn open_fds() -> Option<u64> {
    std::fs::read_dir("/proc/self/fd").ok().map(|d| d.count() as u64)
}

/// Resident memory now, in MB, from /proc/self/statm (`None` where there is no /proc).
fn current_rss_mb() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    let page = if page > 0 { page as f64 } else { 4096.0 };
    Some((pages * page / 1_048_576.0 * 10.0).round() / 10.0)
}

/// (peak RSS in MB, user + system CPU seconds).
fn rusage() -> (f64, f64) {
    // SAFETY: getrusage fills the struct we own; a zeroed rusage is a valid value to start from.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    // Linux reports ru_maxrss in KiB (macOS in bytes).
    let rss_kib = if cfg!(target_os = "macos") {
        ru.ru_maxrss as f64 / 1024.0
    } else {
        ru.ru_maxrss as f64
    };
    let round = |v: f64, p: f64| (v * p).round() / p;
    (
        round(rss_kib / 1024.0, 10.0),
        round(secs(ru.ru_utime) + secs(ru.ru_stime), 1000.0),
    )
}

fn fd_limit() -> u64 {
    // SAFETY: getrlimit fills the struct we own.
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    lim.rlim_cur as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_descriptors_memory_and_cpu() {
        let sampler = HostSampler::start();
        let files: Vec<std::fs::File> = (0..20)
            .filter_map(|_| std::fs::File::open("/proc/self/stat").ok())
            .collect();
        std::thread::sleep(Duration::from_millis(300));
        let stats = sampler.finish();
        drop(files);
        assert!(stats.peak_rss_mb > 1.0, "{stats:?}");
        assert!(stats.fd_limit > 0, "{stats:?}");
        if stats.fds_source == "sampled" {
            assert!(stats.max_open_fds >= 20, "{stats:?}");
        } else {
            assert_eq!(stats.max_open_fds, stats.fd_limit);
        }
    }
}
