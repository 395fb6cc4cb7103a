"""End-to-end statement limits: a real `kmb server` with psycopg 3.

psycopg's conn.cancel() (a CancelRequest on a new connection) stops a query that would run for
minutes, and the connection goes on; a cancel while idle cancels nothing; SET statement_timeout
and the server's --statement-timeout stop long statements with 57014; a statement longer than
--max-statement-bytes and a result over --max-result-bytes are 54000 with the connection still
usable; a simple Query of several statements is one implicit transaction (an error in the
middle leaves nothing committed).

Run by CTest (label e2e) with KMB pointing at the binary. No timing is asserted: the long query
ends only because it is cancelled or times out (uncancelled it would run for minutes).
"""
import threading
import time

import psycopg
import pytest

from kmb_server import KmbServer

# 65536 rows each building a 10 MB string: minutes of work unless stopped.
SLOW_QUERY = "SELECT count(*) FROM big WHERE length(repeat(v, 100000)) < 0"
BIG_ROWS = 65536


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("limits")),
                        extra_args=["--statement-timeout", "30min",
                                    "--max-statement-bytes", "64KiB",
                                    "--max-result-bytes", "16MiB"]).start()
    with connect(running) as conn:
        conn.execute("CREATE TABLE big (id bigint PRIMARY KEY, v text)")
        conn.execute("INSERT INTO big VALUES (1, repeat('x', 100))")
        rows = 1
        while rows < BIG_ROWS:
            conn.execute(f"INSERT INTO big SELECT id + {rows}, v FROM big")
            rows *= 2
        assert conn.execute("SELECT count(*) FROM big").fetchone()[0] == BIG_ROWS
    yield running
    assert running.stop() == 0


def connect(server, **extra):
    return psycopg.connect(server.conninfo(**extra), autocommit=True)


def run_cancelled(conn, sql, params=None):
    """Runs `sql` on `conn` in a thread while this one cancels it until it ends; the error."""
    outcome = {}

    def run():
        try:
            conn.execute(sql, params)
            outcome["error"] = None
        except psycopg.Error as error:  # the cancel's error is the expected outcome
            outcome["error"] = error

    runner = threading.Thread(target=run)
    runner.start()
    deadline = time.monotonic() + 120
    while runner.is_alive() and time.monotonic() < deadline:
        conn.cancel()  # dropped while the statement has not started yet: so try again
        runner.join(0.05)
    runner.join()
    return outcome["error"]


def test_cancel_stops_a_long_query_and_the_connection_goes_on(server):
    with connect(server) as conn:
        conn.execute("SET statement_timeout = 0")
        error = run_cancelled(conn, SLOW_QUERY)
        assert isinstance(error, psycopg.errors.QueryCanceled), error
        assert error.sqlstate == "57014"
        assert "canceling statement due to user request" in str(error)
        assert conn.execute("SELECT count(*) FROM big").fetchone()[0] == BIG_ROWS
        # The extended protocol's Execute (psycopg sends a query with parameters so).
        error = run_cancelled(conn, "SELECT count(*) FROM big WHERE length(repeat(v, %s)) < 0",
                              [100000])
        assert isinstance(error, psycopg.errors.QueryCanceled), error
        assert conn.execute("SELECT %s::int * 2", [21]).fetchone()[0] == 42


def test_a_cancelled_transaction_is_failed_and_commits_nothing(server):
    with connect(server) as conn:
        conn.execute("SET statement_timeout = 0")
        conn.execute("CREATE TABLE IF NOT EXISTS marks (id int PRIMARY KEY)")
        conn.execute("BEGIN")
        conn.execute("INSERT INTO marks VALUES (1)")
        error = run_cancelled(conn, SLOW_QUERY)
        assert isinstance(error, psycopg.errors.QueryCanceled), error
        with pytest.raises(psycopg.errors.InFailedSqlTransaction):
            conn.execute("SELECT 1")
        conn.execute("COMMIT")  # rolls back, as after any error
        assert conn.execute("SELECT count(*) FROM marks").fetchone()[0] == 0


def test_a_cancel_while_idle_cancels_nothing(server):
    with connect(server) as conn:
        conn.cancel()
        conn.cancel()
        time.sleep(0.2)  # let the CancelRequests arrive; they find nothing running
        assert conn.execute("SELECT count(*) FROM big").fetchone()[0] == BIG_ROWS


def test_statement_timeout(server):
    with connect(server) as conn:
        # The server's --statement-timeout is the session's default.
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "30min"
        conn.execute("SET statement_timeout = '200ms'")
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "200ms"
        with pytest.raises(psycopg.errors.QueryCanceled) as raised:
            conn.execute(SLOW_QUERY)
        assert raised.value.sqlstate == "57014"
        assert "canceling statement due to statement timeout" in str(raised.value)
        # Quick statements run under the same timeout.
        assert conn.execute("SELECT count(*) FROM big").fetchone()[0] == BIG_ROWS
        conn.execute("RESET statement_timeout")
        assert conn.execute("SHOW statement_timeout").fetchone()[0] == "30min"
        conn.execute("SET statement_timeout = 150")  # an integer is milliseconds
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute(SLOW_QUERY)
        # With a parameter psycopg uses the extended protocol (Parse, Bind, Execute).
        with pytest.raises(psycopg.errors.QueryCanceled) as raised:
            conn.execute("SELECT count(*) FROM big WHERE length(repeat(v, %s)) < 0", [100000])
        assert "statement timeout" in str(raised.value)
        assert conn.execute("SELECT %s::int + 1", [1]).fetchone()[0] == 2


def test_a_statement_over_max_statement_bytes(server):
    with connect(server) as conn:
        text = "SELECT length('" + "x" * (80 << 10) + "')"
        with pytest.raises(psycopg.errors.ProgramLimitExceeded) as raised:
            conn.execute(text)
        assert raised.value.sqlstate == "54000"
        assert "max-statement-bytes" in str(raised.value)
        # The same value as a parameter is no statement text.
        assert conn.execute("SELECT length(%s)", ["x" * (80 << 10)]).fetchone()[0] == 80 << 10
        assert conn.execute("SELECT 1").fetchone()[0] == 1


def test_a_result_over_max_result_bytes(server):
    with connect(server) as conn:
        with pytest.raises(psycopg.errors.ProgramLimitExceeded) as raised:
            conn.execute("SELECT id, repeat(v, 10) FROM big")  # ~70 MB of rows
        assert raised.value.sqlstate == "54000"
        assert "max-result-bytes" in str(raised.value)
        assert raised.value.diag.message_hint and "LIMIT" in raised.value.diag.message_hint
        rows = conn.execute("SELECT id, repeat(v, 10) FROM big ORDER BY id LIMIT 1000").fetchall()
        assert len(rows) == 1000


def test_several_statements_are_one_transaction(server):
    with connect(server) as conn:
        conn.execute("CREATE TABLE items (id int PRIMARY KEY, name text)")
        # psycopg sends a query without parameters as one simple Query message.
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute("INSERT INTO items VALUES (1, 'a'); INSERT INTO items VALUES (2, 'b'); "
                         "INSERT INTO items VALUES (1, 'again'); INSERT INTO items VALUES (3, 'c')")
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 0
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE

        conn.execute("INSERT INTO items VALUES (1, 'a'); INSERT INTO items VALUES (2, 'b')")
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2

        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            conn.execute("SELECT 1; CREATE DATABASE nope")
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("DELETE FROM items; SELECT * FROM nowhere")
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 2
