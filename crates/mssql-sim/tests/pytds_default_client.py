"""Interoperability check run by pytds_default_python.rs: python-tds (PyPI `python-tds`) at its
DEFAULT settings — autocommit off, so it begins a transaction with a Transaction Manager request
(TM_BEGIN_XACT, MS-TDS 2.2.6.9) at login and commits or rolls back with fBeginXact set, which
begins the next one at once. Without TLS (no CA file: python-tds offers no encryption) or, given
a CA file, with the whole session in TLS and the certificate verified.
Usage: python3 pytds_default_client.py PORT PASSWORD [CAFILE]. Exits non-zero on the first
mismatch."""
import sys

import pytds

port, password = int(sys.argv[1]), sys.argv[2]
cafile = sys.argv[3] if len(sys.argv) > 3 else None
mode = "tls" if cafile else "plain"


def connect(user, pw):
    # "localhost": python-tds checks the certificate's names against the server name.
    options = {"cafile": cafile} if cafile else {}
    return pytds.connect(server="localhost", port=port, user=user, password=pw,
                         login_timeout=10, timeout=10, **options)


conn = connect("autodbaudit", password)
cur = conn.cursor()

# A batch; the transaction python-tds began at login is open.
cur.execute("SELECT name, is_disabled FROM sys.server_principals WHERE name = 'old_vendor'")
assert [tuple(r) for r in cur.fetchall()] == [("old_vendor", True)]
cur.execute("SELECT @@TRANCOUNT")
assert cur.description[0][0] == "", cur.description
assert cur.fetchone()[0] == 1, "autocommit off: python-tds's transaction is open"
cur.execute("SELECT encrypt_option FROM sys.dm_exec_connections WHERE session_id = @@SPID")
assert cur.fetchone()[0] == ("TRUE" if cafile else "FALSE"), mode

# Parameterised: sp_executesql with typed parameters; a procedure by name (callproc).
cur.execute("SELECT name FROM sys.server_principals WHERE name = %s AND principal_id = %s",
            ("sa", 1))
assert cur.fetchall()[0][0] == "sa"
cur.execute("SELECT %s, %s", ("x" * 5000, 2.5))
row = cur.fetchone()
assert (len(row[0]), row[1]) == (5000, 2.5), (len(row[0]), row[1])
cur.callproc("sp_configure", ("show advanced options",))
assert cur.fetchone()[0] == "show advanced options"
while cur.nextset():
    pass

# A rollback undoes, a commit keeps (old_vendor starts disabled); each begins the next
# transaction.
q = "SELECT is_disabled FROM sys.server_principals WHERE name = 'old_vendor'"
cur.execute("ALTER LOGIN old_vendor ENABLE")
cur.execute(q)
assert cur.fetchone()[0] == 0  # is_disabled is an int (sys.server_principals docs)
conn.rollback()
cur.execute(q)
assert cur.fetchone()[0] == 1, "the rollback undid ALTER LOGIN"
cur.execute("SELECT @@TRANCOUNT")
assert cur.fetchone()[0] == 1, "after a rollback python-tds's next transaction is open"
cur.execute("ALTER LOGIN old_vendor ENABLE")
conn.commit()
cur.execute("SELECT @@TRANCOUNT")
assert cur.fetchone()[0] == 1, "after a commit python-tds's next transaction is open"
conn.rollback()
cur.execute(q)
assert cur.fetchone()[0] == 0, "the commit kept ALTER LOGIN"
cur.execute("ALTER LOGIN old_vendor DISABLE")
conn.commit()

# Errors: SQL Server's numbers and texts; the connection stays usable.
try:
    cur.execute("SELECT * FROM sys.no_such_view")
    raise AssertionError("no error")
except pytds.ProgrammingError as e:
    assert e.number == 208 and "Invalid object name 'sys.no_such_view'." in str(e), (e.number, e)
try:
    cur.execute("SELECT @p", {"q": 1})
    raise AssertionError("no error")
except pytds.OperationalError as e:
    assert e.number == 137 and 'Must declare the scalar variable "@p".' in str(e), (e.number, e)
cur.execute("SELECT 1")
assert cur.fetchone()[0] == 1
conn.close()

try:
    connect("autodbaudit", "wrong")
    raise AssertionError("logged in with a wrong password")
except pytds.Error as e:
    assert getattr(e, "number", None) == 18456, (getattr(e, "number", None), str(e))

print(f"pytds default {mode}: ok")
