//! The SARIF, JUnit, CSV and HTML writers, each read back by a reader we did not write: the
//! OASIS SARIF schema with Python's jsonschema, junitparser and xml.etree, Python's csv
//! module, and a real headless Chromium (DOM, screenshot, PDF). The Python readers are in
//! `tests/readers/`; they print what they read as JSON and the assertions are here.

mod common {
    pub mod interop;
    pub mod sample;
}

use std::path::{Path, PathBuf};
use std::process::Command;

use audit_core::{Standing, Status};
use common::{interop, sample};
use export::{Report, ResultRow};
use serde_json::Value;

fn readers() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readers")
}

/// Runs a Python reader on `args` and parses the JSON it prints.
fn python(script: &str, args: &[&Path]) -> Value {
    let out = Command::new("python3")
        .arg(readers().join(script))
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the reader prints JSON")
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn non_passing(report: &Report) -> Vec<(&export::Instance, &ResultRow)> {
    sample::rows(report)
        .into_iter()
        .filter(|(_, r)| !matches!(r.finding.status, Status::Pass | Status::Info))
        .collect()
}

#[test]
fn sarif_validates_against_the_oasis_schema_and_tracks_each_finding() {
    if !interop::python_module("jsonschema", "pip install jsonschema") {
        return;
    }
    let report = sample::report();
    let bytes = export::sarif::write(&report);
    assert_eq!(bytes, export::sarif::write(&report), "deterministic");
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(dir.path(), "audit.sarif", &bytes);
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json");
    let read = python("sarif_check.py", &[&file, &schema]);

    assert_eq!(read["errors"], serde_json::json!([]), "schema errors");
    assert_eq!(
        read["validator"], "Draft4Validator",
        "the schema's own draft"
    );
    assert_eq!(read["version"], "2.1.0");
    assert_eq!(read["schema"], export::sarif::SCHEMA_URI);
    assert_eq!(read["driver"], "AutoDBAudit");
    let catalogue: Vec<&str> = audit_core::checks::catalogue()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(
        read["rules"],
        serde_json::json!(catalogue),
        "every check a rule"
    );
    assert_eq!(read["securitySeverity"]["R04"], "9.5", "critical");
    assert_eq!(read["securitySeverity"]["X84"], "3.0", "low");
    let r10_tags = read["tags"]["R10"].as_array().unwrap();
    for tag in [
        "security",
        "STIG SQLI-22-007200",
        "CIS SQL Server 2019/2022 2.2",
        "VA1059",
    ] {
        assert!(r10_tags.iter().any(|t| t == tag), "{tag} in {r10_tags:?}");
    }

    let expected = non_passing(&report);
    let results = read["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        expected.len(),
        "one result per non-passing finding"
    );
    for (result, (instance, row)) in results.iter().zip(&expected) {
        let f = &row.finding;
        assert_eq!(result["ruleId"], f.check_id.as_str());
        assert_eq!(result["ruleIndexMatches"], true);
        assert_eq!(result["message"], f.message.as_str());
        assert_eq!(result["fingerprint"], row.fingerprint.as_str());
        let level = match f.status {
            Status::Fail => "error",
            Status::Warn => "warning",
            _ => "note",
        };
        assert_eq!(result["level"], level, "{}", f.check_id);
        assert_eq!(result["uri"], format!("sql-server/{}", instance.target_id));
        assert_eq!(result["fqn"], format!("{}/{}", instance.label, f.entity));
        assert_eq!(result["kind"], "resource");
        assert_eq!(result["standing"], row.standing.as_str());
        let suppressions = result["suppressions"].as_array().unwrap();
        match row.standing {
            Standing::Excepted => assert_eq!(
                suppressions[0],
                serde_json::json!([
                    "external",
                    "accepted",
                    row.note.as_ref().unwrap().justification.as_deref().unwrap()
                ])
            ),
            Standing::Baselined => {
                assert_eq!(suppressions[0][0], "external");
                assert_eq!(suppressions[0][1], "accepted");
            }
            _ => assert!(suppressions.is_empty(), "{} is not suppressed", f.check_id),
        }
    }
    assert!(expected.iter().any(|(_, r)| r.standing == Standing::Drift));
    assert_eq!(read["start"], "2025-03-14T09:30:00+00:00");
    assert_eq!(read["end"], "2025-03-14T09:41:27+00:00");
    assert_eq!(
        read["executionSuccessful"], false,
        "one instance not reached"
    );
    let notes = read["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .as_str()
            .unwrap()
            .contains(sample::UNREACHED_REASON),
        "{notes:?}"
    );
}

#[test]
fn sarif_fingerprints_do_not_change_from_run_to_run() {
    let first = sample::report();
    let mut second = sample::report();
    second.run_id = 8;
    second.started = "2025-09-01 08:00:00".to_owned();
    second.instances[0].results[1].finding.message = "reworded".to_owned();
    let prints = |report: &Report| -> Vec<String> {
        let log: Value = serde_json::from_slice(&export::sarif::write(report)).unwrap();
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["autodbaudit/v1"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(prints(&first), prints(&second));
}

#[test]
fn junit_reads_back_in_junitparser_and_etree_with_one_case_per_check_and_instance() {
    if !interop::python_module("junitparser", "pip install junitparser") {
        return;
    }
    let report = sample::report();
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(
        dir.path(),
        "audit.junit.xml",
        &export::junit::write(&report),
    );
    let read = python("junit_check.py", &[&file]);
    let checks = audit_core::checks::catalogue().len();

    // Counts: attributes agree with the elements, in both readers.
    let etree = &read["etree"];
    assert_eq!(etree["root"], "testsuites");
    assert_eq!(etree["tests"], 3 * checks);
    for suite in etree["suites"].as_array().unwrap() {
        assert_eq!(suite["attributes"], suite["counted"], "{}", suite["name"]);
        assert_eq!(suite["attributes"]["tests"], checks);
    }
    let total = |key: &str| -> u64 {
        etree["suites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["counted"][key].as_u64().unwrap())
            .sum()
    };
    for key in ["failures", "errors", "skipped"] {
        assert_eq!(etree[key], total(key), "{key}");
    }
    assert_eq!(etree["suites"][0]["properties"]["version"], "16.0.4135.4");
    assert_eq!(etree["suites"][2]["properties"]["reached"], "false");

    let suites = read["junitparser"].as_array().unwrap();
    let names: Vec<&str> = suites.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "sql01.corp.example\\SALES",
            "10.0.0.12",
            "sql03.dr.corp.example\\DR"
        ]
    );
    let case = |suite: usize, check: &str| -> &Value {
        suites[suite]["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["name"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{check} "))
            })
            .unwrap_or_else(|| panic!("a case for {check}"))
    };
    let only = |c: &Value| -> Value { c["results"].as_array().unwrap()[0].clone() };

    let r04 = case(0, "R04");
    assert_eq!(r04["name"], "R04 sa login disabled and renamed");
    assert_eq!(r04["classname"], "autodbaudit.prod-sql01");
    assert_eq!(only(r04)["tag"], "failure");
    assert_eq!(only(r04)["type"], "critical");
    assert_eq!(
        only(r04)["message"],
        "The sa login is enabled and keeps its name."
    );
    assert!(
        only(r04)["text"]
            .as_str()
            .unwrap()
            .contains("is_disabled=0")
    );

    let x01 = only(case(0, "X01"));
    assert_eq!(x01["message"], sample::AWKWARD_MESSAGE, "line break kept");
    assert!(
        x01["text"]
            .as_str()
            .unwrap()
            .contains(sample::PERSIAN_DATABASE)
    );

    let r07 = only(case(0, "R07"));
    assert_eq!(
        (r07["tag"].as_str(), r07["type"].as_str()),
        (Some("failure"), Some("medium"))
    );
    assert!(r07["text"].as_str().unwrap().contains("drift: new"));

    let r08 = only(case(0, "R08"));
    assert_eq!(
        (r08["tag"].as_str(), r08["type"].as_str()),
        (Some("failure"), Some("review"))
    );
    assert!(
        r08["text"]
            .as_str()
            .unwrap()
            .contains(sample::HOSTILE_LOGIN)
    );

    let x06 = only(case(0, "X06"));
    assert_eq!(
        (x06["tag"].as_str(), x06["type"].as_str()),
        (Some("error"), Some("unknown"))
    );

    for (check, word) in [("R10", "excepted"), ("X03", "baselined")] {
        let c = case(0, check);
        assert_eq!(c["passed"], true, "{check}");
        let out = c["system_out"].as_str().unwrap();
        assert!(out.contains(word), "{check}: {out}");
    }
    assert!(
        case(0, "R10")["system_out"]
            .as_str()
            .unwrap()
            .contains("CAB-1234")
    );
    assert_eq!(case(0, "R02")["passed"], true);

    let x84 = only(case(0, "X84"));
    assert_eq!(x84["tag"], "skipped");
    assert!(x84["message"].as_str().unwrap().starts_with("not selected"));
    let x37 = only(case(0, "X37"));
    assert_eq!(x37["tag"], "skipped");
    assert!(
        x37["message"]
            .as_str()
            .unwrap()
            .starts_with("not applicable: ")
    );

    assert_eq!(
        only(case(1, "X02"))["message"],
        "No full backup of \"HR, Payroll\" in 9 days."
    );
    for c in suites[2]["cases"].as_array().unwrap() {
        let r = only(c);
        assert_eq!(r["tag"], "skipped");
        assert!(
            r["message"]
                .as_str()
                .unwrap()
                .contains(sample::UNREACHED_REASON)
        );
    }
}

/// What a spreadsheet-safe cell holds for `value`: the test's own statement of the rule.
fn safe(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

#[test]
fn csv_round_trips_every_value_through_pythons_csv_and_neutralises_formulas() {
    let mut report = sample::report();
    // Findings whose cells start with each formula trigger.
    let template = report.instances[0]
        .results
        .iter()
        .find(|r| r.finding.check_id.as_str() == "X01")
        .unwrap()
        .clone();
    for (_, value) in sample::FORMULAS {
        let mut row = template.clone();
        row.finding.entity = value.to_owned();
        row.finding.message = value.to_owned();
        row.note.as_mut().unwrap().justification = Some(value.to_owned());
        report.instances[1].results.push(row);
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write_temp(dir.path(), "findings.csv", &export::csv::write(&report));
    let read = python("csv_check.py", &[&file]);
    assert_eq!(read["bom"], true);
    let rows: Vec<Vec<String>> = serde_json::from_value(read["rows"].clone()).unwrap();
    assert_eq!(rows[0], export::csv::HEADER);
    let findings = sample::rows(&report);
    assert_eq!(
        rows.len(),
        1 + findings.len() + 1,
        "header, findings, unreached"
    );
    assert_eq!(
        read["crlf_records"],
        rows.len() as u64,
        "CRLF ends each record (no value here holds a CRLF)"
    );

    for (cells, (instance, row)) in rows[1..].iter().zip(&findings) {
        let f = &row.finding;
        let check = audit_core::checks::check(f.check_id).unwrap();
        let note = row.note.clone().unwrap_or_default();
        let evidence: Vec<String> = f.evidence.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let expected = [
            instance.target_id.clone(),
            instance.server.clone(),
            instance.instance.clone().unwrap_or_default(),
            f.check_id.to_string(),
            check.title.to_owned(),
            f.status.to_string(),
            f.severity.to_string(),
            row.standing.as_str().to_owned(),
            row.drift.clone().unwrap_or_default(),
            f.entity_type.clone(),
            f.entity.clone(),
            f.message.clone(),
            evidence.join("; "),
            check.references.labels().join("; "),
            note.review_status.unwrap_or_default(),
            note.justification.unwrap_or_default(),
            note.notes.unwrap_or_default(),
            row.fingerprint.clone(),
        ]
        .map(|v| safe(&v));
        assert_eq!(cells, &expected, "{} {}", f.check_id, f.entity);
    }
    // The neutralised cells, spelled out.
    let cell = |entity: &str, column: usize| -> &str {
        let row = rows.iter().find(|r| r[10] == entity).unwrap();
        &row[column]
    };
    assert_eq!(
        cell(&format!("'{}", sample::FORMULA_LOGIN), 10),
        format!("'{}", sample::FORMULA_LOGIN)
    );
    for (_, value) in sample::FORMULAS {
        let shown = format!("'{value}");
        assert_eq!(cell(&shown, 11), shown, "message");
        assert_eq!(cell(&shown, 15), shown, "justification");
    }
    // Kept as they are: commas, quotes, a line break, Persian, emoji.
    assert!(rows.iter().any(|r| r[11] == sample::AWKWARD_MESSAGE));
    assert!(rows.iter().any(|r| r[10] == sample::PERSIAN_DATABASE));
    assert!(rows.iter().any(|r| r[10] == "HR, Payroll"));
    let last = rows.last().unwrap();
    assert_eq!(
        (last[0].as_str(), last[5].as_str(), last[3].as_str()),
        ("dr-sql03", "UNKNOWN", "")
    );
    assert!(last[11].contains(sample::UNREACHED_REASON));
}

#[test]
fn html_is_self_contained_and_escapes_every_value() {
    let report = sample::report();
    let html = String::from_utf8(export::html::write(&report)).unwrap();
    let lower = html.to_lowercase();
    for banned in [
        "http:", "https:", "<script", "src=", "@import", "url(", "<link", "<img", "<iframe",
    ] {
        assert!(!lower.contains(banned), "the file contains {banned}");
    }
    assert!(html.contains(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        export::html::esc(export::html::CONTENT_SECURITY_POLICY)
    )));
    assert!(export::html::CONTENT_SECURITY_POLICY.starts_with("default-src 'none'"));
    assert!(
        html.contains("&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;co&#39;")
    );
    assert!(html.contains("H1 2025 &lt;fleet&gt; audit"));
    assert!(html.contains("Contoso &amp; Sons"));
    assert!(html.contains("@media print"));
}

/// The DOM Chromium built, its screenshot and its PDF.
struct Rendered {
    dom: String,
    png: Vec<u8>,
    pdf: Vec<u8>,
    png_path: PathBuf,
}

fn chromium(dir: &Path, page: &Path) -> Rendered {
    let url = format!("file://{}", page.display());
    let run = |extra: &[String]| -> std::process::Output {
        let out = Command::new("chromium")
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--host-resolver-rules=MAP * ~NOTFOUND",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .args(extra)
            .arg(&url)
            .output()
            .expect("chromium runs");
        assert!(
            out.status.success(),
            "chromium {extra:?} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let dom = String::from_utf8(run(&["--dump-dom".to_owned()]).stdout).unwrap();
    let png_path = dir.join("report.png");
    run(&[
        format!("--screenshot={}", png_path.display()),
        "--window-size=1280,2400".to_owned(),
        "--hide-scrollbars".to_owned(),
    ]);
    let pdf_path = dir.join("report.pdf");
    run(&[
        format!("--print-to-pdf={}", pdf_path.display()),
        "--no-pdf-header-footer".to_owned(),
    ]);
    Rendered {
        dom,
        png: std::fs::read(&png_path).expect("the screenshot"),
        pdf: std::fs::read(&pdf_path).expect("the PDF"),
        png_path,
    }
}

#[test]
fn html_opens_offline_in_chromium_with_every_section_and_prints() {
    if !interop::program("chromium", "apt-get install chromium") {
        return;
    }
    let report = sample::report();
    let dir = tempfile::tempdir().unwrap();
    let page = write_temp(dir.path(), "report.html", &export::html::write(&report));
    let shown = chromium(dir.path(), &page);

    for id in [
        "header",
        "summary",
        "status-counts",
        "standing-counts",
        "compliance",
        "stig-categories",
        "instances",
        "checks",
        "findings",
        "instance-0",
        "instance-1",
        "instance-2",
    ] {
        assert!(shown.dom.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    assert_eq!(
        shown.dom.matches("<article class=\"finding").count(),
        non_passing(&report).len(),
        "every non-passing finding"
    );
    assert_eq!(
        shown.dom.matches("<svg class=\"chart\"").count(),
        2,
        "two charts"
    );
    // The hostile login is text in the DOM, never an element.
    assert!(
        !shown.dom.to_lowercase().contains("<script"),
        "no script element"
    );
    assert!(
        shown
            .dom
            .contains("&lt;script&gt;alert(\"pwned\")&lt;/script&gt; &amp; 'co'")
    );
    assert!(shown.dom.contains(sample::PERSIAN_DATABASE));
    assert!(shown.dom.contains("CAB-1234"), "annotations");
    assert!(shown.dom.contains("status PASS → WARN"), "drift");
    assert!(shown.dom.contains("STIG SQLI-22-007200"), "references");
    assert!(shown.dom.contains(sample::UNREACHED_REASON));

    assert!(shown.png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        shown.png.len() > 50_000,
        "a real page, {} bytes",
        shown.png.len()
    );
    assert!(shown.pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(
        shown.pdf.len() > 20_000,
        "a real PDF, {} bytes",
        shown.pdf.len()
    );

    let keep = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("export-html-report.png");
    std::fs::copy(&shown.png_path, &keep).unwrap();
    let pdf_keep = keep.with_extension("pdf");
    std::fs::write(&pdf_keep, &shown.pdf).unwrap();
    std::fs::copy(&page, keep.with_extension("html")).unwrap();
    println!("HTML report screenshot: {}", keep.display());
    eprintln!(
        "HTML report screenshot: {} (PDF: {})",
        keep.display(),
        pdf_keep.display()
    );
}
