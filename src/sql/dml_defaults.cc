// Column defaults and assignments (see dml_defaults.h).
#include "sql/dml_defaults.h"

#include "sql/bind_resolve.h"
#include "sql/parse.h"

namespace kb::sql {

SqlStatus check_assignable(const Type& from, const kernel::ColumnDef& column, int position) {
    const Type target = Type::of(column.type);
    if (from == target || from.unknown ||
        can_coerce(from, target.id(), CoercionContext::assignment)) {
        return sql_ok();
    }
    return SqlError(sqlstate::kDatatypeMismatch,
                    "column \"" + column.name + "\" is of type " + type_name(target) +
                        " but expression is of type " + type_name(from))
        .with_hint("You will need to rewrite or cast the expression.")
        .at(position);
}

SqlResult<BoundExpr> bind_assignment(ExprBinder& binder, const ast::Expr& expr,
                                     const kernel::ColumnDef& column) {
    const Type target = Type::of(column.type);
    BoundExpr bound = KB_SQL_TRY(binder.bind(expr, target));
    if (bound.type == target) return bound;
    KB_SQL_TRY(check_assignable(bound.type, column, expr.position));
    return binder.coerce(std::move(bound), target, CoercionContext::assignment);
}

SqlResult<Value> ColumnDefaults::value(usize column_index) {
    const kernel::ColumnDef& column = table_.columns[column_index];
    const Type type = Type::of(column.type);
    kernel::SequenceId sequence{};
    if (column.identity != kernel::Identity::none) sequence = column.identity_sequence;
    if (column.default_value.kind == kernel::DefaultKind::nextval) {
        sequence = column.default_value.sequence;
    }
    if (sequence != kernel::SequenceId{}) {
        const i64 next = KB_SQL_TRY(next_value(sequence));
        return cast_value(Value::int64(next), Type::of(SqlType::bigint), type);
    }
    switch (column.default_value.kind) {
        case kernel::DefaultKind::none:
            return Value::null();
        case kernel::DefaultKind::now:
            return cast_value(Value::timestamptz(eval_->transaction_timestamp),
                              Type::of(SqlType::timestamptz), type);
        case kernel::DefaultKind::gen_random_uuid:
            return cast_value(Value::uuid(eval_->random_uuid()), Type::of(SqlType::uuid), type);
        case kernel::DefaultKind::constant:
            if (column.default_value.constant_is_null) return Value::null();
            return value_from_text(column.default_value.constant_text, type);
        default: {
            ast::ExprPtr expr = KB_SQL_TRY(parse_expression(column.default_value.expression));
            Scope empty;
            ParameterTypes none;
            ExprBinder binder(empty, none);
            BoundExpr bound = KB_SQL_TRY(bind_assignment(binder, *expr, column));
            return evaluate(bound, {}, *eval_);
        }
    }
}

SqlResult<Value> ColumnDefaults::cast_value(Value value, const Type& from, const Type& to) {
    if (from == to) return value;
    ScalarImpl cast = KB_SQL_TRY(resolve_cast(from, to, CoercionContext::assignment));
    Value args[] = {std::move(value)};
    return cast(args, *eval_);
}

SqlResult<i64> ColumnDefaults::next_value(kernel::SequenceId sequence) {
    auto& block = blocks_[sequence.value()];
    if (block.count == 0) {
        auto reserved = transaction_->reserve_sequence(sequence, expected_rows_);
        if (!reserved) {
            const kernel::SequenceSchema* schema = transaction_->catalog().sequence(sequence);
            const std::string name = schema != nullptr ? schema->name : "?";
            if (reserved.status().code() == StatusCode::out_of_range) {
                return SqlError("2200H",
                                "nextval: reached maximum value of sequence \"" + name + "\"");
            }
            return from_status(reserved.status());
        }
        block = *reserved;
    }
    const i64 value = block.first;
    block.first += block.increment;
    --block.count;
    return value;
}

}  // namespace kb::sql
