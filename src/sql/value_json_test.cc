// jsonb: normal form, member access and order (PostgreSQL 15's answers are in value_io_test.cc,
// func_registry_test.cc and value_compare_test.cc; these check the invariants behind them).
#include "sql/value_json.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "base/prng.h"
#include "sql/value_test_support.h"

namespace kb::sql {
namespace {

RC_GTEST_PROP(Jsonb, NormalFormIsAFixedPoint, (u64 seed)) {
    Prng prng(seed);
    std::string text;
    testing::random_json(prng, 0, text);
    auto normal = jsonb_input(text);
    RC_ASSERT(normal.has_value());
    RC_ASSERT(*jsonb_input(*normal) == *normal);
    RC_ASSERT(jsonb_compare(*normal, *normal) == 0);
    RC_ASSERT(jsonb_hash_key(*normal) == jsonb_hash_key(*jsonb_input(*normal)));
    // Whitespace never matters.
    std::string spaced = "  " + text + "\n";
    RC_ASSERT(*jsonb_input(spaced) == *normal);
}

TEST(Jsonb, KeysSortedByLengthThenBytesLastDuplicateWins) {
    // SELECT '{"b": 1, "aa": 2, "a": 3, "b": 4}'::jsonb -> {"a": 3, "b": 4, "aa": 2}
    EXPECT_EQ(*jsonb_input(R"({"b": 1, "aa": 2, "a": 3, "b": 4})"), R"({"a": 3, "b": 4, "aa": 2})");
    EXPECT_EQ(*jsonb_input(R"({"a":{"c":1,"b":[1,{"y":1,"x":2}]}})"),
              R"({"a": {"b": [1, {"x": 2, "y": 1}], "c": 1}})");
}

TEST(Jsonb, ConcatenationAsPostgres) {
    // SELECT '"x"'::jsonb || '"y"', '{"a":1}'::jsonb || '[2]', '1'::jsonb || '{"a":1}',
    //        '{"b":1,"a":1}'::jsonb || '{"a":2,"c":3}';
    EXPECT_EQ(jsonb_concat("\"x\"", "\"y\""), R"(["x", "y"])");
    EXPECT_EQ(jsonb_concat(R"({"a": 1})", "[2]"), R"([{"a": 1}, 2])");
    EXPECT_EQ(jsonb_concat("1", R"({"a": 1})"), R"([1, {"a": 1}])");
    EXPECT_EQ(jsonb_concat(R"({"a": 1, "b": 1})", R"({"a": 2, "c": 3})"),
              R"({"a": 2, "b": 1, "c": 3})");
}

TEST(Jsonb, EqualNumbersHashAlike) {
    EXPECT_EQ(jsonb_compare("[1.0, {\"a\": 100}]", "[1, {\"a\": 1e2}]"), 0);
    EXPECT_EQ(jsonb_hash_key(*jsonb_input("[1.0, {\"a\": 100}]")),
              jsonb_hash_key(*jsonb_input("[1, {\"a\": 1e2}]")));
    EXPECT_NE(jsonb_hash_key("[1]"), jsonb_hash_key("[\"1\"]"));
}

TEST(Jsonb, DeepNestingIsAnErrorNotACrash) {
    const std::string deep(100000, '[');
    auto result = jsonb_input(deep);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().sqlstate, "54001");
}

TEST(Jsonb, ScalarCasts) {
    // SELECT '"a"'::jsonb::numeric -> 22023 cannot cast jsonb string to type numeric.
    EXPECT_EQ(jsonb_to_numeric("\"a\"", "numeric").error().to_string(),
              "ERROR 22023: cannot cast jsonb string to type numeric");
    EXPECT_EQ(jsonb_to_numeric("2.50", "numeric")->to_string(), "2.50");
    EXPECT_EQ(*jsonb_to_boolean("true"), true);
    EXPECT_EQ(jsonb_to_boolean("null").error().message, "cannot cast jsonb null to type boolean");
}

}  // namespace
}  // namespace kb::sql
