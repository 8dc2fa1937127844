//! The DISA STIG Viewer 3 checklist (`.cklb`, JSON): the same content as [`crate::ckl`] (both
//! STIGs of the instance's release, every rule, statuses from [`crate::checklist`]) in STIG
//! Viewer 3's format.
//!
//! Shape: `{title, id, stigs: [{stig_name, display_name, stig_id, release_info, version, uuid,
//! reference_identifier, size, rules: [...]}], active, mode, has_path, target_data: {target_type,
//! host_name, ip_address, mac_address, fqdn, comments, role, is_web_database, technology_area,
//! web_db_site, web_db_instance, classification}, cklb_version: "1.0"}`; each rule carries
//! uuid, stig_uuid, target_key, stig_ref, group_id, group_id_src, rule_id (without `_rule`),
//! rule_id_src, weight, classification, severity, rule_version, rule_title, fix_text,
//! reference_identifier, group_title, false_positives, false_negatives, discussion,
//! check_content, documentable, mitigations, potential_impacts, third_party_tools,
//! mitigation_control, responsibility, security_override_guidance, ia_controls,
//! check_content_ref {name, href}, legacy_ids, ccis, group_tree, status (`not_a_finding`,
//! `open`, `not_applicable`, `not_reviewed`), overrides, comments, finding_details.
//!
//! Sources: the property list of STIG Viewer 3's CKLB JSON schema as typed in `mitre/heimdall2`
//! : `libs/hdf-converters/src/ckl-mapper/checklist-b-types.ts` (stig, stig_rule and target_data
//! definitions, the status values); a `.cklb` as STIG Viewer 3 saves it, quoted in a public test
//! (values of `active`, `mode`, `has_path`, `cklb_version`, `group_tree`, `check_content_ref`,
//! `classification`); `mitre/heimdall2` :
//! `libs/hdf-converters/sample_jsons/checklist_mapper/sample_input_report/*.cklb`.

use serde_json::{Value, json};

use crate::checklist::{self, StigResult};
use crate::{Instance, Report};

/// The JSON of one instance's checklist.
pub fn write(report: &Report, instance: &Instance) -> Vec<u8> {
    let stigs: Vec<Value> = checklist::evaluate(report, instance)
        .iter()
        .map(stig)
        .collect();
    let title = format!(
        "{} - {}",
        instance.label,
        checklist::benchmarks(instance)
            .iter()
            .map(|b| display_name(&b.title))
            .collect::<Vec<_>>()
            .join(" + ")
    );
    let doc = json!({
        "title": title,
        "id": checklist::uuid(&["checklist", &instance.target_id]),
        "stigs": stigs,
        "active": true,
        "mode": 2,
        "has_path": false,
        "target_data": {
            "target_type": "Computing",
            "host_name": checklist::host_name(instance),
            "ip_address": instance.ip_address.clone().unwrap_or_default(),
            "mac_address": "",
            "fqdn": instance.fqdn.clone().unwrap_or_default(),
            "comments": checklist::target_comment(report, instance),
            "role": "Member Server",
            "is_web_database": true,
            "technology_area": "Database Review",
            "web_db_site": "",
            "web_db_instance": instance.label,
            "classification": Value::Null,
        },
        "cklb_version": "1.0",
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).expect("a JSON value serializes");
    bytes.push(b'\n');
    bytes
}

/// The checklist's file name: `<target_id>.cklb`, safe on every file system.
pub fn file_name(instance: &Instance) -> String {
    checklist::file_name(instance, "cklb")
}

/// `MS SQL Server 2016 Instance Security Technical Implementation Guide` →
/// `MS SQL Server 2016 Instance STIG`, as STIG Viewer 3 shows a STIG.
fn display_name(title: &str) -> String {
    match title.strip_suffix(" Security Technical Implementation Guide") {
        Some(short) => format!("{short} STIG"),
        None => title.to_owned(),
    }
}

/// One entry of `stigs`.
fn stig(stig: &StigResult) -> Value {
    let b = stig.benchmark;
    let stig_ref = format!("{} :: Version {}, {}", b.title, b.version, b.release_info);
    let rules: Vec<Value> = stig
        .rules
        .iter()
        .map(|result| {
            let r = result.rule;
            let see = checklist::see_the_stig(stig, r);
            json!({
                "uuid": checklist::uuid(&["rule", &stig.uuid, &r.rule_id]),
                "stig_uuid": stig.uuid,
                "target_key": Value::Null,
                "stig_ref": stig_ref,
                "group_id": r.group_id,
                "group_id_src": r.group_id,
                "rule_id": r.rule_id.strip_suffix("_rule").unwrap_or(&r.rule_id),
                "rule_id_src": r.rule_id,
                "weight": format!("{:.1}", r.weight),
                "classification": "Unclassified",
                "severity": r.severity.as_str(),
                "rule_version": r.version,
                "rule_title": r.title,
                "fix_text": see,
                "reference_identifier": Value::Null,
                "group_title": r.group_title,
                "false_positives": "",
                "false_negatives": "",
                "discussion": "",
                "check_content": see,
                "documentable": "false",
                "mitigations": "",
                "potential_impacts": "",
                "third_party_tools": "",
                "mitigation_control": "",
                "responsibility": "",
                "security_override_guidance": "",
                "ia_controls": "",
                "check_content_ref": {"name": "M", "href": stig.filename},
                "legacy_ids": r.legacy_ids,
                "ccis": r.ccis,
                "group_tree": [{
                    "id": r.group_id,
                    "title": r.group_title,
                    "description": "<GroupDescription></GroupDescription>",
                }],
                "status": result.status.cklb(),
                "overrides": {},
                "comments": result.comments,
                "finding_details": result.finding_details,
            })
        })
        .collect();
    json!({
        "stig_name": b.title,
        "display_name": display_name(&b.title),
        "stig_id": b.id,
        "release_info": b.release_info,
        "version": b.version.to_string(),
        "uuid": stig.uuid,
        "reference_identifier": Value::Null,
        "size": rules.len(),
        "rules": rules,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_shorten_the_title() {
        assert_eq!(
            display_name("MS SQL Server 2016 Instance Security Technical Implementation Guide"),
            "MS SQL Server 2016 Instance STIG"
        );
        assert_eq!(display_name("Other"), "Other");
    }
}
