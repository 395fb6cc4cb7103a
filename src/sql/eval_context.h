// EvalContext: what binding and evaluating a statement may depend on besides its rows — the
// statement's parameters (their values, and their types as the client declared them or the
// binder deduced them) and the values the session fixed for the transaction (now(), the uuid
// source of gen_random_uuid(), both logged with the transaction's op so apply never makes them
// up).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "base/ints.h"
#include "kernel/value.h"
#include "sql/value_type.h"

namespace kb::sql {

// Parameter types ($1 is types[0]): given by the client (a prepared statement's declared or
// described types) or deduced by the binder where $n first meets a type, as PostgreSQL deduces
// them (bind_expr.h). nullopt: not known yet.
struct ParameterTypes {
    std::vector<std::optional<Type>> types;
};

struct EvalContext {
    std::span<const kernel::Value> parameters{};
    // The statement's parameter types: every binder of the statement reads and extends these,
    // so $1 has one type across the whole statement.
    ParameterTypes parameter_types{};
    // Describe only (a prepared statement's description): bind the statement, fill in its
    // result columns, and stop before reading or writing any row. `parameters` then holds
    // NULLs.
    bool describe_only = false;
    i64 transaction_timestamp = 0;                // now(): timestamptz microseconds
    std::function<kernel::Uuid()> random_uuid{};  // gen_random_uuid()
};

}  // namespace kb::sql
