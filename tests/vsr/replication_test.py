"""Replication across processes: three kb_replica_node replicas on loopback TCP.

Writes commit; a backup is killed (kill -9) and restarted and catches up; the primary is killed
and a new view commits further writes; the old primary comes back and catches up. Throughout,
no acknowledged write is lost: every acknowledged (client, request) is applied at the position
its reply named on every replica that got that far, and replicas agree on the chain hash at
every position. Each replica prints what it applies (see replica_node.cc). Each client run
registers first (a session per client id), so each takes its own id.
"""
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

NODE = os.environ.get("KB_REPLICA_NODE", "")


def free_ports(count):
    sockets = []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class Node:
    def __init__(self, index, addresses, data_dir):
        self.index = index
        self.addresses = addresses
        self.data_dir = data_dir
        self.proc = None
        self.lock = threading.Lock()
        self.commits = {}  # position -> (client, request, chain hash)
        self.view = None
        self.status = None
        self.ready = False
        self.problems = []

    def start(self):
        self.ready = False
        self.view = None
        self.status = None
        self.proc = subprocess.Popen(
            [NODE, "replica", "--data-dir", self.data_dir, "--index", str(self.index),
             "--replicas", ",".join(self.addresses)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        wait_for(lambda: self.ready, 20, f"replica {self.index} to start")

    def _read(self, proc):
        for line in proc.stdout:
            parts = line.split()
            with self.lock:
                if parts[:1] == ["ready"]:
                    self.ready = True
                elif parts[:1] == ["view"]:
                    self.view, self.status = int(parts[1]), parts[2]
                elif parts[:1] == ["commit"]:
                    entry = (int(parts[2]), int(parts[3]), parts[4])
                    position = int(parts[1])
                    # After a restart the replica applies its log again: the same entries.
                    previous = self.commits.get(position)
                    if previous is not None and previous != entry:
                        self.problems.append(
                            f"replica {self.index} applied {entry} at {position}, "
                            f"earlier {previous}")
                    self.commits[position] = entry

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def applied(self, position):
        with self.lock:
            return position in self.commits


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def client_writes(addresses, client, first, count):
    out = subprocess.run(
        [NODE, "client", "--id", str(client), "--replicas", ",".join(addresses), "--first",
         str(first), "--count", str(count), "--timeout-ms", "60000"],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    acks = {}
    session = None
    for line in out.stdout.splitlines():
        parts = line.split()
        if parts[0] == "session":
            session = int(parts[1])
            continue
        _, request, position = parts
        acks[(client, int(request))] = int(position)
    assert session is not None and session > 0, out.stdout
    assert sorted(r for _, r in acks) == list(range(first, first + count)), out.stdout
    return acks


def check(nodes, acks, which):
    for node in nodes:
        assert not node.problems, node.problems
    for index in which:
        node = nodes[index]
        wait_for(lambda: all(node.applied(p) for p in acks.values()), 60,
                 f"replica {index} to apply every acknowledged write")
        with node.lock:
            for (client, request), position in acks.items():
                held = node.commits[position][:2]
                assert held == (client, request), (
                    f"replica {index} holds {held} at {position}, "
                    f"acknowledged for client {client} request {request}")
    positions = set().union(*(set(n.commits) for n in nodes))
    for position in positions:
        hashes = {n.commits[position][2] for n in nodes if position in n.commits}
        assert len(hashes) == 1, f"replicas disagree at position {position}"


def test_three_replicas_survive_backup_and_primary_kills():
    assert NODE, "KB_REPLICA_NODE is not set"
    with tempfile.TemporaryDirectory() as root:
        addresses = [f"127.0.0.1:{port}" for port in free_ports(3)]
        nodes = [Node(i, addresses, os.path.join(root, f"replica{i}")) for i in range(3)]
        try:
            for node in nodes:
                node.start()
            acks = client_writes(addresses, 1, 1, 20)
            check(nodes, acks, [0, 1, 2])

            # A backup dies; the other two commit on; it comes back and catches up.
            nodes[2].kill()
            acks.update(client_writes(addresses, 2, 21, 10))
            nodes[2].start()
            check(nodes, acks, [0, 1, 2])

            # The primary of view 0 dies; a new view commits further writes.
            nodes[0].kill()
            acks.update(client_writes(addresses, 3, 31, 10))
            check(nodes, acks, [1, 2])
            wait_for(lambda: all(n.view is not None and n.view >= 1 for n in nodes[1:]), 20,
                     "replicas 1 and 2 to be in a view after 0")

            # The old primary returns and catches up with the new view.
            nodes[0].start()
            acks.update(client_writes(addresses, 4, 41, 5))
            check(nodes, acks, [0, 1, 2])
            wait_for(lambda: nodes[0].status == "normal" and nodes[0].view == nodes[1].view, 20,
                     "the old primary to join the new view")
        finally:
            for node in nodes:
                if node.proc and node.proc.poll() is None:
                    node.kill()
