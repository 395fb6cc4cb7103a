// The vocabulary of date/time input (value_datetime_parse.h): character classes, the word
// table (month and weekday names, AM/PM, BC/AD, zone abbreviations, ...), zone-name checks,
// and the field splitter that cuts input text into the fields the decoder reads, as
// PostgreSQL 15's datetime input does. Internal to the date/time parser.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/ints.h"
#include "sql/value_datetime_parse.h"

namespace kb::sql::datetime_lexicon {

inline char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
inline bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
inline bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
inline bool is_punct(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && !is_alnum(c);
}

// What a word means (PostgreSQL's date token table, plus the zone abbreviations of its
// default set that have a fixed offset).
enum class WordKind : u8 {
    reserved,      // value: Reserved
    month,         // value: 1..12
    zone,          // value: seconds east of UTC
    dst_zone,      // value: seconds east of UTC (a daylight-saving abbreviation)
    dst_modifier,  // 'DST' after a standard zone: value seconds more east
    ignore,        // 'at', 'on'
    am_pm,         // value: kAm / kPm
    day_of_week,
    units,     // value: Unit; labels the number that follows (ISO 'y2024m01d02', 'J2451545')
    ad_bc,     // value: 1 for BC
    iso_time,  // 'T' between an ISO date and time
    unknown,
};

enum Reserved : int { kNow, kToday, kTomorrow, kYesterday, kEpoch, kLate, kEarly, kZulu };
enum Unit : int {
    kUnitYear,
    kUnitMonth,
    kUnitDay,
    kUnitHour,
    kUnitMinute,
    kUnitSecond,
    kUnitJulian,
    kUnitOther
};
constexpr int kAm = 0;
constexpr int kPm = 1;
constexpr int kHour24 = 2;

struct Keyword {
    std::string_view word;
    WordKind kind;
    int value;
};

// The word's entry: zone abbreviations (which take precedence) or the keyword table; null when
// the word is neither. `word` is lowercase.
const Keyword* find_zone_abbreviation(std::string_view word);
const Keyword* find_keyword(std::string_view word);
bool is_keyword(std::string_view word);

// Zone names that mean UTC; other real zones need a time zone database (not supported).
bool is_utc_zone_name(std::string_view name);
// A name PostgreSQL would find in its zone database (Europe/Paris) or read as a POSIX zone
// (EST5EDT): real zones whose offsets need rules we do not have.
bool looks_like_zone_database_name(std::string_view name);

enum class FieldKind : u8 { number, date, time, zone, word, special };

struct Field {
    FieldKind kind;
    std::string text;  // letters lowercased
};

constexpr usize kMaxFields = 25;  // PostgreSQL's MAXDATEFIELDS

// The parts of a value a field can set; a value's mask collects them.
enum Part : u32 {
    kReserved = 1u << 0,
    kMonth = 1u << 1,
    kYear = 1u << 2,
    kDay = 1u << 3,
    kZone = 1u << 5,
    kDstZone = 1u << 6,
    kAmPm = 1u << 9,
    kHour = 1u << 10,
    kMinute = 1u << 11,
    kSecond = 1u << 12,
    kMillisecond = 1u << 13,
    kMicrosecond = 1u << 14,
    kDayOfYear = 1u << 15,
    kDayOfWeek = 1u << 16,
    kAdBc = 1u << 18,
    kDstModifier = 1u << 28,
};
constexpr u32 kDateParts = kYear | kMonth | kDay;
constexpr u32 kAllSeconds = kSecond | kMillisecond | kMicrosecond;
constexpr u32 kTimeParts = kHour | kMinute | kAllSeconds;

// Splits as PostgreSQL's field splitter does; `work_bytes` bounds the fields' text plus one
// terminator each.
DateTimeStatus split_fields(std::string_view text, usize work_bytes, std::vector<Field>* out);

}  // namespace kb::sql::datetime_lexicon
