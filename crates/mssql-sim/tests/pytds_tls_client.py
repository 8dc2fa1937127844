"""TLS interoperability check run by pytds_python.rs: python-tds (with pyOpenSSL) logging in to
the simulator with full and with login-only encryption, verifying the server's certificate.
Usage: python3 pytds_tls_client.py PORT PASSWORD CAFILE OTHER_CAFILE. Exits non-zero with a
message on the first mismatch."""
import sys

import pytds

port, password, cafile, other_cafile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def connect(ca, **options):
    # "localhost": python-tds checks the certificate's CN or DNS names against the server name.
    return pytds.connect(server="localhost", port=port, user="autodbaudit", password=password,
                         database="master", autocommit=True, login_timeout=10, timeout=10,
                         cafile=ca, **options)


# cafile alone: ENCRYPT_ON, the whole session in TLS. enc_login_only: ENCRYPT_OFF, the LOGIN7
# only (the server answers OFF and both sides drop TLS after it).
for options in ({}, {"enc_login_only": True}):
    with connect(cafile, **options) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT SUSER_SNAME(), SERVERPROPERTY('ProductVersion')")
            row = cur.fetchone()
            assert tuple(row) == ("autodbaudit", "15.0.2000.5"), (options, row)
            cur.execute("SELECT name FROM sys.server_principals WHERE principal_id = 1")
            assert cur.fetchone()[0] == "sa", options

try:
    connect(other_cafile)
    raise AssertionError("a certificate that the CA file does not hold was accepted")
except AssertionError:
    raise
except Exception as e:  # OpenSSL's verification error, whatever python-tds wraps it in
    assert "certificate verify failed" in repr(e), repr(e)

print("pytds tls: ok")
