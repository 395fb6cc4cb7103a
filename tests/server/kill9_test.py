"""End-to-end: `kill -9` of `kmb server` under a psycopg write load, then a restart on the same
data directory.

Each round starts the server, lets WRITERS threads insert rows with unique ids (single-row
autocommit INSERTs and 3-row transactions) and record every id whose commit returned, kills the
server with SIGKILL at a random moment, restarts it and checks:

* every acknowledged row is there, with its payload;
* every row there was written by some writer (acknowledged, or in flight at the kill);
* a transaction is all or nothing;
* no id twice, and the primary key and the UNIQUE secondary index both find every row.

Checkpoints are made every 100 ops, so kills also land inside checkpoints. Rounds:
KB_SERVER_KILL_ROUNDS (default 20; `make soak` raises it); the seed is printed and
KB_SERVER_KILL_SEED replays one.
"""
import os
import random
import threading
import time

import psycopg

from kmb_server import KmbServer

ROUNDS = int(os.environ.get("KB_SERVER_KILL_ROUNDS", "20"))
WRITERS = 4
TRANSACTION_ROWS = 3


def payload(key):
    return f"row {key} " + "x" * (key % 97)


class Ledger:
    """What the writers attempted and what the server acknowledged, across rounds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.attempted = set()
        self.acknowledged = set()
        self.groups = []  # the ids of each transaction attempted (all or nothing)

    def attempt(self, keys):
        with self.lock:
            self.attempted.update(keys)
            if len(keys) > 1:
                self.groups.append(tuple(keys))

    def acknowledge(self, keys):
        with self.lock:
            self.acknowledged.update(keys)


def writer(server, ledger, number, next_key, stop):
    """Writes until the connection breaks (the kill) or `stop` is set."""
    try:
        conn = psycopg.connect(server.conninfo(), autocommit=True)
    except psycopg.OperationalError:
        return  # killed before this writer got in
    try:
        step = 0
        while not stop.is_set():
            step += 1
            count = TRANSACTION_ROWS if step % 3 == 0 else 1
            keys = [next_key() for _ in range(count)]
            ledger.attempt(keys)
            if count == 1:
                conn.execute("INSERT INTO acked VALUES (%s, %s, %s, %s)",
                             (keys[0], number, f"t{keys[0]}", payload(keys[0])))
            else:
                with conn.transaction():
                    for key in keys:
                        conn.execute("INSERT INTO acked VALUES (%s, %s, %s, %s)",
                                     (key, number, f"t{key}", payload(key)))
            ledger.acknowledge(keys)  # the commit returned: this must survive
    except psycopg.Error:
        pass  # the server is gone
    finally:
        try:
            conn.close()
        except psycopg.Error:
            pass


def check(server, ledger, rng):
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        rows = conn.execute("SELECT id, token, payload FROM acked").fetchall()
        keys = [row[0] for row in rows]
        present = set(keys)
        assert len(keys) == len(present), "an id appears twice"
        missing = ledger.acknowledged - present
        assert not missing, f"{len(missing)} acknowledged rows lost, e.g. {sorted(missing)[:10]}"
        unknown = present - ledger.attempted
        assert not unknown, f"rows nobody wrote: {sorted(unknown)[:10]}"
        for key, token, text in rows:
            assert (token, text) == (f"t{key}", payload(key)), f"row {key} is damaged"
        for group in ledger.groups:
            there = [key in present for key in group]
            assert all(there) or not any(there), f"transaction {group} is partly there: {there}"
        assert conn.execute("SELECT count(*) FROM acked").fetchone() == (len(present),)
        # The primary key and the secondary index find what the scan found.
        for key in rng.sample(sorted(present), min(50, len(present))):
            assert conn.execute("SELECT payload FROM acked WHERE id = %s",
                                (key,)).fetchone() == (payload(key),)
            assert conn.execute("SELECT id FROM acked WHERE token = %s",
                                (f"t{key}",)).fetchone() == (key,)
        return len(present)


def test_acknowledged_rows_survive_kill_9(tmp_path):
    seed = int(os.environ.get("KB_SERVER_KILL_SEED", str(random.SystemRandom().randrange(1 << 32))))
    print(f"KB_SERVER_KILL_SEED={seed} KB_SERVER_KILL_ROUNDS={ROUNDS}")
    rng = random.Random(seed)
    ledger = Ledger()
    counter = iter(range(1, 1 << 62))
    counter_lock = threading.Lock()

    def next_key():
        with counter_lock:
            return next(counter)

    def start():
        return KmbServer(str(tmp_path), extra_args=["--checkpoint-every-ops", "100"]).start()

    server = start()
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE acked (id bigint PRIMARY KEY, writer int NOT NULL, "
                     "token text NOT NULL UNIQUE, payload text NOT NULL)")
    for round_number in range(ROUNDS):
        if round_number > 0:
            server = start()
            rows = check(server, ledger, rng)
            print(f"round {round_number}: {rows} rows after restart, "
                  f"{len(ledger.acknowledged)} acknowledged")
        stop = threading.Event()
        writers = [threading.Thread(target=writer, args=(server, ledger, n, next_key, stop))
                   for n in range(WRITERS)]
        for thread in writers:
            thread.start()
        # Kill at a random moment once the load is running (some rounds very early).
        acked_before = len(ledger.acknowledged)
        deadline = time.monotonic() + 30
        while len(ledger.acknowledged) < acked_before + rng.choice([1, 20, 100]) and \
                time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.6))
        assert server.kill() == -9
        stop.set()
        for thread in writers:
            thread.join(60)
            assert not thread.is_alive()
    server = start()
    try:
        rows = check(server, ledger, rng)
        print(f"final: {rows} rows, {len(ledger.acknowledged)} acknowledged of "
              f"{len(ledger.attempted)} attempted")
        assert len(ledger.acknowledged) > ROUNDS  # the load really ran
    finally:
        assert server.stop() == 0
