// Type names: PostgreSQL's type names (after the grammar's own rewriting: `integer` is
// pg_catalog.int4, `character varying(5)` pg_catalog.varchar with typmod 5, `float(10)`
// pg_catalog.float4) resolved to kernel::ColumnType, with typmods checked as PostgreSQL's
// typmodin functions check them and with the same messages.
#include <cstring>
#include <string>

#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {
namespace {

using kernel::SqlType;

enum class Modifiers { none, length, numeric, timestamp, interval, bpchar };

struct KnownType {
    const char* name;  // PostgreSQL's internal name
    SqlType type;
    Modifiers modifiers;
};

constexpr KnownType kTypes[] = {
    {"int2", SqlType::smallint, Modifiers::none},
    {"int4", SqlType::integer, Modifiers::none},
    {"int8", SqlType::bigint, Modifiers::none},
    {"float4", SqlType::real, Modifiers::none},
    {"float8", SqlType::double_precision, Modifiers::none},
    {"numeric", SqlType::numeric, Modifiers::numeric},
    {"text", SqlType::text, Modifiers::none},
    {"varchar", SqlType::varchar, Modifiers::length},
    {"bpchar", SqlType::character, Modifiers::bpchar},
    {"bool", SqlType::boolean, Modifiers::none},
    {"bytea", SqlType::bytea, Modifiers::none},
    {"date", SqlType::date, Modifiers::none},
    {"timestamp", SqlType::timestamp, Modifiers::timestamp},
    {"timestamptz", SqlType::timestamptz, Modifiers::timestamp},
    {"interval", SqlType::interval, Modifiers::interval},
    {"uuid", SqlType::uuid, Modifiers::none},
    {"jsonb", SqlType::jsonb, Modifiers::none},
};

struct SerialType {
    const char* name;
    SqlType type;
};

constexpr SerialType kSerials[] = {
    {"serial", SqlType::integer},       {"serial4", SqlType::integer},
    {"bigserial", SqlType::bigint},     {"serial8", SqlType::bigint},
    {"smallserial", SqlType::smallint}, {"serial2", SqlType::smallint},
};

// Built-in PostgreSQL types outside issue 5: refused as unsupported rather than unknown.
constexpr const char* kOtherBuiltins[] = {
    "json",      "xml",       "money",         "time",        "timetz",     "bit",
    "varbit",    "inet",      "cidr",          "macaddr",     "macaddr8",   "point",
    "line",      "lseg",      "box",           "path",        "polygon",    "circle",
    "tsvector",  "tsquery",   "oid",           "regclass",    "regtype",    "regproc",
    "name",      "char",      "int2vector",    "oidvector",   "pg_lsn",     "int4range",
    "int8range", "numrange",  "tsrange",       "tstzrange",   "daterange",  "record",
    "void",      "cstring",   "jsonpath",      "xid",         "xid8",       "cid",
    "tid",       "refcursor", "txid_snapshot", "pg_snapshot", "anyelement", "anyarray",
};

std::string joined_name(const PgQuery__TypeName& type) {
    std::string name;
    for (size_t i = 0; i < type.n_names; ++i) {
        const char* part = string_of(type.names[i]);
        if (i > 0) name += '.';
        name += part != nullptr ? part : "?";
    }
    return name;
}

}  // namespace

SqlResult<ast::TypeName> Converter::type_name(const PgQuery__TypeName* type, TypeContext context,
                                              bool* serial) {
    if (type == nullptr || type->n_names == 0) return malformed("type name");
    const int32_t at = type->location;
    if (type->n_array_bounds > 0) return unsupported("array types", at);
    if (type->setof) return unsupported("SETOF", at);
    if (type->pct_type) return unsupported("%TYPE", at);
    if (serial != nullptr) *serial = false;

    // Unqualified names, or names the grammar qualified with pg_catalog.
    const char* name = nullptr;
    if (type->n_names == 1) {
        name = string_of(type->names[0]);
    } else if (type->n_names == 2) {
        const char* schema = string_of(type->names[0]);
        if (schema != nullptr && std::strcmp(schema, "pg_catalog") == 0) {
            name = string_of(type->names[1]);
        }
    }
    auto does_not_exist = [&]() {
        return error(sqlstate::kUndefinedObject,
                     "type \"" + joined_name(*type) + "\" does not exist", at);
    };
    if (name == nullptr) {
        if (type->n_names > 2) {
            return unsupported("cross-database references (" + joined_name(*type) + ")", at);
        }
        const char* schema = string_of(type->names[0]);
        if (schema != nullptr && std::strcmp(schema, "public") != 0) {
            return error("3F000", "schema \"" + std::string(schema) + "\" does not exist", at);
        }
        return does_not_exist();
    }

    // serial and friends: only unqualified, only in a column definition (elsewhere PostgreSQL
    // does not know the name either).
    if (type->n_names == 1 && context == TypeContext::column) {
        for (const SerialType& s : kSerials) {
            if (std::strcmp(name, s.name) != 0) continue;
            if (type->n_typmods > 0) {
                return error(sqlstate::kSyntaxError,
                             "type modifier is not allowed for type \"" + std::string(name) + "\"",
                             at);
            }
            if (serial != nullptr) *serial = true;
            return ast::TypeName{.type = {.type = s.type}, .position = position(at)};
        }
    }

    const KnownType* known = nullptr;
    for (const KnownType& candidate : kTypes) {
        if (std::strcmp(name, candidate.name) == 0) known = &candidate;
    }
    if (known == nullptr) {
        for (const char* other : kOtherBuiltins) {
            if (std::strcmp(name, other) == 0) {
                return unsupported("type " + std::string(name), at);
            }
        }
        return does_not_exist();
    }

    // Type modifiers: integer constants only (PostgreSQL also takes identifiers and strings
    // and hands them to the type's typmodin, which rejects them for every type here).
    std::vector<i64> mods;
    for (size_t i = 0; i < type->n_typmods; ++i) {
        const PgQuery__Node* mod = type->typmods[i];
        if (mod == nullptr || mod->node_case != PG_QUERY__NODE__NODE_A_CONST ||
            mod->a_const->val_case != PG_QUERY__A__CONST__VAL_IVAL) {
            return error(sqlstate::kInvalidParameterValue,
                         "invalid type modifier for type \"" + std::string(name) + "\"", at);
        }
        mods.push_back(mod->a_const->ival->ival);
    }

    ast::TypeName result{.type = {.type = known->type}, .position = position(at)};
    auto invalid = [&](std::string message) {
        return error(sqlstate::kInvalidParameterValue, std::move(message), at);
    };
    switch (known->modifiers) {
        case Modifiers::none:
            if (!mods.empty()) {
                return error(sqlstate::kSyntaxError,
                             "type modifier is not allowed for type \"" + std::string(name) + "\"",
                             at);
            }
            break;
        case Modifiers::length:
        case Modifiers::bpchar: {
            const char* shown = known->modifiers == Modifiers::length ? "varchar" : "char";
            if (mods.size() > 1) return invalid("invalid type modifier");
            if (mods.empty()) {
                // bpchar without a length is unbounded: casts only (a column's char is
                // char(1) already by the grammar).
                if (known->modifiers == Modifiers::bpchar && context == TypeContext::column) {
                    return unsupported("type bpchar without a length", at);
                }
                break;
            }
            if (mods[0] < 1) {
                return invalid("length for type " + std::string(shown) + " must be at least 1");
            }
            if (mods[0] > 10485760) {
                return invalid("length for type " + std::string(shown) + " cannot exceed 10485760");
            }
            result.type.length = static_cast<u32>(mods[0]);
            break;
        }
        case Modifiers::numeric: {
            if (mods.empty()) break;
            if (mods.size() > 2) return invalid("invalid NUMERIC type modifier");
            i64 precision = mods[0];
            i64 scale = mods.size() == 2 ? mods[1] : 0;
            if (precision < 1 || precision > 1000) {
                return invalid("NUMERIC precision " + std::to_string(precision) +
                               " must be between 1 and 1000");
            }
            if (scale < -1000 || scale > 1000) {
                return invalid("NUMERIC scale " + std::to_string(scale) +
                               " must be between -1000 and 1000");
            }
            if (scale < 0 || scale > precision) {
                return unsupported("NUMERIC scale " + std::to_string(scale) +
                                       " outside 0 to the precision " + std::to_string(precision),
                                   at);
            }
            result.type.precision = static_cast<u16>(precision);
            result.type.scale = static_cast<u16>(scale);
            break;
        }
        case Modifiers::timestamp: {
            if (mods.empty()) break;
            if (mods.size() > 1) return invalid("invalid type modifier");
            const char* shown = known->type == SqlType::timestamp ? "TIMESTAMP" : "TIMESTAMPTZ";
            if (mods[0] < 0) {
                return invalid(std::string(shown) + "(" + std::to_string(mods[0]) +
                               ") precision must not be negative");
            }
            // PostgreSQL reduces a precision above 6 to 6 (with a warning): the same type.
            if (mods[0] < 6) {
                return unsupported(std::string(shown) + "(" + std::to_string(mods[0]) +
                                       ") (fractional-second precision below 6)",
                                   at);
            }
            break;
        }
        case Modifiers::interval:
            if (!mods.empty()) return unsupported("interval fields or precision", at);
            break;
    }
    return result;
}

}  // namespace kb::sql::parse_internal
