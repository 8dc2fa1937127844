//! Diagnostics logging with `tracing`: a console stream and one log file per run.
//!
//! The console shows warnings (more with `-v`). The run log under `output/logs/` records debug
//! detail for support. Its file is opened only once a command knows it will change the
//! workspace (`attach_run_log`): until then events are buffered in memory, so a command that
//! fails validation writes nothing at all. Both streams pass every line through secret redaction.

use std::fs::{self, File};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use audit_credentials::redact::redact;
use time::OffsetDateTime;
use time::macros::format_description;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Where run-log events go: memory until a file is attached.
enum RunLog {
    Buffer(Vec<u8>),
    File(File),
}

/// Events kept before a command decides to write a log; a run that never attaches a file
/// discards them. Bounded so that a long read-only command cannot grow without limit.
const MAX_BUFFER: usize = 1 << 20;

static RUN_LOG: Mutex<RunLog> = Mutex::new(RunLog::Buffer(Vec::new()));

/// The run log's writer handle.
struct RunLogWriter;

impl Write for RunLogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let clean = redact(&text);
        let mut log = RUN_LOG.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *log {
            RunLog::Buffer(buffer) => {
                if buffer.len() + clean.len() <= MAX_BUFFER {
                    buffer.extend_from_slice(clean.as_bytes());
                }
            }
            RunLog::File(file) => file.write_all(clean.as_bytes())?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut *RUN_LOG.lock().unwrap_or_else(|e| e.into_inner()) {
            RunLog::Buffer(_) => Ok(()),
            RunLog::File(file) => file.flush(),
        }
    }
}

/// The console's writer handle: standard error, redacted.
struct ConsoleWriter;

impl Write for ConsoleWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

struct Writers<W>(fn() -> W);

impl<'a, W: Write + 'a> MakeWriter<'a> for Writers<W> {
    type Writer = W;
    fn make_writer(&'a self) -> W {
        (self.0)()
    }
}

/// Installs the console and run-log subscribers. `verbosity`: -1 quiet, 0 normal, 1+ verbose.
/// `AUTODBAUDIT_LOG` (tracing's filter syntax) overrides the console level.
pub fn init(verbosity: i8, color: bool) {
    let console_level = match verbosity {
        i8::MIN..=-1 => "error",
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    // The TDS library's own lines stay in the run log unless asked for with -vv: each server
    // error it logs (a permission refused to a least-privileged login, a login failure) is one
    // the audit handles and reports in its own words, and its notes on trusted certificates
    // repeat what the config check explained. `-q` therefore prints only the tool's own errors.
    let library_level = if verbosity >= 2 { console_level } else { "off" };
    let console_filter = EnvFilter::try_from_env("AUTODBAUDIT_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{console_level},tiberius={library_level}")));
    let console = tracing_subscriber::fmt::layer()
        .with_writer(Writers(|| ConsoleWriter))
        .with_ansi(color && io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .with_filter(console_filter);
    let file = tracing_subscriber::fmt::layer()
        .with_writer(Writers(|| RunLogWriter))
        .with_ansi(false)
        .with_filter(EnvFilter::new(
            "info,autodbaudit=debug,audit_config=debug,audit_credentials=debug,collect=debug,tiberius=warn",
        ));
    // A second init (tests calling run twice in one process) keeps the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(console)
        .with(file)
        .try_init();
}

/// Opens `output/logs/<UTC time>-<command>.log` in `workspace` and writes what was buffered.
/// Called by commands that change the workspace, once their input is known to be valid.
pub fn attach_run_log(workspace: &Path, command: &str) -> io::Result<PathBuf> {
    let dir = workspace.join("output").join("logs");
    fs::create_dir_all(&dir)?;
    let now = OffsetDateTime::now_utc();
    let stamp = now
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("UTC time formats");
    let path = dir.join(format!("{stamp}-{command}-{}.log", std::process::id()));
    let mut file = fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)?;
    let mut log = RUN_LOG.lock().unwrap_or_else(|e| e.into_inner());
    if let RunLog::Buffer(buffer) = &*log {
        file.write_all(buffer)?;
    }
    *log = RunLog::File(file);
    Ok(path)
}
