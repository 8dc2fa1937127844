//! `mssql-sim`: serve simulated SQL Server instances on loopback ports until interrupted.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use mssql_sim::fixtures;

/// Simulated SQL Server instances speaking TDS, for demos, training and tests.
#[derive(Debug, Parser)]
#[command(name = "mssql-sim", version)]
struct Args {
    /// An instance to serve: builtin:NAME (one of: legacy-2008r2, sql2012, sql2014, sql2016,
    /// sql2017, typical-2019, hardened-2022, linux-2022, sql2025) or the path of a fixture file (TOML, see
    /// docs/simulator.md). Repeatable.
    #[arg(long, value_name = "builtin:NAME|PATH")]
    fixture: Vec<String>,
    /// Also serve N generated instances (versions and misconfigurations drawn from --seed).
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// With --generate: this many user databases per instance (default: 1 to 5, drawn).
    #[arg(long, value_name = "N", requires = "generate")]
    databases: Option<usize>,
    /// Seed for --generate; the same seed gives the same instances.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Address of the first instance; the others take the following ports (port 0: any free
    /// port for each).
    #[arg(long, default_value = "127.0.0.1:0", conflicts_with = "base_port")]
    listen: SocketAddr,
    /// Shorthand for --listen 127.0.0.1:P.
    #[arg(long, value_name = "P")]
    base_port: Option<u16>,
    /// Also answer SQL Server Browser requests (SSRP, UDP) on ADDR for every named instance
    /// served (127.0.0.1:1434 is where clients look by default).
    #[arg(long, value_name = "ADDR")]
    browser: Option<SocketAddr>,
    /// Present this certificate (PEM chain, leaf first) instead of a generated self-signed
    /// one; needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Append every statement received, by any instance, to FILE: one JSON line each (time,
    /// instance, login, database, kind "read", "mutation" or "refused", text). The in-memory
    /// log keeps only the last 10,000; the file keeps everything.
    #[arg(long, value_name = "FILE")]
    statement_log: Option<std::path::PathBuf>,
    /// Print the listing of the catalog (every view, DMV and msdb table per version, as
    /// docs/simulator-catalog.md holds it) and exit.
    #[arg(long)]
    catalog_listing: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = Args::parse();
    if args.catalog_listing {
        print!("{}", mssql_sim::catalog_schema::markdown());
        return ExitCode::SUCCESS;
    }
    if let Some(port) = args.base_port {
        args.listen = SocketAddr::from(([127, 0, 0, 1], port));
    }
    let mut instances = Vec::new();
    for fixture in &args.fixture {
        match fixtures::load(fixture) {
            Ok(instance) => {
                let label = fixture
                    .strip_prefix("builtin:")
                    .unwrap_or(fixture)
                    .to_owned();
                instances.push((label, instance));
            }
            Err(e) => {
                eprintln!("mssql-sim: error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let Some(count) = args.generate {
        for (n, instance) in fixtures::generate_with(count, args.seed, args.databases)
            .into_iter()
            .enumerate()
        {
            instances.push((format!("generated-{n}"), instance));
        }
    }
    if instances.is_empty() {
        eprintln!(
            "mssql-sim: error: nothing to serve; give --fixture builtin:NAME or --generate N"
        );
        return ExitCode::from(2);
    }
    let sink: Option<mssql_sim::engine::StatementSink> = match &args.statement_log {
        None => None,
        Some(path) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(file) => Some(std::sync::Arc::new(std::sync::Mutex::new(Box::new(file)))),
            Err(e) => {
                eprintln!(
                    "mssql-sim: error: cannot open the statement log {}: {e}",
                    path.display()
                );
                return ExitCode::from(2);
            }
        },
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => {
            match mssql_sim::server::TlsIdentity::from_pem_files(cert, key) {
                Ok(identity) => Some(std::sync::Arc::new(identity)),
                Err(e) => {
                    eprintln!("mssql-sim: error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        _ => None,
    };
    let mut servers = Vec::with_capacity(instances.len());
    let mut browser_entries = Vec::new();
    for (i, (name, instance)) in instances.into_iter().enumerate() {
        let mut addr = args.listen;
        if addr.port() != 0 {
            addr.set_port(addr.port() + i as u16);
        }
        let options = mssql_sim::server::ServerOptions {
            encryption: instance.encryption.into(),
            tls: tls.clone(),
            statement_log: sink.clone(),
        };
        match mssql_sim::server::start_with(instance.clone(), addr, options).await {
            Ok(server) => {
                browser_entries.push(mssql_sim::browser::Entry {
                    server: instance.machine_name().to_owned(),
                    instance: instance.instance_name().unwrap_or("MSSQLSERVER").to_owned(),
                    version: instance.product_version(),
                    port: server.addr.port(),
                });
                println!(
                    "{name} {} {} {}",
                    server.addr,
                    instance.server_name,
                    instance.product_version()
                );
                servers.push(server);
            }
            Err(e) => {
                eprintln!("mssql-sim: error: cannot listen on {addr} for {name}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let _browser = match args.browser {
        None => None,
        Some(addr) => match mssql_sim::browser::start(addr, browser_entries).await {
            Ok(browser) => {
                println!("browser {}", browser.addr);
                Some(browser)
            }
            Err(e) => {
                eprintln!("mssql-sim: error: cannot answer SQL Browser requests on {addr}: {e}");
                return ExitCode::from(1);
            }
        },
    };
    println!("ready: {} instance(s); Ctrl-C stops", servers.len());
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}
