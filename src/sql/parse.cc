// parse(): checks the text (UTF-8, nesting depth), runs libpg_query's parser, maps its errors to
// PostgreSQL's SQLSTATEs and hands each raw statement to the converter (parse_convert.h).
#include "sql/parse.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "sql/parse_convert.h"

namespace kb::sql {
namespace {

using parse_internal::Converter;
using parse_internal::kCharacterNotInRepertoire;
using parse_internal::kStatementTooComplex;

// Bytes of the UTF-8 sequence a lead byte announces (PostgreSQL's pg_utf_mblen), 1 for others.
size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if ((lead & 0xe0) == 0xc0) return 2;
    if ((lead & 0xf0) == 0xe0) return 3;
    if ((lead & 0xf8) == 0xf0) return 4;
    return 1;
}

// PostgreSQL's pg_utf8_islegal: shortest form, no surrogates, at most U+10FFFF.
bool utf8_legal(const unsigned char* s, size_t length) {
    auto continuation = [](unsigned char c) { return c >= 0x80 && c <= 0xbf; };
    switch (length) {
        case 1:
            return s[0] < 0x80 && s[0] != 0;
        case 2:
            return s[0] >= 0xc2 && s[0] <= 0xdf && continuation(s[1]);
        case 3:
            if (!continuation(s[2])) return false;
            if (s[0] == 0xe0) return s[1] >= 0xa0 && s[1] <= 0xbf;
            if (s[0] == 0xed) return s[1] >= 0x80 && s[1] <= 0x9f;
            return s[0] >= 0xe1 && s[0] <= 0xef && continuation(s[1]);
        case 4:
            if (!continuation(s[2]) || !continuation(s[3])) return false;
            if (s[0] == 0xf0) return s[1] >= 0x90 && s[1] <= 0xbf;
            if (s[0] == 0xf4) return s[1] >= 0x80 && s[1] <= 0x8f;
            return s[0] >= 0xf1 && s[0] <= 0xf3 && continuation(s[1]);
        default:
            return false;
    }
}

// The whole text must be valid UTF-8 without NUL bytes, as PostgreSQL checks client input
// (its message lists the bytes of the first bad character).
SqlStatus check_encoding(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    size_t at = 0;
    while (at < text.size()) {
        if (bytes[at] >= 0x20 && bytes[at] < 0x80) {  // the common case
            ++at;
            continue;
        }
        size_t length = utf8_length(bytes[at]);
        if (at + length > text.size() || !utf8_legal(bytes + at, length)) {
            std::string shown;
            size_t count = std::min(length, text.size() - at);
            for (size_t i = 0; i < count; ++i) {
                char hex[8];
                std::snprintf(hex, sizeof hex, "%s0x%02x", i == 0 ? "" : " ", bytes[at + i]);
                shown += hex;
            }
            return SqlError(kCharacterNotInRepertoire,
                            "invalid byte sequence for encoding \"UTF8\": " + shown);
        }
        at += length;
    }
    return sql_ok();
}

// protobuf-c allocates every message, array and string of the unpacked tree on its own; a bump
// arena turns that into one allocation per chunk and the release of the whole tree into
// freeing the chunks (walking the tree with protobuf_c_message_free_unpacked was ~18% of a
// point SELECT's parse, measured with perf).
class UnpackArena {
public:
    explicit UnpackArena(size_t first_chunk_bytes)
        : first_chunk_bytes_(std::max(first_chunk_bytes, kChunkBytes)) {}

    ProtobufCAllocator allocator() { return {&UnpackArena::alloc, &UnpackArena::release, this}; }

private:
    static constexpr size_t kChunkBytes = 16 * 1024;
    static constexpr size_t kAlignment = 16;  // operator new[]'s, and enough for any field

    static void* alloc(void* data, size_t size) {
        return static_cast<UnpackArena*>(data)->allocate(size);
    }
    static void release(void*, void*) {}  // the arena frees everything at once

    void* allocate(size_t size) {
        size = (size + kAlignment - 1) & ~(kAlignment - 1);
        if (size > remaining_) {
            size_t chunk = std::max(size, chunks_.empty() ? first_chunk_bytes_ : kChunkBytes);
            chunks_.emplace_back(new std::byte[chunk]);
            next_ = chunks_.back().get();
            remaining_ = chunk;
        }
        void* result = next_;
        next_ += size;
        remaining_ -= size;
        return result;
    }

    size_t first_chunk_bytes_;
    std::vector<std::unique_ptr<std::byte[]>> chunks_;
    std::byte* next_ = nullptr;
    size_t remaining_ = 0;
};

// libpg_query reports no SQLSTATE: the grammar's own errors are syntax errors (42601) except
// for these, whose codes PostgreSQL's gram.y / scan.l give them.
const char* sqlstate_of_parser_error(std::string_view message) {
    struct Rule {
        const char* fragment;
        const char* sqlstate;
    };
    static constexpr Rule kRules[] = {
        {"LIMIT #,# syntax is not supported", sqlstate::kSyntaxError},
        {"cannot be marked DEFERRABLE", sqlstate::kFeatureNotSupported},
        {"cannot be marked NOT VALID", sqlstate::kFeatureNotSupported},
        {"cannot be marked NO INHERIT", sqlstate::kFeatureNotSupported},
        {"is not supported", sqlstate::kFeatureNotSupported},
        {"not implemented", sqlstate::kFeatureNotSupported},
        {"unsafe use of string constant with Unicode escapes", sqlstate::kFeatureNotSupported},
        {"current database cannot be changed", sqlstate::kFeatureNotSupported},
        {"precision for type float", sqlstate::kInvalidParameterValue},
        {"column number must be in range", sqlstate::kInvalidParameterValue},
        {"invalid byte sequence", kCharacterNotInRepertoire},
        {"invalid Unicode code point", kCharacterNotInRepertoire},
        {"frame start cannot", "42P20"},
        {"frame end cannot", "42P20"},
        {"frame starting from", "42P20"},
        {"cannot be used as a role name here", "42939"},
        {"is reserved", "42939"},  // role name "public" is reserved
        {"out of memory", "53200"},
        {"Cannot enlarge string buffer", sqlstate::kProgramLimitExceeded},
    };
    for (const Rule& rule : kRules) {
        if (message.find(rule.fragment) != std::string_view::npos) return rule.sqlstate;
    }
    return sqlstate::kSyntaxError;
}

SqlError parser_error(const PgQueryError& error, int position_shift) {
    std::string message = error.message != nullptr ? error.message : "syntax error";
    SqlError result(sqlstate_of_parser_error(message), message);
    if (message == "LIMIT #,# syntax is not supported") {
        result.with_hint("Use separate LIMIT and OFFSET clauses.");
    }
    // cursorpos is already PostgreSQL's 1-based character position.
    if (error.cursorpos > position_shift) result.at(error.cursorpos - position_shift);
    return result;
}

// Parses and converts; position_shift characters of `text` are a prefix the caller added.
SqlResult<std::vector<ast::Statement>> parse_shifted(std::string_view text, int position_shift) {
    KB_SQL_TRY(check_encoding(text));
    Converter converter(text, position_shift);
    KB_SQL_TRY(parse_internal::check_depth(text, converter));

    std::string owned(text);  // libpg_query wants a NUL-terminated string
    PgQueryProtobufParseResult parsed = pg_query_parse_protobuf(owned.c_str());
    std::unique_ptr<PgQueryProtobufParseResult, void (*)(PgQueryProtobufParseResult*)> guard(
        &parsed, [](PgQueryProtobufParseResult* r) { pg_query_free_protobuf_parse_result(*r); });
    if (parsed.error != nullptr) return parser_error(*parsed.error, position_shift);

    // The unpacked tree is a few times its packed size; the arena owns all of it.
    UnpackArena arena(4 * parsed.parse_tree.len);
    ProtobufCAllocator allocator = arena.allocator();
    PgQuery__ParseResult* tree =
        pg_query__parse_result__unpack(&allocator, parsed.parse_tree.len,
                                       reinterpret_cast<const uint8_t*>(parsed.parse_tree.data));
    if (tree == nullptr) return SqlError(sqlstate::kInternalError, "could not read parse tree");

    std::vector<ast::Statement> statements;
    statements.reserve(tree->n_stmts);
    for (size_t i = 0; i < tree->n_stmts; ++i) {
        if (tree->stmts[i] == nullptr) return converter.malformed("statement");
        statements.push_back(KB_SQL_TRY(converter.statement(*tree->stmts[i])));
    }
    return statements;
}

}  // namespace

SqlResult<std::vector<ast::Statement>> parse(std::string_view text) {
    return parse_shifted(text, 0);
}

SqlResult<ast::ExprPtr> parse_expression(std::string_view text) {
    static constexpr std::string_view kPrefix = "SELECT ";
    std::string wrapped(kPrefix);
    wrapped += text;
    auto statements = KB_SQL_TRY(parse_shifted(wrapped, static_cast<int>(kPrefix.size())));
    auto not_one_expression = [&]() {
        return SqlError(sqlstate::kSyntaxError,
                        "expected a single expression: \"" + std::string(text) + "\"");
    };
    if (statements.size() != 1) return not_one_expression();
    auto* select = statements[0].as<ast::SelectStatement>();
    if (select == nullptr || select->distinct || select->targets.size() != 1 ||
        !select->targets[0].alias.empty() || select->from || select->where ||
        !select->group_by.empty() || select->having || !select->order_by.empty() || select->limit ||
        select->offset) {
        return not_one_expression();
    }
    ast::ExprPtr expr = std::move(select->targets[0].expr);
    if (const auto* ref = expr->as<ast::ColumnRef>(); ref != nullptr && ref->star) {
        return not_one_expression();
    }
    return expr;
}

}  // namespace kb::sql
