//! `autodbaudit permissions`: the least rights as text and as the script, from the real binary,
//! in an empty folder (it needs no workspace); and the script it prints, run on simulated
//! servers, makes a login the real `audit` command then uses.

mod common;

use std::collections::BTreeSet;

use audit_core::permissions::{self, ScriptOptions};
use audit_core::{RELEASES, Release};
use common::fleet::{fleet, workspace_for};
use common::{autodbaudit, run};
use mssql_sim::fixtures::{self, DEMO_PASSWORD};

fn permissions_in_empty_folder(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = run(autodbaudit(dir.path()).arg("permissions").args(args));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "permissions {args:?} wrote into the folder"
    );
    out
}

#[test]
fn text_lists_each_version_with_why_and_where_it_is_documented() {
    let (code, stdout, stderr) = permissions_in_empty_folder(&[]);
    assert_eq!(code, 0, "{stderr}");
    for release in RELEASES {
        assert!(
            stdout.contains(&permissions::release_title(release)),
            "{}: {stdout}",
            release.name
        );
    }
    // One section per version, in order; CONNECT ANY DATABASE from 2014 only.
    let sections: Vec<&str> = stdout.split("\nSQL Server ").skip(1).collect();
    let section = |name: &str| {
        *sections
            .iter()
            .find(|s| s.starts_with(&format!("{name} (")))
            .unwrap_or_else(|| panic!("no section for {name}"))
    };
    assert!(!section("2012").contains("GRANT CONNECT ANY DATABASE"));
    assert!(section("2012").contains("a user for the login in every online database"));
    assert!(section("2014").contains("GRANT CONNECT ANY DATABASE"));
    assert!(section("2019").contains("GRANT CONTROL SERVER"));
    assert!(section("2019").contains("close to sysadmin"));
    assert!(section("2022").contains("GRANT VIEW ANY CRYPTOGRAPHICALLY SECURED DEFINITION"));
    assert!(section("2022").contains("GRANT VIEW SERVER SECURITY STATE"));
    assert!(!section("2022").contains("GRANT CONTROL SERVER"));
    for name in ["2008 R2", "2019", "2025"] {
        let s = section(name);
        assert!(s.contains("GRANT VIEW ANY DEFINITION"), "{name}");
        assert!(s.contains("GRANT SELECT ON msdb.dbo.backupset"), "{name}");
        assert!(
            s.contains("sysadmin — Microsoft documents nothing smaller"),
            "{name}"
        );
        assert!(s.contains("checks: "), "{name}");
        assert!(
            s.contains("docs:   https://learn.microsoft.com/sql/"),
            "{name}"
        );
        assert!(s.contains("Every login may already read:"), "{name}");
    }
}

#[test]
fn version_takes_names_majors_and_builds_and_refuses_the_rest() {
    for (given, title) in [
        ("2008R2", "SQL Server 2008 R2 (10.50)"),
        ("2008 R2", "SQL Server 2008 R2 (10.50)"),
        ("2019", "SQL Server 2019 (15.x)"),
        ("16", "SQL Server 2022 (16.x)"),
        ("15.0.4430.1", "SQL Server 2019 (15.x)"),
    ] {
        let (code, stdout, stderr) = permissions_in_empty_folder(&["--version", given]);
        assert_eq!(code, 0, "{given}: {stderr}");
        assert!(stdout.starts_with(title), "{given}: {stdout}");
        assert_eq!(
            stdout
                .lines()
                .filter(|l| l.starts_with("SQL Server "))
                .count(),
            1,
            "{given}: one version only"
        );
    }
    for given in ["2005", "10", "18", "15.1", "SQL2019", "latest"] {
        let (code, stdout, stderr) = permissions_in_empty_folder(&["--version", given]);
        assert_eq!(code, 2, "{given}: {stdout}");
        assert!(
            stderr.contains(&format!("`{given}` is not a SQL Server version")),
            "{given}: {stderr}"
        );
        assert!(
            stderr.contains("15.0.4430.1"),
            "says what it takes: {stderr}"
        );
    }
}

#[test]
fn sql_is_the_script_of_the_permission_model() {
    let release = Release::parse("2019").unwrap();
    let (code, stdout, stderr) =
        permissions_in_empty_folder(&["--version", "2019", "--format", "sql"]);
    assert_eq!(code, 0, "{stderr}");
    let expected = permissions::script(release, &ScriptOptions::default()).unwrap();
    assert_eq!(stdout.trim_end(), expected.trim_end());
    assert!(stdout.contains(
        "CREATE LOGIN [autodbaudit_reader] WITH PASSWORD = N'$(AUDIT_PASSWORD)', CHECK_POLICY = ON;"
    ));
    assert!(stdout.contains("GRANT CONNECT ANY DATABASE TO [autodbaudit_reader];"));
    // Another login, quoted wherever it goes; the broad right left out on request.
    let (code, stdout, stderr) = permissions_in_empty_folder(&[
        "--version",
        "2012",
        "--format",
        "sql",
        "--login",
        "audit]o'reader",
        "--no-password-hashes",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("CREATE LOGIN [audit]]o'reader]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("DECLARE @login sysname = N'audit]o''reader'"),
        "{stdout}"
    );
    assert!(stdout.contains("-- Left out (--no-password-hashes): GRANT CONTROL SERVER"));
    assert!(!stdout.contains("\nGRANT CONTROL SERVER"));
    assert!(
        stdout.contains("WHILE @name IS NOT NULL"),
        "a user per database on 2012"
    );
    // The script is version-specific: no version, no script.
    let (code, stdout, stderr) = permissions_in_empty_folder(&["--format", "sql"]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stderr.contains("--version"), "{stderr}");
    assert!(stdout.is_empty());
    let (code, _, stderr) =
        permissions_in_empty_folder(&["--version", "2019", "--format", "sql", "--login", ""]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be a login name"), "{stderr}");
}

/// Runs a script as sqlcmd does — `$(AUDIT_PASSWORD)` substituted, one batch per `GO` — on the
/// simulated server directly, as its sysadmin. (`crates/collect/tests/least_rights.rs` runs it
/// over TDS.)
fn run_script(server: &mssql_sim::RunningServer, script: &str, password: &str) {
    let text = script.replace("$(AUDIT_PASSWORD)", password);
    let mut batch = String::new();
    for line in text.lines().chain(["GO"]) {
        if line.trim().eq_ignore_ascii_case("GO") {
            if !batch.trim().is_empty() {
                let errors = server.execute_as("autodbaudit", &batch);
                assert!(errors.is_empty(), "{errors:?}\n{batch}");
            }
            batch.clear();
        } else {
            batch.push_str(line);
            batch.push('\n');
        }
    }
}

#[test]
fn the_printed_script_makes_a_login_the_audit_command_uses() {
    let names = ["legacy-2008r2", "typical-2019", "hardened-2022"];
    let fleet = fleet(
        names
            .iter()
            .map(|n| (*n, fixtures::builtin(n).unwrap()))
            .collect(),
    );
    let password = "Reader-From-The-Cli-1!";
    let mut excused = BTreeSet::new();
    for (id, server) in &fleet.servers {
        let build = fixtures::builtin(id).unwrap().version.to_string();
        let (code, script, stderr) =
            permissions_in_empty_folder(&["--version", &build, "--format", "sql"]);
        assert_eq!(code, 0, "{stderr}");
        run_script(server, &script, password);
        let release = Release::parse(&build).unwrap();
        for need in permissions::not_granted(release, &ScriptOptions::default()) {
            for check in audit_core::checks::catalogue() {
                if check.reads.contains(&need.fact) {
                    excused.insert(check.id.as_str().to_owned());
                }
            }
        }
    }
    let ws = workspace_for(&fleet, "");
    let targets = std::fs::read_to_string(ws.join("config/sql_targets.jsonc")).unwrap();
    ws.write_config(
        "sql_targets.jsonc",
        targets.replace(
            "\"username\": \"autodbaudit\"",
            "\"username\": \"autodbaudit_reader\"",
        ),
    );
    // The same fleet audited as sysadmin, for the UNKNOWNs nobody can avoid (a version that
    // records no certificate backups).
    let admin = workspace_for(&fleet, "");
    let unknowns = |ws: &common::Workspace, password: &str| -> BTreeSet<String> {
        let (code, stdout, stderr) = run(ws
            .cmd()
            .env("AUTODBAUDIT_TEST_PASSWORD", password)
            .arg("audit"));
        assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
        let output = ws.join("output");
        let dir = std::fs::read_dir(&output)
            .unwrap()
            .filter_map(Result::ok)
            .find(|e| e.path().join("findings.json").is_file())
            .expect("findings.json");
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("findings.json")).unwrap())
                .unwrap();
        let findings = doc["findings"].as_array().unwrap();
        assert!(findings.len() > 100, "{}", findings.len());
        findings
            .iter()
            .filter(|f| f["status"] == "UNKNOWN")
            .filter(|f| !excused.contains(f["check_id"].as_str().unwrap()))
            .map(|f| format!("{} {} {}", f["target_id"], f["check_id"], f["entity_key"]))
            .collect()
    };
    let theirs = unknowns(&admin, DEMO_PASSWORD);
    let ours = unknowns(&ws, password);
    let stray: Vec<&String> = ours.difference(&theirs).collect();
    assert!(
        stray.is_empty(),
        "UNKNOWN for the login beyond sysadmin's and what only sysadmin reads ({excused:?}):\n{stray:#?}"
    );
}
