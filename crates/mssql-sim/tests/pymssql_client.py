"""Interoperability check run by pymssql_python.rs: the simulator as pymssql (PyPI `pymssql`, a
DB-API module over the DB-Library of the FreeTDS it bundles) sees it, at pymssql's DEFAULT
settings: autocommit off, so pymssql sends `BEGIN TRAN` after login and after every commit and
rollback, and its connection properties (`SET ARITHABORT ON; …`) in the first batch.
Usage: python3 pymssql_client.py PORT PASSWORD ENCRYPTION, ENCRYPTION being `default` (pymssql
passes nothing: FreeTDS's default, `request`, which sends PRELOGIN ENCRYPT_OFF, so only the LOGIN7
travels in TLS), `off` (ENCRYPT_NOT_SUP, no TLS) or `require` (ENCRYPT_ON, the whole session in
TLS), and optionally TDS_VERSION (pymssql's `tds_version`, default FreeTDS's 7.4). Exits non-zero
on the first mismatch.
"""
import sys

import pymssql

port, password, encryption = sys.argv[1], sys.argv[2], sys.argv[3]
tds_version = sys.argv[4] if len(sys.argv) > 4 else None


def connect(user, pw):
    options = {} if encryption == "default" else {"encryption": encryption}
    if tds_version:
        options["tds_version"] = tds_version
    return pymssql.connect(server="127.0.0.1", port=port, user=user, password=pw,
                           login_timeout=10, timeout=10, **options)


conn = connect("autodbaudit", password)
cur = conn.cursor()

# A batch: a result set; an unnamed column comes with an empty name as on SQL Server.
cur.execute("SELECT name, is_disabled FROM sys.server_principals WHERE name = 'old_vendor'")
rows = cur.fetchall()
assert rows == [("old_vendor", True)], rows
cur.execute("SELECT @@TRANCOUNT")
assert cur.description[0][0] == "", cur.description
assert cur.fetchone()[0] == 1, "autocommit off: pymssql's BEGIN TRAN is open"

# The session is encrypted when asked (sys.dm_exec_connections.encrypt_option).
cur.execute("SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID")
encrypted = cur.fetchone()[0]
assert encrypted == ("TRUE" if encryption == "require" else "FALSE"), (encryption, encrypted)
# The TDS version the login negotiated (MS-TDS 2.2.7.14 LOGINACK TDSVersion).
cur.execute("SELECT protocol_version FROM sys.dm_exec_connections WHERE session_id = @@SPID")
version = cur.fetchone()[0]
expected = {None: 0x74000004, "7.3": 0x730B0003, "7.1": 0x71000001}
assert version == expected[tds_version], (tds_version, hex(version))

# Parameters as pymssql's execute() takes them: quoted into the batch by the client.
cur.execute("SELECT name FROM sys.server_principals WHERE name = %s AND principal_id = %d",
            ("sa", 1))
assert cur.fetchall() == [("sa",)]
cur.execute("SELECT %s, %s, %s", (42, 2.5, "x" * 3000))
row = cur.fetchone()
assert (row[0], row[1], len(row[2])) == (42, 2.5, 3000), row[:2]

# A remote procedure call (TDS RPC, by name, positional parameters): callproc.
# (sp_configure's @configname is varchar(35), which is what pymssql sends a str as.)
cur.callproc("sp_configure", ("show advanced options",))
row = cur.fetchone()
assert row is not None and row[0] == "show advanced options", row
assert [d[0] for d in cur.description] == [
    "name", "minimum", "maximum", "config_value", "run_value"], cur.description
while cur.nextset():
    pass
try:
    cur.callproc("sp_no_such_procedure", (1,))
    raise AssertionError("no error")
except pymssql.DatabaseError as e:
    assert e.args[0] == 2812, e.args
    assert "Could not find stored procedure 'sp_no_such_procedure'." in e.args[1].decode()
# sp_executesql by name: pymssql binds a str as varchar, which FreeTDS sends to a TDS 7+ server
# as nvarchar, the type sp_executesql requires for its statement.
cur.callproc("sp_executesql", ("SELECT name FROM sys.server_principals WHERE principal_id = 1",))
assert cur.fetchall() == [("sa",)]
while cur.nextset():
    pass

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
assert cur.fetchone()[0] == 1, "after a commit pymssql begins the next transaction"
conn.rollback()
cur.execute(q)
assert cur.fetchone()[0] == 0, "the commit kept ALTER LOGIN"
cur.execute("ALTER LOGIN old_vendor DISABLE")
conn.commit()

# An error: SQL Server's number and text, and the connection stays usable.
try:
    cur.execute("SELECT * FROM sys.no_such_view")
    raise AssertionError("no error")
except pymssql.ProgrammingError as e:
    number, message = e.args[0], e.args[1].decode()
    assert number == 208, e.args
    assert "Invalid object name 'sys.no_such_view'" in message, message
cur.execute("SELECT 1")
assert cur.fetchall() == [(1,)]
conn.close()

# A wrong password: 18456. (One failed login per process: a second one, here a disabled login,
# came back from pymssql with the first one's number and no server text, while tedious, failing
# the same two logins in the same order, gets each one's number and text.)
try:
    connect("autodbaudit", "wrong")
    raise AssertionError("logged in with a wrong password")
except pymssql.OperationalError as e:
    assert "18456" in str(e) and "Login failed for user 'autodbaudit'" in str(e), e

print(f"pymssql {encryption} {tds_version or 'default'}: ok")
