// Reading date/time text into calendar fields the way PostgreSQL 15 does ("Date/Time Input
// Interpretation" in its manual), for date, timestamp and timestamptz input (value_datetime.h).
//
// The text is split into fields (numbers, dates with '-', '/' or '.' inside, times with ':',
// signed zone offsets, words; other punctuation such as ',' only separates), then each field
// is decoded against what the fields before it already set: words are month and weekday
// names, AM/PM, BC/AD, zone abbreviations (UTC, PST, ...), ISO's 'T' and the Julian 'J';
// numbers are placed by their length and the DateStyle order (MDY; a number of three or more
// digits is a year), six or more digits are run-together YYYYMMDD / HHMMSS, a field already
// set twice is a syntax error. Two-digit years become 1970..2069; BC years are negated.
//
// The session's zone is UTC (docs/SQL.md): named zones other than UTC's aliases are refused
// (0A000) rather than guessed, and the clock words now/today/tomorrow/yesterday are refused
// (0A000: the SQL layer reads no clock).
#pragma once

#include <string>
#include <string_view>

#include "base/ints.h"
#include "sql/value_datetime.h"

namespace kb::sql {

enum class DateTimeStatus : u8 {
    ok,
    bad_format,          // 22007 invalid input syntax for type ...
    field_overflow,      // 22008 date/time field value out of range
    month_day_overflow,  // 22008, with the hint about DateStyle
    zone_overflow,       // 22009 time zone displacement out of range
    clock_word,          // 0A000: 'now', 'today', ...
    unknown_zone,        // 22023 time zone "x" not recognized
    unsupported_zone,    // 0A000: a real named zone other than UTC
};

struct DecodedDateTime {
    enum class Kind : u8 { date, epoch, infinity, negative_infinity };
    Kind kind = Kind::date;
    CivilDate date{};  // year 0 is 1 BC (BC already applied)
    i64 time_us = 0;   // since midnight; at most 24:00:00
    bool has_zone = false;
    i64 zone_east_s = 0;  // offset east of UTC
    // A zone database name (Europe/Paris) whose offset is unknown here: timestamptz input
    // must refuse it (unsupported_zone); date and timestamp ignore zones anyway.
    bool zone_unsupported = false;
    std::string zone_name;  // for unknown_zone / unsupported_zone errors
};

// Decodes `text`. `work_bytes` is PostgreSQL's field buffer size for the type (longer input is
// a syntax error there too).
DateTimeStatus decode_datetime(std::string_view text, usize work_bytes, DecodedDateTime* out);

// The SqlError for a failed decode of `text` as `type_name` ("date", "timestamp", ...).
SqlError datetime_parse_error(DateTimeStatus status, std::string_view text,
                              std::string_view type_name, const DecodedDateTime& decoded);

}  // namespace kb::sql
