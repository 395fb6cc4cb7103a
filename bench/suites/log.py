"""The log (src/storage/log.h) on real files beside SQLite, dd and openssl, in one run on the
same file system (everything is written under the run's scratch directory).

1. Concurrent appends. BM_LogConcurrentAppends/<policy>/16 (src/storage/log_bench.cc): 16
   appenders each keep one single-record append in flight (100 B payload, sealed when the
   append is submitted as a task through the event loop; the next one is submitted once the
   log acknowledges the previous one durable). Records acknowledged per second of wall time,
   group_commit vs every_record. The repetitions of the two are interleaved at random so slow
   phases of the disk hit both alike.
   Peer: kb_sqlite_commit_bench (bench/sqlite_commit_bench.cc): 16 threads, each with its own
   connection, WAL + synchronous=FULL, busy_timeout, single-row autocommit INSERTs of a 100 B
   blob; committed rows per second. Half of its runs go before the log's and half after.
2. 1 MiB encrypted appends. BM_LogEncrypted1MiB/<policy>/4: each append() is one record
   with a 1 MiB payload, sealed (AES-256-GCM, SHA-256 digest, CRC32C) inside the timed loop on
   a sealing thread that hands records to the loop in order; 4 appends in flight (being
   sealed, queued or flushed). Payload MB/s acknowledged, group_commit (the target row) and
   every_batch (every append gets its own write + fdatasync). group_commit_zero_filled/4 (every
   segment zero-filled ahead, as the log did before it learned to skip that for big flushes)
   is printed for reference.
   Peer: `dd if=/dev/zero of=F bs=1M count=256 oflag=direct,dsync` (a new file each run).
   dd and the log take turns: each round runs dd once and each benchmark once (0.3 s), and
   one more dd closes; medians over the rounds.
3. Verification. `kmb verify --data-dir D` (wall clock, whole process) over logs of >= 50 MB
   made by kb_make_test_log (ops with 100 B and 4 KiB payloads, an attestation and one
   co-signature every 10,000 ops, 16 MiB segments). MB = bytes of the records verified (headers
   and sealed payloads; the zero tails of preallocated segments are not counted).
   Peer: `openssl speed -evp sha256 -bytes <mean record size> -seconds 1` (bytes per second of
   user CPU time; kmb verify gets no such discount).

Quick mode (CTest smoke) uses tiny sizes and one run; its numbers mean nothing.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import time

BINARY = "kb_storage_bench"
PAYLOAD_BYTES = 100
APPENDERS = 16
RECORD_OVERHEAD = 152 + 16  # header + AEAD tag
ATTEST_EVERY = 10000
VERIFY_PAYLOADS = [100, 4096]


def result(results: dict, name: str, key: str) -> float:
    if name not in results:
        raise KeyError(f"{name} missing from {BINARY} output (have {sorted(results)})")
    entry = results[name]
    if entry.get("error_occurred"):
        raise RuntimeError(f"{name} failed: {entry.get('error_message')}")
    return float(entry[key])


def sqlite_rows_per_second(ctx, runs: int, seconds: float) -> list:
    binary = str(ctx.find_binary("kb_sqlite_commit_bench"))
    rates = []
    for _ in range(runs):
        db = ctx.tmp / "sqlite-commit.db"
        for suffix in ["", "-wal", "-shm"]:
            db.with_name(db.name + suffix).unlink(missing_ok=True)
        out = json.loads(ctx.run([binary, "--db", str(db), "--threads", str(APPENDERS),
                                  "--seconds", str(seconds),
                                  "--payload-bytes", str(PAYLOAD_BYTES)]))
        rates.append(float(out["rows_per_second"]))
    for suffix in ["", "-wal", "-shm"]:
        (ctx.tmp / ("sqlite-commit.db" + suffix)).unlink(missing_ok=True)
    return rates


def concurrent_appends(ctx, env):
    sqlite_seconds = 0.2 if ctx.quick else 3.0
    first = (ctx.repetitions + 1) // 2
    sqlite = sqlite_rows_per_second(ctx, first, sqlite_seconds)
    extra = [] if ctx.quick else ["--benchmark_enable_random_interleaving=true",
                                  "--benchmark_min_time=1.5"]
    results = ctx.gbench(
        BINARY, f"^BM_LogConcurrentAppends/(group_commit|every_record)/{APPENDERS}/real_time$",
        extra_args=extra, env=env)
    sqlite += sqlite_rows_per_second(ctx, ctx.repetitions - first, sqlite_seconds)
    name = "BM_LogConcurrentAppends/{}/%d/real_time" % APPENDERS
    group = result(results, name.format("group_commit"), "items_per_second")
    every = result(results, name.format("every_record"), "items_per_second")
    per_flush = result(results, name.format("group_commit"), "records_per_flush")
    print(f"  (group_commit carried {per_flush:.2f} records per flush; SQLite runs: "
          + ", ".join(f"{r:,.0f}" for r in sqlite) + " rows/s)")
    ctx.compare(f"{APPENDERS} appenders x 100 B: group_commit vs every_record", group, every,
                "log every_record", "records/s", 8)
    ctx.compare(f"{APPENDERS} appenders x 100 B: group_commit vs SQLite", group,
                statistics.median(sqlite), "SQLite WAL+FULL, 16 threads", "records/s", 4)


def dd_mb_per_second(ctx, mib: int) -> float:
    """MB/s of one `dd oflag=direct,dsync bs=1M` run writing a new file."""
    target = ctx.tmp / "dd-1m.out"
    target.unlink(missing_ok=True)
    start = time.perf_counter()
    ctx.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mib}",
             "oflag=direct,dsync", "status=none"])
    rate = mib * (1 << 20) / (time.perf_counter() - start) / 1e6
    target.unlink(missing_ok=True)
    return rate


def gbench_once(ctx, filter_regex: str, env: dict) -> dict:
    """One run (no repetitions) of each matching benchmark: {name: result}."""
    argv = [str(ctx.find_binary(BINARY)), f"--benchmark_filter={filter_regex}",
            "--benchmark_format=json", "--benchmark_enable_random_interleaving=true",
            f"--benchmark_min_time={0.01 if ctx.quick else 0.3}"]
    full_env = dict(os.environ)
    full_env.update({k: str(v) for k, v in env.items()})
    out = subprocess.run(argv, check=True, capture_output=True, text=True, env=full_env).stdout
    return {entry["run_name"]: entry for entry in json.loads(out)["benchmarks"]}


def encrypted_1mib(ctx, env):
    # This VM's disk alternates between bursts (dd ~1.5-2 GB/s) and long throttled stretches
    # (~0.3 GB/s), switching within a run: so dd and the log take turns, one run each per
    # round, instead of all of one and then all of the other.
    mib = 8 if ctx.quick else 256
    policies = ["group_commit", "every_batch", "group_commit_zero_filled"]
    name = "BM_LogEncrypted1MiB/{}/4/real_time"
    dd = []
    runs = {policy: [] for policy in policies}
    for _ in range(ctx.repetitions):
        dd.append(dd_mb_per_second(ctx, mib))
        results = gbench_once(ctx, "^BM_LogEncrypted1MiB/(" + "|".join(policies) + ")/4/", env)
        for policy in policies:
            runs[policy].append(results[name.format(policy)])
    dd.append(dd_mb_per_second(ctx, mib))
    peer = statistics.median(dd)

    def median_of(policy, key):
        values = []
        for entry in runs[policy]:
            if entry.get("error_occurred"):
                raise RuntimeError(f"{name.format(policy)} failed: {entry.get('error_message')}")
            values.append(float(entry[key]))
        return statistics.median(values)

    for policy in policies:
        rates = [float(entry["bytes_per_second"]) / 1e6 for entry in runs[policy]]
        print(f"  ({policy}: " + ", ".join(f"{r:,.0f}" for r in rates) + " MB/s; "
              f"{median_of(policy, 'records_per_flush'):.2f} records per flush, "
              f"sealer busy {median_of(policy, 'sealer_busy'):.2f})")
    print("  (dd runs: " + ", ".join(f"{r:,.0f}" for r in dd) + " MB/s)")
    for policy in ["group_commit", "every_batch"]:
        ours = median_of(policy, "bytes_per_second") / 1e6
        ctx.compare(f"1 MiB encrypted appends, {policy}, 4 in flight", ours, peer,
                    "dd bs=1M oflag=direct,dsync", "MB/s", 0.5)


def openssl_sha256(ctx, size: int) -> float:
    """Median bytes/s of `openssl speed -evp sha256 -bytes SIZE -seconds 1`."""
    runs = []
    for _ in range(ctx.repetitions):
        out = ctx.run(["openssl", "speed", "-mr", "-evp", "sha256", "-bytes", str(size),
                       "-seconds", "1"])
        # Machine-readable result: "+F:<n>:sha256:<bytes per second>".
        match = re.search(r"^\+F:\d+:[^:]+:([0-9.]+)", out, re.MULTILINE)
        if not match:
            raise ValueError(f"cannot parse openssl speed output:\n{out}")
        runs.append(float(match.group(1)))
    return statistics.median(runs)


def verify_throughput(ctx):
    kmb = str(ctx.find_binary("kmb"))
    maker = str(ctx.find_binary("kb_make_test_log"))
    log_bytes = 1 << 20 if ctx.quick else 56_000_000
    for payload in VERIFY_PAYLOADS:
        data_dir = ctx.tmp / f"verify-{payload}"
        records = log_bytes // (payload + RECORD_OVERHEAD) + 1
        # Its stdout (where every record landed) is large and not needed here.
        ctx.run([maker, "--dir", str(data_dir), "--records", str(records),
                 "--payload-bytes", str(payload), "--attest-every", str(ATTEST_EVERY),
                 "--cosigners", "1", "--segment-bytes", str(16 << 20)])
        # One run checks the log is intact and says how much it verified (and warms the cache).
        report = json.loads(ctx.run([kmb, "verify", "--data-dir", str(data_dir), "--json"]))
        if report["result"] != "intact":
            raise RuntimeError(f"kmb verify found {data_dir} damaged: {report['failure']}")
        verified = int(report["bytes"])
        if not ctx.quick and verified < 50_000_000:
            raise RuntimeError(f"the verify log holds only {verified} bytes of records")
        mean = round(verified / int(report["records"]))
        seconds = ctx.time_command([kmb, "verify", "--data-dir", str(data_dir)])
        ours = verified / seconds / 1e6
        peer = openssl_sha256(ctx, mean) / 1e6
        ctx.compare(f"kmb verify, {verified / 1e6:.0f} MB of {mean} B records", ours, peer,
                    f"openssl sha256 -bytes {mean}", "MB/s", 0.6)
        shutil.rmtree(data_dir)


def run(ctx):
    env = {"KB_LOG_BENCH_DIR": ctx.tmp}
    concurrent_appends(ctx, env)
    encrypted_1mib(ctx, env)
    verify_throughput(ctx)
