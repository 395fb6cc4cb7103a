"""End-to-end: tenant isolation. Every route a client of one tenant (database) could take to
another tenant's data fails, and nothing of the other tenant shows up anywhere.

Two tenants, `alpha` (a table holding a secret) and `beta`; the role `mallory` may connect to
`beta` only. Routes tried: connecting, qualified names in reads, writes, DDL, GRANT and COPY,
catalog queries (pg_class, pg_attribute, information_schema), time travel to a position where
`alpha` was written, and the administrative statements. The admin connected to `beta` is held to
the same per-tenant catalog: a tenant's tables are visible only through its own database.

PostgreSQL's own answers are kept where they already reveal nothing: a three-part name
(`alpha.public.t`) is 0A000 "cross-database references are not implemented", as in
PostgreSQL, whatever the database named — so it does not even tell whether `alpha` exists.
"""
import datetime
import subprocess
import time

import psycopg
import pytest

from kmb_server import ADMIN_PASSWORD, KmbServer

SECRET = "the-secret-of-alpha"
MALLORY_PASSWORD = "mallory password 7"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("isolation"))).start()
    try:
        populate(running)
        yield running
    finally:
        running.stop()  # also when populating failed: never leave a server behind


def populate(running):
    with psycopg.connect(running.conninfo(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE alpha")
        admin.execute("CREATE DATABASE beta")
        admin.execute(f"CREATE USER mallory PASSWORD '{MALLORY_PASSWORD}'")
        admin.execute("GRANT CONNECT ON DATABASE beta TO mallory")
    with psycopg.connect(running.conninfo(dbname="alpha"), autocommit=True) as alpha:
        alpha.execute("CREATE TABLE secrets (id int PRIMARY KEY, body text)")
        alpha.execute("INSERT INTO secrets VALUES (1, %s)", (SECRET,))
    # A moment at which alpha holds the secret (time travel must not reach it from beta).
    time.sleep(0.05)
    running.alpha_time = datetime.datetime.now(datetime.timezone.utc).isoformat()
    time.sleep(0.05)
    with psycopg.connect(running.conninfo(dbname="beta"), autocommit=True) as beta:
        beta.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
        beta.execute("INSERT INTO notes VALUES (1, 'beta note')")
        beta.execute("GRANT SELECT ON notes TO mallory")


def mallory(server, dbname="beta"):
    return psycopg.connect(
        server.conninfo(user="mallory", password=MALLORY_PASSWORD, dbname=dbname),
        autocommit=True)


def assert_refused(conn, sql, sqlstates, params=None):
    """`sql` fails with one of `sqlstates`, and the error text never carries the secret."""
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql, params)
    assert caught.value.sqlstate in sqlstates, (sql, caught.value.sqlstate, str(caught.value))
    assert SECRET not in str(caught.value)


def test_connecting_to_another_tenant_is_refused(server):
    with pytest.raises(psycopg.OperationalError, match='permission denied for database "alpha"'):
        mallory(server, dbname="alpha")
    with pytest.raises(psycopg.OperationalError, match='database "gamma" does not exist'):
        mallory(server, dbname="gamma")
    # psql reports the same FATAL errors and exits non-zero.
    result = subprocess.run(
        ["psql", "-X", "-h", "127.0.0.1", "-p", str(server.port), "-U", "mallory", "-d", "alpha",
         "-c", "SELECT 1"],
        env={"PGPASSWORD": MALLORY_PASSWORD, "PGSSLMODE": "disable", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True)
    assert result.returncode != 0
    assert 'permission denied for database "alpha"' in result.stderr


def test_qualified_names_never_reach_another_tenant(server):
    with mallory(server) as conn:
        for sql in ["SELECT * FROM alpha.public.secrets",
                    "SELECT body FROM alpha.public.secrets WHERE id = 1",
                    "INSERT INTO alpha.public.secrets VALUES (2, 'x')",
                    "UPDATE alpha.public.secrets SET body = 'x'",
                    "DELETE FROM alpha.public.secrets",
                    "DROP TABLE alpha.public.secrets",
                    "TRUNCATE alpha.public.secrets",
                    "GRANT SELECT ON alpha.public.secrets TO mallory",
                    "CREATE TABLE alpha.public.mine (id int PRIMARY KEY)"]:
            assert_refused(conn, sql, {"0A000"})
        # As a schema name, another database is just an unknown schema.
        assert_refused(conn, "SELECT * FROM alpha.secrets", {"3F000"})
        # Unqualified, the other tenant's table does not exist here.
        assert_refused(conn, "SELECT * FROM secrets", {"42P01"})
        assert conn.execute("SELECT body FROM notes").fetchall() == [("beta note",)]


def test_copy_never_reaches_another_tenant(server):
    with mallory(server) as conn:
        assert_refused(conn, "COPY alpha.public.secrets TO STDOUT", {"0A000"})
        assert_refused(conn, "COPY secrets TO STDOUT", {"42P01"})
        assert_refused(conn, "COPY (SELECT * FROM alpha.public.secrets) TO STDOUT", {"0A000"})
        assert_refused(conn, "COPY alpha.public.secrets FROM STDIN", {"0A000"})
        with pytest.raises(psycopg.Error) as caught:
            with conn.cursor().copy("COPY secrets FROM STDIN") as copy:
                copy.write_row((3, "smuggled"))
        assert caught.value.sqlstate == "42P01"
    with psycopg.connect(server.conninfo(dbname="alpha"), autocommit=True) as alpha:
        assert alpha.execute("SELECT id, body FROM secrets").fetchall() == [(1, SECRET)]


@pytest.mark.parametrize("user", ["mallory", "admin"])
def test_catalogs_show_only_the_connected_tenant(server, user):
    password = MALLORY_PASSWORD if user == "mallory" else ADMIN_PASSWORD
    with psycopg.connect(server.conninfo(user=user, password=password, dbname="beta"),
                         autocommit=True) as conn:
        relations = {row[0] for row in conn.execute("SELECT relname FROM pg_catalog.pg_class")}
        assert "notes" in relations and "secrets" not in relations
        attributes = {row[0] for row in conn.execute(
            "SELECT attname FROM pg_catalog.pg_attribute")}
        assert "body" in attributes  # beta's notes.body
        tables = conn.execute(
            "SELECT table_catalog, table_name FROM information_schema.tables "
            "WHERE table_schema = 'public'").fetchall()
        assert tables == [("beta", "notes")]
        columns = conn.execute(
            "SELECT DISTINCT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public'").fetchall()
        assert columns == [("notes",)]
        # A catalog query for the other tenant's table by name finds nothing.
        assert conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'secrets'").fetchone() == (0,)


def test_time_travel_stays_inside_the_tenant(server):
    with mallory(server) as conn:
        conn.execute(f"SET kimberlite.as_of_timestamp = '{server.alpha_time}'")
        # At that position alpha held the secret; beta had no tables yet.
        assert_refused(conn, "SELECT * FROM secrets", {"42P01"})
        assert conn.execute(
            "SELECT count(*) FROM pg_catalog.pg_class WHERE relname = 'secrets'").fetchone() == (0,)
        conn.execute("RESET kimberlite.as_of_timestamp")


def test_administration_of_other_tenants_is_refused(server):
    with mallory(server) as conn:
        for sql in ["DROP DATABASE alpha", "CREATE DATABASE gamma",
                    "GRANT CONNECT ON DATABASE alpha TO mallory",
                    "ALTER ROLE admin PASSWORD 'owned'", "CREATE ROLE accomplice LOGIN"]:
            assert_refused(conn, sql, {"42501"})
        # Without SELECT on a table of its own tenant, a read is refused too.
    with psycopg.connect(server.conninfo(dbname="beta"), autocommit=True) as admin:
        admin.execute("CREATE TABLE private (id int PRIMARY KEY)")
    with mallory(server) as conn:
        assert_refused(conn, "SELECT * FROM private", {"42501"})
        assert_refused(conn, "COPY private TO STDOUT", {"42501"})
    # Still refused after all that: nothing above granted anything.
    with pytest.raises(psycopg.OperationalError, match="permission denied"):
        mallory(server, dbname="alpha")
