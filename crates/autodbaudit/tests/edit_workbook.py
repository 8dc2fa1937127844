"""Edits an AutoDBAudit workbook the way auditors do, with openpyxl (independent of our
writer), for the sync tests. Usage: edit_workbook.py WORKBOOK EDITS.json

EDITS is a list of operations, applied in order:
  {"op": "annotate", "sheet": S, "row": N, "values": {"Review Status": ..., "Last Reviewed": "YYYY-MM-DD", ...}}
      types the values into data row N (1 = first row under the header); Last Reviewed as a real date
  {"op": "clear_uuid", "sheet": S, "row": N}        empties the _UUID cell
  {"op": "delete_row", "sheet": S, "row": N}        deletes the row
  {"op": "reverse", "sheet": S}                     reverses the order of the data rows (a sort)
  {"op": "append", "sheet": S, "values": {header: value}}  adds a row at the end (no _UUID / ID)
  {"op": "rename", "sheet": S, "to": T}             renames the sheet
  {"op": "insert_col", "sheet": S, "col": N}        inserts an empty column before column N (1 = A)
  {"op": "copy_uuid", "sheet": S, "from": N, "to": M}  copies row N's _UUID over row M's
Prints the UUID each annotated row had when it was annotated, as JSON: [{"sheet", "uuid", "values"}]."""

import datetime
import json
import sys

import openpyxl


def main(path, edits_path):
    edits = json.load(open(edits_path, encoding="utf-8"))
    book = openpyxl.load_workbook(path)
    annotated = []
    for e in edits:
        ws = book[e["sheet"]]
        headers = [c.value for c in ws[1]]
        if e["op"] == "annotate":
            r = e["row"] + 1
            for name, value in e["values"].items():
                if name == "Last Reviewed":
                    value = datetime.datetime.strptime(value, "%Y-%m-%d")
                ws.cell(row=r, column=headers.index(name) + 1, value=value)
            uuid = ws.cell(row=r, column=1).value
            annotated.append({"sheet": e["sheet"], "uuid": uuid, "values": e["values"]})
        elif e["op"] == "clear_uuid":
            ws.cell(row=e["row"] + 1, column=1, value=None)
        elif e["op"] == "delete_row":
            ws.delete_rows(e["row"] + 1)
        elif e["op"] == "rename":
            ws.title = e["to"]
        elif e["op"] == "insert_col":
            ws.insert_cols(e["col"])
            ws.cell(row=1, column=e["col"], value="My column")
        elif e["op"] == "copy_uuid":
            ws.cell(row=e["to"] + 1, column=1, value=ws.cell(row=e["from"] + 1, column=1).value)
        elif e["op"] == "append":
            r = ws.max_row + 1
            for name, value in e["values"].items():
                ws.cell(row=r, column=headers.index(name) + 1, value=value)
        elif e["op"] == "reverse":
            rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
            rows.reverse()
            for i, values in enumerate(rows, start=2):
                for j, v in enumerate(values, start=1):
                    ws.cell(row=i, column=j, value=v)
    book.save(path)
    json.dump(annotated, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
