"""An independent reader of every export AutoDBAudit wrote for one run (run by exports.rs).

usage: read_exports.py AUDIT_FOLDER AUDIT_NAME SARIF_SCHEMA.json

Reads each file the way its consumers do — the SARIF file validated against the OASIS schema
(jsonschema), the JUnit file with junitparser, the CSV with Python's csv module, each .ckl
with xml.etree and each .cklb with json, the HTML with html.parser — and prints what it found
as one JSON document for the Rust test to compare with findings.json.
"""

import csv
import glob
import html.parser
import json
import os
import sys
import xml.etree.ElementTree as ET

import jsonschema
import junitparser

folder, audit, schema_path = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}

# SARIF
with open(os.path.join(folder, audit + ".sarif"), encoding="utf-8") as f:
    log = json.load(f)
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)
validator = jsonschema.validators.validator_for(schema)(schema)
run = log["runs"][0]
out["sarif"] = {
    "errors": [e.message for e in validator.iter_errors(log)][:5],
    "rules": len(run["tool"]["driver"]["rules"]),
    "results": len(run["results"]),
    "fingerprints": sorted(r["partialFingerprints"]["autodbaudit/v1"] for r in run["results"]),
    "suppressed": sum(1 for r in run["results"] if r.get("suppressions")),
}

# JUnit
xml = junitparser.JUnitXml.fromfile(os.path.join(folder, audit + ".junit.xml"))
suites = {}
for suite in xml:
    cases = list(suite)
    suites[suite.name] = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if any(isinstance(r, junitparser.Failure) for r in c.result)),
        "skipped": sum(1 for c in cases if any(isinstance(r, junitparser.Skipped) for r in c.result)),
    }
out["junit"] = suites

# CSV
with open(os.path.join(folder, audit + ".csv"), encoding="utf-8-sig", newline="") as f:
    rows = list(csv.DictReader(f))
out["csv"] = {
    "rows": len([r for r in rows if r["check_id"]]),
    "fingerprints": sorted(r["fingerprint"] for r in rows if r["check_id"]),
    "standings": sorted({r["standing"] for r in rows if r["check_id"]}),
}

# Checklists
ckl = {}
for path in sorted(glob.glob(os.path.join(folder, "checklists", "*.ckl"))):
    root = ET.parse(path).getroot()
    statuses = {}
    stigs = []
    for istig in root.iter("iSTIG"):
        info = {si.findtext("SID_NAME"): si.findtext("SID_DATA") for si in istig.iter("SI_DATA")}
        stigs.append(info.get("stigid"))
        for vuln in istig.iter("VULN"):
            data = {sd.findtext("VULN_ATTRIBUTE"): sd.findtext("ATTRIBUTE_DATA")
                    for sd in vuln.iter("STIG_DATA")}
            statuses[data["Rule_Ver"]] = vuln.findtext("STATUS")
    ckl[os.path.basename(path)[:-4]] = {
        "host": root.findtext("ASSET/HOST_NAME"),
        "stigs": stigs,
        "statuses": statuses,
    }
out["ckl"] = ckl
cklb = {}
for path in sorted(glob.glob(os.path.join(folder, "checklists", "*.cklb"))):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    cklb[os.path.basename(path)[:-5]] = {
        "host": doc["target_data"]["host_name"],
        "statuses": {r["rule_version"]: r["status"] for s in doc["stigs"] for r in s["rules"]},
    }
out["cklb"] = cklb


# HTML: well-formed enough for a parser, and no external reference.
class Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = 0
        self.external = []

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.external.append(value)


with open(os.path.join(folder, audit + ".html"), encoding="utf-8") as f:
    page = f.read()
parser = Collect()
parser.feed(page)
out["html"] = {"tags": parser.tags, "external": parser.external, "bytes": len(page)}

print(json.dumps(out))
