#include "base/endian.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <vector>

namespace kb {
namespace {

TEST(Endian, LayoutIsLittleEndian) {
    std::array<u8, 8> out{};
    store_le_u32(out.data(), 0x11223344u);
    EXPECT_EQ(out[0], 0x44);
    EXPECT_EQ(out[3], 0x11);
    store_le_u64(out.data(), 0x0102030405060708ull);
    EXPECT_EQ(out[0], 0x08);
    EXPECT_EQ(out[7], 0x01);
    EXPECT_EQ(load_le_u16(out.data()), 0x0708);
}

RC_GTEST_PROP(Endian, RoundTripsEveryWidth, (u16 a, u32 b, u64 c)) {
    std::array<u8, 14> buffer{};
    LeWriter writer(buffer);
    writer.put(a);
    writer.put(b);
    writer.put(c);
    RC_ASSERT(writer.remaining() == 0u);
    LeReader reader(buffer);
    RC_ASSERT(reader.get<u16>() == a);
    RC_ASSERT(reader.get<u32>() == b);
    RC_ASSERT(reader.get<u64>() == c);
    RC_ASSERT(reader.ok());
}

RC_GTEST_PROP(Endian, ReaderNeverOverrunsTruncatedInput, (std::vector<u8> bytes)) {
    LeReader reader(bytes);
    for (int i = 0; i < 8; ++i) {
        (void)reader.get<u64>();
        (void)reader.get_bytes(3);
    }
    RC_ASSERT(reader.ok() == (bytes.size() >= 8 * 11));
    RC_ASSERT(reader.position() <= bytes.size());
}

}  // namespace
}  // namespace kb
