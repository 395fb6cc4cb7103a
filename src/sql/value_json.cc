// jsonb parsing, normal form, member access and order (see value_json.h).
#include "sql/value_json.h"

#include <algorithm>
#include <cstdio>

#include "sql/value_numeric.h"

namespace kb::sql {
namespace {

constexpr const char* kUntranslatableCharacter = "22P05";
// PostgreSQL stops at its stack limit (thousands of levels with 2 MB); a fixed depth keeps
// recursion within any thread's stack.
constexpr usize kDepthMax = 2000;
constexpr const char* kStatementTooComplex = "54001";

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           static_cast<u8>(c) >= 0x80;
}

void append_utf8(std::string& out, u32 code) {
    if (code < 0x80) {
        out.push_back(static_cast<char>(code));
    } else if (code < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code >> 6)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (code >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
}

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    SqlResult<JsonValue> parse_document() {
        JsonValue value = KB_SQL_TRY(parse_value(0));
        skip_space();
        if (at_ < text_.size()) return bad_token("Expected end of input, but found ");
        return value;
    }

private:
    SqlError error(std::string detail) const {
        return SqlError(sqlstate::kInvalidTextRepresentation, "invalid input syntax for type json")
            .with_detail(std::move(detail));
    }
    SqlError ended() const { return error("The input string ended unexpectedly."); }
    // The token at the cursor, as PostgreSQL's lexer delimits it.
    std::string token_here() const {
        if (at_ >= text_.size()) return "";
        usize end = at_;
        if (is_word_char(text_[end]) || text_[end] == '-' || text_[end] == '.') {
            while (end < text_.size() && (is_word_char(text_[end]) || text_[end] == '.' ||
                                          text_[end] == '-' || text_[end] == '+')) {
                ++end;
            }
        } else {
            ++end;
        }
        return std::string(text_.substr(at_, end - at_));
    }
    SqlError bad_token(const std::string& prefix) const {
        if (at_ >= text_.size()) return ended();
        return error(prefix + "\"" + token_here() + "\".");
    }

    void skip_space() {
        while (at_ < text_.size() && is_json_space(text_[at_])) ++at_;
    }

    SqlResult<JsonValue> parse_value(usize depth) {
        if (depth > kDepthMax) {
            return SqlError(kStatementTooComplex, "stack depth limit exceeded");
        }
        skip_space();
        if (at_ >= text_.size()) return ended();
        const char c = text_[at_];
        JsonValue value;
        if (c == '{') return parse_object(depth);
        if (c == '[') return parse_array(depth);
        if (c == '"') {
            value.kind = JsonValue::Kind::string;
            value.string = KB_SQL_TRY(parse_string());
            return value;
        }
        if (c == '-' || is_digit(c)) return parse_number();
        const std::string token = token_here();
        if (token == "true" || token == "false") {
            value.kind = JsonValue::Kind::boolean;
            value.boolean = token == "true";
        } else if (token == "null") {
            value.kind = JsonValue::Kind::null;
        } else {
            return error("Token \"" + token + "\" is invalid.");
        }
        at_ += token.size();
        return value;
    }

    SqlResult<JsonValue> parse_number() {
        // -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        const usize start = at_;
        usize p = at_;
        auto invalid = [&]() { return error("Token \"" + token_here() + "\" is invalid."); };
        if (p < text_.size() && text_[p] == '-') ++p;
        if (p >= text_.size() || !is_digit(text_[p])) return invalid();
        if (text_[p] == '0') {
            ++p;
        } else {
            while (p < text_.size() && is_digit(text_[p])) ++p;
        }
        if (p < text_.size() && text_[p] == '.') {
            ++p;
            if (p >= text_.size() || !is_digit(text_[p])) return invalid();
            while (p < text_.size() && is_digit(text_[p])) ++p;
        }
        if (p < text_.size() && (text_[p] == 'e' || text_[p] == 'E')) {
            ++p;
            if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
            if (p >= text_.size() || !is_digit(text_[p])) return invalid();
            while (p < text_.size() && is_digit(text_[p])) ++p;
        }
        if (p < text_.size() && is_word_char(text_[p])) return invalid();
        auto number = kernel::Numeric::parse(text_.substr(start, p - start));
        if (!number) {
            return SqlError(sqlstate::kNumericValueOutOfRange, "value overflows numeric format");
        }
        at_ = p;
        JsonValue value;
        value.kind = JsonValue::Kind::number;
        value.number = std::move(number).value();
        return value;
    }

    SqlResult<u32> parse_hex4() {
        if (text_.size() - at_ < 4) return ended();
        u32 code = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = text_[at_ + static_cast<usize>(i)];
            code <<= 4;
            if (is_digit(h)) {
                code |= static_cast<u32>(h - '0');
            } else if (h >= 'a' && h <= 'f') {
                code |= static_cast<u32>(h - 'a' + 10);
            } else if (h >= 'A' && h <= 'F') {
                code |= static_cast<u32>(h - 'A' + 10);
            } else {
                return error("\"\\u\" must be followed by four hexadecimal digits.");
            }
        }
        at_ += 4;
        return code;
    }

    SqlResult<std::string> parse_string() {
        ++at_;  // opening quote
        std::string out;
        while (true) {
            if (at_ >= text_.size()) return ended();
            const char c = text_[at_];
            if (c == '"') {
                ++at_;
                return out;
            }
            if (static_cast<u8>(c) < 0x20) {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(static_cast<u8>(c)));
                return error(std::string("Character with value ") + hex + " must be escaped.");
            }
            if (c != '\\') {
                out.push_back(c);
                ++at_;
                continue;
            }
            ++at_;
            if (at_ >= text_.size()) return ended();
            const char e = text_[at_++];
            switch (e) {
                case '"':
                    out.push_back('"');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case '/':
                    out.push_back('/');
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    u32 code = KB_SQL_TRY(parse_hex4());
                    if (code >= 0xD800 && code <= 0xDBFF) {
                        if (text_.size() - at_ < 2 || text_[at_] != '\\' || text_[at_ + 1] != 'u') {
                            return error("Unicode low surrogate must follow a high surrogate.");
                        }
                        at_ += 2;
                        const u32 low = KB_SQL_TRY(parse_hex4());
                        if (low < 0xDC00 || low > 0xDFFF) {
                            return error("Unicode low surrogate must follow a high surrogate.");
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    } else if (code >= 0xDC00 && code <= 0xDFFF) {
                        return error("Unicode low surrogate must follow a high surrogate.");
                    } else if (code == 0) {
                        return SqlError(kUntranslatableCharacter,
                                        "unsupported Unicode escape sequence")
                            .with_detail("\\u0000 cannot be converted to text.");
                    }
                    append_utf8(out, code);
                    break;
                }
                default:
                    return error(std::string("Escape sequence \"\\") + e + "\" is invalid.");
            }
        }
    }

    SqlResult<JsonValue> parse_array(usize depth) {
        ++at_;
        JsonValue value;
        value.kind = JsonValue::Kind::array;
        skip_space();
        if (at_ < text_.size() && text_[at_] == ']') {
            ++at_;
            return value;
        }
        while (true) {
            value.elements.push_back(KB_SQL_TRY(parse_value(depth + 1)));
            skip_space();
            if (at_ >= text_.size()) return ended();
            if (text_[at_] == ',') {
                ++at_;
                continue;
            }
            if (text_[at_] == ']') {
                ++at_;
                return value;
            }
            return bad_token("Expected \",\" or \"]\", but found ");
        }
    }

    SqlResult<JsonValue> parse_object(usize depth) {
        ++at_;
        JsonValue value;
        value.kind = JsonValue::Kind::object;
        skip_space();
        if (at_ < text_.size() && text_[at_] == '}') {
            ++at_;
            return value;
        }
        while (true) {
            skip_space();
            if (at_ >= text_.size()) return ended();
            if (text_[at_] != '"') return bad_token("Expected string, but found ");
            std::string key = KB_SQL_TRY(parse_string());
            skip_space();
            if (at_ >= text_.size()) return ended();
            if (text_[at_] != ':') return bad_token("Expected \":\", but found ");
            ++at_;
            JsonValue member = KB_SQL_TRY(parse_value(depth + 1));
            value.members.emplace_back(std::move(key), std::move(member));
            skip_space();
            if (at_ >= text_.size()) return ended();
            if (text_[at_] == ',') {
                ++at_;
                continue;
            }
            if (text_[at_] == '}') {
                ++at_;
                break;
            }
            return bad_token("Expected \",\" or \"}\", but found ");
        }
        // jsonb order: keys by length, then bytes; of duplicates the last one stays.
        std::stable_sort(value.members.begin(), value.members.end(),
                         [](const auto& a, const auto& b) {
                             if (a.first.size() != b.first.size()) {
                                 return a.first.size() < b.first.size();
                             }
                             return a.first < b.first;
                         });
        std::vector<std::pair<std::string, JsonValue>> unique;
        for (auto& member : value.members) {
            if (!unique.empty() && unique.back().first == member.first) {
                unique.back() = std::move(member);
            } else {
                unique.push_back(std::move(member));
            }
        }
        value.members = std::move(unique);
        return value;
    }

    std::string_view text_;
    usize at_ = 0;
};

void serialize_string(std::string& out, std::string_view text) {
    out.push_back('"');
    for (char c : text) {
        switch (c) {
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            default:
                if (static_cast<u8>(c) < 0x20) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(c));
                    out += buffer;
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

void serialize(std::string& out, const JsonValue& value, bool normalize_numbers) {
    switch (value.kind) {
        case JsonValue::Kind::null:
            out += "null";
            return;
        case JsonValue::Kind::boolean:
            out += value.boolean ? "true" : "false";
            return;
        case JsonValue::Kind::number:
            out += normalize_numbers ? numeric_hash_key(value.number) : value.number.to_string();
            return;
        case JsonValue::Kind::string:
            serialize_string(out, value.string);
            return;
        case JsonValue::Kind::array:
            out.push_back('[');
            for (usize i = 0; i < value.elements.size(); ++i) {
                if (i > 0) out += ", ";
                serialize(out, value.elements[i], normalize_numbers);
            }
            out.push_back(']');
            return;
        case JsonValue::Kind::object:
            out.push_back('{');
            for (usize i = 0; i < value.members.size(); ++i) {
                if (i > 0) out += ", ";
                serialize_string(out, value.members[i].first);
                out += ": ";
                serialize(out, value.members[i].second, normalize_numbers);
            }
            out.push_back('}');
            return;
    }
}

// Stored jsonb text always parses; a failure is a corrupted value, a programmer error.
JsonValue parse_stored(std::string_view jsonb) {
    auto parsed = json_parse(jsonb);
    KB_ASSERT_MSG(parsed.has_value(), "stored jsonb text that does not parse");
    return std::move(parsed).value();
}

const JsonValue* element_of(const JsonValue& value, i64 index) {
    if (value.kind != JsonValue::Kind::array) {
        // A top-level scalar is a one-element array to PostgreSQL's -> operator.
        if (value.kind == JsonValue::Kind::object) return nullptr;
        return (index == 0 || index == -1) ? &value : nullptr;
    }
    const i64 count = static_cast<i64>(value.elements.size());
    if (index < 0) index += count;
    if (index < 0 || index >= count) return nullptr;
    return &value.elements[static_cast<usize>(index)];
}

const JsonValue* field_of(const JsonValue& value, std::string_view key) {
    if (value.kind != JsonValue::Kind::object) return nullptr;
    for (const auto& member : value.members) {
        if (member.first == key) return &member.second;
    }
    return nullptr;
}

std::optional<std::string> as_text(const JsonValue* value) {
    if (value == nullptr || value->kind == JsonValue::Kind::null) return std::nullopt;
    if (value->kind == JsonValue::Kind::string) return value->string;
    return json_serialize(*value);
}

int compare_json(const JsonValue& a, const JsonValue& b) {
    if (a.kind != b.kind) return a.kind < b.kind ? -1 : 1;
    switch (a.kind) {
        case JsonValue::Kind::null:
            return 0;
        case JsonValue::Kind::boolean:
            return a.boolean == b.boolean ? 0 : (a.boolean ? 1 : -1);
        case JsonValue::Kind::number:
            return a.number.compare(b.number);
        case JsonValue::Kind::string: {
            const int c = a.string.compare(b.string);
            return c < 0 ? -1 : (c > 0 ? 1 : 0);
        }
        case JsonValue::Kind::array: {
            if (a.elements.size() != b.elements.size()) {
                return a.elements.size() < b.elements.size() ? -1 : 1;
            }
            for (usize i = 0; i < a.elements.size(); ++i) {
                if (int c = compare_json(a.elements[i], b.elements[i]); c != 0) return c;
            }
            return 0;
        }
        case JsonValue::Kind::object: {
            if (a.members.size() != b.members.size()) {
                return a.members.size() < b.members.size() ? -1 : 1;
            }
            for (usize i = 0; i < a.members.size(); ++i) {
                const int k = a.members[i].first.compare(b.members[i].first);
                if (k != 0) return k < 0 ? -1 : 1;
                if (int c = compare_json(a.members[i].second, b.members[i].second); c != 0) {
                    return c;
                }
            }
            return 0;
        }
    }
    return 0;
}

bool is_scalar(const JsonValue& value) {
    return value.kind != JsonValue::Kind::array && value.kind != JsonValue::Kind::object;
}

const char* kind_name(JsonValue::Kind kind) {
    switch (kind) {
        case JsonValue::Kind::null:
            return "null";
        case JsonValue::Kind::string:
            return "string";
        case JsonValue::Kind::number:
            return "numeric";
        case JsonValue::Kind::boolean:
            return "boolean";
        case JsonValue::Kind::array:
            return "array";
        case JsonValue::Kind::object:
            return "object";
    }
    return "value";
}

}  // namespace

SqlResult<JsonValue> json_parse(std::string_view text) { return Parser(text).parse_document(); }

std::string json_serialize(const JsonValue& value) {
    std::string out;
    serialize(out, value, false);
    return out;
}

SqlResult<std::string> jsonb_input(std::string_view text) {
    return json_serialize(KB_SQL_TRY(json_parse(text)));
}

std::optional<std::string> jsonb_field(std::string_view jsonb, std::string_view key) {
    const JsonValue value = parse_stored(jsonb);
    const JsonValue* member = field_of(value, key);
    if (member == nullptr) return std::nullopt;
    return json_serialize(*member);
}

std::optional<std::string> jsonb_element(std::string_view jsonb, i64 index) {
    const JsonValue value = parse_stored(jsonb);
    const JsonValue* member = element_of(value, index);
    if (member == nullptr) return std::nullopt;
    return json_serialize(*member);
}

std::optional<std::string> jsonb_field_text(std::string_view jsonb, std::string_view key) {
    const JsonValue value = parse_stored(jsonb);
    return as_text(field_of(value, key));
}

std::optional<std::string> jsonb_element_text(std::string_view jsonb, i64 index) {
    const JsonValue value = parse_stored(jsonb);
    return as_text(element_of(value, index));
}

std::string jsonb_concat(std::string_view a, std::string_view b) {
    JsonValue left = parse_stored(a);
    JsonValue right = parse_stored(b);
    if (left.kind == JsonValue::Kind::object && right.kind == JsonValue::Kind::object) {
        for (auto& member : right.members) {
            auto it = std::find_if(left.members.begin(), left.members.end(),
                                   [&](const auto& m) { return m.first == member.first; });
            if (it != left.members.end()) {
                it->second = std::move(member.second);
            } else {
                left.members.push_back(std::move(member));
            }
        }
        // Back to jsonb key order.
        return jsonb_input(json_serialize(left)).value();
    }
    auto as_array = [](JsonValue value) {
        if (value.kind == JsonValue::Kind::array) return value;
        JsonValue array;
        array.kind = JsonValue::Kind::array;
        array.elements.push_back(std::move(value));
        return array;
    };
    JsonValue out = as_array(std::move(left));
    JsonValue tail = as_array(std::move(right));
    for (auto& element : tail.elements) out.elements.push_back(std::move(element));
    return json_serialize(out);
}

SqlResult<std::string> jsonb_delete_key(std::string_view jsonb, std::string_view key) {
    JsonValue value = parse_stored(jsonb);
    if (value.kind == JsonValue::Kind::object) {
        std::erase_if(value.members, [&](const auto& member) { return member.first == key; });
    } else if (value.kind == JsonValue::Kind::array) {
        std::erase_if(value.elements, [&](const JsonValue& element) {
            return element.kind == JsonValue::Kind::string && element.string == key;
        });
    } else {
        return SqlError(sqlstate::kInvalidParameterValue, "cannot delete from scalar");
    }
    return json_serialize(value);
}

SqlResult<std::string> jsonb_delete_index(std::string_view jsonb, i64 index) {
    JsonValue value = parse_stored(jsonb);
    if (value.kind == JsonValue::Kind::object) {
        return SqlError(sqlstate::kInvalidParameterValue,
                        "cannot delete from object using integer index");
    }
    if (value.kind != JsonValue::Kind::array) {
        return SqlError(sqlstate::kInvalidParameterValue, "cannot delete from scalar");
    }
    const i64 count = static_cast<i64>(value.elements.size());
    if (index < 0) index += count;
    if (index >= 0 && index < count) {
        value.elements.erase(value.elements.begin() + static_cast<std::ptrdiff_t>(index));
    }
    return json_serialize(value);
}

int jsonb_compare(std::string_view a, std::string_view b) {
    const JsonValue x = parse_stored(a);
    const JsonValue y = parse_stored(b);
    // A top-level scalar is a one-element "raw scalar" array to PostgreSQL: against a real
    // array, element counts decide first, then the raw scalar sorts first.
    const bool x_scalar = is_scalar(x);
    const bool y_scalar = is_scalar(y);
    if (x_scalar != y_scalar) {
        const JsonValue& other = x_scalar ? y : x;
        if (other.kind == JsonValue::Kind::array) {
            const usize other_count = other.elements.size();
            int c = 0;
            if (other_count != 1) {
                c = other_count > 1 ? -1 : 1;  // the scalar counts as one element
            } else {
                c = -1;  // the raw scalar sorts first
            }
            return x_scalar ? c : -c;
        }
    }
    return compare_json(x, y);
}

std::string jsonb_hash_key(std::string_view jsonb) {
    std::string out;
    serialize(out, parse_stored(jsonb), true);
    return out;
}

SqlResult<kernel::Numeric> jsonb_to_numeric(std::string_view jsonb, const char* type_name) {
    const JsonValue value = parse_stored(jsonb);
    if (value.kind != JsonValue::Kind::number) {
        return SqlError(
            sqlstate::kInvalidParameterValue,
            std::string("cannot cast jsonb ") + kind_name(value.kind) + " to type " + type_name);
    }
    return value.number;
}

SqlResult<bool> jsonb_to_boolean(std::string_view jsonb) {
    const JsonValue value = parse_stored(jsonb);
    if (value.kind != JsonValue::Kind::boolean) {
        return SqlError(
            sqlstate::kInvalidParameterValue,
            std::string("cannot cast jsonb ") + kind_name(value.kind) + " to type boolean");
    }
    return value.boolean;
}

}  // namespace kb::sql
