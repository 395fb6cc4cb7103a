// Operator and function resolution (see func_registry.h).
#include "sql/func_registry.h"

#include <array>
#include <map>

#include "sql/func_catalog.h"
#include "sql/value_compare.h"

namespace kb::sql {
namespace {

constexpr const char* kAmbiguousFunction = "42725";

std::vector<FunctionDef> unsupported_signatures();

const std::vector<const FunctionDef*>& all_definitions() {
    static const std::vector<const FunctionDef*> definitions = [] {
        std::vector<const FunctionDef*> out;
        for (auto catalog :
             {operator_catalog(), datetime_operator_catalog(), string_function_catalog(),
              math_function_catalog(), session_function_catalog(), operations_function_catalog(),
              api_key_function_catalog()}) {
            for (const FunctionDef& def : catalog) out.push_back(&def);
        }
        static const std::vector<FunctionDef> unsupported = unsupported_signatures();
        for (const FunctionDef& def : unsupported) out.push_back(&def);
        return out;
    }();
    return definitions;
}

ParamType param_at(const Signature& signature, usize index) {
    if (index < signature.params.size()) return signature.params[index];
    KB_ASSERT(signature.variadic_any);
    return ParamType{.any = true};
}

bool arity_fits(const Signature& signature, usize count) {
    return signature.variadic_any ? count >= signature.params.size()
                                  : count == signature.params.size();
}

bool same_type(const ParamType& param, const Type& argument) {
    return !param.any && param.foreign.empty() && !argument.unknown && param.type == argument.id();
}

bool coerces_to(const Type& argument, const ParamType& param) {
    if (param.any) return true;
    if (!param.foreign.empty()) return argument.unknown;
    return can_coerce(argument, param.type, CoercionContext::implicit);
}

char param_category(const ParamType& param) {
    if (param.any) return 'P';
    if (!param.foreign.empty()) return param.foreign_category;
    return type_category(param.type);
}
bool param_preferred(const ParamType& param) {
    return !param.any && param.foreign.empty() && type_is_preferred(param.type);
}

// Signatures PostgreSQL 15 has for our function names over types we do not implement (from
// the pg_proc query in func_string.cc / func_math.cc). They take part in resolution so an
// unknown-typed argument resolves (or is ambiguous) as in PostgreSQL; choosing one is a
// 0A000 error instead of a different answer.
std::vector<FunctionDef> unsupported_signatures() {
    auto foreign = [](std::string_view name, char category) {
        return ParamType{.foreign = name, .foreign_category = category};
    };
    auto def = [](std::string_view name, std::initializer_list<ParamType> params) {
        FunctionDef d;
        d.name = name;
        usize i = 0;
        for (const ParamType& p : params) d.params[i++] = p;
        d.param_count = static_cast<u8>(params.size());
        return d;
    };
    const ParamType bit = foreign("bit", 'V');
    const ParamType i4{SqlType::integer};
    const ParamType text{SqlType::text};
    return {
        def("length", {bit}),
        def("length", {foreign("lseg", 'G')}),
        def("length", {foreign("path", 'G')}),
        def("length", {foreign("tsvector", 'U')}),
        def("length", {ParamType{SqlType::bytea}, foreign("name", 'S')}),
        def("octet_length", {bit}),
        def("position", {bit, bit}),
        def("substring", {bit, i4}),
        def("substring", {bit, i4, i4}),
        def("substring", {text, text}),        // regular expression
        def("substring", {text, text, text}),  // SQL regular expression
        def("trunc", {foreign("macaddr", 'U')}),
        def("trunc", {foreign("macaddr8", 'U')}),
    };
}

std::string param_name(const ParamType& param) {
    if (!param.foreign.empty()) return std::string(param.foreign);
    return param.any ? "anynonarray" : type_name(param.type);
}

SqlError unsupported(const FunctionDef& def) {
    std::string signature = std::string(def.name) + "(";
    for (u8 i = 0; i < def.param_count; ++i) {
        signature += (i ? ", " : "") + param_name(def.params[i]);
    }
    return SqlError(sqlstate::kFeatureNotSupported, (def.is_operator ? "operator " : "function ") +
                                                        signature + ") is not supported");
}

// Keeps the candidates with the highest score; all of them when every score is 0.
template <class Score>
void keep_best(std::vector<int>& live, Score score) {
    int best = -1;
    std::vector<int> kept;
    for (int index : live) {
        const int s = score(index);
        if (s > best) {
            best = s;
            kept.clear();
        }
        if (s == best) kept.push_back(index);
    }
    live = std::move(kept);
}

std::string operator_signature(std::string_view name, const std::optional<Type>& left,
                               const Type& right) {
    std::string out;
    if (left) out += type_name(*left) + " ";
    out += std::string(name) + " " + type_name(right);
    return out;
}

Type argument_type_for(const ParamType& param, const Type& argument) {
    if (!param.any) return Type::of(param.type);
    // A polymorphic slot keeps the argument's type; an unknown literal becomes text.
    return argument.unknown ? Type::of(SqlType::text) : argument.without_modifier();
}

ResolvedFunction resolved(const FunctionDef* def, std::span<const Type> arguments) {
    ResolvedFunction out;
    out.def = def;
    const Signature signature{std::span(def->params, def->param_count), def->variadic_any};
    for (usize i = 0; i < arguments.size(); ++i) {
        out.argument_types.push_back(argument_type_for(param_at(signature, i), arguments[i]));
    }
    out.result_type = Type::of(def->result);
    return out;
}

// The definitions of `name` in catalog order. Binding asks for every operator and call it
// resolves, so the catalog is indexed by name once (a scan of every definition cost ~5% of a
// prepared point SELECT).
const std::vector<const FunctionDef*>& definitions_named(std::string_view name, bool is_operator) {
    using Index = std::map<std::string, std::vector<const FunctionDef*>, std::less<>>;
    static const std::array<Index, 2> indexes = [] {
        std::array<Index, 2> out;
        for (const FunctionDef* def : all_definitions()) {
            out[def->is_operator ? 1 : 0][std::string(def->name)].push_back(def);
        }
        return out;
    }();
    static const std::vector<const FunctionDef*> none;
    const Index& index = indexes[is_operator ? 1 : 0];
    const auto found = index.find(name);
    return found == index.end() ? none : found->second;
}

}  // namespace

std::string argument_list(std::span<const Type> arguments) {
    std::string out;
    for (usize i = 0; i < arguments.size(); ++i) {
        if (i > 0) out += ", ";
        out += type_name(arguments[i]);
    }
    return out;
}

std::optional<int> select_candidate(std::span<const Signature> candidates,
                                    std::span<const Type> arguments) {
    const usize n = arguments.size();
    // An exact match.
    for (usize c = 0; c < candidates.size(); ++c) {
        if (!arity_fits(candidates[c], n)) continue;
        bool exact = true;
        for (usize i = 0; i < n && exact; ++i)
            exact = same_type(param_at(candidates[c], i), arguments[i]);
        if (exact) return static_cast<int>(c);
    }
    // func_match_argtypes: every argument coerces implicitly.
    std::vector<int> live;
    for (usize c = 0; c < candidates.size(); ++c) {
        if (!arity_fits(candidates[c], n)) continue;
        bool fits = true;
        for (usize i = 0; i < n && fits; ++i)
            fits = coerces_to(arguments[i], param_at(candidates[c], i));
        if (fits) live.push_back(static_cast<int>(c));
    }
    if (live.empty()) return std::nullopt;
    if (live.size() == 1) return live[0];

    // func_select_candidate. Most exact matches.
    auto param = [&](int c, usize i) { return param_at(candidates[static_cast<usize>(c)], i); };
    keep_best(live, [&](int c) {
        int matches = 0;
        for (usize i = 0; i < n; ++i) matches += same_type(param(c, i), arguments[i]) ? 1 : 0;
        return matches;
    });
    if (live.size() == 1) return live[0];
    // Exact matches or preferred types of the argument's own category.
    keep_best(live, [&](int c) {
        int matches = 0;
        for (usize i = 0; i < n; ++i) {
            if (arguments[i].unknown) continue;
            const ParamType p = param(c, i);
            if (same_type(p, arguments[i]) ||
                (param_preferred(p) && param_category(p) == type_category(arguments[i]))) {
                ++matches;
            }
        }
        return matches;
    });
    if (live.size() == 1) return live[0];

    usize unknowns = 0;
    for (const Type& argument : arguments) unknowns += argument.unknown ? 1 : 0;
    if (unknowns == 0) return -1;

    // Unknown arguments: the category the candidates accept there (string if any does),
    // preferring that category's preferred type when some candidate takes it.
    std::vector<char> slot_category(n, 0);
    std::vector<bool> slot_preferred(n, false);
    bool resolved_unknowns = true;
    for (usize i = 0; i < n && resolved_unknowns; ++i) {
        if (!arguments[i].unknown) continue;
        bool conflict = false;
        for (int c : live) {
            const ParamType p = param(c, i);
            const char category = param_category(p);
            if (slot_category[i] == 0) {
                slot_category[i] = category;
                slot_preferred[i] = param_preferred(p);
            } else if (category == slot_category[i]) {
                slot_preferred[i] = slot_preferred[i] || param_preferred(p);
            } else if (category == 'S') {
                slot_category[i] = category;
                slot_preferred[i] = param_preferred(p);
            } else {
                conflict = true;
            }
        }
        if (conflict && slot_category[i] != 'S') resolved_unknowns = false;
    }
    if (resolved_unknowns) {
        std::vector<int> kept;
        for (int c : live) {
            bool keep = true;
            for (usize i = 0; i < n && keep; ++i) {
                if (!arguments[i].unknown) continue;
                const ParamType p = param(c, i);
                if (param_category(p) != slot_category[i]) keep = false;
                if (slot_preferred[i] && !param_preferred(p)) keep = false;
            }
            if (keep) kept.push_back(c);
        }
        if (!kept.empty()) live = std::move(kept);
        if (live.size() == 1) return live[0];
    }

    // Last gasp: all known arguments share one type; try the unknowns as that type.
    if (unknowns < n) {
        std::optional<Type> known;
        bool same = true;
        for (const Type& argument : arguments) {
            if (argument.unknown) continue;
            if (!known) {
                known = argument;
            } else if (!known->same_base(argument)) {
                same = false;
            }
        }
        if (known && same) {
            int match = -1;
            int matches = 0;
            for (int c : live) {
                bool fits = true;
                for (usize i = 0; i < n && fits; ++i) fits = coerces_to(*known, param(c, i));
                if (fits) {
                    ++matches;
                    match = c;
                }
            }
            if (matches == 1) return match;
        }
    }
    return -1;
}

SqlResult<ResolvedFunction> resolve_operator(std::string_view name, std::optional<Type> left,
                                             const Type& right) {
    const u8 arity = left ? 2 : 1;
    std::vector<const FunctionDef*> defs;
    for (const FunctionDef* def : definitions_named(name, true)) {
        if (def->param_count == arity) defs.push_back(def);
    }
    std::vector<Type> arguments;
    if (left) arguments.push_back(*left);
    arguments.push_back(right);
    // binary_oper_exact: an unknown side is taken as the other side's type.
    if (left && left->unknown != right.unknown) {
        const Type known = left->unknown ? right : *left;
        for (const FunctionDef* def : defs) {
            if (!def->params[0].any && !def->params[1].any && def->params[0].type == known.id() &&
                def->params[1].type == known.id()) {
                return resolved(def, arguments);
            }
        }
    }
    std::vector<Signature> signatures;
    for (const FunctionDef* def : defs) {
        signatures.push_back(Signature{std::span(def->params, def->param_count), false});
    }
    const std::optional<int> choice = select_candidate(signatures, arguments);
    if (!choice) {
        return SqlError(sqlstate::kUndefinedFunction,
                        "operator does not exist: " + operator_signature(name, left, right))
            .with_hint(
                "No operator matches the given name and argument types. You might need to add "
                "explicit type casts.");
    }
    if (*choice < 0) {
        return SqlError(kAmbiguousFunction,
                        "operator is not unique: " + operator_signature(name, left, right))
            .with_hint(
                "Could not choose a best candidate operator. You might need to add explicit "
                "type casts.");
    }
    const FunctionDef* chosen = defs[static_cast<usize>(*choice)];
    if (chosen->impl == nullptr) return unsupported(*chosen);
    return resolved(chosen, arguments);
}

SqlResult<ResolvedFunction> resolve_function(std::string_view name,
                                             std::span<const Type> arguments) {
    const std::vector<const FunctionDef*> defs = definitions_named(name, false);
    std::vector<Signature> signatures;
    for (const FunctionDef* def : defs) {
        signatures.push_back(
            Signature{std::span(def->params, def->param_count), def->variadic_any});
    }
    const std::optional<int> choice = select_candidate(signatures, arguments);
    const std::string signature = std::string(name) + "(" + argument_list(arguments) + ")";
    if (!choice) {
        return SqlError(sqlstate::kUndefinedFunction, "function " + signature + " does not exist")
            .with_hint(
                "No function matches the given name and argument types. You might need to add "
                "explicit type casts.");
    }
    if (*choice < 0) {
        return SqlError(kAmbiguousFunction, "function " + signature + " is not unique")
            .with_hint(
                "Could not choose a best candidate function. You might need to add explicit "
                "type casts.");
    }
    const FunctionDef* chosen = defs[static_cast<usize>(*choice)];
    if (chosen->impl == nullptr) return unsupported(*chosen);
    return resolved(chosen, arguments);
}

SqlResult<Value> invoke(const ResolvedFunction& function, std::span<const Value> arguments,
                        const EvalContext& context) {
    KB_ASSERT(function.def != nullptr && function.def->impl != nullptr);
    if (function.def->strict) {
        for (const Value& argument : arguments) {
            if (argument.is_null()) return Value::null();
        }
    }
    return function.def->impl(arguments, context);
}

Value greatest_least(std::span<const Value> values, SqlType type, bool greatest) {
    const Value* best = nullptr;
    for (const Value& value : values) {
        if (value.is_null()) continue;
        if (best == nullptr) {
            best = &value;
            continue;
        }
        const int c = compare_values(value, *best, type);
        if (greatest ? c > 0 : c < 0) best = &value;
    }
    return best == nullptr ? Value::null() : *best;
}

}  // namespace kb::sql
