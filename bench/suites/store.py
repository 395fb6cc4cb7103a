"""The store (src/store/store.h) beside SQLite and std::map, in one process (kb_store_bench,
src/store/store_bench.cc), on files in the run's scratch directory.

Data set: 1,000,000 keys of 16 bytes with 100-byte values, inserted in random order (quick
mode: 20,000). The store is checkpointed first, so its pages are sealed on disk and have been
decrypted into its cache; SQLite holds the same rows in a WITHOUT ROWID table. Both get a
256 MiB cache (the data set fits), so lookups measure in-memory work.

1. Point lookups of random existing keys, value copied out: store snapshot vs SQLite prepared
   SELECT (target 1.5x), and vs std::map<string, string> (a ceiling: no durability, no
   encryption, no snapshots).
2. Inserts: 100,000 random keys into an empty tree / table, no fsync on either side: store
   puts + publish; SQLite synchronous=OFF inside one transaction, committed.
3. Range scans: 100 consecutive keys and values from a random key: store cursor vs SQLite
   SELECT ... WHERE k >= ? ORDER BY k LIMIT 100 and vs std::map iteration.
4. MVCC: reading the current version of random keys (100,000 keys) when each has 10 older
   versions vs when none has any (target 0.8x).

Quick mode (CTest smoke) uses tiny sizes and one run; its numbers mean nothing.
"""

BINARY = "kb_store_bench"


def run(ctx):
    keys = 20_000 if ctx.quick else 1_000_000
    env = {"KB_STORE_BENCH_DIR": ctx.tmp, "KB_STORE_BENCH_KEYS": keys,
           "KB_STORE_BENCH_CACHE_MIB": 256}
    # One process for everything: the data set is built once.
    results = ctx.gbench(BINARY, "^BM_(PointLookup|RangeScan|Insert|MvccCurrentLookup)",
                         env=env)

    lookups = {peer: ctx.metric(results, f"BM_PointLookup/{peer}") for peer in
               ("store", "sqlite", "map")}
    ctx.compare(f"point lookup, {keys:,} keys", lookups["store"], lookups["sqlite"],
                "SQLite WITHOUT ROWID", "lookups/s", 1.5)
    ctx.compare(f"point lookup, {keys:,} keys", lookups["store"], lookups["map"],
                "std::map (ceiling)", "lookups/s", 0.5)

    inserts = {peer: ctx.metric(results, f"BM_Insert/{peer}/100000")
               for peer in ("store", "sqlite")}
    ctx.compare("insert 100,000 random keys, no fsync", inserts["store"], inserts["sqlite"],
                "SQLite synchronous=OFF, one transaction", "rows/s", 1.0)

    scans = {peer: ctx.metric(results, f"BM_RangeScan/{peer}") for peer in
             ("store", "sqlite", "map")}
    ctx.compare("range scan, 100 rows from a random key", scans["store"], scans["sqlite"],
                "SQLite WITHOUT ROWID", "rows/s", 1.0)
    ctx.compare("range scan, 100 rows from a random key", scans["store"], scans["map"],
                "std::map (ceiling)", "rows/s", 0.3)

    flat = ctx.metric(results, "BM_MvccCurrentLookup/0")
    history = ctx.metric(results, "BM_MvccCurrentLookup/10")
    ctx.compare("MVCC current-version lookup, 10 older versions per key", history, flat,
                "the same with no history", "lookups/s", 0.8)
