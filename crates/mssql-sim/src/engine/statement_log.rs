//! The statement log: every statement an instance receives, with the login, the database and
//! its kind (read, mutation, refused). Tests read it to prove that an audit changed nothing.
//!
//! Memory is bounded: the log keeps the last [`STATEMENT_LOG_CAPACITY`] statements (fewer when
//! their texts exceed [`STATEMENT_LOG_BYTES`]) and counts the older ones it dropped. The counts
//! of each kind ([`StatementCounts`]) are never dropped, so "nothing was changed" stays
//! provable however many statements came. The complete record, when one is wanted, is the
//! file (`--statement-log FILE`): one JSON line per statement, appended as it arrives.

use std::io::Write as _;
use std::sync::{Arc, Mutex};

/// How many statements the in-memory log keeps (the most recent ones).
pub const STATEMENT_LOG_CAPACITY: usize = 10_000;

/// How many bytes of statement text the in-memory log keeps at most; older statements are
/// dropped first when a few huge batches would exceed it.
pub const STATEMENT_LOG_BYTES: usize = 64 * 1024 * 1024;

/// Whether a statement can change the instance. The audit must only ever send `Read`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Reads state (SELECT, USE, DECLARE, SET of a variable, read-only procedures).
    Read,
    /// Anything else that was run: unproven means possibly mutating.
    Mutating,
    /// A batch the simulator could not parse: refused as a whole (a syntax error), nothing of
    /// it ran. Not proven read-only either (a real server might have run it), so checks that
    /// nothing was changed count it with the mutations.
    Refused,
}

impl Access {
    /// The word written in the log file's `kind`: `read`, `mutation` or `refused`.
    pub fn kind(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Mutating => "mutation",
            Access::Refused => "refused",
        }
    }
}

/// Where statement-log lines go (`--statement-log FILE`): one JSON object per line, shared by
/// every instance of a process.
pub type StatementSink = Arc<Mutex<Box<dyn std::io::Write + Send>>>;

/// One statement as the instance received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedStatement {
    /// The login that sent it.
    pub login: String,
    /// The session's database when the batch arrived.
    pub database: String,
    /// The statement's text (the whole batch when it could not be parsed).
    pub text: String,
    /// Its classification.
    pub access: Access,
}

/// How many statements of each kind an instance received since it started. Never dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatementCounts {
    /// Classified read-only.
    pub read: u64,
    /// Possibly changing the instance (run).
    pub mutating: u64,
    /// Refused as a whole (not parsed; nothing ran).
    pub refused: u64,
    /// Dropped from the in-memory log to keep it within its capacity (still counted above).
    pub dropped: u64,
}

impl StatementCounts {
    /// Every statement received.
    pub fn total(&self) -> u64 {
        self.read + self.mutating + self.refused
    }

    /// The statements not proven read-only: mutations and refused batches. An audit must
    /// leave this at zero.
    pub fn not_read(&self) -> u64 {
        self.mutating + self.refused
    }
}

/// The bounded log of one instance, and where it also writes.
pub(crate) struct StatementLog {
    /// Entries `start..` are the log; those before `start` were dropped (their strings already
    /// freed) and are removed in bulk, so dropping costs O(1) per statement on average.
    entries: Vec<LoggedStatement>,
    start: usize,
    bytes: usize,
    capacity: usize,
    byte_limit: usize,
    counts: StatementCounts,
    sink: Option<(String, StatementSink)>,
}

impl Default for StatementLog {
    fn default() -> StatementLog {
        StatementLog::with_limits(STATEMENT_LOG_CAPACITY, STATEMENT_LOG_BYTES)
    }
}

impl StatementLog {
    /// A log keeping at most `capacity` statements and `byte_limit` bytes of text (always at
    /// least the last statement).
    pub(crate) fn with_limits(capacity: usize, byte_limit: usize) -> StatementLog {
        StatementLog {
            entries: Vec::new(),
            start: 0,
            bytes: 0,
            capacity: capacity.max(1),
            byte_limit,
            counts: StatementCounts::default(),
            sink: None,
        }
    }

    /// Also writes every statement, as a JSON line naming `instance`, to `sink`.
    pub(crate) fn log_to(&mut self, instance: &str, sink: StatementSink) {
        self.sink = Some((instance.to_owned(), sink));
    }

    /// The statements kept, oldest first.
    pub(crate) fn statements(&self) -> &[LoggedStatement] {
        &self.entries[self.start..]
    }

    /// The counts of every statement received.
    pub(crate) fn counts(&self) -> StatementCounts {
        self.counts
    }

    /// Counts and keeps `statement`, the `batch`-th round trip the instance received (the
    /// file's lines carry it, so a benchmark can count the round trips per instance).
    pub(crate) fn record(&mut self, statement: LoggedStatement, batch: usize) {
        match statement.access {
            Access::Read => self.counts.read += 1,
            Access::Mutating => self.counts.mutating += 1,
            Access::Refused => self.counts.refused += 1,
        }
        if let Some((instance, sink)) = &self.sink {
            let time = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            // JSON escapes line breaks in the text: one statement is always one line.
            let line = serde_json::json!({
                "time": time,
                "instance": instance,
                "login": statement.login,
                "database": statement.database,
                "kind": statement.access.kind(),
                "batch": batch,
                "text": statement.text,
            });
            // One write per line: a line is never split between writes (with O_APPEND, never
            // interleaved with another writer's).
            let mut line = line.to_string();
            line.push('\n');
            let mut sink = sink.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = sink.write_all(line.as_bytes()).and_then(|()| sink.flush()) {
                tracing::warn!("statement log: {e}");
            }
        }
        self.bytes += statement.text.len() + statement.login.len() + statement.database.len();
        self.entries.push(statement);
        while self.entries.len() - self.start > 1
            && (self.entries.len() - self.start > self.capacity || self.bytes > self.byte_limit)
        {
            let old = &mut self.entries[self.start];
            self.bytes -= old.text.len() + old.login.len() + old.database.len();
            // Free the strings now; the emptied slot goes with the next compaction.
            *old = LoggedStatement {
                login: String::new(),
                database: String::new(),
                text: String::new(),
                access: old.access,
            };
            self.start += 1;
            self.counts.dropped += 1;
        }
        // Compact once a quarter of the capacity is dropped slots: at most capacity × 1.25
        // slots are ever held, and each statement is moved at most a few times on average.
        if self.start > 0 && self.start >= (self.capacity / 4).max(1) {
            self.entries.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(i: usize, access: Access) -> LoggedStatement {
        LoggedStatement {
            login: "sa".into(),
            database: "master".into(),
            text: format!("SELECT {i}"),
            access,
        }
    }

    #[test]
    fn keeps_the_last_capacity_statements_and_counts_every_one() {
        let mut log = StatementLog::with_limits(100, usize::MAX);
        for i in 0..1_000 {
            let access = if i % 10 == 0 {
                Access::Mutating
            } else {
                Access::Read
            };
            log.record(statement(i, access), 1);
            assert!(log.statements().len() <= 100);
            assert!(log.entries.len() <= 125, "{}", log.entries.len());
        }
        let kept = log.statements();
        assert_eq!(kept.len(), 100);
        assert_eq!(kept[0].text, "SELECT 900");
        assert_eq!(kept[99].text, "SELECT 999");
        let counts = log.counts();
        assert_eq!(
            counts,
            StatementCounts {
                read: 900,
                mutating: 100,
                refused: 0,
                dropped: 900
            }
        );
        assert_eq!(counts.not_read(), 100);
        assert_eq!(counts.total(), 1_000);
    }

    #[test]
    fn huge_texts_are_dropped_first_by_bytes_but_the_last_statement_is_kept() {
        let mut log = StatementLog::with_limits(100, 1_000);
        for _ in 0..5 {
            log.record(
                LoggedStatement {
                    login: "sa".into(),
                    database: "master".into(),
                    text: "x".repeat(600),
                    access: Access::Refused,
                },
                1,
            );
        }
        assert_eq!(log.statements().len(), 1);
        assert_eq!(log.counts().refused, 5);
        assert_eq!(log.counts().dropped, 4);
        log.record(statement(1, Access::Read), 2);
        assert_eq!(log.statements().len(), 2);
    }

    #[test]
    fn the_file_gets_one_json_line_per_statement() {
        #[derive(Clone, Default)]
        struct Shared(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Shared {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let out = Shared::default();
        let mut log = StatementLog::with_limits(1, usize::MAX);
        log.log_to("HOST\\INST", Arc::new(Mutex::new(Box::new(out.clone()))));
        log.record(
            LoggedStatement {
                login: "auditor".into(),
                database: "SalesDB".into(),
                text: "SELECT 1\nSELECT 2".into(),
                access: Access::Read,
            },
            7,
        );
        log.record(statement(2, Access::Mutating), 7);
        log.record(statement(3, Access::Refused), 8);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0]["instance"], "HOST\\INST");
        assert_eq!(lines[0]["login"], "auditor");
        assert_eq!(lines[0]["database"], "SalesDB");
        assert_eq!(lines[0]["kind"], "read");
        assert_eq!(lines[0]["batch"], 7);
        assert_eq!(lines[2]["batch"], 8);
        assert_eq!(lines[0]["text"], "SELECT 1\nSELECT 2");
        assert!(
            time::OffsetDateTime::parse(
                lines[0]["time"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339
            )
            .is_ok()
        );
        assert_eq!(lines[1]["kind"], "mutation");
        assert_eq!(lines[2]["kind"], "refused");
        // The file has everything; memory only the last one.
        assert_eq!(log.statements().len(), 1);
    }
}
