"""End-to-end: a real `kmb server` and real PostgreSQL clients (psycopg 3, psql).

Run by CTest (label e2e) with KMB pointing at the binary; psql comes from postgresql-client.
"""
import datetime
import decimal
import os
import shutil
import signal
import subprocess
import urllib.request
import uuid

import psycopg
import pytest

from kmb_server import ADMIN_PASSWORD, KmbServer


@pytest.fixture
def server(tmp_path):
    running = KmbServer(str(tmp_path)).start()
    yield running
    running.stop()


def connect(server, **extra):
    return psycopg.connect(server.conninfo(**extra), autocommit=True)


def test_connects_and_round_trips_rows(server):
    with connect(server) as conn:
        conn.execute("CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, "
                     "price numeric(10,2), added date)")
        conn.execute("INSERT INTO items VALUES (%s, %s, %s, %s), (%s, %s, %s, %s)",
                     (1, "apple", decimal.Decimal("0.50"), datetime.date(2026, 1, 2),
                      2, "pear", None, None))
        rows = conn.execute("SELECT id, name, price, added FROM items ORDER BY id").fetchall()
        assert rows == [(1, "apple", decimal.Decimal("0.50"), datetime.date(2026, 1, 2)),
                        (2, "pear", None, None)]
        assert conn.execute("SELECT count(*) FROM items WHERE id = %s", (2,)).fetchone() == (1,)


@pytest.mark.parametrize("binary", [False, True])
def test_every_type_in_text_and_binary(server, binary):
    values = [
        ("smallint", -32768), ("integer", 2147483647), ("bigint", -9223372036854775808),
        ("real", 1.5), ("double precision", -2.25), ("numeric(20,5)", decimal.Decimal("-12345.67891")),
        ("text", "héllo ☃"), ("varchar(10)", "short"), ("boolean", True),
        ("bytea", b"\x00\x01\xff"), ("date", datetime.date(1999, 12, 31)),
        ("timestamp", datetime.datetime(2026, 11, 29, 4, 5, 6, 789000)),
        ("timestamptz", datetime.datetime(2026, 11, 29, 4, 5, 6, tzinfo=datetime.timezone.utc)),
        ("interval", datetime.timedelta(days=3, seconds=7)),
        ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    ]
    with connect(server) as conn:
        columns = ", ".join(f"c{i} {t}" for i, (t, _) in enumerate(values))
        conn.execute(f"CREATE TABLE t (id int PRIMARY KEY, {columns})")
        placeholders = ", ".join(["%s"] * (len(values) + 1))
        conn.execute(f"INSERT INTO t VALUES ({placeholders})", [1] + [v for _, v in values])
        with conn.cursor(binary=binary) as cur:
            cur.execute("SELECT * FROM t")
            row = cur.fetchone()
        assert list(row[1:]) == [v for _, v in values]


def test_errors_carry_sqlstate_and_position(server):
    with connect(server) as conn:
        conn.execute("CREATE TABLE u (id int PRIMARY KEY)")
        conn.execute("INSERT INTO u VALUES (1)")
        with pytest.raises(psycopg.errors.UniqueViolation) as error:
            conn.execute("INSERT INTO u VALUES (1)")
        assert error.value.diag.sqlstate == "23505"
        with pytest.raises(psycopg.errors.UndefinedTable) as error:
            conn.execute("SELECT * FROM nope")
        assert error.value.diag.statement_position == "15"
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute("SELECT 1/0")
        # The connection is still usable after errors.
        assert conn.execute("SELECT 42").fetchone() == (42,)


def test_transactions_commit_and_roll_back(server):
    with psycopg.connect(server.conninfo()) as conn:  # not autocommit: psycopg sends BEGIN
        conn.execute("CREATE TABLE acct (id int PRIMARY KEY, balance int)")
        conn.commit()
        conn.execute("INSERT INTO acct VALUES (1, 100)")
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM acct").fetchone() == (0,)
        conn.execute("INSERT INTO acct VALUES (1, 100)")
        conn.commit()
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO acct VALUES (1, 5)")
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        conn.rollback()
        assert conn.execute("SELECT balance FROM acct").fetchone() == (100,)


def test_serialization_conflict_is_40001(server):
    with connect(server) as setup:
        setup.execute("CREATE TABLE c (id int PRIMARY KEY, n int)")
        setup.execute("INSERT INTO c VALUES (1, 0)")
    a = psycopg.connect(server.conninfo())
    b = psycopg.connect(server.conninfo())
    try:
        assert a.execute("SELECT n FROM c WHERE id = 1").fetchone() == (0,)
        assert b.execute("SELECT n FROM c WHERE id = 1").fetchone() == (0,)
        a.execute("UPDATE c SET n = 1 WHERE id = 1")
        b.execute("UPDATE c SET n = 2 WHERE id = 1")
        a.commit()
        with pytest.raises(psycopg.errors.SerializationFailure):
            b.commit()
    finally:
        a.close()
        b.close()
    with connect(server) as conn:
        assert conn.execute("SELECT n FROM c").fetchone() == (1,)


def test_wrong_password_and_unknown_database_are_refused(server):
    with pytest.raises(psycopg.OperationalError) as error:
        psycopg.connect(server.conninfo(password="wrong"))
    assert "password authentication failed" in str(error.value)
    with pytest.raises(psycopg.OperationalError) as error:
        psycopg.connect(server.conninfo(user="nobody"))
    assert "password authentication failed" in str(error.value)  # no hint that it's the user
    with pytest.raises(psycopg.OperationalError) as error:
        psycopg.connect(server.conninfo(dbname="nope"))
    assert 'database "nope" does not exist' in str(error.value)


def test_tls_with_the_self_signed_certificate(server):
    with connect(server, sslmode="require") as conn:
        assert conn.pgconn.ssl_in_use
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_health_and_metrics(server):
    base = f"http://127.0.0.1:{server.http_port}"
    assert urllib.request.urlopen(base + "/health", timeout=10).read() == b"ok\n"
    with connect(server) as conn:
        conn.execute("SELECT 1")
        metrics = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
    assert "kimberlite_connections_open 1" in metrics
    assert "kimberlite_log_position" in metrics


def test_sigterm_stops_cleanly_and_data_survives(tmp_path):
    first = KmbServer(str(tmp_path)).start()
    with connect(first) as conn:
        conn.execute("CREATE TABLE kept (id int PRIMARY KEY)")
        conn.execute("INSERT INTO kept VALUES (1), (2), (3)")
    idle = connect(first)
    assert first.stop(signal.SIGTERM) == 0
    with pytest.raises(psycopg.OperationalError):
        idle.execute("SELECT 1")  # told 57P01 and closed
    second = KmbServer(str(tmp_path)).start()
    try:
        with connect(second) as conn:
            assert conn.execute("SELECT count(*) FROM kept").fetchone() == (3,)
    finally:
        assert second.stop() == 0


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")
def test_psql_scripts(server, tmp_path):
    env = dict(os.environ, PGPASSWORD=ADMIN_PASSWORD)
    base = ["psql", "-X", "-h", "127.0.0.1", "-p", str(server.port), "-U", "admin", "-d",
            "default", "-v", "ON_ERROR_STOP=1", "-At"]
    script = tmp_path / "script.sql"
    script.write_text("CREATE TABLE p (id int PRIMARY KEY, v text);\n"
                      "BEGIN;\nINSERT INTO p VALUES (1, 'one');\nINSERT INTO p VALUES (2, 'two');\n"
                      "COMMIT;\nSELECT id || ':' || v FROM p ORDER BY id;\n")
    out = subprocess.run(base + ["-f", str(script)], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-2:] == ["1:one", "2:two"]
    failing = subprocess.run(base + ["-c", "INSERT INTO p VALUES (1, 'again')"], env=env,
                             capture_output=True, text=True, timeout=60)
    assert failing.returncode != 0
    assert "duplicate key value violates unique constraint" in failing.stderr


def test_what_drivers_ask_on_connect(server):
    with connect(server) as conn:
        version = conn.execute("SELECT version()").fetchone()[0]
        assert version.startswith("PostgreSQL 15.")
        assert conn.info.server_version >= 150000
        assert conn.execute("SELECT current_database(), current_user").fetchone() == (
            "default", "admin")
        assert conn.execute("SHOW server_encoding").fetchone() == ("UTF8",)
        assert conn.execute("SELECT pg_backend_pid() = %s", (conn.info.backend_pid,)).fetchone() == (True,)
        conn.execute("CREATE TABLE visible (id int PRIMARY KEY)")
        names = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")]
        assert "visible" in names
        assert conn.execute("SELECT typname FROM pg_type WHERE oid = 23").fetchone() == ("int4",)
