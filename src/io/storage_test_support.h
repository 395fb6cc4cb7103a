// Helpers for io tests: run one storage operation to completion on its loop, and a temporary
// data directory. Test-only (included by *_test.cc files, not by the library).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <optional>
#include <string>

#include "base/time_units.h"
#include "io/event_loop.h"
#include "io/storage.h"

namespace kb::io::testing {

// Long enough for a slow CI disk, short enough that a lost callback fails the test quickly.
inline constexpr u64 kWaitTimeoutNs = 30 * kNanosPerSecond;

inline Status write_and_wait(EventLoop& loop, Storage& storage, FileHandle file, u64 offset,
                             ByteSpan data) {
    std::optional<Status> result;
    storage.write(file, offset, data, [&](Status status) { result = std::move(status); });
    if (!loop.run_until([&] { return result.has_value(); }, kWaitTimeoutNs)) {
        return Status::internal("write callback never ran");
    }
    return *result;
}

inline Result<usize> read_and_wait(EventLoop& loop, Storage& storage, FileHandle file, u64 offset,
                                   MutableByteSpan buffer) {
    std::optional<Status> result;
    usize count = 0;
    storage.read(file, offset, buffer, [&](Status status, usize bytes_read) {
        result = std::move(status);
        count = bytes_read;
    });
    if (!loop.run_until([&] { return result.has_value(); }, kWaitTimeoutNs)) {
        return Status::internal("read callback never ran");
    }
    if (!result->is_ok()) return *result;
    return count;
}

inline Status sync_and_wait(EventLoop& loop, Storage& storage, FileHandle file) {
    std::optional<Status> result;
    storage.sync(file, [&](Status status) { result = std::move(status); });
    if (!loop.run_until([&] { return result.has_value(); }, kWaitTimeoutNs)) {
        return Status::internal("sync callback never ran");
    }
    return *result;
}

// Reads the whole file (up to `limit` bytes) through the storage.
inline Bytes read_all(EventLoop& loop, Storage& storage, FileHandle file, usize limit = 1 << 20) {
    Result<u64> size = storage.size(file);
    EXPECT_TRUE(size.has_value()) << size.status().to_string();
    Bytes data(std::min<u64>(size.value_or(0), limit));
    Result<usize> count = read_and_wait(loop, storage, file, 0, data);
    EXPECT_TRUE(count.has_value()) << count.status().to_string();
    data.resize(count.value_or(0));
    return data;
}

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
public:
    TempDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "kb-io-test-XXXXXX").string();
        char* made = ::mkdtemp(pattern.data());
        EXPECT_NE(made, nullptr);
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace kb::io::testing
