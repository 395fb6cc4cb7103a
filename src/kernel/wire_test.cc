// Tests of the kernel's field codec: layout, and refusal of truncated or forged input.
#include "kernel/wire.h"

#include <gtest/gtest.h>

namespace kb::kernel {
namespace {

TEST(Wire, LayoutIsLittleEndianWithLengthPrefixes) {
    WireWriter out;
    out.u8(1);
    out.u16(0x0203);
    out.u32(0x04050607);
    out.i64(-2);
    out.boolean(true);
    out.string("ab");
    const Bytes expected = {1,    3,    2,    7,    6, 5, 4, 0xfe, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff, 1, 2, 0, 0,    0,    'a',  'b'};
    WireWriter measuring = WireWriter::measuring();
    measuring.u8(1);
    measuring.u16(0x0203);
    measuring.u32(0x04050607);
    measuring.i64(-2);
    measuring.boolean(true);
    measuring.string("ab");
    EXPECT_EQ(measuring.size(), expected.size());
    EXPECT_EQ(out.take(), expected);

    WireReader in(expected, "test");
    EXPECT_EQ(in.u8("a"), 1);
    EXPECT_EQ(in.u16("b"), 0x0203);
    EXPECT_EQ(in.u32("c"), 0x04050607u);
    EXPECT_EQ(in.i64("d"), -2);
    EXPECT_TRUE(in.boolean("e"));
    EXPECT_EQ(in.string("f"), "ab");
    EXPECT_TRUE(in.finish().is_ok());
}

TEST(Wire, FirstProblemWinsAndNamesTheField) {
    const Bytes bytes = {2, 0xff, 0xff, 0xff, 0xff};
    WireReader in(bytes, "thing");
    EXPECT_FALSE(in.boolean("flag"));
    EXPECT_EQ(in.count("items", 1), 0u);
    Status status = in.finish();
    EXPECT_EQ(status.code(), StatusCode::corruption);
    EXPECT_EQ(status.message(), "thing: flag at byte 0 is 2, not a bool (0 or 1)");

    WireReader truncated(bytes, "thing");
    (void)truncated.u64("position");
    EXPECT_EQ(truncated.finish().message(),
              "thing: truncated reading position at byte 0 (needs 8, 5 left)");

    WireReader forged(ByteSpan(bytes).subspan(1), "thing");
    EXPECT_EQ(forged.count("items", 1), 0u);
    EXPECT_NE(forged.finish().message().find("counts 4294967295 items"), std::string::npos);
}

}  // namespace
}  // namespace kb::kernel
