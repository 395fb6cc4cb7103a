// The binder's questions answered from the value layer (see bind_resolve.h).
#include "sql/bind_resolve.h"

#include <array>

#include "sql/func_registry.h"
#include "sql/value_cast.h"
#include "sql/value_compare.h"
#include "sql/value_io.h"

namespace kb::sql {

namespace {

ResolvedCall call_of(const ResolvedFunction& function) {
    ResolvedCall call;
    call.result = function.result_type;
    call.argument_types = function.argument_types;
    call.strict = function.def->strict;
    call.immutable = function.def->immutable;
    call.impl = [function](std::span<const Value> args, const EvalContext& context) {
        return invoke(function, args, context);
    };
    return call;
}

}  // namespace

SqlResult<ResolvedCall> resolve_operator_call(std::string_view name, const Type* left,
                                              const Type& right) {
    const ResolvedFunction function = KB_SQL_TRY(
        resolve_operator(name, left != nullptr ? std::optional<Type>(*left) : std::nullopt, right));
    return call_of(function);
}

SqlResult<ResolvedCall> resolve_function_call(std::string_view name,
                                              std::span<const Type> arguments) {
    const ResolvedFunction function = KB_SQL_TRY(resolve_function(name, arguments));
    return call_of(function);
}

SqlResult<ScalarImpl> resolve_cast(const Type& from, const Type& to, CoercionContext context) {
    if (!can_coerce(from, to.id(), context)) {
        return SqlError(sqlstate::kCannotCoerce, "cannot cast type " + type_name(from) + " to " +
                                                     type_name_with_modifier(to));
    }
    return ScalarImpl([from, to, context](std::span<const Value> args, const EvalContext&) {
        return cast_value(args[0], from, to, context);
    });
}

SqlResult<Value> value_from_text(std::string_view text, const Type& type) {
    return value_input_with_modifier(text, type);
}

std::string value_to_text(const Value& value, const Type&) { return value_output(value); }

bool is_aggregate(std::string_view name) { return is_aggregate_function(name); }

SqlResult<ResolvedAggregate> resolve_aggregate(std::string_view name,
                                               std::span<const Type> arguments, bool star) {
    // count(*) is count with no arguments.
    const AggregateFunction function =
        KB_SQL_TRY(resolve_aggregate_function(name, star ? std::span<const Type>() : arguments));
    ResolvedAggregate aggregate;
    aggregate.result = function.result_type;
    aggregate.argument_types = function.argument_types;
    aggregate.make = [function] { return function.make_accumulator(); };
    return aggregate;
}

int compare_for_sort(const Value& a, const Value& b, const Type& type) {
    return compare_values(a, b, type.id());
}

bool equal_for_grouping(const Value& a, const Value& b, const Type& type) {
    return values_equal(a, b, type.id());
}

}  // namespace kb::sql
