//! A hand-made recorded run for the format tests: three instances (one not reached), findings
//! of every status and standing (open, excepted, baselined, drift, compliant), annotations,
//! a login named like markup, values a spreadsheet would evaluate, Persian names and emoji.

#![allow(dead_code)] // each test uses a different subset

use std::collections::BTreeMap;

use audit_core::compliance::FrameworkSummary;
use audit_core::{CheckId, Finding, RemediationCategory, Severity, Standing, Status, entity_key};
use export::{Instance, Note, Report, ResultRow, fingerprint};

/// A login whose name is markup, quotes and an ampersand.
pub const HOSTILE_LOGIN: &str = "<script>alert(\"pwned\")</script> & 'co'";

/// A message with a comma, quotes and a line break inside.
pub const AWKWARD_MESSAGE: &str =
    "Database \"فروش 📊\" is TRUSTWORTHY, owned by a sysadmin;\nany db_owner can become sysadmin.";

/// Values that start like spreadsheet formulas, as evidence values.
pub const FORMULAS: [(&str, &str); 6] = [
    ("hyperlink", "=HYPERLINK(\"evil.example/x\",\"click\")"),
    ("at_sum", "@SUM(1+1)"),
    ("minus", "-1+1"),
    ("plus", "+cmd|' /C calc'!A0"),
    ("tab", "\tindented"),
    ("carriage_return", "\rreturned"),
];

/// The unused login's name: a formula.
pub const FORMULA_LOGIN: &str = "=HYPERLINK(\"evil.example\",\"x\")";

/// The Persian database name with an emoji.
pub const PERSIAN_DATABASE: &str = "فروش 📊";

/// Why the third instance was not reached.
pub const UNREACHED_REASON: &str = "connection refused (os error 111) after 15 s";

struct Row {
    check: &'static str,
    status: Status,
    severity: Severity,
    entity_type: &'static str,
    entity: &'static str,
    message: &'static str,
    evidence: Vec<(&'static str, &'static str)>,
    standing: Option<Standing>,
    drift: Option<&'static str>,
    note: Option<Note>,
}

impl Row {
    fn new(
        check: &'static str,
        status: Status,
        severity: Severity,
        entity: (&'static str, &'static str),
        message: &'static str,
    ) -> Row {
        Row {
            check,
            status,
            severity,
            entity_type: entity.0,
            entity: entity.1,
            message,
            evidence: Vec::new(),
            standing: None,
            drift: None,
            note: None,
        }
    }

    fn ev(mut self, key: &'static str, value: &'static str) -> Row {
        self.evidence.push((key, value));
        self
    }

    fn standing(mut self, standing: Standing) -> Row {
        self.standing = Some(standing);
        self
    }

    fn drift(mut self, what: &'static str) -> Row {
        self.standing = Some(Standing::Drift);
        self.drift = Some(what);
        self
    }

    fn note(mut self, review: &str, justification: &str, notes: &str) -> Row {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        self.note = Some(Note {
            review_status: some(review),
            justification: some(justification),
            notes: some(notes),
        });
        self
    }

    fn done(self, target_id: &str) -> ResultRow {
        let key = if self.entity_type == "instance" {
            entity_key("instance", &[])
        } else {
            entity_key(self.entity_type, &[self.entity])
        };
        let finding = Finding {
            check_id: self.check.parse::<CheckId>().expect("a catalogue id"),
            status: self.status,
            severity: self.severity,
            entity_type: self.entity_type.to_owned(),
            entity: self.entity.to_owned(),
            entity_key: key,
            message: self.message.to_owned(),
            evidence: self
                .evidence
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>(),
            remediation_category: RemediationCategory::Review,
            fix: None,
        };
        let standing = self
            .standing
            .unwrap_or_else(|| Standing::of(self.status, false, None));
        ResultRow {
            fingerprint: fingerprint(target_id, &finding),
            finding,
            standing,
            drift: self.drift.map(str::to_owned),
            note: self.note,
        }
    }
}

const INSTANCE: (&str, &str) = ("instance", "SQL01\\SALES");

fn prod() -> Instance {
    use Severity::*;
    use Status::*;
    let id = "prod-sql01";
    let rows = vec![
        Row::new("R02", Pass, High, INSTANCE, "SQL Server 2022 (16) is supported until 2033-01-11.")
            .ev("major", "16"),
        Row::new("R04", Fail, Critical, ("login", "sa"), "The sa login is enabled and keeps its name.")
            .ev("is_disabled", "0")
            .ev("name", "sa"),
        Row::new("R07", Warn, Medium, ("login", FORMULA_LOGIN), "Login has no role, permission or database user: unused.")
            .drift("new")
            .ev("created", "2024-11-02"),
        Row::new("R08", Review, High, ("login", HOSTILE_LOGIN), "Member of sysadmin: justify or remove.")
            .ev("role", "sysadmin")
            .ev("login", HOSTILE_LOGIN),
        Row::new("R10", Fail, High, ("config", "xp_cmdshell"), "xp_cmdshell is enabled (value_in_use 1).")
            .ev("value_in_use", "1")
            .standing(Standing::Excepted)
            .note(
                "✓ Exception",
                "Needed by the nightly ETL, approved in CAB-1234 \"until migration\"",
                "Revisit in Q3, owner: data team",
            ),
        Row::new("R10", Pass, Medium, ("config", "clr enabled"), "clr enabled is 0."),
        Row::new("X01", Fail, High, ("database", PERSIAN_DATABASE), AWKWARD_MESSAGE)
            .ev(FORMULAS[0].0, FORMULAS[0].1)
            .ev(FORMULAS[1].0, FORMULAS[1].1)
            .ev(FORMULAS[2].0, FORMULAS[2].1)
            .ev(FORMULAS[3].0, FORMULAS[3].1)
            .ev(FORMULAS[4].0, FORMULAS[4].1)
            .ev(FORMULAS[5].0, FORMULAS[5].1)
            .note("⏳ Needs Review", "", "Asked the owner, سلام 👋"),
        Row::new("X03", Review, Medium, ("login", "app_ro"), "Enabled SQL-authentication login: review.")
            .standing(Standing::Baselined),
        Row::new("X06", Unknown, Medium, INSTANCE, "X06 could not be evaluated: traces unavailable (permission denied).")
            .ev("unavailable.traces", "permission denied"),
        Row::new("X37", Status::Info, Medium, INSTANCE, "X37 does not apply: it applies to engine editions [2, 3, 4] only; this server is engine edition 8.")
            .ev("not_applicable", "applies to engine editions [2, 3, 4] only; this server is engine edition 8"),
        Row::new("X41", Warn, Medium, INSTANCE, "Instant File Initialization is granted to the service account.")
            .ev("instant_file_initialization_enabled", "Y")
            .drift("status PASS → WARN"),
    ];
    Instance {
        target_id: id.to_owned(),
        server: "sql01.corp.example".to_owned(),
        instance: Some("SALES".to_owned()),
        port: Some(1433),
        label: "sql01.corp.example\\SALES".to_owned(),
        host_name: Some("SQL01".to_owned()),
        fqdn: Some("sql01.corp.example".to_owned()),
        ip_address: None,
        version: Some("16.0.4135.4".to_owned()),
        major: Some(16),
        edition: Some("Enterprise Edition (64-bit)".to_owned()),
        reached: true,
        reason: None,
        not_selected: vec!["X84".parse().unwrap()],
        results: rows.into_iter().map(|r| r.done(id)).collect(),
    }
}

fn dev() -> Instance {
    use Severity::*;
    use Status::*;
    let id = "dev-sql02";
    let rows = vec![
        Row::new(
            "R03",
            Warn,
            Medium,
            INSTANCE,
            "Build 15.0.2000.5 is older than the latest known 15.0.4415.2.",
        )
        .ev("build", "15.0.2000.5")
        .ev("latest", "15.0.4415.2"),
        Row::new(
            "R04",
            Pass,
            Critical,
            ("login", "sa"),
            "sa is disabled and renamed.",
        ),
        Row::new(
            "X02",
            Fail,
            High,
            ("database", "HR, Payroll"),
            "No full backup of \"HR, Payroll\" in 9 days.",
        )
        .ev("last_full_backup", "2025-03-05 01:00:00"),
    ];
    Instance {
        target_id: id.to_owned(),
        server: "10.0.0.12".to_owned(),
        instance: None,
        port: None,
        label: "10.0.0.12".to_owned(),
        host_name: Some("DEVSQL02".to_owned()),
        fqdn: None,
        ip_address: Some("10.0.0.12".to_owned()),
        version: Some("15.0.2000.5".to_owned()),
        major: Some(15),
        edition: Some("Developer Edition (64-bit)".to_owned()),
        reached: true,
        reason: None,
        not_selected: Vec::new(),
        results: rows.into_iter().map(|r| r.done(id)).collect(),
    }
}

fn dr() -> Instance {
    Instance {
        target_id: "dr-sql03".to_owned(),
        server: "sql03.dr.corp.example".to_owned(),
        instance: Some("DR".to_owned()),
        port: Some(14330),
        label: "sql03.dr.corp.example\\DR".to_owned(),
        host_name: None,
        fqdn: Some("sql03.dr.corp.example".to_owned()),
        ip_address: None,
        version: None,
        major: None,
        edition: None,
        reached: false,
        reason: Some(UNREACHED_REASON.to_owned()),
        not_selected: Vec::new(),
        results: Vec::new(),
    }
}

/// The sample run.
pub fn report() -> Report {
    Report {
        tool: "AutoDBAudit 0.1.0".to_owned(),
        tool_version: "0.1.0".to_owned(),
        audit: "H1 2025 <fleet> audit".to_owned(),
        organization: "Contoso & Sons".to_owned(),
        run_id: 7,
        started: "2025-03-14 09:30:00".to_owned(),
        finished: "2025-03-14 09:41:27".to_owned(),
        profile: "all".to_owned(),
        compliance: vec![
            FrameworkSummary {
                framework: "CIS".to_owned(),
                scope: "CIS SQL Server 2019/2022 v1.1.0".to_owned(),
                items: 40,
                results: 120,
                passed: 70,
                failed: 12,
                excepted: 3,
                baselined: 2,
                not_reviewed: 18,
                not_applicable: 10,
                not_selected: 5,
                unreached: 1,
                open_by_category: None,
            },
            FrameworkSummary {
                framework: "DISA STIG".to_owned(),
                scope: "MS SQL Server 2016 Instance V3R6, 2022 Instance V1R4".to_owned(),
                items: 60,
                results: 180,
                passed: 90,
                failed: 20,
                excepted: 4,
                baselined: 6,
                not_reviewed: 40,
                not_applicable: 15,
                not_selected: 5,
                unreached: 1,
                open_by_category: Some([3, 14, 3]),
            },
        ],
        instances: vec![prod(), dev(), dr()],
    }
}

/// Every finding of the sample with its instance.
pub fn rows(report: &Report) -> Vec<(&Instance, &ResultRow)> {
    report
        .instances
        .iter()
        .flat_map(|i| i.results.iter().map(move |r| (i, r)))
        .collect()
}
