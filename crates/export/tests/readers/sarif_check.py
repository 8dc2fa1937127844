"""Reads a SARIF file as a consumer would: validates it against the vendored OASIS schema
(jsonschema, with the draft the schema declares; no network) and prints what it found as JSON
for the Rust test to compare with the report it wrote.

Usage: python3 sarif_check.py FILE.sarif SCHEMA.json
"""

import json
import sys
from datetime import datetime

import jsonschema

sarif_path, schema_path = sys.argv[1], sys.argv[2]
with open(sarif_path, encoding="utf-8") as f:
    log = json.load(f)
with open(schema_path, encoding="utf-8") as f:
    schema = json.load(f)

validator_class = jsonschema.validators.validator_for(schema)
validator_class.check_schema(schema)
validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
errors = [
    f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
    for e in validator.iter_errors(log)
]

run = log["runs"][0]
rules = run["tool"]["driver"]["rules"]
invocation = run["invocations"][0]


def utc(text):
    # ISO 8601 with a Z, as SARIF §3.9 asks for: must parse and be UTC.
    if text is None:
        return None
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text).isoformat()


results = []
for r in run["results"]:
    location = r["locations"][0]
    results.append(
        {
            "ruleId": r["ruleId"],
            "ruleIndexMatches": rules[r["ruleIndex"]]["id"] == r["ruleId"],
            "level": r["level"],
            "message": r["message"]["text"],
            "fingerprint": r["partialFingerprints"]["autodbaudit/v1"],
            "uri": location["physicalLocation"]["artifactLocation"]["uri"],
            "fqn": location["logicalLocations"][0]["fullyQualifiedName"],
            "kind": location["logicalLocations"][0]["kind"],
            "standing": r["properties"]["standing"],
            "suppressions": [
                [s["kind"], s.get("status"), s.get("justification")]
                for s in r.get("suppressions", [])
            ],
        }
    )

print(
    json.dumps(
        {
            "validator": validator_class.__name__,
            "errors": errors,
            "version": log["version"],
            "schema": log["$schema"],
            "driver": run["tool"]["driver"]["name"],
            "rules": [r["id"] for r in rules],
            "securitySeverity": {
                r["id"]: r.get("properties", {}).get("security-severity") for r in rules
            },
            "tags": {r["id"]: r.get("properties", {}).get("tags") for r in rules},
            "results": results,
            "start": utc(invocation.get("startTimeUtc")),
            "end": utc(invocation.get("endTimeUtc")),
            "executionSuccessful": invocation["executionSuccessful"],
            "notifications": [
                n["message"]["text"]
                for n in invocation.get("toolExecutionNotifications", [])
            ],
        },
        ensure_ascii=False,
    )
)
