// EvalContext: what binding and evaluating a statement may depend on besides its rows — the
// statement's parameters (their values, and their types as the client declared them or the
// binder deduced them), the values the session fixed for the transaction (now(), the uuid
// source of gen_random_uuid(), both logged with the transaction's op so apply never makes them
// up), and the session itself (who and where it is, its settings: current_user,
// current_setting(), the system catalog's rows).
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/ints.h"
#include "kernel/value.h"
#include "sql/value_type.h"

namespace kb::db {
class Transaction;
}

namespace kb::sql {

class StatementGuard;

// Who and where a session is, and its settings, for the functions that ask (current_user,
// current_database(), current_setting(), set_config(), pg_backend_pid(): func_session.cc) and
// the system catalog's rows (catalog_tables.h). Filled in by the session (session.h); absent
// outside one (tests of expressions, the fuzzer), where those functions answer with defaults.
struct SessionInfo {
    std::string database_name;  // the tenant's name
    std::string user_name;      // the role's name
    bool superuser = false;     // the role's SUPERUSER as the session started (is_superuser)
    i32 backend_pid = 0;        // BackendKeyData's process id (0: none)
    // A setting's value as SHOW shows it, or nullopt for an unknown name (any case).
    std::function<std::optional<std::string>(std::string_view name)> setting{};
    // set_config(name, value, is_local): SET's rules and errors; the value as SHOW shows it.
    std::function<SqlResult<std::string>(std::string_view name, std::string_view value,
                                         bool is_local)>
        set_setting{};
};

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
    const SessionInfo* session = nullptr;         // nullptr: no session (see SessionInfo)
    // The statement's transaction, for functions that read the catalog or privileges
    // (has_table_privilege); nullptr while describing or outside a session.
    const db::Transaction* transaction = nullptr;
    // The running statement's cancellation, timeout and memory limit (statement_guard.h),
    // checked by the executor's row loops; nullptr: none (tests, the fuzzer, describing).
    StatementGuard* guard = nullptr;
};

}  // namespace kb::sql
