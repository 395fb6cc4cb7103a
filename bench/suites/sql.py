"""The SQL layer (kb::sql::Session on an embedded kb::Database) beside SQLite, both embedded in
one process (kb_sql_bench, src/sql/sql_bench.cc), on the same rows, with the same statements,
on files in the run's scratch directory.

Durability is the same on both sides: ours acknowledges a commit once it is fsync'd (the
default group commit), SQLite runs in WAL mode with synchronous=FULL (every commit syncs the
WAL); SQLite's writers use busy_timeout. Both get a 256 MiB page cache. Statements of ours run
through prepared statements when the session offers them, SQLite's through
sqlite3_prepare_v2 + bind.

1. Point SELECT by primary key: SELECT id, a, b FROM kv WHERE id = $1 (100,000 rows).
2. Single-row INSERTs from 16 concurrent sessions (ours: 16 Sessions, group commit; SQLite: 16
   threads, each its own connection): committed rows per second of wall time.
3. 100-row INSERT transactions from one session: BEGIN, 100 single-row INSERTs, COMMIT.
4. Range scan: SELECT id, a, b FROM kv WHERE id >= $1 ORDER BY id LIMIT 100 (rows/s).
5. GROUP BY over 1,000,000 rows: SELECT g, count(*), sum(x), avg(y) FROM big GROUP BY g, 100
   groups (input rows/s).

Targets: >= 1x SQLite on each (issue 5). Quick mode (CTest smoke) uses tiny sizes and one run;
its numbers mean nothing.
"""

BINARY = "kb_sql_bench"
WRITERS = 16


def run(ctx):
    rows = 2_000 if ctx.quick else 100_000
    group_rows = 2_000 if ctx.quick else 1_000_000
    env = {"KB_SQL_BENCH_DIR": ctx.tmp, "KB_SQL_BENCH_ROWS": rows,
           "KB_SQL_BENCH_GROUP_ROWS": group_rows, "KB_SQL_BENCH_WRITERS": WRITERS,
           "KB_SQL_BENCH_INSERTS_PER_WRITER": 5 if ctx.quick else 50}
    # Repetitions interleaved at random, so slow phases of the disk hit both engines alike.
    extra = [] if ctx.quick else ["--benchmark_enable_random_interleaving=true"]
    results = ctx.gbench(
        BINARY,
        "^BM_(PointSelect|RangeScan|InsertTransaction100|ConcurrentInsert|GroupBy_large)/",
        extra_args=extra, env=env)

    # Every benchmark is timed by the wall clock (ours does part of its work on the
    # database's loop thread), so its name ends in /real_time.
    def pair(name):
        return (ctx.metric(results, name.format(peer="kimberlite") + "/real_time"),
                ctx.metric(results, name.format(peer="sqlite") + "/real_time"))

    peer = "SQLite WAL, synchronous=FULL"
    ours, lite = pair("BM_PointSelect/{peer}")
    ctx.compare(f"point SELECT by primary key, {rows:,} rows", ours, lite, peer, "queries/s",
                1.0)
    ours, lite = pair("BM_ConcurrentInsert/{peer}")
    ctx.compare(f"single-row INSERT, {WRITERS} concurrent sessions", ours, lite,
                f"{peer}, {WRITERS} connections", "rows/s", 1.0)
    ours, lite = pair("BM_InsertTransaction100/{peer}")
    ctx.compare("BEGIN, 100 single-row INSERTs, COMMIT", ours, lite, peer, "rows/s", 1.0)
    ours, lite = pair("BM_RangeScan/{peer}")
    ctx.compare("range scan: WHERE id >= $1 ORDER BY id LIMIT 100", ours, lite, peer, "rows/s",
                1.0)
    ours, lite = pair("BM_GroupBy_large/{peer}")
    ctx.compare(f"GROUP BY over {group_rows:,} rows, 100 groups: count, sum, avg", ours, lite,
                peer, "rows/s", 1.0)
