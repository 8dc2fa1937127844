"""python-tds logging in with NTLM (its SpnegoAuth on pyspnego, NTLM protocol) to the simulator.

Usage: pytds_ntlm_client.py PORT. Prints "pytds ntlm: ok" when every check passed.
"""
import sys

import pytds
from pytds.login import SpnegoAuth

port = int(sys.argv[1])


def connect(user, password):
    return pytds.connect(server="127.0.0.1", port=port, auth=SpnegoAuth(user, password, hostname="127.0.0.1", service="MSSQLSvc", protocol="ntlm"),
                         autocommit=True, login_timeout=5, timeout=5)


with connect("CORP\\alice", "Alice-Passw0rd!") as conn:
    with conn.cursor() as cur:
        cur.execute("SELECT SUSER_SNAME(), IS_SRVROLEMEMBER('sysadmin')")
        assert tuple(cur.fetchone()) == ("CORP\\alice", 1)

with connect("CORP\\svc_reporting", "Svc-Rep0rting!") as conn:
    with conn.cursor() as cur:
        cur.execute("SELECT SUSER_SNAME(), IS_SRVROLEMEMBER('sysadmin')")
        assert tuple(cur.fetchone()) == ("CORP\\svc_reporting", 0)

try:
    connect("CORP\\alice", "wrong")
    raise SystemExit("a wrong password was accepted")
except pytds.tds_base.Error as e:
    assert "18456" in str(getattr(e, "msg_no", "")) or "Login failed" in str(e), e

print("pytds ntlm: ok")
