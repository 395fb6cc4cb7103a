// Dates, timestamps and intervals: the calendar against a naive day-by-day reference, and
// arithmetic against PostgreSQL 15 (expected values from PostgreSQL 15.18, TimeZone UTC, with
// the queries quoted beside them).
#include "sql/value_datetime.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "sql/value_interval.h"

namespace kb::sql {
namespace {

TEST(Calendar, AnchorsAsPostgres) {
    // SELECT '0001-01-01'::date - '2000-01-01'::date, '1970-01-01'::date - '2000-01-01',
    //        '4714-11-24 BC'::date - '2000-01-01', '5874897-12-31'::date - '2000-01-01';
    EXPECT_EQ(days_from_civil({1, 1, 1}), -730119);
    EXPECT_EQ(days_from_civil({1970, 1, 1}), -10957);
    EXPECT_EQ(days_from_civil({-4713, 11, 24}), -2451545);
    EXPECT_EQ(days_from_civil({5874897, 12, 31}), 2145031948);
    EXPECT_EQ(date_output(-2451545), "4714-11-24 BC");
    EXPECT_EQ(date_output(2145031948), "5874897-12-31");
    EXPECT_EQ(days_in_month(2000, 2), 29);
    EXPECT_EQ(days_in_month(1900, 2), 28);
    EXPECT_EQ(days_in_month(0, 2), 29);  // 1 BC is a leap year
}

RC_GTEST_PROP(Calendar, DaysRoundTripAndStepByOne, (u32 seed)) {
    // Any date PostgreSQL accepts: 4714-11-24 BC up to 5874897-12-30.
    const i64 days = -2451545 + static_cast<i64>(seed % (2145031948u + 2451545u));
    const CivilDate date = civil_from_days(days);
    RC_ASSERT(days_from_civil(date) == days);
    RC_ASSERT(date.month >= 1 && date.month <= 12);
    RC_ASSERT(date.day >= 1 && date.day <= days_in_month(date.year, date.month));
    // The next day is the next calendar position.
    const CivilDate next = civil_from_days(days + 1);
    if (date.day < days_in_month(date.year, date.month)) {
        RC_ASSERT(next.year == date.year && next.month == date.month && next.day == date.day + 1);
    } else {
        RC_ASSERT(next.day == 1);
        RC_ASSERT(next.month == (date.month == 12 ? 1 : date.month + 1));
    }
    // Output reads back.
    RC_ASSERT(*date_input(date_output(static_cast<i32>(days))) == static_cast<i32>(days));
}

i64 ts(const char* text) { return timestamp_input(text).value(); }
Interval iv(const char* text) { return interval_input(text).value(); }

TEST(TimestampArithmetic, MonthsClampToTheMonthsEnd) {
    // SELECT '2020-01-31'::timestamp + '1 mon', + '13 mons', '2020-03-31'::timestamp +
    // '-25 mons', '0001-03-31 BC'::timestamp + '-1 mon';
    EXPECT_EQ(timestamp_output(*timestamp_add_interval(ts("2020-01-31"), iv("1 mon"))),
              "2020-02-29 00:00:00");
    EXPECT_EQ(timestamp_output(*timestamp_add_interval(ts("2020-01-31"), iv("13 mons"))),
              "2021-02-28 00:00:00");
    EXPECT_EQ(timestamp_output(*timestamp_add_interval(ts("2020-03-31"), iv("-25 mons"))),
              "2018-02-28 00:00:00");
    EXPECT_EQ(timestamp_output(*timestamp_add_interval(ts("0001-03-31 BC"), iv("-1 mon"))),
              "0001-02-29 00:00:00 BC");
    // SELECT '2020-01-01 12:00'::timestamp - '2020-01-01 13:00', '2020-01-03'::timestamp -
    // '2020-01-01 13:00';
    EXPECT_EQ(interval_output(*timestamp_diff(ts("2020-01-01 12:00"), ts("2020-01-01 13:00"))),
              "-01:00:00");
    EXPECT_EQ(interval_output(*timestamp_diff(ts("2020-01-03"), ts("2020-01-01 13:00"))),
              "1 day 11:00:00");
    EXPECT_EQ(timestamp_add_interval(ts("294276-12-31 23:00"), iv("1 hour")).error().to_string(),
              "ERROR 22008: timestamp out of range");
    EXPECT_EQ(*timestamp_add_interval(kTimestampPositiveInfinity, iv("-1 year")),
              kTimestampPositiveInfinity);
}

TEST(IntervalArithmetic, FractionsCascadeDownAsPostgres) {
    // SELECT '1 day'::interval * -0.5, '1 mon 2 days 03:00'::interval / 2, '1 mon'::interval *
    // 0.1;
    EXPECT_EQ(interval_output(*interval_mul(iv("1 day"), -0.5)), "-12:00:00");
    EXPECT_EQ(interval_output(*interval_div(iv("1 mon 2 days 03:00"), 2)), "16 days 01:30:00");
    EXPECT_EQ(interval_output(*interval_mul(iv("1 mon"), 0.1)), "3 days");
    EXPECT_EQ(interval_div(iv("1 day"), 0).error().sqlstate, "22012");
    EXPECT_EQ(interval_add(iv("2147483647 days"), iv("1 day")).error().message,
              "interval out of range");
}

TEST(IntervalInput, SignedTimesThatFailAreSyntaxErrors) {
    // SELECT '-01:60'::interval -> 22007; '01:60'::interval -> 22015;
    // '2562047789:00:00'::interval -> 22015; '-2562047788:00:54.775808' -> 22007.
    EXPECT_EQ(interval_input("-01:60").error().sqlstate, "22007");
    EXPECT_EQ(interval_input("01:60").error().sqlstate, "22015");
    EXPECT_EQ(interval_input("2562047789:00:00").error().sqlstate, "22015");
    EXPECT_EQ(interval_input("-2562047788:00:54.775808").error().sqlstate, "22007");
    EXPECT_EQ(interval_output(iv("2562047787:00:00")), "2562047787:00:00");
}

}  // namespace
}  // namespace kb::sql
