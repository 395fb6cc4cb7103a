"""Replication (issue 6): the embedded database's durable writes, which run through a
one-replica VSR cluster (src/vsr/replica.h) above the log, against the raw log's append rate in
the same run on the same file system.

BM_EmbeddedDurableAppends/threads:16 (src/db/durable_write_bench.cc): 16 threads each append one
100-byte event per Database::append (admission, sealing, the replica's pipeline, group commit,
apply, publish). BM_LogConcurrentAppends/group_commit/16 (src/storage/log_bench.cc): 16
single-record appends of a 100-byte payload kept in flight on the bare log. Events (records)
acknowledged durable per second; the ratio says what the layers above the log cost (our goal:
at least half the raw rate; the issue asks for the figure, not a target).

Quick mode (CTest smoke) runs each once; its numbers mean nothing.
"""


def run(ctx):
    env = {"KB_DB_BENCH_DIR": ctx.tmp, "KB_LOG_BENCH_DIR": ctx.tmp}
    extra = [] if ctx.quick else ["--benchmark_min_time=1"]
    embedded = ctx.gbench("kb_db_bench", "^BM_EmbeddedDurableAppends/", extra_args=extra,
                          env=env)
    raw = ctx.gbench("kb_storage_bench", "^BM_LogConcurrentAppends/group_commit/16/",
                     extra_args=extra, env=env)
    ours = ctx.metric(embedded, "BM_EmbeddedDurableAppends/real_time/threads:16")
    peer = ctx.metric(raw, "BM_LogConcurrentAppends/group_commit/16/real_time")
    ctx.compare("durable 100 B appends, 16 in flight: one-replica cluster vs raw log", ours,
                peer, "Log::append, group commit", "events/s", 0.5)
