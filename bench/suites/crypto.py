"""Crypto primitives beside OpenSSL's own speed test, and CRC32C beside memcpy.

Ours come from kb_crypto_bench (src/crypto/*_bench.cc):
  * BM_Aes256GcmSeal/N  an Aes256Gcm made ready once, a fresh nonce per seal, no associated
    data; the peer is `openssl speed -evp aes-256-gcm -bytes N`, which encrypts N-byte buffers
    with one EVP context.
  * BM_Sha256/N         one-shot sha256(); the peer is `openssl speed -evp sha256 -bytes N`.
  * BM_Crc32cSse42 over 1 MiB (cache-resident) and 64 MiB (DRAM), beside BM_Memcpy of the same
    buffer into a distinct one: the checksum should run at a good fraction of memory speed.
Both sides are bytes per second of CPU time (`openssl speed` divides by user time, Google
Benchmark rates by CPU time). openssl prints thousands of bytes per second ("k"); Google
Benchmark's JSON has plain bytes per second.
"""
import re
import statistics

SIZES = [64, 4096, 1048576]
QUICK_SIZES = [4096]
BINARY = "kb_crypto_bench"


def size_label(size: int) -> str:
    if size >= 1 << 20:
        return f"{size >> 20} MiB"
    if size >= 1 << 10:
        return f"{size >> 10} KiB"
    return f"{size} B"


def openssl_speed(ctx, algorithm: str, size: int) -> float:
    """Median bytes/s of `openssl speed -evp ALGORITHM -bytes SIZE -seconds 1`."""
    runs = []
    for _ in range(ctx.repetitions):
        out = ctx.run(["openssl", "speed", "-evp", algorithm, "-bytes", str(size),
                       "-seconds", "1"])
        # The result is the last line: "<name>  <thousands of bytes per second>k".
        match = None
        for line in reversed(out.strip().splitlines()):
            match = re.match(r"^\S.*?\s+([0-9.]+)k\s*$", line)
            if match:
                break
        if not match:
            raise ValueError(f"cannot parse openssl speed output for {algorithm}:\n{out}")
        runs.append(float(match.group(1)) * 1000.0)
    return statistics.median(runs)


def ours(results: dict, name: str) -> float:
    if name not in results:
        raise KeyError(f"{name} missing from {BINARY} output (have {sorted(results)})")
    return float(results[name]["bytes_per_second"])


def run(ctx):
    sizes = QUICK_SIZES if ctx.quick else SIZES
    size_regex = "|".join(str(size) for size in sizes)
    results = ctx.gbench(BINARY, f"^BM_(Aes256GcmSeal|Sha256)/({size_regex})$")
    for size in sizes:
        ctx.compare(f"AES-256-GCM seal {size_label(size)}",
                    ours(results, f"BM_Aes256GcmSeal/{size}") / 1e6,
                    openssl_speed(ctx, "aes-256-gcm", size) / 1e6,
                    "openssl speed", "MB/s", 0.9)
        ctx.compare(f"SHA-256 {size_label(size)}",
                    ours(results, f"BM_Sha256/{size}") / 1e6,
                    openssl_speed(ctx, "sha256", size) / 1e6,
                    "openssl speed", "MB/s", 0.9)

    # CRC32C against memcpy of the same buffer. The 64 MiB pair measures DRAM and takes a few
    # seconds to set up, so the smoke run keeps to 1 MiB.
    crc_sizes = [("", 1 << 20)] if ctx.quick else [("", 1 << 20), ("_Large", 64 << 20)]
    regex = "|".join(f"^BM_(Crc32cSse42|Memcpy){suffix}/{size}$" for suffix, size in crc_sizes)
    results = ctx.gbench(BINARY, regex)
    for suffix, size in crc_sizes:
        crc_name = f"BM_Crc32cSse42{suffix}/{size}"
        if crc_name not in results or results[crc_name].get("error_occurred"):
            print(f"  (skipped CRC32C {size_label(size)}: no SSE4.2 on this machine)")
            continue
        ctx.compare(f"CRC32C (SSE4.2) {size_label(size)}",
                    ours(results, crc_name) / 1e6,
                    ours(results, f"BM_Memcpy{suffix}/{size}") / 1e6,
                    "memcpy", "MB/s", 0.5)
