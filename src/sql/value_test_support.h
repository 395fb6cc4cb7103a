// Test support for the value layer: a tiny expression language evaluated through the
// registry exactly as the binder will use it (literals read by input functions, operators and
// functions resolved by PostgreSQL's rules, arguments coerced implicitly, explicit casts), and
// printed both as our result and as the SQL PostgreSQL evaluates, so unit tables and the
// differential test share one evaluator.
#pragma once

#include <string>
#include <vector>

#include "base/prng.h"
#include "sql/func_registry.h"
#include "sql/value_cast.h"
#include "sql/value_io.h"
#include "sql/value_type.h"

namespace kb::sql::testing {

// A type by PostgreSQL's name for it: "integer", "numeric(5,2)", "character varying(3)",
// "character(3)", "timestamp with time zone", "unknown" ...
inline Type type_named(std::string_view name) {
    struct Entry {
        std::string_view name;
        SqlType type;
    };
    static constexpr Entry kNames[] = {
        {"boolean", SqlType::boolean},
        {"smallint", SqlType::smallint},
        {"integer", SqlType::integer},
        {"bigint", SqlType::bigint},
        {"real", SqlType::real},
        {"double precision", SqlType::double_precision},
        {"numeric", SqlType::numeric},
        {"text", SqlType::text},
        {"character varying", SqlType::varchar},
        {"character", SqlType::character},
        {"bpchar", SqlType::character},
        {"bytea", SqlType::bytea},
        {"date", SqlType::date},
        {"timestamp without time zone", SqlType::timestamp},
        {"timestamp with time zone", SqlType::timestamptz},
        {"timestamp", SqlType::timestamp},
        {"timestamptz", SqlType::timestamptz},
        {"int", SqlType::integer},
        {"varchar", SqlType::varchar},
        {"char", SqlType::character},
        {"interval", SqlType::interval},
        {"uuid", SqlType::uuid},
        {"jsonb", SqlType::jsonb},
    };
    if (name == "unknown") return Type::unknown_type();
    std::string_view base = name;
    std::vector<u32> modifiers;
    if (const usize paren = name.find('('); paren != std::string_view::npos) {
        base = name.substr(0, paren);
        std::string_view rest = name.substr(paren + 1);
        while (!rest.empty() && rest[0] != ')') {
            u32 value = 0;
            while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') {
                value = value * 10 + static_cast<u32>(rest[0] - '0');
                rest.remove_prefix(1);
            }
            modifiers.push_back(value);
            if (!rest.empty() && rest[0] == ',') rest.remove_prefix(1);
        }
    }
    for (const Entry& entry : kNames) {
        if (entry.name != base) continue;
        ColumnType column{.type = entry.type};
        if (!modifiers.empty()) {
            if (entry.type == SqlType::numeric) {
                column.precision = static_cast<u16>(modifiers[0]);
                column.scale = static_cast<u16>(modifiers.size() > 1 ? modifiers[1] : 0);
            } else {
                column.length = modifiers[0];
            }
        }
        return Type::of(column);
    }
    KB_ASSERT_MSG(false, "unknown type name in a test");
    KB_UNREACHABLE();
}

struct Expr {
    enum class Kind { literal, null, op, func, cast };
    Kind kind = Kind::literal;
    std::string text;  // literal text; operator or function name
    std::string type;  // literal type ("unknown" for a bare string), cast target
    std::vector<Expr> args;

    // The expression as PostgreSQL reads it.
    std::string sql() const {
        switch (kind) {
            case Kind::literal: {
                std::string quoted = "'";
                for (char c : text) {
                    quoted += c;
                    if (c == '\'') quoted += '\'';
                }
                quoted += "'";
                return type == "unknown" ? quoted : quoted + "::" + type;
            }
            case Kind::null:
                return "NULL";
            case Kind::op:
                if (args.size() == 1) return "(" + text + " " + args[0].sql() + ")";
                return "(" + args[0].sql() + " " + text + " " + args[1].sql() + ")";
            case Kind::func: {
                std::string out = text + "(";
                for (usize i = 0; i < args.size(); ++i) out += (i ? ", " : "") + args[i].sql();
                return out + ")";
            }
            case Kind::cast:
                return "CAST(" + args[0].sql() + " AS " + type + ")";
        }
        return "";
    }
};

inline Expr lit(std::string text, std::string type) {
    return Expr{Expr::Kind::literal, std::move(text), std::move(type), {}};
}
inline Expr unknown(std::string text) { return lit(std::move(text), "unknown"); }
inline Expr null_literal() { return Expr{Expr::Kind::null, "", "unknown", {}}; }
inline Expr op(std::string name, Expr left, Expr right) {
    return Expr{Expr::Kind::op, std::move(name), "", {std::move(left), std::move(right)}};
}
inline Expr prefix(std::string name, Expr operand) {
    return Expr{Expr::Kind::op, std::move(name), "", {std::move(operand)}};
}
inline Expr func(std::string name, std::vector<Expr> args) {
    return Expr{Expr::Kind::func, std::move(name), "", std::move(args)};
}
inline Expr cast(Expr operand, std::string type) {
    return Expr{Expr::Kind::cast, "", std::move(type), {std::move(operand)}};
}

struct Evaluated {
    Type type;
    Value value;
};

// An expression after binding, as PostgreSQL's parse analysis leaves it: types resolved,
// literals already read by their types' input functions (so their errors come first), and
// the coercion each argument still needs.
struct Bound {
    Type type;
    bool constant = false;
    Value value;  // constant
    const Expr* expr = nullptr;
    ResolvedFunction function;    // op / func
    std::vector<Bound> args;      // op / func / cast
    std::vector<Type> coerce_to;  // per argument, op / func; the target of a cast
    Type from;                    // cast: the operand's type
};

// Binds the tree: children left to right, then the node's resolution, then the coercion of
// unknown-typed literal arguments (PostgreSQL reads them at parse time too).
inline SqlResult<Bound> bind(const Expr& expr) {
    Bound out;
    out.expr = &expr;
    switch (expr.kind) {
        case Expr::Kind::null:
            out.type = Type::unknown_type();
            out.constant = true;
            return out;
        case Expr::Kind::literal: {
            out.type = type_named(expr.type);
            out.constant = true;
            out.value = out.type.unknown
                            ? Value::text(expr.text)
                            : KB_SQL_TRY(cast_value(Value::text(expr.text), Type::unknown_type(),
                                                    out.type, CoercionContext::explicit_cast));
            return out;
        }
        case Expr::Kind::cast: {
            Bound operand = KB_SQL_TRY(bind(expr.args[0]));
            out.type = type_named(expr.type);
            if (operand.type.unknown) {
                out.constant = true;
                out.value = KB_SQL_TRY(cast_value(operand.value, operand.type, out.type,
                                                  CoercionContext::explicit_cast));
                return out;
            }
            if (cast_path(operand.type.id(), out.type.id(), CoercionContext::explicit_cast) ==
                CastPath::none) {
                return SqlError(
                    sqlstate::kCannotCoerce,
                    "cannot cast type " + type_name(operand.type) + " to " + type_name(out.type));
            }
            out.from = operand.type;
            out.args.push_back(std::move(operand));
            return out;
        }
        case Expr::Kind::op:
        case Expr::Kind::func: {
            std::vector<Type> types;
            for (const Expr& arg : expr.args) {
                out.args.push_back(KB_SQL_TRY(bind(arg)));
                types.push_back(out.args.back().type);
            }
            if (expr.kind == Expr::Kind::func) {
                out.function = KB_SQL_TRY(resolve_function(expr.text, types));
            } else if (types.size() == 1) {
                out.function = KB_SQL_TRY(resolve_operator(expr.text, std::nullopt, types[0]));
            } else {
                out.function = KB_SQL_TRY(resolve_operator(expr.text, types[0], types[1]));
            }
            for (usize i = 0; i < out.args.size(); ++i) {
                Bound& arg = out.args[i];
                const Type& target = out.function.argument_types[i];
                if (arg.type.unknown && arg.constant) {
                    arg.value = KB_SQL_TRY(
                        cast_value(arg.value, arg.type, target, CoercionContext::implicit));
                    arg.type = target;
                }
            }
            out.type = out.function.result_type;
            return out;
        }
    }
    KB_UNREACHABLE();
}

// Evaluates a bound tree bottom-up, left to right (PostgreSQL's constant folding order).
inline SqlResult<Value> run(const Bound& bound, const EvalContext& context) {
    if (bound.constant) return bound.value;
    if (bound.expr->kind == Expr::Kind::cast) {
        const Value operand = KB_SQL_TRY(run(bound.args[0], context));
        return cast_value(operand, bound.from, bound.type, CoercionContext::explicit_cast);
    }
    std::vector<Value> values;
    for (usize i = 0; i < bound.args.size(); ++i) {
        const Value value = KB_SQL_TRY(run(bound.args[i], context));
        values.push_back(
            KB_SQL_TRY(cast_value(value, bound.args[i].type, bound.function.argument_types[i],
                                  CoercionContext::implicit)));
    }
    return invoke(bound.function, values, context);
}

// GCC 12 at -O1 warns that the moved-from Value in the result "may be used uninitialized"
// (a known false positive with std::variant members); the code is plain.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
inline SqlResult<Evaluated> evaluate(const Expr& expr, const EvalContext& context = {}) {
    auto bound = bind(expr);
    if (!bound) return bound.error();
    auto value = run(*bound, context);
    if (!value) return value.error();
    Evaluated out;
    out.type = bound->type;
    out.value = *value;
    return out;
}
#pragma GCC diagnostic pop

// "NULL", the value's text output, or "ERROR <sqlstate>: <message>".
inline std::string describe(const SqlResult<Evaluated>& result) {
    if (!result) return "ERROR " + result.error().sqlstate + ": " + result.error().message;
    if (result->value.is_null()) return "NULL";
    return value_output(result->value);
}

// PostgreSQL's name for the result type ("unknown" resolves to text, as SELECT 'x' does).
inline std::string result_type_name(const SqlResult<Evaluated>& result) {
    if (!result) return "";
    return result->type.unknown ? "text" : type_name(result->type);
}

// Random JSON text with random spacing, duplicate keys and number spellings.
inline void random_json(Prng& prng, int depth, std::string& out) {
    auto space = [&] {
        static constexpr const char* kSpaces[] = {"", " ", "\n", "\t ", "\r\n"};
        out += kSpaces[prng.uniform(5)];
    };
    static constexpr const char* kKeys[] = {"a", "b", "aa", "", "é", "ab", "b"};
    static constexpr const char* kScalars[] = {"null",
                                               "true",
                                               "false",
                                               "0",
                                               "-0",
                                               "1.50",
                                               "1e2",
                                               "-2.5E-3",
                                               "\"x\"",
                                               "\"\\u00e9\\n\"",
                                               "\"\\ud83d\\ude00\"",
                                               "123456789012345678901234567890",
                                               "\"a\\\"b\""};
    space();
    const u64 kind = depth > 3 ? 2 : prng.uniform(3);
    if (kind == 0) {
        out += '[';
        const u64 n = prng.uniform(4);
        for (u64 i = 0; i < n; ++i) {
            if (i > 0) out += ',';
            random_json(prng, depth + 1, out);
        }
        space();
        out += ']';
    } else if (kind == 1) {
        out += '{';
        const u64 n = prng.uniform(4);
        for (u64 i = 0; i < n; ++i) {
            if (i > 0) out += ',';
            space();
            out += std::string("\"") + kKeys[prng.uniform(7)] + "\"";
            space();
            out += ':';
            random_json(prng, depth + 1, out);
        }
        space();
        out += '}';
    } else {
        out += kScalars[prng.uniform(std::size(kScalars))];
    }
    space();
}

}  // namespace kb::sql::testing
