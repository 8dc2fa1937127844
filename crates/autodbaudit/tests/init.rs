//! `init` creates a usable workspace, and never overwrites one by accident.

mod common;

use common::{Workspace, autodbaudit, run};

#[test]
fn init_then_validate_succeeds_and_schemas_match_the_templates() {
    let ws = Workspace::init();
    for file in [
        "config/sql_targets.jsonc",
        "config/audit_config.jsonc",
        "config/schemas/sql_targets.schema.json",
        "config/schemas/audit_config.schema.json",
    ] {
        assert!(ws.join(file).is_file(), "{file} missing");
    }
    assert!(ws.join("output").is_dir());
    for (template, schema) in [
        ("sql_targets", "sql_targets.schema.json"),
        ("audit_config", "audit_config.schema.json"),
    ] {
        let text = std::fs::read_to_string(ws.join(&format!("config/{template}.jsonc"))).unwrap();
        assert!(
            text.trim_start()
                .starts_with(&format!("{{\n  \"$schema\": \"./schemas/{schema}\"")),
            "{template}"
        );
        let schema: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(ws.join(&format!("config/schemas/{schema}"))).unwrap(),
        )
        .unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert!(schema.to_string().contains("additionalProperties"));
    }
    let (code, stdout, stderr) = run(ws.cmd().args(["config", "validate"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("configuration is valid"), "{stdout}");
    assert!(!ws.logs().is_empty(), "init keeps a run log");
}

#[test]
fn init_twice_refuses_and_changes_nothing() {
    let ws = Workspace::init();
    ws.write_config("sql_targets.jsonc", common::VALID_TARGETS);
    let before = ws.snapshot();
    let (code, _, stderr) = run(ws.cmd().arg("init"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("already holds a workspace") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(before, ws.snapshot());
}

#[test]
fn init_force_keeps_the_previous_files() {
    let ws = Workspace::init();
    ws.write_config("sql_targets.jsonc", common::VALID_TARGETS);
    let (code, _, stderr) = run(ws.cmd().args(["init", "--force"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(ws.join("config/sql_targets.jsonc.bak")).unwrap(),
        common::VALID_TARGETS
    );
    assert!(
        std::fs::read_to_string(ws.join("config/sql_targets.jsonc"))
            .unwrap()
            .contains("NEVER write a password")
    );
}

#[test]
fn init_into_a_named_folder_creates_it() {
    let parent = tempfile::tempdir().unwrap();
    let target = parent.path().join("audits").join("2026 H2");
    let (code, _, stderr) = run(autodbaudit(parent.path()).arg("init").arg(&target));
    assert_eq!(code, 0, "{stderr}");
    assert!(target.join("config/sql_targets.jsonc").is_file());
    assert!(
        stderr.contains("--workspace \""),
        "next steps name the workspace: {stderr}"
    );
}

#[test]
fn init_refuses_a_file_path() {
    let parent = tempfile::tempdir().unwrap();
    let file = parent.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let (code, _, stderr) = run(autodbaudit(parent.path()).arg("init").arg(&file));
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a folder"), "{stderr}");
}
