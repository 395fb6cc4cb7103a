// constant_time_equal: the answers (its timing is CRYPTO_memcmp's business).
#include "crypto/constant_time.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace kb::crypto {
namespace {

TEST(ConstantTimeEqual, EqualBuffers) {
    EXPECT_TRUE(constant_time_equal(as_bytes("tag-bytes"), as_bytes("tag-bytes")));
    EXPECT_TRUE(constant_time_equal({}, {}));
}

TEST(ConstantTimeEqual, DifferenceAnywhere) {
    EXPECT_FALSE(constant_time_equal(as_bytes("Xbcdef"), as_bytes("abcdef")));
    EXPECT_FALSE(constant_time_equal(as_bytes("abcdeX"), as_bytes("abcdef")));
}

TEST(ConstantTimeEqual, DifferentSizesAreUnequal) {
    EXPECT_FALSE(constant_time_equal(as_bytes("abc"), as_bytes("abcd")));
    EXPECT_FALSE(constant_time_equal(as_bytes(""), as_bytes("a")));
}

RC_GTEST_PROP(ConstantTimeEqual, AgreesWithOrdinaryEquality, (Bytes a, Bytes b)) {
    RC_ASSERT(constant_time_equal(a, b) == (a == b));
    RC_ASSERT(constant_time_equal(a, a));
}

}  // namespace
}  // namespace kb::crypto
