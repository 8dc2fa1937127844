//! `config validate` against a table of broken configurations: every one must exit 2, name the
//! file, line, column and field, explain the problem, and write nothing.

mod common;

use common::{VALID_AUDIT, VALID_TARGETS, Workspace};

const TARGETS: &str = "sql_targets.jsonc";
const AUDIT: &str = "audit_config.jsonc";

/// Where the error must point: `@@` in the text marks it (and is removed before writing).
const MARK: &str = "@@";

struct Case {
    name: &'static str,
    file: &'static str,
    contents: Vec<u8>,
    /// Substrings the error output must contain (besides `file:line:col`).
    expect: &'static [&'static str],
}

fn case(
    name: &'static str,
    file: &'static str,
    text: &str,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        file,
        contents: text.as_bytes().to_vec(),
        expect,
    }
}

/// Builds a targets file with one target whose members are `members` (a JSON fragment).
fn target(members: &str) -> String {
    format!("{{\n  \"targets\": [\n    {{\n{members}\n    }}\n  ]\n}}\n")
}

const BASE: &str = r#"      "id": "prod1",
      "server": "db1.example",
      "auth": "sql",
      "username": "audit",
      "credential": "env:PROD1_PW""#;

fn with(extra: &str) -> String {
    target(&format!("{BASE},\n{extra}"))
}

fn audit(extra: &str) -> String {
    format!("{{\n  \"organization\": \"Contoso\",\n  \"audit_name\": \"2026-H2\",\n{extra}\n}}\n")
}

fn cases() -> Vec<Case> {
    vec![
        // --- syntax -------------------------------------------------------------------------
        case("missing comma", TARGETS, &target("      \"id\": \"a\"@@\n      \"server\": \"b\""), &["expected a comma"]),
        case("unterminated string", TARGETS, "{ \"targets\": [ { \"id\": @@\"prod1 } ] }\n", &["unterminated string"]),
        case("missing quote before key", TARGETS, &target("      \"id\": \"a\",\n      @@server\": \"b\""), &["unexpected"]),
        case("single quotes", TARGETS, &target("      \"id\": @@'prod1'"), &["double quotes"]),
        case("unquoted key", TARGETS, &target("      @@id: \"prod1\""), &["key in double quotes"]),
        case("single backslash", TARGETS, &with("      \"description\": \"CORP@@\\svc\""), &["invalid escape", "doubled"]),
        case("text after root", TARGETS, &format!("{VALID_TARGETS}\n@@{{}}"), &["after the end of the top-level object"]),
        case("unclosed object", TARGETS, "@@{\n  \"targets\": []\n", &["not closed", "}"]),
        case("capitalised True", TARGETS, &with("      \"enabled\": @@True"), &["unexpected word", "lower case"]),
        case("hex number", TARGETS, &with("      \"port\": @@0x599"), &["invalid number"]),
        case("duplicate key", TARGETS, &target(&format!("{BASE},\n      @@\"server\": \"db2\"")), &["targets[0].server", "duplicate key \"server\""]),
        // --- types and ranges ----------------------------------------------------------------
        case("port as text", TARGETS, &with("      \"port\": @@\"1433\""), &["targets[0].port", "expected a whole number, found a text", "remove the quotes"]),
        case("enabled as text", TARGETS, &with("      \"enabled\": @@\"yes\""), &["targets[0].enabled", "expected true or false"]),
        case("targets is an object", TARGETS, "{ \"targets\": @@{} }", &["targets", "expected a list"]),
        case("port zero", TARGETS, &with("      \"port\": @@0"), &["targets[0].port", "from 1 to 65535"]),
        case("port too large", TARGETS, &with("      \"port\": @@70000"), &["targets[0].port", "from 1 to 65535"]),
        case("timeout zero", TARGETS, &with("      \"connect_timeout_s\": @@0"), &["targets[0].connect_timeout_s", "from 1 to 300"]),
        case("auth unknown", TARGETS, &target("      \"id\": \"a\", \"server\": \"b\",\n      \"auth\": @@\"kerberos\""), &["targets[0].auth", "\"sql\", \"windows\"", "found a text"]),
        case("auth capitalised", TARGETS, &target("      \"id\": \"a\", \"server\": \"b\",\n      \"auth\": @@\"Windows\""), &["targets[0].auth", "did you mean \"windows\"?"]),
        case("encrypt unknown", TARGETS, &with("      \"encrypt\": @@\"yes\""), &["targets[0].encrypt", "\"strict\", \"on\", \"off\""]),
        case("id with a space", TARGETS, &target("      \"id\": @@\"prod 1\", \"server\": \"b\", \"auth\": \"windows\""), &["targets[0].id", "Letters, digits"]),
        case("empty server", TARGETS, &target("      \"id\": \"a\", \"server\": @@\"\", \"auth\": \"windows\""), &["targets[0].server", "must not be empty"]),
        case("duplicate tag", TARGETS, &with("      \"tags\": @@[\"prod\", \"prod\"]"), &["targets[0].tags", "more than once"]),
        // --- unknown and missing keys -------------------------------------------------------
        case("misspelt key", TARGETS, &with("      @@\"sever\": \"x\""), &["targets[0].sever", "unknown field \"sever\"", "did you mean \"server\""]),
        case("password key", TARGETS, &with("      @@\"password\": \"Hunter2-Secret!\""), &["targets[0].password", "never go in config files", "credentials add"]),
        case("unknown top-level key", TARGETS, "{\n  \"targets\": [],\n  @@\"global_settings\": {}\n}", &["global_settings", "unknown field"]),
        case("missing server", TARGETS, &target("      \"id\": \"a\", \"auth\": \"windows\"").replacen("    {", "    @@{", 1), &["targets[0].server", "missing required field \"server\""]),
        case("missing targets", TARGETS, "@@{ }", &["targets", "missing required field \"targets\""]),
        // --- cross-field rules -------------------------------------------------------------
        case(
            "duplicate id",
            TARGETS,
            "{ \"targets\": [\n  { \"id\": \"a\", \"server\": \"s1\", \"auth\": \"windows\" },\n  { \"id\": @@\"a\", \"server\": \"s2\", \"auth\": \"windows\" }\n] }",
            &["targets[1].id", "duplicate target id \"a\"", "line 2"],
        ),
        case(
            "duplicate id differing in case",
            TARGETS,
            "{ \"targets\": [\n  { \"id\": \"Prod\", \"server\": \"s1\", \"auth\": \"windows\" },\n  { \"id\": @@\"prod\", \"server\": \"s2\", \"auth\": \"windows\" }\n] }",
            &["targets[1].id", "duplicate target id"],
        ),
        case("instance and port", TARGETS, &with("      \"instance\": \"SQL2019\",\n      \"port\": @@1433"), &["targets[0].port", "both \"instance\" and \"port\""]),
        case("bad instance name", TARGETS, &with("      \"instance\": @@\"DB1\\\\SQL2019\""), &["targets[0].instance", "not a valid SQL Server instance name"]),
        case(
            "sql auth without username",
            TARGETS,
            &target("      \"id\": \"a\", \"server\": \"b\", \"auth\": \"sql\", \"credential\": \"env:X\"").replacen("    {", "    @@{", 1),
            &["targets[0].username", "missing \"username\""],
        ),
        case(
            "sql auth without credential",
            TARGETS,
            &target("      \"id\": \"a\", \"server\": \"b\", \"auth\": \"sql\", \"username\": \"u\"").replacen("    {", "    @@{", 1),
            &["targets[0].credential", "missing \"credential\"", "credentials add"],
        ),
        case(
            "windows username without credential",
            TARGETS,
            &target("      \"id\": \"a\", \"server\": \"b\", \"auth\": \"windows\", \"username\": \"CORP\\\\u\"").replacen("    {", "    @@{", 1),
            &["targets[0].credential", "NTLM"],
        ),
        case("misspelt credential scheme", TARGETS, &target("      \"id\": \"a\", \"server\": \"b\", \"auth\": \"sql\", \"username\": \"u\",\n      \"credential\": @@\"keyrng:prod\""), &["targets[0].credential", "did you mean `keyring:`"]),
        case("password as credential", TARGETS, &target("      \"id\": \"a\", \"server\": \"b\", \"auth\": \"sql\", \"username\": \"u\",\n      \"credential\": @@\"Winter2026!\""), &["targets[0].credential", "not a credential reference", "not shown"]),
        case("env reference without name", TARGETS, &target("      \"id\": \"a\", \"server\": \"b\", \"auth\": \"sql\", \"username\": \"u\",\n      \"credential\": @@\"env:\""), &["targets[0].credential", "needs a name"]),
        case("bad ip address", TARGETS, &with("      \"ip_address\": @@\"10.0.0.300\""), &["targets[0].ip_address", "not an IP address"]),
        // --- encodings and sizes -----------------------------------------------------------
        case("empty file", TARGETS, "@@", &["the file is empty"]),
        case("comments only", TARGETS, "@@// nothing but a comment\n", &["the file is empty"]),
        Case { name: "UTF-16 with BOM", file: TARGETS, contents: utf16(VALID_TARGETS), expect: &["UTF-16", "UTF-8"] },
        Case {
            name: "not UTF-8",
            file: TARGETS,
            contents: [&b"{\n  \"targets\": [],\n  \"x\": \""[..], b"\xE9t\xE9\"\n}"].concat(),
            expect: &["not valid UTF-8"],
        },
        case("UTF-8 BOM then syntax error", TARGETS, "\u{feff}{ @@'x': 1 }", &["double quotes"]),
        // --- audit_config.jsonc ------------------------------------------------------------
        case("missing organization", AUDIT, "@@{ \"audit_name\": \"2026-H2\" }", &["organization", "missing required field"]),
        case("concurrency zero", AUDIT, &audit("  \"concurrency\": @@0"), &["concurrency", "from 1 to 1024"]),
        case("misspelt concurrency", AUDIT, &audit("  @@\"concurency\": 8"), &["concurency", "did you mean \"concurrency\""]),
        case("audit name with slash", AUDIT, "{ \"organization\": \"C\", \"audit_name\": @@\"2026/H2\" }", &["audit_name", "output folder"]),
        case("unknown version key", AUDIT, &audit("  \"thresholds\": { \"expected_builds\": { @@\"2018\": \"14.0.1.1\" } }"), &["thresholds.expected_builds[\"2018\"]", "unknown SQL Server version"]),
        case("build of the wrong version", AUDIT, &audit("  \"thresholds\": { \"expected_builds\": { \"2019\": @@\"16.0.1000.6\" } }"), &["expected_builds[\"2019\"]", "not a SQL Server 2019 build"]),
        case("malformed build", AUDIT, &audit("  \"thresholds\": { \"expected_builds\": { \"2022\": @@\"16.0.x\" } }"), &["expected_builds[\"2022\"]", "four parts"]),
        case("minimum version too old", AUDIT, &audit("  \"thresholds\": { \"minimum_major_version\": @@9 }"), &["thresholds.minimum_major_version", "from 10 to 17"]),
        case("unknown protocol", AUDIT, &audit("  \"thresholds\": { \"allowed_protocols\": [\"tcp\", @@\"ipx\"] }"), &["allowed_protocols[1]", "\"named_pipes\""]),
        case("warn age above max", AUDIT, &audit("  \"thresholds\": { \"backup_max_age_days\": 3, \"backup_warn_age_days\": @@5 }"), &["thresholds.backup_warn_age_days", "must not exceed"]),
        case("unknown check id", AUDIT, &audit("  \"exclusions\": [ { \"check\": @@\"R29\", \"reason\": \"x\" } ]"), &["exclusions[0].check", "is not a check id", "`autodbaudit checks` lists them"]),
        case("exclusion without subject", AUDIT, &audit("  \"exclusions\": [ @@{ \"reason\": \"because\" } ]"), &["exclusions[0]", "at least one of"]),
        case("exclusion without reason", AUDIT, &audit("  \"exclusions\": [ @@{ \"check\": \"R07\" } ]"), &["exclusions[0].reason", "missing required field"]),
    ]
}

fn utf16(text: &str) -> Vec<u8> {
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

/// 1-based line and column (in characters) of the marker, and the contents without it.
fn locate(contents: &[u8]) -> (Vec<u8>, Option<(usize, usize)>) {
    let Some(at) = contents.windows(2).position(|w| w == MARK.as_bytes()) else {
        return (contents.to_vec(), None);
    };
    let mut clean = contents[..at].to_vec();
    clean.extend_from_slice(&contents[at + 2..]);
    let before = String::from_utf8_lossy(&contents[..at])
        .trim_start_matches('\u{feff}')
        .to_owned();
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    (clean, Some((line, column)))
}

#[test]
fn every_broken_config_exits_2_with_position_field_and_fix_and_writes_nothing() {
    let cases = cases();
    assert!(cases.len() >= 30, "the table must cover at least 30 cases");
    let ws = Workspace::init();
    let mut failures = Vec::new();
    for case in &cases {
        ws.write_config(TARGETS, VALID_TARGETS);
        ws.write_config(AUDIT, VALID_AUDIT);
        let (contents, position) = locate(&case.contents);
        ws.write_config(case.file, &contents);
        let before = ws.snapshot();
        let (code, stdout, stderr) = common::run(ws.cmd().args(["config", "validate"]));
        let after = ws.snapshot();

        let location = match position {
            Some((line, col)) => format!("config/{}:{line}:{col}: error: ", case.file),
            None => format!("config/{}", case.file),
        };
        let mut problems = Vec::new();
        if code != 2 {
            problems.push(format!("exit {code}, expected 2"));
        }
        if !stderr.contains(&location) {
            problems.push(format!("no `{location}`"));
        }
        for expected in case.expect {
            if !stderr.contains(expected) {
                problems.push(format!("no `{expected}`"));
            }
        }
        if before != after {
            problems.push("the workspace changed".to_owned());
        }
        if !stdout.is_empty() {
            problems.push(format!("stdout not empty: {stdout}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr:\n{stderr}",
                case.name,
                problems.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn secrets_typed_into_the_config_are_never_echoed() {
    let ws = Workspace::init();
    ws.write_config(AUDIT, VALID_AUDIT);
    ws.write_config(TARGETS, with("      \"password\": \"Hunter2-Secret!\""));
    let (code, stdout, stderr) = common::run(ws.cmd().args(["config", "validate"]));
    assert_eq!(code, 2);
    assert!(
        !stderr.contains("Hunter2") && !stdout.contains("Hunter2"),
        "{stderr}"
    );

    ws.write_config(TARGETS, target("      \"id\": \"a\", \"server\": \"b\", \"auth\": \"sql\", \"username\": \"u\", \"credential\": \"Winter2026!\""));
    let (code, _, stderr) = common::run(ws.cmd().args(["config", "show"]));
    assert_eq!(code, 2);
    assert!(!stderr.contains("Winter2026"), "{stderr}");
}

#[test]
fn a_huge_file_is_refused_without_being_read_whole() {
    let ws = Workspace::init();
    let mut huge = String::from("{ \"targets\": [], \"description\": \"");
    huge.push_str(&"x".repeat(5 * 1024 * 1024));
    huge.push_str("\" }");
    ws.write_config(TARGETS, huge);
    let before = ws.snapshot();
    let (code, _, stderr) = common::run(ws.cmd().args(["config", "validate"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("config/sql_targets.jsonc: error: the file is larger than 4 MiB"),
        "{stderr}"
    );
    assert_eq!(before, ws.snapshot());
}

#[test]
fn errors_in_both_files_are_reported_together() {
    let ws = Workspace::init();
    ws.write_config(TARGETS, with("      \"port\": \"1433\""));
    ws.write_config(AUDIT, audit("  \"concurrency\": 0"));
    let (code, _, stderr) = common::run(ws.cmd().args(["config", "validate"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("config/sql_targets.jsonc:9:15: error: targets[0].port"),
        "{stderr}"
    );
    assert!(
        stderr.contains("config/audit_config.jsonc:4:18: error: concurrency"),
        "{stderr}"
    );
    assert!(stderr.contains("2 errors"), "{stderr}");
}

#[test]
fn a_missing_file_points_at_init() {
    let ws = Workspace::init();
    std::fs::remove_file(ws.join("config/sql_targets.jsonc")).unwrap();
    let (code, _, stderr) = common::run(ws.cmd().args(["config", "validate"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("sql_targets.jsonc: error: file not found"),
        "{stderr}"
    );
    assert!(stderr.contains("autodbaudit init"), "{stderr}");

    std::fs::write(ws.join("config/sql_targets.json"), VALID_TARGETS).unwrap();
    let (_, _, stderr) = common::run(ws.cmd().args(["config", "validate"]));
    assert!(
        stderr.contains("rename") && stderr.contains("sql_targets.json"),
        "{stderr}"
    );
}

#[test]
fn warnings_do_not_fail_validation() {
    let ws = Workspace::init();
    ws.write_config(AUDIT, VALID_AUDIT);
    ws.write_config(
        TARGETS,
        with("      \"encrypt\": \"off\",\n      \"tags\": [\"prod\"]"),
    );
    let (code, stdout, stderr) = common::run(ws.cmd().args(["config", "validate"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("warning: targets[0].encrypt"), "{stderr}");
    assert!(
        stdout.contains("configuration is valid") && stdout.contains("1 warning"),
        "{stdout}"
    );
}

#[test]
fn whole_numbers_written_with_a_decimal_point_are_accepted() {
    let ws = Workspace::init();
    ws.write_config(
        TARGETS,
        with("      \"port\": 1433.0,\n      \"query_timeout_s\": 6e1"),
    );
    ws.write_config(AUDIT, VALID_AUDIT);
    let (code, stdout, stderr) = common::run(ws.cmd().args(["config", "show", "--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("\"port\": 1433,") && stdout.contains("\"query_timeout_s\": 60"),
        "{stdout}"
    );
}

#[test]
fn a_utf8_bom_is_accepted() {
    let ws = Workspace::init();
    ws.write_config(TARGETS, format!("\u{feff}{VALID_TARGETS}"));
    ws.write_config(AUDIT, VALID_AUDIT);
    let (code, _, stderr) = common::run(ws.cmd().args(["config", "validate"]));
    assert_eq!(code, 0, "{stderr}");
}
