"""Interoperability check run by pyodbc_python.rs: the simulator as pyodbc over FreeTDS's ODBC
driver (Debian tdsodbc + unixodbc) sees it, at the driver's DEFAULT settings: autocommit off,
so the driver begins a transaction with a TDS Transaction Manager request at connect and after
every commit or rollback (MS-TDS 2.2.6.9). Usage: python3 pyodbc_client.py PORT PASSWORD
TDS_VERSION ENCRYPTION (7.4 / 7.1; off / require). Exits non-zero on the first mismatch."""
import sys

import pyodbc

port, password, tds, encryption = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
# FreeTDS's ODBC driver is registered by tdsodbc's odbcinst.ini as "FreeTDS"; the library path
# works too when it is not registered.
driver = "FreeTDS"
if "FreeTDS" not in pyodbc.drivers():
    driver = "/usr/lib/x86_64-linux-gnu/odbc/libtdsodbc.so"


def connect(user, pw):
    return pyodbc.connect(
        f"DRIVER={{{driver}}};SERVER=127.0.0.1;PORT={port};UID={user};PWD={pw};"
        f"TDS_Version={tds};Encryption={encryption}",
        timeout=10,
    )


conn = connect("autodbaudit", password)
assert conn.autocommit is False, "pyodbc's default is autocommit off"
cur = conn.cursor()

# A batch: a result set, and an unnamed column comes with an empty name as on SQL Server.
cur.execute("SELECT name, is_disabled FROM sys.server_principals WHERE name = 'old_vendor'")
rows = cur.fetchall()
assert [tuple(r) for r in rows] == [("old_vendor", True)], rows
cur.execute("SELECT @@TRANCOUNT")
assert cur.description[0][0] == "", cur.description
assert cur.fetchone()[0] == 1, "autocommit off: the driver's transaction is open"

# The session is encrypted when asked (sys.dm_exec_connections.encrypt_option).
cur.execute("SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID")
expected = "TRUE" if encryption == "require" else "FALSE"
assert cur.fetchall()[0][0] == expected, encryption

# Parameterised queries: FreeTDS sends sp_prepexec / sp_executesql with typed parameters,
# long strings as ntext.
cur.execute("SELECT name FROM sys.server_principals WHERE name = ? AND principal_id = ?", "sa", 1)
assert cur.fetchall()[0][0] == "sa"
cur.execute("SELECT ?, ?, ?", 42, 2.5, "x" * 3000)
row = cur.fetchone()
assert (row[0], row[1], len(row[2])) == (42, 2.5, 3000), (row[0], row[1], len(row[2]))
# The same statement again (a prepared handle may be reused).
cur.execute("SELECT name FROM sys.server_principals WHERE name = ? AND principal_id = ?", "sa", 1)
assert cur.fetchall()[0][0] == "sa"

# A transaction rolled back undoes the change; committed keeps it (old_vendor starts disabled).
q = "SELECT is_disabled FROM sys.server_principals WHERE name = 'old_vendor'"
cur.execute("ALTER LOGIN old_vendor ENABLE")
cur.execute(q)
assert cur.fetchone()[0] == 0  # is_disabled is an int (sys.server_principals docs)
conn.rollback()
cur.execute(q)
assert cur.fetchone()[0] == 1, "the rollback undid ALTER LOGIN"
cur.execute("ALTER LOGIN old_vendor ENABLE")
conn.commit()
cur.execute("SELECT @@TRANCOUNT")
assert cur.fetchone()[0] == 1, "after a commit the driver begins the next transaction"
conn.rollback()
cur.execute(q)
assert cur.fetchone()[0] == 0, "the commit kept ALTER LOGIN"
cur.execute("ALTER LOGIN old_vendor DISABLE")
conn.commit()

# An error: SQL Server's number and text, and the connection stays usable.
try:
    cur.execute("SELECT * FROM sys.no_such_view")
    raise AssertionError("no error")
except pyodbc.Error as e:
    assert "Invalid object name 'sys.no_such_view'" in str(e) and "208" in str(e), e
cur.execute("SELECT 1")
assert cur.fetchall()[0][0] == 1

# Autocommit on: the driver rolls its transaction back (TM_ROLLBACK_XACT) and none is open.
# (The results must be read first: FreeTDS cannot send the request with results pending.)
conn.autocommit = True
cur.execute("SELECT @@TRANCOUNT")
assert cur.fetchall()[0][0] == 0
cur.execute("BEGIN TRAN; SELECT @@TRANCOUNT")
assert cur.fetchall()[0][0] == 1
cur.execute("COMMIT; SELECT @@TRANCOUNT")
assert cur.fetchall()[0][0] == 0
conn.close()

# A wrong password: 18456.
try:
    connect("autodbaudit", "wrong")
    raise AssertionError("logged in with a wrong password")
except pyodbc.Error as e:
    assert "18456" in str(e) or "Login failed" in str(e), e

print(f"pyodbc {tds} {encryption}: ok")
