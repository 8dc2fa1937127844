//! JUnit XML, the de facto format of CI test reports (Jenkins, GitLab, Azure Pipelines,
//! GitHub test reporters): one `<testsuite>` per instance (named by its label), one
//! `<testcase>` per check of the catalogue, named `<check id> <title>`, class
//! `autodbaudit.<target id>`. The elements and attributes are those of the common schema
//! (Jenkins' `junit-10.xsd`, which the consumers above accept).
//!
//! A test case's outcome is the check's verdict on the instance:
//!
//! | verdict | test case |
//! |---|---|
//! | an open (or drifted) FAIL or WARN | `<failure>`: `type` = the quoted finding's severity, `message` = its message |
//! | no open FAIL/WARN, an open REVIEW | `<failure type="review">`: a person must look and justify (the audit cannot be finalized until they do), so a pipeline must not call it green |
//! | only an open UNKNOWN | `<error type="unknown">`: the check could not be evaluated in full, which JUnit calls an error, not a failure and never a pass |
//! | non-passing findings, all excepted or baselined | passed, `<system-out>` saying which and why |
//! | not selected, not applicable, instance not reached | `<skipped>` with the reason |
//! | every finding PASS or INFO | passed |
//!
//! A failure's or error's text lists every non-passing finding of the check on the instance
//! (open or not, with its standing), each with its evidence. Counts on each suite and on
//! `<testsuites>` add up the cases. Text that XML 1.0 cannot carry (control characters) is
//! written as U+FFFD.

use crate::verdict::{self, CheckOnInstance, Verdict, evidence_line, iso_local};
use crate::{Instance, Report, ResultRow};

/// The report as JUnit XML (UTF-8).
pub fn write(report: &Report) -> Vec<u8> {
    let suites: Vec<Suite> = report.instances.iter().map(suite).collect();
    let total = |f: fn(&Suite) -> usize| suites.iter().map(f).sum::<usize>();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str(&format!(
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\">\n",
        attr(&format!("{} — {} (run {})", report.tool, report.audit, report.run_id)),
        total(|s| s.tests),
        total(|s| s.failures),
        total(|s| s.errors),
        total(|s| s.skipped),
    ));
    let timestamp = iso_local(&report.started);
    for (id, suite) in suites.iter().enumerate() {
        xml.push_str(&format!(
            "  <testsuite name=\"{}\" id=\"{id}\" package=\"autodbaudit\" hostname=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"0\"",
            attr(&suite.instance.label),
            attr(&suite.instance.server),
            suite.tests,
            suite.failures,
            suite.errors,
            suite.skipped,
        ));
        if let Some(timestamp) = &timestamp {
            xml.push_str(&format!(" timestamp=\"{timestamp}\""));
        }
        xml.push_str(">\n");
        xml.push_str(&properties(report, suite.instance));
        xml.push_str(&suite.cases);
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml.into_bytes()
}

/// One instance's suite, written, with its counts.
struct Suite<'a> {
    instance: &'a Instance,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    cases: String,
}

fn suite(instance: &Instance) -> Suite<'_> {
    let mut suite = Suite {
        instance,
        tests: 0,
        failures: 0,
        errors: 0,
        skipped: 0,
        cases: String::new(),
    };
    for on in verdict::per_check(instance) {
        suite.tests += 1;
        let (open, body) = case_body(instance, &on);
        match open {
            Outcome::Failure => suite.failures += 1,
            Outcome::Error => suite.errors += 1,
            Outcome::Skipped => suite.skipped += 1,
            Outcome::Passed => {}
        }
        suite.cases.push_str(&format!(
            "    <testcase name=\"{}\" classname=\"autodbaudit.{}\" time=\"0\"",
            attr(&format!("{} {}", on.check.id, on.check.title)),
            attr(&instance.target_id),
        ));
        if body.is_empty() {
            suite.cases.push_str("/>\n");
        } else {
            suite.cases.push_str(">\n");
            suite.cases.push_str(&body);
            suite.cases.push_str("    </testcase>\n");
        }
    }
    suite
}

/// How a test case ended, for the counts.
enum Outcome {
    Passed,
    Failure,
    Error,
    Skipped,
}

/// The case's child elements and how it counts.
fn case_body(instance: &Instance, on: &CheckOnInstance<'_>) -> (Outcome, String) {
    let skipped = |why: &str| {
        (
            Outcome::Skipped,
            format!("      <skipped message=\"{}\"/>\n", attr(why)),
        )
    };
    match on.verdict {
        Verdict::NotReached => skipped(&format!(
            "instance not reached: {}",
            instance.reason.as_deref().unwrap_or("no reason recorded")
        )),
        Verdict::NotSelected => {
            skipped("not selected: the profile or --checks/--skip-checks left this check out")
        }
        Verdict::NotApplicable => skipped(&format!(
            "not applicable: {}",
            on.not_applicable_reason()
                .unwrap_or("the check does not apply to this instance")
        )),
        Verdict::NoResult => skipped("no result: the check reported nothing on this instance"),
        Verdict::Failed | Verdict::Review | Verdict::Unknown => {
            let open = on.open_rows();
            let first = open.first().expect("an open verdict has an open finding");
            let (element, kind, outcome) = match on.verdict {
                Verdict::Failed => ("failure", first.finding.severity.as_str(), Outcome::Failure),
                Verdict::Review => ("failure", "review", Outcome::Failure),
                _ => ("error", "unknown", Outcome::Error),
            };
            let text: Vec<String> = on.non_passing().iter().map(|r| describe(r)).collect();
            (
                outcome,
                format!(
                    "      <{element} message=\"{}\" type=\"{kind}\">{}</{element}>\n",
                    attr(&first.finding.message),
                    text_node(&text.join("\n\n")),
                ),
            )
        }
        Verdict::Covered => {
            let lines: Vec<String> = on.non_passing().iter().map(|r| describe(r)).collect();
            (
                Outcome::Passed,
                format!(
                    "      <system-out>{}</system-out>\n",
                    text_node(&format!(
                        "Passed: every non-passing finding is excepted or baselined.\n\n{}",
                        lines.join("\n\n")
                    ))
                ),
            )
        }
        Verdict::Passed => (Outcome::Passed, String::new()),
    }
}

/// One finding as a failure's text: `[FAIL high, open] entity: message`, then its evidence,
/// drift and annotation.
fn describe(row: &ResultRow) -> String {
    let f = &row.finding;
    let mut text = format!(
        "[{} {}, {}] {}: {}",
        f.status,
        f.severity,
        row.standing.as_str(),
        f.entity,
        f.message
    );
    if !f.evidence.is_empty() {
        text.push_str(&format!("\n  evidence: {}", evidence_line(&f.evidence)));
    }
    if let Some(drift) = &row.drift {
        text.push_str(&format!("\n  drift: {drift}"));
    }
    if let Some(note) = &row.note {
        for (label, value) in [
            ("review status", &note.review_status),
            ("justification", &note.justification),
            ("notes", &note.notes),
        ] {
            if let Some(value) = value {
                text.push_str(&format!("\n  {label}: {value}"));
            }
        }
    }
    text
}

fn properties(report: &Report, instance: &Instance) -> String {
    let mut props = vec![
        ("audit", report.audit.clone()),
        ("organization", report.organization.clone()),
        ("run", report.run_id.to_string()),
        ("profile", report.profile.clone()),
        ("target_id", instance.target_id.clone()),
        ("reached", instance.reached.to_string()),
    ];
    for (name, value) in [
        ("reason", &instance.reason),
        ("version", &instance.version),
        ("edition", &instance.edition),
    ] {
        if let Some(value) = value {
            props.push((name, value.clone()));
        }
    }
    let mut xml = String::from("    <properties>\n");
    for (name, value) in props {
        xml.push_str(&format!(
            "      <property name=\"{name}\" value=\"{}\"/>\n",
            attr(&value)
        ));
    }
    xml.push_str("    </properties>\n");
    xml
}

/// A character XML 1.0 can carry (`Char` production), else U+FFFD.
fn xml_char(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' => c,
        c if c >= '\u{10000}' => c,
        _ => '\u{FFFD}',
    }
}

/// Escaped for an attribute value in double quotes; tabs and line breaks as character
/// references so that attribute-value normalisation keeps them.
fn attr(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(xml_char) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped for element content; carriage returns as references so that line-end
/// normalisation keeps them.
fn text_node(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().map(xml_char) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_markup_out_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            attr("<a href=\"x\">&'\n"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&#10;"
        );
        assert_eq!(
            text_node("a<b>&\u{1}\r\n"),
            "a&lt;b&gt;&amp;\u{FFFD}&#13;\n"
        );
        assert_eq!(attr("ok 📊 فروش"), "ok 📊 فروش");
    }
}
