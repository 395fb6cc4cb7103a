// Date/time text -> calendar fields, following PostgreSQL 15's documented input rules (see
// value_datetime_parse.h). The structure mirrors the manual's description: a field splitter,
// then one decoding step per field that records which parts of the value (year, month, day,
// time, zone, ...) the field set, so that a part given twice is a syntax error.
#include "sql/value_datetime_parse.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <span>
#include <vector>

namespace kb::sql {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_alnum(char c) { return is_digit(c) || is_alpha(c); }
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_punct(char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && !is_alnum(c);
}

// --- keywords --------------------------------------------------------------------------------

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

constexpr Keyword kKeywords[] = {
    {"-infinity", WordKind::reserved, kEarly},
    {"ad", WordKind::ad_bc, 0},
    {"allballs", WordKind::reserved, kZulu},
    {"am", WordKind::am_pm, kAm},
    {"apr", WordKind::month, 4},
    {"april", WordKind::month, 4},
    {"at", WordKind::ignore, 0},
    {"aug", WordKind::month, 8},
    {"august", WordKind::month, 8},
    {"bc", WordKind::ad_bc, 1},
    {"d", WordKind::units, kUnitDay},
    {"dec", WordKind::month, 12},
    {"december", WordKind::month, 12},
    {"dow", WordKind::units, kUnitOther},
    {"dst", WordKind::dst_modifier, 3600},
    {"doy", WordKind::units, kUnitOther},
    {"epoch", WordKind::reserved, kEpoch},
    {"feb", WordKind::month, 2},
    {"february", WordKind::month, 2},
    {"fri", WordKind::day_of_week, 5},
    {"friday", WordKind::day_of_week, 5},
    {"h", WordKind::units, kUnitHour},
    {"infinity", WordKind::reserved, kLate},
    {"isodow", WordKind::units, kUnitOther},
    {"isoyear", WordKind::units, kUnitOther},
    {"j", WordKind::units, kUnitJulian},
    {"jan", WordKind::month, 1},
    {"january", WordKind::month, 1},
    {"jd", WordKind::units, kUnitJulian},
    {"jul", WordKind::month, 7},
    {"julian", WordKind::units, kUnitJulian},
    {"july", WordKind::month, 7},
    {"jun", WordKind::month, 6},
    {"june", WordKind::month, 6},
    {"m", WordKind::units, kUnitMonth},
    {"mar", WordKind::month, 3},
    {"march", WordKind::month, 3},
    {"may", WordKind::month, 5},
    {"mm", WordKind::units, kUnitMinute},
    {"mon", WordKind::day_of_week, 1},
    {"monday", WordKind::day_of_week, 1},
    {"nov", WordKind::month, 11},
    {"november", WordKind::month, 11},
    {"now", WordKind::reserved, kNow},
    {"oct", WordKind::month, 10},
    {"october", WordKind::month, 10},
    {"on", WordKind::ignore, 0},
    {"pm", WordKind::am_pm, kPm},
    {"s", WordKind::units, kUnitSecond},
    {"sat", WordKind::day_of_week, 6},
    {"saturday", WordKind::day_of_week, 6},
    {"sep", WordKind::month, 9},
    {"sept", WordKind::month, 9},
    {"september", WordKind::month, 9},
    {"sun", WordKind::day_of_week, 0},
    {"sunday", WordKind::day_of_week, 0},
    {"t", WordKind::iso_time, 0},
    {"thu", WordKind::day_of_week, 4},
    {"thur", WordKind::day_of_week, 4},
    {"thurs", WordKind::day_of_week, 4},
    {"thursday", WordKind::day_of_week, 4},
    {"today", WordKind::reserved, kToday},
    {"tomorrow", WordKind::reserved, kTomorrow},
    {"tue", WordKind::day_of_week, 2},
    {"tues", WordKind::day_of_week, 2},
    {"tuesday", WordKind::day_of_week, 2},
    {"wed", WordKind::day_of_week, 3},
    {"wednesday", WordKind::day_of_week, 3},
    {"weds", WordKind::day_of_week, 3},
    {"y", WordKind::units, kUnitYear},
    {"yesterday", WordKind::reserved, kYesterday},
};

// Zone abbreviations with fixed offsets (PostgreSQL's pg_timezone_abbrevs, default set); they
// take precedence over the keywords above.
constexpr Keyword kZoneAbbreviations[] = {
    {"aedt", WordKind::dst_zone, 39600},
    {"aest", WordKind::zone, 36000},
    {"akdt", WordKind::dst_zone, -28800},
    {"akst", WordKind::zone, -32400},
    {"bst", WordKind::dst_zone, 3600},
    {"cdt", WordKind::dst_zone, -18000},
    {"cest", WordKind::dst_zone, 7200},
    {"cet", WordKind::zone, 3600},
    {"cst", WordKind::zone, -21600},
    {"edt", WordKind::dst_zone, -14400},
    {"eest", WordKind::dst_zone, 10800},
    {"eet", WordKind::zone, 7200},
    {"est", WordKind::zone, -18000},
    {"gmt", WordKind::zone, 0},
    {"hst", WordKind::zone, -36000},
    {"jst", WordKind::zone, 32400},
    {"mdt", WordKind::dst_zone, -21600},
    {"mst", WordKind::zone, -25200},
    {"nzdt", WordKind::dst_zone, 46800},
    {"nzst", WordKind::zone, 43200},
    {"pdt", WordKind::dst_zone, -25200},
    {"pst", WordKind::zone, -28800},
    {"ut", WordKind::zone, 0},
    {"utc", WordKind::zone, 0},
    {"west", WordKind::dst_zone, 3600},
    {"wet", WordKind::zone, 0},
    {"z", WordKind::zone, 0},
    {"zulu", WordKind::zone, 0},
};

const Keyword* find_word(std::span<const Keyword> table, std::string_view word) {
    for (const Keyword& keyword : table) {
        if (keyword.word == word) return &keyword;
    }
    return nullptr;
}

bool is_keyword(std::string_view word) { return find_word(kKeywords, word) != nullptr; }

// Zone names that mean UTC; other real zones need a time zone database (not supported).
bool is_utc_zone_name(std::string_view name) {
    static constexpr std::string_view kNames[] = {
        "utc",      "uct",       "gmt",       "gmt0",     "gmt+0",         "gmt-0",
        "zulu",     "universal", "greenwich", "etc/utc",  "etc/uct",       "etc/gmt",
        "etc/gmt0", "etc/gmt+0", "etc/gmt-0", "etc/zulu", "etc/universal", "etc/greenwich"};
    return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// A POSIX zone specification as PostgreSQL accepts one: NAME OFFSET [DSTNAME [OFFSET]
// [,RULES]], offsets [+-]h[:mm[:ss]] with at most 167 hours.
bool is_posix_zone_spec(std::string_view spec) {
    usize at = 0;
    auto name = [&]() {
        const usize start = at;
        while (at < spec.size() && is_alpha(spec[at])) ++at;
        return at > start;
    };
    auto number = [&](i64 limit) {
        const usize start = at;
        i64 value = 0;
        while (at < spec.size() && is_digit(spec[at]) && value <= limit) {
            value = value * 10 + (spec[at++] - '0');
        }
        return at > start && value <= limit;
    };
    auto offset = [&]() {
        if (at < spec.size() && (spec[at] == '+' || spec[at] == '-')) ++at;
        if (!number(167)) return false;
        if (at < spec.size() && spec[at] == ':') {
            ++at;
            if (!number(59)) return false;
            if (at < spec.size() && spec[at] == ':') {
                ++at;
                if (!number(60)) return false;
            }
        }
        return true;
    };
    if (!name() || !offset()) return false;
    if (at == spec.size()) return true;
    if (!name()) return false;
    if (at < spec.size() && spec[at] != ',' && !offset()) return false;
    return at == spec.size() || spec[at] == ',';
}

// A name PostgreSQL would find in its zone database (Europe/Paris) or read as a POSIX zone
// (EST5EDT): real zones whose offsets need rules we do not have.
bool looks_like_zone_database_name(std::string_view name) {
    if (is_posix_zone_spec(name)) return true;
    static constexpr std::string_view kAreas[] = {"africa/", "america/",  "antarctica/", "arctic/",
                                                  "asia/",   "atlantic/", "australia/",  "brazil/",
                                                  "canada/", "chile/",    "etc/",        "europe/",
                                                  "indian/", "mexico/",   "pacific/",    "us/"};
    for (std::string_view area : kAreas) {
        if (name.starts_with(area) && name.size() > area.size()) return true;
    }
    return false;
}

// --- splitting into fields -----------------------------------------------------------------

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
DateTimeStatus split_fields(std::string_view text, usize work_bytes, std::vector<Field>* out) {
    usize used = 0;
    usize at = 0;
    auto peek = [&](usize offset = 0) {
        return at + offset < text.size() ? text[at + offset] : '\0';
    };
    while (at < text.size()) {
        if (is_space(text[at])) {
            ++at;
            continue;
        }
        if (out->size() >= kMaxFields) return DateTimeStatus::bad_format;
        Field field{FieldKind::number, {}};
        bool overflow = false;
        auto append = [&](char c) {
            if (used + 1 >= work_bytes) overflow = true;
            ++used;
            field.text.push_back(c);
        };
        const char c = text[at];
        if (is_digit(c)) {
            while (is_digit(peek())) append(text[at++]);
            if (peek() == ':') {
                field.kind = FieldKind::time;
                append(text[at++]);
                while (is_digit(peek()) || peek() == ':' || peek() == '.') append(text[at++]);
            } else if (peek() == '-' || peek() == '/' || peek() == '.') {
                const char delimiter = text[at];
                append(text[at++]);
                if (is_digit(peek())) {
                    field.kind = delimiter == '.' ? FieldKind::number : FieldKind::date;
                    while (is_digit(peek())) append(text[at++]);
                    if (peek() == delimiter) {  // three fields need matching delimiters
                        field.kind = FieldKind::date;
                        append(text[at++]);
                        while (is_digit(peek()) || peek() == delimiter) append(text[at++]);
                    }
                } else {  // an embedded month name: 8-jan-1999
                    field.kind = FieldKind::date;
                    while (is_alnum(peek()) || peek() == delimiter) append(lower(text[at++]));
                }
            }
        } else if (c == '.') {  // a leading decimal point: fractional seconds
            append(text[at++]);
            while (is_digit(peek())) append(text[at++]);
        } else if (is_alpha(c)) {
            field.kind = FieldKind::word;
            while (is_alpha(peek())) append(lower(text[at++]));
            // A date with a month name (jan-08-1999) or a zone name (america/new_york,
            // etc/gmt+5) continues with punctuation or digits, unless the word is a keyword
            // (t12:00, j2451545).
            bool continues = peek() == '-' || peek() == '/' || peek() == '.';
            if (!continues && (peek() == '+' || is_digit(peek()))) {
                continues = !is_keyword(field.text);
            }
            if (continues) {
                field.kind = FieldKind::date;
                do {
                    append(lower(text[at++]));
                } while (peek() == '+' || peek() == '-' || peek() == '/' || peek() == '_' ||
                         peek() == '.' || peek() == ':' || is_alnum(peek()));
            }
        } else if (c == '+' || c == '-') {
            append(text[at++]);
            while (is_space(peek())) ++at;
            if (is_digit(peek())) {  // a numeric zone
                field.kind = FieldKind::zone;
                append(text[at++]);
                while (is_digit(peek()) || peek() == ':' || peek() == '.' || peek() == '-') {
                    append(text[at++]);
                }
            } else if (is_alpha(peek())) {  // -infinity
                field.kind = FieldKind::special;
                while (is_alpha(peek())) append(lower(text[at++]));
            } else {
                return DateTimeStatus::bad_format;
            }
        } else if (is_punct(c)) {  // other punctuation only separates fields
            ++at;
            continue;
        } else {
            return DateTimeStatus::bad_format;
        }
        if (overflow) return DateTimeStatus::bad_format;
        ++used;  // the field's terminator
        out->push_back(std::move(field));
    }
    return DateTimeStatus::ok;
}

// --- decoding ------------------------------------------------------------------------------

// Reads a decimal integer prefix like strtol into an int: `end` is where it stopped;
// false when the value does not fit an int (PostgreSQL's strtoint and ERANGE).
bool read_int(std::string_view text, usize* end, i64* value) {
    usize at = 0;
    i64 result = 0;
    bool fits = true;
    while (at < text.size() && is_digit(text[at])) {
        result = result * 10 + (text[at] - '0');
        if (result > INT_MAX) {
            fits = false;
            result = INT_MAX;
        }
        ++at;
    }
    *end = at;
    *value = result;
    return fits;
}

// atoi of a digit string, wrapping like C's conversion of an out-of-range long.
i64 digits_value(std::string_view digits) {
    i64 result = 0;
    for (char c : digits) {
        if (!is_digit(c)) break;
        if (result > (INT64_MAX - 9) / 10) return -1;  // strtol's LONG_MAX, cast to int
        result = result * 10 + (c - '0');
    }
    return static_cast<i32>(static_cast<u32>(static_cast<u64>(result)));
}

// ".ddd" (the whole rest of a field) as microseconds, rounded; false on anything else. A
// lone "." is zero, as PostgreSQL allows.
bool fraction_us(std::string_view text, i64* out) {
    if (text.empty() || text[0] != '.') return false;
    for (usize i = 1; i < text.size(); ++i) {
        if (!is_digit(text[i])) return false;
    }
    const std::string number = "0" + std::string(text);
    double value = 0;
    std::from_chars(number.data(), number.data() + number.size(), value);
    *out = static_cast<i64>(std::rint(value * 1e6));
    return true;
}

// A fraction that may be followed by anything (strtod without an end check).
double loose_fraction(std::string_view text) {
    usize end = 1;
    while (end < text.size() && is_digit(text[end])) ++end;
    const std::string number = "0" + std::string(text.substr(0, end));
    double value = 0;
    std::from_chars(number.data(), number.data() + number.size(), value);
    return value;
}

class Decoder {
public:
    explicit Decoder(DecodedDateTime* out) : out_(out) {}

    DateTimeStatus decode(const std::vector<Field>& fields);

private:
    DateTimeStatus decode_date_field(std::string_view text, u32* set);
    DateTimeStatus decode_number(std::string_view text, u32* set);
    DateTimeStatus decode_number_field(std::string_view text, u32 mask, u32* set);
    DateTimeStatus decode_time(std::string_view text, u32* set);
    DateTimeStatus decode_word(const std::vector<Field>& fields, usize index, u32* set);
    DateTimeStatus decode_labelled_number(std::string_view text, u32* set);
    DateTimeStatus validate_date();
    DateTimeStatus set_julian_day(i64 julian_day);

    DecodedDateTime* out_;
    u32 mask_ = 0;
    i64 year_ = 0;
    i64 month_ = 0;
    i64 day_ = 0;
    i64 day_of_year_ = 0;
    i64 hour_ = 0;
    i64 minute_ = 0;
    i64 second_ = 0;
    i64 fraction_us_ = 0;
    int meridiem_ = kHour24;
    int label_ = -1;  // the Unit a preceding label set, or kIsoTimeLabel after 'T'
    bool text_month_ = false;
    bool two_digit_year_ = false;
    bool bc_ = false;
    bool julian_ = false;

    static constexpr int kIsoTimeLabel = 100;
};

// Zone offsets after their sign: H, HH, HH:MM, HH:MM:SS, or HHMM run together.
DateTimeStatus decode_zone(std::string_view text, i64* east_s) {
    if (text.empty() || (text[0] != '+' && text[0] != '-')) return DateTimeStatus::bad_format;
    std::string_view rest = text.substr(1);
    usize end = 0;
    i64 hours = 0;
    i64 minutes = 0;
    i64 seconds = 0;
    if (!read_int(rest, &end, &hours)) return DateTimeStatus::zone_overflow;
    rest = rest.substr(end);
    if (!rest.empty() && rest[0] == ':') {
        rest = rest.substr(1);
        if (!read_int(rest, &end, &minutes)) return DateTimeStatus::zone_overflow;
        rest = rest.substr(end);
        if (!rest.empty() && rest[0] == ':') {
            rest = rest.substr(1);
            if (!read_int(rest, &end, &seconds)) return DateTimeStatus::zone_overflow;
            rest = rest.substr(end);
        }
    } else if (rest.empty() && text.size() > 3) {
        minutes = hours % 100;
        hours /= 100;
    }
    if (hours > 15 || minutes >= 60 || seconds >= 60) return DateTimeStatus::zone_overflow;
    if (!rest.empty()) return DateTimeStatus::bad_format;
    const i64 total = (hours * 60 + minutes) * 60 + seconds;
    *east_s = text[0] == '-' ? -total : total;
    return DateTimeStatus::ok;
}

// A date field: numbers and at most one month name separated by punctuation.
DateTimeStatus Decoder::decode_date_field(std::string_view text, u32* set) {
    std::vector<std::string_view> parts;
    usize at = 0;
    while (at < text.size()) {
        while (at < text.size() && !is_alnum(text[at])) ++at;
        if (at >= text.size()) return DateTimeStatus::bad_format;
        const usize start = at;
        if (is_digit(text[at])) {
            while (at < text.size() && is_digit(text[at])) ++at;
        } else {
            while (at < text.size() && is_alpha(text[at])) ++at;
        }
        parts.push_back(text.substr(start, at - start));
        if (at < text.size()) ++at;  // the separator after the part
        if (parts.size() >= kMaxFields) break;
    }
    u32 mask = mask_;
    *set = 0;
    std::vector<bool> done(parts.size(), false);
    for (usize i = 0; i < parts.size(); ++i) {  // a month name first: it is unambiguous
        if (!is_alpha(parts[i][0])) continue;
        const Keyword* keyword = find_word(kKeywords, parts[i]);
        // 'at' / 'on' are skipped here only to fail as numbers below, as in PostgreSQL.
        if (keyword != nullptr && keyword->kind == WordKind::ignore) continue;
        if (keyword == nullptr || keyword->kind != WordKind::month) {
            return DateTimeStatus::bad_format;
        }
        if (mask & kMonth) return DateTimeStatus::bad_format;
        month_ = keyword->value;
        text_month_ = true;
        mask |= kMonth;
        *set |= kMonth;
        done[i] = true;
    }
    for (usize i = 0; i < parts.size(); ++i) {
        if (done[i]) continue;
        const u32 saved = mask_;
        mask_ = mask;
        u32 part_set = 0;
        const DateTimeStatus status = decode_number(parts[i], &part_set);
        mask_ = saved;
        if (status != DateTimeStatus::ok) return status;
        if (mask & part_set) return DateTimeStatus::bad_format;
        mask |= part_set;
        *set |= part_set;
    }
    if ((mask & ~(kDayOfYear | kZone)) != kDateParts) return DateTimeStatus::bad_format;
    return DateTimeStatus::ok;
}

// One number placed by its length and what is already known (DateStyle MDY).
DateTimeStatus Decoder::decode_number(std::string_view text, u32* set) {
    usize end = 0;
    i64 value = 0;
    if (!read_int(text, &end, &value)) return DateTimeStatus::field_overflow;
    if (end == 0) return DateTimeStatus::bad_format;
    if (end < text.size() && text[end] == '.') {
        // More than two digits before the point: a run-together date or time (040506.789).
        if (end > 2) return decode_number_field(text, mask_ | kDateParts, set);
        if (!fraction_us(text.substr(end), &fraction_us_)) return DateTimeStatus::bad_format;
    } else if (end < text.size()) {
        return DateTimeStatus::bad_format;
    }
    const usize length = text.size();
    if (length == 3 && (mask_ & kDateParts) == kYear && value >= 1 && value <= 366) {
        *set = kDayOfYear | kMonth | kDay;
        day_of_year_ = value;
        return DateTimeStatus::ok;
    }
    switch (mask_ & kDateParts) {
        case 0:
            // Nothing yet: three or more digits make a year (YYYY-MM-DD order), else MDY.
            if (length >= 3) {
                *set = kYear;
                year_ = value;
            } else {
                *set = kMonth;
                month_ = value;
            }
            break;
        case kYear:
            *set = kMonth;
            month_ = value;
            break;
        case kMonth:
            if (text_month_ && length >= 3) {
                *set = kYear;
                year_ = value;
            } else {
                *set = kDay;
                day_ = value;
            }
            break;
        case kYear | kMonth:
            if (text_month_ && length >= 3 && two_digit_year_) {
                // DD-MON-YYYY: the number taken for a year was the day.
                *set = kDay;
                day_ = year_;
                year_ = value;
                two_digit_year_ = false;
            } else {
                *set = kDay;
                day_ = value;
            }
            break;
        case kDay:
            *set = kMonth;
            month_ = value;
            break;
        case kMonth | kDay:
            *set = kYear;
            year_ = value;
            break;
        case kYear | kMonth | kDay:  // the date is complete: a run-together time
            return decode_number_field(text, mask_, set);
        default:
            return DateTimeStatus::bad_format;
    }
    if (*set == kYear) two_digit_year_ = length <= 2;
    return DateTimeStatus::ok;
}

// A run of digits: YYYYMMDD / YYMMDD while the date is incomplete, else HHMMSS or HHMM, with
// an optional fraction of a second.
DateTimeStatus Decoder::decode_number_field(std::string_view text, u32 mask, u32* set) {
    std::string_view digits = text;
    if (const usize point = text.find('.'); point != std::string_view::npos) {
        fraction_us_ = static_cast<i64>(std::rint(loose_fraction(text.substr(point)) * 1e6));
        digits = text.substr(0, point);
    } else if ((mask & kDateParts) != kDateParts && digits.size() >= 6) {
        const usize length = digits.size();
        *set = kDateParts;
        day_ = digits_value(digits.substr(length - 2));
        month_ = digits_value(digits.substr(length - 4, 2));
        year_ = digits_value(digits.substr(0, length - 4));
        if (length - 4 == 2) two_digit_year_ = true;
        return DateTimeStatus::ok;
    }
    if ((mask & kTimeParts) != kTimeParts) {
        if (digits.size() == 6) {
            *set = kTimeParts;
            hour_ = digits_value(digits.substr(0, 2));
            minute_ = digits_value(digits.substr(2, 2));
            second_ = digits_value(digits.substr(4, 2));
            return DateTimeStatus::ok;
        }
        if (digits.size() == 4) {
            *set = kTimeParts;
            hour_ = digits_value(digits.substr(0, 2));
            minute_ = digits_value(digits.substr(2, 2));
            second_ = 0;
            return DateTimeStatus::ok;
        }
    }
    return DateTimeStatus::bad_format;
}

// HH:MM, HH:MM:SS[.fff], or MM:SS.fff. Numbers too large for an int are clamped: the range
// checks after the whole field is read reject them (a malformed fraction is reported first).
DateTimeStatus Decoder::decode_time(std::string_view text, u32* set) {
    *set = kTimeParts;
    usize end = 0;
    i64 first = 0;
    i64 second = 0;
    (void)read_int(text, &end, &first);
    if (end >= text.size() || text[end] != ':') return DateTimeStatus::bad_format;
    text = text.substr(end + 1);
    (void)read_int(text, &end, &second);
    text = text.substr(end);
    fraction_us_ = 0;
    if (text.empty()) {
        hour_ = first;
        minute_ = second;
        second_ = 0;
    } else if (text[0] == '.') {
        if (!fraction_us(text, &fraction_us_)) return DateTimeStatus::bad_format;
        hour_ = 0;
        minute_ = first;
        second_ = second;
    } else if (text[0] == ':') {
        hour_ = first;
        minute_ = second;
        text = text.substr(1);
        (void)read_int(text, &end, &second_);
        text = text.substr(end);
        if (!text.empty()) {
            if (text[0] != '.' || !fraction_us(text, &fraction_us_)) {
                return DateTimeStatus::bad_format;
            }
        }
    } else {
        return DateTimeStatus::bad_format;
    }
    if (minute_ > 59 || second_ > 60 || fraction_us_ > kMicrosecondsPerSecond) {
        return DateTimeStatus::field_overflow;
    }
    return DateTimeStatus::ok;
}

DateTimeStatus Decoder::set_julian_day(i64 julian_day) {
    const CivilDate date = civil_from_days(julian_day - 2451545);
    year_ = date.year;
    month_ = date.month;
    day_ = date.day;
    julian_ = true;
    return DateTimeStatus::ok;
}

// A number after a label: 'J2451545[.5]', ISO 'y2024m01d02h03mm04s05', or the time after 'T'.
DateTimeStatus Decoder::decode_labelled_number(std::string_view text, u32* set) {
    usize end = 0;
    i64 value = 0;
    if (!read_int(text, &end, &value)) return DateTimeStatus::field_overflow;
    const std::string_view rest = text.substr(end);
    if (!rest.empty()) {
        const bool fraction_allowed =
            label_ == kUnitJulian || label_ == kIsoTimeLabel || label_ == kUnitSecond;
        if (rest[0] != '.' || !fraction_allowed) return DateTimeStatus::bad_format;
    }
    switch (label_) {
        case kUnitYear:
            year_ = value;
            *set = kYear;
            break;
        case kUnitMonth:
            if ((mask_ & kMonth) && (mask_ & kHour)) {  // after a month and an hour: minutes
                minute_ = value;
                *set = kMinute;
            } else {
                month_ = value;
                *set = kMonth;
            }
            break;
        case kUnitDay:
            day_ = value;
            *set = kDay;
            break;
        case kUnitHour:
            hour_ = value;
            *set = kHour;
            break;
        case kUnitMinute:
            minute_ = value;
            *set = kMinute;
            break;
        case kUnitSecond:
            second_ = value;
            *set = kSecond;
            if (!rest.empty()) {
                if (!fraction_us(rest, &fraction_us_)) return DateTimeStatus::bad_format;
                *set = kAllSeconds;
            }
            break;
        case kUnitJulian: {
            *set = kDateParts;
            set_julian_day(value);
            if (!rest.empty()) {
                if (!fraction_us(rest, &fraction_us_)) return DateTimeStatus::bad_format;
                // The fraction of a day, truncated to whole microseconds.
                i64 time_us = static_cast<i64>(loose_fraction(rest) * 86400e6);
                hour_ = time_us / kMicrosecondsPerHour;
                time_us %= kMicrosecondsPerHour;
                minute_ = time_us / kMicrosecondsPerMinute;
                time_us %= kMicrosecondsPerMinute;
                second_ = time_us / kMicrosecondsPerSecond;
                fraction_us_ = time_us % kMicrosecondsPerSecond;
                *set |= kTimeParts;
            }
            break;
        }
        case kIsoTimeLabel: {
            const DateTimeStatus status = decode_number_field(text, mask_ | kDateParts, set);
            if (status != DateTimeStatus::ok) return status;
            if (*set != kTimeParts) return DateTimeStatus::bad_format;
            break;
        }
        default:
            return DateTimeStatus::bad_format;
    }
    label_ = -1;
    return DateTimeStatus::ok;
}

DateTimeStatus Decoder::decode_word(const std::vector<Field>& fields, usize index, u32* set) {
    const std::string& word = fields[index].text;
    const Keyword* keyword = find_word(kZoneAbbreviations, word);
    if (keyword == nullptr) keyword = find_word(kKeywords, word);
    const WordKind kind = keyword != nullptr ? keyword->kind : WordKind::unknown;
    const int value = keyword != nullptr ? keyword->value : 0;
    switch (kind) {
        case WordKind::ignore:
            *set = 0;
            return DateTimeStatus::ok;
        case WordKind::reserved:
            *set = kReserved;
            switch (value) {
                case kNow:
                case kToday:
                case kTomorrow:
                case kYesterday:
                    return DateTimeStatus::clock_word;
                case kZulu:  // 'allballs': midnight UTC
                    *set = kTimeParts | kZone;
                    hour_ = minute_ = second_ = 0;
                    out_->has_zone = true;
                    out_->zone_east_s = 0;
                    return DateTimeStatus::ok;
                case kEpoch:
                    out_->kind = DecodedDateTime::Kind::epoch;
                    return DateTimeStatus::ok;
                case kLate:
                    out_->kind = DecodedDateTime::Kind::infinity;
                    return DateTimeStatus::ok;
                case kEarly:
                    out_->kind = DecodedDateTime::Kind::negative_infinity;
                    return DateTimeStatus::ok;
                default:
                    return DateTimeStatus::bad_format;
            }
        case WordKind::month:
            *set = kMonth;
            // A number already taken for the month becomes the day: '8 January 1999'.
            if ((mask_ & kMonth) && !text_month_ && !(mask_ & kDay) && month_ >= 1 &&
                month_ <= 31) {
                day_ = month_;
                *set = kDay;
            }
            text_month_ = true;
            month_ = value;
            return DateTimeStatus::ok;
        case WordKind::zone:
        case WordKind::dst_zone:
            *set = kind == WordKind::dst_zone ? (kDstZone | kZone) : kZone;
            out_->has_zone = true;
            out_->zone_east_s = value;
            return DateTimeStatus::ok;
        case WordKind::dst_modifier:
            *set = kDstModifier | kDstZone;
            out_->zone_east_s += value;
            return DateTimeStatus::ok;
        case WordKind::am_pm:
            *set = kAmPm;
            meridiem_ = value;
            return DateTimeStatus::ok;
        case WordKind::ad_bc:
            *set = kAdBc;
            bc_ = value == 1;
            return DateTimeStatus::ok;
        case WordKind::day_of_week:
            *set = kDayOfWeek;
            return DateTimeStatus::ok;
        case WordKind::units:
            *set = 0;
            if (label_ != -1) return DateTimeStatus::bad_format;
            label_ = value;
            return DateTimeStatus::ok;
        case WordKind::iso_time: {
            *set = 0;
            if ((mask_ & kDateParts) != kDateParts) return DateTimeStatus::bad_format;
            if (index + 1 >= fields.size()) return DateTimeStatus::bad_format;
            const FieldKind next = fields[index + 1].kind;
            if (next != FieldKind::number && next != FieldKind::time && next != FieldKind::date) {
                return DateTimeStatus::bad_format;
            }
            label_ = kIsoTimeLabel;
            return DateTimeStatus::ok;
        }
        case WordKind::unknown:
            // Perhaps a zone name without punctuation ('UTC' is an abbreviation already).
            if (!is_utc_zone_name(word)) return DateTimeStatus::bad_format;
            *set = kZone;
            out_->has_zone = true;
            out_->zone_east_s = 0;
            return DateTimeStatus::ok;
    }
    return DateTimeStatus::bad_format;
}

DateTimeStatus Decoder::decode(const std::vector<Field>& fields) {
    for (usize i = 0; i < fields.size(); ++i) {
        const Field& field = fields[i];
        u32 set = 0;
        DateTimeStatus status = DateTimeStatus::ok;
        switch (field.kind) {
            case FieldKind::date:
                if (label_ != -1 || (mask_ & (kMonth | kDay)) == (kMonth | kDay)) {
                    // After a date: a zone name (Europe/Paris) or HHMMSS-ZZ.
                    if (is_digit(field.text[0]) || label_ != -1) {
                        if (label_ != -1) {
                            if (label_ != kIsoTimeLabel) return DateTimeStatus::bad_format;
                            label_ = -1;
                        }
                        if ((mask_ & kTimeParts) == kTimeParts) return DateTimeStatus::bad_format;
                        const usize dash = field.text.find('-');
                        if (dash == std::string::npos) return DateTimeStatus::bad_format;
                        status = decode_zone(std::string_view(field.text).substr(dash),
                                             &out_->zone_east_s);
                        if (status != DateTimeStatus::ok) return status;
                        out_->has_zone = true;
                        status = decode_number_field(std::string_view(field.text).substr(0, dash),
                                                     mask_, &set);
                        set |= kZone;
                    } else if (is_utc_zone_name(field.text)) {
                        set = kZone;
                        out_->has_zone = true;
                        out_->zone_east_s = 0;
                    } else if (looks_like_zone_database_name(field.text)) {
                        // A real zone we cannot resolve: only timestamptz needs its offset.
                        set = kZone;
                        out_->has_zone = true;
                        out_->zone_name = field.text;
                        out_->zone_unsupported = true;
                    } else {
                        out_->zone_name = field.text;
                        return DateTimeStatus::unknown_zone;
                    }
                } else {
                    status = decode_date_field(field.text, &set);
                }
                break;
            case FieldKind::time:
                if (label_ != -1) {
                    if (label_ != kIsoTimeLabel) return DateTimeStatus::bad_format;
                    label_ = -1;
                }
                status = decode_time(field.text, &set);
                if (status != DateTimeStatus::ok) return status;
                if (hour_ > 24 || minute_ > 59 || second_ > 60 ||
                    fraction_us_ > kMicrosecondsPerSecond ||
                    ((hour_ * 60 + minute_) * 60 + second_) * kMicrosecondsPerSecond +
                            fraction_us_ >
                        kMicrosecondsPerDay) {
                    return DateTimeStatus::field_overflow;
                }
                break;
            case FieldKind::zone:
                status = decode_zone(field.text, &out_->zone_east_s);
                out_->has_zone = true;
                set = kZone;
                break;
            case FieldKind::number:
                if (label_ != -1) {
                    status = decode_labelled_number(field.text, &set);
                } else {
                    const usize point = field.text.find('.');
                    if (point != std::string::npos && !(mask_ & kDateParts)) {
                        status = decode_date_field(field.text, &set);
                    } else if (point != std::string::npos && point > 2) {
                        status = decode_number_field(field.text, mask_, &set);
                    } else if (field.text.size() >= 6 &&
                               (!(mask_ & kDateParts) || !(mask_ & kTimeParts))) {
                        status = decode_number_field(field.text, mask_, &set);
                    } else {
                        status = decode_number(field.text, &set);
                    }
                }
                break;
            case FieldKind::word:
            case FieldKind::special:
                status = decode_word(fields, i, &set);
                break;
        }
        if (status != DateTimeStatus::ok) return status;
        if (set & mask_) return DateTimeStatus::bad_format;
        mask_ |= set;
    }
    if (const DateTimeStatus status = validate_date(); status != DateTimeStatus::ok) return status;
    if (meridiem_ != kHour24 && hour_ > 12) return DateTimeStatus::field_overflow;
    if (meridiem_ == kAm && hour_ == 12) hour_ = 0;
    if (meridiem_ == kPm && hour_ != 12) hour_ += 12;
    if (out_->kind == DecodedDateTime::Kind::date) {
        if ((mask_ & kDateParts) != kDateParts) return DateTimeStatus::bad_format;
        // DST without a zone to modify.
        if (!(mask_ & kZone) && (mask_ & kDstModifier)) return DateTimeStatus::bad_format;
    }
    out_->date = CivilDate{year_, static_cast<int>(month_), static_cast<int>(day_)};
    out_->time_us = ((hour_ * 60 + minute_) * 60 + second_) * kMicrosecondsPerSecond + fraction_us_;
    return DateTimeStatus::ok;
}

// Years: BC negated (1 BC is year 0), two-digit years into 1970..2069; then the day of the
// year, and the ranges of month and day.
DateTimeStatus Decoder::validate_date() {
    if (mask_ & kYear) {
        if (julian_) {
            // the Julian day gave the year as it is
        } else if (bc_) {
            if (year_ <= 0) return DateTimeStatus::field_overflow;
            year_ = -(year_ - 1);
        } else if (two_digit_year_) {
            if (year_ < 0) return DateTimeStatus::field_overflow;
            if (year_ < 70) {
                year_ += 2000;
            } else if (year_ < 100) {
                year_ += 1900;
            }
        } else if (year_ <= 0) {
            return DateTimeStatus::field_overflow;
        }
    }
    if (mask_ & kDayOfYear) {
        const CivilDate date =
            civil_from_days(days_from_civil(CivilDate{year_, 1, 1}) + day_of_year_ - 1);
        year_ = date.year;
        month_ = date.month;
        day_ = date.day;
    }
    if ((mask_ & kMonth) && (month_ < 1 || month_ > 12)) return DateTimeStatus::month_day_overflow;
    if ((mask_ & kDay) && (day_ < 1 || day_ > 31)) return DateTimeStatus::month_day_overflow;
    if ((mask_ & kDateParts) == kDateParts &&
        day_ > days_in_month(year_, static_cast<int>(month_))) {
        return DateTimeStatus::field_overflow;
    }
    return DateTimeStatus::ok;
}

}  // namespace

DateTimeStatus decode_datetime(std::string_view text, usize work_bytes, DecodedDateTime* out) {
    std::vector<Field> fields;
    if (const DateTimeStatus status = split_fields(text, work_bytes, &fields);
        status != DateTimeStatus::ok) {
        return status;
    }
    Decoder decoder(out);
    return decoder.decode(fields);
}

SqlError datetime_parse_error(DateTimeStatus status, std::string_view text,
                              std::string_view type_name, const DecodedDateTime& decoded) {
    const std::string quoted = "\"" + std::string(text) + "\"";
    switch (status) {
        case DateTimeStatus::field_overflow:
            return SqlError(sqlstate::kDatetimeFieldOverflow,
                            "date/time field value out of range: " + quoted);
        case DateTimeStatus::month_day_overflow:
            return SqlError(sqlstate::kDatetimeFieldOverflow,
                            "date/time field value out of range: " + quoted)
                .with_hint("Perhaps you need a different \"datestyle\" setting.");
        case DateTimeStatus::zone_overflow:
            return SqlError("22009", "time zone displacement out of range: " + quoted);
        case DateTimeStatus::clock_word:
            return SqlError(sqlstate::kFeatureNotSupported,
                            "date/time value " + quoted + " is not supported: it needs a clock")
                .with_hint("Use now() or CURRENT_DATE instead.");
        case DateTimeStatus::unknown_zone:
            return SqlError(sqlstate::kInvalidParameterValue,
                            "time zone \"" + decoded.zone_name + "\" not recognized");
        case DateTimeStatus::unsupported_zone:
            return SqlError(sqlstate::kFeatureNotSupported,
                            "time zone \"" + decoded.zone_name +
                                "\" is not supported: the session time zone is UTC and only "
                                "numeric offsets and UTC are accepted");
        case DateTimeStatus::ok:
        case DateTimeStatus::bad_format:
            break;
    }
    return SqlError(sqlstate::kInvalidDatetimeFormat,
                    "invalid input syntax for type " + std::string(type_name) + ": " + quoted);
}

}  // namespace kb::sql
