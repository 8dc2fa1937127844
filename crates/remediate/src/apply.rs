//! Running scripts: servers in parallel (bounded), batches in order within a server, each
//! batch's outcome kept. A failed batch does not stop the next ones (every generated batch
//! checks its own state and depends on no other); a lost connection or a timeout stops that
//! server, and its remaining batches are reported as not run.

use std::sync::Arc;
use std::time::Duration;

use collect::Endpoint;
use collect::batch;
use collect::connect::connect;
use tokio::sync::Semaphore;

use crate::script::Batch;
use crate::secrets::Secrets;

/// One server's script to run.
pub struct ServerJob {
    /// The target's id.
    pub target_id: String,
    /// Where and how to connect.
    pub endpoint: Endpoint,
    /// Time allowed for each batch.
    pub batch_timeout: Duration,
    /// The script's batches, in order.
    pub batches: Vec<Batch>,
    /// The generated secrets its placeholders stand for.
    pub secrets: Secrets,
}

/// What one batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and changed the server.
    Ok,
    /// Nothing to do: commented out, already in the desired state, or the connecting
    /// principal protected (the reason says which).
    Skipped(String),
    /// The server refused it (the message, secrets masked).
    Error(String),
    /// Not attempted: the server could not be reached or was lost before it.
    NotRun(String),
}

impl Outcome {
    /// The stored name: `ok`, `skipped`, `error`, `not_run`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Skipped(_) => "skipped",
            Outcome::Error(_) => "error",
            Outcome::NotRun(_) => "not_run",
        }
    }

    /// Its message, if any.
    pub fn message(&self) -> Option<&str> {
        match self {
            Outcome::Ok => None,
            Outcome::Skipped(m) | Outcome::Error(m) | Outcome::NotRun(m) => Some(m),
        }
    }
}

/// One batch's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchResult {
    /// Its number in the script.
    pub number: usize,
    /// The check it fixes.
    pub check: Option<String>,
    /// What happened.
    pub outcome: Outcome,
}

/// One server's results.
#[derive(Debug, Clone)]
pub struct ServerResult {
    /// The target's id.
    pub target_id: String,
    /// Why it could not be reached, if it could not.
    pub unreached: Option<String>,
    /// Every batch's result, in order.
    pub batches: Vec<BatchResult>,
}

/// Runs every job, `concurrency` servers at a time. `finished` sees each server's result as
/// soon as that server is done (to record it before the others end); the results are
/// returned in the jobs' order.
pub async fn run_all(
    jobs: Vec<ServerJob>,
    concurrency: usize,
    mut finished: impl FnMut(&ServerResult),
) -> Vec<ServerResult> {
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut ids = Vec::with_capacity(jobs.len());
    let mut tasks = tokio::task::JoinSet::new();
    let mut task_index = std::collections::HashMap::new();
    for (index, job) in jobs.into_iter().enumerate() {
        let limit = Arc::clone(&limit);
        ids.push(job.target_id.clone());
        let handle = tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            run_one(job).await
        });
        task_index.insert(handle.id(), index);
    }
    let mut out: Vec<Option<ServerResult>> = vec![None; ids.len()];
    while let Some(done) = tasks.join_next_with_id().await {
        let (index, result) = match done {
            Ok((task, result)) => (task_index[&task], result),
            Err(e) => {
                let index = task_index[&e.id()];
                (
                    index,
                    ServerResult {
                        target_id: ids[index].clone(),
                        unreached: Some(
                            "internal error while running this server's script (a bug: please report it with the run log)"
                                .into(),
                        ),
                        batches: Vec::new(),
                    },
                )
            }
        };
        finished(&result);
        out[index] = Some(result);
    }
    out.into_iter().flatten().collect()
}

async fn run_one(job: ServerJob) -> ServerResult {
    let not_run = |batches: &[Batch], why: &str| -> Vec<BatchResult> {
        batches
            .iter()
            .map(|b| BatchResult {
                number: b.number,
                check: b.check.clone(),
                outcome: if b.is_executable() {
                    Outcome::NotRun(why.to_owned())
                } else {
                    Outcome::Skipped(commented_reason(b))
                },
            })
            .collect()
    };
    let mut conn = match connect(&job.endpoint).await {
        Ok(conn) => conn,
        Err(e) => {
            let reason = e.to_string();
            return ServerResult {
                target_id: job.target_id,
                batches: not_run(&job.batches, &format!("not reached: {reason}")),
                unreached: Some(reason),
            };
        }
    };
    let mut results = Vec::with_capacity(job.batches.len());
    for (i, b) in job.batches.iter().enumerate() {
        if !b.is_executable() {
            results.push(BatchResult {
                number: b.number,
                check: b.check.clone(),
                outcome: Outcome::Skipped(commented_reason(b)),
            });
            continue;
        }
        let sql = match job.secrets.substitute(&b.sql) {
            Ok(sql) => sql,
            Err(message) => {
                results.push(BatchResult {
                    number: b.number,
                    check: b.check.clone(),
                    outcome: Outcome::Error(message),
                });
                continue;
            }
        };
        let answer = tokio::time::timeout(job.batch_timeout, batch::run(&mut conn, &sql)).await;
        let outcome = match answer {
            Err(_) => {
                let why = format!(
                    "no answer within {} s (the batch may still be running on the server)",
                    job.batch_timeout.as_secs()
                );
                results.push(BatchResult {
                    number: b.number,
                    check: b.check.clone(),
                    outcome: Outcome::Error(why.clone()),
                });
                results.extend(not_run(
                    &job.batches[i + 1..],
                    "an earlier batch timed out; the connection was given up",
                ));
                break;
            }
            Ok(Err(e)) => {
                let message = job.secrets.redact(&e.to_string());
                let lost = !batch::is_statement_error(&e);
                results.push(BatchResult {
                    number: b.number,
                    check: b.check.clone(),
                    outcome: Outcome::Error(message),
                });
                if lost {
                    results.extend(not_run(
                        &job.batches[i + 1..],
                        "the connection was lost during an earlier batch",
                    ));
                    break;
                }
                continue;
            }
            Ok(Ok(answer)) if answer.error.is_some() => Outcome::Error(
                job.secrets
                    .redact(answer.error.as_deref().unwrap_or_default()),
            ),
            Ok(Ok(mut answer)) => match answer.take("outcome") {
                Ok(rows) => match rows
                    .records()
                    .last()
                    .and_then(|r| r.string("outcome").ok())
                    .as_deref()
                {
                    Some("changed") => Outcome::Ok,
                    Some("unchanged") => {
                        Outcome::Skipped("already in the desired state".to_owned())
                    }
                    Some("pending_restart") => Outcome::Skipped(
                        "already configured; takes effect when the SQL Server service restarts"
                            .to_owned(),
                    ),
                    Some("protected") => Outcome::Skipped(
                        "lockout protection: it would touch the principal this connection uses"
                            .to_owned(),
                    ),
                    other => Outcome::Ok.or_unknown(other),
                },
                // A hand-written batch without the outcome row: it ran without error.
                Err(_) => Outcome::Ok,
            },
        };
        results.push(BatchResult {
            number: b.number,
            check: b.check.clone(),
            outcome,
        });
    }
    ServerResult {
        target_id: job.target_id,
        unreached: None,
        batches: results,
    }
}

impl Outcome {
    fn or_unknown(self, answer: Option<&str>) -> Outcome {
        match answer {
            None => self,
            Some(other) => Outcome::Error(format!(
                "the batch answered `{other}`, not changed / unchanged / protected"
            )),
        }
    }
}

fn commented_reason(b: &Batch) -> String {
    match b.state.as_str() {
        "held" => "held: a documented exception or lockout protection".to_owned(),
        "commented" => "commented out at this level".to_owned(),
        "info" => "manual step".to_owned(),
        _ => "nothing to run (only comments)".to_owned(),
    }
}
