// Text and bytea operators and functions: ||, LIKE / ILIKE, length, lower/upper, trims,
// substring, replace, position, concat and a few more.
//
// Signatures from PostgreSQL 15:
//   SELECT proname, pg_get_function_arguments(oid), prorettype::regtype FROM pg_proc
//   WHERE proname IN ('length', 'lower', 'btrim', 'substring', ...);
// and the ||, ~~ (LIKE), ~~* (ILIKE), !~~, !~~* rows of pg_operator. Characters are UTF-8
// code points; the database collation is C, so lower/upper/ILIKE fold ASCII letters only
// (PostgreSQL's behaviour under LC_CTYPE C) and comparisons are bytewise.
#include <algorithm>
#include <span>

#include "sql/func_catalog.h"
#include "sql/value_cast.h"
#include "sql/value_io.h"
#include "sql/value_json.h"

namespace kb::sql {
namespace {

constexpr const char* kInvalidEscapeSequence = "22025";
constexpr const char* kSubstringError = "22011";
constexpr usize kTextBytesMax = (usize{1} << 30) - 1;  // PostgreSQL's 1 GB varlena limit

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// The UTF-8 characters of `text` as views.
std::vector<std::string_view> characters(std::string_view text) {
    std::vector<std::string_view> out;
    usize i = 0;
    while (i < text.size()) {
        usize j = i + 1;
        while (j < text.size() && (static_cast<u8>(text[j]) & 0xC0) == 0x80) ++j;
        out.push_back(text.substr(i, j - i));
        i = j;
    }
    return out;
}

SqlError too_large() {
    return SqlError(sqlstate::kProgramLimitExceeded, "requested length too large");
}

// --- LIKE -------------------------------------------------------------------------------------

enum class LikeOutcome { match, no_match, abort };  // abort: no later start can match

SqlError like_trailing_escape() {
    return SqlError(kInvalidEscapeSequence, "LIKE pattern must not end with escape character");
}

// PostgreSQL's LIKE matcher: '%' searches for a text position where the rest of the pattern
// matches, '_' takes one unit, '\' makes the next unit literal. A trailing '\' is an error
// only when the match gets that far ('a' LIKE 'a\' is false, 'ab' LIKE 'a\' an error).
// `t` and `p` are units: characters (text) or single bytes (bytea).
SqlResult<LikeOutcome> like_units(std::span<const std::string_view> t,
                                  std::span<const std::string_view> p) {
    if (p.size() == 1 && p[0] == "%") return LikeOutcome::match;
    while (!t.empty() && !p.empty()) {
        if (p[0] == "\\") {
            p = p.subspan(1);
            if (p.empty()) return like_trailing_escape();
            if (p[0] != t[0]) return LikeOutcome::no_match;
        } else if (p[0] == "%") {
            p = p.subspan(1);
            // N '_' and any '%' right after: skip N units of text.
            while (!p.empty()) {
                if (p[0] == "%") {
                    p = p.subspan(1);
                } else if (p[0] == "_") {
                    if (t.empty()) return LikeOutcome::abort;
                    t = t.subspan(1);
                    p = p.subspan(1);
                } else {
                    break;
                }
            }
            if (p.empty()) return LikeOutcome::match;
            std::string_view first = p[0];
            if (first == "\\") {
                if (p.size() < 2) return like_trailing_escape();
                first = p[1];
            }
            for (; !t.empty(); t = t.subspan(1)) {
                if (t[0] != first) continue;
                const LikeOutcome outcome = KB_SQL_TRY(like_units(t, p));
                if (outcome != LikeOutcome::no_match) return outcome;
            }
            return LikeOutcome::abort;
        } else if (p[0] != "_" && p[0] != t[0]) {
            return LikeOutcome::no_match;
        }
        t = t.subspan(1);
        p = p.subspan(1);
    }
    if (!t.empty()) return LikeOutcome::no_match;
    while (!p.empty() && p[0] == "%") p = p.subspan(1);
    return p.empty() ? LikeOutcome::match : LikeOutcome::abort;
}

SqlResult<bool> like_match(const std::vector<std::string_view>& text,
                           const std::vector<std::string_view>& pattern) {
    return KB_SQL_TRY(like_units(text, pattern)) == LikeOutcome::match;
}

std::vector<std::string_view> bytes_of(const Bytes& bytes) {
    std::vector<std::string_view> out;
    const std::string_view all = as_chars(bytes);
    for (usize i = 0; i < all.size(); ++i) out.push_back(all.substr(i, 1));
    return out;
}

std::string fold(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

template <bool negate, bool insensitive>
SqlResult<Value> text_like(Args a, const EvalContext&) {
    if (insensitive) {
        const std::string text = fold(a[0].as_text());
        const std::string pattern = fold(a[1].as_text());
        const bool match = KB_SQL_TRY(like_match(characters(text), characters(pattern)));
        return Value::boolean(match != negate);
    }
    const bool match =
        KB_SQL_TRY(like_match(characters(a[0].as_text()), characters(a[1].as_text())));
    return Value::boolean(match != negate);
}

template <bool negate>
SqlResult<Value> bytea_like(Args a, const EvalContext&) {
    const bool match = KB_SQL_TRY(like_match(bytes_of(a[0].as_bytea()), bytes_of(a[1].as_bytea())));
    return Value::boolean(match != negate);
}

// like_escape(pattern, escape): the pattern rewritten to use '\' as its escape character.
SqlResult<Value> like_escape(Args a, const EvalContext&) {
    const std::string& pattern = a[0].as_text();
    const std::vector<std::string_view> escape = characters(a[1].as_text());
    if (escape.size() > 1) {
        return SqlError(kInvalidEscapeSequence, "invalid escape string")
            .with_hint("Escape string must be empty or one character.");
    }
    std::string out;
    const std::vector<std::string_view> units = characters(pattern);
    for (usize i = 0; i < units.size(); ++i) {
        if (escape.empty()) {
            if (units[i] == "\\") out += "\\";  // no escape: a backslash is literal
            out += units[i];
        } else if (units[i] == escape[0]) {
            if (i + 1 < units.size()) {
                out += "\\";
                out += units[++i];
            } else {
                out += "\\";  // a trailing escape: LIKE reports it
            }
        } else if (units[i] == "\\" && escape[0] != "\\") {
            out += "\\\\";
        } else {
            out += units[i];
        }
    }
    return Value::text(std::move(out));
}

// --- concatenation ----------------------------------------------------------------------------

SqlResult<Value> text_concat(Args a, const EvalContext&) {
    return Value::text(a[0].as_text() + a[1].as_text());
}
SqlResult<Value> bytea_concat(Args a, const EvalContext&) {
    Bytes out = a[0].as_bytea();
    out.insert(out.end(), a[1].as_bytea().begin(), a[1].as_bytea().end());
    return Value::bytea(std::move(out));
}
SqlResult<Value> jsonb_concat_op(Args a, const EvalContext&) {
    return Value::jsonb(jsonb_concat(a[0].as_text(), a[1].as_text()));
}
// anytextcat / textanycat: the non-text side cast to text (bool -> 'true').
std::string as_text_cast(const Value& v) {
    if (v.kind() == ValueKind::boolean) return v.as_bool() ? "true" : "false";
    return value_output(v);
}
SqlResult<Value> any_text_concat(Args a, const EvalContext&) {
    return Value::text(as_text_cast(a[0]) + as_text_cast(a[1]));
}

// concat / concat_ws: output functions (bool -> 't'), NULLs skipped.
SqlResult<Value> concat(Args a, const EvalContext&) {
    std::string out;
    for (const Value& v : a) {
        if (!v.is_null()) out += value_output(v);
    }
    return Value::text(std::move(out));
}
SqlResult<Value> concat_ws(Args a, const EvalContext&) {
    if (a[0].is_null()) return Value::null();
    std::string out;
    bool first = true;
    for (usize i = 1; i < a.size(); ++i) {
        if (a[i].is_null()) continue;
        if (!first) out += a[0].as_text();
        out += value_output(a[i]);
        first = false;
    }
    return Value::text(std::move(out));
}

// --- lengths, case ----------------------------------------------------------------------------

SqlResult<Value> char_length(Args a, const EvalContext&) {
    return Value::int32(static_cast<i32>(text_length(a[0].as_text())));
}
SqlResult<Value> bpchar_length(Args a, const EvalContext&) {
    return Value::int32(static_cast<i32>(text_length(bpchar_trimmed(a[0].as_text()))));
}
SqlResult<Value> octet_length(Args a, const EvalContext&) {
    return Value::int32(static_cast<i32>(a[0].as_text().size()));
}
SqlResult<Value> bytea_length(Args a, const EvalContext&) {
    return Value::int32(static_cast<i32>(a[0].as_bytea().size()));
}
SqlResult<Value> lower(Args a, const EvalContext&) { return Value::text(fold(a[0].as_text())); }
SqlResult<Value> upper(Args a, const EvalContext&) {
    std::string out = a[0].as_text();
    for (char& c : out) c = ascii_upper(c);
    return Value::text(std::move(out));
}

// --- trims ------------------------------------------------------------------------------------

template <bool leading, bool trailing>
SqlResult<Value> trim(Args a, const EvalContext&) {
    const std::vector<std::string_view> text = characters(a[0].as_text());
    const std::vector<std::string_view> set =
        a.size() > 1 ? characters(a[1].as_text()) : std::vector<std::string_view>{" "};
    auto in_set = [&](std::string_view c) {
        return std::find(set.begin(), set.end(), c) != set.end();
    };
    usize begin = 0;
    usize end = text.size();
    if (leading) {
        while (begin < end && in_set(text[begin])) ++begin;
    }
    if (trailing) {
        while (end > begin && in_set(text[end - 1])) --end;
    }
    std::string out;
    for (usize i = begin; i < end; ++i) out += text[i];
    return Value::text(std::move(out));
}

template <bool leading, bool trailing>
SqlResult<Value> bytea_trim(Args a, const EvalContext&) {
    const Bytes& bytes = a[0].as_bytea();
    const Bytes& set = a[1].as_bytea();
    auto in_set = [&](u8 b) { return std::find(set.begin(), set.end(), b) != set.end(); };
    usize begin = 0;
    usize end = bytes.size();
    if (leading) {
        while (begin < end && in_set(bytes[begin])) ++begin;
    }
    if (trailing) {
        while (end > begin && in_set(bytes[end - 1])) --end;
    }
    return Value::bytea(Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(begin),
                              bytes.begin() + static_cast<std::ptrdiff_t>(end)));
}

// --- substring, position, replace -------------------------------------------------------------

// PostgreSQL's substring bounds: 1-based start (may be < 1), optional non-negative length.
SqlResult<std::pair<usize, usize>> substring_range(i64 start, bool has_length, i64 length,
                                                   usize size) {
    i64 first = std::max<i64>(start, 1);
    i64 end = static_cast<i64>(size) + 1;
    if (has_length) {
        if (length < 0) {
            return SqlError(kSubstringError, "negative substring length not allowed");
        }
        i64 stop = 0;
        if (__builtin_add_overflow(start, length, &stop)) stop = INT64_MAX;
        end = std::min(end, stop);
    }
    if (end <= first) return std::pair<usize, usize>{0, 0};
    first = std::min<i64>(first, static_cast<i64>(size) + 1);
    return std::pair<usize, usize>{static_cast<usize>(first - 1), static_cast<usize>(end - first)};
}

SqlResult<Value> substring(Args a, const EvalContext&) {
    const std::vector<std::string_view> text = characters(a[0].as_text());
    const bool has_length = a.size() > 2;
    const auto [from, count] = KB_SQL_TRY(
        substring_range(a[1].as_int(), has_length, has_length ? a[2].as_int() : 0, text.size()));
    std::string out;
    for (usize i = from; i < from + count; ++i) out += text[i];
    return Value::text(std::move(out));
}

SqlResult<Value> bytea_substring(Args a, const EvalContext&) {
    const Bytes& bytes = a[0].as_bytea();
    const bool has_length = a.size() > 2;
    const auto [from, count] = KB_SQL_TRY(
        substring_range(a[1].as_int(), has_length, has_length ? a[2].as_int() : 0, bytes.size()));
    return Value::bytea(Bytes(bytes.begin() + static_cast<std::ptrdiff_t>(from),
                              bytes.begin() + static_cast<std::ptrdiff_t>(from + count)));
}

// position(substring IN string) is strpos(string, substring).
SqlResult<Value> strpos(Args a, const EvalContext&) {
    const std::string& text = a[0].as_text();
    const usize at = text.find(a[1].as_text());
    if (at == std::string::npos) return Value::int32(0);
    return Value::int32(static_cast<i32>(text_length(std::string_view(text).substr(0, at)) + 1));
}

SqlResult<Value> bytea_position(Args a, const EvalContext&) {
    const std::string_view haystack = as_chars(a[0].as_bytea());
    const usize at = haystack.find(as_chars(a[1].as_bytea()));
    return Value::int32(at == std::string_view::npos ? 0 : static_cast<i32>(at + 1));
}

SqlResult<Value> replace(Args a, const EvalContext&) {
    const std::string& text = a[0].as_text();
    const std::string& from = a[1].as_text();
    const std::string& to = a[2].as_text();
    if (from.empty()) return a[0];
    std::string out;
    usize at = 0;
    while (true) {
        const usize next = text.find(from, at);
        if (next == std::string::npos) break;
        out.append(text, at, next - at);
        out += to;
        at = next + from.size();
        if (out.size() > kTextBytesMax) return too_large();
    }
    out.append(text, at, std::string::npos);
    return Value::text(std::move(out));
}

// --- left, right, repeat, reverse, pads -------------------------------------------------------

SqlResult<Value> left(Args a, const EvalContext&) {
    const std::vector<std::string_view> text = characters(a[0].as_text());
    const i64 n = a[1].as_int();
    const i64 size = static_cast<i64>(text.size());
    const i64 keep = n >= 0 ? std::min(n, size) : std::max<i64>(size + n, 0);
    std::string out;
    for (i64 i = 0; i < keep; ++i) out += text[static_cast<usize>(i)];
    return Value::text(std::move(out));
}

SqlResult<Value> right(Args a, const EvalContext&) {
    const std::vector<std::string_view> text = characters(a[0].as_text());
    const i64 n = a[1].as_int();
    const i64 size = static_cast<i64>(text.size());
    const i64 keep = n >= 0 ? std::min(n, size) : std::max<i64>(size + n, 0);
    std::string out;
    for (i64 i = size - keep; i < size; ++i) out += text[static_cast<usize>(i)];
    return Value::text(std::move(out));
}

SqlResult<Value> repeat(Args a, const EvalContext&) {
    const std::string& text = a[0].as_text();
    const i64 count = a[1].as_int();
    if (count <= 0 || text.empty()) return Value::text("");
    if (static_cast<u64>(count) > kTextBytesMax / text.size()) return too_large();
    std::string out;
    out.reserve(text.size() * static_cast<usize>(count));
    for (i64 i = 0; i < count; ++i) out += text;
    return Value::text(std::move(out));
}

SqlResult<Value> reverse(Args a, const EvalContext&) {
    std::vector<std::string_view> text = characters(a[0].as_text());
    std::reverse(text.begin(), text.end());
    std::string out;
    for (std::string_view c : text) out += c;
    return Value::text(std::move(out));
}

SqlResult<Value> starts_with(Args a, const EvalContext&) {
    return Value::boolean(a[0].as_text().starts_with(a[1].as_text()));
}

template <bool on_left>
SqlResult<Value> pad(Args a, const EvalContext&) {
    const std::vector<std::string_view> text = characters(a[0].as_text());
    const i64 length = std::max<i64>(a[1].as_int(), 0);
    const std::vector<std::string_view> fill =
        a.size() > 2 ? characters(a[2].as_text()) : std::vector<std::string_view>{" "};
    if (static_cast<u64>(length) > kTextBytesMax / 4) return too_large();
    const usize target = static_cast<usize>(length);
    std::string body;
    for (usize i = 0; i < std::min(target, text.size()); ++i) body += text[i];
    if (text.size() >= target || fill.empty()) return Value::text(std::move(body));
    std::string padding;
    for (usize i = 0; i < target - text.size(); ++i) padding += fill[i % fill.size()];
    return Value::text(on_left ? padding + body : body + padding);
}

FunctionDef variadic(std::string_view name, std::initializer_list<SqlType> fixed,
                     ScalarFunction impl) {
    FunctionDef def;
    def.name = name;
    usize i = 0;
    for (SqlType type : fixed) def.params[i++] = {type};
    def.params[i++] = ParamType{.any = true};
    def.param_count = static_cast<u8>(i);
    def.variadic_any = true;
    def.result = SqlType::text;
    def.impl = impl;
    def.strict = false;
    def.immutable = false;  // concat and friends are stable in PostgreSQL (output functions)
    return def;
}

std::vector<FunctionDef> build() {
    constexpr SqlType text = SqlType::text;
    constexpr SqlType bpchar = SqlType::character;
    constexpr SqlType bytea = SqlType::bytea;
    constexpr SqlType i4 = SqlType::integer;
    constexpr SqlType boolean = SqlType::boolean;
    std::vector<FunctionDef> out;
    out.push_back(binary_operator("||", text, text, text, text_concat));
    out.push_back(binary_operator("||", bytea, bytea, bytea, bytea_concat));
    out.push_back(
        binary_operator("||", SqlType::jsonb, SqlType::jsonb, SqlType::jsonb, jsonb_concat_op));
    FunctionDef any_text = binary_operator("||", text, text, text, any_text_concat);
    any_text.params[0] = ParamType{.any = true};  // anytextcat(anynonarray, text)
    any_text.immutable = false;                   // stable: it calls the type's output function
    out.push_back(any_text);
    FunctionDef text_any = binary_operator("||", text, text, text, any_text_concat);
    text_any.params[1] = ParamType{.any = true};  // textanycat(text, anynonarray)
    text_any.immutable = false;
    out.push_back(text_any);

    out.push_back(binary_operator("~~", text, text, boolean, text_like<false, false>));
    out.push_back(binary_operator("~~", bpchar, text, boolean, text_like<false, false>));
    out.push_back(binary_operator("~~", bytea, bytea, boolean, bytea_like<false>));
    out.push_back(binary_operator("!~~", text, text, boolean, text_like<true, false>));
    out.push_back(binary_operator("!~~", bpchar, text, boolean, text_like<true, false>));
    out.push_back(binary_operator("!~~", bytea, bytea, boolean, bytea_like<true>));
    out.push_back(binary_operator("~~*", text, text, boolean, text_like<false, true>));
    out.push_back(binary_operator("~~*", bpchar, text, boolean, text_like<false, true>));
    out.push_back(binary_operator("!~~*", text, text, boolean, text_like<true, true>));
    out.push_back(binary_operator("!~~*", bpchar, text, boolean, text_like<true, true>));
    out.push_back(function("like_escape", {text, text}, text, like_escape));

    // Text comparisons: text with text, char(n) with char(n) (trailing spaces ignored).
    add_comparisons<SqlType::text>(out, text, text);
    add_comparisons<SqlType::character>(out, bpchar, bpchar);

    for (std::string_view name : {"length", "char_length", "character_length"}) {
        out.push_back(function(name, {text}, i4, char_length));
        out.push_back(function(name, {bpchar}, i4, bpchar_length));
    }
    out.push_back(function("length", {bytea}, i4, bytea_length));
    out.push_back(function("octet_length", {text}, i4, octet_length));
    out.push_back(function("octet_length", {bpchar}, i4, octet_length));
    out.push_back(function("octet_length", {bytea}, i4, bytea_length));
    out.push_back(function("lower", {text}, text, lower));
    out.push_back(function("upper", {text}, text, upper));
    out.push_back(function("btrim", {text}, text, trim<true, true>));
    out.push_back(function("btrim", {text, text}, text, trim<true, true>));
    out.push_back(function("ltrim", {text}, text, trim<true, false>));
    out.push_back(function("ltrim", {text, text}, text, trim<true, false>));
    out.push_back(function("rtrim", {text}, text, trim<false, true>));
    out.push_back(function("rtrim", {text, text}, text, trim<false, true>));
    out.push_back(function("btrim", {bytea, bytea}, bytea, bytea_trim<true, true>));
    out.push_back(function("ltrim", {bytea, bytea}, bytea, bytea_trim<true, false>));
    out.push_back(function("rtrim", {bytea, bytea}, bytea, bytea_trim<false, true>));
    for (std::string_view name : {"substring", "substr"}) {
        out.push_back(function(name, {text, i4}, text, substring));
        out.push_back(function(name, {text, i4, i4}, text, substring));
        out.push_back(function(name, {bytea, i4}, bytea, bytea_substring));
        out.push_back(function(name, {bytea, i4, i4}, bytea, bytea_substring));
    }
    out.push_back(function("replace", {text, text, text}, text, replace));
    out.push_back(function("position", {text, text}, i4, strpos));
    out.push_back(function("position", {bytea, bytea}, i4, bytea_position));
    out.push_back(function("strpos", {text, text}, i4, strpos));
    out.push_back(variadic("concat", {}, concat));
    out.push_back(variadic("concat_ws", {text}, concat_ws));
    out.push_back(function("left", {text, i4}, text, left));
    out.push_back(function("right", {text, i4}, text, right));
    out.push_back(function("repeat", {text, i4}, text, repeat));
    out.push_back(function("reverse", {text}, text, reverse));
    out.push_back(function("starts_with", {text, text}, boolean, starts_with));
    out.push_back(function("lpad", {text, i4}, text, pad<true>));
    out.push_back(function("lpad", {text, i4, text}, text, pad<true>));
    out.push_back(function("rpad", {text, i4}, text, pad<false>));
    out.push_back(function("rpad", {text, i4, text}, text, pad<false>));
    return out;
}

}  // namespace

std::span<const FunctionDef> string_function_catalog() {
    static const std::vector<FunctionDef> definitions = build();
    return definitions;
}

}  // namespace kb::sql
