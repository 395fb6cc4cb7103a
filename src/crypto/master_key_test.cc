// Tests of the master key providers: the key file format, permissions, crash-safe rotation.
#include "crypto/master_key.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/endian.h"
#include "crypto/aead.h"
#include "crypto/crc32c.h"

namespace kb::crypto {
namespace {

// A fresh directory under /tmp, removed with everything in it at the end of the test.
class TempDir {
public:
    TempDir() {
        char pattern[] = "/tmp/kb-master-key-test-XXXXXX";
        const char* made = ::mkdtemp(pattern);
        KB_ASSERT(made != nullptr);
        path_ = made;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

mode_t mode_of(const std::string& path) {
    struct stat st;
    KB_ASSERT(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

Bytes read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_file(const std::string& path, ByteSpan bytes, mode_t mode = 0600) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
    }
    KB_ASSERT(::chmod(path.c_str(), mode) == 0);
}

// Recomputes the trailing CRC32C after a deliberate edit, so only the edit is wrong.
void fix_crc(Bytes& image) {
    usize body = image.size() - 4;
    store_le_u32(image.data() + body, crc32c(ByteSpan(image.data(), body)));
}

Key256 key_of(u8 fill) {
    std::array<u8, 32> bytes;
    bytes.fill(fill);
    return Key256::from_bytes(bytes);
}

TEST(FileMasterKeyProvider, CreatesKeyFile0600InNewDirectory0700) {
    TempDir temp;
    std::string dir = temp.path() + "/config/keys";  // neither level exists yet
    SeededRandom random(1);
    auto provider = FileMasterKeyProvider::open(dir, random);
    ASSERT_TRUE(provider) << provider.error().to_string();
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_EQ(mode_of(temp.path() + "/config"), 0700u);
    std::string path = dir + "/master.key";
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(read_file(path).size(), kMasterKeyFileSize);
    EXPECT_EQ((*provider)->current().id, KeyId(1));
    EXPECT_FALSE((*provider)->current().key.is_zero());
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(FileMasterKeyProvider, ReopeningLoadsTheSameKey) {
    TempDir temp;
    SeededRandom first_random(1), second_random(2);
    auto first = FileMasterKeyProvider::open(temp.path(), first_random);
    ASSERT_TRUE(first);
    // A different random source on reopen: the key must come from the file, not be remade.
    auto second = FileMasterKeyProvider::open(temp.path(), second_random);
    ASSERT_TRUE(second) << second.error().to_string();
    EXPECT_EQ((*second)->current().id, (*first)->current().id);
    EXPECT_TRUE((*second)->current().key == (*first)->current().key);
}

TEST(FileMasterKeyProvider, FileHoldsTheDocumentedLayout) {
    TempDir temp;
    SeededRandom random(3);
    auto provider = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_TRUE(provider);
    Bytes image = read_file(temp.path() + "/master.key");
    ASSERT_EQ(image.size(), 56u);
    EXPECT_EQ(as_chars(ByteSpan(image).first(8)), "KBMASTER");
    EXPECT_EQ(load_le_u32(image.data() + 8), 1u);   // format version
    EXPECT_EQ(load_le_u64(image.data() + 12), 1u);  // key id
    auto key_bytes = (*provider)->current().key.bytes();
    EXPECT_TRUE(std::equal(key_bytes.begin(), key_bytes.end(), image.begin() + 20));
    EXPECT_EQ(load_le_u32(image.data() + 52), crc32c(ByteSpan(image).first(52)));
}

class KeyFileModes : public ::testing::TestWithParam<mode_t> {};

TEST_P(KeyFileModes, RefusesKeyFileOpenToGroupOrOthers) {
    TempDir temp;
    SeededRandom random(4);
    ASSERT_TRUE(FileMasterKeyProvider::open(temp.path(), random));
    std::string path = temp.path() + "/master.key";
    ASSERT_EQ(::chmod(path.c_str(), GetParam()), 0);
    auto reopened = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code(), StatusCode::permission_denied);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(GetParam()));
    EXPECT_EQ(reopened.error().message(),
              "key file " + path + " has mode " + mode +
                  ": it must not be accessible to group or others; run chmod 600 " + path);
}

INSTANTIATE_TEST_SUITE_P(GroupOrOthers, KeyFileModes,
                         ::testing::Values(0644, 0640, 0604, 0660, 0602, 0620));

TEST(FileMasterKeyProvider, RefusesKeyDirectoryWritableByOthers) {
    TempDir temp;
    SeededRandom random(5);
    ASSERT_EQ(::chmod(temp.path().c_str(), 0777), 0);
    auto provider = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_FALSE(provider);
    EXPECT_EQ(provider.error().code(), StatusCode::permission_denied);
    EXPECT_NE(provider.error().message().find("chmod 700 " + temp.path()), std::string::npos);
    EXPECT_FALSE(std::filesystem::exists(temp.path() + "/master.key"));
}

TEST(FileMasterKeyProvider, RefusesUnknownFormatVersion) {
    TempDir temp;
    SeededRandom random(6);
    ASSERT_TRUE(FileMasterKeyProvider::open(temp.path(), random));
    std::string path = temp.path() + "/master.key";
    Bytes image = read_file(path);
    store_le_u32(image.data() + 8, 2);
    fix_crc(image);
    write_file(path, image);
    auto reopened = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code(), StatusCode::unsupported);
    EXPECT_NE(reopened.error().message().find("format version 2"), std::string::npos);
    EXPECT_NE(reopened.error().message().find(path), std::string::npos);
}

TEST(FileMasterKeyProvider, RefusesAFlippedByteAnywhere) {
    TempDir temp;
    SeededRandom random(7);
    ASSERT_TRUE(FileMasterKeyProvider::open(temp.path(), random));
    std::string path = temp.path() + "/master.key";
    const Bytes good = read_file(path);
    for (usize index = 0; index < good.size(); ++index) {
        for (u8 bit : {u8{0x01}, u8{0x80}}) {
            Bytes bad = good;
            bad[index] ^= bit;
            write_file(path, bad);
            auto reopened = FileMasterKeyProvider::open(temp.path(), random);
            ASSERT_FALSE(reopened) << "byte " << index;
            EXPECT_EQ(reopened.error().code(), StatusCode::corruption) << "byte " << index;
            EXPECT_NE(reopened.error().message().find(path), std::string::npos);
        }
    }
    write_file(path, good);
    EXPECT_TRUE(FileMasterKeyProvider::open(temp.path(), random));
}

TEST(FileMasterKeyProvider, RefusesTruncatedAndOverlongFiles) {
    TempDir temp;
    SeededRandom random(8);
    ASSERT_TRUE(FileMasterKeyProvider::open(temp.path(), random));
    std::string path = temp.path() + "/master.key";
    const Bytes good = read_file(path);
    for (usize size : {usize{0}, usize{8}, usize{30}, usize{55}}) {
        write_file(path, ByteSpan(good).first(size));
        auto reopened = FileMasterKeyProvider::open(temp.path(), random);
        ASSERT_FALSE(reopened);
        EXPECT_EQ(reopened.error().code(), StatusCode::corruption) << size;
    }
    Bytes longer = good;
    longer.insert(longer.end() - 4, 8, u8{0});
    fix_crc(longer);
    write_file(path, longer);
    auto reopened = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code(), StatusCode::corruption);
}

TEST(FileMasterKeyProvider, RotationRetainsTheOldKeyAcrossRestart) {
    TempDir temp;
    SeededRandom random(9);
    auto provider = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_TRUE(provider);
    Key256 first = (*provider)->current().key.clone();

    auto rotated = (*provider)->rotate(random);
    ASSERT_TRUE(rotated) << rotated.error().to_string();
    EXPECT_EQ(*rotated, KeyId(2));
    EXPECT_EQ((*provider)->current().id, KeyId(2));
    EXPECT_FALSE((*provider)->current().key == first);
    EXPECT_EQ(mode_of(temp.path() + "/master-1.key"), 0600u);

    auto reopened = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_TRUE(reopened) << reopened.error().to_string();
    EXPECT_EQ((*reopened)->current().id, KeyId(2));
    EXPECT_TRUE((*reopened)->current().key == (*provider)->current().key);
    auto old = (*reopened)->find(KeyId(1));
    ASSERT_TRUE(old);
    EXPECT_TRUE(**old == first);

    EXPECT_EQ((*reopened)->retire(KeyId(2)).code(), StatusCode::invalid_argument);
    ASSERT_TRUE((*reopened)->retire(KeyId(1)).is_ok());
    EXPECT_FALSE(std::filesystem::exists(temp.path() + "/master-1.key"));
    auto after = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_TRUE(after);
    auto gone = (*after)->find(KeyId(1));
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code(), StatusCode::not_found);
    EXPECT_EQ((*after)->retire(KeyId(1)).code(), StatusCode::not_found);
}

// A rotation that crashed after retaining the current key but before replacing master.key
// leaves master-<current>.key beside master.key: both hold the same key, and open accepts it.
TEST(FileMasterKeyProvider, AcceptsADuplicateLeftByACrashedRotation) {
    TempDir temp;
    SeededRandom random(10);
    auto provider = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_TRUE(provider);
    std::string current = temp.path() + "/master.key";
    write_file(temp.path() + "/master-1.key", read_file(current));
    auto reopened = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_TRUE(reopened) << reopened.error().to_string();
    EXPECT_TRUE((*reopened)->current().key == (*provider)->current().key);
    // The next rotation still picks id 2 and succeeds over the stale duplicate.
    auto rotated = (*reopened)->rotate(random);
    ASSERT_TRUE(rotated);
    EXPECT_EQ(*rotated, KeyId(2));

    // But two different keys claiming one id is damage, not a crash.
    std::array<u8, kMasterKeyFileSize> image;
    encode_master_key_file(KeyId(2), key_of(0x5a), image);
    write_file(temp.path() + "/master-2.key", image);
    auto conflicting = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_FALSE(conflicting);
    EXPECT_EQ(conflicting.error().code(), StatusCode::corruption);
}

TEST(FileMasterKeyProvider, RefusesRetainedFileWhoseIdDisagreesWithItsName) {
    TempDir temp;
    SeededRandom random(11);
    ASSERT_TRUE(FileMasterKeyProvider::open(temp.path(), random));
    std::array<u8, kMasterKeyFileSize> image;
    encode_master_key_file(KeyId(4), key_of(1), image);
    write_file(temp.path() + "/master-3.key", image);
    auto reopened = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code(), StatusCode::corruption);
}

TEST(FileMasterKeyProvider, ErrorMessagesNeverContainKeyBytes) {
    TempDir temp;
    SeededRandom random(12);
    auto provider = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_TRUE(provider);
    std::string hex = to_hex((*provider)->current().key.bytes());
    std::string path = temp.path() + "/master.key";
    Bytes image = read_file(path);
    image[30] ^= 1;
    write_file(path, image);
    auto reopened = FileMasterKeyProvider::open(temp.path(), random);
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().message().find(hex.substr(0, 16)), std::string::npos);
    EXPECT_EQ(reopened.error().message().find(hex.substr(40, 16)), std::string::npos);
}

TEST(MemoryMasterKeyProvider, RotateFindRetire) {
    SeededRandom random(13);
    MemoryMasterKeyProvider provider(random);
    EXPECT_EQ(provider.current().id, KeyId(1));
    Key256 first = provider.current().key.clone();
    ASSERT_EQ(*provider.rotate(random), KeyId(2));
    ASSERT_EQ(*provider.rotate(random), KeyId(3));
    EXPECT_TRUE(**provider.find(KeyId(1)) == first);
    EXPECT_FALSE(**provider.find(KeyId(2)) == first);
    ASSERT_TRUE(provider.retire(KeyId(1)).is_ok());
    EXPECT_EQ(provider.find(KeyId(1)).error().code(), StatusCode::not_found);
    EXPECT_EQ(provider.retire(KeyId(3)).code(), StatusCode::invalid_argument);
    EXPECT_EQ(*provider.rotate(random), KeyId(4));  // ids keep rising after a retirement
}

RC_GTEST_PROP(MasterKeyFile, EncodeDecodeRoundTrip, ()) {
    u64 id = *rc::gen::inRange<u64>(1, ~u64{0});
    auto bytes = *rc::gen::container<std::vector<u8>>(32, rc::gen::arbitrary<u8>());
    Key256 key = Key256::from_bytes(std::span<const u8, 32>(bytes.data(), 32));
    std::array<u8, kMasterKeyFileSize> image;
    encode_master_key_file(KeyId(id), key, image);
    auto decoded = decode_master_key_file(image, "test");
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(decoded->id == KeyId(id));
    RC_ASSERT(decoded->key == key);
}

}  // namespace
}  // namespace kb::crypto
