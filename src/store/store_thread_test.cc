// The store on real files (LinuxStorage + AsioEventLoop) with reader threads: while the writer
// edits, publishes and checkpoints on the loop thread, readers on other threads take snapshots
// and check every read against the model of the version they hold. A small cache makes readers
// load (and decrypt) pages themselves, and their snapshots hold pages back from reuse while the
// writer frees and reuses others. Also: no plaintext anywhere in the data directory.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "io/asio_event_loop.h"
#include "io/linux_storage.h"
#include "io/storage_test_support.h"
#include "store/store.h"
#include "store/store_model.h"
#include "store/store_test_support.h"

namespace kb::store {
namespace {

using testing::Model;

const TreeId kTrees[] = {{TenantId(1), 1}, {TenantId(2), 1}, {TenantId(2), 2}};

Bytes value_for(u64 key, u64 position) {
    std::string value = "row " + std::to_string(key) + " written at " + std::to_string(position);
    value.resize(20 + (key * 37 + position) % (key % 17 == 0 ? 3000 : 300), '#');
    return Bytes(value.begin(), value.end());
}

Bytes key_for(u64 key) {
    std::string text = "key-" + std::to_string(key);
    return Bytes(text.begin(), text.end());
}

TEST(StoreThreads, ReadersOnOtherThreadsSeeExactlyTheirVersion) {
    io::testing::TempDir dir;
    io::AsioEventLoop loop;
    auto storage = io::LinuxStorage::open(loop, {.root = dir.path()});
    ASSERT_TRUE(storage) << storage.status().to_string();
    auto keys = testing::make_test_keys();
    crypto::SeededRandom random(7);
    StoreOptions options;
    options.cache_bytes = 256 * limits::kKiB;
    auto opened = Store::open(**storage, loop, options, *keys, random);
    ASSERT_TRUE(opened) << opened.status().to_string();
    Store& store = **opened;
    for (TreeId tree : kTrees) ASSERT_TRUE(store.create_tree(tree).is_ok());

    std::mutex models_mutex;
    std::map<u64, std::shared_ptr<const Model>> models;  // by applied position
    Model model;
    for (TreeId tree : kTrees) model[tree];
    ASSERT_TRUE(store.publish(Position(1), {}).is_ok());
    models[1] = std::make_shared<const Model>(model);

    std::atomic<bool> stop{false};
    std::atomic<u64> reads{0};
    std::atomic<u64> failures{0};
    std::mutex failure_mutex;
    std::string first_failure;
    auto fail = [&](std::string what) {
        std::lock_guard lock(failure_mutex);
        if (failures.fetch_add(1) == 0) first_failure = std::move(what);
    };
    auto reader = [&](u64 seed) {
        Prng prng(seed);
        Bytes value;
        while (!stop.load()) {
            Snapshot snapshot = store.snapshot();
            std::shared_ptr<const Model> expected;
            {
                std::lock_guard lock(models_mutex);
                expected = models.at(snapshot.applied().value());
            }
            // Hold the snapshot a while: point reads, then sometimes a whole scan.
            for (int i = 0; i < 200; ++i) {
                const TreeId tree = kTrees[prng.uniform(3)];
                const u64 key = prng.uniform(2000);
                auto found = snapshot.read(tree, key_for(key), value);
                if (!found) return fail(found.status().to_string());
                const auto& content = expected->at(tree);
                auto it = content.find(key_for(key));
                if (*found != (it != content.end()) || (*found && value != it->second)) {
                    return fail("wrong value for key " + std::to_string(key) + " at " +
                                std::to_string(snapshot.applied().value()));
                }
                reads.fetch_add(1);
            }
            if (prng.chance(1, 4)) {
                const TreeId tree = kTrees[prng.uniform(3)];
                auto cursor = snapshot.scan(tree, {}, {}, Direction::backward);
                if (!cursor) return fail(cursor.status().to_string());
                const auto& content = expected->at(tree);
                auto it = content.rbegin();
                for (; cursor->valid(); ++it) {
                    auto current = cursor->value();
                    if (!current) return fail(current.status().to_string());
                    if (it == content.rend() ||
                        Bytes(cursor->key().begin(), cursor->key().end()) != it->first ||
                        Bytes(current->begin(), current->end()) != it->second) {
                        return fail("scan differs at " +
                                    std::to_string(snapshot.applied().value()));
                    }
                    Status moved = cursor->next();
                    if (!moved.is_ok()) return fail(moved.to_string());
                }
                if (it != content.rend()) return fail("scan ended early");
            }
        }
    };
    std::vector<std::thread> readers;
    for (u64 i = 0; i < 3; ++i) readers.emplace_back(reader, 1000 + i);

    Prng prng(3);
    for (u64 position = 2; position <= 400; ++position) {
        for (int edit = 0; edit < 40; ++edit) {
            const TreeId tree = kTrees[prng.uniform(3)];
            const u64 key = prng.uniform(2000);
            if (prng.chance(1, 5)) {
                ASSERT_TRUE(store.erase(tree, key_for(key)).is_ok());
                model[tree].erase(key_for(key));
            } else {
                Bytes value = value_for(key, position);
                ASSERT_TRUE(store.put(tree, key_for(key), value).is_ok());
                model[tree][key_for(key)] = std::move(value);
            }
        }
        {
            std::lock_guard lock(models_mutex);
            models[position] = std::make_shared<const Model>(model);
        }
        ASSERT_TRUE(store.publish(Position(position), {}).is_ok());
        if (position % 25 == 0) {
            ASSERT_TRUE(testing::checkpoint_and_wait(store, loop).is_ok());
        }
        if (failures.load() > 0) break;
    }
    stop.store(true);
    for (std::thread& thread : readers) thread.join();
    EXPECT_EQ(failures.load(), 0u) << first_failure;
    EXPECT_GT(reads.load(), 1000u);
    const StoreStats stats = store.stats();
    EXPECT_GT(stats.cache_misses, 100u) << "readers should have loaded pages themselves";
    auto report = store.check_integrity();
    ASSERT_TRUE(report) << report.status().to_string();
    EXPECT_EQ(report->unaccounted_pages, 0u);

    // Reopen from the files and compare with the last checkpointed version.
    ASSERT_TRUE(testing::checkpoint_and_wait(store, loop).is_ok());
    const u64 applied = store.snapshot().applied().value();
    opened->reset();
    opened = Store::open(**storage, loop, options, *keys, random);
    ASSERT_TRUE(opened) << opened.status().to_string();
    testing::expect_view_equals((*opened)->snapshot(), *models.at(applied),
                                {TenantId(1), TenantId(2)}, "reopened");
    opened->reset();

    // Not one key or value in clear anywhere in the data directory.
    const std::string needles[] = {"key-1", "written at", "row 17 "};
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string contents{std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>()};
        for (const std::string& needle : needles) {
            EXPECT_EQ(contents.find(needle), std::string::npos)
                << entry.path() << " holds plaintext '" << needle << "'";
        }
    }
}

}  // namespace
}  // namespace kb::store
