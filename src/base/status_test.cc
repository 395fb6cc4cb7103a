#include "kimberlite/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace kb {
namespace {

Result<int> parse_positive(int value) {
    if (value <= 0) {
        return Status::invalid_argument("value " + std::to_string(value) + " is not positive");
    }
    return value;
}

Result<int> doubled(int value) {
    int parsed = KB_TRY(parse_positive(value));
    return parsed * 2;
}

Status check_both(int a, int b) {
    KB_TRY(parse_positive(a));
    KB_TRY(parse_positive(b));
    return Status::ok();
}

TEST(Status, OkByDefault) {
    Status status;
    EXPECT_TRUE(status.is_ok());
    EXPECT_EQ(status.to_string(), "ok");
}

TEST(Status, CarriesCodeAndMessage) {
    Status status = Status::corruption("segment 3 position 81234: chain hash mismatch");
    EXPECT_FALSE(status.is_ok());
    EXPECT_EQ(status.code(), StatusCode::corruption);
    EXPECT_EQ(status.to_string(), "corruption: segment 3 position 81234: chain hash mismatch");
    EXPECT_EQ(status.with_context("opening /data").message(),
              "opening /data: segment 3 position 81234: chain hash mismatch");
}

TEST(Result, HoldsValueOrError) {
    Result<int> good = parse_positive(4);
    ASSERT_TRUE(good.has_value());
    EXPECT_EQ(*good, 4);
    EXPECT_TRUE(good.status().is_ok());

    Result<int> bad = parse_positive(-1);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code(), StatusCode::invalid_argument);
    EXPECT_EQ(bad.value_or(7), 7);
}

TEST(Result, TryPropagatesErrorsAndYieldsValues) {
    EXPECT_EQ(*doubled(21), 42);
    Result<int> failed = doubled(0);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().message(), "value 0 is not positive");

    EXPECT_TRUE(check_both(1, 2).is_ok());
    EXPECT_EQ(check_both(1, -2).message(), "value -2 is not positive");
}

TEST(Result, MoveOnlyValues) {
    auto make = []() -> Result<std::unique_ptr<int>> { return std::make_unique<int>(5); };
    auto use = [&]() -> Result<int> {
        std::unique_ptr<int> pointer = KB_TRY(make());
        return *pointer;
    };
    EXPECT_EQ(*use(), 5);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
    Result<int> bad = parse_positive(-1);
    EXPECT_DEATH((void)bad.value(), "assertion failed");
}

TEST(ResultDeathTest, OkStatusIsNotAnError) {
    EXPECT_DEATH({ Result<int> r = Status::ok(); }, "must not be an ok Status");
}

}  // namespace
}  // namespace kb
