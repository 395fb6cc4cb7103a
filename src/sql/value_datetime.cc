// date, timestamp and timestamptz input, output and arithmetic (see value_datetime.h).
#include "sql/value_datetime.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace kb::sql {
namespace {

// Days from 4714-11-24 BC (Julian day 0, PostgreSQL's first date) to 2000-01-01, and from
// 2000-01-01 to PostgreSQL's end of dates (Julian day 2147483494) and of timestamps
// (294277-01-01).
constexpr i64 kFirstDate = -2451545;
constexpr i64 kDateEnd = 2147483494 - 2451545;
constexpr i64 kTimestampEndDays = 109203528 - 2451545;
constexpr i64 kTimestampMin = kFirstDate * kMicrosecondsPerDay;
constexpr i64 kTimestampEnd = kTimestampEndDays * kMicrosecondsPerDay;
constexpr const char* kInvalidTimeZoneDisplacement = "22009";

bool valid_date_days(i64 days) { return days >= kFirstDate && days < kDateEnd; }
bool valid_timestamp(i64 ts) { return ts >= kTimestampMin && ts < kTimestampEnd; }

i64 floor_div(i64 a, i64 b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

bool is_leap(i64 year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

enum class Outcome { ok, bad_format, field_overflow, zone_overflow, clock_word };

struct Parsed {
    enum class Special { none, infinity, negative_infinity, epoch };
    Special special = Special::none;
    CivilDate date{};
    i64 time_us = 0;  // since midnight; may reach 24:00:00 or a leap second
    i64 zone_s = 0;   // offset east of UTC
    bool has_zone = false;
};

class Scanner {
public:
    explicit Scanner(std::string_view text) : text_(text) {}
    bool done() const { return at_ >= text_.size(); }
    char peek() const { return done() ? '\0' : text_[at_]; }
    void skip() { ++at_; }
    bool skip_spaces() {
        const usize start = at_;
        while (!done() && is_space(text_[at_])) ++at_;
        return at_ != start;
    }
    std::string_view digits() {
        const usize start = at_;
        while (!done() && is_digit(text_[at_])) ++at_;
        return text_.substr(start, at_ - start);
    }
    std::string word() {
        std::string out;
        while (!done() && (is_alpha(text_[at_]) || text_[at_] == '/'))
            out.push_back(lower(text_[at_++]));
        return out;
    }

private:
    std::string_view text_;
    usize at_ = 0;
};

bool to_int(std::string_view digits, i64* out) {
    if (digits.empty() || digits.size() > 12) return false;
    *out = 0;
    for (char c : digits) *out = *out * 10 + (c - '0');
    return true;
}

Outcome parse_time(Scanner& in, i64* time_us) {
    i64 hour = 0;
    i64 minute = 0;
    i64 second = 0;
    i64 fraction_us = 0;
    const std::string_view first = in.digits();
    const bool compact = (first.size() == 4 || first.size() == 6) && in.peek() != ':';
    if (compact) {
        // HHMM or HHMMSS[.ffffff] without colons.
        to_int(first.substr(0, 2), &hour);
        to_int(first.substr(2, 2), &minute);
        if (first.size() == 6) to_int(first.substr(4, 2), &second);
        if (first.size() == 6 && in.peek() == '.') {
            in.skip();
            const std::string fraction = "0." + std::string(in.digits());
            double value = 0;
            std::from_chars(fraction.data(), fraction.data() + fraction.size(), value);
            fraction_us = static_cast<i64>(std::rint(value * 1e6));
        }
    } else if (!to_int(first, &hour) || in.peek() != ':') {
        return Outcome::bad_format;
    } else {
        in.skip();
        if (!to_int(in.digits(), &minute)) return Outcome::bad_format;
    }
    if (!compact && in.peek() == ':') {
        in.skip();
        if (!to_int(in.digits(), &second)) return Outcome::bad_format;
        if (in.peek() == '.') {
            in.skip();
            const std::string fraction = "0." + std::string(in.digits());
            double value = 0;
            std::from_chars(fraction.data(), fraction.data() + fraction.size(), value);
            // As PostgreSQL: the fraction read as a double, rounded to microseconds.
            fraction_us = static_cast<i64>(std::rint(value * 1e6));
        }
    }
    if (hour > 24 || minute > 59 || second > 60 ||
        (hour == 24 && (minute != 0 || second != 0 || fraction_us != 0))) {
        return Outcome::field_overflow;
    }
    *time_us = hour * kMicrosecondsPerHour + minute * kMicrosecondsPerMinute +
               second * kMicrosecondsPerSecond + fraction_us;
    return Outcome::ok;
}

// A numeric zone after its sign, as PostgreSQL's DecodeTimezone reads it: H, HH, HH:MM,
// HH:MM:SS, or a longer digit run whose last two digits are minutes (+0530). Any field out of
// range is a displacement error (22009).
Outcome parse_zone_offset(Scanner& in, bool negative, i64* zone_s) {
    const std::string_view first = in.digits();
    i64 hours = 0;
    i64 minutes = 0;
    i64 seconds = 0;
    if (first.empty() || !to_int(first, &hours)) return Outcome::bad_format;
    if (in.peek() == ':') {
        in.skip();
        if (!to_int(in.digits(), &minutes)) return Outcome::bad_format;
        if (in.peek() == ':') {
            in.skip();
            if (!to_int(in.digits(), &seconds)) return Outcome::bad_format;
        }
    } else if (first.size() > 2) {
        minutes = hours % 100;
        hours /= 100;
    }
    if (hours > 15 || minutes > 59 || seconds > 59) return Outcome::zone_overflow;
    const i64 total = hours * 3600 + minutes * 60 + seconds;
    *zone_s = negative ? -total : total;
    return Outcome::ok;
}

Outcome parse_date_part(Scanner& in, CivilDate* date, bool* two_digit_year) {
    const std::string_view first = in.digits();
    if (first.empty()) return Outcome::bad_format;
    i64 year = 0;
    i64 month = 0;
    i64 day = 0;
    std::string_view year_digits;
    const char separator = in.peek();
    if (separator == '-' || separator == '/' || separator == '.') {
        in.skip();
        const std::string_view second = in.digits();
        if (in.peek() != separator) return Outcome::bad_format;
        in.skip();
        const std::string_view third = in.digits();
        i64 a = 0;
        i64 b = 0;
        i64 c = 0;
        if (!to_int(first, &a) || !to_int(second, &b) || !to_int(third, &c)) {
            return Outcome::bad_format;
        }
        if (first.size() >= 3) {  // a leading year: YMD whatever the DateStyle
            year = a;
            month = b;
            day = c;
            year_digits = first;
        } else {  // DateStyle MDY
            month = a;
            day = b;
            year = c;
            year_digits = third;
        }
    } else if (first.size() >= 6) {
        // A run of digits: YYMMDD, or the year then MMDD (PostgreSQL's DecodeNumberField).
        year_digits = first.substr(0, first.size() - 4);
        if (!to_int(year_digits, &year)) return Outcome::field_overflow;
        to_int(first.substr(first.size() - 4, 2), &month);
        to_int(first.substr(first.size() - 2, 2), &day);
    } else {
        // A lone one- or two-digit number: PostgreSQL takes it as the month (DateStyle MDY),
        // so 0 or one above 12 is out of range before the missing day and year make it a
        // syntax error.
        i64 value = 0;
        if (first.size() <= 2 && in.done() && to_int(first, &value) && (value == 0 || value > 12)) {
            return Outcome::field_overflow;
        }
        return Outcome::bad_format;
    }
    if (month > 12 || day > 31) return Outcome::field_overflow;
    *date = CivilDate{year, static_cast<int>(month), static_cast<int>(day)};
    *two_digit_year = year_digits.size() <= 2;
    return Outcome::ok;
}

Outcome parse_datetime(std::string_view text, Parsed* out) {
    std::string_view trimmed = text;
    while (!trimmed.empty() && is_space(trimmed.front())) trimmed.remove_prefix(1);
    while (!trimmed.empty() && is_space(trimmed.back())) trimmed.remove_suffix(1);
    std::string word;
    for (char c : trimmed) word.push_back(lower(c));
    if (word == "infinity" || word == "+infinity") {
        out->special = Parsed::Special::infinity;
        return Outcome::ok;
    }
    if (word == "-infinity") {
        out->special = Parsed::Special::negative_infinity;
        return Outcome::ok;
    }
    if (word == "epoch") {
        out->special = Parsed::Special::epoch;
        return Outcome::ok;
    }
    if (word == "now" || word == "today" || word == "tomorrow" || word == "yesterday") {
        return Outcome::clock_word;
    }
    Scanner in(trimmed);
    if (!trimmed.empty() && (trimmed[0] == '+' || trimmed[0] == '-')) {
        // A lone signed number is a zone to PostgreSQL: its range is checked before the
        // missing date makes the text a syntax error.
        in.skip();
        i64 ignored = 0;
        if (Outcome o = parse_zone_offset(in, false, &ignored); o == Outcome::zone_overflow) {
            return o;
        }
        return Outcome::bad_format;
    }
    const usize digits_end = trimmed.find_first_not_of("0123456789");
    if (digits_end != std::string_view::npos && digits_end > 0 && trimmed[digits_end] == ':') {
        // A time without a date: PostgreSQL reports the time's own errors first.
        i64 ignored = 0;
        if (Outcome o = parse_time(in, &ignored); o != Outcome::ok) return o;
        return Outcome::bad_format;
    }
    bool two_digit_year = false;
    if (Outcome o = parse_date_part(in, &out->date, &two_digit_year); o != Outcome::ok) return o;
    bool bc = false;
    bool have_time = false;
    // Then, in any order: a time (after a space or 'T'), a zone, BC/AD.
    while (!in.done()) {
        const bool spaced = in.skip_spaces();
        if (in.done()) break;
        const char c = in.peek();
        if (is_digit(c)) {
            if (have_time || !spaced) return Outcome::bad_format;
            if (Outcome o = parse_time(in, &out->time_us); o != Outcome::ok) return o;
            have_time = true;
        } else if ((c == 'T' || c == 't') && !have_time) {
            in.skip();
            if (!is_digit(in.peek())) return Outcome::bad_format;
            if (Outcome o = parse_time(in, &out->time_us); o != Outcome::ok) return o;
            have_time = true;
        } else if ((c == '+' || c == '-') && have_time && !out->has_zone) {
            in.skip();
            if (Outcome o = parse_zone_offset(in, c == '-', &out->zone_s); o != Outcome::ok) {
                return o;
            }
            out->has_zone = true;
        } else if (is_alpha(c)) {
            const std::string name = in.word();
            if (name == "bc" || name == "ad") {
                if (!spaced) return Outcome::bad_format;
                bc = name == "bc";
            } else if ((name == "z" || name == "utc" || name == "gmt" || name == "zulu" ||
                        name == "etc/utc") &&
                       !out->has_zone) {
                out->has_zone = true;
                out->zone_s = 0;
            } else {
                return Outcome::bad_format;
            }
        } else {
            return Outcome::bad_format;
        }
    }
    CivilDate& date = out->date;
    if (two_digit_year && !bc) date.year += date.year < 70 ? 2000 : 1900;
    if (date.year <= 0) return Outcome::field_overflow;
    if (bc) date.year = 1 - date.year;
    if (date.month < 1 || date.month > 12 || date.day < 1 ||
        date.day > days_in_month(date.year, date.month)) {
        return Outcome::field_overflow;
    }
    return Outcome::ok;
}

SqlError parse_error(Outcome outcome, std::string_view text, const char* type) {
    const std::string quoted = "\"" + std::string(text) + "\"";
    switch (outcome) {
        case Outcome::field_overflow:
            return SqlError(sqlstate::kDatetimeFieldOverflow,
                            "date/time field value out of range: " + quoted);
        case Outcome::zone_overflow:
            return SqlError(kInvalidTimeZoneDisplacement,
                            "time zone displacement out of range: " + quoted);
        case Outcome::clock_word:
            return SqlError(sqlstate::kFeatureNotSupported,
                            "date/time value " + quoted + " is not supported: it needs a clock")
                .with_hint("Use now() or CURRENT_DATE instead.");
        case Outcome::ok:
        case Outcome::bad_format:
            break;
    }
    return SqlError(sqlstate::kInvalidDatetimeFormat,
                    std::string("invalid input syntax for type ") + type + ": " + quoted);
}

// The local microseconds since 2000-01-01 of a parsed finite value, or nullopt out of range.
std::optional<i64> local_timestamp(const Parsed& parsed) {
    const i64 days = days_from_civil(parsed.date);
    if (days < kFirstDate || days > kTimestampEndDays) return std::nullopt;
    return days * kMicrosecondsPerDay + parsed.time_us;
}

SqlResult<i64> parse_timestamp(std::string_view text, bool with_zone) {
    const char* type = with_zone ? "timestamp with time zone" : "timestamp";
    Parsed parsed;
    if (Outcome o = parse_datetime(text, &parsed); o != Outcome::ok) {
        return parse_error(o, text, type);
    }
    switch (parsed.special) {
        case Parsed::Special::infinity:
            return kTimestampPositiveInfinity;
        case Parsed::Special::negative_infinity:
            return kTimestampNegativeInfinity;
        case Parsed::Special::epoch:
            return days_from_civil(CivilDate{1970, 1, 1}) * kMicrosecondsPerDay;
        case Parsed::Special::none:
            break;
    }
    std::optional<i64> local = local_timestamp(parsed);
    if (local && with_zone) *local -= parsed.zone_s * kMicrosecondsPerSecond;
    if (!local || !valid_timestamp(*local)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow,
                        std::string(with_zone ? "timestamp" : "timestamp") + " out of range: \"" +
                            std::string(text) + "\"");
    }
    return *local;
}

void append_two(std::string& out, i64 value) {
    out.push_back(static_cast<char>('0' + value / 10));
    out.push_back(static_cast<char>('0' + value % 10));
}

// "YYYY-MM-DD" with the BC suffix left to the caller.
std::string format_date(const CivilDate& date) {
    const i64 year = date.year > 0 ? date.year : 1 - date.year;
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04lld-%02d-%02d", static_cast<long long>(year),
                  date.month, date.day);
    return buffer;
}

std::string format_timestamp(i64 ts, bool with_zone) {
    if (ts == kTimestampPositiveInfinity) return "infinity";
    if (ts == kTimestampNegativeInfinity) return "-infinity";
    const i64 days = floor_div(ts, kMicrosecondsPerDay);
    i64 time = ts - days * kMicrosecondsPerDay;
    const CivilDate date = civil_from_days(days);
    std::string out = format_date(date);
    out.push_back(' ');
    append_two(out, time / kMicrosecondsPerHour);
    time %= kMicrosecondsPerHour;
    out.push_back(':');
    append_two(out, time / kMicrosecondsPerMinute);
    time %= kMicrosecondsPerMinute;
    out.push_back(':');
    append_two(out, time / kMicrosecondsPerSecond);
    i64 fraction = time % kMicrosecondsPerSecond;
    if (fraction != 0) {
        std::string digits = std::to_string(fraction + kMicrosecondsPerSecond).substr(1);
        while (digits.back() == '0') digits.pop_back();
        out += "." + digits;
    }
    if (with_zone) out += "+00";
    if (date.year <= 0) out += " BC";
    return out;
}

SqlError timestamp_out_of_range() {
    return SqlError(sqlstate::kDatetimeFieldOverflow, "timestamp out of range");
}

}  // namespace

// Howard Hinnant's days_from_civil, shifted to PostgreSQL's 2000-01-01 epoch.
i64 days_from_civil(const CivilDate& date) {
    const i64 y = date.year - (date.month <= 2 ? 1 : 0);
    const i64 era = floor_div(y, 400);
    const i64 year_of_era = y - era * 400;
    const i64 m = date.month;
    const i64 day_of_year = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + date.day - 1;
    const i64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468 - 10957;
}

CivilDate civil_from_days(i64 days) {
    const i64 z = days + 10957 + 719468;
    const i64 era = floor_div(z, 146097);
    const i64 day_of_era = z - era * 146097;
    const i64 year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const i64 day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const i64 mp = (5 * day_of_year + 2) / 153;
    const i64 day = day_of_year - (153 * mp + 2) / 5 + 1;
    const i64 month = mp < 10 ? mp + 3 : mp - 9;
    return CivilDate{year_of_era + era * 400 + (month <= 2 ? 1 : 0), static_cast<int>(month),
                     static_cast<int>(day)};
}

int days_in_month(i64 year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && is_leap(year)) return 29;
    return kDays[month - 1];
}

bool date_is_finite(i32 date) {
    return date != kDateNegativeInfinity && date != kDatePositiveInfinity;
}
bool timestamp_is_finite(i64 ts) {
    return ts != kTimestampNegativeInfinity && ts != kTimestampPositiveInfinity;
}

SqlResult<i32> date_input(std::string_view text) {
    Parsed parsed;
    if (Outcome o = parse_datetime(text, &parsed); o != Outcome::ok) {
        return parse_error(o, text, "date");
    }
    switch (parsed.special) {
        case Parsed::Special::infinity:
            return kDatePositiveInfinity;
        case Parsed::Special::negative_infinity:
            return kDateNegativeInfinity;
        case Parsed::Special::epoch:
            return static_cast<i32>(days_from_civil(CivilDate{1970, 1, 1}));
        case Parsed::Special::none:
            break;
    }
    const i64 days = days_from_civil(parsed.date);
    if (!valid_date_days(days)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow,
                        "date out of range: \"" + std::string(text) + "\"");
    }
    return static_cast<i32>(days);
}

SqlResult<i64> timestamp_input(std::string_view text) { return parse_timestamp(text, false); }
SqlResult<i64> timestamptz_input(std::string_view text) { return parse_timestamp(text, true); }

std::string date_output(i32 date) {
    if (date == kDatePositiveInfinity) return "infinity";
    if (date == kDateNegativeInfinity) return "-infinity";
    const CivilDate civil = civil_from_days(date);
    std::string out = format_date(civil);
    if (civil.year <= 0) out += " BC";
    return out;
}

std::string timestamp_output(i64 ts) { return format_timestamp(ts, false); }
std::string timestamptz_output(i64 ts) { return format_timestamp(ts, true); }

SqlResult<i64> date_to_timestamp(i32 date) {
    if (date == kDatePositiveInfinity) return kTimestampPositiveInfinity;
    if (date == kDateNegativeInfinity) return kTimestampNegativeInfinity;
    if (date >= kTimestampEndDays) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "date out of range for timestamp");
    }
    return i64{date} * kMicrosecondsPerDay;
}

i64 date_to_timestamp_for_compare(i32 date) {
    if (date == kDateNegativeInfinity) return kTimestampNegativeInfinity;
    if (date >= kTimestampEndDays) return kTimestampPositiveInfinity;
    return i64{date} * kMicrosecondsPerDay;
}

i32 timestamp_to_date(i64 ts) {
    if (ts == kTimestampPositiveInfinity) return kDatePositiveInfinity;
    if (ts == kTimestampNegativeInfinity) return kDateNegativeInfinity;
    return static_cast<i32>(floor_div(ts, kMicrosecondsPerDay));
}

SqlResult<i32> date_add_days(i32 date, i64 days) {
    if (!date_is_finite(date)) return date;
    const i64 result = i64{date} + days;
    if (!valid_date_days(result)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "date out of range");
    }
    return static_cast<i32>(result);
}

SqlResult<i32> date_diff(i32 a, i32 b) {
    if (!date_is_finite(a) || !date_is_finite(b)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "cannot subtract infinite dates");
    }
    return static_cast<i32>(i64{a} - i64{b});
}

SqlResult<i64> timestamp_add_interval(i64 ts, const Interval& interval) {
    if (!timestamp_is_finite(ts)) return ts;
    if (interval.months != 0) {
        const i64 days = floor_div(ts, kMicrosecondsPerDay);
        const i64 time = ts - days * kMicrosecondsPerDay;
        CivilDate date = civil_from_days(days);
        const i64 month_index = date.year * 12 + (date.month - 1) + interval.months;
        date.year = floor_div(month_index, 12);
        date.month = static_cast<int>(month_index - date.year * 12) + 1;
        date.day = std::min(date.day, days_in_month(date.year, date.month));
        const i64 new_days = days_from_civil(date);
        if (new_days < kFirstDate || new_days >= kTimestampEndDays) return timestamp_out_of_range();
        ts = new_days * kMicrosecondsPerDay + time;
    }
    if (interval.days != 0) {
        const i64 days = floor_div(ts, kMicrosecondsPerDay) + interval.days;
        if (days < kFirstDate || days >= kTimestampEndDays) return timestamp_out_of_range();
        ts += i64{interval.days} * kMicrosecondsPerDay;
    }
    i64 result = 0;
    if (__builtin_add_overflow(ts, interval.microseconds, &result) || !valid_timestamp(result)) {
        return timestamp_out_of_range();
    }
    return result;
}

SqlResult<i64> timestamp_sub_interval(i64 ts, const Interval& interval) {
    if (interval.months == INT32_MIN || interval.days == INT32_MIN ||
        interval.microseconds == INT64_MIN) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "interval out of range");
    }
    return timestamp_add_interval(
        ts, Interval{-interval.months, -interval.days, -interval.microseconds});
}

SqlResult<Interval> timestamp_diff(i64 a, i64 b) {
    if (!timestamp_is_finite(a) || !timestamp_is_finite(b)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "cannot subtract infinite timestamps");
    }
    i64 time = 0;
    if (__builtin_sub_overflow(a, b, &time)) {
        return SqlError(sqlstate::kDatetimeFieldOverflow, "interval out of range");
    }
    // justify_hours: whole days out of the microseconds, the remainder keeping their sign.
    i64 days = time / kMicrosecondsPerDay;
    time -= days * kMicrosecondsPerDay;
    if (days > 0 && time < 0) {
        time += kMicrosecondsPerDay;
        --days;
    } else if (days < 0 && time > 0) {
        time -= kMicrosecondsPerDay;
        ++days;
    }
    return Interval{0, static_cast<i32>(days), time};
}

}  // namespace kb::sql
