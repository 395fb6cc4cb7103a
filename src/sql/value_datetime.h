// date, timestamp and timestamptz as PostgreSQL 15 reads, prints and computes them.
//
// Representations (kernel/value.h): a date is days since 2000-01-01, a timestamp
// microseconds since 2000-01-01 00:00; timestamptz is the same instant in UTC. PostgreSQL's
// 'infinity' / '-infinity' are the largest / smallest representable values (INT32_MAX/MIN for
// dates, INT64_MAX/MIN for timestamps). Valid finite ranges are PostgreSQL's: dates from
// 4714-11-24 BC to 5874897-12-31, timestamps from 4714-11-24 00:00 BC to before 294277-01-01.
// The calendar is the proleptic Gregorian one; year 0 is 1 BC.
//
// The session is fixed to TimeZone = UTC and DateStyle = 'ISO, MDY' (docs/SQL.md), so output
// is '2024-01-31', '2024-01-31 12:00:00.5', '2024-01-31 12:00:00+00' and 'infinity'.
//
// Input follows PostgreSQL's date/time input rules (value_datetime_parse.h): ISO, MDY and
// run-together dates, month names ('January 8, 1999'), weekdays, BC/AD, AM/PM, times with
// fractions (rounded to microseconds; 24:00:00 and a leap second 60 as PostgreSQL allows),
// numeric zones and zone abbreviations, ISO 'T', Julian days, 'epoch', 'infinity',
// '-infinity'. A date ignores any time part; a timestamp ignores the zone. Not supported (an
// error rather than a guess): zone database names other than UTC's, and the clock words
// 'now', 'today', 'tomorrow', 'yesterday' (0A000: the SQL layer reads no clock).
#pragma once

#include <string>
#include <string_view>

#include "kernel/value.h"
#include "sql/error.h"

namespace kb::sql {

using kernel::Interval;

inline constexpr i32 kDateNegativeInfinity = INT32_MIN;
inline constexpr i32 kDatePositiveInfinity = INT32_MAX;
inline constexpr i64 kTimestampNegativeInfinity = INT64_MIN;
inline constexpr i64 kTimestampPositiveInfinity = INT64_MAX;
inline constexpr i64 kMicrosecondsPerSecond = 1'000'000;
inline constexpr i64 kMicrosecondsPerMinute = 60 * kMicrosecondsPerSecond;
inline constexpr i64 kMicrosecondsPerHour = 60 * kMicrosecondsPerMinute;
inline constexpr i64 kMicrosecondsPerDay = 24 * kMicrosecondsPerHour;

// A calendar date; year 0 is 1 BC, -1 is 2 BC.
struct CivilDate {
    i64 year = 2000;
    int month = 1;  // 1..12
    int day = 1;    // 1..31
};
i64 days_from_civil(const CivilDate& date);  // days since 2000-01-01
CivilDate civil_from_days(i64 days);
int days_in_month(i64 year, int month);

bool date_is_finite(i32 date);
bool timestamp_is_finite(i64 timestamp);

SqlResult<i32> date_input(std::string_view text);
SqlResult<i64> timestamp_input(std::string_view text);
SqlResult<i64> timestamptz_input(std::string_view text);
std::string date_output(i32 date);
std::string timestamp_output(i64 timestamp);
std::string timestamptz_output(i64 timestamp);

// date -> timestamp: infinities kept; 22008 "date out of range for timestamp" past 294276.
SqlResult<i64> date_to_timestamp(i32 date);
// date -> timestamp for comparisons: dates beyond the timestamp range compare as infinities
// (PostgreSQL's date2timestamp_no_overflow).
i64 date_to_timestamp_for_compare(i32 date);
// timestamp -> date: floor to the day; infinities kept.
i32 timestamp_to_date(i64 timestamp);

// date + integer days (date_pli / date_mii): 22008 "date out of range".
SqlResult<i32> date_add_days(i32 date, i64 days);
// date - date (date_mi): days; 22008 "cannot subtract infinite dates".
SqlResult<i32> date_diff(i32 a, i32 b);
// timestamp +/- interval (timestamp_pl_interval): months first (clamping the day to the
// month's end), then days, then microseconds; infinities unchanged; 22008 "timestamp out of
// range". The same for timestamptz while the session zone is UTC.
SqlResult<i64> timestamp_add_interval(i64 timestamp, const Interval& interval);
SqlResult<i64> timestamp_sub_interval(i64 timestamp, const Interval& interval);
// timestamp - timestamp (timestamp_mi): the difference with whole days moved out of the
// microseconds (justify_hours); 22008 "cannot subtract infinite timestamps".
SqlResult<Interval> timestamp_diff(i64 a, i64 b);

}  // namespace kb::sql
