"""BLAKE3 over one large input beside the reference implementation's `b3sum`.

Ours: BM_Blake3Large from kb_crypto_bench (src/crypto/blake3_bench.cc), one-shot blake3() of
an in-memory buffer of KB_BLAKE3_BENCH_BYTES bytes on the automatically chosen back end
(bytes per second of wall-clock time, median of the repetitions).

Peer: `b3sum --num-threads 1 FILE` on a file of the same size in the scratch directory (the
Rust reference implementation with its own SIMD, AVX-512 where the CPU has it; single
thread so both sides use one core). Its time is wall-clock for the whole process, which
includes start-up and mapping the file from the page cache; a warm-up run first puts the
file in the page cache. 1 GiB in full runs (the process overheads are then ~1%), 16 MiB in
the smoke run.
"""
import shutil

FULL_BYTES = 1 << 30
QUICK_BYTES = 16 << 20
BINARY = "kb_crypto_bench"


def write_file(path, size: int):
    # Content does not change BLAKE3's speed; a repeating non-trivial pattern is enough.
    block = bytes((i * 131 + 7) & 0xFF for i in range(1 << 20))
    with open(path, "wb") as out:
        written = 0
        while written < size:
            piece = block[: min(len(block), size - written)]
            out.write(piece)
            written += len(piece)


def run(ctx):
    b3sum = shutil.which("b3sum")
    if b3sum is None:
        raise FileNotFoundError("b3sum not found on PATH (scripts/install-deps.sh installs it)")
    size = QUICK_BYTES if ctx.quick else FULL_BYTES

    # The benchmark measures wall-clock time, so Google Benchmark names it
    # BM_Blake3Large/real_time.
    results = ctx.gbench(BINARY, "^BM_Blake3Large", env={"KB_BLAKE3_BENCH_BYTES": size})
    entries = [entry for name, entry in results.items() if name.startswith("BM_Blake3Large")]
    if len(entries) != 1:
        raise KeyError(f"BM_Blake3Large missing from {BINARY} output (have {sorted(results)})")
    entry = entries[0]
    if int(entry.get("input_bytes", size)) != size:
        raise ValueError(f"BM_Blake3Large hashed {entry.get('input_bytes')} bytes, wanted {size}")
    ours_mb_s = float(entry["bytes_per_second"]) / 1e6

    path = ctx.tmp / "blake3-input.bin"
    write_file(path, size)
    argv = [b3sum, "--num-threads", "1", str(path)]
    ctx.run(argv)  # warm-up: page cache
    peer_mb_s = size / ctx.time_command(argv) / 1e6
    path.unlink()

    label = f"{size >> 30} GiB" if size >= 1 << 30 else f"{size >> 20} MiB"
    backend = entry.get("label", "")
    name = f"BLAKE3 one thread, {label}" + (f" ({backend})" if backend else "")
    ctx.compare(name, ours_mb_s, peer_mb_s, "b3sum --num-threads 1", "MB/s", 1.0)
