// LinuxStorage tests that only make sense on a real kernel: the lock seen from another process,
// O_DIRECT, real ENOSPC and fsync failures (through /dev/full and a FIFO, whose fdatasync the
// kernel refuses), concurrent reader threads, and shutdown with IO in flight.
#include "io/linux_storage.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "base/prng.h"
#include "io/aligned_buffer.h"
#include "io/asio_event_loop.h"
#include "io/storage_test_support.h"

namespace kb::io {
namespace {

using testing::read_and_wait;
using testing::sync_and_wait;
using testing::TempDir;
using testing::write_and_wait;

std::unique_ptr<LinuxStorage> open_storage(EventLoop& loop, const std::string& root,
                                           bool read_only = false) {
    auto opened = LinuxStorage::open(loop, {.root = root, .read_only = read_only});
    EXPECT_TRUE(opened.has_value()) << opened.status().to_string();
    return opened.has_value() ? std::move(opened).value() : nullptr;
}

TEST(LinuxStorage, AnotherProcessIsRefusedTheLockAndToldWhoHoldsIt) {
    TempDir dir;
    // Fork before this process starts any thread (the storage's IO pool), so the child is an
    // ordinary single-threaded process; a pipe tells it when the parent holds the lock.
    int locked_pipe[2];
    ASSERT_EQ(::pipe(locked_pipe), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // The child only makes system calls and exits: no gtest macros across fork.
        ::close(locked_pipe[1]);
        char byte = 0;
        if (::read(locked_pipe[0], &byte, 1) != 1) ::_exit(3);
        AsioEventLoop child_loop;
        auto opened = LinuxStorage::open(child_loop, {.root = dir.path(), .io_threads = 1});
        if (!opened) ::_exit(2);
        Status status = (*opened)->lock_exclusive();
        const std::string expected = "data directory " + (*opened)->root() +
                                     " is locked by another process (pid " +
                                     std::to_string(::getppid()) + ")";
        bool refused = status.code() == StatusCode::busy && status.message() == expected;
        ::_exit(refused ? 0 : 1);
    }
    ::close(locked_pipe[0]);
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    ASSERT_TRUE(storage->lock_exclusive().is_ok());
    ASSERT_EQ(::write(locked_pipe[1], "L", 1), 1);
    ::close(locked_pipe[1]);
    int wait_status = 0;
    ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFEXITED(wait_status));
    EXPECT_EQ(WEXITSTATUS(wait_status), 0)
        << "the child was not refused with 'data directory " << storage->root()
        << " is locked by another process (pid " << ::getpid() << ")'";
}

TEST(LinuxStorage, CreatesTheRootWhenAskedAndRefusesAMissingOneOtherwise) {
    TempDir dir;
    AsioEventLoop loop;
    std::string root = dir.path() + "/a/b/data";
    auto missing = LinuxStorage::open(loop, {.root = root});
    EXPECT_EQ(missing.status().code(), StatusCode::not_found);
    EXPECT_NE(missing.status().message().find(root), std::string::npos);
    auto created = LinuxStorage::open(loop, {.root = root, .create_root = true});
    ASSERT_TRUE(created.has_value()) << created.status().to_string();
    EXPECT_EQ((*created)->root(), root);
    struct stat info {};
    ASSERT_EQ(::stat(root.c_str(), &info), 0);
    EXPECT_TRUE(S_ISDIR(info.st_mode));
}

TEST(LinuxStorage, DirectIoRoundTripsAlignedBuffers) {
    TempDir dir;
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    auto file = storage->open("direct", {.write = true, .create = true, .direct = true});
    if (!file && file.status().code() == StatusCode::unsupported) {
        GTEST_SKIP() << file.status().to_string();
    }
    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    AlignedBuffer out(2 * kDirectIoAlignment);
    ASSERT_EQ(reinterpret_cast<uintptr_t>(out.data()) % kDirectIoAlignment, 0u);
    Prng(5).fill(out.span());
    ASSERT_TRUE(write_and_wait(loop, *storage, *file, kDirectIoAlignment, out.span()).is_ok());
    ASSERT_TRUE(sync_and_wait(loop, *storage, *file).is_ok());
    AlignedBuffer in(2 * kDirectIoAlignment);
    EXPECT_EQ(read_and_wait(loop, *storage, *file, kDirectIoAlignment, in.span()).value(),
              2 * kDirectIoAlignment);
    EXPECT_TRUE(std::equal(in.span().begin(), in.span().end(), out.span().begin()));
    AlignedBuffer sync_in(kDirectIoAlignment);
    EXPECT_EQ(storage->read_sync(*file, 0, sync_in.span()).value(), kDirectIoAlignment);
    EXPECT_EQ(sync_in.span()[0], 0);  // the hole before the write
}

TEST(LinuxStorageDeathTest, MisalignedDirectIoIsAProgrammerError) {
    TempDir dir;
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    auto file = storage->open("direct", {.write = true, .create = true, .direct = true});
    if (!file) GTEST_SKIP() << file.status().to_string();
    Bytes unaligned(100);
    EXPECT_DEATH(storage->write(*file, 0, unaligned, [](Status) {}), "O_DIRECT");
}

TEST(LinuxStorage, AFullDeviceIsNoSpaceAndNamesFileAndOffset) {
    TempDir dir;
    std::filesystem::create_symlink("/dev/full", dir.path() + "/full");
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    auto file = storage->open("full", {.write = true});
    ASSERT_TRUE(file.has_value()) << file.status().to_string();
    Status status = write_and_wait(loop, *storage, *file, 8192, as_bytes("record"));
    EXPECT_EQ(status.code(), StatusCode::no_space);
    EXPECT_NE(
        status.message().find("write of " + storage->root() + "/full at offset 8192 (6 bytes)"),
        std::string::npos)
        << status.message();
    EXPECT_NE(status.message().find("ENOSPC"), std::string::npos);
}

TEST(LinuxStorage, AFailedSyncIsFatalAndPoisonsEveryLaterSync) {
    TempDir dir;
    // The kernel refuses fdatasync on a FIFO (EINVAL): a real failing sync, no root needed.
    ASSERT_EQ(::mkfifo((dir.path() + "/fifo").c_str(), 0600), 0);
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    auto healthy = storage->open("healthy", {.write = true, .create = true});
    ASSERT_TRUE(healthy.has_value());
    ASSERT_TRUE(write_and_wait(loop, *storage, *healthy, 0, as_bytes("data")).is_ok());
    ASSERT_TRUE(sync_and_wait(loop, *storage, *healthy).is_ok());

    auto fifo = storage->open("fifo", {.write = true});
    ASSERT_TRUE(fifo.has_value()) << fifo.status().to_string();
    Status failed = sync_and_wait(loop, *storage, *fifo);
    EXPECT_EQ(failed.code(), StatusCode::fatal);
    EXPECT_NE(failed.message().find("fdatasync " + storage->root() + "/fifo failed"),
              std::string::npos)
        << failed.message();
    EXPECT_TRUE(storage->poisoned());

    // Never retried as success: the healthy file, and directories, now fail too.
    Status later = sync_and_wait(loop, *storage, *healthy);
    EXPECT_EQ(later.code(), StatusCode::fatal);
    EXPECT_NE(later.message().find("an earlier sync failed"), std::string::npos);
    EXPECT_NE(later.message().find("/fifo"), std::string::npos) << later.message();
    EXPECT_EQ(storage->sync_directory("").code(), StatusCode::fatal);
    // Writes and reads still work: only durability promises are gone.
    EXPECT_TRUE(write_and_wait(loop, *storage, *healthy, 4, as_bytes("more")).is_ok());
}

TEST(LinuxStorage, ReaderThreadsReadConcurrentlyWithTheLoop) {
    TempDir dir;
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    FileHandle file = storage->open("pages", {.write = true, .create = true}).value();
    constexpr usize kPage = 4096;
    constexpr usize kPages = 64;
    Bytes content(kPage * kPages);
    Prng(9).fill(content);
    ASSERT_TRUE(write_and_wait(loop, *storage, file, 0, content).is_ok());

    std::atomic<int> mismatches{0};
    std::vector<std::thread> readers;
    for (u64 seed = 0; seed < 4; ++seed) {
        readers.emplace_back([&, seed] {
            Prng prng(seed);
            Bytes page(kPage);
            for (int i = 0; i < 500; ++i) {
                usize index = static_cast<usize>(prng.uniform(kPages));
                Result<usize> count = storage->read_sync(file, index * kPage, page);
                if (!count || *count != kPage ||
                    !std::equal(page.begin(), page.end(),
                                content.begin() + static_cast<std::ptrdiff_t>(index * kPage))) {
                    ++mismatches;
                }
            }
        });
    }
    // Meanwhile the loop keeps opening and closing other files.
    for (int i = 0; i < 50; ++i) {
        FileHandle other = storage->open("other", {.write = true, .create = true}).value();
        ASSERT_TRUE(storage->close(other).is_ok());
    }
    for (std::thread& reader : readers) reader.join();
    EXPECT_EQ(mismatches.load(), 0);
}

TEST(LinuxStorage, DestroyingTheStorageStillDeliversCallbacksInFlight) {
    TempDir dir;
    AsioEventLoop loop;
    int completed = 0;
    Bytes data(4096, 0x5a);
    {
        auto storage = open_storage(loop, dir.path());
        FileHandle file = storage->open("f", {.write = true, .create = true}).value();
        for (u64 i = 0; i < 16; ++i) {
            storage->write(file, i * 4096, data, [&](Status status) {
                EXPECT_TRUE(status.is_ok());
                ++completed;
            });
        }
        storage->sync(file, [&](Status status) {
            EXPECT_TRUE(status.is_ok());
            ++completed;
        });
    }  // joins the IO threads; their completions are already posted
    EXPECT_TRUE(loop.run_until([&] { return completed == 17; }, testing::kWaitTimeoutNs));
    EXPECT_EQ(std::filesystem::file_size(dir.path() + "/f"), 16u * 4096);
}

TEST(LinuxStorage, CountsEverySyncItMakes) {
    TempDir dir;
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    const u64 before = storage->syncs();
    FileHandle file = storage->open("f", {.write = true, .create = true}).value();
    ASSERT_TRUE(write_and_wait(loop, *storage, file, 0, Bytes(512, 1)).is_ok());
    EXPECT_EQ(storage->syncs(), before);  // writes are no syncs
    ASSERT_TRUE(sync_and_wait(loop, *storage, file).is_ok());
    ASSERT_TRUE(sync_and_wait(loop, *storage, file).is_ok());
    EXPECT_EQ(storage->syncs(), before + 2);
    ASSERT_TRUE(storage->sync_directory("").is_ok());
    EXPECT_EQ(storage->syncs(), before + 3);
}

TEST(LinuxStorage, WriteAndSyncWritesEverySpanThenSyncsOnce) {
    TempDir dir;
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    ASSERT_TRUE(storage->has_write_and_sync());
    FileHandle file = storage->open("f", {.write = true, .create = true}).value();
    const u64 before = storage->syncs();
    const Bytes head(100, 7);
    const Bytes tail(300, 9);
    std::optional<Status> result;
    storage->write_and_sync(file, {WriteSpan{0, head}, WriteSpan{1000, tail}},
                            [&](Status status) { result = std::move(status); });
    ASSERT_TRUE(loop.run_until([&] { return result.has_value(); }, testing::kWaitTimeoutNs));
    ASSERT_TRUE(result->is_ok()) << result->to_string();
    EXPECT_EQ(storage->syncs(), before + 1);
    const Bytes all = testing::read_all(loop, *storage, file);
    ASSERT_EQ(all.size(), 1300u);
    EXPECT_EQ(Bytes(all.begin(), all.begin() + 100), head);
    EXPECT_EQ(Bytes(all.begin() + 100, all.begin() + 1000), Bytes(900, 0));
    EXPECT_EQ(Bytes(all.begin() + 1000, all.end()), tail);

    // A file opened read-only is refused, and nothing is synced.
    FileHandle reader = storage->open("f", {}).value();
    result.reset();
    storage->write_and_sync(reader, {WriteSpan{0, head}},
                            [&](Status status) { result = std::move(status); });
    ASSERT_TRUE(loop.run_until([&] { return result.has_value(); }, testing::kWaitTimeoutNs));
    EXPECT_EQ(result->code(), StatusCode::permission_denied);
    EXPECT_EQ(storage->syncs(), before + 1);
}

// A failed write ends the unit before its sync, with the write's error (no_space here, which
// does not poison); a failed sync is fatal and poisons, as sync() does.
TEST(LinuxStorage, WriteAndSyncReportsAFailedWriteOrAFatalSync) {
    TempDir dir;
    std::filesystem::create_symlink("/dev/full", dir.path() + "/full");
    // The kernel refuses fdatasync on a FIFO (EINVAL), as in the test above.
    ASSERT_EQ(::mkfifo((dir.path() + "/fifo").c_str(), 0600), 0);
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    const Bytes data(16, 1);
    const auto run = [&](FileHandle file, std::vector<WriteSpan> writes) {
        std::optional<Status> result;
        storage->write_and_sync(file, std::move(writes),
                                [&](Status status) { result = std::move(status); });
        EXPECT_TRUE(loop.run_until([&] { return result.has_value(); }, testing::kWaitTimeoutNs));
        return result.value_or(Status::internal("no callback"));
    };
    const u64 before = storage->syncs();
    FileHandle full = storage->open("full", {.write = true}).value();
    EXPECT_EQ(run(full, {WriteSpan{0, data}}).code(), StatusCode::no_space);
    EXPECT_EQ(storage->syncs(), before);  // the sync never ran
    FileHandle healthy = storage->open("healthy", {.write = true, .create = true}).value();
    ASSERT_TRUE(run(healthy, {WriteSpan{0, data}}).is_ok());  // a failed write poisons nothing

    FileHandle fifo = storage->open("fifo", {.write = true}).value();
    EXPECT_EQ(run(fifo, {}).code(), StatusCode::fatal);
    EXPECT_EQ(run(healthy, {WriteSpan{0, data}}).code(), StatusCode::fatal);  // poisoned
}

TEST(LinuxStorage, FilesAndDirectoriesAreCreatedPrivate) {
    TempDir dir;
    AsioEventLoop loop;
    auto storage = open_storage(loop, dir.path());
    ASSERT_TRUE(storage->create_directory("d").is_ok());
    ASSERT_TRUE(storage->open("d/f", {.write = true, .create = true}).has_value());
    struct stat info {};
    ASSERT_EQ(::stat((dir.path() + "/d").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0077, 0u);
    ASSERT_EQ(::stat((dir.path() + "/d/f").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0077, 0u);
}

}  // namespace
}  // namespace kb::io
