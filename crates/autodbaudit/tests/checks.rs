//! `autodbaudit checks`: the catalogue with its benchmark references, as text and JSON, run as
//! the real binary in an empty folder (it needs no workspace and writes nothing).

mod common;

use common::{autodbaudit, run};
use serde_json::Value;

/// Runs `checks` with `args` in an empty folder; (code, stdout, stderr). The folder stays empty.
fn checks(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = run(autodbaudit(dir.path()).arg("checks").args(args));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "checks {args:?} wrote something"
    );
    out
}

fn json(args: &[&str]) -> Vec<Value> {
    let (code, stdout, stderr) = checks(args);
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str::<Vec<Value>>(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

fn by_id<'a>(all: &'a [Value], id: &str) -> &'a Value {
    all.iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

fn cis(check: &Value) -> Vec<(String, String)> {
    check["references"]["cis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["benchmark"].as_str().unwrap().to_owned(),
                c["item"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn json_lists_every_check_with_its_declarations_and_references() {
    let all = json(&["--format", "json"]);
    let ids: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
    let catalogue: Vec<&str> = audit_core::checks::catalogue()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(ids, catalogue);
    assert_eq!((ids[0], ids[27], ids[28]), ("R01", "R28", "X01"));
    for check in &all {
        for key in [
            "id",
            "title",
            "severity",
            "family",
            "applies_to",
            "reads",
            "rationale",
            "remediation",
            "references",
        ] {
            assert!(check.get(key).is_some(), "{} lacks {key}", check["id"]);
        }
        for list in [
            "cis",
            "stig_2016",
            "stig_2022",
            "va",
            "dbachecks",
            "sp_blitz",
        ] {
            assert!(
                check["references"][list].is_array(),
                "{} references.{list}",
                check["id"]
            );
        }
    }

    // The three CIS references the hand-written documentation had wrong.
    let ours = "CIS SQL Server 2019/2022";
    let old = "CIS SQL Server 2016/2017";
    let pair = |b: &str, i: &str| (b.to_owned(), i.to_owned());
    assert_eq!(
        cis(by_id(&all, "R10")),
        [pair(ours, "2.2"), pair(ours, "2.5"), pair(old, "2.15")]
    );
    assert!(cis(by_id(&all, "R14")).is_empty());
    assert_eq!(
        cis(by_id(&all, "X04")),
        [
            pair(ours, "2.3"),
            pair(ours, "2.7"),
            pair(ours, "2.8"),
            pair(ours, "2.17")
        ]
    );

    let r04 = by_id(&all, "R04");
    assert_eq!(r04["severity"], "critical");
    assert_eq!(r04["family"], "authentication");
    assert_eq!(r04["reads"], serde_json::json!(["logins"]));
    assert_eq!(
        r04["placement"],
        serde_json::json!([{ "entity_type": "login", "sheet": "sa_account", "row": null }])
    );
    assert_eq!(
        r04["references"]["stig_2022"],
        serde_json::json!(["SQLI-22-016200", "SQLI-22-016300"])
    );
    assert_eq!(
        r04["references"]["dbachecks"],
        serde_json::json!(["SaRenamed", "SaDisabled"])
    );
    assert_eq!(
        by_id(&all, "R10")["references"]["sp_blitz"],
        serde_json::json!([1011, 1065])
    );
    assert_eq!(by_id(&all, "R06")["applies_to"]["windows_only"], true);
    assert_eq!(by_id(&all, "R01")["applies_to"]["windows_only"], false);
    assert!(
        by_id(&all, "X01")["rationale"]
            .as_str()
            .unwrap()
            .contains("TRUSTWORTHY")
    );
}

#[test]
fn a_framework_keeps_the_checks_that_have_its_items() {
    let all = json(&["--format", "json"]);
    for (framework, lists) in [
        ("cis", &["cis"][..]),
        ("stig", &["stig_2016", "stig_2022"]),
        ("va", &["va"]),
        ("dbachecks", &["dbachecks"]),
        ("sp_blitz", &["sp_blitz"]),
    ] {
        let has = |c: &Value| {
            lists
                .iter()
                .any(|l| !c["references"][l].as_array().unwrap().is_empty())
        };
        let expected: Vec<&Value> = all.iter().filter(|c| has(c)).collect();
        let selected = json(&["--format", "json", "--framework", framework]);
        assert!(
            !selected.is_empty() && selected.len() < all.len(),
            "{framework}"
        );
        assert_eq!(selected.iter().collect::<Vec<_>>(), expected, "{framework}");
    }
}

#[test]
fn text_is_a_table_and_a_framework_shows_its_items() {
    let (code, stdout, stderr) = checks(&[]);
    assert_eq!(code, 0, "{stderr}");
    let header = stdout.lines().next().unwrap();
    for column in ["ID", "SEVERITY", "FAMILY", "TITLE", "REFERENCES"] {
        assert!(header.contains(column), "{header}");
    }
    let r10 = stdout.lines().find(|l| l.starts_with("R10 ")).unwrap();
    assert!(
        r10.contains("high") && r10.contains("Surface area"),
        "{r10}"
    );
    assert!(r10.contains("CIS 2.2, 2.5, 2.15 (2016/2017)"), "{r10}");
    let total = audit_core::checks::catalogue().len();
    assert!(stdout.contains(&format!("{total} checks.")), "{stdout}");

    let (code, stdout, _) = checks(&["--framework", "stig"]);
    assert_eq!(code, 0);
    let r04 = stdout.lines().find(|l| l.starts_with("R04 ")).unwrap();
    assert!(
        r04.contains("SQL6-D0-016200") && r04.contains("SQLI-22-016300"),
        "{r04}"
    );
    assert!(!stdout.lines().any(|l| l.starts_with("R14 ")), "{stdout}");
    assert!(!r04.contains("CIS"), "only STIG items are shown: {r04}");

    let (code, stdout, _) = checks(&["--framework", "cis"]);
    assert_eq!(code, 0);
    let x04 = stdout.lines().find(|l| l.starts_with("X04 ")).unwrap();
    assert!(x04.trim_end().ends_with("2.3, 2.7, 2.8, 2.17"), "{x04}");
    let with_cis = audit_core::checks::catalogue()
        .iter()
        .filter(|c| !c.references.cis.is_empty())
        .count();
    assert!(with_cis >= 21);
    assert!(
        stdout.contains(&format!("{with_cis} of {total} checks")),
        "{stdout}"
    );
}

#[test]
fn an_unknown_framework_is_a_usage_error_listing_the_known_ones() {
    let (code, stdout, stderr) = checks(&["--framework", "nist"]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("'nist'"), "{stderr}");
    assert!(
        stderr.contains("cis, stig, va, dbachecks, sp_blitz"),
        "{stderr}"
    );
    let (code, _, stderr) = checks(&["--format", "yaml"]);
    assert_eq!(code, 2, "{stderr}");
}
