// Date/time input vocabulary and field splitting (value_datetime_lexicon.h).
#include "sql/value_datetime_lexicon.h"

#include <algorithm>
#include <iterator>
#include <span>

namespace kb::sql::datetime_lexicon {
namespace {

// --- keywords --------------------------------------------------------------------------------

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

}  // namespace

const Keyword* find_keyword(std::string_view word) { return find_word(kKeywords, word); }
const Keyword* find_zone_abbreviation(std::string_view word) {
    return find_word(kZoneAbbreviations, word);
}
bool is_keyword(std::string_view word) { return find_keyword(word) != nullptr; }

bool is_utc_zone_name(std::string_view name) {
    static constexpr std::string_view kNames[] = {
        "utc",      "uct",       "gmt",       "gmt0",     "gmt+0",         "gmt-0",
        "zulu",     "universal", "greenwich", "etc/utc",  "etc/uct",       "etc/gmt",
        "etc/gmt0", "etc/gmt+0", "etc/gmt-0", "etc/zulu", "etc/universal", "etc/greenwich"};
    return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

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

}  // namespace kb::sql::datetime_lexicon
