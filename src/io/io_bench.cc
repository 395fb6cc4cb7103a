// IO seam benchmarks. What they answer:
//   * AppendSync: what one durable 4 KiB append costs through LinuxStorage (pool hop + loop
//     post) next to the same pwrite+fdatasync made directly: the seam's overhead. bench/suites/
//     io.py sets it beside `dd oflag=dsync` (and direct,dsync) as the outside peer.
//   * GroupCommit: N appends then one fdatasync, the log writer's pattern.
//   * Loop and simulator costs: post round trips, simulated operations per second.
// Files go to $KB_IO_BENCH_DIR (default: the system temp dir).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

#include "io/aligned_buffer.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "io/sim_event_loop.h"
#include "io/sim_storage.h"

namespace kb::io {
namespace {

std::string bench_dir() {
    const char* configured = std::getenv("KB_IO_BENCH_DIR");
    std::string base =
        configured != nullptr ? configured : std::filesystem::temp_directory_path().string();
    std::string pattern = base + "/kb-io-bench-XXXXXX";
    KB_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    return pattern;
}

struct ScratchDir {
    std::string path = bench_dir();
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

template <class Submit>
void wait_for(EventLoop& loop, Submit submit) {
    bool done = false;
    submit([&done](Status status) {
        KB_ASSERT_MSG(status.is_ok(), status.message().c_str());
        done = true;
    });
    KB_ASSERT(loop.run_until([&] { return done; }));
}

// Arguments: record size, O_DIRECT (0/1).
void BM_AppendSync_LinuxStorage(benchmark::State& state) {
    const usize size = static_cast<usize>(state.range(0));
    const bool direct = state.range(1) != 0;
    ScratchDir dir;
    AsioEventLoop loop;
    auto storage = LinuxStorage::open(loop, {.root = dir.path}).value();
    auto file = storage->open("log", {.write = true, .create = true, .direct = direct});
    if (!file) {
        state.SkipWithError(file.status().to_string().c_str());
        return;
    }
    AlignedBuffer record(size);
    std::fill(record.data(), record.data() + size, u8{0xab});
    u64 offset = 0;
    for (auto _ : state) {
        wait_for(loop, [&](auto done) { storage->write(*file, offset, record.span(), done); });
        wait_for(loop, [&](auto done) { storage->sync(*file, done); });
        offset += size;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(size));
}
BENCHMARK(BM_AppendSync_LinuxStorage)->Args({4096, 0})->Args({4096, 1})->UseRealTime();

void BM_AppendSync_RawSyscalls(benchmark::State& state) {
    const usize size = static_cast<usize>(state.range(0));
    const bool direct = state.range(1) != 0;
    ScratchDir dir;
    int fd = ::open((dir.path + "/log").c_str(),
                    O_RDWR | O_CREAT | O_CLOEXEC | (direct ? O_DIRECT : 0), 0600);
    if (fd < 0) {
        state.SkipWithError("open failed (O_DIRECT unsupported?)");
        return;
    }
    AlignedBuffer record(size);
    std::fill(record.data(), record.data() + size, u8{0xab});
    off_t offset = 0;
    for (auto _ : state) {
        KB_ASSERT(::pwrite(fd, record.data(), size, offset) == static_cast<ssize_t>(size));
        KB_ASSERT(::fdatasync(fd) == 0);
        offset += static_cast<off_t>(size);
    }
    ::close(fd);
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(size));
}
BENCHMARK(BM_AppendSync_RawSyscalls)->Args({4096, 0})->Args({4096, 1})->UseRealTime();

// Arguments: records per batch (4 KiB each). One fdatasync per batch, writes submitted together.
void BM_GroupCommit_LinuxStorage(benchmark::State& state) {
    const usize batch = static_cast<usize>(state.range(0));
    constexpr usize kRecord = 4096;
    ScratchDir dir;
    AsioEventLoop loop;
    auto storage = LinuxStorage::open(loop, {.root = dir.path}).value();
    FileHandle file = storage->open("log", {.write = true, .create = true}).value();
    AlignedBuffer records(batch * kRecord);
    u64 offset = 0;
    for (auto _ : state) {
        usize written = 0;
        for (usize i = 0; i < batch; ++i) {
            storage->write(file, offset + i * kRecord, records.span().subspan(i * kRecord, kRecord),
                           [&written](Status status) {
                               KB_ASSERT(status.is_ok());
                               ++written;
                           });
        }
        KB_ASSERT(loop.run_until([&] { return written == batch; }));
        wait_for(loop, [&](auto done) { storage->sync(file, done); });
        offset += batch * kRecord;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(batch));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(batch * kRecord));
}
BENCHMARK(BM_GroupCommit_LinuxStorage)->Arg(1)->Arg(16)->Arg(128)->UseRealTime();

// A 4 KiB read of a cached page: the pool hop and loop post a reader pays versus read_sync.
void BM_CachedRead_LinuxStorage(benchmark::State& state) {
    const bool synchronous = state.range(0) != 0;
    ScratchDir dir;
    AsioEventLoop loop;
    auto storage = LinuxStorage::open(loop, {.root = dir.path}).value();
    FileHandle file = storage->open("pages", {.write = true, .create = true}).value();
    AlignedBuffer page(4096);
    wait_for(loop, [&](auto done) { storage->write(file, 0, page.span(), done); });
    for (auto _ : state) {
        if (synchronous) {
            KB_ASSERT(storage->read_sync(file, 0, page.span()).value() == 4096);
        } else {
            bool done = false;
            storage->read(file, 0, page.span(), [&done](Status status, usize count) {
                KB_ASSERT(status.is_ok() && count == 4096);
                done = true;
            });
            KB_ASSERT(loop.run_until([&] { return done; }));
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CachedRead_LinuxStorage)->Arg(0)->Arg(1)->UseRealTime();

void BM_AsioEventLoop_PostAndRun(benchmark::State& state) {
    AsioEventLoop loop;
    u64 count = 0;
    for (auto _ : state) {
        loop.post([&count] { ++count; });
        loop.poll();
    }
    benchmark::DoNotOptimize(count);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AsioEventLoop_PostAndRun);

void BM_SimEventLoop_PostAndRun(benchmark::State& state) {
    ManualClock clock;
    SimEventLoop loop(clock);
    u64 count = 0;
    for (auto _ : state) {
        loop.post([&count] { ++count; });
        loop.poll();
    }
    benchmark::DoNotOptimize(count);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimEventLoop_PostAndRun);

// Simulated write+sync pairs per second: bounds how fast the simulator can run a workload.
void BM_SimStorage_WriteSync(benchmark::State& state) {
    ManualClock clock;
    SimEventLoop loop(clock);
    SimDisk disk({.seed = 1});
    SimStorage storage(disk, loop, {.seed = 1});
    FileHandle file = storage.open("log", {.write = true, .create = true}).value();
    Bytes record(4096, 0xab);
    u64 offset = 0;
    for (auto _ : state) {
        wait_for(loop, [&](auto done) { storage.write(file, offset, record, done); });
        wait_for(loop, [&](auto done) { storage.sync(file, done); });
        // Stay within one segment-sized file so memory does not grow with iterations.
        offset = (offset + record.size()) % (64 << 20);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SimStorage_WriteSync);

}  // namespace
}  // namespace kb::io
