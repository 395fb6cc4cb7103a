#include "base/bytes.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace kb {
namespace {

TEST(Hex, Renders) {
    const u8 data[] = {0x00, 0xab, 0xff};
    EXPECT_EQ(to_hex(data), "00abff");
}

TEST(Hex, RejectsBadInput) {
    Bytes out;
    EXPECT_FALSE(from_hex("abc", &out));
    EXPECT_FALSE(from_hex("zz", &out));
    EXPECT_TRUE(from_hex("ABcd", &out));
    EXPECT_EQ(out, (Bytes{0xab, 0xcd}));
}

RC_GTEST_PROP(Hex, RoundTrips, (Bytes bytes)) {
    Bytes back;
    RC_ASSERT(from_hex(to_hex(bytes), &back));
    RC_ASSERT(back == bytes);
}

}  // namespace
}  // namespace kb
