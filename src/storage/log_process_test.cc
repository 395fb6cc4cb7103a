// The log on a real file system, in real processes:
//  * no plaintext payload byte reaches the disk (every file of the data dir is searched);
//  * a lone append is acknowledged after one fdatasync (tail mirror), counted by LinuxStorage;
//  * kill -9 of a process appending with group commit loses no acknowledged record, and every
//    record recovered is exactly one that was appended (>= 20 rounds; KB_LOG_KILL_ROUNDS for
//    more in soak runs). kill -9 keeps the page cache, so this checks the whole stack on top of
//    what the simulated-crash tests check below it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "storage/log.h"
#include "storage/log_test_support.h"

namespace kb::storage {
namespace {

using testing::plaintext_for;
using testing::RecordFactory;

constexpr usize kPayloadSize = 120;
const LogOptions kOptions{.fsync = FsyncPolicy::group_commit,
                          .segment_capacity_bytes = 1024 * 1024};

struct TempDir {
    TempDir() {
        char pattern[] = "/tmp/kmb-log-test-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::string path;
};

struct RealLog {
    explicit RealLog(const std::string& dir) {
        auto opened = io::LinuxStorage::open(loop, {.root = dir, .create_root = true});
        EXPECT_TRUE(opened.has_value()) << opened.status().to_string();
        storage = std::move(*opened);
        EXPECT_TRUE(storage->lock_exclusive().is_ok());
        auto log_opened = Log::open(*storage, loop, kOptions);
        EXPECT_TRUE(log_opened.has_value()) << log_opened.status().to_string();
        if (log_opened) log = std::move(*log_opened);
    }
    io::AsioEventLoop loop;
    std::unique_ptr<io::LinuxStorage> storage;
    std::unique_ptr<Log> log;
};

TEST(LogOnDisk, NoPlaintextReachesTheDisk) {
    TempDir dir;
    Bytes sample;
    {
        RealLog real(dir.path);
        ASSERT_TRUE(real.log);
        auto keys = testing::make_test_keys();
        RecordFactory factory(keys.get());
        for (int i = 0; i < 20; ++i) {
            std::optional<Status> done;
            ASSERT_TRUE(
                real.log
                    ->append(factory.next(*real.log, 10, kPayloadSize), [&](Status s) { done = s; })
                    .is_ok());
            real.loop.run_until([&] { return done.has_value(); });
            ASSERT_TRUE(done->is_ok());
        }
        sample = plaintext_for(Position(1), kPayloadSize);
    }
    const std::string marker = "KMB-PLAINTEXT-MARKER";
    ASSERT_NE(std::string(sample.begin(), sample.end()).find(marker), std::string::npos);
    u64 files = 0, bytes = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::string contents((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
        ++files;
        bytes += contents.size();
        EXPECT_EQ(contents.find(marker), std::string::npos) << "plaintext in " << entry.path();
        // Nor any 16-byte window of a payload's random part.
        const std::string tail(sample.end() - 16, sample.end());
        EXPECT_EQ(contents.find(tail), std::string::npos) << "plaintext in " << entry.path();
    }
    EXPECT_GE(files, 2u);  // the segment and the lock file at least
    EXPECT_GT(bytes, 200u * kPayloadSize);
}

// On a real file system, counting the fdatasync calls LinuxStorage makes: once the segment's
// header is durable, a lone append is acknowledged after exactly one (its tail mirror), and
// its mark follows later in a flush of its own.
TEST(LogOnDisk, ALoneAppendIsAcknowledgedAfterOneFdatasync) {
    TempDir dir;
    RealLog real(dir.path);
    ASSERT_TRUE(real.log);
    auto keys = testing::make_test_keys();
    RecordFactory factory(keys.get());
    auto append_one = [&] {
        std::optional<Status> done;
        EXPECT_TRUE(
            real.log->append(factory.next(*real.log, 1, kPayloadSize), [&](Status s) { done = s; })
                .is_ok());
        real.loop.run_until([&] { return done.has_value(); });
        EXPECT_TRUE(done.has_value() && done->is_ok());
    };
    // Wait until nothing is in flight: no flush, no segment being prepared, no pending mark.
    auto settle = [&] {
        for (int i = 0; i < 200; ++i) {
            const u64 syncs = real.storage->syncs();
            const u64 flushes = real.log->flush_count();
            real.loop.run_for(20'000'000);
            if (real.storage->syncs() == syncs && real.log->flush_count() == flushes) return;
        }
    };
    append_one();  // the segment's first flush writes its header: two syncs
    for (int i = 0; i < 3; ++i) {
        settle();
        const u64 before = real.storage->syncs();
        const u64 mirrored = real.log->mirrored_flush_count();
        append_one();
        EXPECT_EQ(real.storage->syncs() - before, 1u) << "append " << i;
        EXPECT_EQ(real.log->mirrored_flush_count(), mirrored + 1);
    }
}

// The child: appends forever with several appends in flight, writing each acknowledged
// position to `report_fd` (8 bytes, little endian) once the log says it is durable.
[[noreturn]] void append_until_killed(const std::string& dir, int report_fd) {
    RealLog real(dir);
    if (!real.log) ::_exit(3);
    auto keys = testing::make_test_keys();
    RecordFactory factory(keys.get(), static_cast<u64>(::getpid()));
    int in_flight = 0;
    while (true) {
        while (in_flight < 8) {
            const usize count = 1 + static_cast<usize>(real.log->last_position().value() % 3);
            const Position last = Position(real.log->last_position().value() + count);
            Status accepted = real.log->append(
                factory.next(*real.log, count, kPayloadSize), [&, last](Status status) {
                    --in_flight;
                    if (!status.is_ok()) ::_exit(4);
                    u64 value = last.value();
                    if (::write(report_fd, &value, sizeof(value)) != sizeof(value)) ::_exit(5);
                });
            if (!accepted.is_ok()) ::_exit(6);
            ++in_flight;
        }
        real.loop.run_once();
    }
}

TEST(LogOnDisk, KillNineLosesNoAcknowledgedRecord) {
    const char* rounds_env = std::getenv("KB_LOG_KILL_ROUNDS");
    const int rounds = rounds_env ? std::atoi(rounds_env) : 20;
    TempDir dir;
    Prng prng(2026);
    auto keys = testing::make_test_keys();
    u64 acknowledged = 0;
    u64 cut_total = 0;
    for (int round = 0; round < rounds; ++round) {
        int pipe_fds[2];
        ASSERT_EQ(::pipe(pipe_fds), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::close(pipe_fds[0]);
            append_until_killed(dir.path, pipe_fds[1]);
        }
        ::close(pipe_fds[1]);
        std::this_thread::sleep_for(std::chrono::milliseconds(30 + prng.uniform(120)));
        ::kill(child, SIGKILL);
        int wait_status = 0;
        ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
        ASSERT_TRUE(WIFSIGNALED(wait_status))
            << "child exited early with status " << WEXITSTATUS(wait_status);
        u64 value = 0;
        while (::read(pipe_fds[0], &value, sizeof(value)) == sizeof(value)) {
            acknowledged = std::max(acknowledged, value);
        }
        ::close(pipe_fds[0]);

        RealLog real(dir.path);
        ASSERT_TRUE(real.log) << "round " << round;
        ASSERT_GE(real.log->last_position().value(), acknowledged)
            << "round " << round << ": acknowledged records lost";
        cut_total += real.log->recovery().records_cut;
        auto plaintexts = testing::read_plaintexts(*real.log, keys.get());
        ASSERT_EQ(plaintexts.size(), real.log->last_position().value());
        for (usize i = 0; i < plaintexts.size(); ++i) {
            ASSERT_EQ(plaintexts[i], plaintext_for(Position(i + 1), kPayloadSize))
                << "round " << round << " position " << i + 1;
        }
    }
    EXPECT_GT(acknowledged, static_cast<u64>(rounds));  // the children made real progress
    std::printf("kill -9: %d rounds, %llu records acknowledged, %llu unacknowledged cut\n", rounds,
                static_cast<unsigned long long>(acknowledged),
                static_cast<unsigned long long>(cut_total));
}

}  // namespace
}  // namespace kb::storage
