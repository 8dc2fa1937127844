"""Run by statement_log.rs: the ODBC catalog functions through pyodbc and FreeTDS's ODBC driver
at its default settings (SQLTables, SQLColumns, SQLGetTypeInfo, SQLPrimaryKeys,
SQLForeignKeys, SQLStatistics, SQLProcedures, SQLSpecialColumns), which the driver turns into
calls of the catalog stored procedures. Errors (2812 for a procedure the simulator does not
implement) are printed and ignored: the test reads the server's statement log.
Usage: python3 pyodbc_metadata_client.py PORT PASSWORD"""
import sys

import pyodbc

port, password = sys.argv[1], sys.argv[2]
driver = "FreeTDS"
if "FreeTDS" not in pyodbc.drivers():
    driver = "/usr/lib/x86_64-linux-gnu/odbc/libtdsodbc.so"
conn = pyodbc.connect(
    f"DRIVER={{{driver}}};SERVER=127.0.0.1;PORT={port};UID=autodbaudit;PWD={password};"
    "TDS_Version=7.4",
    timeout=10,
)
cur = conn.cursor()
calls = [
    ("tables", lambda: cur.tables()),
    ("columns", lambda: cur.columns(table="Orders")),
    ("getTypeInfo", lambda: cur.getTypeInfo()),
    ("primaryKeys", lambda: cur.primaryKeys("Orders")),
    ("foreignKeys", lambda: cur.foreignKeys("Orders")),
    ("statistics", lambda: cur.statistics("Orders")),
    ("procedures", lambda: cur.procedures()),
    ("rowIdColumns", lambda: cur.rowIdColumns("Orders")),
]
for name, call in calls:
    try:
        call()
        cur.fetchall()
    except pyodbc.Error as e:
        print(f"{name}: {e}")
conn.rollback()
conn.close()
print("pyodbc metadata: ok")
