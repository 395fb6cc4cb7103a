"""End-to-end: stopping `kmb server` (SIGTERM) says goodbye to every idle session with
`FATAL 57P01 terminating connection due to administrator command` before closing it — over TLS
as over plain TCP. (Shutting a TLS socket's read side would break the TLS stream: the client
would see a TLS alert or a bare EOF instead of the message.)
"""
import signal

import psycopg
import pytest

from kmb_server import KmbServer

GOODBYE = "terminating connection due to administrator command"


@pytest.mark.parametrize("sslmode", ["require", "disable"])
def test_idle_sessions_are_told_57P01_at_shutdown(tmp_path, sslmode):
    server = KmbServer(str(tmp_path)).start()
    try:
        conns = [psycopg.connect(server.conninfo(sslmode=sslmode), autocommit=True)
                 for _ in range(3)]
        for conn in conns:
            assert conn.pgconn.ssl_in_use == (sslmode == "require")
            assert conn.execute("SELECT 1").fetchone() == (1,)
        # One session inside a transaction block: it is idle too, and told the same.
        conns[1].autocommit = False
        conns[1].execute("SELECT 2")
    finally:
        assert server.stop(signal.SIGTERM) == 0
    for conn in conns:
        with pytest.raises(psycopg.OperationalError) as caught:
            conn.execute("SELECT 1")
        # libpq reads the FATAL ErrorResponse the server sent before closing and reports its
        # message; a broken TLS stream would say only "SSL error" / "closed unexpectedly".
        assert GOODBYE in str(caught.value), str(caught.value)
        conn.close()
