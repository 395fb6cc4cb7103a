// kb_sqlite_commit_bench: the SQLite peer for the log's concurrent-append benchmark
// (bench/suites/log.py, docs/PERFORMANCE.md "The log").
//
// N writer threads, each with its own connection to one database in WAL mode with
// synchronous=FULL, insert single rows (an integer key and a blob of --payload-bytes bytes)
// as autocommit statements for --seconds of wall time. Every successful sqlite3_step is one
// durable commit (WAL + FULL syncs the WAL on every commit), the same promise the log makes
// when it acknowledges a record. Prints one JSON line:
//
//   {"threads":16,"rows":12345,"seconds":3.001,"rows_per_second":4113.6,"busy_retries":0}
//
//   kb_sqlite_commit_bench --db PATH [--threads 16] [--seconds 3] [--payload-bytes 100]
//
// A benchmark peer only: never part of the server.
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
    std::string db;
    int threads = 16;
    double seconds = 3.0;
    int payload_bytes = 100;
};

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "kb_sqlite_commit_bench: %s\n", message.c_str());
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) fail("missing value for " + flag);
        const char* value = argv[++i];
        if (flag == "--db") {
            options.db = value;
        } else if (flag == "--threads") {
            options.threads = std::atoi(value);
        } else if (flag == "--seconds") {
            options.seconds = std::atof(value);
        } else if (flag == "--payload-bytes") {
            options.payload_bytes = std::atoi(value);
        } else {
            fail("unknown option " + flag);
        }
    }
    if (options.db.empty()) fail("--db is required");
    if (options.threads < 1 || options.seconds <= 0 || options.payload_bytes < 0) {
        fail("--threads, --seconds and --payload-bytes must be positive");
    }
    return options;
}

void exec(sqlite3* db, const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string message = std::string(sql) + ": " + (error ? error : "unknown error");
        sqlite3_free(error);
        fail(message);
    }
}

sqlite3* open_connection(const Options& options) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(options.db.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        fail("cannot open " + options.db + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    }
    // A writer that finds the write lock taken waits (and retries) instead of failing.
    sqlite3_busy_timeout(db, 60'000);
    // synchronous is per connection; journal_mode=WAL is persistent in the file.
    exec(db, "PRAGMA synchronous=FULL");
    return db;
}

// Counted by the writer, read by main while it runs: atomics (relaxed: only totals matter).
struct WriterResult {
    std::atomic<long long> rows{0};
    std::atomic<long long> busy_retries{0};
};

void writer(const Options& options, int index, const std::atomic<bool>& stop,
            std::atomic<int>& ready, WriterResult* result) {
    sqlite3* db = open_connection(options);
    sqlite3_stmt* insert = nullptr;
    if (sqlite3_prepare_v2(db, "INSERT INTO t(writer, v) VALUES (?, ?)", -1, &insert, nullptr) !=
        SQLITE_OK) {
        fail(std::string("prepare: ") + sqlite3_errmsg(db));
    }
    std::vector<unsigned char> payload(static_cast<std::size_t>(options.payload_bytes));
    for (std::size_t i = 0; i < payload.size(); ++i) {
        payload[i] =
            static_cast<unsigned char>('a' + (i * 7 + static_cast<std::size_t>(index)) % 26);
    }
    ready.fetch_add(1);
    while (!stop.load(std::memory_order_relaxed)) {
        sqlite3_bind_int(insert, 1, index);
        sqlite3_bind_blob(insert, 2, payload.data(), static_cast<int>(payload.size()),
                          SQLITE_STATIC);
        const int rc = sqlite3_step(insert);
        sqlite3_reset(insert);
        if (rc == SQLITE_DONE) {
            result->rows.fetch_add(1, std::memory_order_relaxed);
        } else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            result->busy_retries.fetch_add(1, std::memory_order_relaxed);  // timed out: again
        } else {
            fail(std::string("insert: ") + sqlite3_errmsg(db));
        }
    }
    sqlite3_finalize(insert);
    sqlite3_close(db);
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    {
        sqlite3* db = open_connection(options);
        exec(db, "PRAGMA journal_mode=WAL");
        exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, writer INTEGER, v BLOB)");
        sqlite3_close(db);
    }

    std::atomic<bool> stop{false};
    std::atomic<int> ready{0};
    std::vector<WriterResult> results(static_cast<std::size_t>(options.threads));
    std::vector<std::thread> threads;
    for (int i = 0; i < options.threads; ++i) {
        threads.emplace_back(writer, std::cref(options), i, std::cref(stop), std::ref(ready),
                             &results[static_cast<std::size_t>(i)]);
    }
    while (ready.load() < options.threads) std::this_thread::yield();
    // Rows committed before the clock starts are subtracted (threads start one by one).
    long long before = 0;
    for (const WriterResult& result : results) before += result.rows;
    const auto start = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
    long long rows = 0;
    for (const WriterResult& result : results) rows += result.rows;
    const auto end = std::chrono::steady_clock::now();
    stop.store(true);
    for (std::thread& thread : threads) thread.join();

    // Every commit counted must be in the table.
    long long total = 0, busy = 0;
    for (const WriterResult& result : results) {
        total += result.rows;
        busy += result.busy_retries;
    }
    sqlite3* db = open_connection(options);
    sqlite3_stmt* count = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &count, nullptr) != SQLITE_OK ||
        sqlite3_step(count) != SQLITE_ROW) {
        fail(std::string("count: ") + sqlite3_errmsg(db));
    }
    const long long in_table = sqlite3_column_int64(count, 0);
    sqlite3_finalize(count);
    sqlite3_close(db);
    if (in_table < total) {
        fail("the table holds " + std::to_string(in_table) + " rows, fewer than the " +
             std::to_string(total) + " commits counted");
    }

    const double seconds = std::chrono::duration<double>(end - start).count();
    const long long measured = rows - before;
    std::printf(
        "{\"threads\":%d,\"rows\":%lld,\"seconds\":%.6f,\"rows_per_second\":%.3f,"
        "\"busy_retries\":%lld}\n",
        options.threads, measured, seconds, static_cast<double>(measured) / seconds, busy);
    return 0;
}
