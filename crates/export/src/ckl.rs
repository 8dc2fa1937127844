//! The DISA STIG Viewer 2 checklist (`.ckl`, XML): one per instance, holding both STIGs of its
//! SQL Server release (Instance and Database) with every rule, its status, FINDING_DETAILS from
//! the evidence and COMMENTS from the auditors' annotations ([`crate::checklist`] decides them).
//!
//! The layout follows STIG Viewer 2's checklist schema: `CHECKLIST` → `ASSET` (ROLE,
//! ASSET_TYPE, HOST_NAME, HOST_IP, HOST_MAC, HOST_FQDN, TARGET_COMMENT, TECH_AREA, TARGET_KEY,
//! WEB_OR_DATABASE, WEB_DB_SITE, WEB_DB_INSTANCE, in that order; ROLE one of None, Workstation,
//! Member Server, Domain Controller; TECH_AREA one of a fixed list incl. "Database Review") →
//! `STIGS` → one `iSTIG` per STIG: `STIG_INFO` (SI_DATA version, classification, customname,
//! stigid, description, filename, releaseinfo, title, uuid, notice, source; SID_DATA left out
//! when empty) then one `VULN` per rule: STIG_DATA (Vuln_Num, Severity, Group_Title, Rule_ID,
//! Rule_Ver, Rule_Title, Vuln_Discuss, IA_Controls, Check_Content, Fix_Text, False_Positives,
//! False_Negatives, Documentable, Mitigations, Potential_Impact, Third_Party_Tools,
//! Mitigation_Control, Responsibility, Security_Override_Guidance, Check_Content_Ref, Weight,
//! Class, STIGRef, TargetKey, STIG_UUID, then LEGACY_ID and CCI_REF repeated), STATUS
//! (NotAFinding, Open, Not_Applicable, Not_Reviewed), FINDING_DETAILS, COMMENTS,
//! SEVERITY_OVERRIDE, SEVERITY_JUSTIFICATION.
//!
//! Sources: the element model and enumerations of STIG Viewer's checklist XSD as compiled into
//! the Jsonix mapping in `mitre/heimdall2` : `libs/hdf-converters/src/ckl-mapper/jsonixMapping.ts`
//! (element order, required elements, value lists); checklists written by STIG Viewer 2.x and by
//! STIG Manager (`NUWCDIVNPT/stig-manager` : `docs/STIG-Manager-OSS.ckl`) for the STIG_DATA order,
//! the SI_DATA order and empty elements. Check and fix text are not embedded (the STIG holds
//! them; `Check_Content` and `Fix_Text` say where).
//!
//! Text from servers is data: it is escaped by the XML writer, and characters XML 1.0 forbids
//! (control characters other than tab and newline, U+FFFE, U+FFFF) are replaced by U+FFFD, so a
//! hostile name cannot break the file.

use std::io::Cursor;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::checklist::{self, StigResult};
use crate::{Instance, Report};

/// The XML of one instance's checklist.
pub fn write(report: &Report, instance: &Instance) -> Vec<u8> {
    let stigs = checklist::evaluate(report, instance);
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b'\t', 1);
    // Writing to memory cannot fail; the results are unwrapped through `ok`.
    let ok = |r: std::io::Result<()>| r.expect("writing XML to memory");
    ok(w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))));
    let comment = format!(
        "{} :: DISA STIG Viewer 2 checklist",
        checklist::safe_text(&report.tool)
    );
    ok(w.write_event(Event::Comment(BytesText::from_escaped(
        comment.replace("--", "- -"),
    ))));
    ok(w.create_element("CHECKLIST")
        .write_inner_content(|w| {
            w.create_element("ASSET").write_inner_content(|w| {
                let asset = asset(report, instance);
                for (name, value) in &asset {
                    text(w, name, value)?;
                }
                Ok(())
            })?;
            w.create_element("STIGS").write_inner_content(|w| {
                for stig in &stigs {
                    istig(w, stig)?;
                }
                Ok(())
            })?;
            Ok(())
        })
        .map(|_| ()));
    let mut bytes = w.into_inner().into_inner();
    bytes.push(b'\n');
    bytes
}

/// The checklist's file name: `<target_id>.ckl`, safe on every file system.
pub fn file_name(instance: &Instance) -> String {
    checklist::file_name(instance, "ckl")
}

/// The ASSET elements in schema order.
fn asset(report: &Report, instance: &Instance) -> Vec<(&'static str, String)> {
    vec![
        ("ROLE", "Member Server".into()),
        ("ASSET_TYPE", "Computing".into()),
        ("HOST_NAME", checklist::host_name(instance).into()),
        ("HOST_IP", instance.ip_address.clone().unwrap_or_default()),
        ("HOST_MAC", String::new()),
        ("HOST_FQDN", instance.fqdn.clone().unwrap_or_default()),
        (
            "TARGET_COMMENT",
            checklist::target_comment(report, instance),
        ),
        ("TECH_AREA", "Database Review".into()),
        ("TARGET_KEY", String::new()),
        ("WEB_OR_DATABASE", "true".into()),
        ("WEB_DB_SITE", String::new()),
        ("WEB_DB_INSTANCE", instance.label.clone()),
    ]
}

/// One `iSTIG`: its STIG_INFO and a VULN per rule.
fn istig(w: &mut Writer<Cursor<Vec<u8>>>, stig: &StigResult) -> std::io::Result<()> {
    let b = stig.benchmark;
    w.create_element("iSTIG").write_inner_content(|w| {
        w.create_element("STIG_INFO").write_inner_content(|w| {
            let info: [(&str, String); 11] = [
                ("version", b.version.to_string()),
                ("classification", "UNCLASSIFIED".into()),
                ("customname", String::new()),
                ("stigid", b.id.clone()),
                ("description", String::new()),
                ("filename", stig.filename.clone()),
                ("releaseinfo", b.release_info.clone()),
                ("title", b.title.clone()),
                ("uuid", stig.uuid.clone()),
                ("notice", "terms-of-use".into()),
                ("source", "STIG.DOD.MIL".into()),
            ];
            for (name, value) in &info {
                w.create_element("SI_DATA").write_inner_content(|w| {
                    text(w, "SID_NAME", name)?;
                    if !value.is_empty() {
                        text(w, "SID_DATA", value)?;
                    }
                    Ok(())
                })?;
            }
            Ok(())
        })?;
        let stig_ref = format!("{} :: Version {}, {}", b.title, b.version, b.release_info);
        for result in &stig.rules {
            let r = result.rule;
            let see = checklist::see_the_stig(stig, r);
            w.create_element("VULN").write_inner_content(|w| {
                let data: [(&str, &str); 25] = [
                    ("Vuln_Num", &r.group_id),
                    ("Severity", r.severity.as_str()),
                    ("Group_Title", &r.group_title),
                    ("Rule_ID", &r.rule_id),
                    ("Rule_Ver", &r.version),
                    ("Rule_Title", &r.title),
                    ("Vuln_Discuss", ""),
                    ("IA_Controls", ""),
                    ("Check_Content", &see),
                    ("Fix_Text", &see),
                    ("False_Positives", ""),
                    ("False_Negatives", ""),
                    ("Documentable", "false"),
                    ("Mitigations", ""),
                    ("Potential_Impact", ""),
                    ("Third_Party_Tools", ""),
                    ("Mitigation_Control", ""),
                    ("Responsibility", ""),
                    ("Security_Override_Guidance", ""),
                    ("Check_Content_Ref", "M"),
                    ("Weight", &format!("{:.1}", r.weight)),
                    ("Class", "Unclass"),
                    ("STIGRef", &stig_ref),
                    ("TargetKey", ""),
                    ("STIG_UUID", &stig.uuid),
                ];
                let repeated = r
                    .legacy_ids
                    .iter()
                    .map(|id| ("LEGACY_ID", id.as_str()))
                    .chain(r.ccis.iter().map(|id| ("CCI_REF", id.as_str())));
                for (name, value) in data.into_iter().chain(repeated) {
                    w.create_element("STIG_DATA").write_inner_content(|w| {
                        text(w, "VULN_ATTRIBUTE", name)?;
                        text(w, "ATTRIBUTE_DATA", value)?;
                        Ok(())
                    })?;
                }
                text(w, "STATUS", result.status.ckl())?;
                text(w, "FINDING_DETAILS", &result.finding_details)?;
                text(w, "COMMENTS", &result.comments)?;
                text(w, "SEVERITY_OVERRIDE", "")?;
                text(w, "SEVERITY_JUSTIFICATION", "")?;
                Ok(())
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// `<name>value</name>`, the value escaped and made XML 1.0-safe (an empty value is written
/// `<name></name>`, as STIG Viewer does).
fn text(w: &mut Writer<Cursor<Vec<u8>>>, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&checklist::safe_text(value)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_by_the_writer() {
        let mut w = Writer::new(Cursor::new(Vec::new()));
        text(&mut w, "X", "<a> & ]]> \"q\"").unwrap();
        let out = String::from_utf8(w.into_inner().into_inner()).unwrap();
        assert_eq!(out, "<X>&lt;a&gt; &amp; ]]&gt; &quot;q&quot;</X>");
    }
}
