// The crash model, checked against an independent model kept by the test: after a crash every
// synced byte is exactly as synced, every unsynced write is whole, absent, or torn into one
// surviving prefix or suffix, unsynced directory entries may vanish, and the same seed always
// yields the same completion order and the same post-crash disk.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/prng.h"
#include "io/sim_storage.h"
#include "io/storage_test_support.h"

namespace kb::io {
namespace {

using testing::sync_and_wait;
using testing::write_and_wait;

struct TrackedWrite {
    usize file = 0;
    u64 offset = 0;
    Bytes data{};
    bool completed = false;
    bool synced = false;  // covered by a sync whose callback said ok
};

struct Outcomes {
    u64 kept = 0;
    u64 lost = 0;
    u64 torn = 0;
};

// A random log-like workload (appends with gaps to a few files, syncs interleaved, a crash at a
// random moment with operations in flight), then a check of the post-crash disk against what
// the test itself saw acknowledged. Returns a failure description, or nullopt.
std::optional<std::string> crash_once(u64 seed, Outcomes* outcomes) {
    Prng prng(seed);
    ManualClock clock;
    SimEventLoop loop(clock);
    SimDisk disk({.seed = seed ^ 0x5eed});
    SimStorage storage(disk, loop, {.seed = seed});
    constexpr usize kFiles = 3;
    std::vector<std::string> paths;
    std::vector<FileHandle> files;
    if (!storage.create_directory("log").is_ok()) return "create_directory failed";
    for (usize i = 0; i < kFiles; ++i) {
        paths.push_back("log/" + std::to_string(i));
        files.push_back(storage.open(paths.back(), {.write = true, .create = true}).value());
    }
    if (!storage.sync_directory("").is_ok() || !storage.sync_directory("log").is_ok()) {
        return "sync_directory failed";
    }

    std::vector<TrackedWrite> writes;
    writes.reserve(1000);
    std::vector<u64> cursor(kFiles, 0);
    const u64 steps = 20 + prng.uniform(200);
    for (u64 step = 0; step < steps; ++step) {
        u64 action = prng.uniform(10);
        usize file = static_cast<usize>(prng.uniform(kFiles));
        if (action < 6) {
            TrackedWrite write{.file = file, .offset = cursor[file] + prng.uniform(3) * 7};
            write.data.resize(1 + prng.uniform(300));
            for (u8& byte : write.data) byte = static_cast<u8>(1 + prng.uniform(255));  // never 0
            cursor[file] = write.offset + write.data.size();
            writes.push_back(std::move(write));
            usize index = writes.size() - 1;
            storage.write(files[file], writes[index].offset, writes[index].data,
                          [&writes, index](Status status) {
                              KB_ASSERT(status.is_ok());
                              writes[index].completed = true;
                          });
        } else if (action < 8) {
            // The sync covers exactly the writes to this file completed by now.
            std::vector<usize> covered;
            for (usize i = 0; i < writes.size(); ++i) {
                if (writes[i].file == file && writes[i].completed) covered.push_back(i);
            }
            storage.sync(files[file], [&writes, covered](Status status) {
                KB_ASSERT(status.is_ok());
                for (usize i : covered) writes[i].synced = true;
            });
        } else {
            loop.run_for(prng.uniform(2 * kNanosPerMilli));
        }
    }
    CrashReport report = storage.crash();
    loop.run_until_idle();  // dropped callbacks must not run

    usize unsynced_count = 0;
    for (usize f = 0; f < kFiles; ++f) {
        Result<Bytes> survived = disk.contents(paths[f]);
        if (!survived) return "durable entry " + paths[f] + " vanished";
        Bytes image = *survived;
        std::vector<bool> covered(image.size(), false);
        auto byte_at = [&](u64 offset) -> u8 { return offset < image.size() ? image[offset] : 0; };
        for (const TrackedWrite& write : writes) {
            if (write.file != f) continue;
            const u64 length = write.data.size();
            for (u64 i = 0; i < length && write.offset + i < image.size(); ++i) {
                covered[write.offset + i] = true;
            }
            std::string where = paths[f] + " offset " + std::to_string(write.offset) + " length " +
                                std::to_string(length);
            if (write.synced) {
                for (u64 i = 0; i < length; ++i) {
                    if (byte_at(write.offset + i) != write.data[i]) {
                        return "synced write lost or damaged: " + where;
                    }
                }
                continue;
            }
            ++unsynced_count;
            // Survivors form one run: [begin, end) of the write's bytes, the rest zero.
            u64 begin = 0;
            while (begin < length && byte_at(write.offset + begin) == 0) ++begin;
            u64 end = begin;
            while (end < length && byte_at(write.offset + end) == write.data[end]) ++end;
            for (u64 i = end; i < length; ++i) {
                if (byte_at(write.offset + i) != 0) return "unsynced write scrambled: " + where;
            }
            if (begin == length) {
                ++outcomes->lost;
            } else if (begin == 0 && end == length) {
                ++outcomes->kept;
            } else if (begin == 0 || end == length) {
                ++outcomes->torn;
            } else {
                return "unsynced write survived only in the middle: " + where;
            }
        }
        for (u64 i = 0; i < image.size(); ++i) {
            if (!covered[i] && image[i] != 0) {
                return paths[f] + ": byte " + std::to_string(i) + " was never written";
            }
        }
    }
    if (report.writes.size() != unsynced_count) {
        return "crash report lists " + std::to_string(report.writes.size()) +
               " unsynced writes, the test counted " + std::to_string(unsynced_count);
    }
    return std::nullopt;
}

RC_GTEST_PROP(SimCrash, SyncedBytesSurviveAndUnsyncedWritesAreKeptLostOrTorn, (u64 seed)) {
    Outcomes outcomes;
    std::optional<std::string> failure = crash_once(seed, &outcomes);
    RC_ASSERT(!failure.has_value());
}

TEST(SimCrash, EveryOutcomeHappensAcrossSeeds) {
    Outcomes outcomes;
    for (u64 seed = 0; seed < 200; ++seed) {
        std::optional<std::string> failure = crash_once(seed, &outcomes);
        ASSERT_FALSE(failure.has_value()) << "seed " << seed << ": " << *failure;
    }
    EXPECT_GT(outcomes.kept, 0u);
    EXPECT_GT(outcomes.lost, 0u);
    EXPECT_GT(outcomes.torn, 0u);
}

// Overlapping writes: after a crash each byte is its synced value or the value some unsynced
// write put there, in any order; bytes no unsynced write touched are exactly as synced.
RC_GTEST_PROP(SimCrash, OverlappingUnsyncedWritesLeaveOnlyValuesThatWereWritten, (u64 seed)) {
    Prng prng(seed);
    ManualClock clock;
    SimEventLoop loop(clock);
    SimDisk disk({.seed = seed});
    SimStorage storage(disk, loop, {.seed = seed + 1});
    FileHandle file = storage.open("page", {.write = true, .create = true}).value();
    RC_ASSERT(storage.sync_directory("").is_ok());
    constexpr u64 kSize = 256;
    std::vector<std::set<u8>> allowed(kSize);
    Bytes synced(kSize, 0);
    Bytes base(kSize);
    prng.fill(base);
    RC_ASSERT(write_and_wait(loop, storage, file, 0, base).is_ok());
    RC_ASSERT(sync_and_wait(loop, storage, file).is_ok());
    synced = base;
    for (u64 i = 0; i < kSize; ++i) allowed[i].insert(synced[i]);
    std::vector<Bytes> buffers(1 + prng.uniform(8));
    for (Bytes& buffer : buffers) {
        u64 offset = prng.uniform(kSize);
        buffer.resize(1 + prng.uniform(kSize - offset));
        prng.fill(buffer);
        for (u64 i = 0; i < buffer.size(); ++i) allowed[offset + i].insert(buffer[i]);
        storage.write(file, offset, buffer, [](Status status) { KB_ASSERT(status.is_ok()); });
    }
    loop.run_for(prng.uniform(kNanosPerMilli));
    storage.crash();
    Bytes image = disk.contents("page").value();
    RC_ASSERT(image.size() == kSize);
    for (u64 i = 0; i < kSize; ++i) RC_ASSERT(allowed[i].contains(image[i]));
}

TEST(SimCrash, UnsyncedDirectoryEntriesMayVanishSyncedOnesStay) {
    int vanished = 0, survived = 0;
    for (u64 seed = 0; seed < 64; ++seed) {
        ManualClock clock;
        SimEventLoop loop(clock);
        SimDisk disk({.seed = seed});
        SimStorage storage(disk, loop, {.seed = seed});
        FileHandle synced = storage.open("synced", {.write = true, .create = true}).value();
        ASSERT_TRUE(storage.sync_directory("").is_ok());
        FileHandle fresh = storage.open("fresh", {.write = true, .create = true}).value();
        // The data is synced, the directory entry is not: the classic missing dir fsync.
        ASSERT_TRUE(write_and_wait(loop, storage, fresh, 0, as_bytes("data")).is_ok());
        ASSERT_TRUE(sync_and_wait(loop, storage, fresh).is_ok());
        EXPECT_FALSE(disk.entry_durable("fresh"));
        EXPECT_TRUE(disk.entry_durable("synced"));
        ASSERT_TRUE(storage.remove("synced").is_ok());  // an unsynced remove may be undone
        storage.crash();
        bool fresh_there = storage.exists("fresh").value();
        (fresh_there ? survived : vanished)++;
        if (fresh_there) {
            FileHandle reopened = storage.open("fresh", {}).value();
            Bytes buffer(4);
            EXPECT_EQ(storage.read_sync(reopened, 0, buffer).value(), 4u);
        }
        (void)synced;
    }
    EXPECT_GT(vanished, 0);
    EXPECT_GT(survived, 0);
}

TEST(SimCrash, EntryLossCanBeTurnedOff) {
    for (u64 seed = 0; seed < 32; ++seed) {
        ManualClock clock;
        SimEventLoop loop(clock);
        SimDisk disk({.seed = seed, .crash_drops_unsynced_entries = false});
        SimStorage storage(disk, loop, {.seed = seed});
        ASSERT_TRUE(storage.create_directory("d").is_ok());
        ASSERT_TRUE(storage.open("d/f", {.write = true, .create = true}).has_value());
        ASSERT_TRUE(storage.open("gone", {.write = true, .create = true}).has_value());
        ASSERT_TRUE(storage.remove("gone").is_ok());
        storage.crash();
        EXPECT_TRUE(storage.exists("d/f").value());
        EXPECT_FALSE(storage.exists("gone").value());
    }
}

TEST(SimCrash, UnsyncedSizeChangesAreKeptOrLostWhole) {
    std::set<u64> sizes;
    for (u64 seed = 0; seed < 32; ++seed) {
        ManualClock clock;
        SimEventLoop loop(clock);
        SimDisk disk({.seed = seed});
        SimStorage storage(disk, loop, {.seed = seed});
        FileHandle file = storage.open("segment", {.write = true, .create = true}).value();
        ASSERT_TRUE(storage.sync_directory("").is_ok());
        ASSERT_TRUE(storage.preallocate(file, 0, 4096).is_ok());
        ASSERT_TRUE(sync_and_wait(loop, storage, file).is_ok());
        ASSERT_TRUE(storage.preallocate(file, 0, 8192).is_ok());
        storage.crash();
        FileHandle reopened = storage.open("segment", {}).value();
        u64 size = storage.size(reopened).value();
        EXPECT_TRUE(size == 4096 || size == 8192) << size;
        sizes.insert(size);
    }
    EXPECT_EQ(sizes.size(), 2u);
}

// One traced run: the order and time of every completion, then the post-crash images.
std::string traced_run(u64 seed) {
    ManualClock clock;
    SimEventLoop loop(clock);
    SimDisk disk({.seed = seed});
    SimStorage storage(disk, loop, {.seed = seed});
    Prng prng(seed);
    std::string trace;
    std::vector<FileHandle> files;
    for (int i = 0; i < 2; ++i) {
        files.push_back(
            storage.open("f" + std::to_string(i), {.write = true, .create = true}).value());
    }
    std::vector<Bytes> buffers(40);
    for (usize op = 0; op < buffers.size(); ++op) {
        FileHandle file = files[prng.uniform(files.size())];
        buffers[op].resize(1 + prng.uniform(64));
        prng.fill(buffers[op]);
        auto note = [&trace, &clock, op](const char* kind) {
            trace += std::string(kind) + std::to_string(op) + "@" +
                     std::to_string(clock.monotonic_ns()) + " ";
        };
        if (op % 5 == 4) {
            storage.sync(file, [note](Status) { note("s"); });
        } else {
            storage.write(file, prng.uniform(256), buffers[op], [note](Status) { note("w"); });
        }
        if (op % 7 == 0) loop.run_for(100 * kNanosPerMicro);
    }
    loop.run_for(300 * kNanosPerMicro);
    storage.crash();
    for (int i = 0; i < 2; ++i) {
        Result<Bytes> image = disk.contents("f" + std::to_string(i));
        trace += "| " + (image ? to_hex(*image) : std::string("missing"));
    }
    return trace;
}

TEST(SimDeterminism, TheSameSeedReplaysTheSameCompletionsAndCrash) {
    for (u64 seed : {1u, 2u, 99u}) EXPECT_EQ(traced_run(seed), traced_run(seed));
    EXPECT_NE(traced_run(1), traced_run(2));
}

}  // namespace
}  // namespace kb::io
