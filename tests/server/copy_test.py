"""End-to-end COPY and CREATE / DROP DATABASE: a real `kmb server` with psycopg 3 and psql.

COPY FROM STDIN with psycopg's write_row and raw CSV (quotes, NULLs, newlines), COPY TO STDOUT
compared with what was inserted, a 200k-row COPY outside a transaction committing in chunks,
errors mid-COPY (their CONTEXT, and what chunks committed before them), COPY's atomicity inside
a transaction, psql's \\copy; databases made, used, dropped and refused afterwards.

Run by CTest (label e2e) with KMB pointing at the binary.
"""
import datetime
import decimal
import os
import re
import shutil
import subprocess
import urllib.request

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


def log_position(server):
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics",
                                     timeout=10).read().decode()
    return int(re.search(r"^kimberlite_log_position (\d+)", metrics, re.M).group(1))


ROWS = [
    (1, "plain", decimal.Decimal("1.50"), datetime.date(2026, 1, 2), None),
    (2, "tab\there, newline\nthere", None, None, "back\\slash"),
    (3, "quote \" and comma ,", decimal.Decimal("-0.01"), datetime.date(1999, 12, 31), ""),
    (4, "\\N is text here", decimal.Decimal("0"), None, "ünïcødé ☃"),
]


def create_items(conn):
    conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, "
                 "price numeric(10,2), added date, note text)")


def test_copy_from_stdin_with_write_row(server):
    with connect(server) as conn:
        create_items(conn)
        with conn.cursor() as cur:
            with cur.copy("COPY items (id, name, price, added, note) FROM STDIN") as copy:
                for row in ROWS:
                    copy.write_row(row)
            assert cur.rowcount == len(ROWS)
        assert conn.execute("SELECT * FROM items ORDER BY id").fetchall() == ROWS


def test_copy_csv_with_quotes_and_nulls(server):
    with connect(server) as conn:
        conn.execute("CREATE TABLE c (id int PRIMARY KEY, a text, b text DEFAULT 'dflt')")
        data = ('id,a\n'
                '1,"quoted, with comma"\n'
                '2,\n'
                '3,""\n'
                '4,"two\nlines ""and quotes"""\n')
        with conn.cursor() as cur:
            with cur.copy("COPY c (id, a) FROM STDIN WITH (FORMAT csv, HEADER match)") as copy:
                # In pieces that cut lines and quotes anywhere.
                for start in range(0, len(data), 7):
                    copy.write(data[start:start + 7])
        assert conn.execute("SELECT id, a, b FROM c ORDER BY id").fetchall() == [
            (1, "quoted, with comma", "dflt"), (2, None, "dflt"), (3, "", "dflt"),
            (4, 'two\nlines "and quotes"', "dflt")]
        # FORCE_NOT_NULL and FORCE_NULL, a custom delimiter and null string.
        with conn.cursor() as cur:
            with cur.copy("COPY c (id, a, b) FROM STDIN WITH (FORMAT csv, DELIMITER ';', "
                          "NULL 'NA', FORCE_NOT_NULL (a), FORCE_NULL (b))") as copy:
                copy.write('5;NA;"NA"\n')
        assert conn.execute("SELECT a, b FROM c WHERE id = 5").fetchone() == ("NA", None)


def test_copy_to_stdout_gives_back_what_was_inserted(server):
    with connect(server) as conn:
        create_items(conn)
        for row in ROWS:
            conn.execute("INSERT INTO items VALUES (%s, %s, %s, %s, %s)", row)
        with conn.cursor() as cur:
            with cur.copy("COPY items TO STDOUT") as copy:
                copy.set_types(["int4", "text", "numeric", "date", "text"])
                assert list(copy.rows()) == ROWS
            assert cur.rowcount == len(ROWS)
            with cur.copy("COPY (SELECT id, name FROM items WHERE id <= 3 ORDER BY id) "
                          "TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                text = b"".join(bytes(chunk) for chunk in copy).decode()
        assert text == ('id,name\n'
                        '1,plain\n'
                        '2,"tab\there, newline\nthere"\n'
                        '3,"quote "" and comma ,"\n')


def test_big_copy_outside_a_transaction_commits_in_chunks(server):
    rows = 200_000
    with connect(server) as conn:
        conn.execute("CREATE TABLE big (id int PRIMARY KEY, payload text NOT NULL)")
        before = log_position(server)
        with conn.cursor() as cur:
            with cur.copy("COPY big FROM STDIN") as copy:
                for i in range(rows):
                    copy.write_row((i, f"payload number {i} " + "x" * 40))
            assert cur.rowcount == rows
        # More than one op: the COPY was committed in chunks below the op size cap.
        assert log_position(server) - before >= 2
        assert conn.execute("SELECT count(*), min(id), max(id) FROM big").fetchone() == (
            rows, 0, rows - 1)

        # An error after some chunks: those rows stay, and the DETAIL says how many.
        conn.execute("CREATE TABLE keyed (id int PRIMARY KEY, payload text)")
        with pytest.raises(psycopg.errors.UniqueViolation) as error:
            with conn.cursor() as cur:
                with cur.copy("COPY keyed FROM STDIN") as copy:
                    for i in range(rows):
                        copy.write_row((i, "y" * 60))
                    copy.write_row((0, "duplicate"))
        diag = error.value.diag
        assert diag.context == f"COPY keyed, line {rows + 1}"
        match = re.search(r"(\d+) rows, through line (\d+), were committed in (\d+) chunks",
                          diag.message_detail)
        assert match, diag.message_detail
        committed = int(match.group(1))
        assert 0 < committed < rows
        assert int(match.group(3)) >= 1
        assert conn.execute("SELECT count(*) FROM keyed").fetchone() == (committed,)


def test_errors_mid_copy(server):
    with connect(server) as conn:
        conn.execute("CREATE TABLE e (id int PRIMARY KEY, v text NOT NULL)")
        with pytest.raises(psycopg.errors.InvalidTextRepresentation) as error:
            with conn.cursor() as cur:
                with cur.copy("COPY e FROM STDIN WITH (FORMAT csv)") as copy:
                    copy.write("1,one\n2,two\nx,three\n4,four\n")
        assert error.value.diag.context == 'COPY e, line 3, column id: "x"'
        with pytest.raises(psycopg.errors.NotNullViolation) as error:
            with conn.cursor() as cur:
                with cur.copy("COPY e FROM STDIN") as copy:
                    copy.write_row((5, None))
        assert error.value.diag.context == 'COPY e, line 1: "5\t\\N"'
        with pytest.raises(psycopg.errors.BadCopyFileFormat) as error:
            with conn.cursor() as cur:
                with cur.copy("COPY e FROM STDIN") as copy:
                    copy.write("6\tsix\textra\n")
        assert error.value.diag.message_primary == "extra data after last expected column"
        # One chunk each: nothing of the failed COPYs is there; the connection works on.
        assert conn.execute("SELECT count(*) FROM e").fetchone() == (0,)
        # The client ends a COPY with an exception inside the block: psycopg sends CopyFail,
        # the server answers 57014 with psycopg's reason.
        with pytest.raises(psycopg.errors.QueryCanceled) as error:
            with conn.cursor() as cur:
                with cur.copy("COPY e FROM STDIN") as copy:
                    copy.write_row((7, "seven"))
                    raise ZeroDivisionError()
        assert error.value.diag.message_primary.startswith("COPY from stdin failed: ")
        assert "ZeroDivisionError" in error.value.diag.message_primary
        assert conn.execute("SELECT count(*) FROM e").fetchone() == (0,)


def test_copy_inside_a_transaction_is_atomic(server):
    with psycopg.connect(server.conninfo()) as conn:  # not autocommit: psycopg sends BEGIN
        conn.execute("CREATE TABLE a (id int PRIMARY KEY)")
        conn.commit()
        with conn.cursor() as cur:
            with cur.copy("COPY a FROM STDIN") as copy:
                for i in range(1000):
                    copy.write_row((i,))
        assert conn.execute("SELECT count(*) FROM a").fetchone() == (1000,)
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM a").fetchone() == (0,)
        with pytest.raises(psycopg.errors.UniqueViolation):
            with conn.cursor() as cur:
                with cur.copy("COPY a FROM STDIN") as copy:
                    for i in range(1000):
                        copy.write_row((i % 600,))
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
        conn.rollback()
        assert conn.execute("SELECT count(*) FROM a").fetchone() == (0,)


@pytest.mark.skipif(shutil.which("psql") is None, reason="psql is not installed")
def test_psql_backslash_copy(server, tmp_path):
    with connect(server) as conn:
        conn.execute("CREATE TABLE p (id int PRIMARY KEY, v text)")
    source = tmp_path / "in.csv"
    source.write_text('1,one\n2,"two, quoted"\n3,\n')
    target = tmp_path / "out.csv"
    env = dict(os.environ, PGPASSWORD=ADMIN_PASSWORD)
    base = ["psql", "-X", "-h", "127.0.0.1", "-p", str(server.port), "-U", "admin", "-d",
            "default", "-v", "ON_ERROR_STOP=1"]
    loaded = subprocess.run(base + ["-c", f"\\copy p from '{source}' with (format csv)"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "COPY 3"
    saved = subprocess.run(base + ["-c", f"\\copy (select * from p order by id) to '{target}' "
                                         "with (format csv)"],
                           env=env, capture_output=True, text=True, timeout=60)
    assert saved.returncode == 0, saved.stderr
    assert target.read_text() == source.read_text()


def test_create_and_drop_database(server):
    with connect(server) as admin:
        admin.execute("CREATE DATABASE shop ENCODING 'UTF8' TEMPLATE template0")
        with pytest.raises(psycopg.errors.DuplicateDatabase):
            admin.execute("CREATE DATABASE shop")
        shop = connect(server, dbname="shop")
        assert shop.execute("SELECT current_database()").fetchone() == ("shop",)
        shop.execute("CREATE TABLE orders (id int PRIMARY KEY)")
        shop.execute("INSERT INTO orders VALUES (1)")
        # Each database has its own tables.
        with pytest.raises(psycopg.errors.UndefinedTable):
            admin.execute("SELECT * FROM orders")
        with pytest.raises(psycopg.errors.ObjectInUse):
            shop.execute("DROP DATABASE shop")
        admin.execute("DROP DATABASE shop")
        # The connection to it fails cleanly; new ones are refused.
        with pytest.raises(psycopg.errors.InvalidCatalogName):
            shop.execute("SELECT 1")
        shop.close()
        with pytest.raises(psycopg.OperationalError) as error:
            psycopg.connect(server.conninfo(dbname="shop"))
        assert 'database "shop" does not exist' in str(error.value)
        with pytest.raises(psycopg.errors.InvalidCatalogName):
            admin.execute("DROP DATABASE shop")
        # The name is free again: a new, empty database.
        admin.execute("CREATE DATABASE shop")
        with connect(server, dbname="shop") as again:
            with pytest.raises(psycopg.errors.UndefinedTable):
                again.execute("SELECT * FROM orders")
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            with admin.transaction():
                admin.execute("CREATE DATABASE other")
    # The dropped tenant's history is still in the log: it verifies, and a rebuild that replays
    # the whole log (the drop included) ends where the server's store did.
    assert server.stop() == 0
    kmb = os.environ.get("KMB", "kmb")
    verified = subprocess.run([kmb, "verify", "--data-dir", server.data_dir], capture_output=True,
                              text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    rebuilt = subprocess.run([kmb, "rebuild", "--data-dir", server.data_dir, "--key-dir",
                              server.key_dir], capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
