// Behavioural tests every Storage must pass, run against LinuxStorage (a temp dir under /tmp,
// AsioEventLoop) and SimStorage (SimDisk, SimEventLoop): what code above io/ may rely on.
#include "io/storage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "base/prng.h"
#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "io/sim_storage.h"
#include "io/storage_test_support.h"

namespace kb::io {
namespace {

using testing::read_all;
using testing::read_and_wait;
using testing::sync_and_wait;
using testing::write_and_wait;

class LinuxEnvironment {
public:
    LinuxEnvironment() {
        auto opened = LinuxStorage::open(loop_, {.root = dir_.path()});
        EXPECT_TRUE(opened.has_value()) << opened.status().to_string();
        storage_ = std::move(opened).value();
    }
    EventLoop& loop() { return loop_; }
    Storage& storage() { return *storage_; }
    std::unique_ptr<Storage> open_another(bool read_only) {
        auto opened = LinuxStorage::open(loop_, {.root = dir_.path(), .read_only = read_only});
        EXPECT_TRUE(opened.has_value()) << opened.status().to_string();
        return std::move(opened).value();
    }
    std::string lock_holder_pid() const { return std::to_string(::getpid()); }

private:
    testing::TempDir dir_;
    AsioEventLoop loop_;
    std::unique_ptr<LinuxStorage> storage_;
};

class SimEnvironment {
public:
    SimEnvironment() : loop_(clock_), disk_({.seed = 7}), storage_(disk_, loop_, {.seed = 11}) {}
    EventLoop& loop() { return loop_; }
    Storage& storage() { return storage_; }
    std::unique_ptr<Storage> open_another(bool read_only) {
        return std::make_unique<SimStorage>(
            disk_, loop_, SimStorageOptions{.seed = 12, .pid = 777, .read_only = read_only});
    }
    std::string lock_holder_pid() const { return "4242"; }

private:
    ManualClock clock_;
    SimEventLoop loop_;
    SimDisk disk_;
    SimStorage storage_;
};

template <class Environment>
class StorageTest : public ::testing::Test {
protected:
    EventLoop& loop() { return environment_.loop(); }
    Storage& storage() { return environment_.storage(); }

    FileHandle create(std::string_view path) {
        Result<FileHandle> file = storage().open(path, {.write = true, .create = true});
        EXPECT_TRUE(file.has_value()) << file.status().to_string();
        return file.value_or(FileHandle(0));
    }
    void write_text(FileHandle file, u64 offset, std::string_view text) {
        Status status = write_and_wait(loop(), storage(), file, offset, as_bytes(text));
        ASSERT_TRUE(status.is_ok()) << status.to_string();
    }
    std::string read_text(FileHandle file) {
        Bytes data = read_all(loop(), storage(), file);
        return std::string(as_chars(data));
    }
    std::vector<std::string> names(std::string_view directory) {
        auto entries = storage().list_directory(directory);
        EXPECT_TRUE(entries.has_value()) << entries.status().to_string();
        std::vector<std::string> result;
        for (const DirectoryEntry& entry : entries.value_or(std::vector<DirectoryEntry>{})) {
            result.push_back(entry.name);
        }
        return result;
    }

    Environment environment_;
};

using Environments = ::testing::Types<LinuxEnvironment, SimEnvironment>;
class EnvironmentNames {
public:
    template <class T>
    static std::string GetName(int) {
        return std::is_same_v<T, LinuxEnvironment> ? "Linux" : "Sim";
    }
};
TYPED_TEST_SUITE(StorageTest, Environments, EnvironmentNames);

TYPED_TEST(StorageTest, ReadsBackWhatWasWrittenWithHolesAsZeros) {
    FileHandle file = this->create("data");
    this->write_text(file, 0, "hello");
    this->write_text(file, 100, "world");
    EXPECT_EQ(this->storage().size(file).value(), 105u);
    std::string text = this->read_text(file);
    ASSERT_EQ(text.size(), 105u);
    EXPECT_EQ(text.substr(0, 5), "hello");
    EXPECT_EQ(text.substr(5, 95), std::string(95, '\0'));
    EXPECT_EQ(text.substr(100), "world");
    EXPECT_EQ(this->storage().path_of(file), "data");
}

TYPED_TEST(StorageTest, ReadsAreShortOnlyAtTheEndOfTheFile) {
    FileHandle file = this->create("short");
    this->write_text(file, 0, "abcdef");
    Bytes buffer(10);
    EXPECT_EQ(read_and_wait(this->loop(), this->storage(), file, 4, buffer).value(), 2u);
    EXPECT_EQ(as_chars(ByteSpan(buffer).first(2)), "ef");
    EXPECT_EQ(read_and_wait(this->loop(), this->storage(), file, 6, buffer).value(), 0u);
    EXPECT_EQ(read_and_wait(this->loop(), this->storage(), file, 1000, buffer).value(), 0u);
}

TYPED_TEST(StorageTest, ReadSyncSeesCompletedWrites) {
    FileHandle file = this->create("pages");
    this->write_text(file, 4096, "page one");
    Bytes buffer(8);
    EXPECT_EQ(this->storage().read_sync(file, 4096, buffer).value(), 8u);
    EXPECT_EQ(as_chars(buffer), "page one");
}

TYPED_TEST(StorageTest, CallbacksNeverRunInsideTheSubmittingCall) {
    FileHandle file = this->create("inline");
    bool wrote = false;
    this->storage().write(file, 0, as_bytes("x"), [&](Status status) {
        EXPECT_TRUE(status.is_ok());
        wrote = true;
    });
    EXPECT_FALSE(wrote);
    EXPECT_TRUE(this->loop().run_until([&] { return wrote; }, testing::kWaitTimeoutNs));
}

TYPED_TEST(StorageTest, ManyConcurrentWritesEachLandAtTheirOffset) {
    FileHandle file = this->create("concurrent");
    constexpr usize kWrites = 64;
    constexpr usize kBlock = 4096;
    Prng prng(3);
    Bytes expected(kWrites * kBlock);
    prng.fill(expected);
    usize done = 0;
    for (usize i = 0; i < kWrites; ++i) {
        this->storage().write(file, i * kBlock, ByteSpan(expected).subspan(i * kBlock, kBlock),
                              [&](Status status) {
                                  EXPECT_TRUE(status.is_ok()) << status.to_string();
                                  ++done;
                              });
    }
    EXPECT_TRUE(this->loop().run_until([&] { return done == kWrites; }, testing::kWaitTimeoutNs));
    EXPECT_EQ(read_all(this->loop(), this->storage(), file), expected);
}

// Group commit's shape: one sync covering a batch while the next batch is being written.
TYPED_TEST(StorageTest, WritesProceedWhileASyncIsInFlight) {
    FileHandle file = this->create("log");
    Bytes first(4096, 0x11), second(4096, 0x22);
    this->write_text(file, 0, "");  // no-op write completes too
    ASSERT_TRUE(write_and_wait(this->loop(), this->storage(), file, 0, first).is_ok());
    std::optional<Status> synced;
    std::optional<Status> wrote;
    this->storage().sync(file, [&](Status status) { synced = std::move(status); });
    this->storage().write(file, 4096, second, [&](Status status) { wrote = std::move(status); });
    EXPECT_TRUE(this->loop().run_until([&] { return synced && wrote; }, testing::kWaitTimeoutNs));
    EXPECT_TRUE(synced->is_ok()) << synced->to_string();
    EXPECT_TRUE(wrote->is_ok()) << wrote->to_string();
    EXPECT_TRUE(sync_and_wait(this->loop(), this->storage(), file).is_ok());
    Bytes expected = first;
    expected.insert(expected.end(), second.begin(), second.end());
    EXPECT_EQ(read_all(this->loop(), this->storage(), file), expected);
}

TYPED_TEST(StorageTest, OpenNamesWhatIsMissingOrAlreadyThere) {
    EXPECT_EQ(this->storage().open("missing", {}).status().code(), StatusCode::not_found);
    EXPECT_EQ(this->storage().open("no/such/dir", {.write = true, .create = true}).status().code(),
              StatusCode::not_found);
    FileHandle file = this->create("present");
    this->write_text(file, 0, "kept");
    EXPECT_TRUE(this->storage().close(file).is_ok());
    auto again =
        this->storage().open("present", {.write = true, .create = true, .exclusive = true});
    EXPECT_EQ(again.status().code(), StatusCode::already_exists);
    auto reopened = this->storage().open("present", {});
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(this->read_text(*reopened), "kept");
    ASSERT_TRUE(this->storage().create_directory("dir").is_ok());
    EXPECT_EQ(this->storage().open("dir", {}).status().code(), StatusCode::invalid_argument);
}

TYPED_TEST(StorageTest, PathsMustStayInsideTheDataDirectory) {
    for (std::string_view bad : {"../escape", "/etc/passwd", "a//b", "./a", "a/..", "a/", ""}) {
        EXPECT_EQ(this->storage().open(bad, {.write = true, .create = true}).status().code(),
                  StatusCode::invalid_argument)
            << bad;
    }
    EXPECT_EQ(this->storage().list_directory("..").status().code(), StatusCode::invalid_argument);
    EXPECT_EQ(this->storage().rename("a", "../b").code(), StatusCode::invalid_argument);
}

TYPED_TEST(StorageTest, ListsDirectoriesSortedWithTheirKinds) {
    ASSERT_TRUE(this->storage().create_directory("log").is_ok());
    ASSERT_TRUE(this->storage().create_directory("log").is_ok());  // idempotent
    for (std::string_view name : {"log/b", "log/a", "log/c"}) this->create(name);
    ASSERT_TRUE(this->storage().create_directory("log/sub").is_ok());
    auto entries = this->storage().list_directory("log");
    ASSERT_TRUE(entries.has_value());
    std::vector<DirectoryEntry> expected{{"a", false}, {"b", false}, {"c", false}, {"sub", true}};
    EXPECT_EQ(*entries, expected);
    EXPECT_EQ(this->names(""), (std::vector<std::string>{"log"}));
    EXPECT_EQ(this->storage().list_directory("nope").status().code(), StatusCode::not_found);
    EXPECT_EQ(this->storage().create_directory("log/a").code(), StatusCode::already_exists);
}

TYPED_TEST(StorageTest, RenameReplacesTheTargetAtomically) {
    FileHandle old_file = this->create("superblock");
    this->write_text(old_file, 0, "old");
    FileHandle new_file = this->create("superblock.tmp");
    this->write_text(new_file, 0, "new!");
    ASSERT_TRUE(this->storage().close(old_file).is_ok());
    ASSERT_TRUE(this->storage().rename("superblock.tmp", "superblock").is_ok());
    EXPECT_EQ(this->names(""), (std::vector<std::string>{"superblock"}));
    auto reopened = this->storage().open("superblock", {});
    ASSERT_TRUE(reopened.has_value());
    EXPECT_EQ(this->read_text(*reopened), "new!");
    // The handle opened before the rename still reaches the same file.
    EXPECT_EQ(this->read_text(new_file), "new!");
    EXPECT_EQ(this->storage().rename("missing", "other").code(), StatusCode::not_found);
}

TYPED_TEST(StorageTest, RemoveDeletesFilesAndEmptyDirectoriesOnly) {
    ASSERT_TRUE(this->storage().create_directory("segments").is_ok());
    FileHandle file = this->create("segments/1");
    ASSERT_TRUE(this->storage().close(file).is_ok());
    EXPECT_EQ(this->storage().remove("segments").code(), StatusCode::invalid_argument);
    EXPECT_TRUE(this->storage().remove("segments/1").is_ok());
    EXPECT_FALSE(this->storage().exists("segments/1").value());
    EXPECT_TRUE(this->storage().exists("segments").value());
    EXPECT_TRUE(this->storage().remove("segments").is_ok());
    EXPECT_FALSE(this->storage().exists("segments").value());
    EXPECT_EQ(this->storage().remove("segments").code(), StatusCode::not_found);
    EXPECT_TRUE(this->storage().exists("").value());
}

TYPED_TEST(StorageTest, PreallocateGrowsWithZerosAndTruncateSetsTheSize) {
    FileHandle file = this->create("segment");
    this->write_text(file, 0, "head");
    ASSERT_TRUE(this->storage().preallocate(file, 0, 64 * 1024).is_ok());
    EXPECT_EQ(this->storage().size(file).value(), 64u * 1024);
    std::string text = this->read_text(file);
    EXPECT_EQ(text.substr(0, 4), "head");
    EXPECT_EQ(text.substr(4), std::string(64 * 1024 - 4, '\0'));
    ASSERT_TRUE(this->storage().preallocate(file, 0, 10).is_ok());  // never shrinks
    EXPECT_EQ(this->storage().size(file).value(), 64u * 1024);
    ASSERT_TRUE(this->storage().truncate(file, 2).is_ok());
    EXPECT_EQ(this->read_text(file), "he");
    ASSERT_TRUE(this->storage().truncate(file, 4).is_ok());
    EXPECT_EQ(this->read_text(file), std::string("he\0\0", 4));
}

TYPED_TEST(StorageTest, SyncAndDirectorySyncSucceedOnAHealthyDisk) {
    ASSERT_TRUE(this->storage().create_directory("log").is_ok());
    FileHandle file = this->create("log/1");
    this->write_text(file, 0, "record");
    EXPECT_TRUE(sync_and_wait(this->loop(), this->storage(), file).is_ok());
    EXPECT_TRUE(this->storage().sync_directory("log").is_ok());
    EXPECT_TRUE(this->storage().sync_directory("").is_ok());
    EXPECT_EQ(this->storage().sync_directory("nope").code(), StatusCode::not_found);
}

TYPED_TEST(StorageTest, ReadOnlyHandlesRefuseWrites) {
    FileHandle created = this->create("ro");
    ASSERT_TRUE(this->storage().close(created).is_ok());
    FileHandle file = this->storage().open("ro", {}).value();
    Status status = write_and_wait(this->loop(), this->storage(), file, 0, as_bytes("x"));
    EXPECT_EQ(status.code(), StatusCode::permission_denied);
    EXPECT_NE(status.message().find("ro at offset 0"), std::string::npos) << status.message();
    EXPECT_EQ(this->storage().truncate(file, 0).code(), StatusCode::permission_denied);
}

TYPED_TEST(StorageTest, ReadOnlyStorageReadsButRefusesEveryMutation) {
    FileHandle file = this->create("table");
    this->write_text(file, 0, "rows");
    ASSERT_TRUE(this->storage().create_directory("dir").is_ok());
    std::unique_ptr<Storage> reader = this->environment_.open_another(/*read_only=*/true);
    EXPECT_TRUE(reader->read_only());
    EXPECT_EQ(reader->open("table", {.write = true}).status().code(),
              StatusCode::permission_denied);
    EXPECT_EQ(reader->open("new", {.write = true, .create = true}).status().code(),
              StatusCode::permission_denied);
    EXPECT_EQ(reader->rename("table", "t2").code(), StatusCode::permission_denied);
    EXPECT_EQ(reader->remove("table").code(), StatusCode::permission_denied);
    EXPECT_EQ(reader->create_directory("d2").code(), StatusCode::permission_denied);
    EXPECT_EQ(reader->lock_exclusive().code(), StatusCode::invalid_argument);
    FileHandle read_handle = reader->open("table", {}).value();
    Bytes buffer(4);
    EXPECT_EQ(reader->read_sync(read_handle, 0, buffer).value(), 4u);
    EXPECT_EQ(as_chars(buffer), "rows");
    EXPECT_TRUE(reader->close(read_handle).is_ok());
}

TYPED_TEST(StorageTest, TheExclusiveLockRefusesASecondHolderAndNamesTheFirst) {
    ASSERT_TRUE(this->storage().lock_exclusive().is_ok());
    std::unique_ptr<Storage> second = this->environment_.open_another(/*read_only=*/false);
    Status refused = second->lock_exclusive();
    EXPECT_EQ(refused.code(), StatusCode::busy);
    EXPECT_NE(refused.message().find("is locked by another process (pid " +
                                     this->environment_.lock_holder_pid() + ")"),
              std::string::npos)
        << refused.message();
    // A read-only opener (verify, digest) works beside the holder.
    std::unique_ptr<Storage> reader = this->environment_.open_another(/*read_only=*/true);
    EXPECT_TRUE(reader->exists(kLockFileName).value());
    this->storage().unlock();
    EXPECT_TRUE(second->lock_exclusive().is_ok());
    second->unlock();
}

TYPED_TEST(StorageTest, DroppingTheStorageReleasesTheLock) {
    {
        std::unique_ptr<Storage> first = this->environment_.open_another(false);
        ASSERT_TRUE(first->lock_exclusive().is_ok());
        EXPECT_EQ(this->storage().lock_exclusive().code(), StatusCode::busy);
    }
    EXPECT_TRUE(this->storage().lock_exclusive().is_ok());
}

}  // namespace
}  // namespace kb::io
