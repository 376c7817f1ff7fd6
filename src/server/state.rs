//! What the reference server keeps between requests: the local provider it fronts, the checkpoint
//! jobs it reports on, and the answers to idempotency keys.
//!
//! A ready checkpoint's job id is persisted next to the provider's state (`ROOT/serve-checkpoints`),
//! so a server restarted on the same root still restores every checkpoint it acknowledged.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use bytes::Bytes;
use tokio::sync::OnceCell;

use super::clients::ClientLog;
use super::faults::FaultInjector;
use crate::config::Secret;
use crate::provider::{CheckpointId, LocalProvider};

/// How many idempotency keys are remembered; the oldest are forgotten first.
const IDEMPOTENCY_CAPACITY: usize = 10_000;

pub struct AppState {
    pub provider: Arc<LocalProvider>,
    pub token: Option<Secret>,
    pub faults: FaultInjector,
    pub jobs: CheckpointJobs,
    pub idempotency: IdempotencyCache,
    pub clients: ClientLog,
}

/// A checkpoint job as clients see it.
#[derive(Clone, Debug)]
pub enum Job {
    Pending,
    Ready(CheckpointId),
    Failed(String),
}

pub struct CheckpointJobs {
    dir: PathBuf,
    nonce: u32,
    counter: AtomicU64,
    jobs: Mutex<HashMap<String, Job>>,
}

impl CheckpointJobs {
    pub fn open(dir: PathBuf) -> std::io::Result<Self> {
        std::fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            nonce: rand::random(),
            counter: AtomicU64::new(0),
            jobs: Mutex::default(),
        })
    }

    pub fn start(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let id = format!("cpj-{:08x}-{n:06}", self.nonce);
        self.lock().insert(id.clone(), Job::Pending);
        id
    }

    /// Records the outcome; a ready job is written to disk before it is reported ready.
    pub fn finish(&self, id: &str, job: Job) {
        let job = match job {
            Job::Ready(cp) => match self.persist(id, &cp) {
                Ok(()) => Job::Ready(cp),
                Err(e) => Job::Failed(format!("cannot persist checkpoint: {e}")),
            },
            other => other,
        };
        self.lock().insert(id.to_string(), job);
    }

    fn persist(&self, id: &str, cp: &CheckpointId) -> std::io::Result<()> {
        let tmp = self.dir.join(format!(".{id}.tmp"));
        std::fs::write(&tmp, cp.0.as_bytes())?;
        std::fs::rename(&tmp, self.dir.join(id))
    }

    /// The job's state, from memory or, after a restart, from disk.
    pub fn get(&self, id: &str) -> Option<Job> {
        if !crate::server::guard::is_plain_id(id) {
            return None;
        }
        if let Some(job) = self.lock().get(id) {
            return Some(job.clone());
        }
        let local = std::fs::read_to_string(self.dir.join(id)).ok()?;
        Some(Job::Ready(CheckpointId(local.trim().to_string())))
    }

    /// The checkpoints of every other job that is ready, in a stable order: what a mix-up fault
    /// restores instead of `id`'s.
    pub fn others_ready(&self, id: &str) -> Vec<CheckpointId> {
        let jobs = self.lock();
        let mut others: Vec<(&String, &CheckpointId)> = jobs
            .iter()
            .filter_map(|(job, state)| match state {
                Job::Ready(cp) if job != id => Some((job, cp)),
                _ => None,
            })
            .collect();
        others.sort_by(|a, b| a.0.cmp(b.0));
        others.into_iter().map(|(_, cp)| cp.clone()).collect()
    }

    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
        let _ = std::fs::remove_file(self.dir.join(id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A finished answer, stored whole so a retry gets exactly what the first attempt would have.
pub type Answer = (StatusCode, &'static str, Bytes);

/// Answers by idempotency key: a repeated key waits for, then replays, the first answer.
#[derive(Default)]
pub struct IdempotencyCache {
    inner: Mutex<KeyTable>,
}

#[derive(Default)]
struct KeyTable {
    cells: HashMap<String, Arc<OnceCell<Answer>>>,
    /// Insertion order, for forgetting the oldest keys first.
    order: VecDeque<String>,
}

impl IdempotencyCache {
    pub fn cell(&self, key: String) -> Arc<OnceCell<Answer>> {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let KeyTable { cells: map, order } = &mut *guard;
        if let Some(cell) = map.get(&key) {
            return cell.clone();
        }
        let cell = Arc::new(OnceCell::new());
        map.insert(key.clone(), cell.clone());
        order.push_back(key);
        while order.len() > IDEMPOTENCY_CAPACITY {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
        cell
    }
}
