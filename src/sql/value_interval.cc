// interval input, output and arithmetic (see value_interval.h).
//
// Input mirrors PostgreSQL's DecodeInterval: the text is split into numbers, times and
// words, then read from right to left so each number meets its unit first; a number without
// a unit is seconds, or days when a time or an hour count stands to its right.
#include "sql/value_interval.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "sql/value_datetime.h"

namespace kb::sql {
namespace {

constexpr const char* kIntervalFieldOverflow = "22015";
constexpr double kDaysPerMonth = 30.0;
constexpr double kSecondsPerDay = 86400.0;

enum class Unit {
    none,
    microsecond,
    millisecond,
    second,
    minute,
    hour,
    day,
    week,
    month,
    year,
    decade,
    century,
    millennium
};

// Bits of PostgreSQL's field mask: a unit may appear once.
enum : u32 {
    kYearBit = 1 << 0,
    kMonthBit = 1 << 1,
    kDayBit = 1 << 2,
    kHourBit = 1 << 3,
    kMinuteBit = 1 << 4,
    kSecondBit = 1 << 5,
    kMillisecondBit = 1 << 6,
    kMicrosecondBit = 1 << 7,
    kWeekBit = 1 << 8,
    kDecadeBit = 1 << 9,
    kCenturyBit = 1 << 10,
    kMillenniumBit = 1 << 11,
    kAllSecondsBits = kSecondBit | kMillisecondBit | kMicrosecondBit,
    kTimeBits = kHourBit | kMinuteBit | kAllSecondsBits,
};

enum class Outcome { ok, bad_format, field_overflow, range };

// PostgreSQL's pg_itm_in: the fields as they accumulate.
struct Fields {
    i64 microseconds = 0;
    i32 days = 0;
    i32 months = 0;
    i32 years = 0;
};

bool add_fraction_microseconds(double fraction, i64 scale, Fields* f) {
    if (fraction == 0) return true;
    fraction *= static_cast<double>(scale);
    i64 usec = static_cast<i64>(fraction);
    fraction -= static_cast<double>(usec);
    if (fraction > 0.5) {
        ++usec;
    } else if (fraction < -0.5) {
        --usec;
    }
    return !__builtin_add_overflow(f->microseconds, usec, &f->microseconds);
}

bool add_fraction_days(double fraction, int scale, Fields* f) {
    if (fraction == 0) return true;
    fraction *= scale;
    const int extra_days = static_cast<int>(fraction);
    if (__builtin_add_overflow(f->days, extra_days, &f->days)) return false;
    fraction -= extra_days;
    return add_fraction_microseconds(fraction, kMicrosecondsPerDay, f);
}

bool add_fraction_years(double fraction, int scale, Fields* f) {
    const int extra_months = static_cast<int>(std::rint(fraction * scale * 12));
    return !__builtin_add_overflow(f->months, extra_months, &f->months);
}

bool add_microseconds(i64 value, double fraction, i64 scale, Fields* f) {
    i64 usec = 0;
    if (__builtin_mul_overflow(value, scale, &usec) ||
        __builtin_add_overflow(f->microseconds, usec, &f->microseconds)) {
        return false;
    }
    return add_fraction_microseconds(fraction, scale, f);
}

bool add_days(i64 value, int scale, Fields* f) {
    if (value < INT32_MIN || value > INT32_MAX) return false;
    i32 days = 0;
    return !__builtin_mul_overflow(static_cast<i32>(value), scale, &days) &&
           !__builtin_add_overflow(f->days, days, &f->days);
}

bool add_months(i64 value, Fields* f) {
    if (value < INT32_MIN || value > INT32_MAX) return false;
    return !__builtin_add_overflow(f->months, static_cast<i32>(value), &f->months);
}

bool add_years(i64 value, int scale, Fields* f) {
    if (value < INT32_MIN || value > INT32_MAX) return false;
    i32 years = 0;
    return !__builtin_mul_overflow(static_cast<i32>(value), scale, &years) &&
           !__builtin_add_overflow(f->years, years, &f->years);
}

// Adds `value` + `fraction` of `unit`; sets the unit's mask bit.
bool add_unit(Unit unit, i64 value, double fraction, Fields* f, u32* bit) {
    switch (unit) {
        case Unit::microsecond:
            *bit = kMicrosecondBit;
            return add_microseconds(value, fraction, 1, f);
        case Unit::millisecond:
            *bit = kMillisecondBit;
            return add_microseconds(value, fraction, 1000, f);
        case Unit::second:
            *bit = fraction == 0 ? kSecondBit : kAllSecondsBits;
            return add_microseconds(value, fraction, kMicrosecondsPerSecond, f);
        case Unit::minute:
            *bit = kMinuteBit;
            return add_microseconds(value, fraction, kMicrosecondsPerMinute, f);
        case Unit::hour:
            *bit = kHourBit;
            return add_microseconds(value, fraction, kMicrosecondsPerHour, f);
        case Unit::day:
            *bit = kDayBit;
            return add_days(value, 1, f) &&
                   add_fraction_microseconds(fraction, kMicrosecondsPerDay, f);
        case Unit::week:
            *bit = kWeekBit;
            return add_days(value, 7, f) && add_fraction_days(fraction, 7, f);
        case Unit::month:
            *bit = kMonthBit;
            return add_months(value, f) && add_fraction_days(fraction, 30, f);
        case Unit::year:
            *bit = kYearBit;
            return add_years(value, 1, f) && add_fraction_years(fraction, 1, f);
        case Unit::decade:
            *bit = kDecadeBit;
            return add_years(value, 10, f) && add_fraction_years(fraction, 10, f);
        case Unit::century:
            *bit = kCenturyBit;
            return add_years(value, 100, f) && add_fraction_years(fraction, 100, f);
        case Unit::millennium:
            *bit = kMillenniumBit;
            return add_years(value, 1000, f) && add_fraction_years(fraction, 1000, f);
        case Unit::none:
            break;
    }
    return false;
}

// PostgreSQL's unit words (deltatktbl), compared on their first 10 characters as it does.
std::optional<Unit> unit_of(std::string word) {
    if (word.size() > 10) word.resize(10);
    struct Entry {
        const char* name;
        Unit unit;
    };
    static constexpr Entry kUnits[] = {
        {"c", Unit::century},
        {"cent", Unit::century},
        {"centuries", Unit::century},
        {"century", Unit::century},
        {"d", Unit::day},
        {"day", Unit::day},
        {"days", Unit::day},
        {"dec", Unit::decade},
        {"decade", Unit::decade},
        {"decades", Unit::decade},
        {"decs", Unit::decade},
        {"h", Unit::hour},
        {"hour", Unit::hour},
        {"hours", Unit::hour},
        {"hr", Unit::hour},
        {"hrs", Unit::hour},
        {"m", Unit::minute},
        {"microsecon", Unit::microsecond},
        {"mil", Unit::millennium},
        {"millennia", Unit::millennium},
        {"millennium", Unit::millennium},
        {"millisecon", Unit::millisecond},
        {"mils", Unit::millennium},
        {"min", Unit::minute},
        {"mins", Unit::minute},
        {"minute", Unit::minute},
        {"minutes", Unit::minute},
        {"mon", Unit::month},
        {"mons", Unit::month},
        {"month", Unit::month},
        {"months", Unit::month},
        {"ms", Unit::millisecond},
        {"msec", Unit::millisecond},
        {"msecond", Unit::millisecond},
        {"mseconds", Unit::millisecond},
        {"msecs", Unit::millisecond},
        {"s", Unit::second},
        {"sec", Unit::second},
        {"second", Unit::second},
        {"seconds", Unit::second},
        {"secs", Unit::second},
        {"us", Unit::microsecond},
        {"usec", Unit::microsecond},
        {"usecond", Unit::microsecond},
        {"useconds", Unit::microsecond},
        {"usecs", Unit::microsecond},
        {"w", Unit::week},
        {"week", Unit::week},
        {"weeks", Unit::week},
        {"y", Unit::year},
        {"year", Unit::year},
        {"years", Unit::year},
        {"yr", Unit::year},
        {"yrs", Unit::year},
    };
    for (const Entry& entry : kUnits) {
        if (word == entry.name) return entry.unit;
    }
    return std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

enum class TokenKind { number, time, word };
struct Token {
    TokenKind kind;
    std::string text;
};

// PostgreSQL's ParseDateTime, reduced to what intervals use; punctuation it does not know is
// skipped, as PostgreSQL skips it.
bool tokenize(std::string_view text, std::vector<Token>* tokens) {
    usize i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (is_space(c)) {
            ++i;
        } else if (is_digit(c) || c == '.' ||
                   ((c == '+' || c == '-') && i + 1 < text.size() &&
                    (is_digit(text[i + 1]) || text[i + 1] == '.'))) {
            const usize start = i++;
            bool time = false;
            while (i < text.size() && (is_digit(text[i]) || text[i] == '.' || text[i] == ':' ||
                                       (text[i] == '-' && !time))) {
                if (text[i] == ':') time = true;
                ++i;
            }
            tokens->push_back(Token{time ? TokenKind::time : TokenKind::number,
                                    std::string(text.substr(start, i - start))});
        } else if (is_alpha(c)) {
            std::string word;
            while (i < text.size() && is_alpha(text[i])) word.push_back(lower(text[i++]));
            tokens->push_back(Token{TokenKind::word, std::move(word)});
        } else if (c == '+' || c == '-') {
            return false;  // a sign before a word
        } else {
            ++i;  // punctuation: '@', ',', ...
        }
    }
    return true;
}

// A fraction ".ddd" as strtod reads it; false if anything else follows.
bool parse_fraction(std::string_view text, double* out) {
    if (text.empty() || text[0] != '.') return false;
    for (usize i = 1; i < text.size(); ++i) {
        if (!is_digit(text[i])) return false;
    }
    const std::string number = "0" + std::string(text);
    std::from_chars(number.data(), number.data() + number.size(), *out);
    return true;
}

// "hh:mm", "hh:mm:ss[.f]" or "mm:ss.f" into microseconds (DecodeTime).
Outcome parse_time(std::string_view text, i64* out) {
    // Digits as strtoi64 / strtoint read them; `overflow` when the value exceeds `limit`.
    bool overflow = false;
    auto read_int = [&](i64 limit, i64* value) -> bool {
        usize n = 0;
        *value = 0;
        while (n < text.size() && is_digit(text[n])) {
            if (*value > (limit - (text[n] - '0')) / 10) overflow = true;
            if (!overflow) *value = *value * 10 + (text[n] - '0');
            ++n;
        }
        text.remove_prefix(n);
        return n > 0;
    };
    i64 hour = 0;
    i64 minute = 0;
    i64 second = 0;
    double fraction = 0;
    if (!read_int(INT64_MAX, &hour)) return Outcome::bad_format;
    if (overflow) return Outcome::field_overflow;
    if (text.empty() || text[0] != ':') return Outcome::bad_format;
    text.remove_prefix(1);
    if (!read_int(INT32_MAX, &minute)) return Outcome::bad_format;
    if (overflow) return Outcome::field_overflow;
    if (!text.empty() && text[0] == '.') {
        // mm:ss.fff
        if (!parse_fraction(text, &fraction)) return Outcome::bad_format;
        second = minute;
        minute = hour;
        hour = 0;
    } else if (!text.empty() && text[0] == ':') {
        text.remove_prefix(1);
        if (!read_int(INT32_MAX, &second)) return Outcome::bad_format;
        if (overflow) return Outcome::field_overflow;
        if (!text.empty() && !parse_fraction(text, &fraction)) return Outcome::bad_format;
    } else if (!text.empty()) {
        return Outcome::bad_format;
    }
    const i64 fraction_us = static_cast<i64>(std::rint(fraction * 1e6));
    if (minute > 59 || second > 60 || fraction_us > kMicrosecondsPerSecond) {
        return Outcome::field_overflow;
    }
    i64 total = fraction_us;
    for (auto [count, unit] :
         {std::pair{hour, kMicrosecondsPerHour}, std::pair{minute, kMicrosecondsPerMinute},
          std::pair{second, kMicrosecondsPerSecond}}) {
        i64 part = 0;
        if (__builtin_mul_overflow(count, unit, &part) ||
            __builtin_add_overflow(total, part, &total)) {
            return Outcome::field_overflow;
        }
    }
    *out = total;
    return Outcome::ok;
}

// A number field: "12", "-1.5", "1-2" (years-months; becomes months).
Outcome parse_number(std::string_view text, i64* value, double* fraction, bool* year_month) {
    const bool negative = !text.empty() && text[0] == '-';
    usize i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
    *value = 0;
    const usize digits_start = i;
    while (i < text.size() && is_digit(text[i])) {
        if (__builtin_mul_overflow(*value, 10, value) ||
            __builtin_add_overflow(*value, text[i] - '0', value)) {
            return Outcome::field_overflow;
        }
        ++i;
    }
    if (negative) *value = -*value;
    *fraction = 0;
    *year_month = false;
    const std::string_view rest = text.substr(i);
    if (rest.empty()) return i > digits_start ? Outcome::ok : Outcome::bad_format;
    if (rest[0] == '-') {
        i64 months = 0;
        usize k = 1;
        while (k < rest.size() && is_digit(rest[k])) {
            months = months * 10 + (rest[k++] - '0');
            if (months > 100) return Outcome::field_overflow;
        }
        if (k == 1) return Outcome::bad_format;
        if (months >= 12) return Outcome::field_overflow;  // checked before trailing text
        if (k != rest.size()) return Outcome::bad_format;
        if (negative) months = -months;
        if (__builtin_mul_overflow(*value, 12, value) ||
            __builtin_add_overflow(*value, months, value)) {
            return Outcome::field_overflow;
        }
        *year_month = true;
        return Outcome::ok;
    }
    if (!parse_fraction(rest, fraction)) return Outcome::bad_format;
    if (negative) *fraction = -*fraction;
    return Outcome::ok;
}

Outcome decode_verbose(std::string_view text, Fields* f) {
    std::vector<Token> tokens;
    if (!tokenize(text, &tokens)) return Outcome::bad_format;
    u32 mask = 0;
    Unit pending = Unit::none;  // the unit for the next number to the left
    bool unit_waiting = false;
    bool ago = false;
    for (usize n = tokens.size(); n-- > 0;) {
        const Token& token = tokens[n];
        u32 bit = 0;
        if (token.kind == TokenKind::word) {
            if (unit_waiting) return Outcome::bad_format;
            if (token.text == "ago") {
                ago = true;
                continue;
            }
            const auto unit = unit_of(token.text);
            if (!unit) return Outcome::bad_format;
            pending = *unit;
            unit_waiting = true;
            continue;
        }
        if (token.kind == TokenKind::time) {
            const bool negative = token.text[0] == '-';
            const usize skip = (token.text[0] == '+' || token.text[0] == '-') ? 1 : 0;
            i64 time = 0;
            if (Outcome o = parse_time(std::string_view(token.text).substr(skip), &time);
                o != Outcome::ok) {
                // A signed time that does not parse is read as a number, which then fails.
                return skip == 1 ? Outcome::bad_format : o;
            }
            f->microseconds = negative ? -time : time;
            bit = kTimeBits;
            pending = Unit::day;
            unit_waiting = false;
        } else {
            i64 value = 0;
            double fraction = 0;
            bool year_month = false;
            if (Outcome o = parse_number(token.text, &value, &fraction, &year_month);
                o != Outcome::ok) {
                return o;
            }
            Unit unit = pending == Unit::none ? Unit::second : pending;
            if (year_month) unit = Unit::month;
            if (!add_unit(unit, value, fraction, f, &bit)) return Outcome::field_overflow;
            if (unit == Unit::hour) {
                pending = Unit::day;
            }
            unit_waiting = false;
        }
        if ((bit & mask) != 0) return Outcome::bad_format;
        mask |= bit;
    }
    if (mask == 0 || unit_waiting) return Outcome::bad_format;
    if (ago) {
        if (f->microseconds == INT64_MIN || f->days == INT32_MIN || f->months == INT32_MIN ||
            f->years == INT32_MIN) {
            return Outcome::field_overflow;
        }
        *f = Fields{-f->microseconds, -f->days, -f->months, -f->years};
    }
    return Outcome::ok;
}

// ISO 8601 "P[nY][nM][nW][nD][T[nH][nM][nS]]" (DecodeISO8601Interval, designator form).
Outcome decode_iso8601(std::string_view text, Fields* f) {
    usize i = 1;  // past 'P'
    bool time_part = false;
    bool any = false;
    while (i < text.size()) {
        if (text[i] == 'T') {
            if (time_part) return Outcome::bad_format;
            time_part = true;
            ++i;
            continue;
        }
        const usize start = i;
        if (text[i] == '-') ++i;
        while (i < text.size() && (is_digit(text[i]) || text[i] == '.')) ++i;
        if (i == start || i >= text.size()) return Outcome::bad_format;
        const std::string number(text.substr(start, i - start));
        double value = 0;
        const auto parsed = std::from_chars(number.data(), number.data() + number.size(), value);
        if (parsed.ec != std::errc() || parsed.ptr != number.data() + number.size()) {
            return Outcome::bad_format;
        }
        if (std::fabs(value) > 1.0e15) return Outcome::field_overflow;
        const i64 whole = static_cast<i64>(value);
        const double fraction = value - static_cast<double>(whole);
        const char designator = text[i++];
        Unit unit = Unit::none;
        if (!time_part) {
            switch (designator) {
                case 'Y':
                    unit = Unit::year;
                    break;
                case 'M':
                    unit = Unit::month;
                    break;
                case 'W':
                    unit = Unit::week;
                    break;
                case 'D':
                    unit = Unit::day;
                    break;
                default:
                    return Outcome::bad_format;
            }
        } else {
            switch (designator) {
                case 'H':
                    unit = Unit::hour;
                    break;
                case 'M':
                    unit = Unit::minute;
                    break;
                case 'S':
                    unit = Unit::second;
                    break;
                default:
                    return Outcome::bad_format;
            }
        }
        u32 bit = 0;
        if (!add_unit(unit, whole, fraction, f, &bit)) return Outcome::field_overflow;
        any = true;
    }
    return any ? Outcome::ok : Outcome::bad_format;
}

SqlError interval_out_of_range() {
    return SqlError(sqlstate::kDatetimeFieldOverflow, "interval out of range");
}

// "%s%s%d %s%s" of EncodeInterval's AddPostgresIntPart.
void add_part(std::string& out, i64 value, const char* unit, bool* is_zero, bool* is_before) {
    if (value == 0) return;
    if (!*is_zero) out.push_back(' ');
    if (*is_before && value > 0) out.push_back('+');
    out += std::to_string(value) + " " + unit + (value != 1 ? "s" : "");
    *is_before = value < 0;
    *is_zero = false;
}

// TSROUND: rounds to microsecond-scale precision of a double.
double ts_round(double value) { return std::rint(value * 1e6) / 1e6; }

}  // namespace

SqlResult<Interval> interval_input(std::string_view input) {
    std::string_view text = input;
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    Fields fields;
    const Outcome outcome = (!text.empty() && text[0] == 'P') ? decode_iso8601(text, &fields)
                                                              : decode_verbose(text, &fields);
    const std::string quoted = "\"" + std::string(input) + "\"";
    if (outcome == Outcome::field_overflow) {
        return SqlError(kIntervalFieldOverflow, "interval field value out of range: " + quoted);
    }
    if (outcome != Outcome::ok) {
        return SqlError(sqlstate::kInvalidDatetimeFormat,
                        "invalid input syntax for type interval: " + quoted);
    }
    const i64 months = i64{fields.years} * 12 + fields.months;
    if (months > INT32_MAX || months < INT32_MIN) return interval_out_of_range();
    return Interval{static_cast<i32>(months), fields.days, fields.microseconds};
}

std::string interval_output(const Interval& interval) {
    std::string out;
    bool is_zero = true;
    bool is_before = false;
    add_part(out, interval.months / 12, "year", &is_zero, &is_before);
    add_part(out, interval.months % 12, "mon", &is_zero, &is_before);
    add_part(out, interval.days, "day", &is_zero, &is_before);
    const i64 time = interval.microseconds;
    if (is_zero || time != 0) {
        const bool minus = time < 0;
        // The magnitude, safe for INT64_MIN.
        const u64 magnitude = minus ? u64{0} - static_cast<u64>(time) : static_cast<u64>(time);
        const u64 hours = magnitude / static_cast<u64>(kMicrosecondsPerHour);
        const u64 minutes = magnitude / static_cast<u64>(kMicrosecondsPerMinute) % 60;
        const u64 seconds = magnitude / static_cast<u64>(kMicrosecondsPerSecond) % 60;
        const u64 fraction = magnitude % static_cast<u64>(kMicrosecondsPerSecond);
        char buffer[64];
        std::snprintf(buffer, sizeof buffer, "%s%s%02llu:%02llu:%02llu", is_zero ? "" : " ",
                      minus ? "-" : (is_before ? "+" : ""), static_cast<unsigned long long>(hours),
                      static_cast<unsigned long long>(minutes),
                      static_cast<unsigned long long>(seconds));
        out += buffer;
        if (fraction != 0) {
            std::string digits = std::to_string(fraction + 1'000'000).substr(1);
            while (digits.back() == '0') digits.pop_back();
            out += "." + digits;
        }
    }
    return out;
}

SqlResult<Interval> interval_add(const Interval& a, const Interval& b) {
    Interval out;
    if (__builtin_add_overflow(a.months, b.months, &out.months) ||
        __builtin_add_overflow(a.days, b.days, &out.days) ||
        __builtin_add_overflow(a.microseconds, b.microseconds, &out.microseconds)) {
        return interval_out_of_range();
    }
    return out;
}

SqlResult<Interval> interval_sub(const Interval& a, const Interval& b) {
    Interval out;
    if (__builtin_sub_overflow(a.months, b.months, &out.months) ||
        __builtin_sub_overflow(a.days, b.days, &out.days) ||
        __builtin_sub_overflow(a.microseconds, b.microseconds, &out.microseconds)) {
        return interval_out_of_range();
    }
    return out;
}

SqlResult<Interval> interval_neg(const Interval& a) { return interval_sub(Interval{}, a); }

SqlResult<Interval> interval_mul(const Interval& a, double factor) {
    Interval out;
    double product = a.months * factor;
    if (std::isnan(product) || product > INT32_MAX || product < INT32_MIN) {
        return interval_out_of_range();
    }
    out.months = static_cast<i32>(product);
    product = a.days * factor;
    if (std::isnan(product) || product > INT32_MAX || product < INT32_MIN) {
        return interval_out_of_range();
    }
    out.days = static_cast<i32>(product);
    // Fractional months cascade into days, fractional days into seconds (never upwards).
    double month_remainder_days = (a.months * factor - out.months) * kDaysPerMonth;
    month_remainder_days = ts_round(month_remainder_days);
    double second_remainder = (a.days * factor - out.days + month_remainder_days -
                               static_cast<int>(month_remainder_days)) *
                              kSecondsPerDay;
    second_remainder = ts_round(second_remainder);
    if (std::fabs(second_remainder) >= kSecondsPerDay) {
        out.days += static_cast<int>(second_remainder / kSecondsPerDay);
        second_remainder -= static_cast<int>(second_remainder / kSecondsPerDay) * kSecondsPerDay;
    }
    out.days += static_cast<i32>(month_remainder_days);
    const double time = std::rint(static_cast<double>(a.microseconds) * factor +
                                  second_remainder * static_cast<double>(kMicrosecondsPerSecond));
    if (std::isnan(time) || time < -9223372036854775808.0 || time >= 9223372036854775808.0) {
        return interval_out_of_range();
    }
    out.microseconds = static_cast<i64>(time);
    return out;
}

SqlResult<Interval> interval_div(const Interval& a, double divisor) {
    if (divisor == 0.0) return SqlError(sqlstate::kDivisionByZero, "division by zero");
    Interval out;
    out.months = static_cast<i32>(a.months / divisor);
    out.days = static_cast<i32>(a.days / divisor);
    double month_remainder_days = (a.months / divisor - out.months) * kDaysPerMonth;
    month_remainder_days = ts_round(month_remainder_days);
    double second_remainder = (a.days / divisor - out.days + month_remainder_days -
                               static_cast<int>(month_remainder_days)) *
                              kSecondsPerDay;
    second_remainder = ts_round(second_remainder);
    if (std::fabs(second_remainder) >= kSecondsPerDay) {
        out.days += static_cast<int>(second_remainder / kSecondsPerDay);
        second_remainder -= static_cast<int>(second_remainder / kSecondsPerDay) * kSecondsPerDay;
    }
    out.days += static_cast<i32>(month_remainder_days);
    out.microseconds =
        static_cast<i64>(std::rint(static_cast<double>(a.microseconds) / divisor +
                                   second_remainder * static_cast<double>(kMicrosecondsPerSecond)));
    return out;
}

__int128 interval_span(const Interval& a) {
    return (static_cast<__int128>(a.months) * 30 + a.days) * kMicrosecondsPerDay + a.microseconds;
}

int interval_compare(const Interval& a, const Interval& b) {
    const __int128 x = interval_span(a);
    const __int128 y = interval_span(b);
    return x < y ? -1 : (x > y ? 1 : 0);
}

}  // namespace kb::sql
