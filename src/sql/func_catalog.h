// The tables behind the function registry (func_registry.h), one per source file, and the
// helpers that build their rows.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "sql/func_registry.h"
#include "sql/value_compare.h"

namespace kb::sql {

std::span<const FunctionDef> operator_catalog();             // func_operators.cc
std::span<const FunctionDef> datetime_operator_catalog();    // func_datetime.cc
std::span<const FunctionDef> string_function_catalog();      // func_string.cc
std::span<const FunctionDef> math_function_catalog();        // func_math.cc
std::span<const FunctionDef> session_function_catalog();     // func_session.cc
std::span<const FunctionDef> operations_function_catalog();  // func_operations.cc
std::span<const FunctionDef> api_key_function_catalog();     // func_api_keys.cc

using Args = std::span<const Value>;

// ok for a superuser's session; 42501 (with a hint) otherwise, 0A000 outside a session. For
// functions that act on the whole database (func_operations.cc, func_api_keys.cc).
SqlStatus require_superuser(const EvalContext& context, const char* function);

inline FunctionDef binary_operator(std::string_view name, SqlType left, SqlType right,
                                   SqlType result, ScalarFunction impl) {
    FunctionDef def;
    def.name = name;
    def.is_operator = true;
    def.param_count = 2;
    def.params[0] = {left};
    def.params[1] = {right};
    def.result = result;
    def.impl = impl;
    return def;
}

inline FunctionDef prefix_operator(std::string_view name, SqlType operand, ScalarFunction impl) {
    FunctionDef def;
    def.name = name;
    def.is_operator = true;
    def.param_count = 1;
    def.params[0] = {operand};
    def.result = operand;
    def.impl = impl;
    return def;
}

// A function with fixed parameter types.
inline FunctionDef function(std::string_view name, std::initializer_list<SqlType> params,
                            SqlType result, ScalarFunction impl) {
    FunctionDef def;
    def.name = name;
    def.param_count = static_cast<u8>(params.size());
    usize i = 0;
    for (SqlType type : params) def.params[i++] = {type};
    def.result = result;
    def.impl = impl;
    return def;
}

enum class Comparison { eq, ne, lt, le, gt, ge };

template <Comparison op, SqlType hint>
SqlResult<Value> compare_operator(Args a, const EvalContext&) {
    const int c = compare_values(a[0], a[1], hint);
    switch (op) {
        case Comparison::eq:
            return Value::boolean(c == 0);
        case Comparison::ne:
            return Value::boolean(c != 0);
        case Comparison::lt:
            return Value::boolean(c < 0);
        case Comparison::le:
            return Value::boolean(c <= 0);
        case Comparison::gt:
            return Value::boolean(c > 0);
        case Comparison::ge:
            return Value::boolean(c >= 0);
    }
    return Value::null();
}

// = <> < <= > >= for one pair of operand types; `hint` is compare_values' type argument.
template <SqlType hint>
void add_comparisons(std::vector<FunctionDef>& out, SqlType left, SqlType right) {
    out.push_back(binary_operator("=", left, right, SqlType::boolean,
                                  compare_operator<Comparison::eq, hint>));
    out.push_back(binary_operator("<>", left, right, SqlType::boolean,
                                  compare_operator<Comparison::ne, hint>));
    out.push_back(binary_operator("<", left, right, SqlType::boolean,
                                  compare_operator<Comparison::lt, hint>));
    out.push_back(binary_operator("<=", left, right, SqlType::boolean,
                                  compare_operator<Comparison::le, hint>));
    out.push_back(binary_operator(">", left, right, SqlType::boolean,
                                  compare_operator<Comparison::gt, hint>));
    out.push_back(binary_operator(">=", left, right, SqlType::boolean,
                                  compare_operator<Comparison::ge, hint>));
}

}  // namespace kb::sql
