"""The native protocol (issue 8): durable appends over kb::Client against `kmb server`, beside the
embedded database's append rate and PostgreSQL 15 taking the same bytes as 100-row INSERT
transactions, all in one run.

* ours: bench/native_append_load.cc (kb_native_append_load) — 16 client threads, each with its
  own connection and stream, appending batches of 1 or 100 events of 100 bytes for SECONDS;
  events acknowledged durable per second. The server is `kmb server` (started as the server
  suite starts it: scratch data directory, loopback, TLS off for both sides), a fresh one for
  each repetition, which runs batch 100 first.
* embedded: BM_EmbeddedDurableAppends/threads:16 (one event per append) and
  BM_EmbeddedDurableBatchAppends/100/threads:16 (src/db/durable_write_bench.cc), the same
  appends through the Database API in process, each run SECONDS long on a fresh database: the
  same duration and starting state as a native batch-100 run.
* PostgreSQL 15 (default durability, started by the server suite's Postgres class): pgbench, 16
  clients, a script of one INSERT of 100 rows of a 100-character payload into a table with a
  bigserial key, each its own transaction; rows per second = tps x 100.

Targets (issue 8): batch 100 >= 0.5x embedded; batch 100 >= 2x PostgreSQL's rows/s; and at least
100,000 events/s absolute at batch 100 (printed, and in docs/PERFORMANCE.md). Batch 1 is
reported against the embedded single-event rate (goal 0.5x), one append at a time per client
and with 16 in flight per client (--pipeline 16: the server answers appends as they become
durable, so one connection's appends share group commits). Medians over ctx.repetitions runs;
quick mode (CTest smoke) runs one short round, its numbers mean nothing.
"""
import importlib.util
import json
import os
import pathlib
import shutil
import statistics
import subprocess

SECONDS = 5
CLIENTS = 16
PIPELINE = 16  # appends in flight per client for the pipelined batch-1 run
PAYLOAD = "e" * 100


def server_suite():
    path = pathlib.Path(__file__).with_name("server.py")
    spec = importlib.util.spec_from_file_location("suite_server_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ScratchContext:
    """`ctx` with a scratch directory of this suite's own: the server suite's helpers make
    fixed names (kmb/, pg/) in ctx.tmp, which the server suite uses too in the same run."""

    def __init__(self, ctx, name):
        self._ctx = ctx
        self.tmp = ctx.tmp / name
        self.tmp.mkdir(exist_ok=True)
        os.chmod(ctx.tmp, 0o711)  # PostgreSQL's user must reach through it, as server.py does

    def __getattr__(self, attribute):
        return getattr(self._ctx, attribute)


def native_load(ctx, kmb, batch, seconds, pipeline=1):
    env = dict(os.environ, KMB_PASSWORD=kmb.env()["PGPASSWORD"])
    argv = [str(ctx.find_binary("kb_native_append_load")), "--server",
            f"127.0.0.1:{kmb.port}", "--tls", "disable", "--clients", str(CLIENTS),
            "--batch", str(batch), "--seconds", str(seconds), "--pipeline", str(pipeline)]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"kb_native_append_load failed: {result.stderr}")
    return json.loads(result.stdout)["events_per_second"]


def run(ctx):
    helpers = server_suite()
    seconds = 1 if ctx.quick else SECONDS
    duration = ["-t", "5"] if ctx.quick else ["-T", str(SECONDS)]
    script = ctx.tmp / "insert100.sql"
    values = ", ".join([f"('{PAYLOAD}')"] * 100)
    script.write_text(f"INSERT INTO bench_events (payload) VALUES {values};\n")
    os.chmod(script, 0o644)

    # The embedded reference runs as long as each native run, on a fresh database each time,
    # as each native batch-100 run does (a fresh server per repetition, below): the disk slows
    # under sustained writes and a growing store, so unequal durations or data would compare
    # the disk's phases, not the two paths.
    extra = [] if ctx.quick else [f"--benchmark_min_time={SECONDS}"]
    env = {"KB_DB_BENCH_DIR": ctx.tmp}
    embedded = ctx.gbench("kb_db_bench", "^BM_EmbeddedDurable(Batch)?Appends/", extra_args=extra,
                          env=env)
    embedded_single = ctx.metric(embedded, "BM_EmbeddedDurableAppends/real_time/threads:16")
    embedded_batch = ctx.metric(embedded, "BM_EmbeddedDurableBatchAppends/100/real_time/threads:16")

    kmb = postgres = None
    try:
        postgres = helpers.Postgres(ScratchContext(ctx, "native-pg"))
        import psycopg
        with psycopg.connect(postgres.dsn(), autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_events (id bigserial PRIMARY KEY, payload text)")
        results = {"batch1": [], "batch1_pipeline16": [], "batch100": [], "pg": []}
        for repetition in range(ctx.repetitions):
            # A fresh server each repetition, batch 100 first (see the embedded reference).
            scratch = ScratchContext(ctx, f"native-{repetition}")
            kmb = helpers.Kmb(scratch)
            results["batch100"].append(native_load(ctx, kmb, 100, seconds))
            results["batch1"].append(native_load(ctx, kmb, 1, seconds))
            results["batch1_pipeline16"].append(native_load(ctx, kmb, 1, seconds, PIPELINE))
            kmb.stop()
            kmb = None
            shutil.rmtree(scratch.tmp, ignore_errors=True)
            tps = helpers.pgbench(ctx, postgres, script, CLIENTS, duration)
            results["pg"].append(tps * 100)
        for name, values in results.items():
            print(f"  {name}: " + ", ".join(f"{v:,.0f}" for v in values) + " events/s",
                  flush=True)
        batch1 = statistics.median(results["batch1"])
        batch1_pipelined = statistics.median(results["batch1_pipeline16"])
        batch100 = statistics.median(results["batch100"])
        pg_rows = statistics.median(results["pg"])
        ctx.compare("native appends, 16 clients, batch 100 vs embedded", batch100, embedded_batch,
                    "Database::append, 16 threads, batch 100", "events/s", 0.5)
        ctx.compare("native appends, 16 clients, batch 1 vs embedded", batch1, embedded_single,
                    "Database::append, 16 threads, 1 event", "events/s", 0.5)
        ctx.compare(f"native appends, 16 clients, batch 1, {PIPELINE} in flight each vs embedded",
                    batch1_pipelined, embedded_single, "Database::append, 16 threads, 1 event",
                    "events/s", 0.5)
        ctx.compare("native appends, 16 clients, batch 100 vs pgbench 100-row INSERTs", batch100,
                    pg_rows, helpers.PG_NAME + ", rows/s", "events/s", 2.0)
        print(f"  absolute: {batch100:,.0f} events/s at batch 100 (target 100,000)", flush=True)
    finally:
        if kmb is not None:
            kmb.stop()
        if postgres is not None:
            postgres.stop()
