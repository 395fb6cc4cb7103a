// Tests of the outcome enum: numbers never change, names and SQLSTATEs are well-formed.
#include "kernel/outcome.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace kb::kernel {
namespace {

// Outcomes are stored by number (idempotency records, replies): this table may only grow.
TEST(Outcome, NumbersAreStable) {
    const std::pair<u16, std::string_view> pinned[] = {
        {0, "ok"},
        {1, "tenant exists"},
        {2, "no such tenant"},
        {3, "stream exists"},
        {4, "no such stream"},
        {5, "stream deleted"},
        {6, "offset mismatch"},
        {7, "duplicate idempotency id"},
        {8, "table exists"},
        {9, "no such table"},
        {10, "column exists"},
        {11, "no such column"},
        {12, "index exists"},
        {13, "no such index"},
        {14, "sequence exists"},
        {15, "no such sequence"},
        {16, "dependent objects exist"},
        {17, "invalid definition"},
        {18, "name too long"},
        {19, "unique violation"},
        {20, "not null violation"},
        {21, "foreign key violation"},
        {22, "check violation"},
        {23, "sequence exhausted"},
        {24, "permission denied"},
        {25, "serialization conflict"},
        {26, "snapshot too old"},
        {27, "op too large"},
        {28, "invalid effect"},
        {29, "role exists"},
        {30, "no such role"},
        {31, "reserved name"},
        {32, "api key exists"},
        {33, "no such api key"},
    };
    ASSERT_EQ(std::size(pinned), static_cast<usize>(kOutcomeMax) + 1)
        << "a new outcome needs a row here";
    for (const auto& [number, name] : pinned) {
        auto outcome = outcome_from_number(number);
        ASSERT_TRUE(outcome.has_value()) << number;
        EXPECT_EQ(outcome_name(*outcome), name);
    }
    EXPECT_FALSE(outcome_from_number(static_cast<u16>(kOutcomeMax) + 1).has_value());
}

TEST(Outcome, NamesUniqueAndSqlstatesWellFormed) {
    std::set<std::string_view> names;
    for (u16 number = 0; number <= static_cast<u16>(kOutcomeMax); ++number) {
        Outcome outcome = *outcome_from_number(number);
        EXPECT_TRUE(names.insert(outcome_name(outcome)).second) << outcome_name(outcome);
        std::string_view state = outcome_sqlstate(outcome);
        ASSERT_EQ(state.size(), 5u);
        for (char c : state) EXPECT_TRUE(std::isdigit(c) || std::isupper(c)) << state;
    }
    EXPECT_EQ(outcome_sqlstate(Outcome::unique_violation), "23505");
    EXPECT_EQ(outcome_sqlstate(Outcome::serialization_conflict), "40001");
    EXPECT_EQ(outcome_sqlstate(Outcome::no_such_table), "42P01");
    EXPECT_EQ(outcome_sqlstate(Outcome::op_too_large), "54000");
}

}  // namespace
}  // namespace kb::kernel
