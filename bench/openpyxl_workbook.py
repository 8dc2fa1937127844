"""The openpyxl side of `cargo xtask bench-workbook`: writes the same rows as
crates/report/examples/bench_workbook.rs (same sheets, headers, values, a fill on every status
cell and a border on every cell), so the two writers can be compared.

Usage: python3 bench/openpyxl_workbook.py HEADERS.json ROWS OUT.xlsx
(HEADERS.json: [[sheet name, [headers...], own column count], ...], written by the xtask.)"""

import json
import sys
import time

import openpyxl
from openpyxl.styles import Border, Font, PatternFill, Side


def main(headers_path, rows, out):
    specs = json.load(open(headers_path, encoding="utf-8"))
    started = time.time()
    book = openpyxl.Workbook()
    book.active.title = "Cover"
    thin = Side(style="thin", color="B4B4B4")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fills = [PatternFill("solid", fgColor=c) for c in ("C6EFCE", "FFC7CE", "FFEB9C", "BDD7EE")]
    texts = ["\u2713 Pass", "\u2717 Fail", "\u26a0 Warning", "\u2139 Info"]
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="203764")
    n = len(specs)
    for s, (name, headers, own) in enumerate(specs):
        ws = book.create_sheet(name)
        for c, h in enumerate(headers, start=1):
            cell = ws.cell(row=1, column=c, value=h)
            cell.font = header_font
            cell.fill = header_fill
        share = rows // n + (1 if s < rows % n else 0)
        for i in range(share):
            values = [
                "%08X" % (s * 1_000_000 + i),
                "\u23f3" if i % 4 in (1, 2) else "",
                "sqlsrv%04d.corp.example" % (i // 400),
                "INST%d" % ((i // 100) % 4),
            ]
            values += ["value %d-%d" % (i, c) for c in range(own)]
            values += [texts[i % 4], "R05, X03",
                       "Finding text for row %d: what was found and why it matters." % i,
                       "", "", "", ""]
            ws.append(values)
            r = ws.max_row
            for c in range(1, len(values) + 1):
                ws.cell(row=r, column=c).border = border
            ws.cell(row=r, column=5 + own).fill = fills[i % 4]
        ws.column_dimensions["A"].hidden = True
        ws.freeze_panes = "E2"
    book.create_sheet("Actions")
    book.save(out)
    print("rows %d: written in %.2f s" % (rows, time.time() - started))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
