#!/usr/bin/env python3
"""An independent reader of AutoDBAudit's DISA STIG Viewer checklists (run by checklists.rs).

usage: check_checklists.py FILE EXPECT.json

FILE is a .ckl (STIG Viewer 2, XML, read with xml.etree) or a .cklb (STIG Viewer 3, JSON, read
with json). EXPECT.json says which STIGs and rules it must hold, the asset, and the status,
finding-details and comments fragments of some rules. Prints "ok" or fails with the reason.

The structure asserted is STIG Viewer's: for .ckl the element order and value lists of its
checklist schema (as compiled in mitre/heimdall2 libs/hdf-converters/src/ckl-mapper/
jsonixMapping.ts) and of checklists STIG Viewer 2 writes; for .cklb the properties of STIG
Viewer 3's CKLB schema (mitre/heimdall2 libs/hdf-converters/src/ckl-mapper/checklist-b-types.ts)
and of files STIG Viewer 3 saves.
"""

import json
import re
import sys
import xml.etree.ElementTree as ET

ASSET = ["ROLE", "ASSET_TYPE", "HOST_NAME", "HOST_IP", "HOST_MAC", "HOST_FQDN",
         "TARGET_COMMENT", "TECH_AREA", "TARGET_KEY", "WEB_OR_DATABASE", "WEB_DB_SITE",
         "WEB_DB_INSTANCE"]
ROLES = {"None", "Workstation", "Member Server", "Domain Controller"}
SI_DATA = ["version", "classification", "customname", "stigid", "description", "filename",
           "releaseinfo", "title", "uuid", "notice", "source"]
STIG_DATA = ["Vuln_Num", "Severity", "Group_Title", "Rule_ID", "Rule_Ver", "Rule_Title",
             "Vuln_Discuss", "IA_Controls", "Check_Content", "Fix_Text", "False_Positives",
             "False_Negatives", "Documentable", "Mitigations", "Potential_Impact",
             "Third_Party_Tools", "Mitigation_Control", "Responsibility",
             "Security_Override_Guidance", "Check_Content_Ref", "Weight", "Class", "STIGRef",
             "TargetKey", "STIG_UUID"]
VULN_TAIL = ["STATUS", "FINDING_DETAILS", "COMMENTS", "SEVERITY_OVERRIDE",
             "SEVERITY_JUSTIFICATION"]
CKL_STATUS = {"NotAFinding", "Open", "Not_Applicable", "Not_Reviewed"}
CKLB_STATUS = {"not_a_finding": "NotAFinding", "open": "Open",
               "not_applicable": "Not_Applicable", "not_reviewed": "Not_Reviewed"}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
CKLB_TOP = ["title", "id", "stigs", "active", "mode", "has_path", "target_data", "cklb_version"]
CKLB_TARGET = ["target_type", "host_name", "ip_address", "mac_address", "fqdn", "comments",
               "role", "is_web_database", "technology_area", "web_db_site", "web_db_instance",
               "classification"]
CKLB_STIG = ["stig_name", "display_name", "stig_id", "release_info", "version", "uuid",
             "reference_identifier", "size", "rules"]
CKLB_RULE = ["uuid", "stig_uuid", "target_key", "stig_ref", "group_id", "group_id_src",
             "rule_id", "rule_id_src", "weight", "classification", "severity", "rule_version",
             "rule_title", "fix_text", "reference_identifier", "group_title", "false_positives",
             "false_negatives", "discussion", "check_content", "documentable", "mitigations",
             "potential_impacts", "third_party_tools", "mitigation_control", "responsibility",
             "security_override_guidance", "ia_controls", "check_content_ref", "legacy_ids",
             "ccis", "group_tree", "status", "overrides", "comments", "finding_details"]


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def tags(element):
    return [child.tag for child in element]


def text(element, tag):
    found = element.find(tag)
    check(found is not None, f"<{element.tag}> has no <{tag}>")
    return found.text or ""


def check_rules(found, expect):
    """found: {stig_id: [(rule dict with version, group_id, rule_id, severity, ccis, status,
    details, comments)]}"""
    check(list(found) == [s["stig_id"] for s in expect["stigs"]],
          f"STIGs {list(found)} != {[s['stig_id'] for s in expect['stigs']]}")
    by_version = {}
    for stig in expect["stigs"]:
        rules = found[stig["stig_id"]]
        check([r["version"] for r in rules] == [r["version"] for r in stig["rules"]],
              f"{stig['stig_id']}: rules differ from the benchmark (order or set)")
        for rule, want in zip(rules, stig["rules"]):
            for key in ["group_id", "rule_id", "severity", "ccis"]:
                check(rule[key] == want[key], f"{want['version']}: {key} {rule[key]!r} != {want[key]!r}")
            check(rule["version"] not in by_version, f"{rule['version']} twice")
            by_version[rule["version"]] = rule
    for version, status in expect["statuses"].items():
        check(version in by_version, f"{version} missing")
        check(by_version[version]["status"] == status,
              f"{version}: status {by_version[version]['status']} != {status}\n"
              f"details: {by_version[version]['details']}\ncomments: {by_version[version]['comments']}")
    for field in ["details", "comments"]:
        for version, fragments in expect[field].items():
            value = by_version[version][field]
            for fragment in fragments:
                check(fragment in value, f"{version}: {field} lacks {fragment!r}:\n{value}")
    for rule in by_version.values():
        check(rule["comments"].rstrip().endswith("UTC."), f"{rule['version']}: comments end {rule['comments'][-60:]!r}")


def check_ckl(path, expect):
    with open(path, "rb") as f:
        head = f.read(200)
    check(head.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), f"declaration: {head[:60]!r}")
    root = ET.parse(path).getroot()
    check(root.tag == "CHECKLIST", f"root {root.tag}")
    check(tags(root) == ["ASSET", "STIGS"], f"CHECKLIST children {tags(root)}")
    asset = root.find("ASSET")
    check(tags(asset) == ASSET, f"ASSET children {tags(asset)}")
    a = expect["asset"]
    check(text(asset, "ROLE") in ROLES and text(asset, "ROLE") == "Member Server", "ROLE")
    check(text(asset, "ASSET_TYPE") == "Computing", "ASSET_TYPE")
    check(text(asset, "HOST_NAME") == a["host_name"], f"HOST_NAME {text(asset, 'HOST_NAME')!r}")
    check(text(asset, "HOST_FQDN") == a["fqdn"], "HOST_FQDN")
    check(text(asset, "HOST_IP") == a["ip"], "HOST_IP")
    check(text(asset, "TECH_AREA") == "Database Review", "TECH_AREA")
    check(text(asset, "WEB_OR_DATABASE") == "true", "WEB_OR_DATABASE")
    check(text(asset, "WEB_DB_INSTANCE") == a["instance"], "WEB_DB_INSTANCE")
    istigs = root.find("STIGS").findall("iSTIG")
    check(tags(root.find("STIGS")) == ["iSTIG"] * len(istigs), "STIGS holds only iSTIG")
    check(len(istigs) == 2, f"{len(istigs)} iSTIG, expected the instance and database STIGs")
    found = {}
    for istig, want in zip(istigs, expect["stigs"]):
        children = tags(istig)
        check(children[0] == "STIG_INFO" and set(children[1:]) == {"VULN"}, f"iSTIG children {children[:3]}")
        info = istig.find("STIG_INFO")
        names = [text(si, "SID_NAME") for si in info.findall("SI_DATA")]
        check(names == SI_DATA, f"SI_DATA names {names}")
        for si in info.findall("SI_DATA"):
            check(tags(si) in (["SID_NAME"], ["SID_NAME", "SID_DATA"]), f"SI_DATA {tags(si)}")
        si = {text(s, "SID_NAME"): (s.findtext("SID_DATA") or "") for s in info.findall("SI_DATA")}
        check(si["stigid"] == want["stig_id"], f"stigid {si['stigid']}")
        check(si["releaseinfo"] == want["release_info"], "releaseinfo")
        check(si["version"] == want["version"], "version")
        check(si["title"] == want["title"], "title")
        check(UUID.match(si["uuid"]), f"uuid {si['uuid']}")
        check(si["filename"].startswith("U_" + want["stig_id"]) and si["filename"].endswith("_Manual-xccdf.xml"), si["filename"])
        rules = []
        for vuln in istig.findall("VULN"):
            data = vuln.findall("STIG_DATA")
            check(tags(vuln) == ["STIG_DATA"] * len(data) + VULN_TAIL, f"VULN children {tags(vuln)[-6:]}")
            attrs = []
            for d in data:
                check(tags(d) == ["VULN_ATTRIBUTE", "ATTRIBUTE_DATA"], f"STIG_DATA {tags(d)}")
                attrs.append((d.findtext("VULN_ATTRIBUTE"), d.findtext("ATTRIBUTE_DATA") or ""))
            names = [n for n, _ in attrs]
            check(names[:len(STIG_DATA)] == STIG_DATA, f"STIG_DATA order {names[:len(STIG_DATA)]}")
            tail = names[len(STIG_DATA):]
            check(tail == sorted(tail, key=lambda n: n != "LEGACY_ID") and set(tail) <= {"LEGACY_ID", "CCI_REF"},
                  f"LEGACY_ID then CCI_REF: {tail}")
            values = dict(attrs[:len(STIG_DATA)])
            check(values["STIG_UUID"] == si["uuid"], "STIG_UUID is the iSTIG's uuid")
            check(values["Severity"] in {"high", "medium", "low"}, values["Severity"])
            check(values["Weight"] == "10.0", values["Weight"])
            check(values["STIGRef"].startswith(want["title"] + " :: Version "), values["STIGRef"])
            status = vuln.findtext("STATUS")
            check(status in CKL_STATUS, f"STATUS {status}")
            check((vuln.findtext("SEVERITY_OVERRIDE") or "") in {"", "low", "medium", "high"}, "SEVERITY_OVERRIDE")
            rules.append({
                "version": values["Rule_Ver"],
                "group_id": values["Vuln_Num"],
                "rule_id": values["Rule_ID"],
                "severity": values["Severity"],
                "ccis": [v for n, v in attrs if n == "CCI_REF"],
                "status": status,
                "details": vuln.findtext("FINDING_DETAILS") or "",
                "comments": vuln.findtext("COMMENTS") or "",
            })
        found[si["stigid"]] = rules
    check_rules(found, expect)


def check_cklb(path, expect):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    check(list(doc) == CKLB_TOP, f"top-level keys {list(doc)}")
    check(doc["cklb_version"] == "1.0", "cklb_version")
    check(UUID.match(doc["id"]), f"id {doc['id']}")
    check(isinstance(doc["active"], bool) and isinstance(doc["has_path"], bool) and isinstance(doc["mode"], int), "active/mode/has_path types")
    t = doc["target_data"]
    check(list(t) == CKLB_TARGET, f"target_data keys {list(t)}")
    a = expect["asset"]
    check(t["target_type"] == "Computing" and t["role"] == "Member Server", "target type, role")
    check(t["is_web_database"] is True and t["web_db_instance"] == a["instance"], "web/database")
    check(t["host_name"] == a["host_name"] and t["fqdn"] == a["fqdn"] and t["ip_address"] == a["ip"], f"host {t}")
    check(len(doc["stigs"]) == 2, "two STIGs")
    found = {}
    for stig, want in zip(doc["stigs"], expect["stigs"]):
        check(list(stig) == CKLB_STIG, f"stig keys {list(stig)}")
        check(stig["stig_id"] == want["stig_id"] and stig["stig_name"] == want["title"], stig["stig_id"])
        check(stig["release_info"] == want["release_info"] and stig["version"] == want["version"], "release")
        check(UUID.match(stig["uuid"]), "stig uuid")
        check(stig["size"] == len(stig["rules"]), "size")
        rules = []
        for rule in stig["rules"]:
            check(list(rule) == CKLB_RULE, f"rule keys {list(rule)}")
            check(rule["status"] in CKLB_STATUS, rule["status"])
            check(rule["stig_uuid"] == stig["uuid"] and UUID.match(rule["uuid"]), "rule uuids")
            check(rule["rule_id_src"] == rule["rule_id"] + "_rule", rule["rule_id_src"])
            check(rule["group_id_src"] == rule["group_id"], "group_id_src")
            check(isinstance(rule["overrides"], dict) and isinstance(rule["group_tree"], list), "overrides, group_tree")
            check(set(rule["check_content_ref"]) == {"name", "href"}, "check_content_ref")
            rules.append({
                "version": rule["rule_version"],
                "group_id": rule["group_id"],
                "rule_id": rule["rule_id_src"],
                "severity": rule["severity"],
                "ccis": rule["ccis"],
                "status": CKLB_STATUS[rule["status"]],
                "details": rule["finding_details"],
                "comments": rule["comments"],
            })
        found[stig["stig_id"]] = rules
    uuids = [r["uuid"] for s in doc["stigs"] for r in s["rules"]]
    check(len(uuids) == len(set(uuids)), "rule uuids are unique")
    check_rules(found, expect)


def main():
    path, expect_path = sys.argv[1], sys.argv[2]
    with open(expect_path, encoding="utf-8") as f:
        expect = json.load(f)
    if expect["format"] == "ckl":
        check_ckl(path, expect)
    else:
        check_cklb(path, expect)
    print("ok")


if __name__ == "__main__":
    main()
