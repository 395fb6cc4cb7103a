// SimStorage fault tests: each injected fault is observable the way a real disk would show it,
// errors carry the right Status, a failed sync poisons, and a crash drops what it should.
#include "io/sim_storage.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>

#include "io/storage_test_support.h"

namespace kb::io {
namespace {

using testing::read_and_wait;
using testing::sync_and_wait;
using testing::write_and_wait;

class SimStorageTest : public ::testing::Test {
protected:
    explicit SimStorageTest(SimDiskOptions disk_options = {.seed = 1},
                            SimStorageOptions storage_options = {.seed = 2})
        : loop_(clock_), disk_(std::move(disk_options)), storage_(disk_, loop_, storage_options) {}

    FileHandle create(std::string_view path) {
        Result<FileHandle> file = storage_.open(path, {.write = true, .create = true});
        EXPECT_TRUE(file.has_value()) << file.status().to_string();
        return file.value_or(FileHandle(0));
    }
    Status write(FileHandle file, u64 offset, std::string_view text) {
        return write_and_wait(loop_, storage_, file, offset, as_bytes(text));
    }
    Status sync(FileHandle file) { return sync_and_wait(loop_, storage_, file); }
    std::string contents(std::string_view path) {
        Result<Bytes> data = disk_.contents(path);
        EXPECT_TRUE(data.has_value()) << data.status().to_string();
        return std::string(as_chars(data.value_or(Bytes{})));
    }
    std::string durable(std::string_view path) {
        Result<Bytes> data = disk_.durable_contents(path);
        EXPECT_TRUE(data.has_value()) << data.status().to_string();
        return std::string(as_chars(data.value_or(Bytes{})));
    }

    ManualClock clock_;
    SimEventLoop loop_;
    SimDisk disk_;
    SimStorage storage_;
};

TEST_F(SimStorageTest, SyncMakesCompletedWritesDurable) {
    FileHandle file = create("log");
    ASSERT_TRUE(write(file, 0, "first").is_ok());
    EXPECT_EQ(contents("log"), "first");
    EXPECT_EQ(durable("log"), "");
    ASSERT_TRUE(sync(file).is_ok());
    EXPECT_EQ(durable("log"), "first");
}

TEST_F(SimStorageTest, ASyncCoversOnlyWritesCompletedBeforeItWasSubmitted) {
    FileHandle file = create("log");
    ASSERT_TRUE(write(file, 0, "AAAA").is_ok());
    std::optional<Status> synced;
    storage_.sync(file, [&](Status status) { synced = std::move(status); });
    // This write completes long before the sync (writes <= 500 us, syncs >= 100 us, and we
    // wait for the write first), yet the sync was submitted before it.
    bool wrote = false;
    storage_.write(file, 4, as_bytes("BBBB"), [&](Status status) {
        EXPECT_TRUE(status.is_ok());
        wrote = true;
    });
    ASSERT_TRUE(loop_.run_until([&] { return synced.has_value() && wrote; }));
    ASSERT_TRUE(synced->is_ok());
    EXPECT_EQ(contents("log"), "AAAABBBB");
    EXPECT_EQ(durable("log"), "AAAA");
}

TEST_F(SimStorageTest, CompletionsArriveAfterTheirLatency) {
    FileHandle file = create("f");
    u64 start = clock_.monotonic_ns();
    ASSERT_TRUE(write(file, 0, "x").is_ok());
    u64 elapsed = clock_.monotonic_ns() - start;
    EXPECT_GE(elapsed, 10 * kNanosPerMicro);
    EXPECT_LE(elapsed, 500 * kNanosPerMicro);
}

TEST_F(SimStorageTest, InjectedReadErrorIsIoErrorNamingFileAndOffset) {
    FileHandle file = create("pages");
    ASSERT_TRUE(write(file, 0, std::string(8192, 'p')).is_ok());
    storage_.inject(SimFault::read_error, "pages");
    Bytes buffer(4096);
    Result<usize> failed = read_and_wait(loop_, storage_, file, 4096, buffer);
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code(), StatusCode::io_error);
    EXPECT_NE(failed.error().message().find("read of sim:disk/pages at offset 4096 (4096 bytes)"),
              std::string::npos)
        << failed.error().message();
    EXPECT_EQ(read_and_wait(loop_, storage_, file, 4096, buffer).value(), 4096u);  // one-shot
    storage_.inject(SimFault::read_error);
    EXPECT_EQ(storage_.read_sync(file, 0, buffer).status().code(), StatusCode::io_error);
    EXPECT_TRUE(storage_.read_sync(file, 0, buffer).has_value());
}

TEST_F(SimStorageTest, InjectedFaultsMatchOnlyTheirPath) {
    FileHandle a = create("a");
    FileHandle b = create("b");
    storage_.inject(SimFault::write_error, "b");
    EXPECT_TRUE(write(a, 0, "fine").is_ok());
    EXPECT_EQ(write(b, 0, "fails").code(), StatusCode::io_error);
    EXPECT_TRUE(write(b, 0, "fine").is_ok());
}

TEST_F(SimStorageTest, WriteErrorsLeaveNothingBehind) {
    FileHandle file = create("log");
    ASSERT_TRUE(write(file, 0, "safe").is_ok());
    ASSERT_TRUE(sync(file).is_ok());
    storage_.inject(SimFault::write_error);
    Status eio = write(file, 0, "XXXXXXXX");
    EXPECT_EQ(eio.code(), StatusCode::io_error);
    storage_.inject(SimFault::no_space);
    Status full = write(file, 2, "YYYYYYYY");
    EXPECT_EQ(full.code(), StatusCode::no_space);
    EXPECT_NE(full.message().find("write of sim:disk/log at offset 2 (8 bytes)"), std::string::npos)
        << full.message();
    EXPECT_EQ(contents("log"), "safe");
    EXPECT_EQ(durable("log"), "safe");
}

class SmallDiskTest : public SimStorageTest {
protected:
    SmallDiskTest() : SimStorageTest({.seed = 1, .capacity_bytes = 10'000}, {.seed = 2}) {}
};

TEST_F(SmallDiskTest, AFullDiskRefusesGrowthButNotOverwrites) {
    FileHandle file = create("segment");
    ASSERT_TRUE(write(file, 0, std::string(6'000, 'a')).is_ok());
    ASSERT_TRUE(sync(file).is_ok());
    EXPECT_EQ(write(file, 6'000, std::string(5'000, 'b')).code(), StatusCode::no_space);
    EXPECT_EQ(storage_.preallocate(file, 0, 20'000).code(), StatusCode::no_space);
    EXPECT_TRUE(write(file, 0, std::string(6'000, 'c')).is_ok());  // in place: no growth
    EXPECT_TRUE(write(file, 6'000, std::string(4'000, 'd')).is_ok());
    EXPECT_EQ(disk_.bytes_used(), 10'000u);
    EXPECT_EQ(durable("segment"), std::string(6'000, 'a'));
}

TEST_F(SimStorageTest, AFailedSyncIsFatalStaysFatalAndMakesNothingDurable) {
    FileHandle log = create("log");
    FileHandle other = create("other");
    ASSERT_TRUE(storage_.sync_directory("").is_ok());
    ASSERT_TRUE(write(log, 0, "synced").is_ok());
    ASSERT_TRUE(sync(log).is_ok());
    ASSERT_TRUE(write(log, 6, "+unsynced").is_ok());
    storage_.inject(SimFault::sync_error, "log");
    Status failed = sync(log);
    EXPECT_EQ(failed.code(), StatusCode::fatal);
    EXPECT_NE(failed.message().find("fdatasync sim:disk/log failed"), std::string::npos);
    EXPECT_TRUE(storage_.poisoned());
    EXPECT_EQ(durable("log"), "synced");  // the failed sync promised nothing

    // Retrying is never success: this file, other files, directories.
    Status retried = sync(log);
    EXPECT_EQ(retried.code(), StatusCode::fatal);
    EXPECT_NE(retried.message().find("an earlier sync failed"), std::string::npos);
    EXPECT_EQ(sync(other).code(), StatusCode::fatal);
    EXPECT_EQ(storage_.sync_directory("").code(), StatusCode::fatal);
    EXPECT_EQ(durable("log"), "synced");

    // A restart (crash) recovers from what is on disk and may sync again.
    storage_.crash();
    EXPECT_FALSE(storage_.poisoned());
    FileHandle reopened = storage_.open("log", {.write = true}).value();
    EXPECT_TRUE(sync(reopened).is_ok());
}

TEST_F(SimStorageTest, ASyncOverlappingAFailedOneFailsToo) {
    FileHandle a = create("a");
    FileHandle b = create("b");
    ASSERT_TRUE(write(a, 0, "a").is_ok());
    ASSERT_TRUE(write(b, 0, "b").is_ok());
    storage_.inject(SimFault::sync_error, "a");
    std::optional<Status> first, second;
    storage_.sync(a, [&](Status status) { first = std::move(status); });
    // Make b's sync complete after a's: run a's to completion first, then submit b's.
    ASSERT_TRUE(loop_.run_until([&] { return first.has_value(); }));
    storage_.sync(b, [&](Status status) { second = std::move(status); });
    ASSERT_TRUE(loop_.run_until([&] { return second.has_value(); }));
    EXPECT_EQ(first->code(), StatusCode::fatal);
    EXPECT_EQ(second->code(), StatusCode::fatal);
    EXPECT_EQ(durable("b"), "");
}

TEST_F(SimStorageTest, AFailedDirectorySyncPoisonsToo) {
    ASSERT_TRUE(storage_.create_directory("log").is_ok());
    storage_.inject(SimFault::sync_error, "log");
    EXPECT_EQ(storage_.sync_directory("log").code(), StatusCode::fatal);
    EXPECT_TRUE(storage_.poisoned());
    FileHandle file = create("f");
    EXPECT_EQ(sync(file).code(), StatusCode::fatal);
}

TEST_F(SimStorageTest, AMisdirectedWriteReportsSuccessButLandsElsewhere) {
    FileHandle file = create("pages");
    const std::string old_page(4096, 'o');
    ASSERT_TRUE(write(file, 0, old_page + old_page + old_page).is_ok());
    storage_.inject(SimFault::misdirect, "pages");
    const std::string new_page(4096, 'N');
    ASSERT_TRUE(write(file, 4096, new_page).is_ok());
    std::string image = contents("pages");
    // The write reported success, yet the file is not what it would be had it landed...
    EXPECT_FALSE(image == old_page + new_page + old_page);
    // ...because the new bytes are at some other sector of the same (only) file.
    usize landed = image.find(new_page);
    EXPECT_NE(landed, std::string::npos);
    EXPECT_NE(landed, 4096u);
    EXPECT_EQ(landed % 512, 0u);
}

TEST_F(SimStorageTest, AMisdirectedWriteCanLandInAnotherFile) {
    FileHandle target = create("target");
    FileHandle victim = create("victim");
    ASSERT_TRUE(write(victim, 0, std::string(512, 'v')).is_ok());
    bool hit_victim = false;
    for (int attempt = 0; attempt < 64 && !hit_victim; ++attempt) {
        ASSERT_TRUE(storage_.truncate(target, 0).is_ok());
        storage_.inject(SimFault::misdirect, "target");
        ASSERT_TRUE(write(target, 0, "MISDIRECTED").is_ok());
        hit_victim = contents("victim").find("MISDIRECTED") != std::string::npos;
    }
    ASSERT_TRUE(hit_victim);
    EXPECT_EQ(contents("target"), "");  // the file written to never got the bytes
}

TEST_F(SimStorageTest, ABitFlipOnWriteChangesExactlyOneBit) {
    FileHandle file = create("page");
    const std::string page(4096, '\x55');
    storage_.inject(SimFault::bit_flip);
    ASSERT_TRUE(write(file, 0, page).is_ok());
    std::string image = contents("page");
    ASSERT_EQ(image.size(), page.size());
    int flipped = 0;
    for (usize i = 0; i < page.size(); ++i) {
        flipped += std::popcount(static_cast<unsigned>(static_cast<u8>(image[i] ^ page[i])));
    }
    EXPECT_EQ(flipped, 1);
}

TEST_F(SimStorageTest, BitRotAtRestIsVisibleToReadsAndSurvivesACrash) {
    FileHandle file = create("page");
    ASSERT_TRUE(write(file, 0, "AAAA").is_ok());
    ASSERT_TRUE(sync(file).is_ok());
    ASSERT_TRUE(storage_.sync_directory("").is_ok());
    ASSERT_TRUE(disk_.corrupt("page", 2, 0).is_ok());  // 'A' (0x41) -> '@' (0x40)
    Bytes buffer(4);
    ASSERT_EQ(read_and_wait(loop_, storage_, file, 0, buffer).value(), 4u);
    EXPECT_EQ(as_chars(buffer), "AA@A");
    storage_.crash();
    EXPECT_EQ(contents("page"), "AA@A");
    EXPECT_EQ(disk_.corrupt("page", 4, 0).code(), StatusCode::out_of_range);
}

TEST_F(SimStorageTest, RandomBitRotFlipsOneBitSomewhere) {
    FileHandle file = create("page");
    ASSERT_TRUE(write(file, 0, std::string(1000, 'z')).is_ok());
    std::optional<Corruption> corruption = disk_.corrupt_random();
    ASSERT_TRUE(corruption.has_value());
    EXPECT_EQ(corruption->path, "page");
    std::string image = contents("page");
    EXPECT_EQ(static_cast<u8>(image[corruption->offset] ^ 'z'), 1u << corruption->bit);
}

TEST_F(SimStorageTest, FaultProbabilitiesFireSometimes) {
    SimStorage flaky(disk_, loop_, {.seed = 3, .read_error_per_million = 500'000});
    FileHandle file = flaky.open("f", {.write = true, .create = true}).value();
    Bytes buffer(1);
    int failures = 0;
    for (int i = 0; i < 200; ++i) {
        Result<usize> result = read_and_wait(loop_, flaky, file, 0, buffer);
        if (!result) {
            EXPECT_EQ(result.error().code(), StatusCode::io_error);
            ++failures;
        }
    }
    EXPECT_GT(failures, 50);
    EXPECT_LT(failures, 150);
}

TEST_F(SimStorageTest, ACrashDropsCallbacksAndInvalidatesHandles) {
    FileHandle file = create("log");
    bool called = false;
    storage_.write(file, 0, as_bytes("lost?"), [&](Status) { called = true; });
    EXPECT_EQ(storage_.operations_in_flight(), 1u);
    storage_.crash();
    EXPECT_EQ(storage_.operations_in_flight(), 0u);
    loop_.run_until_idle();
    EXPECT_FALSE(called);
    // The old handle is dead: data operations fail, close is harmless.
    Status stale = write(file, 0, "x");
    EXPECT_EQ(stale.code(), StatusCode::io_error);
    EXPECT_NE(stale.message().find("invalidated by a crash"), std::string::npos);
    EXPECT_EQ(storage_.size(file).status().code(), StatusCode::io_error);
    EXPECT_TRUE(storage_.close(file).is_ok());
}

TEST_F(SimStorageTest, ACrashByAnotherViewOfTheDiskIsNoticed) {
    FileHandle file = create("log");
    bool called = false;
    storage_.write(file, 0, as_bytes("x"), [&](Status) { called = true; });
    disk_.crash();  // e.g. the simulator cutting power to the whole node
    loop_.run_until_idle();
    EXPECT_FALSE(called);
    EXPECT_EQ(storage_.size(file).status().code(), StatusCode::io_error);
}

TEST_F(SimStorageTest, ACrashReleasesTheLock) {
    ASSERT_TRUE(storage_.lock_exclusive().is_ok());
    SimStorage other(disk_, loop_, {.seed = 5});
    EXPECT_EQ(other.lock_exclusive().code(), StatusCode::busy);
    storage_.crash();
    EXPECT_TRUE(other.lock_exclusive().is_ok());
}

TEST_F(SimStorageTest, SyncedDataAndEntriesSurviveACrashExactly) {
    ASSERT_TRUE(storage_.create_directory("log").is_ok());
    ASSERT_TRUE(storage_.sync_directory("").is_ok());
    FileHandle file = create("log/1");
    ASSERT_TRUE(write(file, 0, "committed").is_ok());
    ASSERT_TRUE(sync(file).is_ok());
    ASSERT_TRUE(storage_.sync_directory("log").is_ok());
    EXPECT_TRUE(disk_.entry_durable("log/1"));
    for (int i = 0; i < 20; ++i) {
        storage_.crash();
        EXPECT_EQ(contents("log/1"), "committed");
    }
}

TEST_F(SimStorageTest, RenameOverADurableFileNeverLeavesTheNameEmpty) {
    // The superblock pattern: write tmp, sync tmp, rename over the old, sync the directory.
    // A crash before the directory sync must leave the old or the new content, never none.
    int saw_old = 0, saw_new = 0;
    for (u64 seed = 0; seed < 40; ++seed) {
        ManualClock clock;
        SimEventLoop loop(clock);
        SimDisk disk({.seed = seed});
        SimStorage storage(disk, loop, {.seed = seed});
        FileHandle old_file = storage.open("super", {.write = true, .create = true}).value();
        ASSERT_TRUE(write_and_wait(loop, storage, old_file, 0, as_bytes("old")).is_ok());
        ASSERT_TRUE(sync_and_wait(loop, storage, old_file).is_ok());
        ASSERT_TRUE(storage.sync_directory("").is_ok());
        FileHandle tmp = storage.open("super.tmp", {.write = true, .create = true}).value();
        ASSERT_TRUE(write_and_wait(loop, storage, tmp, 0, as_bytes("new")).is_ok());
        ASSERT_TRUE(sync_and_wait(loop, storage, tmp).is_ok());
        ASSERT_TRUE(storage.rename("super.tmp", "super").is_ok());
        storage.crash();
        Result<Bytes> survived = disk.contents("super");
        ASSERT_TRUE(survived.has_value()) << "seed " << seed;
        std::string text(as_chars(*survived));
        ASSERT_TRUE(text == "old" || text == "new") << text;
        (text == "old" ? saw_old : saw_new)++;
    }
    EXPECT_GT(saw_old, 0);
    EXPECT_GT(saw_new, 0);
}

}  // namespace
}  // namespace kb::io
