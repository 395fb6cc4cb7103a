"""Replay from the log: an engine whose store was thrown away rebuilds its state from a log of
N ops (src/db/replay_bench.cc in kb_db_bench), as recovery and `kmb rebuild` do: every record
read back verified against the chain, its payload opened (AES-256-GCM), the op decoded and
applied, then a checkpoint. The log is on the simulated disk (memory), so no device time is
included. Suite "kernel" measures apply alone on decoded ops.

1. 100,000 append ops of one 100-byte event each: ops per second, target 200,000.
2. 20,000 transactions of 10 row inserts into a table with one secondary index: row versions
   per second, target 100,000.

Quick mode (CTest smoke) runs the small sizes once; its numbers mean nothing.
"""

BINARY = "kb_db_bench"


def run(ctx):
    if ctx.quick:
        results = ctx.gbench(BINARY, "^BM_ReplayFromLog(Appends|RowInserts)/")
        appends = ctx.metric(results, "BM_ReplayFromLogAppends/2000")
        rows = ctx.metric(results, "BM_ReplayFromLogRowInserts/2000")
    else:
        results = ctx.gbench(BINARY, "^BM_ReplayFromLog(Appends|RowInserts)_large/")
        appends = ctx.metric(results, "BM_ReplayFromLogAppends_large/100000")
        rows = ctx.metric(results, "BM_ReplayFromLogRowInserts_large/200000")
    ctx.compare("replay from the log: appends, 1 event of 100 B per op", appends, 200_000,
                "issue 4 target", "ops/s", 1.0)
    ctx.compare("replay from the log: 10-row insert transactions, one secondary index", rows,
                100_000, "issue 4 target", "row versions/s", 1.0)
