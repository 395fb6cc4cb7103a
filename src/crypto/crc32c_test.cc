// CRC-32C against RFC 3720 appendix B.4 and the catalogue check value, and the SSE4.2 path
// against the table path on random data, sizes, alignments and split points.
#include "crypto/crc32c.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <functional>

#include "base/prng.h"

namespace kb::crypto {
namespace {

struct Implementation {
    const char* name;
    std::function<u32(ByteSpan)> crc;
};

std::vector<Implementation> implementations() {
    std::vector<Implementation> all = {
        {"dispatch", [](ByteSpan data) { return crc32c(data); }},
        {"portable", [](ByteSpan data) { return crc32c_portable(0, data); }},
    };
    if (crc32c_sse42_supported()) {
        all.push_back({"sse42", [](ByteSpan data) { return crc32c_sse42(0, data); }});
    }
    return all;
}

// RFC 3720 B.4 (the CRC values there are listed as the bytes that go on the wire, least
// significant first: "aa 36 91 8a" is 0x8a9136aa).
TEST(Crc32c, Rfc3720Vectors) {
    std::array<u8, 32> zeros{}, ones{}, ascending{}, descending{};
    ones.fill(0xff);
    for (u8 i = 0; i < 32; ++i) {
        ascending[i] = i;
        descending[i] = static_cast<u8>(31 - i);
    }
    const std::array<u8, 48> iscsi_read_pdu = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    for (const Implementation& impl : implementations()) {
        EXPECT_EQ(impl.crc(zeros), 0x8a9136aau) << impl.name;
        EXPECT_EQ(impl.crc(ones), 0x62a8ab43u) << impl.name;
        EXPECT_EQ(impl.crc(ascending), 0x46dd794eu) << impl.name;
        EXPECT_EQ(impl.crc(descending), 0x113fdb5cu) << impl.name;
        EXPECT_EQ(impl.crc(iscsi_read_pdu), 0xd9963a56u) << impl.name;
    }
}

TEST(Crc32c, CheckValue) {
    for (const Implementation& impl : implementations()) {
        EXPECT_EQ(impl.crc(as_bytes("123456789")), 0xe3069283u) << impl.name;
        EXPECT_EQ(impl.crc({}), 0u) << impl.name;
    }
}

TEST(Crc32c, ExtendChains) {
    EXPECT_EQ(crc32c_extend(crc32c(as_bytes("1234")), as_bytes("56789")), 0xe3069283u);
    EXPECT_EQ(crc32c_extend(0, as_bytes("123456789")), 0xe3069283u);
    EXPECT_EQ(crc32c_extend(0xe3069283u, {}), 0xe3069283u);
}

TEST(Crc32c, MachineSupportsSse42) {
    // Not a requirement of the code, but every machine we benchmark on has it; if this fails
    // the fast path is silently untested here.
    EXPECT_TRUE(crc32c_sse42_supported());
}

Bytes random_bytes(u64 seed, usize size) {
    Prng prng(seed);
    Bytes data(size);
    prng.fill(data);
    return data;
}

// Sizes around every path boundary of the SSE4.2 code: the 3 x 256 and 3 x 8192 blocks.
TEST(Crc32c, Sse42MatchesPortableAtBlockBoundaries) {
    if (!crc32c_sse42_supported()) GTEST_SKIP() << "no SSE4.2";
    Bytes data = random_bytes(1, 3 * 8192 * 2 + 3 * 256 * 3 + 64);
    // The last two: two long blocks plus one short block, and plus two short blocks and a tail.
    const usize sizes[] = {0,    1,    7,     8,     9,     767,   768,   769,
                           1535, 1536, 24575, 24576, 24577, 49152, 49920, 50701};
    const usize offsets[] = {0, 1, 3, 7};
    for (usize size : sizes) {
        for (usize offset : offsets) {
            ByteSpan slice = ByteSpan(data).subspan(offset, size);
            ASSERT_EQ(crc32c_sse42(0, slice), crc32c_portable(0, slice))
                << "size " << size << " offset " << offset;
        }
    }
}

RC_GTEST_PROP(Crc32c, Sse42MatchesPortable, (u64 seed, u32 initial)) {
    RC_PRE(crc32c_sse42_supported());
    usize size =
        *rc::gen::oneOf(rc::gen::inRange<usize>(0, 1000), rc::gen::inRange<usize>(0, 200000));
    usize offset = *rc::gen::inRange<usize>(0, 8);
    Bytes data = random_bytes(seed, size + offset);
    ByteSpan slice = ByteSpan(data).subspan(offset);
    RC_ASSERT(crc32c_sse42(initial, slice) == crc32c_portable(initial, slice));
}

RC_GTEST_PROP(Crc32c, ExtendAtAnySplitMatchesWhole, (u64 seed)) {
    usize size = *rc::gen::inRange<usize>(0, 100000);
    usize split = *rc::gen::inRange<usize>(0, size + 1);
    Bytes data = random_bytes(seed, size);
    ByteSpan whole(data);
    u32 expected = crc32c(whole);
    RC_ASSERT(crc32c_extend(crc32c(whole.first(split)), whole.subspan(split)) == expected);
    RC_ASSERT(crc32c_portable(crc32c_portable(0, whole.first(split)), whole.subspan(split)) ==
              expected);
    if (crc32c_sse42_supported()) {
        RC_ASSERT(crc32c_sse42(crc32c_sse42(0, whole.first(split)), whole.subspan(split)) ==
                  expected);
    }
}

// A CRC detects every single-bit error; a broken combine step would miss some.
RC_GTEST_PROP(Crc32c, DetectsEverySingleBitFlip, (u64 seed)) {
    usize size = *rc::gen::inRange<usize>(1, 60000);
    Bytes data = random_bytes(seed, size);
    u32 before = crc32c(data);
    usize bit = *rc::gen::inRange<usize>(0, size * 8);
    data[bit / 8] ^= static_cast<u8>(1u << (bit % 8));
    RC_ASSERT(crc32c(data) != before);
    RC_ASSERT(crc32c_portable(0, data) != before);
}

}  // namespace
}  // namespace kb::crypto
