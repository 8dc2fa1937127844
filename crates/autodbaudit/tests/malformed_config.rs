//! The malformed-config corpus (issue 15): every file in `tests/data/malformed-config/` is a
//! broken config file whose header comments say which file it replaces, what is wrong and the
//! message fragments expected. `config validate` must exit 2 — never panic, hang or abort —
//! naming the file, the line and column, the field, the problem and its fix, writing nothing.
//! Cases that cannot carry a comment (an empty file, a 100 MB file) are generated here.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{VALID_AUDIT, VALID_TARGETS, Workspace};

/// One case: the config file it replaces, its bytes, and what the error must say.
struct Case {
    name: String,
    file: String,
    contents: Vec<u8>,
    expect: Vec<String>,
    /// Whether the error names a line and column (a file too large to read has none).
    positioned: bool,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed-config")
}

/// The file's text, whatever its encoding, for reading its header comments.
fn header_text(bytes: &[u8]) -> String {
    let utf16 = |bytes: &[u8], little: bool| {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| {
                if little {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, true)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, false)
    } else if bytes.len() > 1 && bytes[1] == 0 {
        utf16(bytes, true)
    } else {
        String::from_utf8_lossy(bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes))
            .into_owned()
    }
}

fn corpus() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonc"))
        .collect();
    entries.sort();
    for path in entries {
        let contents = std::fs::read(&path).unwrap();
        let text = header_text(&contents);
        let field = |key: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(&format!("// {key}: ")))
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("{}: no `// {key}:` header", path.display()))
        };
        cases.push(Case {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            file: field("file"),
            expect: field("expect").split(" | ").map(str::to_owned).collect(),
            contents,
            positioned: true,
        });
    }
    cases
}

/// What cannot carry a comment: generated.
fn generated() -> Vec<Case> {
    let mut huge = b"{ \"targets\": [], \"description\": \"".to_vec();
    huge.resize(100 * 1024 * 1024, b'x');
    vec![
        Case {
            name: "generated: empty file (0 bytes)".into(),
            file: "sql_targets.jsonc".into(),
            contents: Vec::new(),
            expect: vec!["the file is empty".into()],
            positioned: true,
        },
        Case {
            name: "generated: 100 MB file (must be refused without being read whole)".into(),
            file: "sql_targets.jsonc".into(),
            contents: huge,
            expect: vec!["larger than 4 MiB".into()],
            positioned: false,
        },
        Case {
            name: "generated: empty audit_config.jsonc".into(),
            file: "audit_config.jsonc".into(),
            contents: Vec::new(),
            expect: vec!["the file is empty".into()],
            positioned: true,
        },
    ]
}

/// Everything wrong with how `validate` answered `case`.
fn problems(case: &Case, code: i32, stdout: &str, stderr: &str, took: Duration) -> Vec<String> {
    let mut problems = Vec::new();
    if code != 2 {
        problems.push(format!("exit {code}, expected 2"));
    }
    if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") {
        problems.push("it panicked".to_owned());
    }
    if took > Duration::from_secs(20) {
        problems.push(format!("it took {took:?}"));
    }
    let prefix = format!("config/{}:", case.file);
    // The first error line names the file (and the line and column), the field and the problem;
    // the line after it gives the fix.
    let lines: Vec<&str> = stderr.lines().collect();
    let error_at = lines
        .iter()
        .position(|l| l.contains(&prefix) && l.contains(" error: "));
    match error_at {
        None => problems.push(format!("no error line naming `{prefix}`")),
        Some(i) => {
            let line = lines[i];
            let at = line.find(&prefix).unwrap() + prefix.len();
            let location = line[at..].split(' ').next().unwrap_or("");
            let positioned = location
                .trim_end_matches(':')
                .split(':')
                .filter(|n| n.parse::<usize>().is_ok())
                .count()
                == 2;
            if case.positioned && !positioned {
                problems.push(format!("no line:column in `{line}`"));
            }
            if !lines
                .get(i + 1)
                .is_some_and(|next| next.starts_with("  fix: "))
            {
                problems.push(format!("no fix right after `{line}`"));
            }
        }
    }
    for expected in &case.expect {
        if !stderr.contains(expected.as_str()) {
            problems.push(format!("no `{expected}`"));
        }
    }
    if !stdout.is_empty() {
        problems.push(format!("stdout not empty: {stdout}"));
    }
    problems
}

#[test]
fn every_malformed_config_exits_2_naming_file_line_field_and_fix() {
    let mut cases = corpus();
    assert!(
        cases.len() >= 70,
        "the corpus must keep at least 70 cases, it has {}",
        cases.len()
    );
    cases.extend(generated());
    let ws = Workspace::init();
    let mut failures = Vec::new();
    for case in &cases {
        ws.write_config("sql_targets.jsonc", VALID_TARGETS);
        ws.write_config("audit_config.jsonc", VALID_AUDIT);
        ws.write_config(&case.file, &case.contents);
        let before = ws.snapshot();
        let started = Instant::now();
        let (code, stdout, stderr) = common::run(ws.cmd().args(["config", "validate"]));
        let took = started.elapsed();
        let mut found = problems(case, code, &stdout, &stderr, took);
        if before != ws.snapshot() {
            found.push("the workspace changed".to_owned());
        }
        if !found.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr:\n{stderr}",
                case.name,
                found.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// `audit` reads the same files through the same loader: a sample of the corpus is refused
/// there too, before anything is written (no history, no run).
#[test]
fn audit_refuses_malformed_configs_before_writing_anything() {
    let ws = Workspace::init();
    for name in [
        "server-nul",
        "audit-name-emoji",
        "deeply-nested",
        "utf16le-bom",
    ] {
        let case = corpus()
            .into_iter()
            .find(|c| c.name.contains(name))
            .unwrap_or_else(|| panic!("no corpus file named like {name}"));
        ws.write_config("sql_targets.jsonc", VALID_TARGETS);
        ws.write_config("audit_config.jsonc", VALID_AUDIT);
        ws.write_config(&case.file, &case.contents);
        let (code, _, stderr) = common::run(ws.cmd().env("PROD1_PW", "x").arg("audit"));
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("config/{}:", case.file)),
            "{name}: {stderr}"
        );
        assert!(!ws.join("audit_history.db").exists(), "{name}");
    }
}
