//! SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), one file, one run: what
//! code-scanning dashboards (GitHub code scanning, Azure DevOps, DefectDojo …) import.
//!
//! - `tool.driver.rules` lists every check of the catalogue, so a rule's index is the same
//!   in every file; each carries its title, rationale, outcomes, benchmark references (as
//!   `properties.tags`) and a `security-severity` score (GitHub reads it from the rule:
//!   critical 9.5, high 8.0, medium 5.5, low 3.0, info 0.0).
//! - One result per FAIL, WARN, REVIEW or UNKNOWN finding (PASS and INFO are not results):
//!   level `error` for FAIL, `warning` for WARN, `note` for REVIEW and UNKNOWN.
//! - `partialFingerprints["autodbaudit/v1"]` is the finding's fingerprint (target, check,
//!   entity), so a dashboard tracks one finding from run to run.
//! - Locations: SQL Server has no source files. Each result has a `logicalLocation` (kind
//!   `resource`, fully qualified `server\instance/entity`) and, because GitHub code scanning
//!   shows a result only with a `physicalLocation` and rejects URI schemes it does not know
//!   (its upload fails with "unrecognized SARIF location URI scheme"; microsoft/sarif-sdk
//!   PR #2704: the URI must be a non-empty string), a *relative* URI naming the target,
//!   `sql-server/<target id>` (percent-encoded). It is stable across runs, as the
//!   fingerprinting needs, and names no file anyone has to have.
//! - Standing: `result.properties.standing` (`open`, `excepted`, `baselined`, `drift`). An
//!   excepted or baselined result carries a `suppressions` entry (kind `external`, status
//!   `accepted`, the justification), which dashboards treat as dismissed. `baselineState`
//!   is left out: it compares with a previous SARIF file, which this file does not know.
//! - `invocations[0]` has the run's start and end (ISO 8601, UTC) and one error notification
//!   per instance that was not reached; `executionSuccessful` is false when any was not.
//!
//! Sources: OASIS SARIF 2.1.0 (errata 01) and its JSON schema (vendored for the tests in
//! `crates/export/tests/data/`); GitHub Docs, "SARIF support for code scanning".

use audit_core::checks::{Check, Framework, catalogue};
use audit_core::{Severity, Standing, Status};
use serde_json::{Map, Value, json};

use crate::verdict::{is_non_passing, iso_utc};
use crate::{Instance, Report, ResultRow};

/// The `$schema` URI written in the file (the OASIS schema as SchemaStore serves it).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of `partialFingerprints`; the version changes only if the fingerprint's recipe does.
pub const FINGERPRINT_KEY: &str = "autodbaudit/v1";

/// The report as a SARIF 2.1.0 log (UTF-8 JSON, pretty-printed, ending in a newline).
pub fn write(report: &Report) -> Vec<u8> {
    let rules: Vec<Value> = catalogue().iter().map(|c| rule(c)).collect();
    let results: Vec<Value> = report
        .instances
        .iter()
        .flat_map(|instance| {
            instance
                .results
                .iter()
                .filter(|row| is_non_passing(row.finding.status))
                .map(move |row| result(instance, row))
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "AutoDBAudit",
                "fullName": report.tool,
                "version": report.tool_version,
                "rules": rules,
            }},
            "automationDetails": {
                "id": format!("autodbaudit/{}/{}", report.audit, report.run_id),
                "description": { "text": format!("{} — run {}", report.audit, report.run_id) },
            },
            "invocations": [invocation(report)],
            "results": results,
            "properties": {
                "audit": report.audit,
                "organization": report.organization,
                "runId": report.run_id,
                "profile": report.profile,
                "compliance": report.compliance,
            },
        }],
    });
    let mut bytes = serde_json::to_vec_pretty(&log).expect("a JSON value always serializes");
    bytes.push(b'\n');
    bytes
}

/// GitHub's `security-severity` score for a severity (its scale: 9.0+ critical, 7.0–8.9
/// high, 4.0–6.9 medium, 0.1–3.9 low).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// The level a check's FAIL findings default to.
fn default_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A result's level from its status.
fn level(status: Status) -> &'static str {
    match status {
        Status::Fail => "error",
        Status::Warn => "warning",
        Status::Review | Status::Unknown | Status::Pass | Status::Info => "note",
    }
}

/// The rule's `name`: its title up to any parenthesis or colon, in PascalCase
/// (`Unused features disabled (xp_cmdshell …)` → `UnusedFeaturesDisabled`).
fn rule_name(title: &str) -> String {
    let head = title.split(['(', ':']).next().unwrap_or(title);
    head.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

fn rule(check: &Check) -> Value {
    let references = check.references.labels();
    let mut help = format!(
        "{}\n\nPASS: {}\nFAIL/WARN: {}\nOther statuses: {}",
        check.rationale, check.outcomes.pass, check.outcomes.fail_or_warn, check.outcomes.other
    );
    if !references.is_empty() {
        help.push_str(&format!("\n\nReferences: {}", references.join("; ")));
    }
    let mut markdown = format!(
        "{}\n\n| status | meaning |\n|---|---|\n| PASS | {} |\n| FAIL/WARN | {} |\n| other | {} |\n",
        check.rationale,
        table_cell(check.outcomes.pass),
        table_cell(check.outcomes.fail_or_warn),
        table_cell(check.outcomes.other)
    );
    if !references.is_empty() {
        markdown.push_str("\n**References:** ");
        markdown.push_str(&references.join(", "));
        markdown.push('\n');
    }
    let mut tags = vec!["security".to_owned(), check.family.title().to_owned()];
    tags.extend(references.iter().cloned());
    let by_framework: Map<String, Value> = Framework::ALL
        .into_iter()
        .filter(|f| check.references.has(*f))
        .map(|f| (f.as_str().to_owned(), json!(check.references.labels_of(f))))
        .collect();
    json!({
        "id": check.id.as_str(),
        "name": rule_name(check.title),
        "shortDescription": { "text": check.title },
        "fullDescription": { "text": check.rationale },
        "help": { "text": help, "markdown": markdown },
        "defaultConfiguration": { "level": default_level(check.severity) },
        "properties": {
            "tags": tags,
            "security-severity": security_severity(check.severity),
            "severity": check.severity.as_str(),
            "family": check.family.title(),
            "appliesTo": check.applies_to.describe(),
            "references": by_framework,
        },
    })
}

/// Markdown table cells cannot hold a pipe or a line break.
fn table_cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn result(instance: &Instance, row: &ResultRow) -> Value {
    let finding = &row.finding;
    let index = catalogue()
        .iter()
        .position(|c| c.id == finding.check_id)
        .expect("every finding's check is in the catalogue");
    let mut properties = Map::new();
    properties.insert("status".into(), json!(finding.status.as_str()));
    properties.insert("severity".into(), json!(finding.severity.as_str()));
    properties.insert("standing".into(), json!(row.standing.as_str()));
    if let Some(drift) = &row.drift {
        properties.insert("drift".into(), json!(drift));
    }
    properties.insert("targetId".into(), json!(instance.target_id));
    properties.insert("instance".into(), json!(instance.label));
    properties.insert("entityType".into(), json!(finding.entity_type));
    properties.insert("entity".into(), json!(finding.entity));
    properties.insert("entityKey".into(), json!(finding.entity_key));
    properties.insert("evidence".into(), json!(finding.evidence));
    if let Some(note) = &row.note {
        for (key, value) in [
            ("reviewStatus", &note.review_status),
            ("justification", &note.justification),
            ("notes", &note.notes),
        ] {
            if let Some(value) = value {
                properties.insert(key.into(), json!(value));
            }
        }
    }
    let mut result = json!({
        "ruleId": finding.check_id.as_str(),
        "ruleIndex": index,
        "level": level(finding.status),
        "message": { "text": finding.message },
        "locations": [{
            "physicalLocation": { "artifactLocation": { "uri": target_uri(&instance.target_id) } },
            "logicalLocations": [{
                "name": finding.entity,
                "fullyQualifiedName": format!("{}/{}", instance.label, finding.entity),
                "kind": "resource",
            }],
        }],
        "partialFingerprints": { FINGERPRINT_KEY: row.fingerprint },
        "properties": properties,
    });
    if let Some(suppression) = suppression(row) {
        result["suppressions"] = json!([suppression]);
    }
    result
}

/// Excepted and baselined results are accepted, external suppressions.
fn suppression(row: &ResultRow) -> Option<Value> {
    let justification = match row.standing {
        Standing::Excepted => row
            .note
            .as_ref()
            .and_then(|n| n.justification.clone())
            .unwrap_or_else(|| "documented exception".to_owned()),
        Standing::Baselined => {
            "matches the approved baseline of its check on this server".to_owned()
        }
        Standing::Compliant | Standing::Open | Standing::Drift => return None,
    };
    Some(json!({
        "kind": "external",
        "status": "accepted",
        "justification": justification,
        "properties": { "standing": row.standing.as_str() },
    }))
}

/// `sql-server/<target id>`, the target id percent-encoded (RFC 3986: everything but the
/// unreserved characters).
pub fn target_uri(target_id: &str) -> String {
    let mut uri = String::from("sql-server/");
    for byte in target_id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

fn invocation(report: &Report) -> Value {
    let notifications: Vec<Value> = report
        .instances
        .iter()
        .filter(|i| !i.reached)
        .map(|i| {
            json!({
                "level": "error",
                "message": { "text": format!(
                    "{} ({}) was not reached: {}",
                    i.label,
                    i.target_id,
                    i.reason.as_deref().unwrap_or("no reason recorded")
                )},
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": target_uri(&i.target_id) } },
                }],
            })
        })
        .collect();
    let mut invocation = json!({
        "executionSuccessful": report.instances.iter().all(|i| i.reached),
    });
    if let Some(start) = iso_utc(&report.started) {
        invocation["startTimeUtc"] = json!(start);
    }
    if let Some(end) = iso_utc(&report.finished) {
        invocation["endTimeUtc"] = json!(end);
    }
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = json!(notifications);
    }
    invocation
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_are_the_titles_heads_in_pascal_case() {
        assert_eq!(
            rule_name("Unused features disabled (xp_cmdshell, OLE Automation, CLR)"),
            "UnusedFeaturesDisabled"
        );
        assert_eq!(rule_name("sa: disabled and renamed"), "Sa");
    }

    #[test]
    fn target_uris_are_relative_and_percent_encoded() {
        assert_eq!(target_uri("prod-01"), "sql-server/prod-01");
        assert_eq!(target_uri("a b/ü"), "sql-server/a%20b%2F%C3%BC");
    }
}
