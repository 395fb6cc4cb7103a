"""Durable 4 KiB appends through LinuxStorage beside `dd oflag=dsync` on the same file system.

Ours come from kb_io_bench (src/io/io_bench.cc):
  * BM_AppendSync_LinuxStorage/4096/D  one pwrite + one fdatasync per 4 KiB append, submitted
    through the Storage seam (IO thread pool, completion posted back to the event loop), with
    O_DIRECT when D = 1.
  * BM_AppendSync_RawSyscalls/4096/D   the same two system calls made directly: how much the
    seam itself costs.
The peer is `dd if=/dev/zero of=FILE bs=4k count=N oflag=dsync` (and `oflag=direct,dsync`):
every 4 KiB write is synchronous, extending the file like ours. Rates are appends per second of
wall time; both write into the run's scratch directory, so they hit the same device.
"""

BINARY = "kb_io_bench"


def dd_appends_per_second(ctx, flags: str, count: int) -> float:
    target = ctx.tmp / f"dd-{flags.replace(',', '-')}.out"
    seconds = ctx.time_command(["dd", "if=/dev/zero", f"of={target}", "bs=4k",
                                f"count={count}", f"oflag={flags}", "status=none"])
    target.unlink(missing_ok=True)
    return count / seconds


def rate(results: dict, name: str) -> float:
    if name not in results:
        raise KeyError(f"{name} missing from {BINARY} output (have {sorted(results)})")
    if results[name].get("error_occurred"):
        return 0.0
    return float(results[name]["items_per_second"])


def run(ctx):
    count = 32 if ctx.quick else 2000
    results = ctx.gbench(BINARY, "^BM_AppendSync_(LinuxStorage|RawSyscalls)/4096/[01]/real_time$",
                         env={"KB_IO_BENCH_DIR": ctx.tmp})
    for direct, flags, label in [(0, "dsync", "buffered"), (1, "direct,dsync", "O_DIRECT")]:
        ours = rate(results, f"BM_AppendSync_LinuxStorage/4096/{direct}/real_time")
        raw = rate(results, f"BM_AppendSync_RawSyscalls/4096/{direct}/real_time")
        if ours <= 0 or raw <= 0:
            print(f"  (skipped {label}: the file system refused it)")
            continue
        ctx.compare(f"4 KiB append + fdatasync, {label}", ours,
                    dd_appends_per_second(ctx, flags, count), f"dd oflag={flags}",
                    "appends/s", 0.9)
        ctx.compare(f"Storage seam overhead, {label}", ours, raw, "pwrite+fdatasync",
                    "appends/s", 0.9)
