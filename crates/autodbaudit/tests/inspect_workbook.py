"""Reads an AutoDBAudit workbook with openpyxl (an implementation independent of ours) and
prints what the Rust tests assert on, as JSON: per sheet its name, headers, whether column A is
hidden, the frozen cell, the autofilter range, the data validations and every row's values."""

import json
import sys

import openpyxl


def main(path):
    book = openpyxl.load_workbook(path)
    sheets = []
    for ws in book.worksheets:
        rows = [
            ["" if v is None else str(v) for v in row]
            for row in ws.iter_rows(min_row=1, values_only=True)
        ]
        headers = rows[0] if rows else []
        validations = [
            {"sqref": str(dv.sqref), "formula1": dv.formula1, "type": dv.type}
            for dv in ws.data_validations.dataValidation
        ]
        sheets.append(
            {
                "name": ws.title,
                "headers": headers,
                "a_hidden": bool(ws.column_dimensions["A"].hidden),
                "freeze": ws.freeze_panes,
                "autofilter": ws.auto_filter.ref,
                "validations": validations,
                "conditional_formats": len(ws.conditional_formatting),
                "rows": rows[1:],
            }
        )
    json.dump({"sheets": sheets}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
