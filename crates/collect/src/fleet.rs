//! Many targets at once: bounded concurrency, per-target timeouts, progress events, and a
//! stop signal that keeps what was collected.

use std::sync::Arc;
use std::time::{Duration, Instant};

use audit_core::snapshot::Snapshot;
use tokio::sync::{Semaphore, watch};

use crate::connect::{Endpoint, connect};
use crate::read::collect_snapshot;

/// One target to audit.
pub struct Job {
    /// The target's id from the config.
    pub id: String,
    /// Where and how to connect.
    pub endpoint: Endpoint,
    /// Time allowed for each batch of queries.
    pub query_timeout: Duration,
}

/// What happened to one target; `T` is what the caller made of its snapshot.
#[derive(Debug)]
pub enum Outcome<T> {
    /// Connected and read (some facts may still be missing, each with its reason), then
    /// processed.
    Reached(T),
    /// Not reached or not logged in to.
    Unreached {
        /// Why, as the summary says it.
        reason: String,
    },
    /// The run was stopped (Ctrl-C) before this target finished.
    Interrupted,
}

/// Progress, for the terminal.
#[derive(Debug, Clone)]
pub enum Event {
    /// A target's connection started.
    Started(String),
    /// A target finished (reached or not).
    Finished {
        /// Target id.
        id: String,
        /// Reached.
        reached: bool,
        /// How long it took.
        elapsed: Duration,
    },
}

/// Audits every job, `concurrency` at a time, handing each snapshot to `process` as soon as it
/// is read (so that a thousand snapshots never live at once). Results come back in the jobs'
/// order. When `stop` turns true, targets not yet started are `Interrupted` and the ones in
/// flight are abandoned (their connections dropped), so the caller can write what was
/// collected.
pub async fn collect_all<T, F>(
    jobs: Vec<Job>,
    concurrency: usize,
    stop: watch::Receiver<bool>,
    progress: Arc<dyn Fn(Event) + Send + Sync>,
    process: Arc<F>,
) -> Vec<(String, Outcome<T>)>
where
    T: Send + 'static,
    F: Fn(Snapshot) -> T + Send + Sync + 'static,
{
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = Vec::with_capacity(jobs.len());
    for job in jobs {
        let limit = Arc::clone(&limit);
        let progress = Arc::clone(&progress);
        let process = Arc::clone(&process);
        let mut stop = stop.clone();
        let id = job.id.clone();
        tasks.push((
            id,
            tokio::spawn(async move {
                let permit = tokio::select! {
                    permit = limit.acquire_owned() => permit,
                    _ = stop.wait_for(|s| *s) => return Outcome::Interrupted,
                };
                let _permit = permit;
                if *stop.borrow() {
                    return Outcome::Interrupted;
                }
                progress(Event::Started(job.id.clone()));
                let started = Instant::now();
                let outcome = tokio::select! {
                    outcome = one(&job) => outcome,
                    _ = stop.wait_for(|s| *s) => Outcome::Interrupted,
                };
                let outcome = match outcome {
                    Outcome::Reached(snapshot) => Outcome::Reached(process(*snapshot)),
                    Outcome::Unreached { reason } => Outcome::Unreached { reason },
                    Outcome::Interrupted => Outcome::Interrupted,
                };
                progress(Event::Finished {
                    id: job.id.clone(),
                    reached: matches!(outcome, Outcome::Reached(_)),
                    elapsed: started.elapsed(),
                });
                outcome
            }),
        ));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for (id, task) in tasks {
        let outcome = match task.await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => Outcome::Unreached {
                reason: "internal error while auditing this target (a bug: please report it with the run log)".into(),
            },
            Err(_) => Outcome::Interrupted,
        };
        out.push((id, outcome));
    }
    out
}

async fn one(job: &Job) -> Outcome<Box<Snapshot>> {
    let mut conn = match connect(&job.endpoint).await {
        Ok(conn) => conn,
        Err(e) => {
            return Outcome::Unreached {
                reason: e.to_string(),
            };
        }
    };
    let encrypted = job.endpoint.encryption != crate::Encryption::Off;
    let scheme = match job.endpoint.auth {
        crate::Auth::Sql { .. } => "SQL",
        crate::Auth::Windows { .. } => "NTLM",
    };
    match collect_snapshot(&mut conn, encrypted, scheme, job.query_timeout).await {
        Ok(snapshot) => Outcome::Reached(Box::new(snapshot)),
        Err(e) => Outcome::Unreached {
            reason: e.to_string(),
        },
    }
}
