// Store benchmarks beside SQLite and std::map (bench/suites/store.py runs them as peers).
//
// Data set: KB_STORE_BENCH_KEYS keys (default 50,000 for the smoke run; the suite uses
// 1,000,000) of 16 bytes with 100-byte values, inserted in random order. The store runs on real
// files (LinuxStorage + AsioEventLoop) under KB_STORE_BENCH_DIR (default /tmp), checkpointed, so
// its pages are sealed on disk and decrypted into the cache; SQLite holds the same rows in a
// WITHOUT ROWID table in a file there. Both get the same cache budget: KB_STORE_BENCH_CACHE_MIB
// (default 256; the default data set fits in it, so lookups measure in-memory work).
//
//   BM_PointLookup/{store,sqlite,map}     random existing keys, value copied out
//   BM_Insert/{store,sqlite}/100000       100k random keys into an empty tree/table, no fsync:
//                                         store puts + publish; SQLite synchronous=OFF, one
//                                         transaction, committed
//   BM_RangeScan/{store,sqlite,map}       100 consecutive keys (key and value) from a random key
//   BM_MvccCurrentLookup/{0,10}           current version of random keys with 0 or 10 older
//                                         versions each (KB_STORE_BENCH_KEYS / 10 keys)
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "base/prng.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "store/mvcc.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace kb::store {
namespace {

constexpr usize kValueBytes = 100;
constexpr usize kScanLength = 100;
const TreeId kTree{TenantId(1), 1};
const TreeId kFlatTree{TenantId(1), 2};
const TreeId kHistoryTree{TenantId(1), 3};

u64 env_u64(const char* name, u64 fallback) {
    const char* value = std::getenv(name);
    return value ? std::strtoull(value, nullptr, 10) : fallback;
}

std::string bench_dir() {
    const char* dir = std::getenv("KB_STORE_BENCH_DIR");
    return dir ? dir : std::filesystem::temp_directory_path().string();
}

// 16-byte keys: "k" and 15 digits of a scrambled index (so neighbours in key order were not
// inserted together).
std::string key_of(u64 index) {
    char key[17];
    std::snprintf(
        key, sizeof key, "k%015llu",
        static_cast<unsigned long long>((index * 0x9e3779b97f4a7c15ULL) % 1000000000000000ULL));
    return std::string(key, 16);
}

std::string value_of(u64 index) {
    std::string value(kValueBytes, 'v');
    std::snprintf(value.data(), kValueBytes, "value %llu", static_cast<unsigned long long>(index));
    return value;
}

void fail(const std::string& what) {
    std::fprintf(stderr, "store bench: %s\n", what.c_str());
    std::abort();
}

void check(const Status& status, const char* what) {
    if (!status.is_ok()) fail(std::string(what) + ": " + status.to_string());
}

void sqlite_exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        fail("sqlite: " + sql + ": " + (error ? error : "?"));
    }
}

// A store on real files in a fresh directory, removed afterwards.
struct RealStore {
    explicit RealStore(u64 cache_bytes) {
        std::string pattern = bench_dir() + "/kb-store-bench-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) fail("mkdtemp in " + bench_dir());
        dir = pattern;
        auto opened_storage = io::LinuxStorage::open(loop, {.root = dir});
        if (!opened_storage) fail(opened_storage.status().to_string());
        storage = std::move(*opened_storage);
        StoreOptions options;
        options.cache_bytes = cache_bytes;
        auto opened = Store::open(*storage, loop, options, *keys, random);
        if (!opened) fail(opened.status().to_string());
        store = std::move(*opened);
    }
    ~RealStore() {
        store.reset();
        storage.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }

    std::string dir;
    io::AsioEventLoop loop;
    std::unique_ptr<io::LinuxStorage> storage;
    std::unique_ptr<DerivedPageKeys> keys = testing::make_test_keys();
    crypto::SeededRandom random{1};
    std::unique_ptr<Store> store;
};

// The shared data set, built once per process.
struct DataSet {
    DataSet()
        : count(env_u64("KB_STORE_BENCH_KEYS", 50'000)),
          cache_bytes(env_u64("KB_STORE_BENCH_CACHE_MIB", 256) * limits::kMiB),
          real(cache_bytes) {
        Store& s = *real.store;
        check(s.create_tree(kTree), "create");
        for (u64 i = 0; i < count; ++i) {
            const std::string key = key_of(i);
            const std::string value = value_of(i);
            check(s.put(kTree, as_bytes(key), as_bytes(value)), "put");
            map.emplace(key, value);
        }
        // MVCC: a tenth of the keys, without history and with 10 older versions each.
        check(s.create_tree(kFlatTree), "create");
        check(s.create_tree(kHistoryTree), "create");
        mvcc_count = std::max<u64>(count / 10, 1);
        for (u64 version = 1; version <= 11; ++version) {
            for (u64 i = 0; i < mvcc_count; ++i) {
                const std::string key = key_of(i);
                const std::string row = value_of(i * 100 + version);
                check(mvcc_put(s, kHistoryTree, as_bytes(key), as_bytes(row), Position(version)),
                      "mvcc put");
                if (version == 11) {
                    check(mvcc_put(s, kFlatTree, as_bytes(key), as_bytes(row), Position(version)),
                          "mvcc put");
                }
            }
        }
        check(s.publish(Position(11), {}), "publish");
        check(testing::checkpoint_and_wait(s, real.loop), "checkpoint");

        db_path = real.dir + "/sqlite.db";
        if (sqlite3_open_v2(db_path.c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
            fail("sqlite open");
        }
        sqlite_exec(db, "PRAGMA cache_size=-" + std::to_string(cache_bytes / 1024));
        // SQLite at its fastest for one process: it keeps its file lock instead of taking a
        // shared lock and re-checking the file's change counter around every statement.
        sqlite_exec(db, "PRAGMA locking_mode=EXCLUSIVE");
        sqlite_exec(db, "PRAGMA synchronous=OFF");
        sqlite_exec(db, "CREATE TABLE t(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
        sqlite_exec(db, "BEGIN");
        sqlite3_stmt* insert = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO t(k, v) VALUES (?, ?)", -1, &insert, nullptr);
        for (u64 i = 0; i < count; ++i) {
            const std::string key = key_of(i);
            const std::string value = value_of(i);
            sqlite3_bind_blob(insert, 1, key.data(), static_cast<int>(key.size()),
                              SQLITE_TRANSIENT);
            sqlite3_bind_blob(insert, 2, value.data(), static_cast<int>(value.size()),
                              SQLITE_TRANSIENT);
            if (sqlite3_step(insert) != SQLITE_DONE) fail("sqlite insert");
            sqlite3_reset(insert);
        }
        sqlite3_finalize(insert);
        sqlite_exec(db, "COMMIT");
    }
    ~DataSet() { sqlite3_close(db); }

    const u64 count;
    const u64 cache_bytes;
    u64 mvcc_count = 0;
    RealStore real;
    std::map<std::string, std::string> map;
    std::string db_path;
    sqlite3* db = nullptr;
};

DataSet& data() {
    static DataSet set;
    return set;
}

void BM_PointLookupStore(benchmark::State& state) {
    DataSet& d = data();
    // Like a prepared statement: the tree is found once.
    TreeView tree = d.real.store->snapshot().tree(kTree).value();
    Prng prng(1);
    Bytes value;
    for (auto _ : state) {
        const std::string key = key_of(prng.uniform(d.count));
        auto found = tree.read(as_bytes(key), value);
        if (!found || !*found) fail("lookup missed");
        benchmark::DoNotOptimize(value.data());
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}

void BM_PointLookupSqlite(benchmark::State& state) {
    DataSet& d = data();
    sqlite3_stmt* select = nullptr;
    sqlite3_prepare_v2(d.db, "SELECT v FROM t WHERE k = ?", -1, &select, nullptr);
    Prng prng(1);
    Bytes value;
    for (auto _ : state) {
        const std::string key = key_of(prng.uniform(d.count));
        sqlite3_bind_blob(select, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
        if (sqlite3_step(select) != SQLITE_ROW) fail("sqlite lookup missed");
        const u8* bytes = static_cast<const u8*>(sqlite3_column_blob(select, 0));
        value.assign(bytes, bytes + sqlite3_column_bytes(select, 0));
        sqlite3_reset(select);
        benchmark::DoNotOptimize(value.data());
    }
    sqlite3_finalize(select);
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}

void BM_PointLookupMap(benchmark::State& state) {
    DataSet& d = data();
    Prng prng(1);
    Bytes value;
    for (auto _ : state) {
        const std::string key = key_of(prng.uniform(d.count));
        auto it = d.map.find(key);
        if (it == d.map.end()) fail("map lookup missed");
        value.assign(it->second.begin(), it->second.end());
        benchmark::DoNotOptimize(value.data());
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}

void BM_RangeScanStore(benchmark::State& state) {
    DataSet& d = data();
    TreeView tree = d.real.store->snapshot().tree(kTree).value();
    Prng prng(2);
    u64 rows = 0;
    for (auto _ : state) {
        const std::string start = key_of(prng.uniform(d.count));
        auto cursor = tree.scan(as_bytes(start), {});
        if (!cursor) fail(cursor.status().to_string());
        for (usize i = 0; i < kScanLength && cursor->valid(); ++i) {
            benchmark::DoNotOptimize(cursor->key().data());
            benchmark::DoNotOptimize(cursor->value()->data());
            ++rows;
            check(cursor->next(), "next");
        }
    }
    state.SetItemsProcessed(static_cast<i64>(rows));
}

void BM_RangeScanSqlite(benchmark::State& state) {
    DataSet& d = data();
    sqlite3_stmt* select = nullptr;
    sqlite3_prepare_v2(d.db, "SELECT k, v FROM t WHERE k >= ? ORDER BY k LIMIT ?", -1, &select,
                       nullptr);
    Prng prng(2);
    u64 rows = 0;
    for (auto _ : state) {
        const std::string start = key_of(prng.uniform(d.count));
        sqlite3_bind_blob(select, 1, start.data(), static_cast<int>(start.size()), SQLITE_STATIC);
        sqlite3_bind_int(select, 2, static_cast<int>(kScanLength));
        while (sqlite3_step(select) == SQLITE_ROW) {
            benchmark::DoNotOptimize(sqlite3_column_blob(select, 0));
            benchmark::DoNotOptimize(sqlite3_column_blob(select, 1));
            ++rows;
        }
        sqlite3_reset(select);
    }
    sqlite3_finalize(select);
    state.SetItemsProcessed(static_cast<i64>(rows));
}

void BM_RangeScanMap(benchmark::State& state) {
    DataSet& d = data();
    Prng prng(2);
    u64 rows = 0;
    for (auto _ : state) {
        auto it = d.map.lower_bound(key_of(prng.uniform(d.count)));
        for (usize i = 0; i < kScanLength && it != d.map.end(); ++i, ++it) {
            benchmark::DoNotOptimize(it->first.data());
            benchmark::DoNotOptimize(it->second.data());
            ++rows;
        }
    }
    state.SetItemsProcessed(static_cast<i64>(rows));
}

void BM_InsertStore(benchmark::State& state) {
    const u64 count = static_cast<u64>(state.range(0));
    const u64 cache = env_u64("KB_STORE_BENCH_CACHE_MIB", 256) * limits::kMiB;
    for (auto _ : state) {
        state.PauseTiming();
        {
            RealStore real(cache);
            check(real.store->create_tree(kTree), "create");
            state.ResumeTiming();
            for (u64 i = 0; i < count; ++i) {
                const std::string key = key_of(i);
                const std::string value = value_of(i);
                check(real.store->put(kTree, as_bytes(key), as_bytes(value)), "put");
            }
            check(real.store->publish(Position(1), {}), "publish");
            state.PauseTiming();
        }
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(count));
}

void BM_InsertSqlite(benchmark::State& state) {
    const u64 count = static_cast<u64>(state.range(0));
    const u64 cache = env_u64("KB_STORE_BENCH_CACHE_MIB", 256) * limits::kMiB;
    const std::string path =
        bench_dir() + "/kb-store-bench-insert-" + std::to_string(::getpid()) + ".db";
    for (auto _ : state) {
        state.PauseTiming();
        std::filesystem::remove(path);
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(path.c_str(), &db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
            fail("sqlite open");
        }
        sqlite_exec(db, "PRAGMA cache_size=-" + std::to_string(cache / 1024));
        sqlite_exec(db, "PRAGMA locking_mode=EXCLUSIVE");
        sqlite_exec(db, "PRAGMA synchronous=OFF");
        sqlite_exec(db, "CREATE TABLE t(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID");
        sqlite3_stmt* insert = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO t(k, v) VALUES (?, ?)", -1, &insert, nullptr);
        state.ResumeTiming();
        sqlite_exec(db, "BEGIN");
        for (u64 i = 0; i < count; ++i) {
            const std::string key = key_of(i);
            const std::string value = value_of(i);
            sqlite3_bind_blob(insert, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
            sqlite3_bind_blob(insert, 2, value.data(), static_cast<int>(value.size()),
                              SQLITE_STATIC);
            if (sqlite3_step(insert) != SQLITE_DONE) fail("sqlite insert");
            sqlite3_reset(insert);
        }
        sqlite_exec(db, "COMMIT");
        state.PauseTiming();
        sqlite3_finalize(insert);
        sqlite3_close(db);
        state.ResumeTiming();
    }
    std::filesystem::remove(path);
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(count));
}

void BM_MvccCurrentLookup(benchmark::State& state) {
    DataSet& d = data();
    TreeView tree =
        d.real.store->snapshot().tree(state.range(0) == 0 ? kFlatTree : kHistoryTree).value();
    Prng prng(3);
    for (auto _ : state) {
        const std::string key = key_of(prng.uniform(d.mvcc_count));
        auto row = mvcc_get(tree, as_bytes(key));
        if (!row || !*row) fail("mvcc lookup missed");
        benchmark::DoNotOptimize(row->value().data());
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}

// The writer's costs per op while applying: a put into a tree of KB_STORE_BENCH_KEYS keys,
// published after every op (each publish makes the next put copy its path) or after every 100.
void BM_PutThenPublish(benchmark::State& state) {
    const u64 publish_every = static_cast<u64>(state.range(0));
    DataSet& d = data();
    Store& s = *d.real.store;
    Prng prng(4);
    static u64 position = 100;
    u64 ops = 0;
    const std::string value = value_of(7);
    for (auto _ : state) {
        const std::string key = key_of(prng.uniform(d.count));
        check(s.put(kTree, as_bytes(key), as_bytes(value)), "put");
        if (++ops % publish_every == 0) check(s.publish(Position(++position), {}), "publish");
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}

// New MVCC versions of existing keys (each moves the current version to the older range).
void BM_MvccPut(benchmark::State& state) {
    DataSet& d = data();
    Store& s = *d.real.store;
    Prng prng(5);
    static u64 position = 1000;  // google benchmark calls this several times
    const std::string row = value_of(9);
    for (auto _ : state) {
        const std::string key = key_of(prng.uniform(d.mvcc_count));
        check(mvcc_put(s, kFlatTree, as_bytes(key), as_bytes(row), Position(++position)),
              "mvcc put");
    }
    check(s.publish(Position(position), {}), "publish");
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}

BENCHMARK(BM_PointLookupStore)->Name("BM_PointLookup/store");
BENCHMARK(BM_PointLookupSqlite)->Name("BM_PointLookup/sqlite");
BENCHMARK(BM_PointLookupMap)->Name("BM_PointLookup/map");
BENCHMARK(BM_RangeScanStore)->Name("BM_RangeScan/store");
BENCHMARK(BM_RangeScanSqlite)->Name("BM_RangeScan/sqlite");
BENCHMARK(BM_RangeScanMap)->Name("BM_RangeScan/map");
BENCHMARK(BM_InsertStore)->Name("BM_Insert/store")->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InsertSqlite)->Name("BM_Insert/sqlite")->Arg(100'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MvccCurrentLookup)->Name("BM_MvccCurrentLookup")->Arg(0)->Arg(10);
// These change the data set: after the readers.
BENCHMARK(BM_PutThenPublish)->Name("BM_PutThenPublish")->Arg(1)->Arg(100);
BENCHMARK(BM_MvccPut)->Name("BM_MvccPut");

}  // namespace
}  // namespace kb::store
