// Test-only: a temporary data directory and key directory for a Database, removed afterwards.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "kimberlite/database.h"

namespace kb::db::testing {

struct TempDatabaseDirs {
    explicit TempDatabaseDirs(const char* name = "kmb-test") {
        std::string pattern = "/tmp/" + std::string(name) + "-XXXXXX";
        root = ::mkdtemp(pattern.data());
        data = root + "/data";
        keys = root + "/keys";
    }
    ~TempDatabaseDirs() { std::filesystem::remove_all(root); }
    TempDatabaseDirs(const TempDatabaseDirs&) = delete;
    TempDatabaseDirs& operator=(const TempDatabaseDirs&) = delete;

    // Options for a database in these directories (`checkpoint_every_ops` 0: the default).
    DatabaseOptions options(unsigned long long checkpoint_every_ops = 0) const {
        DatabaseOptions out;
        out.key_dir = keys;
        if (checkpoint_every_ops != 0) out.checkpoint_every_ops = checkpoint_every_ops;
        return out;
    }

    std::string root, data, keys;
};

}  // namespace kb::db::testing
