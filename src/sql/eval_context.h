// EvalContext: what evaluating an expression may depend on besides its row — the statement's
// parameters and the values the session fixed for the transaction (now(), the uuid source of
// gen_random_uuid(), both logged with the transaction's op so apply never makes them up).
#pragma once

#include <functional>
#include <span>

#include "base/ints.h"
#include "kernel/value.h"

namespace kb::sql {

struct EvalContext {
    std::span<const kernel::Value> parameters{};
    i64 transaction_timestamp = 0;                // now(): timestamptz microseconds
    std::function<kernel::Uuid()> random_uuid{};  // gen_random_uuid()
};

}  // namespace kb::sql
