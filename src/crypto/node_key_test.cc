// Node key file: made once, the same key on every later load, and refused when damaged, of an
// unknown version, or readable by others.
#include "crypto/node_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace kb::crypto {
namespace {

std::string temp_key_dir(const char* name) {
    auto dir = std::filesystem::temp_directory_path() /
               (std::string("kb-node-key-") + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    return dir.string();
}

TEST(NodeKey, CreatedOnceThenLoadedTheSame) {
    const std::string dir = temp_key_dir("once");
    SeededRandom random(1);
    auto first = load_or_create_node_key(dir, random);
    ASSERT_TRUE(first.has_value()) << first.status().to_string();
    struct stat st {};
    ASSERT_EQ(::stat((dir + "/node.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    SeededRandom other(2);
    auto again = load_or_create_node_key(dir, other);
    ASSERT_TRUE(again.has_value()) << again.status().to_string();
    EXPECT_EQ(again->public_key().bytes, first->public_key().bytes);
    std::filesystem::remove_all(dir);
}

TEST(NodeKey, DamagedOrExposedFilesAreRefused) {
    const std::string dir = temp_key_dir("damaged");
    SeededRandom random(1);
    ASSERT_TRUE(load_or_create_node_key(dir, random).has_value());
    const std::string path = dir + "/node.key";
    {
        std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(20);
        file.put('\x5a');
    }
    auto damaged = load_or_create_node_key(dir, random);
    ASSERT_FALSE(damaged.has_value());
    EXPECT_EQ(damaged.error().code(), StatusCode::corruption);

    std::filesystem::remove(path);
    ASSERT_TRUE(load_or_create_node_key(dir, random).has_value());
    ::chmod(path.c_str(), 0644);
    auto exposed = load_or_create_node_key(dir, random);
    ASSERT_FALSE(exposed.has_value());
    EXPECT_EQ(exposed.error().code(), StatusCode::permission_denied);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kb::crypto
