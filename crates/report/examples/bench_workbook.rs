//! Writes a synthetic workbook of N data rows spread over the 20 data sheets, through the real
//! layout types and writer, and prints the time it took. `cargo xtask bench-workbook` runs it
//! (release) and measures its peak memory; `bench/openpyxl_workbook.py` writes the same rows
//! with openpyxl for comparison.
//!
//! Usage: `bench_workbook ROWS OUT.xlsx`, or `bench_workbook --headers FILE` to write the
//! sheets' names, headers and own-column counts as JSON for the openpyxl script.

use std::time::Instant;

use audit_core::Status;
use report::layout::{LaidRow, Layout, SheetRows};
use report::sheets::{self, Value};
use report::{RowState, RunHeader};

fn main() {
    let mut args = std::env::args().skip(1);
    let specs = sheets::data_sheets();
    if std::env::args().nth(1).as_deref() == Some("--headers") {
        let file = std::env::args().nth(2).expect("--headers FILE");
        let json: Vec<String> = specs
            .iter()
            .map(|spec| {
                let headers: Vec<String> = sheets::headers(spec)
                    .iter()
                    .map(|h| format!("\"{h}\""))
                    .collect();
                format!(
                    "[\"{}\", [{}], {}]",
                    spec.name,
                    headers.join(", "),
                    spec.columns.len()
                )
            })
            .collect();
        std::fs::write(file, format!("[{}]", json.join(",\n"))).expect("headers written");
        return;
    }
    let rows: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200_000);
    let out = args.next().unwrap_or_else(|| "bench.xlsx".into());
    let started = Instant::now();
    let sheets: Vec<SheetRows> = specs
        .iter()
        .enumerate()
        .map(|(s, spec)| {
            let share = rows / specs.len() + usize::from(s < rows % specs.len());
            let rows = (0..share)
                .map(|i| {
                    let key = format!("target:t{}/row:{s}/{i}", i / 400);
                    LaidRow {
                        target_id: format!("t{}", i / 400).into(),
                        server: format!("sqlsrv{:04}.corp.example", i / 400).into(),
                        instance: format!("INST{}", (i / 100) % 4).into(),
                        key,
                        uuid: format!("{:08X}", s * 1_000_000 + i),
                        cells: spec
                            .columns
                            .iter()
                            .enumerate()
                            .map(|(c, _)| Value::text(format!("value {i}-{c}")))
                            .collect(),
                        status: Some(
                            [Status::Pass, Status::Fail, Status::Warn, Status::Info][i % 4],
                        ),
                        checks: "R05, X03".into(),
                        references: "CIS SQL Server 2019/2022 4.2; CIS SQL Server 2019/2022 4.3; STIG SQL6-D0-007900; STIG SQLI-22-007900; VA1046; VA1047".into(),
                        findings: Vec::new(),
                        finding: format!(
                            "Finding text for row {i}: what was found and why it matters."
                        ),
                    }
                })
                .collect();
            SheetRows { spec, rows }
        })
        .collect();
    let layout = Layout {
        sheets,
        unplaced: Vec::new(),
        targets: rows / 400 + 1,
        unreached: 0,
        counts: Default::default(),
    };
    let built = started.elapsed();
    let header = RunHeader {
        audit_name: "bench".into(),
        organization: "Example".into(),
        run_id: 1,
        started: "2026-11-26 00:00:00".into(),
        finished: "2026-11-26 00:01:00".into(),
        tool_version: "AutoDBAudit bench".into(),
        checks: "all".into(),
        compliance: Vec::new(),
    };
    let state = RowState::default();
    let writing = Instant::now();
    report::write_workbook(std::path::Path::new(&out), &header, &layout, &state, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    println!(
        "rows {rows}: built in {:.2} s, written in {:.2} s",
        built.as_secs_f64(),
        writing.elapsed().as_secs_f64()
    );
}
