//! The simulator's memory under a long run (BENCHMARKS.md, "The simulator's memory over a
//! million queries"): one `mssql-sim` process serving one instance answers 1,000,000 simple
//! batches over a few tiberius connections; the resident memory of the simulator process
//! (VmRSS, and the peak VmHWM, from /proc/PID/status) is read at checkpoints. Flat memory is
//! the point: nothing kept per query, the statement log bounded.
//!
//! ```sh
//! cargo bench -p mssql-sim --bench memory_flat
//! MEMORY_FLAT_QUERIES=200000 MEMORY_FLAT_CONNECTIONS=2 cargo bench -p mssql-sim --bench memory_flat
//! MEMORY_FLAT_STATEMENT_LOG=/tmp/statements.jsonl cargo bench -p mssql-sim --bench memory_flat
//! ```
//!
//! Prints a Markdown table. Linux only (procfs). No assertion: numbers are measured, and
//! judged by whoever reads them. Without `--bench` (which `cargo bench` passes), e.g. under
//! `cargo test --benches`, it answers only 1,000 queries unless MEMORY_FLAT_QUERIES says more.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use tiberius::{AuthMethod, Client, Config, EncryptionLevel};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncWriteCompatExt};

/// The statements sent in turn: a catalog view (the path that leaked before), a system
/// function, a global.
const QUERIES: &[&str] = &[
    "SELECT name, is_disabled FROM sys.sql_logins WHERE name = 'sa'",
    "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS v",
    "SELECT @@SERVERNAME AS s",
    "SELECT name, state_desc FROM sys.databases ORDER BY database_id",
];

struct Simulator(Child);

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

/// (VmRSS, VmHWM) of `pid`, KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn connect(port: u16) -> Client<Compat<TcpStream>> {
    let mut config = Config::new();
    config.host("127.0.0.1");
    config.port(port);
    config.authentication(AuthMethod::sql_server(
        "autodbaudit",
        mssql_sim::fixtures::DEMO_PASSWORD,
    ));
    config.encryption(EncryptionLevel::NotSupported);
    let tcp = TcpStream::connect(config.get_addr()).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    Client::connect(config, tcp.compat_write()).await.unwrap()
}

/// Sends `count` batches on `client`, starting at `offset` in the query rotation.
async fn run(
    mut client: Client<Compat<TcpStream>>,
    offset: u64,
    count: u64,
) -> Client<Compat<TcpStream>> {
    for i in 0..count {
        let query = QUERIES[((offset + i) % QUERIES.len() as u64) as usize];
        let rows = client
            .simple_query(query)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .into_first_result()
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert!(!rows.is_empty(), "{query}: no row");
    }
    client
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` / `cargo test --benches`: nothing to list.
    }
    // `cargo bench` passes --bench; run any other way (`cargo test --benches`, a debug build
    // by hand) it is a quick smoke run unless told otherwise.
    let measuring = std::env::args().any(|a| a == "--bench");
    let total = env_number(
        "MEMORY_FLAT_QUERIES",
        if measuring { 1_000_000 } else { 1_000 },
    );
    let connections = env_number("MEMORY_FLAT_CONNECTIONS", 4).max(1);
    let mut command = Command::new(env!("CARGO_BIN_EXE_mssql-sim"));
    command
        .args([
            "--fixture",
            "builtin:typical-2019",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped());
    if let Ok(path) = std::env::var("MEMORY_FLAT_STATEMENT_LOG") {
        command.args(["--statement-log", &path]);
    }
    let mut child = command.spawn().expect("mssql-sim");
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let sim = Simulator(child);
    let pid = sim.0.id();
    let mut port = 0;
    for line in stdout.lines() {
        let line = line.unwrap();
        if line.starts_with("ready") {
            break;
        }
        let addr: std::net::SocketAddr = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        port = addr.port();
    }
    let mut clients = Vec::new();
    for _ in 0..connections {
        clients.push(connect(port).await);
    }
    let (rss, _) = memory_kib(pid);
    println!(
        "mssql-sim {} serving typical-2019, {connections} connection(s), {total} queries",
        env!("CARGO_PKG_VERSION")
    );
    println!();
    println!(
        "| queries answered | RSS of mssql-sim | peak RSS (VmHWM) | queries/s since the last row |"
    );
    println!("|---:|---:|---:|---:|");
    println!("| 0 (logged in) | {:.1} MiB | | |", rss as f64 / 1024.0);
    let mut checkpoints: Vec<u64> = [10_000, 100_000, 250_000, 500_000, 750_000, 1_000_000]
        .into_iter()
        .filter(|&c| c < total)
        .collect();
    checkpoints.push(total);
    let mut done = 0;
    for checkpoint in checkpoints {
        let started = Instant::now();
        let share = (checkpoint - done) / connections;
        let mut tasks = Vec::new();
        for (n, client) in clients.drain(..).enumerate() {
            let n = n as u64;
            // The last connection takes the remainder.
            let count = if n + 1 == connections {
                checkpoint - done - share * (connections - 1)
            } else {
                share
            };
            tasks.push(tokio::spawn(run(client, done + n, count)));
        }
        for task in tasks {
            clients.push(task.await.unwrap());
        }
        let rate = (checkpoint - done) as f64 / started.elapsed().as_secs_f64();
        done = checkpoint;
        let (rss, hwm) = memory_kib(pid);
        println!(
            "| {done} | {:.1} MiB | {:.1} MiB | {rate:.0} |",
            rss as f64 / 1024.0,
            hwm as f64 / 1024.0
        );
    }
}
