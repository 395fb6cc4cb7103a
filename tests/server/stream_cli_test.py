"""End-to-end: `kmb stream` over the native protocol against a real `kmb server`, on the same port
as pgwire (the first bytes choose the protocol; docs/PROTOCOL.md).

Covers create / list / append (arguments and stdin, batches, expected offsets) / read (offsets,
--max, --json), exit statuses and messages for refusals and login failures, TLS required and
disabled, and a pgwire client on the same port seeing the same tenant.
"""
import json
import os
import subprocess

import psycopg
import pytest

from kmb_server import ADMIN_PASSWORD, KMB, KmbServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("streams"))).start()
    yield running
    running.stop()


def kmb_stream(server, *args, stdin=None, password=ADMIN_PASSWORD, tls="prefer"):
    env = dict(os.environ, KMB_PASSWORD=password)
    return subprocess.run(
        [KMB, "stream", *args, "--server", f"127.0.0.1:{server.port}", "--tls", tls],
        input=stdin, capture_output=True, text=True, env=env, timeout=60)


def test_create_append_read_round_trip(server):
    created = kmb_stream(server, "create", "orders", "--data-class", "pii")
    assert created.returncode == 0, created.stderr
    assert 'Created stream "orders"' in created.stdout

    appended = kmb_stream(server, "append", "orders", "first", "second", "thïrd ☃")
    assert appended.returncode == 0, appended.stderr
    assert "offsets 0..2 (durable)" in appended.stdout

    lines = "".join(f"line {i}\n" for i in range(2500))
    piped = kmb_stream(server, "append", "orders", "--batch", "1000", "--json", stdin=lines)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout) == {"stream": "orders", "appended": 2500, "first_offset": 3}

    read = kmb_stream(server, "read", "orders", "--max", "4")
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines() == ["0\tfirst", "1\tsecond", "2\tthïrd ☃", "3\tline 0"]

    tail = kmb_stream(server, "read", "orders", "--from", "2500", "--json")
    events = [json.loads(line) for line in tail.stdout.splitlines()]
    assert [e["offset"] for e in events] == list(range(2500, 2503))
    assert [e["data"] for e in events] == ["line 2497", "line 2498", "line 2499"]
    assert all(e["position"] > 0 for e in events)

    listed = kmb_stream(server, "list", "--json")
    streams = json.loads(listed.stdout)["streams"]
    assert {"stream": "orders", "id": streams[0]["id"], "data_class": "pii",
            "events": 2503} in streams


def test_refusals_exit_1_with_the_reason(server):
    kmb_stream(server, "create", "ledger")
    again = kmb_stream(server, "create", "ledger")
    assert again.returncode == 1
    assert "exists" in again.stderr

    assert kmb_stream(server, "append", "ledger", "a", "--expected-offset", "0").returncode == 0
    stale = kmb_stream(server, "append", "ledger", "b", "--expected-offset", "0")
    assert stale.returncode == 1
    assert "expected 0, next is 1" in stale.stderr
    # Nothing was appended by the refused call.
    assert kmb_stream(server, "read", "ledger").stdout.splitlines() == ["0\ta"]

    missing = kmb_stream(server, "read", "nowhere", "--json")
    assert missing.returncode == 1
    assert json.loads(missing.stdout)["error"]["code"] == "not_found"

    bad_class = kmb_stream(server, "create", "x", "--data-class", "secret")
    assert bad_class.returncode == 2


def test_login_failures_exit_2(server):
    wrong = kmb_stream(server, "list", password="not the password")
    assert wrong.returncode == 2
    assert "password authentication failed" in wrong.stderr
    env = dict(os.environ, KMB_PASSWORD=ADMIN_PASSWORD)
    unknown = subprocess.run(
        [KMB, "stream", "list", "--server", f"127.0.0.1:{server.port}", "--tenant", "nowhere"],
        capture_output=True, text=True, env=env, timeout=60)
    assert unknown.returncode == 2
    assert '"nowhere" does not exist' in unknown.stderr


def test_tls_required_and_disabled(server):
    for mode in ["require", "disable"]:
        listed = kmb_stream(server, "list", tls=mode)
        assert listed.returncode == 0, (mode, listed.stderr)


def test_pgwire_on_the_same_port_sees_the_same_tenant(server):
    kmb_stream(server, "create", "shared")
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY)")
        assert conn.execute("SELECT 1").fetchone() == (1,)
    # Both protocols at once on one port, after each other.
    assert "shared" in kmb_stream(server, "list").stdout
