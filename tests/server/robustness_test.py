"""End-to-end: `kmb server` under many connections and misbehaving clients.

* 500 psycopg connections open at once (max-connections raised to 600), each inserting and
  reading its own row; afterwards the server's threads and file descriptors go back to what
  they were (every connection's thread exited and its socket is closed).
* Clients that send garbage (before and after logging in), a truncated message and then close,
  or half a message and then wait, are dropped (or, for the stall inside a transaction, timed
  out by idle-in-transaction-timeout, set to 1 s here) while a psycopg client keeps running
  statements the whole time, and must keep making progress while each bad client is at work.

The server's thread and descriptor counts come from /proc/PID; open connections from
/metrics (`kimberlite_connections_open`).
"""
import itertools
import os
import random
import socket
import struct
import threading
import time
import urllib.request

import psycopg
import pytest

from kmb_server import KmbServer

CONNECTIONS = 500
IDLE_IN_TRANSACTION_TIMEOUT_S = 1
MAX_MESSAGE_BYTES = 1 << 20
PROTOCOL_3 = 196608
SSL_REQUEST = 80877103


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = KmbServer(str(tmp_path_factory.mktemp("kmb")), extra_args=[
        "--max-connections", str(CONNECTIONS + 100),
        "--idle-in-transaction-timeout", f"{IDLE_IN_TRANSACTION_TIMEOUT_S}s",
        "--max-message-bytes", str(MAX_MESSAGE_BYTES)]).start()
    yield running
    assert running.process.poll() is None, "kmb server died:\n" + "\n".join(running.log_lines)
    assert running.stop() == 0


def connect(server, **extra):
    return psycopg.connect(server.conninfo(connect_timeout=60, **extra), autocommit=True)


def threads_and_descriptors(server):
    pid = server.process.pid
    return len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))


def open_connections(server):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith("kimberlite_connections_open "):
                return int(float(line.split()[1]))
    raise AssertionError("kimberlite_connections_open missing from /metrics")


def wait_for(condition, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def one_query(server):
    with connect(server) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def settled_counts(server):
    """Threads and descriptors of an idle server. A connection's socket is released when the
    server reaps finished connections, which it does when it accepts the next one, so two
    short connections first leave at most the last one's socket behind."""
    one_query(server)
    one_query(server)
    wait_for(lambda: open_connections(server) == 0, what="connections to close")
    return threads_and_descriptors(server)


def test_500_concurrent_connections(server):
    with connect(server) as conn:
        conn.execute("CREATE TABLE many (id int PRIMARY KEY, note text NOT NULL)")
    base_threads, base_fds = settled_counts(server)

    barrier = threading.Barrier(CONNECTIONS + 1)
    release = threading.Event()
    errors = []
    answers = {}

    def client(i):
        try:
            with connect(server) as conn:
                barrier.wait(120)  # everyone is connected
                conn.execute("INSERT INTO many VALUES (%s, %s)", (i, f"client {i}"))
                answers[i] = conn.execute("SELECT note FROM many WHERE id = %s", (i,)).fetchone()
                release.wait(120)  # hold the connection until the counts were taken
        except Exception as error:  # noqa: BLE001 - every failure is reported below
            errors.append(f"client {i}: {error!r}")
            barrier.abort()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(180)
        wait_for(lambda: len(answers) + len(errors) == CONNECTIONS, timeout=120,
                 what="every client's statements")
        assert not errors, errors[:5]
        open_now = open_connections(server)
        threads_now, fds_now = threads_and_descriptors(server)
    finally:
        release.set()
        for worker in workers:
            worker.join(180)
    assert not errors, errors[:5]
    assert answers == {i: (f"client {i}",) for i in range(CONNECTIONS)}
    assert open_now == CONNECTIONS
    assert threads_now >= base_threads + CONNECTIONS  # a thread per connection
    assert fds_now >= base_fds - 2 + CONNECTIONS  # a socket per connection

    # Every connection's thread ends, and (after the next accept reaps them) every socket is
    # closed: the counts return to where they were.
    wait_for(lambda: open_connections(server) == 0, what="all connections to close")
    wait_for(lambda: threads_and_descriptors(server)[0] <= base_threads, timeout=30,
             what=f"threads back to {base_threads}")
    threads_after, fds_after = settled_counts(server)
    assert threads_after <= base_threads, (threads_after, base_threads)
    assert fds_after <= base_fds + 2, (fds_after, base_fds)
    with connect(server) as conn:
        assert conn.execute("SELECT count(*) FROM many").fetchone() == (CONNECTIONS,)


def test_closed_connections_release_descriptors_without_new_connections(server):
    _, base_fds = settled_counts(server)
    conns = [connect(server) for _ in range(50)]
    for conn in conns:
        conn.close()
    wait_for(lambda: open_connections(server) == 0, what="connections to close")
    time.sleep(1)
    _, fds_after = threads_and_descriptors(server)
    assert fds_after <= base_fds + 1, (fds_after, base_fds)


# --- misbehaving clients --------------------------------------------------------------------


class Background:
    """A psycopg client running statements until stopped; counts what it completed."""

    keys = itertools.count(1)  # across every test of the module: one table

    def __init__(self, server):
        self.server = server
        self.done = 0
        self.errors = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            with connect(self.server) as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS background (id int PRIMARY KEY)")
                while not self.stop.is_set():
                    key = next(Background.keys)
                    conn.execute("INSERT INTO background VALUES (%s)", (key,))
                    assert conn.execute("SELECT id FROM background WHERE id = %s",
                                        (key,)).fetchone() == (key,)
                    self.done += 1
        except Exception as error:  # noqa: BLE001
            self.errors.append(repr(error))

    def __enter__(self):
        self.thread.start()
        wait_for(lambda: self.done > 0 or self.errors, what="the background client to start")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(60)
        assert not self.errors, self.errors

    def progresses(self, seconds=0.5):
        """True when statements complete within the next `seconds` (or a little longer on a
        busy machine)."""
        before = self.done
        wait_for(lambda: self.done > before + 3 or self.errors, timeout=30 + seconds,
                 what="the background client to make progress")
        time.sleep(seconds)
        assert not self.errors, self.errors
        return self.done > before


def raw_connection(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    return sock


def logged_in_socket(server):
    """A psycopg connection (SCRAM done) and a duplicate of its socket to write raw bytes."""
    conn = connect(server)
    sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
    sock.settimeout(30)
    return conn, sock


def read_until_closed(sock):
    """Everything the server sends until it closes the connection (fails after 30 s)."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            raise AssertionError(f"the server did not close the connection; got {received!r}")
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def error_fields(data):
    """The fields of the first ErrorResponse in `data` ({'C': sqlstate, 'M': message, ...})."""
    at = 0
    while at + 5 <= len(data):
        kind = data[at:at + 1]
        length = struct.unpack("!i", data[at + 1:at + 5])[0]
        body = data[at + 5:at + 1 + length]
        if kind == b"E":
            fields = {}
            for part in body.split(b"\0"):
                if part:
                    fields[chr(part[0])] = part[1:].decode()
            return fields
        at += 1 + length
    return {}


def startup_message(user="admin", database="default", truncate_to=None):
    body = struct.pack("!i", PROTOCOL_3) + b"user\0" + user.encode() + b"\0database\0" + \
        database.encode() + b"\0\0"
    message = struct.pack("!i", len(body) + 4) + body
    return message[:truncate_to] if truncate_to is not None else message


# What is sent, and the SQLSTATE of the FATAL error the server answers before it closes.
GARBAGE_BEFORE_LOGIN = {
    "an HTTP request": (b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", "08P01"),
    "random bytes": (bytes([0xFF]) + random.Random(7).randbytes(65535), "08P01"),
    "a zero length": (b"\0" * 64, "08P01"),
    "an unknown protocol version": (struct.pack("!ii", 16, 0x00090000) + b"\0" * 8, "0A000"),
    "a startup packet without its terminator": (
        struct.pack("!ii", 12, PROTOCOL_3) + b"user", "08P01"),
}


@pytest.mark.parametrize("name", sorted(GARBAGE_BEFORE_LOGIN))
def test_garbage_before_login_is_dropped(server, name):
    with Background(server) as background:
        sock = raw_connection(server)
        garbage, sqlstate = GARBAGE_BEFORE_LOGIN[name]
        sock.sendall(garbage)
        reply = read_until_closed(sock)
        sock.close()
        assert background.progresses()
    fields = error_fields(reply)
    assert fields.get("C") == sqlstate, (name, reply[:200])
    assert fields.get("S") == "FATAL"


def test_garbage_after_tls_request_is_dropped(server):
    with Background(server) as background:
        sock = raw_connection(server)
        sock.sendall(struct.pack("!ii", 8, SSL_REQUEST))
        assert sock.recv(1) == b"S"
        sock.sendall(random.Random(3).randbytes(4096))  # not a TLS ClientHello
        read_until_closed(sock)
        sock.close()
        assert background.progresses()


GARBAGE_AFTER_LOGIN = {
    "an unknown message type": b"\x01" + struct.pack("!i", 4),
    "a length below the minimum": b"Q" + struct.pack("!i", 3),
    "a negative length": b"Q" + struct.pack("!i", -20),
    # Only the header: the server must refuse the length without waiting for the body.
    "a message over max-message-bytes": b"Q" + struct.pack("!i", 100 * MAX_MESSAGE_BYTES),
}


@pytest.mark.parametrize("name", sorted(GARBAGE_AFTER_LOGIN))
def test_garbage_after_login_is_dropped(server, name):
    with Background(server) as background:
        conn, sock = logged_in_socket(server)
        try:
            sock.sendall(GARBAGE_AFTER_LOGIN[name])
            reply = read_until_closed(sock)
        finally:
            sock.close()
            conn.close()
        assert background.progresses()
    fields = error_fields(reply)
    assert fields.get("C") == "08P01", (name, reply[:200])
    assert fields.get("S") == "FATAL"


def test_truncated_messages_then_close_free_their_connections(server):
    with Background(server) as background:
        wait_for(lambda: open_connections(server) == 1, what="only the background client")
        for _ in range(20):
            sock = raw_connection(server)
            sock.sendall(startup_message(truncate_to=11))
            sock.close()
            conn, sock = logged_in_socket(server)
            sock.sendall(b"Q" + struct.pack("!i", 1000) + b"SELECT 1; SELEC")
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
            conn.close()
        assert background.progresses()
        # Each truncated client's thread noticed the end of its stream and gave up its slot.
        wait_for(lambda: open_connections(server) == 1, what="truncated clients to be dropped")


def test_stall_during_startup_does_not_block_others(server):
    """A client that sent half its startup packet and waits holds only its own connection.
    (There is no authentication timeout yet: it is dropped when it closes.)"""
    with Background(server) as background:
        stalled = []
        for _ in range(5):
            sock = raw_connection(server)
            sock.sendall(startup_message(truncate_to=20))
            stalled.append(sock)
        tls_stall = raw_connection(server)  # TLS requested, then no handshake
        tls_stall.sendall(struct.pack("!ii", 8, SSL_REQUEST))
        assert tls_stall.recv(1) == b"S"
        stalled.append(tls_stall)
        assert background.progresses(1.0)
        one_query(server)  # new clients still get in and are served
        wait_for(lambda: open_connections(server) == 1 + len(stalled),
                 what="the stalled clients to be counted")
        for sock in stalled:
            sock.close()
        wait_for(lambda: open_connections(server) == 1, what="closed stalled clients to go")


def test_stall_mid_message_outside_a_transaction_does_not_block_others(server):
    with Background(server) as background:
        conn, sock = logged_in_socket(server)
        try:
            sock.sendall(b"Q" + struct.pack("!i", 40) + b"SELECT")
            assert background.progresses(1.0)
            one_query(server)
        finally:
            sock.close()
            conn.close()
        wait_for(lambda: open_connections(server) == 1, what="the stalled client to go")


def test_stall_mid_message_inside_a_transaction_times_out(server):
    with Background(server) as background:
        conn, sock = logged_in_socket(server)
        try:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO background VALUES (-1)")
            started = time.monotonic()
            sock.sendall(b"Q" + struct.pack("!i", 40) + b"COMMIT")
            assert background.progresses()
            reply = read_until_closed(sock)
            waited = time.monotonic() - started
        finally:
            sock.close()
            conn.close()
        assert background.progresses()
    fields = error_fields(reply)
    assert fields.get("C") == "25P03", reply
    assert waited >= IDLE_IN_TRANSACTION_TIMEOUT_S * 0.9
    with connect(server) as check:  # the transaction did not commit
        assert check.execute("SELECT count(*) FROM background WHERE id = -1").fetchone() == (0,)
