"""End-to-end: `kmb stream` over the native protocol against a real `kmb server`, on the same port
as pgwire (the first bytes choose the protocol; docs/PROTOCOL.md).

Covers create / list / append (arguments and stdin, batches, expected offsets) / read (offsets,
--max, --json) / tail (existing then live events, Ctrl-C), exit statuses and messages for
refusals and login failures, TLS required and disabled, a pgwire client on the same port seeing
the same tenant, and kill -9 of the server under appends (KB_STREAM_KILL_ROUNDS rounds, default
10): no acknowledged event lost, none twice.
"""
import json
import os
import random
import re
import signal
import subprocess
import time

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


def test_tail_prints_existing_then_new_events_until_interrupted(server):
    kmb_stream(server, "create", "live")
    kmb_stream(server, "append", "live", "old-1", "old-2")
    env = dict(os.environ, KMB_PASSWORD=ADMIN_PASSWORD)
    tail = subprocess.Popen(
        [KMB, "stream", "tail", "live", "--json", "--server", f"127.0.0.1:{server.port}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = [json.loads(tail.stdout.readline()) for _ in range(2)]
        assert [e["data"] for e in first] == ["old-1", "old-2"]
        kmb_stream(server, "append", "live", "new-1", "new-2", "new-3")
        later = [json.loads(tail.stdout.readline()) for _ in range(3)]
        assert [e["offset"] for e in later] == [2, 3, 4]
        assert [e["data"] for e in later] == ["new-1", "new-2", "new-3"]
    finally:
        tail.send_signal(signal.SIGINT)
        code = tail.wait(30)
    assert code == 0, tail.stderr.read()


def test_kill_9_mid_append_loses_no_acknowledged_event(tmp_path):
    """Rounds of: a `kmb stream append` of numbered events, one append each; kill -9 of the
    server at a random moment; restart. Every event the client reported durable is there, in
    order, and none twice (retries after the dropped connection carried the same idempotency
    id)."""
    rounds = int(os.environ.get("KB_STREAM_KILL_ROUNDS", "10"))
    rng = random.Random(int(os.environ.get("KB_STREAM_KILL_SEED", "7")))
    running = KmbServer(str(tmp_path)).start()
    kmb_stream(running, "create", "ledger")
    written = 0
    try:
        for round_number in range(rounds):
            count = 400
            lines = "".join(f"{written + i}\n" for i in range(count))
            env = dict(os.environ, KMB_PASSWORD=ADMIN_PASSWORD)
            appender = subprocess.Popen(
                [KMB, "stream", "append", "ledger", "--batch", "1", "--json",
                 "--server", f"127.0.0.1:{running.port}", "--tls", "disable"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, env=env)
            appender.stdin.write(lines)
            appender.stdin.close()
            time.sleep(rng.uniform(0.05, 0.6))
            running.kill()
            err = appender.stderr.read()
            appender.wait(120)
            if appender.returncode == 0:
                acknowledged = count  # it finished before the kill
            else:
                match = re.search(r"(\d+) events were appended \(durable\)", err)
                acknowledged = int(match.group(1)) if match else 0
            running.start()
            print(f"round {round_number}: {acknowledged} of {count} acknowledged")
            read = kmb_stream(running, "read", "ledger", "--json")
            values = [int(json.loads(line)["data"]) for line in read.stdout.splitlines()]
            assert len(values) == len(set(values)), f"round {round_number}: an event twice"
            assert values == sorted(values), f"round {round_number}: out of order"
            expected = list(range(written, written + acknowledged))
            assert set(expected) <= set(values), (
                f"round {round_number}: acknowledged events lost "
                f"({sorted(set(expected) - set(values))[:5]}...)")
            # What was not acknowledged may or may not be there; the next round goes on after it.
            written = (max(values) + 1) if values else 0
    finally:
        running.stop()
