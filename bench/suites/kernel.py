"""Replay: the kernel applying logged ops (src/kernel/kernel.h) as recovery replays them, in
kb_kernel_bench (src/kernel/apply_bench.cc). The ops are decoded and in memory before the
timing starts (no log IO); the kernel publishes every 64 ops, as the engine does once per loop
turn; the store is in memory and not checkpointed while timed.

1. Stream appends: one tenant, 16 streams in turn, one event of 100 B per op. Ops per second
   against issue 4's target of 200,000.
2. Row transactions: ops of 10 rows into a table (bigint key, 40-byte text, bigint column with a
   secondary index): inserts of new rows, and updates of random rows of a 100,000-row table
   that change the indexed column. Row versions per second as ApplyResult counts them (an
   insert creates one, an update ends one and creates one) against the target of 100,000.
   Printed beside them, for context: SQLite applying the same changes with prepared statements
   (one transaction per op, INTEGER PRIMARY KEY and an index on the column, in-memory database,
   so no IO on either side). Apply does more per row than SQLite does: it checks every image
   against its table, keeps every version (an update moves the old one into history, in the
   index too), and adds two to four entries to the state hash (2 KiB of BLAKE3 output each).

Rates are per second of CPU time on the one thread that applies. Quick mode (CTest smoke) runs
everything once; its numbers mean nothing.
"""

BINARY = "kb_kernel_bench"


def run(ctx):
    extra = [] if ctx.quick else ["--benchmark_min_time=2"]
    results = ctx.gbench(BINARY, "^BM_(ReplayAppends|ReplayRows|SqliteRows)/", extra_args=extra)

    appends = ctx.metric(results, "BM_ReplayAppends/100", "items_per_second")
    ctx.compare("replay: stream appends, 1 event of 100 B per op", appends, 200_000,
                "issue 4 target", "ops/s", 1.0)

    for kind, label in (("0", "inserts"), ("1", "updates of an indexed column")):
        ours = ctx.metric(results, f"BM_ReplayRows/update:{kind}/rows:10",
                          "row_versions_per_second")
        sqlite = ctx.metric(results, f"BM_SqliteRows/update:{kind}/rows:10",
                        "row_versions_per_second")
        ctx.compare(f"replay: 10-row transactions, {label}, one secondary index", ours, 100_000,
                    "issue 4 target", "row versions/s", 1.0)
        print(f"  (SQLite in memory, same changes: {sqlite:,.0f} row versions/s; "
              f"apply is {ours / sqlite:.2f}x of it)", flush=True)
