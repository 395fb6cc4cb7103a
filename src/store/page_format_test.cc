// Tests of sealed pages: round trip, and that torn, damaged, misdirected, stale, foreign and
// future-version pages are refused with the page's address in the message.
#include "store/page_format.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <cstdlib>
#include <fstream>

#include "base/endian.h"
#include "crypto/crc32c.h"
#include "store/manifest.h"
#include "store/node.h"
#include "store/store_test_support.h"
#include "store/superblock.h"

namespace kb::store {
namespace {

struct Sealed {
    std::array<u8, kPageBodySize> body{};
    std::array<u8, kPageSize> page{};
};

Sealed seal_sample(crypto::SealingKey& key, u64 address, u64 generation, TenantId tenant) {
    Sealed sealed;
    for (usize i = 0; i < sealed.body.size(); ++i) sealed.body[i] = static_cast<u8>(i * 31);
    crypto::SeededRandom random(address);
    KB_ASSERT(
        seal_page(address, generation, tenant, 3, key, random, sealed.body, sealed.page).is_ok());
    return sealed;
}

Status open_page(crypto::SealingKey& key, ByteSpan page, u64 address, u64 generation,
                 TenantId tenant) {
    auto header = check_page_header(page, address, generation, tenant);
    if (!header) return header.error();
    std::array<u8, kPageBodySize> body;
    return open_page_body(*header, key, page, body);
}

class PageFormat : public ::testing::Test {
protected:
    std::unique_ptr<DerivedPageKeys> keys = testing::make_test_keys();
    crypto::SealingKey& key = *keys->page_key(TenantId(5), 3).value();
};

TEST_F(PageFormat, RoundTrip) {
    Sealed sealed = seal_sample(key, 42, 7, TenantId(5));
    auto header = check_page_header(sealed.page, 42, 7, TenantId(5));
    ASSERT_TRUE(header) << header.status().to_string();
    EXPECT_EQ(header->epoch, 3u);
    std::array<u8, kPageBodySize> body;
    ASSERT_TRUE(open_page_body(*header, key, sealed.page, body).is_ok());
    EXPECT_EQ(body, sealed.body);
}

TEST_F(PageFormat, EveryFlippedBitIsRefused) {
    const Sealed sealed = seal_sample(key, 42, 7, TenantId(5));
    for (usize byte = 0; byte < kPageSize; byte += 7) {
        auto damaged = sealed.page;
        damaged[byte] ^= 0x10;
        Status status = open_page(key, damaged, 42, 7, TenantId(5));
        ASSERT_FALSE(status.is_ok()) << "byte " << byte;
        EXPECT_NE(status.message().find("store page 42"), std::string::npos) << status.message();
    }
}

TEST_F(PageFormat, DamageThatKeepsTheChecksumFailsTheTag) {
    Sealed sealed = seal_sample(key, 42, 7, TenantId(5));
    sealed.page[1000] ^= 1;
    // Recompute the CRC as an attacker (or a very unlucky disk) would.
    u32 crc = crypto::crc32c(ByteSpan(sealed.page).first(kPageChecksumOffset));
    crc = crypto::crc32c_extend(crc, ByteSpan(sealed.page).subspan(kPageChecksumOffset + 4));
    store_le_u32(sealed.page.data() + kPageChecksumOffset, crc);
    Status status = open_page(key, sealed.page, 42, 7, TenantId(5));
    EXPECT_EQ(status.code(), StatusCode::crypto) << status.to_string();
}

TEST_F(PageFormat, MisdirectedStaleAndForeignPagesAreNamed) {
    const Sealed sealed = seal_sample(key, 42, 7, TenantId(5));
    Status misdirected = open_page(key, sealed.page, 43, 7, TenantId(5));
    EXPECT_EQ(misdirected.code(), StatusCode::corruption);
    EXPECT_NE(misdirected.message().find("store page 43: holds page 42 (misdirected write)"),
              std::string::npos)
        << misdirected.message();
    Status stale = open_page(key, sealed.page, 42, 8, TenantId(5));
    EXPECT_NE(stale.message().find("generation 7 where 8 was expected"), std::string::npos)
        << stale.message();
    Status foreign = open_page(key, sealed.page, 42, 7, TenantId(6));
    EXPECT_NE(foreign.message().find("belongs to tenant 5"), std::string::npos)
        << foreign.message();
}

TEST_F(PageFormat, ZeroPageAndTornPageAreCorruption) {
    std::array<u8, kPageSize> zero{};
    Status never = open_page(key, zero, 9, 1, TenantId(5));
    EXPECT_EQ(never.code(), StatusCode::corruption);
    EXPECT_NE(never.message().find("never written"), std::string::npos);
    Sealed sealed = seal_sample(key, 9, 1, TenantId(5));
    std::fill(sealed.page.begin() + 2048, sealed.page.end(), 0);  // torn after 2 KiB
    Status torn = open_page(key, sealed.page, 9, 1, TenantId(5));
    EXPECT_NE(torn.message().find("checksum mismatch"), std::string::npos) << torn.message();
}

TEST_F(PageFormat, UnknownVersionIsRefusedAsUnsupported) {
    Sealed sealed = seal_sample(key, 42, 7, TenantId(5));
    store_le_u16(sealed.page.data() + 4, 2);
    u32 crc = crypto::crc32c(ByteSpan(sealed.page).first(kPageChecksumOffset));
    crc = crypto::crc32c_extend(crc, ByteSpan(sealed.page).subspan(kPageChecksumOffset + 4));
    store_le_u32(sealed.page.data() + kPageChecksumOffset, crc);
    Status status = open_page(key, sealed.page, 42, 7, TenantId(5));
    EXPECT_EQ(status.code(), StatusCode::unsupported);
    EXPECT_NE(status.message().find("unknown page format version 2"), std::string::npos)
        << status.message();
}

TEST_F(PageFormat, ThePlaintextIsNotInThePage) {
    Sealed sealed;
    const std::string secret = "patient record: blood type AB negative";
    std::copy(secret.begin(), secret.end(), sealed.body.begin());
    crypto::SeededRandom random(1);
    ASSERT_TRUE(seal_page(5, 1, TenantId(5), 3, key, random, sealed.body, sealed.page).is_ok());
    std::string page(sealed.page.begin(), sealed.page.end());
    EXPECT_EQ(page.find("blood type"), std::string::npos);
}

// Writes the fuzz corpus (fuzz/corpus/page_fuzz) when KB_WRITE_PAGE_CORPUS names a directory.
TEST_F(PageFormat, WritesFuzzCorpus) {
    const char* dir = std::getenv("KB_WRITE_PAGE_CORPUS");
    if (dir == nullptr) GTEST_SKIP() << "set KB_WRITE_PAGE_CORPUS to write the corpus";
    auto write = [&](const std::string& name, ByteSpan bytes) {
        std::ofstream out(std::string(dir) + "/" + name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
    };
    std::array<u8, Node::kEntryFootprintMax> entry;
    Node leaf(PageKind::leaf, 0);
    for (u16 i = 0; i < 12; ++i) {
        std::string name = "key-" + std::to_string(100 + i);
        std::string value(static_cast<usize>(i) * 9, 'v');
        LeafValue stored{.overflow = false,
                         .length = static_cast<u32>(value.size()),
                         .bytes = as_bytes(value),
                         .run = {}};
        ASSERT_TRUE(leaf.insert_raw(
            i, ByteSpan(entry.data(), Node::encode_leaf_entry(as_bytes(name), stored, entry))));
    }
    LeafValue overflow{.overflow = true, .length = 9000, .bytes = {}, .run = {77, 5}};
    ASSERT_TRUE(leaf.insert_raw(
        12, ByteSpan(entry.data(), Node::encode_leaf_entry(as_bytes("zz"), overflow, entry))));
    Node inner(PageKind::inner, 2);
    const char* separators[] = {"", "b", "key-105", "q"};
    for (u16 i = 0; i < 4; ++i) {
        ASSERT_TRUE(inner.insert_raw(
            i, ByteSpan(entry.data(), Node::encode_inner_entry(as_bytes(separators[i]),
                                                               {10u + i, 3u + i}, entry))));
    }
    std::array<u8, kPageBodySize> body;
    std::array<u8, kPageSize> page;
    crypto::SeededRandom random(5);
    crypto::SealingKey& tenant_key = *keys->page_key(TenantId(1), 0).value();
    leaf.encode(body);
    write("leaf_body", body);
    ASSERT_TRUE(seal_page(9, 4, TenantId(1), 0, tenant_key, random, body, page).is_ok());
    write("leaf_page", page);
    inner.encode(body);
    write("inner_body", body);
    ASSERT_TRUE(seal_page(10, 6, TenantId(1), 0, tenant_key, random, body, page).is_ok());
    write("inner_page", page);
    Superblock superblock;
    superblock.sequence = 3;
    superblock.applied = Position(1234);
    superblock.trees = {{5, 9}, 1};
    superblock.manifest = {20, 11};
    superblock.manifest_pages = 1;
    superblock.manifest_bytes = 60;
    superblock.page_count = 30;
    superblock.next_generation = 12;
    write("superblock", encode_superblock(superblock));
    Manifest manifest;
    manifest.meta = Bytes{1, 2, 3, 4};
    manifest.epochs = {{TenantId(0), 0, 17}, {TenantId(1), 2, 5}};
    manifest.free = {{3, 2}, {8, 1}, {25, 4}};
    write("manifest", encode_manifest(manifest));
}

}  // namespace
}  // namespace kb::store
