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

#include "sql/value_datetime_lexicon.h"

namespace kb::sql {
namespace {

using namespace datetime_lexicon;

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
        const Keyword* keyword = find_keyword(parts[i]);
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
    const Keyword* keyword = find_zone_abbreviation(word);
    if (keyword == nullptr) keyword = find_keyword(word);
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
