"""Reads a CSV file as Python's csv module does (the reader spreadsheets' importers agree
with on RFC 4180) and prints its rows as JSON lists, plus what the file starts with.

Usage: python3 csv_check.py FILE.csv
"""

import csv
import json
import sys

path = sys.argv[1]
with open(path, "rb") as f:
    raw = f.read()
with open(path, encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f, strict=True))

print(
    json.dumps(
        {
            "bom": raw.startswith(b"\xef\xbb\xbf"),
            "crlf_records": raw.count(b"\r\n"),
            "rows": rows,
        },
        ensure_ascii=False,
    )
)
