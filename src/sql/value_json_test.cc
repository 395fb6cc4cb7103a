// jsonb: normal form, member access and order (PostgreSQL 15's answers are in value_io_test.cc,
// func_registry_test.cc and value_compare_test.cc; these check the invariants behind them).
#include "sql/value_json.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "base/prng.h"

namespace kb::sql {
namespace {

// Random JSON text with random spacing, duplicate keys and number spellings.
void random_json(Prng& prng, int depth, std::string& out) {
    auto space = [&] {
        static constexpr const char* kSpaces[] = {"", " ", "\n", "\t ", "\r\n"};
        out += kSpaces[prng.uniform(5)];
    };
    static constexpr const char* kKeys[] = {"a", "b", "aa", "", "é", "ab", "b"};
    static constexpr const char* kScalars[] = {"null",
                                               "true",
                                               "false",
                                               "0",
                                               "-0",
                                               "1.50",
                                               "1e2",
                                               "-2.5E-3",
                                               "\"x\"",
                                               "\"\\u00e9\\n\"",
                                               "\"\\ud83d\\ude00\"",
                                               "123456789012345678901234567890",
                                               "\"a\\\"b\""};
    space();
    const u64 kind = depth > 3 ? 2 : prng.uniform(3);
    if (kind == 0) {
        out += '[';
        const u64 n = prng.uniform(4);
        for (u64 i = 0; i < n; ++i) {
            if (i > 0) out += ',';
            random_json(prng, depth + 1, out);
        }
        space();
        out += ']';
    } else if (kind == 1) {
        out += '{';
        const u64 n = prng.uniform(4);
        for (u64 i = 0; i < n; ++i) {
            if (i > 0) out += ',';
            space();
            out += std::string("\"") + kKeys[prng.uniform(7)] + "\"";
            space();
            out += ':';
            random_json(prng, depth + 1, out);
        }
        space();
        out += '}';
    } else {
        out += kScalars[prng.uniform(std::size(kScalars))];
    }
    space();
}

RC_GTEST_PROP(Jsonb, NormalFormIsAFixedPoint, (u64 seed)) {
    Prng prng(seed);
    std::string text;
    random_json(prng, 0, text);
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
