"""Interoperability check run by pytds_python.rs: the simulator as python-tds (pure-Python TDS
client from PyPI) sees it. Usage: python3 pytds_client.py PORT PASSWORD. Exits non-zero with a
message on the first mismatch."""
import sys

import pytds

port, password = int(sys.argv[1]), sys.argv[2]


def connect(user, pw):
    return pytds.connect(server="127.0.0.1", port=port, user=user, password=pw, database="master",
                         autocommit=True, login_timeout=10, timeout=10)


with connect("autodbaudit", password) as conn:
    with conn.cursor() as cur:
        cur.execute("SELECT name, principal_id, is_disabled, sid, create_date, credential_id "
                    "FROM sys.server_principals WHERE type = 'S' AND name NOT LIKE '##%' ORDER BY principal_id")
        rows = cur.fetchall()
        names = [r[0] for r in rows]
        assert names[:3] == ["sa", "autodbaudit", "old_vendor"], names
        sa = rows[0]
        assert sa[1] == 1 and isinstance(sa[1], int), sa
        assert sa[2] == 0 and not isinstance(sa[2], bool), sa  # is_disabled: int
        assert bytes(sa[3]) == b"\x01", sa
        assert sa[4].year == 2019, sa
        assert sa[5] is None, sa
        assert rows[2][2] == 1, rows[2]

        cur.execute("SELECT SERVERPROPERTY('ProductVersion'); SELECT SUSER_SNAME()")
        assert cur.fetchone()[0] == "15.0.2000.5"
        assert cur.nextset()
        assert cur.fetchone()[0] == "autodbaudit"

        # Cancel (ATTENTION) in the middle of a batch's results; the connection stays usable.
        cur.execute("SELECT name FROM sys.server_principals; SELECT 2")
        assert cur.fetchone() is not None
        cur.cancel()
        cur.execute("SELECT 3")
        assert cur.fetchone()[0] == 3

        # A parameterised query (python-tds sends it as RPC sp_executesql).
        cur.execute("SELECT name FROM sys.databases WHERE database_id = %s", (5,))
        assert cur.fetchone()[0] == "SalesDB"

        try:
            cur.execute("SELECT * FROM sys.no_such_view")
            raise AssertionError("no error for a missing view")
        except pytds.ProgrammingError as e:
            assert e.number == 208, (e.number, str(e))

try:
    connect("autodbaudit", "wrong")
    raise AssertionError("login with a wrong password succeeded")
except pytds.Error as e:
    assert getattr(e, "number", None) == 18456, (getattr(e, "number", None), str(e))

print("pytds: ok")
