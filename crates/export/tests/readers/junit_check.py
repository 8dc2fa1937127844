"""Reads a JUnit XML file twice, with junitparser (what CI plugins are modelled on) and with
the standard library's xml.etree, and prints both readings as JSON for the Rust test.

Usage: python3 junit_check.py FILE.xml
"""

import json
import sys
import xml.etree.ElementTree as ET

from junitparser import JUnitXml

path = sys.argv[1]

parsed = JUnitXml.fromfile(path)
suites = []
for suite in parsed:
    cases = []
    for case in suite:
        results = [
            {
                "tag": r._tag,
                "message": r.message,
                "type": r.type,
                "text": r.text,
            }
            for r in case.result
        ]
        cases.append(
            {
                "name": case.name,
                "classname": case.classname,
                "results": results,
                "passed": case.is_passed,
                "system_out": case.system_out,
            }
        )
    suites.append(
        {
            "name": suite.name,
            "tests": suite.tests,
            "failures": suite.failures,
            "errors": suite.errors,
            "skipped": suite.skipped,
            "cases": cases,
        }
    )

root = ET.parse(path).getroot()
etree = {
    "root": root.tag,
    "tests": int(root.get("tests")),
    "failures": int(root.get("failures")),
    "errors": int(root.get("errors")),
    "skipped": int(root.get("skipped")),
    "suites": [
        {
            "name": s.get("name"),
            "attributes": {k: int(s.get(k)) for k in ("tests", "failures", "errors", "skipped")},
            "counted": {
                "tests": len(s.findall("testcase")),
                "failures": len(s.findall("testcase/failure")),
                "errors": len(s.findall("testcase/error")),
                "skipped": len(s.findall("testcase/skipped")),
            },
            "properties": {p.get("name"): p.get("value") for p in s.findall("properties/property")},
        }
        for s in root.findall("testsuite")
    ],
}

print(json.dumps({"junitparser": suites, "etree": etree}, ensure_ascii=False))
