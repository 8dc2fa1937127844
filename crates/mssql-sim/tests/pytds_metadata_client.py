"""Run by statement_log.rs: the metadata procedures ODBC and JDBC drivers call, sent as RPC
requests (python-tds's callproc sends an RPC, as the drivers do). Errors (2812 for a procedure
the simulator does not implement) are expected and ignored: the test reads the server's
statement log. Usage: python3 pytds_metadata_client.py PORT PASSWORD"""
import sys

import pytds

port, password = int(sys.argv[1]), sys.argv[2]
calls = [
    ("sp_datatype_info_100", (0, 3)),
    ("sp_server_info", ()),
    ("sp_tables", (None, None, None, "'TABLE'")),
    ("sp_columns_100", ("Orders", "dbo")),
    ("master.dbo.sp_helpdb", ()),
    ("sp_configure", ("xp_cmdshell",)),
    ("xp_msver", ()),
]
with pytds.connect(server="127.0.0.1", port=port, user="autodbaudit", password=password,
                   database="master", autocommit=True, login_timeout=10, timeout=10) as conn:
    for name, args in calls:
        with conn.cursor() as cur:
            try:
                cur.callproc(name, args)
                while cur.nextset():
                    pass
            except pytds.Error as e:
                print(f"{name}: {e}")
print("pytds metadata: ok")
