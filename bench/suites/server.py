"""The server (`kmb server`) beside PostgreSQL 15, both driven by pgbench over loopback TCP.

The suite starts both servers itself on scratch data directories in the run's scratch
directory, on free loopback ports:

* `kmb server` (the build's kmb, one replica): a commit is acknowledged once fsync'd (group
  commit), as always.
* PostgreSQL 15 (/usr/lib/postgresql/15/bin, KB_PG_BIN overrides): a fresh initdb, its default
  settings — fsync on, synchronous_commit on, full_page_writes on, shared_buffers 128MB — only
  the port, listen_addresses=127.0.0.1 and the socket directory set. initdb and postgres refuse
  to run as root, so as root they run as the `postgres` user (runuser), as tests/sql/pg_server.py
  does.

Workloads (pgbench custom scripts, `-M prepared`, `-n`, sslmode=disable on both):

1. single-row INSERT: `INSERT INTO bench_insert VALUES (:id, :client_id, :v, '<64 chars>')`,
   ids random in [1, 9e18] (no sequence, no collisions in practice), each its own transaction.
2. SELECT by primary key: `SELECT v, pad FROM bench_kv WHERE id = :id` over 100,000 rows
   loaded with COPY (PostgreSQL then VACUUM ANALYZEd).

each at 1 and 16 clients (-j 1 and -j 2: the machine has two cores), `-T SECONDS` per run;
runs alternate between the two servers, and each row is the median over ctx.repetitions runs.
tps excludes connection time (pgbench's "without initial connection time").

Targets (issue 7): INSERT >= 1.5x PostgreSQL at 16 clients; SELECT by PK >= 1.0x at 16
clients; the 1-client rows are reported against 1.0x. Quick mode (CTest smoke) runs a few
transactions per client once; its numbers mean nothing.
"""
import json
import os
import pathlib
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time

PG_BIN = pathlib.Path(os.environ.get("KB_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_NAME = "PostgreSQL 15 (fsync, synchronous_commit on)"
KMB_PASSWORD = "bench-password"
PAD = "p" * 64
SELECT_ROWS = 100_000
SECONDS = 5

WORKLOADS = {
    "insert": ("\\set id random(1, 9000000000000000000)\n"
               "\\set v random(1, 1000000)\n"
               f"INSERT INTO bench_insert VALUES (:id, :client_id, :v, '{PAD}');\n"),
    "select": None,  # filled in with the row count in run()
}
TARGETS = {("insert", 16): 1.5, ("select", 16): 1.0, ("insert", 1): 1.0, ("select", 1): 1.0}
LABELS = {"insert": "single-row INSERT", "select": "SELECT by primary key"}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Kmb:
    """`kmb server` on a scratch data directory, port 0 (the ready log line says which)."""

    def __init__(self, ctx):
        self.root = ctx.tmp / "kmb"
        self.root.mkdir()
        self.lines = []
        env = dict(os.environ, KMB_ADMIN_PASSWORD=KMB_PASSWORD)
        self.process = subprocess.Popen(
            [str(ctx.find_binary("kmb")), "server", "--data-dir", str(self.root / "data"),
             "--key-dir", str(self.root / "keys"), "--listen", "127.0.0.1:0",
             "--http-listen", "off", "--log-format", "json", "--max-connections", "64"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        ready = threading.Event()
        self.port = None

        def read_log():
            for line in self.process.stderr:
                self.lines.append(line.rstrip())
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "ready":
                    self.port = int(event["listen"].rsplit(":", 1)[1])
                    ready.set()

        threading.Thread(target=read_log, daemon=True).start()
        deadline = time.monotonic() + 60
        while not ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("kmb server did not start:\n" + "\n".join(self.lines))

    def dsn(self):
        return (f"host=127.0.0.1 port={self.port} user=admin password='{KMB_PASSWORD}' "
                "dbname=default sslmode=disable")

    def pgbench_args(self):
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "admin", "default"]

    def env(self):
        return {"PGPASSWORD": KMB_PASSWORD, "PGSSLMODE": "disable"}

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(120)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Postgres:
    """PostgreSQL 15 with its default durability, initdb'd into the scratch directory."""

    def __init__(self, ctx):
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL 15 binaries not found in {PG_BIN} "
                               "(scripts/install-deps.sh installs postgresql-15)")
        self.as_postgres = os.geteuid() == 0
        self.root = ctx.tmp / "pg"
        self.root.mkdir()
        if self.as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chmod(ctx.tmp, 0o711)  # the postgres user must reach its directory
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.started = False
        self._run([PG_BIN / "initdb", "-D", self.data, "-E", "UTF8", "--locale=C", "-A",
                   "trust", "-U", "postgres", "--no-instructions"], "initdb")
        for attempt in range(5):  # another process may take the port between probe and bind
            self.port = free_port()
            options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            try:
                self._run([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "120",
                           "-o", options, "start"], "pg_ctl start")
                self.started = True
                break
            except RuntimeError:
                if attempt == 4:
                    raise
        settings = self.query("SELECT name || '=' || setting FROM pg_settings WHERE name IN "
                              "('fsync', 'synchronous_commit', 'full_page_writes', "
                              "'shared_buffers', 'wal_sync_method')")
        print("  PostgreSQL settings: " + ", ".join(settings), flush=True)

    def _run(self, argv, what):
        argv = [str(part) for part in argv]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        result = subprocess.run(argv, capture_output=True, text=True, cwd="/tmp", timeout=300)
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{what} failed: {result.stderr}{result.stdout}\n{tail}")
        return result.stdout

    def dsn(self):
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres sslmode=disable"

    def query(self, sql):
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            return [row[0] for row in conn.execute(sql)]

    def pgbench_args(self):
        return ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "postgres"]

    def env(self):
        return {"PGSSLMODE": "disable"}

    def stop(self):
        if self.started:
            try:
                self._run([PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "-t", "120",
                           "stop"], "pg_ctl stop")
            except RuntimeError as error:
                print(f"  {error}", flush=True)
            self.started = False


def load(server, rows, is_postgres):
    import psycopg

    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_insert (id bigint PRIMARY KEY, client int NOT NULL, "
                     "v bigint NOT NULL, pad text NOT NULL)")
        conn.execute("CREATE TABLE bench_kv (id int PRIMARY KEY, v bigint NOT NULL, "
                     "pad text NOT NULL)")
        with conn.cursor().copy("COPY bench_kv (id, v, pad) FROM STDIN") as copy:
            for key in range(1, rows + 1):
                copy.write_row((key, key * 7, PAD))
        if is_postgres:
            conn.execute("VACUUM ANALYZE bench_kv")
        assert conn.execute("SELECT count(*) FROM bench_kv").fetchone() == (rows,)


def pgbench(ctx, server, script_path, clients, duration_args):
    argv = ["pgbench", "-n", "-M", "prepared", "-f", str(script_path), "-c", str(clients),
            "-j", str(min(clients, 2)), *duration_args, *server.pgbench_args()]
    env = dict(os.environ, **server.env())
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"pgbench failed ({result.returncode}): {' '.join(argv)}\n"
                           f"{result.stdout}\n{result.stderr}")
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if tps is None or (failed and int(failed.group(1)) != 0):
        raise RuntimeError(f"pgbench reported failures or no tps:\n{result.stdout}")
    return float(tps.group(1))


def run(ctx):
    if shutil.which("pgbench") is None:
        raise RuntimeError("pgbench is not installed (postgresql-client)")
    rows = 1_000 if ctx.quick else SELECT_ROWS
    duration = ["-t", "20"] if ctx.quick else ["-T", str(SECONDS)]
    scripts = {}
    for name, text in WORKLOADS.items():
        if text is None:
            text = f"\\set id random(1, {rows})\nSELECT v, pad FROM bench_kv WHERE id = :id;\n"
        scripts[name] = ctx.tmp / f"{name}.sql"
        scripts[name].write_text(text)
        os.chmod(scripts[name], 0o644)

    kmb = postgres = None
    try:
        kmb = Kmb(ctx)
        postgres = Postgres(ctx)
        load(kmb, rows, False)
        load(postgres, rows, True)
        engines = {"kmb": kmb, "pg": postgres}
        results = {}
        configs = [(workload, clients) for workload in ("insert", "select") for clients in (1, 16)]
        for repetition in range(ctx.repetitions):
            # Alternate which server goes first, so slow phases of the disk hit both alike.
            order = ["kmb", "pg"] if repetition % 2 == 0 else ["pg", "kmb"]
            for workload, clients in configs:
                for engine in order:
                    tps = pgbench(ctx, engines[engine], scripts[workload], clients, duration)
                    results.setdefault((engine, workload, clients), []).append(tps)
        for workload, clients in configs:
            ours = results[("kmb", workload, clients)]
            peer = results[("pg", workload, clients)]
            print(f"  {workload} x{clients}: kmb " + ", ".join(f"{t:,.0f}" for t in ours) +
                  " | PostgreSQL " + ", ".join(f"{t:,.0f}" for t in peer) + " tps", flush=True)
            ctx.compare(f"pgbench {LABELS[workload]}, {clients} client{'s' * (clients > 1)}",
                        statistics.median(ours), statistics.median(peer), PG_NAME, "tps",
                        TARGETS[(workload, clients)])
    finally:
        if kmb is not None:
            kmb.stop()
        if postgres is not None:
            postgres.stop()
