// SQL benchmarks beside SQLite (issue 5 "make bench"; bench/suites/sql.py runs them as peers).
//
// Both engines are embedded in this process, hold the same rows, and run the same statements:
// ours through kb::sql::Session on a kb::Database (default durability: group commit, every
// acknowledged commit fsync'd), SQLite through prepared statements (sqlite3_prepare_v2 + bind)
// in WAL mode with synchronous=FULL (every commit fsync'd), busy_timeout for its writers, and
// the same page cache budget as ours (256 MiB). Files live under KB_SQL_BENCH_DIR (default the
// system temp directory), in a fresh directory removed at exit.
//
//   BM_PointSelect/{kimberlite,sqlite}        SELECT id, a, b FROM kv WHERE id = $1, random ids
//   BM_RangeScan/{kimberlite,sqlite}          SELECT id, a, b FROM kv WHERE id >= $1 ORDER BY id
//                                             LIMIT 100 from a random id (rows/s)
//   BM_InsertTransaction100/{kimberlite,sqlite}
//                                             BEGIN, 100 single-row INSERTs, COMMIT (rows/s)
//   BM_ConcurrentInsert/{kimberlite,sqlite}   KB_SQL_BENCH_WRITERS (16) threads, each with its
//                                             own session / connection, single-row autocommit
//                                             INSERTs (committed rows/s of wall time)
//   BM_GroupBy_large/{kimberlite,sqlite}      SELECT g, count(*), sum(x), avg(y) FROM big GROUP
//                                             BY g over KB_SQL_BENCH_GROUP_ROWS rows (default
//                                             1,000,000), 100 groups (input rows/s)
//
// Sizes: KB_SQL_BENCH_ROWS rows in kv (default 2,000: the CTest smoke run; the suite sets
// 100,000), KB_SQL_BENCH_INSERTS_PER_WRITER rows per writer per iteration (default 20).
//
// Statements of ours are prepared once (Session::prepare) and run with execute_prepared, as
// SQLite's are; the engines' answers are compared once before anything is timed. Everything is
// timed by the wall clock (UseRealTime: part of our work runs on the database's loop thread,
// which the calling thread's CPU time would not count), so names end in /real_time.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/prng.h"
#include "db/database_core.h"
#include "kimberlite/database.h"
#include "sql/bind_resolve.h"
#include "sql/session.h"

namespace kb::sql {
namespace {

constexpr usize kScanLength = 100;
constexpr usize kTransactionRows = 100;
constexpr u64 kGroups = 100;
constexpr u64 kLoadBatchRows = 1000;

u64 env_u64(const char* name, u64 fallback) {
    const char* value = std::getenv(name);
    return value ? std::strtoull(value, nullptr, 10) : fallback;
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "sql bench: %s\n", what.c_str());
    std::abort();
}

// The text column of kv row `id` (24-31 bytes).
std::string name_of(i64 id) { return "customer name #" + std::to_string(id * 7919 % 1000003); }

// --- ours ----------------------------------------------------------------------------------

// One prepared statement of ours with parameters $1..$n, run on one session.
class KbStatement {
public:
    KbStatement(Session& session, std::string text) : session_(&session) {
        auto prepared = session.prepare(text);
        if (!prepared) fail(text + ": " + prepared.error().to_string());
        prepared_ = std::move(*prepared);
    }

    // Runs the statement; aborts on an error (the benchmark would measure nothing). The result
    // is kept between runs and refilled in place (Session::execute_prepared_into), as SQLite's
    // statement reuses its memory between sqlite3_step loops.
    const StatementResult& run(std::span<const Value> parameters) {
        auto ran = session_->execute_prepared_into(*prepared_, parameters, result_);
        if (!ran) fail(prepared_->text() + ": " + ran.error().to_string());
        return result_;
    }

private:
    Session* session_;
    std::shared_ptr<const PreparedStatement> prepared_;
    StatementResult result_;
};

void kb_exec(Session& session, std::string_view sql) {
    for (const auto& result : session.execute(sql)) {
        if (!result) fail(std::string(sql.substr(0, 200)) + ": " + result.error().to_string());
    }
}

// --- SQLite --------------------------------------------------------------------------------

void sqlite_exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = error ? error : "?";
        sqlite3_free(error);
        fail("sqlite: " + sql + ": " + message);
    }
}

sqlite3* sqlite_open(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        fail("sqlite open " + path);
    }
    // A writer that finds the write lock taken waits instead of failing.
    sqlite3_busy_timeout(db, 60'000);
    sqlite_exec(db, "PRAGMA journal_mode=WAL");
    sqlite_exec(db, "PRAGMA synchronous=FULL");
    sqlite_exec(db, "PRAGMA cache_size=-262144");  // 256 MiB, as ours
    return db;
}

sqlite3_stmt* sqlite_prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) != SQLITE_OK) {
        fail(std::string("sqlite prepare: ") + sql + ": " + sqlite3_errmsg(db));
    }
    return statement;
}

// Steps a write statement to completion, again while another connection holds the lock.
void sqlite_step_done(sqlite3* db, sqlite3_stmt* statement) {
    for (;;) {
        const int rc = sqlite3_step(statement);
        sqlite3_reset(statement);
        if (rc == SQLITE_DONE) return;
        if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
            fail(std::string("sqlite step: ") + sqlite3_errmsg(db));
        }
    }
}

// --- the shared data set -------------------------------------------------------------------

// Both engines with table kv (KB_SQL_BENCH_ROWS rows) and the empty insert targets, built once
// per process; table big (GROUP BY) is loaded on first use.
struct DataSet {
    DataSet()
        : rows(std::max<u64>(env_u64("KB_SQL_BENCH_ROWS", 2'000), kScanLength + 1)),
          writers(std::max<u64>(env_u64("KB_SQL_BENCH_WRITERS", 16), 1)),
          inserts_per_writer(std::max<u64>(env_u64("KB_SQL_BENCH_INSERTS_PER_WRITER", 20), 1)) {
        const char* base = std::getenv("KB_SQL_BENCH_DIR");
        std::string pattern =
            std::string(base ? base : std::filesystem::temp_directory_path().string()) +
            "/kb-sql-bench-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) fail("mkdtemp " + pattern);
        dir = pattern;

        DatabaseOptions options;
        options.key_dir = dir + "/keys";
        auto opened = Database::open(dir + "/kimberlite", options);
        if (!opened) fail(opened.status().to_string());
        database = std::move(*opened);
        tenant = *database->tenant("default");
        session = new_session();
        sqlite = sqlite_open(dir + "/sqlite.db");

        const char* schemas[] = {
            "CREATE TABLE kv (id bigint PRIMARY KEY, a integer NOT NULL, b text NOT NULL)",
            "CREATE TABLE inserts (id bigint PRIMARY KEY, a integer NOT NULL, b text NOT NULL)",
            "CREATE TABLE concurrent (id bigint PRIMARY KEY, a integer NOT NULL, b text NOT "
            "NULL)",
        };
        for (const char* schema : schemas) {
            kb_exec(*session, schema);
            // bigint PRIMARY KEY is SQLite's INTEGER PRIMARY KEY (the rowid): its fastest.
            std::string lite = schema;
            lite.replace(lite.find("bigint PRIMARY KEY"), 18, "INTEGER PRIMARY KEY");
            sqlite_exec(sqlite, lite);
        }

        // kv: ids 0..rows-1 in a shuffled order, in batches of kLoadBatchRows.
        std::vector<i64> ids(rows);
        for (u64 i = 0; i < rows; ++i) ids[i] = static_cast<i64>(i);
        Prng prng(5);
        prng.shuffle(std::span<i64>(ids));
        sqlite3_stmt* insert = sqlite_prepare(sqlite, "INSERT INTO kv VALUES (?, ?, ?)");
        for (u64 start = 0; start < rows; start += kLoadBatchRows) {
            std::string values;
            sqlite_exec(sqlite, "BEGIN");
            for (u64 i = start; i < std::min(rows, start + kLoadBatchRows); ++i) {
                const i64 id = ids[i];
                const i64 a = id % 1000;
                const std::string b = name_of(id);
                values += (values.empty() ? "(" : ", (") + std::to_string(id) + ", " +
                          std::to_string(a) + ", '" + b + "')";
                sqlite3_bind_int64(insert, 1, id);
                sqlite3_bind_int64(insert, 2, a);
                sqlite3_bind_text(insert, 3, b.data(), static_cast<int>(b.size()),
                                  SQLITE_TRANSIENT);
                sqlite_step_done(sqlite, insert);
            }
            sqlite_exec(sqlite, "COMMIT");
            kb_exec(*session, "INSERT INTO kv VALUES " + values);
        }
        sqlite3_finalize(insert);
        check_same("SELECT count(*), sum(a), min(b), max(b) FROM kv");

        // The concurrent writers: a session and a connection each.
        for (u64 i = 0; i < writers; ++i) {
            writer_sessions.push_back(new_session());
            writer_connections.push_back(sqlite_open(dir + "/sqlite.db"));
        }
    }

    ~DataSet() {
        for (sqlite3* connection : writer_connections) sqlite3_close(connection);
        sqlite3_close(sqlite);
        writer_sessions.clear();
        session.reset();
        const Status closed = database->close();
        if (!closed.is_ok()) std::fprintf(stderr, "sql bench: %s\n", closed.to_string().c_str());
        database.reset();
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }

    // Both engines answer `query` alike (compared as text, row by row).
    void check_same(const std::string& query) {
        auto results = session->execute(query);
        if (results.size() != 1 || !results[0]) fail(query + ": failed on kimberlite");
        const StatementResult& ours = *results[0];
        sqlite3_stmt* statement = sqlite_prepare(sqlite, query.c_str());
        usize row = 0;
        while (sqlite3_step(statement) == SQLITE_ROW) {
            if (row >= ours.rows.size()) fail(query + ": SQLite has more rows");
            for (usize c = 0; c < ours.columns.size(); ++c) {
                const char* text = reinterpret_cast<const char*>(
                    sqlite3_column_text(statement, static_cast<int>(c)));
                std::string lite = text ? text : "NULL";
                std::string mine = value_to_text(ours.rows[row][c], ours.columns[c].type);
                // SQLite prints round(x, 6) without trailing zeros.
                if (mine.find('.') != std::string::npos && lite.find('.') != std::string::npos) {
                    while (mine.back() == '0') mine.pop_back();
                    while (lite.back() == '0') lite.pop_back();
                }
                if (mine != lite) {
                    fail(query + ": row " + std::to_string(row) + " column " + std::to_string(c) +
                         ": kimberlite " + mine + ", SQLite " + lite);
                }
            }
            ++row;
        }
        sqlite3_finalize(statement);
        if (row != ours.rows.size()) fail(query + ": kimberlite has more rows");
    }

    std::unique_ptr<Session> new_session() {
        return std::make_unique<Session>(database->core(), tenant, db::kAdminPrincipal);
    }

    // Table big (g integer, x integer, y double precision) with `count` rows: g = i % 100.
    void load_big(u64 count) {
        if (big_rows == count) return;
        if (big_rows != 0) fail("table big was already loaded with another size");
        const char* schema =
            "CREATE TABLE big (id bigint PRIMARY KEY, g integer NOT NULL, x integer NOT NULL, y "
            "double precision NOT NULL)";
        kb_exec(*session, schema);
        sqlite_exec(sqlite,
                    "CREATE TABLE big (id INTEGER PRIMARY KEY, g integer NOT NULL, x integer NOT "
                    "NULL, y double precision NOT NULL)");
        Prng prng(9);
        sqlite3_stmt* insert = sqlite_prepare(sqlite, "INSERT INTO big VALUES (?, ?, ?, ?)");
        sqlite_exec(sqlite, "BEGIN");
        for (u64 start = 0; start < count; start += kLoadBatchRows) {
            std::string values;
            for (u64 i = start; i < std::min(count, start + kLoadBatchRows); ++i) {
                const i64 g = static_cast<i64>(i % kGroups);
                const i64 x = static_cast<i64>(prng.uniform(1000));
                // Hundredths: the literal and the bound double are the same number.
                const i64 cents = static_cast<i64>(prng.uniform(100'000));
                char y[32];
                std::snprintf(y, sizeof y, "%" PRId64 ".%02" PRId64, cents / 100, cents % 100);
                values += (values.empty() ? "(" : ", (") + std::to_string(i) + ", " +
                          std::to_string(g) + ", " + std::to_string(x) + ", " + y + ")";
                sqlite3_bind_int64(insert, 1, static_cast<i64>(i));
                sqlite3_bind_int64(insert, 2, g);
                sqlite3_bind_int64(insert, 3, x);
                sqlite3_bind_double(insert, 4, std::strtod(y, nullptr));
                sqlite_step_done(sqlite, insert);
            }
            kb_exec(*session, "INSERT INTO big VALUES " + values);
        }
        sqlite_exec(sqlite, "COMMIT");
        sqlite3_finalize(insert);
        big_rows = count;
        check_same(
            "SELECT g, count(*), sum(x), round(CAST(avg(y) AS numeric), 6) FROM big GROUP BY g "
            "ORDER BY g");
    }

    const u64 rows;
    const u64 writers;
    const u64 inserts_per_writer;
    std::string dir;
    std::unique_ptr<Database> database;
    TenantId tenant;
    std::unique_ptr<Session> session;
    sqlite3* sqlite = nullptr;
    std::vector<std::unique_ptr<Session>> writer_sessions;
    std::vector<sqlite3*> writer_connections;
    u64 big_rows = 0;
    // The next id each insert benchmark writes (they run several times per process).
    std::atomic<i64> next_insert_id{0}, next_insert_id_sqlite{0};
    std::atomic<i64> next_concurrent_id{0}, next_concurrent_id_sqlite{0};
};

DataSet& data() {
    static DataSet set;
    return set;
}

// --- point SELECT by primary key -----------------------------------------------------------

void BM_PointSelectKimberlite(benchmark::State& state) {
    DataSet& d = data();
    KbStatement select(*d.session, "SELECT id, a, b FROM kv WHERE id = $1");
    Prng prng(1);
    for (auto _ : state) {
        const Value id[] = {Value::int64(static_cast<i64>(prng.uniform(d.rows)))};
        const StatementResult& result = select.run(id);
        if (result.rows.size() != 1) fail("point select: " + std::to_string(result.rows.size()));
        benchmark::DoNotOptimize(result.rows[0][2].as_text().data());
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}

void BM_PointSelectSqlite(benchmark::State& state) {
    DataSet& d = data();
    sqlite3_stmt* select = sqlite_prepare(d.sqlite, "SELECT id, a, b FROM kv WHERE id = ?");
    Prng prng(1);
    for (auto _ : state) {
        sqlite3_bind_int64(select, 1, static_cast<i64>(prng.uniform(d.rows)));
        if (sqlite3_step(select) != SQLITE_ROW) fail("sqlite point select");
        benchmark::DoNotOptimize(sqlite3_column_int64(select, 0));
        benchmark::DoNotOptimize(sqlite3_column_int64(select, 1));
        benchmark::DoNotOptimize(sqlite3_column_text(select, 2));
        if (sqlite3_step(select) != SQLITE_DONE) fail("sqlite point select: two rows");
        sqlite3_reset(select);
    }
    sqlite3_finalize(select);
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}

// --- range scan with ORDER BY / LIMIT -------------------------------------------------------

void BM_RangeScanKimberlite(benchmark::State& state) {
    DataSet& d = data();
    KbStatement scan(*d.session, "SELECT id, a, b FROM kv WHERE id >= $1 ORDER BY id LIMIT 100");
    Prng prng(2);
    for (auto _ : state) {
        const i64 start = static_cast<i64>(prng.uniform(d.rows - kScanLength));
        const Value from[] = {Value::int64(start)};
        const StatementResult& result = scan.run(from);
        if (result.rows.size() != kScanLength || result.rows[0][0].as_int() != start) {
            fail("range scan from " + std::to_string(start));
        }
        benchmark::DoNotOptimize(result.rows.back()[2].as_text().data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(kScanLength));
}

void BM_RangeScanSqlite(benchmark::State& state) {
    DataSet& d = data();
    sqlite3_stmt* scan =
        sqlite_prepare(d.sqlite, "SELECT id, a, b FROM kv WHERE id >= ? ORDER BY id LIMIT 100");
    Prng prng(2);
    for (auto _ : state) {
        const i64 start = static_cast<i64>(prng.uniform(d.rows - kScanLength));
        sqlite3_bind_int64(scan, 1, start);
        usize count = 0;
        while (sqlite3_step(scan) == SQLITE_ROW) {
            benchmark::DoNotOptimize(sqlite3_column_int64(scan, 0));
            benchmark::DoNotOptimize(sqlite3_column_int64(scan, 1));
            benchmark::DoNotOptimize(sqlite3_column_text(scan, 2));
            ++count;
        }
        sqlite3_reset(scan);
        if (count != kScanLength) fail("sqlite range scan");
    }
    sqlite3_finalize(scan);
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(kScanLength));
}

// --- 100-row INSERT transactions from one session -----------------------------------------

void BM_InsertTransaction100Kimberlite(benchmark::State& state) {
    DataSet& d = data();
    KbStatement insert(*d.session, "INSERT INTO inserts (id, a, b) VALUES ($1, $2, $3)");
    KbStatement begin(*d.session, "BEGIN");
    KbStatement commit(*d.session, "COMMIT");
    for (auto _ : state) {
        begin.run({});
        for (usize i = 0; i < kTransactionRows; ++i) {
            const i64 id = d.next_insert_id++;
            const Value row[] = {Value::int64(id), Value::int32(static_cast<i32>(id % 1000)),
                                 Value::text(name_of(id))};
            insert.run(row);
        }
        commit.run({});
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(kTransactionRows));
}

void BM_InsertTransaction100Sqlite(benchmark::State& state) {
    DataSet& d = data();
    sqlite3_stmt* insert =
        sqlite_prepare(d.sqlite, "INSERT INTO inserts (id, a, b) VALUES (?, ?, ?)");
    sqlite3_stmt* begin = sqlite_prepare(d.sqlite, "BEGIN");
    sqlite3_stmt* commit = sqlite_prepare(d.sqlite, "COMMIT");
    for (auto _ : state) {
        sqlite_step_done(d.sqlite, begin);
        for (usize i = 0; i < kTransactionRows; ++i) {
            const i64 id = d.next_insert_id_sqlite++;
            const std::string b = name_of(id);
            sqlite3_bind_int64(insert, 1, id);
            sqlite3_bind_int64(insert, 2, id % 1000);
            sqlite3_bind_text(insert, 3, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
            sqlite_step_done(d.sqlite, insert);
        }
        sqlite_step_done(d.sqlite, commit);
    }
    sqlite3_finalize(insert);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(kTransactionRows));
}

// --- single-row INSERTs from concurrent sessions ------------------------------------------

// Runs `body(writer)` on every writer's thread at once and waits for all of them.
template <class Body>
void on_writers(u64 writers, Body body) {
    std::vector<std::thread> threads;
    threads.reserve(writers);
    for (u64 w = 0; w < writers; ++w) threads.emplace_back([&body, w] { body(w); });
    for (std::thread& thread : threads) thread.join();
}

void BM_ConcurrentInsertKimberlite(benchmark::State& state) {
    DataSet& d = data();
    std::vector<std::unique_ptr<KbStatement>> inserts;
    for (auto& session : d.writer_sessions) {
        inserts.push_back(std::make_unique<KbStatement>(
            *session, "INSERT INTO concurrent (id, a, b) VALUES ($1, $2, $3)"));
    }
    for (auto _ : state) {
        on_writers(d.writers, [&](u64 w) {
            for (u64 i = 0; i < d.inserts_per_writer; ++i) {
                const i64 id = d.next_concurrent_id++;
                const Value row[] = {Value::int64(id), Value::int32(static_cast<i32>(w)),
                                     Value::text(name_of(id))};
                inserts[w]->run(row);
            }
        });
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(d.writers) *
                            static_cast<i64>(d.inserts_per_writer));
}

void BM_ConcurrentInsertSqlite(benchmark::State& state) {
    DataSet& d = data();
    std::vector<sqlite3_stmt*> inserts;
    for (sqlite3* connection : d.writer_connections) {
        inserts.push_back(
            sqlite_prepare(connection, "INSERT INTO concurrent (id, a, b) VALUES (?, ?, ?)"));
    }
    for (auto _ : state) {
        on_writers(d.writers, [&](u64 w) {
            for (u64 i = 0; i < d.inserts_per_writer; ++i) {
                const i64 id = d.next_concurrent_id_sqlite++;
                const std::string b = name_of(id);
                sqlite3_bind_int64(inserts[w], 1, id);
                sqlite3_bind_int64(inserts[w], 2, static_cast<i64>(w));
                sqlite3_bind_text(inserts[w], 3, b.data(), static_cast<int>(b.size()),
                                  SQLITE_TRANSIENT);
                sqlite_step_done(d.writer_connections[w], inserts[w]);
            }
        });
    }
    for (sqlite3_stmt* insert : inserts) sqlite3_finalize(insert);
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(d.writers) *
                            static_cast<i64>(d.inserts_per_writer));
}

// --- GROUP BY over a large table ------------------------------------------------------------

u64 group_rows() { return std::max<u64>(env_u64("KB_SQL_BENCH_GROUP_ROWS", 1'000'000), kGroups); }

constexpr const char* kGroupBy = "SELECT g, count(*), sum(x), avg(y) FROM big GROUP BY g";

void BM_GroupByKimberlite(benchmark::State& state) {
    DataSet& d = data();
    d.load_big(group_rows());
    KbStatement group(*d.session, kGroupBy);
    for (auto _ : state) {
        const StatementResult& result = group.run({});
        if (result.rows.size() != kGroups) fail("group by: " + std::to_string(result.rows.size()));
        benchmark::DoNotOptimize(result.rows[0][3].as_float64());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(d.big_rows));
}

void BM_GroupBySqlite(benchmark::State& state) {
    DataSet& d = data();
    d.load_big(group_rows());
    sqlite3_stmt* group = sqlite_prepare(d.sqlite, kGroupBy);
    for (auto _ : state) {
        u64 groups = 0;
        while (sqlite3_step(group) == SQLITE_ROW) {
            benchmark::DoNotOptimize(sqlite3_column_double(group, 3));
            ++groups;
        }
        sqlite3_reset(group);
        if (groups != kGroups) fail("sqlite group by");
    }
    sqlite3_finalize(group);
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(d.big_rows));
}

BENCHMARK(BM_PointSelectKimberlite)->Name("BM_PointSelect/kimberlite")->UseRealTime();
BENCHMARK(BM_PointSelectSqlite)->Name("BM_PointSelect/sqlite")->UseRealTime();
BENCHMARK(BM_RangeScanKimberlite)->Name("BM_RangeScan/kimberlite")->UseRealTime();
BENCHMARK(BM_RangeScanSqlite)->Name("BM_RangeScan/sqlite")->UseRealTime();
BENCHMARK(BM_InsertTransaction100Kimberlite)
    ->Name("BM_InsertTransaction100/kimberlite")
    ->UseRealTime();
BENCHMARK(BM_InsertTransaction100Sqlite)->Name("BM_InsertTransaction100/sqlite")->UseRealTime();
BENCHMARK(BM_ConcurrentInsertKimberlite)->Name("BM_ConcurrentInsert/kimberlite")->UseRealTime();
BENCHMARK(BM_ConcurrentInsertSqlite)->Name("BM_ConcurrentInsert/sqlite")->UseRealTime();
BENCHMARK(BM_GroupByKimberlite)
    ->Name("BM_GroupBy_large/kimberlite")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_GroupBySqlite)
    ->Name("BM_GroupBy_large/sqlite")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace kb::sql
