// Durable writes through the embedded database — a one-replica VSR cluster (vsr/replica.h) over
// the log — on real files: BM_EmbeddedDurableAppends/threads:16 has 16 threads each appending
// one 100-byte event per Database::append (so 16 in flight, as BM_LogConcurrentAppends/16 keeps
// 16 single-record appends in flight on the raw log). Events acknowledged durable per second of
// wall time. bench/suites/vsr.py compares the two in one run (issue 6: the cluster of one
// against the raw log append rate). BM_EmbeddedDurableBatchAppends/100 appends batches of 100
// events (bench/suites/native.py: the native protocol against it). Files go to $KB_DB_BENCH_DIR
// (default: the temp dir).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "kimberlite/database.h"

namespace kb {
namespace {

constexpr usize kPayloadBytes = 100;

struct SharedDatabase {
    std::string root;
    std::unique_ptr<Database> db;
    TenantId tenant;
    StreamId stream;
    std::string error;
};

SharedDatabase& shared() {
    static SharedDatabase instance;
    return instance;
}

void open_database(SharedDatabase& s) {
    const char* configured = std::getenv("KB_DB_BENCH_DIR");
    const std::filesystem::path base = configured != nullptr
                                           ? std::filesystem::path(configured)
                                           : std::filesystem::temp_directory_path();
    char pattern[] = "kb-durable-bench-XXXXXX";
    std::filesystem::create_directories(base);
    const std::string dir = (base / pattern).string();
    std::vector<char> buffer(dir.begin(), dir.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) {
        s.error = "mkdtemp failed";
        return;
    }
    s.root = buffer.data();
    DatabaseOptions options;
    options.key_dir = s.root + "/keys";
    auto db = Database::open(s.root + "/data", options);
    if (!db) {
        s.error = db.status().to_string();
        return;
    }
    s.db = std::move(*db);
    s.tenant = *s.db->tenant("default");
    auto stream = s.db->create_stream(s.tenant, "bench");
    if (!stream) {
        s.error = stream.status().to_string();
        return;
    }
    s.stream = *stream;
}

void close_database(SharedDatabase& s) {
    if (s.db) (void)s.db->close();
    s.db.reset();
    if (!s.root.empty()) std::filesystem::remove_all(s.root);
    s.root.clear();
}

void BM_EmbeddedDurableAppends(benchmark::State& state) {
    SharedDatabase& s = shared();
    if (state.thread_index() == 0) open_database(s);
    const std::vector<unsigned char> event(kPayloadBytes, 'e');
    for (auto _ : state) {
        if (!s.db) {
            state.SkipWithError(s.error.c_str());
            break;
        }
        auto appended = s.db->append(s.tenant, s.stream, {event});
        if (!appended) {
            state.SkipWithError(appended.status().to_string().c_str());
            break;
        }
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(kPayloadBytes));
    if (state.thread_index() == 0) close_database(s);
}
BENCHMARK(BM_EmbeddedDurableAppends)->Threads(16)->UseRealTime();

// The same with `range(0)` events per Database::append (bench/suites/native.py compares the
// native protocol's batch appends against it): events acknowledged durable per second.
void BM_EmbeddedDurableBatchAppends(benchmark::State& state) {
    SharedDatabase& s = shared();
    if (state.thread_index() == 0) open_database(s);
    const std::vector<std::vector<unsigned char>> batch(
        static_cast<usize>(state.range(0)), std::vector<unsigned char>(kPayloadBytes, 'e'));
    for (auto _ : state) {
        if (!s.db) {
            state.SkipWithError(s.error.c_str());
            break;
        }
        auto appended = s.db->append(s.tenant, s.stream, batch);
        if (!appended) {
            state.SkipWithError(appended.status().to_string().c_str());
            break;
        }
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()) * state.range(0));
    if (state.thread_index() == 0) close_database(s);
}
BENCHMARK(BM_EmbeddedDurableBatchAppends)->Arg(100)->Threads(16)->UseRealTime();

}  // namespace
}  // namespace kb
