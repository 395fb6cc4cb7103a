"""End-to-end: pgbench (PostgreSQL 15's, from postgresql-client) with custom scripts against a
real `kmb server`.

pgbench connects like any libpq client (SCRAM, no catalog queries with -f); `-n` skips the
VACUUM of pgbench's own tables, which Kimberlite does not have (without -n pgbench prints
`0A000 feature not supported: VACUUM / ANALYZE` and carries on, checked below). The row counts
afterwards must equal what pgbench reports as processed; the SELECT script checks every answer
inside pgbench (\\gset, \\if) and fails the client on a wrong one; the transfer script updates
contended rows in transactions, so some commits fail with 40001 and pgbench retries them
(--max-tries), and money must be conserved.
"""
import os
import re
import shutil
import subprocess

import psycopg
import pytest

from kmb_server import ADMIN_PASSWORD, KmbServer

pytestmark = pytest.mark.skipif(shutil.which("pgbench") is None,
                                reason="pgbench is not installed (postgresql-client)")

CLIENTS = 4
THREADS = 2
TRANSACTIONS = 200


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("kmb"))).start()
    yield running
    running.stop()


def connect(server):
    return psycopg.connect(server.conninfo(), autocommit=True)


def pgbench(server, tmp_path, script, *args, skip_vacuum=True):
    """Runs pgbench with `script` (text); returns (processed, failed, retried, stdout, stderr)."""
    path = tmp_path / "script.sql"
    path.write_text(script)
    argv = ["pgbench", "-h", "127.0.0.1", "-p", str(server.port), "-U", "admin", "-f",
            str(path), "-c", str(CLIENTS), "-j", str(THREADS), "-t", str(TRANSACTIONS),
            *args, "default"]
    if skip_vacuum:
        argv.insert(1, "-n")
    env = dict(os.environ, PGPASSWORD=ADMIN_PASSWORD, PGSSLMODE="disable")
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"pgbench failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    processed = re.search(r"number of transactions actually processed: (\d+)/(\d+)", result.stdout)
    assert processed, result.stdout
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    retried = re.search(r"number of transactions retried: (\d+)", result.stdout)
    return (int(processed.group(1)), int(failed.group(1)) if failed else 0,
            int(retried.group(1)) if retried else 0, result.stdout, result.stderr)


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_insert_script(server, tmp_path, mode):
    table = f"pgb_insert_{mode}"
    with connect(server) as conn:
        conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, client int NOT NULL, "
                     "value bigint NOT NULL, note text NOT NULL)")
    script = ("\\set v random(1, 1000000000)\n"
              f"INSERT INTO {table} (client, value, note) VALUES (:client_id, :v, 'pgbench ' || :v);\n")
    processed, failed, _, stdout, stderr = pgbench(server, tmp_path, script, "-M", mode)
    assert processed == CLIENTS * TRANSACTIONS and failed == 0, stdout
    assert "error" not in stderr.lower(), stderr
    with connect(server) as conn:
        assert conn.execute(f"SELECT count(*), count(DISTINCT id) FROM {table}").fetchone() == (
            processed, processed)
        per_client = conn.execute(
            f"SELECT client, count(*) FROM {table} GROUP BY client ORDER BY client").fetchall()
        assert per_client == [(client, TRANSACTIONS) for client in range(CLIENTS)]
        assert conn.execute(
            f"SELECT count(*) FROM {table} WHERE note <> 'pgbench ' || value").fetchone() == (0,)


ROWS = 1000


@pytest.fixture(scope="module")
def lookup_table(server):
    with connect(server) as conn:
        conn.execute("CREATE TABLE pgb_kv (id int PRIMARY KEY, v bigint NOT NULL, pad text)")
        with conn.cursor().copy("COPY pgb_kv (id, v, pad) FROM STDIN") as copy:
            for key in range(1, ROWS + 1):
                copy.write_row((key, key * 7, "x" * 40))
    return "pgb_kv"


# Every answer is checked inside pgbench: a missing row fails \gset ("expected one row, got
# 0"), a wrong value divides by zero; either aborts the client and pgbench exits non-zero.
SELECT_SCRIPT = f"""\\set id random(1, {ROWS})
SELECT v, pad FROM pgb_kv WHERE id = :id \\gset
\\if :v != :id * 7
SELECT 1 / 0;
\\endif
"""


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_select_by_primary_key_script(server, tmp_path, lookup_table, mode):
    processed, failed, _, stdout, stderr = pgbench(server, tmp_path, SELECT_SCRIPT, "-M", mode)
    assert processed == CLIENTS * TRANSACTIONS and failed == 0, stdout
    assert "error" not in stderr.lower(), stderr


def test_select_script_catches_a_wrong_answer(server, tmp_path, lookup_table):
    """The check above can fail: the same script over a row whose value is off aborts."""
    with connect(server) as conn:
        conn.execute("UPDATE pgb_kv SET v = 0 WHERE id = 1")
    script = SELECT_SCRIPT.replace(f"random(1, {ROWS})", "random(1, 1)")
    path = tmp_path / "wrong.sql"
    path.write_text(script)
    env = dict(os.environ, PGPASSWORD=ADMIN_PASSWORD, PGSSLMODE="disable")
    result = subprocess.run(["pgbench", "-n", "-h", "127.0.0.1", "-p", str(server.port), "-U",
                             "admin", "-f", str(path), "-c", "1", "-t", "5", "default"],
                            env=env, capture_output=True, text=True, timeout=120)
    with connect(server) as conn:
        conn.execute("UPDATE pgb_kv SET v = 7 WHERE id = 1")
    assert result.returncode != 0
    assert "division by zero" in result.stderr, result.stderr


def test_without_skip_vacuum(server, tmp_path, lookup_table):
    """Plain `pgbench -f` first vacuums pgbench_branches/tellers and truncates pgbench_history;
    pgbench ignores those errors, so the run must still succeed."""
    processed, failed, _, stdout, stderr = pgbench(server, tmp_path, SELECT_SCRIPT,
                                                   skip_vacuum=False)
    assert processed == CLIENTS * TRANSACTIONS and failed == 0, stdout
    assert "ignoring this error and continuing anyway" in stderr


ACCOUNTS = 20


def test_contended_transfers_with_retries(server, tmp_path):
    """BEGIN; two UPDATEs of random accounts and an INSERT into a history; COMMIT. Concurrent
    transactions on the same accounts fail with 40001, which pgbench retries. Afterwards every
    processed transaction is in the history exactly once and the balances match it."""
    with connect(server) as conn:
        conn.execute("CREATE TABLE pgb_accounts (id int PRIMARY KEY, balance bigint NOT NULL)")
        conn.execute("CREATE TABLE pgb_history (id bigserial PRIMARY KEY, src int NOT NULL, "
                     "dst int NOT NULL, amount int NOT NULL, client int NOT NULL)")
        conn.cursor().executemany("INSERT INTO pgb_accounts VALUES (%s, 1000)",
                                  [(account,) for account in range(1, ACCOUNTS + 1)])
    script = f"""\\set src random(1, {ACCOUNTS})
\\set dst random(1, {ACCOUNTS})
\\set amount random(1, 100)
BEGIN;
UPDATE pgb_accounts SET balance = balance - :amount WHERE id = :src;
UPDATE pgb_accounts SET balance = balance + :amount WHERE id = :dst;
INSERT INTO pgb_history (src, dst, amount, client) VALUES (:src, :dst, :amount, :client_id);
COMMIT;
"""
    processed, failed, retried, stdout, _ = pgbench(server, tmp_path, script, "-M", "prepared",
                                                    "--max-tries", "1000")
    assert processed == CLIENTS * TRANSACTIONS and failed == 0, stdout
    with connect(server) as conn:
        assert conn.execute("SELECT count(*) FROM pgb_history").fetchone() == (processed,)
        assert conn.execute("SELECT sum(balance) FROM pgb_accounts").fetchone() == (
            ACCOUNTS * 1000,)
        expected = {account: 1000 for account in range(1, ACCOUNTS + 1)}
        for src, dst, amount in conn.execute("SELECT src, dst, amount FROM pgb_history"):
            expected[src] -= amount
            expected[dst] += amount
        assert dict(conn.execute("SELECT id, balance FROM pgb_accounts").fetchall()) == expected
    print(f"{retried} transactions retried after serialization failures")
