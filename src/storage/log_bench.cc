// Log benchmarks on real files (LinuxStorage + AsioEventLoop, as the server runs it). What
// they answer (bench/suites/log.py sets them beside their peers; docs/PERFORMANCE.md):
//   * LogConcurrentAppends/<policy>/<N>: N appenders, each keeping one single-record append
//     (100 B payload, sealed when submitted) in flight: a client's next request arrives through
//     the event loop once its previous one is acknowledged durable. Records acknowledged per
//     second under group_commit vs every_record; the peer is SQLite (WAL, synchronous=FULL)
//     with N writer threads (bench/sqlite_commit_bench.cc).
//   * LogEncrypted1MiB/<policy>/<N>: each append() one record with a 1 MiB payload sealed
//     inside the timed loop (build_record: AES-256-GCM, SHA-256 digest, CRC32C) on a sealing
//     thread that keeps the chain and hands records to the loop in order (sealing off the loop,
//     IO on it), N appends in flight. Payload bytes acknowledged per second; the peer is
//     `dd oflag=direct,dsync bs=1M`. LogSeal1MiB and LogAppendCheck1MiB time the CPU parts.
// Both count only acknowledged records: the log's callback ran ok, so each is durable and
// covered by a durable mark. The counter records_per_flush shows how many records one round
// of writes and syncs carried (below 1 when rounds carry only the mark of the previous one);
// sealer_busy, the fraction of the time the sealing thread spent sealing (near 1: sealing
// is what limits). Files go to $KB_LOG_BENCH_DIR (default: the system temp dir).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/prng.h"
#include "crypto/random.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "storage/attestation.h"
#include "storage/log.h"
#include "storage/log_test_support.h"

namespace kb::storage {
namespace {

constexpr usize kSmallPayloadBytes = 100;
constexpr usize kLargePayloadBytes = 1 << 20;

std::string bench_dir() {
    const char* configured = std::getenv("KB_LOG_BENCH_DIR");
    std::string base =
        configured != nullptr ? configured : std::filesystem::temp_directory_path().string();
    std::string pattern = base + "/kb-log-bench-XXXXXX";
    KB_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    return pattern;
}

// A log in a fresh scratch directory, removed afterwards. Members are destroyed in reverse:
// the log, then the storage (waiting for its IO threads), then the loop, then the files.
struct ScratchLog {
    struct Dir {
        std::string path = bench_dir();
        ~Dir() {
            std::error_code ignored;
            std::filesystem::remove_all(path, ignored);
        }
    };

    explicit ScratchLog(LogOptions options) {
        auto opened = io::LinuxStorage::open(loop, {.root = dir.path});
        if (!opened) {
            error = opened.status().to_string();
            return;
        }
        storage = std::move(*opened);
        if (Status locked = storage->lock_exclusive(); !locked.is_ok()) {
            error = locked.to_string();
            return;
        }
        auto log_opened = Log::open(*storage, loop, options);
        if (!log_opened) {
            error = log_opened.status().to_string();
            return;
        }
        log = std::move(*log_opened);
    }

    Dir dir;
    io::AsioEventLoop loop;
    std::unique_ptr<io::LinuxStorage> storage;
    std::unique_ptr<Log> log;
    std::string error;
};

// Keeps `in_flight` single-record appends outstanding: each is submitted as a task posted to
// the loop (as a client request would arrive), builds its record when it runs (the record
// chains to the log's tail at that moment), and posts the next submission when acknowledged.
class InFlightAppender {
public:
    using MakeRecord = std::function<Bytes(const Log&)>;

    InFlightAppender(Log& log, io::EventLoop& loop, MakeRecord make_record)
        : log_(log), loop_(loop), make_record_(std::move(make_record)) {}

    void start(usize in_flight) {
        for (usize i = 0; i < in_flight; ++i) submit();
    }
    // Runs the loop until `count` records in all have been acknowledged (or one failed).
    bool wait_for_acknowledged(u64 count) {
        return loop_.run_until([&] { return acknowledged_ >= count || !failure_.is_ok(); }) &&
               failure_.is_ok();
    }
    // Stops submitting and waits for the appends still outstanding.
    void drain() {
        stopping_ = true;
        (void)loop_.run_until([&] { return outstanding_ == 0; });
    }
    u64 acknowledged() const { return acknowledged_; }
    const Status& failure() const { return failure_; }

private:
    void submit() {
        ++outstanding_;
        loop_.post([this] {
            if (!failure_.is_ok()) {
                --outstanding_;
                return;
            }
            Status accepted = log_.append(
                {make_record_(log_)},
                [this](Status status) {
                    --outstanding_;
                    if (!status.is_ok()) {
                        if (failure_.is_ok()) failure_ = std::move(status);
                        return;
                    }
                    ++acknowledged_;
                    if (!stopping_) submit();
                },
                RecordSource::built_here);
            if (!accepted.is_ok()) {
                --outstanding_;
                if (failure_.is_ok()) failure_ = std::move(accepted);
            }
        });
    }

    Log& log_;
    io::EventLoop& loop_;
    MakeRecord make_record_;
    u64 acknowledged_ = 0;
    usize outstanding_ = 0;
    bool stopping_ = false;
    Status failure_;
};

// Times one acknowledged record per iteration; returns false (having told `state`) on error.
template <typename Appender>
bool run_appends(benchmark::State& state, ScratchLog& scratch, Appender& appender,
                 usize in_flight) {
    const u64 flushes_before = scratch.log->flush_count();
    appender.start(in_flight);
    u64 target = 0;
    bool ok = true;
    for (auto _ : state) {
        if (!appender.wait_for_acknowledged(++target)) {
            ok = false;
            break;
        }
    }
    const u64 acknowledged = appender.acknowledged();
    const u64 flushes = scratch.log->flush_count() - flushes_before;
    appender.drain();
    if (!ok || !appender.failure().is_ok()) {
        state.SkipWithError(("append failed: " + appender.failure().to_string()).c_str());
        return false;
    }
    state.counters["records_per_flush"] =
        flushes == 0 ? 0.0 : static_cast<double>(acknowledged) / static_cast<double>(flushes);
    return true;
}

void BM_LogConcurrentAppends(benchmark::State& state, FsyncPolicy policy) {
    const usize in_flight = static_cast<usize>(state.range(0));
    ScratchLog scratch({.fsync = policy});
    if (!scratch.log) {
        state.SkipWithError(("cannot open the log: " + scratch.error).c_str());
        return;
    }
    auto keys = testing::make_test_keys();
    testing::RecordFactory factory(keys.get());
    InFlightAppender appender(*scratch.log, scratch.loop, [&](const Log& log) {
        return std::move(factory.next(log, 1, kSmallPayloadBytes).front());
    });
    if (!run_appends(state, scratch, appender, in_flight)) return;
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(kSmallPayloadBytes));
}
BENCHMARK_CAPTURE(BM_LogConcurrentAppends, group_commit, FsyncPolicy::group_commit)
    ->Arg(16)
    ->Arg(64)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LogConcurrentAppends, every_record, FsyncPolicy::every_record)
    ->Arg(16)
    ->UseRealTime();

// Seals a 1 MiB plaintext as the record at a given position (a fresh nonce each time).
class LargeRecordMaker {
public:
    explicit LargeRecordMaker(KeySource* keys) : keys_(keys), random_(11), plaintext_(make()) {}

    BuiltRecord operator()(Position position, const ComplianceHash& previous_chain_hash) {
        RecordInput input;
        input.position = position;
        input.view = View(1);
        input.tenant = testing::kTestTenant;
        input.principal = PrincipalId(1);
        input.client_id = ClientId(42);
        input.request_number = RequestNumber(position.value());
        input.timestamp = Timestamp(1'700'000'000'000'000'000ULL + position.value());
        input.payload = plaintext_;
        auto built = build_record(input, previous_chain_hash, keys_, random_);
        KB_ASSERT_MSG(built.has_value(), built.status().to_string().c_str());
        return std::move(*built);
    }

private:
    // Built once: the test plaintext generator is byte-at-a-time and would dominate here.
    static Bytes make() {
        Bytes head = testing::plaintext_for(Position(1), 4096);
        Bytes plaintext;
        plaintext.reserve(kLargePayloadBytes);
        while (plaintext.size() < kLargePayloadBytes) {
            const usize take = std::min(head.size(), kLargePayloadBytes - plaintext.size());
            plaintext.insert(plaintext.end(), head.begin(), head.begin() + static_cast<long>(take));
        }
        return plaintext;
    }

    KeySource* keys_;
    crypto::SeededRandom random_;
    Bytes plaintext_;
};

// Keeps `in_flight` single-record appends outstanding with sealing off the loop, the way a
// primary runs bulk writes: one sealing thread seals records in order, keeping the chain itself
// (the position and chain hash of the last record it sealed, starting from the log's tail), and
// posts each finished record to the loop, which appends it (log.h, "Threads"). A record counts
// as in flight from the moment its sealing starts until the log acknowledges it, so at most
// `in_flight` are being sealed, queued or flushed at once; while the loop writes and syncs,
// the next records are being sealed on the other CPU.
class SealingThreadAppender {
public:
    SealingThreadAppender(Log& log, io::EventLoop& loop, LargeRecordMaker& maker)
        : log_(log), loop_(loop), maker_(maker) {}
    ~SealingThreadAppender() { stop_sealing(); }

    void start(usize in_flight) {
        in_flight_ = in_flight;
        sealer_ =
            std::thread([this, position = log_.last_position(),
                         chain = log_.last_chain_hash()]() mutable { seal_loop(position, chain); });
    }
    bool wait_for_acknowledged(u64 count) {
        return loop_.run_until([&] { return acknowledged_ >= count || !failure_.is_ok(); }) &&
               failure_.is_ok();
    }
    // Stops sealing and waits for the appends already sealed.
    void drain() {
        stop_sealing();
        (void)loop_.run_until([&] { return completed_ == posted_.load(); });
    }
    u64 acknowledged() const { return acknowledged_; }
    const Status& failure() const { return failure_; }
    // Time the sealing thread has spent sealing.
    double sealing_seconds() const { return static_cast<double>(sealing_ns_.load()) / 1e9; }

private:
    void seal_loop(Position position, ComplianceHash chain) {
        while (true) {
            {
                std::unique_lock lock(mutex_);
                slot_free_.wait(lock, [&] { return stopping_ || unacknowledged_ < in_flight_; });
                if (stopping_) return;
                ++unacknowledged_;
            }
            position = position.next();
            const auto started = std::chrono::steady_clock::now();
            BuiltRecord built = maker_(position, chain);
            sealing_ns_.fetch_add(
                static_cast<u64>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count()));
            chain = built.chain_hash;
            posted_.fetch_add(1);
            loop_.post(
                [this, bytes = std::move(built.bytes)]() mutable { append(std::move(bytes)); });
        }
    }

    // On the loop thread.
    void append(Bytes bytes) {
        if (!failure_.is_ok()) {
            finish(false);
            return;
        }
        std::vector<Bytes> records;
        records.push_back(std::move(bytes));
        Status accepted = log_.append(
            std::move(records),
            [this](Status status) {
                if (!status.is_ok() && failure_.is_ok()) failure_ = std::move(status);
                finish(status.is_ok());
            },
            RecordSource::built_here);
        if (!accepted.is_ok()) {
            if (failure_.is_ok()) failure_ = std::move(accepted);
            finish(false);
        }
    }
    void finish(bool acknowledged) {
        ++completed_;
        if (acknowledged) ++acknowledged_;
        std::lock_guard lock(mutex_);
        // After a failure the chain the sealer keeps no longer matches the log: stop it.
        if (!failure_.is_ok()) stopping_ = true;
        --unacknowledged_;
        slot_free_.notify_one();
    }
    void stop_sealing() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        slot_free_.notify_one();
        if (sealer_.joinable()) sealer_.join();
    }

    Log& log_;
    io::EventLoop& loop_;
    LargeRecordMaker& maker_;  // used by the sealing thread only
    usize in_flight_ = 0;
    std::thread sealer_;
    std::mutex mutex_;
    std::condition_variable slot_free_;
    usize unacknowledged_ = 0;  // guarded by mutex_
    bool stopping_ = false;     // guarded by mutex_
    std::atomic<u64> posted_{0};
    std::atomic<u64> sealing_ns_{0};
    // Loop thread only.
    u64 completed_ = 0;
    u64 acknowledged_ = 0;
    Status failure_;
};

void BM_LogEncrypted1MiB(benchmark::State& state, FsyncPolicy policy, bool always_zero_fill) {
    const usize in_flight = static_cast<usize>(state.range(0));
    LogOptions options{.fsync = policy};
    if (always_zero_fill) options.zero_fill_flush_bytes_max = std::numeric_limits<u64>::max();
    ScratchLog scratch(options);
    if (!scratch.log) {
        state.SkipWithError(("cannot open the log: " + scratch.error).c_str());
        return;
    }
    auto keys = testing::make_test_keys();
    LargeRecordMaker maker(keys.get());
    SealingThreadAppender appender(*scratch.log, scratch.loop, maker);
    const auto started = std::chrono::steady_clock::now();
    if (!run_appends(state, scratch, appender, in_flight)) return;
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    state.counters["sealer_busy"] = appender.sealing_seconds() / elapsed.count();
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(kLargePayloadBytes));
}
// every_batch: one flush (write + fdatasync) per append. With one append in flight each
// waits for its mark's flush too (two syncs per MiB); with four the flushes pipeline.
BENCHMARK_CAPTURE(BM_LogEncrypted1MiB, every_batch, FsyncPolicy::every_batch, false)
    ->Arg(1)
    ->Arg(4)
    ->UseRealTime();
// group_commit: a flush carries every append queued while the previous one ran (<= 8 MiB).
BENCHMARK_CAPTURE(BM_LogEncrypted1MiB, group_commit, FsyncPolicy::group_commit, false)
    ->Arg(4)
    ->UseRealTime();
// The same with every segment zero-filled ahead whatever the flush size (as before
// LogOptions::zero_fill_flush_bytes_max): the zeros double the bytes the device writes.
BENCHMARK_CAPTURE(BM_LogEncrypted1MiB, group_commit_zero_filled, FsyncPolicy::group_commit, true)
    ->Arg(4)
    ->UseRealTime();

// The CPU parts of one 1 MiB append, without IO: sealing (build_record: AES-256-GCM, SHA-256
// digest of the ciphertext, CRC32C) and the checks Log::append makes before accepting a record
// (parse_record: header and payload CRC32C and the digest, again).
void BM_LogSeal1MiB(benchmark::State& state) {
    ScratchLog scratch({});
    if (!scratch.log) {
        state.SkipWithError(("cannot open the log: " + scratch.error).c_str());
        return;
    }
    auto keys = testing::make_test_keys();
    LargeRecordMaker maker(keys.get());
    for (auto _ : state) {
        BuiltRecord record =
            maker(scratch.log->last_position().next(), scratch.log->last_chain_hash());
        benchmark::DoNotOptimize(record.bytes.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(kLargePayloadBytes));
}
BENCHMARK(BM_LogSeal1MiB);

void BM_LogAppendCheck1MiB(benchmark::State& state) {
    ScratchLog scratch({});
    if (!scratch.log) {
        state.SkipWithError(("cannot open the log: " + scratch.error).c_str());
        return;
    }
    auto keys = testing::make_test_keys();
    LargeRecordMaker maker(keys.get());
    const Bytes record =
        maker(scratch.log->last_position().next(), scratch.log->last_chain_hash()).bytes;
    for (auto _ : state) {
        auto view = parse_record(record);
        KB_ASSERT(view.has_value());
        benchmark::DoNotOptimize(view->header.payload_checksum);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(kLargePayloadBytes));
}
BENCHMARK(BM_LogAppendCheck1MiB);

// Reads. A log of kReadRecords records (100 B payloads, 8 MiB segments: several sealed ones
// with their index files, then the tail) is built once per process, with an attestation of its
// last op as the final record; each benchmark opens it again (as a restarted server does) with
// the options of its variant:
//   * LogReadChunks/<variant>: every record in order, in 8 MiB reads (what replay does), over
//     a log opened once: after the first pass every anchor is known.
//   * LogReadChunksAfterOpen/<variant>: the same, but the log is opened again before every
//     pass (not timed): what the first replay after a restart pays.
//   * LogReadEach/<variant>: read(p, p) for p = 1, 2, 3 ... (one record per call).
//   * LogReadRandom/<variant>: read(p, p) for p drawn at random.
//   * LogOpenForReads/<variant>: Log::open of that log (recovery scans the tail segment).
// Variants: unanchored (no trusted keys) and anchored (the attestation's signer trusted).
constexpr u64 kReadRecords = 100'000;
constexpr u64 kReadSegmentBytes = 8 * limits::kMiB;
constexpr u64 kReadChunkBytes = 8 * limits::kMiB;

// The shared read-only log (built on first use, removed at exit).
struct ReadLogDir {
    ReadLogDir() {
        crypto::SeededRandom random(77);
        signer = std::make_unique<crypto::Ed25519SigningKey>(
            crypto::Ed25519SigningKey::generate(random));
        ScratchLog scratch({.segment_capacity_bytes = kReadSegmentBytes});
        if (!scratch.log) {
            error = scratch.error;
            return;
        }
        auto keys = testing::make_test_keys();
        testing::RecordFactory factory(keys.get());
        Status status;
        auto append = [&](std::vector<Bytes> records) {
            bool done = false;
            Status accepted = scratch.log->append(std::move(records), [&](Status result) {
                status = std::move(result);
                done = true;
            });
            if (!accepted.is_ok()) {
                status = std::move(accepted);
                return false;
            }
            return scratch.loop.run_until([&] { return done; }) && status.is_ok();
        };
        for (u64 appended = 0; appended < kReadRecords - 1;) {
            const usize count =
                static_cast<usize>(std::min<u64>(1000, kReadRecords - 1 - appended));
            if (!append(factory.next(*scratch.log, count, kSmallPayloadBytes))) {
                error = status.to_string();
                return;
            }
            appended += count;
        }
        const Log& log = *scratch.log;
        RecordInput input;
        input.kind = RecordKind::attestation;
        input.seal = SealKind::clear;
        input.position = log.last_position().next();
        input.view = View(1);
        input.timestamp = Timestamp(1'800'000'000'000'000'000ULL);
        const Bytes payload =
            make_attestation(log.last_position(), log.last_chain_hash(), input.timestamp, *signer);
        input.payload = payload;
        auto built = build_record(input, log.last_chain_hash(), nullptr, random);
        if (!built || !append({std::move(built->bytes)})) {
            error = built ? status.to_string() : built.status().to_string();
            return;
        }
        for (const SegmentSummary& summary : log.segments()) {
            if (!summary.empty()) bytes += summary.end_offset - summary.anchors.front().offset;
        }
        scratch.loop.run_for(200'000'000);  // the last index writes (not synced, not awaited)
        scratch.log.reset();
        path = scratch.dir.path;
        scratch.dir.path.clear();  // kept: removed by this object
    }
    ~ReadLogDir() {
        std::error_code ignored;
        if (!path.empty()) std::filesystem::remove_all(path, ignored);
    }

    std::unique_ptr<crypto::Ed25519SigningKey> signer;
    std::string path;
    u64 bytes = 0;  // of all records
    std::string error;
};

ReadLogDir& read_log_dir() {
    static ReadLogDir dir;
    return dir;
}

// The shared log opened with a variant's options.
struct OpenReadLog {
    explicit OpenReadLog(LogOptions options) {
        ReadLogDir& dir = read_log_dir();
        if (!dir.error.empty()) {
            error = "building the log: " + dir.error;
            return;
        }
        auto opened = io::LinuxStorage::open(loop, {.root = dir.path});
        if (!opened) {
            error = opened.status().to_string();
            return;
        }
        storage = std::move(*opened);
        if (Status locked = storage->lock_exclusive(); !locked.is_ok()) {
            error = locked.to_string();
            return;
        }
        reopen(options);
    }
    void reopen(LogOptions options) {
        log.reset();
        auto log_opened = Log::open(*storage, loop, options);
        if (!log_opened) {
            error = log_opened.status().to_string();
            return;
        }
        log = std::move(*log_opened);
    }

    io::AsioEventLoop loop;
    std::unique_ptr<io::LinuxStorage> storage;
    std::unique_ptr<Log> log;
    std::string error;
};

// anchored: the attestation's signer is trusted, so reads are verified against it (log.h,
// "Trust"); unanchored: no keys, reads bound to the chain recomputed at open.
LogOptions read_options(bool anchored) {
    LogOptions options{.segment_capacity_bytes = kReadSegmentBytes};
    if (anchored) options.trusted_keys.add(read_log_dir().signer->public_key());
    return options;
}

// Reads every durable record in order in chunks; false (having told `state`) on error.
bool read_all_in_chunks(benchmark::State& state, Log& log) {
    Position from(1);
    while (from <= log.durable_position()) {
        auto records = log.read(from, log.durable_position(), kReadChunkBytes);
        if (!records) {
            state.SkipWithError(("read failed: " + records.status().to_string()).c_str());
            return false;
        }
        benchmark::DoNotOptimize(records->data());
        from = Position(from.value() + records->size());
    }
    return true;
}

void BM_LogReadChunks(benchmark::State& state, bool anchored) {
    OpenReadLog open(read_options(anchored));
    if (!open.log) {
        state.SkipWithError(("cannot open the log: " + open.error).c_str());
        return;
    }
    for (auto _ : state) {
        if (!read_all_in_chunks(state, *open.log)) return;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(kReadRecords));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(read_log_dir().bytes));
}
BENCHMARK_CAPTURE(BM_LogReadChunks, unanchored, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LogReadChunks, anchored, true)->Unit(benchmark::kMillisecond);

void BM_LogReadChunksAfterOpen(benchmark::State& state, bool anchored) {
    OpenReadLog open(read_options(anchored));
    if (!open.log) {
        state.SkipWithError(("cannot open the log: " + open.error).c_str());
        return;
    }
    for (auto _ : state) {
        state.PauseTiming();
        open.reopen(read_options(anchored));
        state.ResumeTiming();
        if (!open.log) {
            state.SkipWithError(("cannot reopen the log: " + open.error).c_str());
            return;
        }
        if (!read_all_in_chunks(state, *open.log)) return;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(kReadRecords));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(read_log_dir().bytes));
}
BENCHMARK_CAPTURE(BM_LogReadChunksAfterOpen, unanchored, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LogReadChunksAfterOpen, anchored, true)->Unit(benchmark::kMillisecond);

// What finding and verifying the trust anchor adds to opening the log: the attestation is the
// tail segment's last record, so the whole tail segment's headers are walked to find it.
void BM_LogOpenForReads(benchmark::State& state, bool anchored) {
    OpenReadLog open(read_options(anchored));
    if (!open.log) {
        state.SkipWithError(("cannot open the log: " + open.error).c_str());
        return;
    }
    for (auto _ : state) {
        open.reopen(read_options(anchored));
        if (!open.log) {
            state.SkipWithError(("cannot reopen the log: " + open.error).c_str());
            return;
        }
    }
}
BENCHMARK_CAPTURE(BM_LogOpenForReads, unanchored, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_LogOpenForReads, anchored, true)->Unit(benchmark::kMillisecond);

void BM_LogReadEach(benchmark::State& state, bool anchored) {
    OpenReadLog open(read_options(anchored));
    if (!open.log) {
        state.SkipWithError(("cannot open the log: " + open.error).c_str());
        return;
    }
    Log& log = *open.log;
    Position position;
    for (auto _ : state) {
        position = position < log.durable_position() ? position.next() : Position(1);
        auto records = log.read(position, position, 1);
        if (!records) {
            state.SkipWithError(("read failed: " + records.status().to_string()).c_str());
            return;
        }
        benchmark::DoNotOptimize(records->data());
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_LogReadEach, unanchored, false);
BENCHMARK_CAPTURE(BM_LogReadEach, anchored, true);

void BM_LogReadRandom(benchmark::State& state, bool anchored) {
    OpenReadLog open(read_options(anchored));
    if (!open.log) {
        state.SkipWithError(("cannot open the log: " + open.error).c_str());
        return;
    }
    Log& log = *open.log;
    Prng prng(5);
    for (auto _ : state) {
        const Position position(1 + prng.uniform(log.durable_position().value()));
        auto records = log.read(position, position, 1);
        if (!records) {
            state.SkipWithError(("read failed: " + records.status().to_string()).c_str());
            return;
        }
        benchmark::DoNotOptimize(records->data());
    }
    state.SetItemsProcessed(static_cast<i64>(state.iterations()));
}
BENCHMARK_CAPTURE(BM_LogReadRandom, unanchored, false);
BENCHMARK_CAPTURE(BM_LogReadRandom, anchored, true);

}  // namespace
}  // namespace kb::storage
