// io_uring probe: does io_uring pay for LinuxStorage? (issue 2: "io_uring if it pays, measured").
//
// These benchmarks are the io_uring side of the comparison; the seam side is io_bench.cc
// (BM_AppendSync_LinuxStorage, BM_AppendSync_RawSyscalls, BM_GroupCommit_LinuxStorage), which
// lives in the same binary so one run with --benchmark_enable_random_interleaving puts every
// variant under the same machine load. On a shared disk whose fdatasync latency drifts, the
// per-operation interleaving of UringProbe_Interleaved_large is the sharper instrument.
// docs/PERFORMANCE.md ("io_uring") has the commands, the numbers and the verdict (not now).
//   * AppendSync_IoUring: one linked WRITE + FSYNC(DATASYNC) submission per 4 KiB append,
//     waited for on the calling thread (a lower bound: a real integration would also have to
//     wake the event loop through an eventfd).
//   * GroupCommit_IoUring: N writes and one fdatasync in a single submission, the fsync ordered
//     after the writes either by linking the whole chain or by IOSQE_IO_DRAIN.
//   * GroupCommit_RawSyscalls: the same N pwrites + one fdatasync on the calling thread, the
//     floor both of the others are measured against.
//   * IoUring_NopRoundTrip: an empty submission and its completion, the ring's own cost.
//   * UringProbe_Interleaved_large: the seam, raw-syscall and io_uring shapes (including the
//     one-coalesced-write shape Log::flush uses) alternated commit by commit on files in one
//     directory, each commit timed; counters give medians and the paired cost over raw
//     syscalls. Benchmark-level interleaving still lets a burst of someone else's IO land on one
//     variant's repetition; alternating per commit gives every variant the same disk.
// Run with KB_IO_BENCH_DIR on a real file system for the durable cost and on tmpfs (/dev/shm),
// where fdatasync is free, for the pure hand-off cost. Files go to $KB_IO_BENCH_DIR (default:
// the system temp dir) and are removed afterwards.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/assert.h"
#include "base/ints.h"
#include "io/aligned_buffer.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"

namespace kb::io {
namespace {

constexpr usize kRecord = 4096;
constexpr u64 kFsyncTag = ~u64{0};

// A fresh directory under $KB_IO_BENCH_DIR, removed with everything in it on destruction.
struct ProbeDir {
    std::string path;
    ProbeDir() {
        const char* configured = std::getenv("KB_IO_BENCH_DIR");
        std::string base =
            configured != nullptr ? configured : std::filesystem::temp_directory_path().string();
        path = base + "/kb-uring-probe-XXXXXX";
        KB_ASSERT(::mkdtemp(path.data()) != nullptr);
    }
    ~ProbeDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
    ProbeDir(const ProbeDir&) = delete;
    ProbeDir& operator=(const ProbeDir&) = delete;
};

// An append-only file opened the way LinuxStorage opens a log (O_CLOEXEC, 0600, optional
// O_DIRECT); fd < 0 if the file system refused.
struct ProbeFile {
    int fd = -1;
    ProbeFile(const std::string& dir, bool direct, const char* name = "log") {
        fd = ::open((dir + "/" + name).c_str(),
                    O_RDWR | O_CREAT | O_CLOEXEC | (direct ? O_DIRECT : 0), 0600);
    }
    ~ProbeFile() {
        if (fd >= 0) ::close(fd);
    }
    ProbeFile(const ProbeFile&) = delete;
    ProbeFile& operator=(const ProbeFile&) = delete;
};

// A ring owned by the benchmark; `ok` is false (with `error` set) if the kernel refused it,
// e.g. io_uring disabled by sysctl or seccomp.
struct Ring {
    io_uring ring{};
    bool ok = false;
    std::string error;
    Ring(unsigned entries, unsigned flags) {
        int result = io_uring_queue_init(entries, &ring, flags);
        ok = result == 0;
        if (!ok) error = std::string("io_uring_queue_init: ") + std::strerror(-result);
    }
    ~Ring() {
        if (ok) io_uring_queue_exit(&ring);
    }
    Ring(const Ring&) = delete;
    Ring& operator=(const Ring&) = delete;

    io_uring_sqe* next_sqe() {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        KB_ASSERT_MSG(sqe != nullptr, "submission queue full");
        return sqe;
    }

    // Submits what is queued, waits for `count` completions and checks each: a write carries its
    // length as user data and must be complete (no short writes here); the fsync must succeed.
    void submit_and_reap(unsigned count) {
        int submitted = io_uring_submit_and_wait(&ring, count);
        KB_ASSERT_MSG(submitted == static_cast<int>(count), "io_uring_submit_and_wait");
        for (unsigned i = 0; i < count; ++i) {
            io_uring_cqe* cqe = nullptr;
            KB_ASSERT(io_uring_wait_cqe(&ring, &cqe) == 0);
            if (cqe->user_data == kFsyncTag) {
                KB_ASSERT_MSG(cqe->res == 0, "io_uring fdatasync failed");
            } else {
                KB_ASSERT_MSG(cqe->res >= 0 && static_cast<u64>(cqe->res) == cqe->user_data,
                              "io_uring write short or failed");
            }
            io_uring_cqe_seen(&ring, cqe);
        }
    }
};

void queue_write(Ring& ring, int fd, const u8* data, usize length, u64 offset, bool link) {
    io_uring_sqe* sqe = ring.next_sqe();
    io_uring_prep_write(sqe, fd, data, static_cast<unsigned>(length), offset);
    io_uring_sqe_set_data64(sqe, length);
    if (link) io_uring_sqe_set_flags(sqe, IOSQE_IO_LINK);
}

void queue_datasync(Ring& ring, int fd, bool drain) {
    io_uring_sqe* sqe = ring.next_sqe();
    io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sqe, kFsyncTag);
    if (drain) io_uring_sqe_set_flags(sqe, IOSQE_IO_DRAIN);
}

// Arguments: O_DIRECT (0/1), ring mode (0 = default, 1 = SINGLE_ISSUER | DEFER_TASKRUN, which
// runs completion work only when the submitter waits).
void BM_AppendSync_IoUring(benchmark::State& state) {
    const bool direct = state.range(0) != 0;
    const unsigned flags =
        state.range(1) != 0 ? IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN : 0U;
    ProbeDir dir;
    ProbeFile file(dir.path, direct);
    if (file.fd < 0) {
        state.SkipWithError("open failed (O_DIRECT unsupported?)");
        return;
    }
    Ring ring(8, flags);
    if (!ring.ok) {
        state.SkipWithError(ring.error.c_str());
        return;
    }
    AlignedBuffer record(kRecord);
    std::fill(record.data(), record.data() + kRecord, u8{0xab});
    u64 offset = 0;
    for (auto _ : state) {
        queue_write(ring, file.fd, record.data(), kRecord, offset, /*link=*/true);
        queue_datasync(ring, file.fd, /*drain=*/false);
        ring.submit_and_reap(2);
        offset += kRecord;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(kRecord));
}
BENCHMARK(BM_AppendSync_IoUring)->Args({0, 0})->Args({1, 0})->Args({0, 1})->UseRealTime();

// Arguments: records per batch (4 KiB each), ordering (0 = every write linked to the next and the
// last to the fsync: the writes run one after another; 1 = writes unlinked and the fsync marked
// IOSQE_IO_DRAIN: the writes may run concurrently, the fsync waits for all of them).
void BM_GroupCommit_IoUring(benchmark::State& state) {
    const usize batch = static_cast<usize>(state.range(0));
    const bool drain = state.range(1) != 0;
    ProbeDir dir;
    ProbeFile file(dir.path, false);
    KB_ASSERT(file.fd >= 0);
    Ring ring(static_cast<unsigned>(std::bit_ceil(batch + 1)), 0);
    if (!ring.ok) {
        state.SkipWithError(ring.error.c_str());
        return;
    }
    AlignedBuffer records(batch * kRecord);
    std::fill(records.data(), records.data() + records.size(), u8{0xab});
    u64 offset = 0;
    for (auto _ : state) {
        for (usize i = 0; i < batch; ++i) {
            queue_write(ring, file.fd, records.data() + i * kRecord, kRecord, offset + i * kRecord,
                        /*link=*/!drain);
        }
        queue_datasync(ring, file.fd, drain);
        ring.submit_and_reap(static_cast<unsigned>(batch + 1));
        offset += batch * kRecord;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(batch));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(batch * kRecord));
}
BENCHMARK(BM_GroupCommit_IoUring)->Args({16, 0})->Args({16, 1})->UseRealTime();

// Argument: records per batch. The floor: N pwrites and one fdatasync on the calling thread.
void BM_GroupCommit_RawSyscalls(benchmark::State& state) {
    const usize batch = static_cast<usize>(state.range(0));
    ProbeDir dir;
    ProbeFile file(dir.path, false);
    KB_ASSERT(file.fd >= 0);
    AlignedBuffer records(batch * kRecord);
    std::fill(records.data(), records.data() + records.size(), u8{0xab});
    u64 offset = 0;
    for (auto _ : state) {
        for (usize i = 0; i < batch; ++i) {
            KB_ASSERT(::pwrite(file.fd, records.data() + i * kRecord, kRecord,
                               static_cast<off_t>(offset + i * kRecord)) ==
                      static_cast<ssize_t>(kRecord));
        }
        KB_ASSERT(::fdatasync(file.fd) == 0);
        offset += batch * kRecord;
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(batch));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(batch * kRecord));
}
BENCHMARK(BM_GroupCommit_RawSyscalls)->Arg(16)->UseRealTime();

// One NOP submitted and reaped: what the ring costs with no IO at all (compare
// BM_AsioEventLoop_PostAndRun for the loop's own post cost).
void BM_IoUring_NopRoundTrip(benchmark::State& state) {
    Ring ring(8, 0);
    if (!ring.ok) {
        state.SkipWithError(ring.error.c_str());
        return;
    }
    for (auto _ : state) {
        io_uring_sqe* sqe = ring.next_sqe();
        io_uring_prep_nop(sqe);
        io_uring_sqe_set_data64(sqe, kFsyncTag);
        KB_ASSERT(io_uring_submit_and_wait(&ring.ring, 1) == 1);
        io_uring_cqe* cqe = nullptr;
        KB_ASSERT(io_uring_wait_cqe(&ring.ring, &cqe) == 0 && cqe->res == 0);
        io_uring_cqe_seen(&ring.ring, cqe);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IoUring_NopRoundTrip)->UseRealTime();

// Arguments: records per commit (1 = one durable append, 16 = group commit), O_DIRECT (0/1) for
// every file. Each round runs every variant once, in turn, each appending to its own file:
//   seam         LinuxStorage on an AsioEventLoop: N writes, wait, one sync, wait
//   raw          N pwrites + fdatasync on this thread
//   uring_link   N writes and the fsync in one linked chain, one submission
//   uring_defer  uring_link on a ring set up SINGLE_ISSUER | DEFER_TASKRUN
//   uring_drain  N unlinked writes, the fsync behind IOSQE_IO_DRAIN (N > 1 only)
//   *_one        the batch as ONE write of N * 4 KiB + sync: the shape Log::flush issues, since
//                it coalesces a batch's records into one buffer (N > 1 only)
// Rounds rotate which variant goes first. Counters: median and 90th percentile microseconds per
// commit, and the median over rounds of (variant - raw of the same shape in the same round).
void BM_UringProbe_Interleaved_large(benchmark::State& state) {
    using Clock = std::chrono::steady_clock;
    const usize batch = static_cast<usize>(state.range(0));
    const bool direct = state.range(1) != 0;
    ProbeDir dir;
    AsioEventLoop loop;
    auto storage = LinuxStorage::open(loop, {.root = dir.path}).value();
    Ring ring(static_cast<unsigned>(std::bit_ceil(batch + 1)), 0);
    Ring deferred(static_cast<unsigned>(std::bit_ceil(batch + 1)),
                  IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN);
    if (!ring.ok || !deferred.ok) {
        state.SkipWithError(!ring.ok ? ring.error.c_str() : deferred.error.c_str());
        return;
    }
    AlignedBuffer records(batch * kRecord);
    std::fill(records.data(), records.data() + records.size(), u8{0xab});
    u64 offset = 0;

    // `pieces` writes of records.size() / pieces bytes each, then one sync.
    auto seam_commit = [&](FileHandle file, usize pieces) {
        const usize piece = records.size() / pieces;
        usize written = 0;
        for (usize i = 0; i < pieces; ++i) {
            storage->write(file, offset + i * piece, records.span().subspan(i * piece, piece),
                           [&written](Status status) {
                               KB_ASSERT_MSG(status.is_ok(), status.message().c_str());
                               ++written;
                           });
        }
        KB_ASSERT(loop.run_until([&] { return written == pieces; }));
        bool synced = false;
        storage->sync(file, [&synced](Status status) {
            KB_ASSERT_MSG(status.is_ok(), status.message().c_str());
            synced = true;
        });
        KB_ASSERT(loop.run_until([&] { return synced; }));
    };
    auto raw_commit = [&](int fd, usize pieces) {
        const usize piece = records.size() / pieces;
        for (usize i = 0; i < pieces; ++i) {
            KB_ASSERT(::pwrite(fd, records.data() + i * piece, piece,
                               static_cast<off_t>(offset + i * piece)) ==
                      static_cast<ssize_t>(piece));
        }
        KB_ASSERT(::fdatasync(fd) == 0);
    };
    auto uring_commit = [&](Ring& target, int fd, usize pieces, bool drain) {
        const usize piece = records.size() / pieces;
        for (usize i = 0; i < pieces; ++i) {
            queue_write(target, fd, records.data() + i * piece, piece, offset + i * piece, !drain);
        }
        queue_datasync(target, fd, drain);
        target.submit_and_reap(static_cast<unsigned>(pieces + 1));
    };

    struct Variant {
        std::string name;
        std::unique_ptr<ProbeFile> raw;  // the file for raw and io_uring variants
        FileHandle seam{};               // the file for seam variants
        std::function<void(Variant&)> commit;
        usize baseline = 0;  // the raw variant of the same shape (itself if raw)
        std::vector<double> micros;
    };
    std::vector<Variant> variants;
    variants.reserve(9);  // references into it are taken below
    auto add_seam = [&](std::string name, usize pieces, usize baseline) {
        Variant& v = variants.emplace_back();
        auto file = storage->open(name, {.write = true, .create = true, .direct = direct});
        KB_ASSERT_MSG(file.has_value(), file.status().to_string().c_str());
        v.seam = *file;
        v.commit = [&seam_commit, pieces](Variant& self) { seam_commit(self.seam, pieces); };
        v.name = std::move(name);
        v.baseline = baseline;
    };
    auto add_fd = [&](std::string name, usize baseline, std::function<void(int)> commit) {
        Variant& v = variants.emplace_back();
        v.raw = std::make_unique<ProbeFile>(dir.path, direct, name.c_str());
        KB_ASSERT_MSG(v.raw->fd >= 0, "open failed (O_DIRECT unsupported?)");
        v.commit = [commit = std::move(commit)](Variant& self) { commit(self.raw->fd); };
        v.name = std::move(name);
        v.baseline = baseline;
    };
    add_fd("raw", 0, [&](int fd) { raw_commit(fd, batch); });
    add_seam("seam", batch, 0);
    add_fd("uring_link", 0, [&](int fd) { uring_commit(ring, fd, batch, false); });
    add_fd("uring_defer", 0, [&](int fd) { uring_commit(deferred, fd, batch, false); });
    if (batch > 1) {
        add_fd("uring_drain", 0, [&](int fd) { uring_commit(ring, fd, batch, true); });
        const usize raw_one = variants.size();
        add_fd("raw_one", raw_one, [&](int fd) { raw_commit(fd, 1); });
        add_seam("seam_one", 1, raw_one);
        add_fd("uring_one", raw_one, [&](int fd) { uring_commit(ring, fd, 1, false); });
        add_fd("uring_defer_one", raw_one, [&](int fd) { uring_commit(deferred, fd, 1, false); });
    }

    // Each round starts at a different variant, so none always follows the same neighbour
    // (whose journal commit or dirty pages it might inherit).
    usize round = 0;
    for (auto _ : state) {
        for (usize k = 0; k < variants.size(); ++k) {
            Variant& variant = variants[(round + k) % variants.size()];
            const auto start = Clock::now();
            variant.commit(variant);
            const std::chrono::duration<double, std::micro> took = Clock::now() - start;
            variant.micros.push_back(took.count());
        }
        offset += records.size();
        ++round;
    }
    auto median = [](std::vector<double> samples) {
        std::sort(samples.begin(), samples.end());
        return samples[samples.size() / 2];
    };
    for (usize index = 0; index < variants.size(); ++index) {
        const Variant& variant = variants[index];
        if (variant.micros.empty()) continue;
        std::vector<double> sorted = variant.micros;
        std::sort(sorted.begin(), sorted.end());
        state.counters[variant.name + "_p50_us"] = sorted[sorted.size() / 2];
        state.counters[variant.name + "_p90_us"] = sorted[sorted.size() * 9 / 10];
        if (variant.baseline == index) continue;
        // Paired with its raw baseline in the same round: the variant's own cost over the two
        // system calls, with the disk's drift between rounds cancelled out.
        const std::vector<double>& base = variants[variant.baseline].micros;
        std::vector<double> over(variant.micros.size());
        for (usize i = 0; i < over.size(); ++i) over[i] = variant.micros[i] - base[i];
        state.counters[variant.name + "_over_raw_p50_us"] = median(std::move(over));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<i64>(batch * variants.size()));
}
BENCHMARK(BM_UringProbe_Interleaved_large)
    ->Args({1, 0})
    ->Args({16, 0})
    ->Args({1, 1})
    ->Args({16, 1})
    ->Iterations(2000)
    ->UseRealTime();

}  // namespace
}  // namespace kb::io
