// Session: statement loop, transaction state machine, settings (see session.h).
#include "sql/session.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>

#include "crypto/random.h"
#include "kernel/kernel_reads.h"
#include "sql/bind_resolve.h"
#include "sql/copy.h"
#include "sql/parse.h"
#include "sql/prepared.h"
#include "sql/session_settings.h"

namespace kb::sql {

namespace {

SqlError in_failed_transaction() {
    return SqlError(sqlstate::kInFailedSqlTransaction,
                    "current transaction is aborted, commands ignored until end of transaction "
                    "block");
}

// Whether kimberlite.as_of_position or kimberlite.as_of_timestamp is set (to a non-empty value).
bool time_travel_set(const std::map<std::string, std::string, std::less<>>& settings) {
    for (std::string_view name : {"kimberlite.as_of_position", "kimberlite.as_of_timestamp"}) {
        auto found = settings.find(name);
        if (found != settings.end() && !found->second.empty()) return true;
    }
    return false;
}

// The command a role or grant statement is, for messages ("CREATE ROLE", "GRANT", ...).
std::string_view statement_kind(const ast::Statement& statement) {
    if (statement.is<ast::CreateRoleStatement>()) return "CREATE ROLE";
    if (statement.is<ast::AlterRoleStatement>()) return "ALTER ROLE";
    if (statement.is<ast::DropRoleStatement>()) return "DROP ROLE";
    return statement.as<ast::GrantStatement>()->revoke ? "REVOKE" : "GRANT";
}

StatementResult tagged(std::string tag) {
    StatementResult result;
    result.tag = std::move(tag);
    return result;
}

}  // namespace

struct Session::Open {
    db::Transaction transaction;
    std::vector<std::pair<std::string, db::Transaction::Mark>> savepoints;
    // Begun by a statement of a text of several statements, not by BEGIN (session.h).
    bool implicit = false;
};

Session::Session(db::TransactionHost& host, TenantId tenant, PrincipalId principal,
                 SessionOptions options)
    : host_(host),
      tenant_(tenant),
      principal_(principal),
      options_(options),
      defaults_(default_settings()),
      info_(session_identity(host, tenant, principal, options_)) {
    if (options_.statement_timeout_ms != 0) {
        auto shown = assign_setting_text(defaults_, "statement_timeout",
                                         std::to_string(options_.statement_timeout_ms));
        KB_ASSERT_MSG(shown.has_value(), "statement_timeout_ms is not a valid statement_timeout");
    }
    settings_ = defaults_;
    info_.setting = [this](std::string_view name) { return setting(name); };
    info_.set_setting = [this](std::string_view name, std::string_view value,
                               bool is_local) -> SqlResult<std::string> {
        if (is_local) {
            return SqlError(sqlstate::kFeatureNotSupported,
                            "set_config with is_local = true is not supported");
        }
        return assign_setting_text(settings_, name, value);
    };
}

Session::~Session() = default;

TransactionStatus Session::transaction_status() const {
    if (open_ == nullptr) return TransactionStatus::idle;
    return failed_ ? TransactionStatus::failed : TransactionStatus::in_transaction;
}

std::optional<std::string> Session::setting(std::string_view name) const {
    return read_setting(settings_, info_, name);
}

void Session::fail_transaction() {
    if (open_ == nullptr) return;
    if (open_->implicit) {
        abort_implicit();
    } else {
        failed_ = true;
    }
}

std::vector<SqlResult<StatementResult>> Session::execute(std::string_view text) {
    Request request(*this);
    std::vector<SqlResult<StatementResult>> results;
    auto statements = parse(text);
    if (!statements) {
        if (open_ != nullptr) failed_ = true;
        results.emplace_back(statements.error());
        return results;
    }
    // Several statements share one implicit transaction (session.h).
    multi_ = statements->size() > 1;
    return run_all(std::move(*statements));
}

std::vector<SqlResult<StatementResult>> Session::run_all(std::vector<ast::Statement> statements) {
    std::vector<SqlResult<StatementResult>> results;
    for (usize i = 0; i < statements.size(); ++i) {
        results.push_back(run(statements[i], Bindings{}));
        if (!results.back().has_value()) {
            abort_implicit();
            break;
        }
        if (copy_ != nullptr) {
            // The rest waits for the COPY's data (execute_rest); so does the end of the text.
            rest_.assign(std::make_move_iterator(statements.begin() + static_cast<long>(i) + 1),
                         std::make_move_iterator(statements.end()));
            return results;
        }
    }
    end_text(results);
    return results;
}

void Session::end_text(std::vector<SqlResult<StatementResult>>& results) {
    multi_ = false;
    if (open_ == nullptr || !open_->implicit) return;
    std::unique_ptr<Open> open = std::move(open_);
    failed_ = false;
    // Not retried on a conflict, unlike a statement of its own: the results are out already.
    auto committed = commit(open->transaction);
    if (!committed) results.emplace_back(committed.error());
}

void Session::abort_implicit() {
    if (open_ != nullptr && open_->implicit) {
        open_.reset();  // nothing of the text's transaction was committed
        failed_ = false;
    }
    multi_ = false;
}

SqlStatus Session::start_statement() {
    std::optional<StatementGuard::Clock::time_point> deadline;
    if (auto found = settings_.find("statement_timeout"); found != settings_.end()) {
        const std::optional<i64> ms = setting_milliseconds(found->second);
        if (ms && *ms > 0) {
            deadline = StatementGuard::Clock::now() + std::chrono::milliseconds(*ms);
        }
    }
    guard_.arm(cancel_.get(), deadline, options_.max_result_bytes);
    return guard_.check();
}

SqlResult<StatementResult> Session::run(const ast::Statement& statement, const Bindings& bindings) {
    KB_ASSERT_MSG(copy_ == nullptr, "a statement ran while COPY FROM STDIN takes data");
    if (const auto* control = statement.as<ast::TransactionStatement>()) {
        // Never stopped: a COMMIT, once it runs, finishes (statement_guard.h).
        return run_transaction_control(*control);
    }
    if (open_ != nullptr && failed_) return in_failed_transaction();
    if (auto started = start_statement(); !started) {
        if (open_ != nullptr) failed_ = true;
        return started.error();
    }
    if (const auto* copy = statement.as<ast::CopyStatement>(); copy != nullptr && copy->from) {
        return start_copy_from(*copy);
    }
    if (statement.is<ast::CreateDatabaseStatement>() ||
        statement.is<ast::DropDatabaseStatement>()) {
        // Tenants are made and dropped by ops of their own: not part of a transaction (nor of
        // a text's implicit one).
        if (open_ != nullptr || multi_) {
            if (open_ != nullptr) failed_ = true;
            return SqlError(
                sqlstate::kActiveSqlTransaction,
                std::string(statement.is<ast::CreateDatabaseStatement>() ? "CREATE DATABASE"
                                                                         : "DROP DATABASE") +
                    " cannot run inside a transaction block");
        }
        if (time_travel_set(settings_)) {
            return SqlError(sqlstate::kReadOnlySqlTransaction,
                            "cannot write while kimberlite.as_of_position or "
                            "kimberlite.as_of_timestamp is set");
        }
        return run_database_statement(statement);
    }
    if (statement.is<ast::SetStatement>() || statement.is<ast::ResetStatement>() ||
        statement.is<ast::ShowStatement>()) {
        return run_set(statement);
    }
    if (statement.is<ast::CreateRoleStatement>() || statement.is<ast::AlterRoleStatement>() ||
        statement.is<ast::DropRoleStatement>() || statement.is<ast::GrantStatement>()) {
        // Each is its own op, logged at once: not part of a transaction (docs/SQL.md).
        if (open_ != nullptr || multi_) {
            if (open_ != nullptr) failed_ = true;
            return SqlError(
                sqlstate::kActiveSqlTransaction,
                std::string(statement_kind(statement)) + " cannot run inside a transaction block");
        }
        if (time_travel_set(settings_)) {
            return SqlError(sqlstate::kReadOnlySqlTransaction,
                            "cannot write while kimberlite.as_of_position or "
                            "kimberlite.as_of_timestamp is set");
        }
        return run_access_statement(statement);
    }
    if (open_ == nullptr) {
        // Alone, or reading through time travel: a transaction of its own.
        if (!multi_ || time_travel_set(settings_)) return run_autocommit(statement, bindings);
        // The first statement of a text's implicit transaction that needs one.
        db::Transaction transaction = KB_SQL_TRY(begin_transaction());
        open_ = std::make_unique<Open>(Open{std::move(transaction), {}, true});
        failed_ = false;
    }
    if (time_travel_set(settings_)) {
        failed_ = true;
        return SqlError(sqlstate::kFeatureNotSupported,
                        "time travel (kimberlite.as_of_*) inside a transaction block is not "
                        "supported");
    }
    auto result = run_in_transaction(statement, open_->transaction, bindings);
    if (!result) failed_ = true;
    return result;
}

SqlResult<db::Transaction> Session::begin_transaction() {
    auto begun = db::Transaction::begin(host_, tenant_, principal_);
    if (!begun) {
        return SqlError(sqlstate::kInvalidCatalogName, begun.status().message());
    }
    return std::move(*begun);
}

SqlResult<StatementResult> Session::run_in_transaction(const ast::Statement& statement,
                                                       db::Transaction& transaction,
                                                       const Bindings& bindings) {
    EvalContext eval = eval_for(transaction);
    eval.parameters = bindings.values;
    eval.parameter_types.types.assign(bindings.types.begin(), bindings.types.end());
    StatementResult result = KB_SQL_TRY(
        execute_statement(statement, transaction, eval, bindings.plan_cache, bindings.recycle));
    if (bindings.expected != nullptr && (result.returns_rows != bindings.expected->returns_rows ||
                                         result.columns != bindings.expected->columns)) {
        // A prepared statement bound again after DDL: its rows would not be what the client
        // was told to expect (PostgreSQL refuses the same way; the client prepares again).
        return SqlError(sqlstate::kFeatureNotSupported, "cached plan must not change result type");
    }
    return result;
}

db::Transaction* Session::open_transaction() {
    return open_ != nullptr ? &open_->transaction : nullptr;
}

EvalContext Session::eval_for(db::Transaction& transaction) {
    EvalContext eval;
    eval.session = &info_;
    eval.transaction = &transaction;
    eval.guard = &guard_;
    // now(): fixed for the transaction, logged with its op (FixedValues).
    if (!transaction.fixed_values().transaction_timestamp_us) {
        const auto since_unix = std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        constexpr i64 kUnixToPostgresEpochUs = 946'684'800'000'000;
        kernel::FixedValues fixed = transaction.fixed_values();
        fixed.transaction_timestamp_us = since_unix.count() - kUnixToPostgresEpochUs;
        transaction.set_fixed_values(std::move(fixed));
    }
    eval.transaction_timestamp = *transaction.fixed_values().transaction_timestamp_us;
    // gen_random_uuid(): random here, at the edge, and logged with the op.
    eval.random_uuid = [&transaction] {
        static thread_local crypto::SystemRandom random;
        kernel::Uuid uuid{};
        random.fill(uuid);
        uuid[6] = static_cast<u8>((uuid[6] & 0x0f) | 0x40);  // version 4
        uuid[8] = static_cast<u8>((uuid[8] & 0x3f) | 0x80);  // RFC 4122 variant
        kernel::FixedValues fixed = transaction.fixed_values();
        fixed.random_uuids.push_back(uuid);
        transaction.set_fixed_values(std::move(fixed));
        return uuid;
    };
    return eval;
}

SqlResult<db::SubmitResult> Session::commit(db::Transaction& transaction) {
    auto committed = transaction.commit();
    if (committed) return std::move(*committed);
    const Status& status = committed.status();
    switch (status.code()) {
        case StatusCode::conflict:
            return SqlError(sqlstate::kSerializationFailure,
                            "could not serialize access due to concurrent update")
                .with_detail(status.message());
        case StatusCode::permission_denied:
            return SqlError(sqlstate::kInsufficientPrivilege, status.message());
        case StatusCode::out_of_range:
            // The op is over the size cap (or a sequence ran out).
            return SqlError(sqlstate::kProgramLimitExceeded, status.message());
        case StatusCode::not_found: {
            // The database was dropped while the transaction ran (DROP DATABASE).
            const db::TransactionHost::Start start = host_.start(tenant_);
            if (start.catalog == nullptr || start.catalog->info().is_dropped()) {
                const std::string name =
                    start.catalog != nullptr ? start.catalog->info().name : info_.database_name;
                return SqlError(sqlstate::kInvalidCatalogName,
                                "database \"" + name + "\" does not exist")
                    .with_detail(status.message());
            }
            return from_status(status);
        }
        default:
            return from_status(status);
    }
}

// The position a time-travel setting names, checked against the snapshot.
SqlResult<std::optional<Position>> Session::time_travel_position(
    const db::Transaction& transaction) const {
    // Asked on every statement: looked up without copying (the names are lowercase already).
    if (!time_travel_set(settings_)) return std::optional<Position>();
    const auto position = setting("kimberlite.as_of_position");
    const auto timestamp = setting("kimberlite.as_of_timestamp");
    if (position && !position->empty()) {
        u64 value = 0;
        const auto* end = position->data() + position->size();
        auto parsed = std::from_chars(position->data(), end, value);
        if (parsed.ec != std::errc() || parsed.ptr != end || value == 0) {
            return SqlError(sqlstate::kInvalidParameterValue,
                            "invalid value for kimberlite.as_of_position: \"" + *position + "\"")
                .with_hint("A log position is a positive integer.");
        }
        if (Position(value) > transaction.snapshot_position()) {
            return SqlError(sqlstate::kInvalidParameterValue,
                            "kimberlite.as_of_position " + *position +
                                " is after the newest applied position " +
                                std::to_string(transaction.snapshot_position().value()));
        }
        return std::optional<Position>(Position(value));
    }
    if (timestamp && !timestamp->empty()) {
        Value parsed = KB_SQL_TRY(value_from_text(*timestamp, Type::of(SqlType::timestamptz)));
        // PostgreSQL counts microseconds from 2000-01-01; log timestamps are Unix nanoseconds.
        constexpr i64 kUnixToPostgresEpochUs = 946'684'800'000'000;
        const i64 unix_us = parsed.as_int() + kUnixToPostgresEpochUs;
        if (unix_us < 0) {
            return SqlError(sqlstate::kInvalidParameterValue,
                            "kimberlite.as_of_timestamp " + *timestamp + " is before any history");
        }
        auto found = kernel::reads::position_for_timestamp(
            transaction.snapshot(), Timestamp(static_cast<u64>(unix_us) * 1000));
        if (!found) return from_status(found.status());
        if (!*found) {
            return SqlError(sqlstate::kInvalidParameterValue,
                            "kimberlite.as_of_timestamp " + *timestamp + " is before any history");
        }
        return std::optional<Position>(**found);
    }
    return std::optional<Position>();
}

SqlResult<StatementResult> Session::run_autocommit(const ast::Statement& statement,
                                                   const Bindings& bindings) {
    for (usize attempt = 0;; ++attempt) {
        db::Transaction transaction = KB_SQL_TRY(begin_transaction());
        if (auto as_of = KB_SQL_TRY(time_travel_position(transaction))) {
            const auto* copy = statement.as<ast::CopyStatement>();
            const bool reads = statement.is<ast::SelectStatement>() ||
                               statement.is<ast::ExplainStatement>() ||
                               (copy != nullptr && !copy->from);
            if (!reads) {
                return SqlError(sqlstate::kReadOnlySqlTransaction,
                                "cannot write while kimberlite.as_of_position or "
                                "kimberlite.as_of_timestamp is set")
                    .with_hint("RESET kimberlite.as_of_position (or as_of_timestamp) first.");
            }
            Status travelled = transaction.read_as_of(*as_of);
            if (!travelled.is_ok()) return from_status(travelled);
            return run_in_transaction(statement, transaction, bindings);
        }
        StatementResult result = KB_SQL_TRY(run_in_transaction(statement, transaction, bindings));
        auto committed = commit(transaction);
        if (committed) return result;
        // A conflict on a statement of its own: nothing was returned yet, so run it again on a
        // newer snapshot.
        if (committed.error().sqlstate != sqlstate::kSerializationFailure ||
            attempt + 1 >= options_.autocommit_retries) {
            return committed.error();
        }
        if (bindings.recycle != nullptr) *bindings.recycle = std::move(result);
    }
}

SqlResult<StatementResult> Session::run_transaction_control(
    const ast::TransactionStatement& statement) {
    using Kind = ast::TransactionKind;
    switch (statement.kind) {
        case Kind::begin: {
            if (open_ != nullptr && open_->implicit) {
                // The text's implicit transaction, with what ran in it, becomes the block.
                open_->implicit = false;
                return tagged("BEGIN");
            }
            if (open_ != nullptr) {
                if (failed_) return in_failed_transaction();  // as PostgreSQL
                StatementResult result = tagged("BEGIN");
                result.notices.push_back("there is already a transaction in progress");
                return result;
            }
            db::Transaction transaction = KB_SQL_TRY(begin_transaction());
            open_ = std::make_unique<Open>(Open{std::move(transaction), {}});
            failed_ = false;
            return tagged("BEGIN");
        }
        case Kind::commit: {
            if (open_ == nullptr) {
                StatementResult result = tagged("COMMIT");
                result.notices.push_back("there is no transaction in progress");
                return result;
            }
            std::unique_ptr<Open> open = std::move(open_);
            if (failed_) {
                failed_ = false;
                return tagged("ROLLBACK");
            }
            KB_SQL_TRY(commit(open->transaction));
            StatementResult result = tagged("COMMIT");
            // An implicit transaction commits too, with PostgreSQL's warning.
            if (open->implicit) result.notices.push_back("there is no transaction in progress");
            return result;
        }
        case Kind::rollback: {
            StatementResult result = tagged("ROLLBACK");
            if (open_ == nullptr || open_->implicit) {
                result.notices.push_back("there is no transaction in progress");
            }
            open_.reset();
            failed_ = false;
            return result;
        }
        case Kind::savepoint: {
            if (open_ == nullptr || open_->implicit) {
                return SqlError(sqlstate::kNoActiveSqlTransaction,
                                "SAVEPOINT can only be used in transaction blocks");
            }
            if (failed_) return in_failed_transaction();
            open_->savepoints.emplace_back(statement.savepoint, open_->transaction.mark());
            return tagged("SAVEPOINT");
        }
        case Kind::release:
        case Kind::rollback_to: {
            const bool release = statement.kind == Kind::release;
            if (open_ == nullptr || open_->implicit) {
                return SqlError(
                    sqlstate::kNoActiveSqlTransaction,
                    std::string(release ? "RELEASE SAVEPOINT" : "ROLLBACK TO SAVEPOINT") +
                        " can only be used in transaction blocks");
            }
            if (release && failed_) return in_failed_transaction();
            auto& savepoints = open_->savepoints;
            auto found = std::find_if(savepoints.rbegin(), savepoints.rend(), [&](const auto& s) {
                return s.first == statement.savepoint;
            });
            if (found == savepoints.rend()) {
                failed_ = true;
                return SqlError("3B001",
                                "savepoint \"" + statement.savepoint + "\" does not exist");
            }
            // The savepoint itself stays after ROLLBACK TO (it can be rolled back to again);
            // RELEASE drops it and every later one.
            const auto keep = static_cast<usize>(savepoints.rend() - found);
            if (release) {
                savepoints.resize(keep - 1);
                return tagged("RELEASE");
            }
            open_->transaction.rollback_to(savepoints[keep - 1].second);
            savepoints.resize(keep);
            failed_ = false;
            return tagged("ROLLBACK");
        }
        case Kind::set_transaction:
            if (open_ != nullptr && failed_) return in_failed_transaction();
            return tagged("SET");
    }
    return SqlError(sqlstate::kFeatureNotSupported, "transaction statement not supported");
}

SqlResult<StatementResult> Session::run_set(const ast::Statement& statement) {
    return execute_setting_statement(settings_, info_, statement, defaults_);
}

// --- prepared statements (prepared.h) ---------------------------------------------------------

SqlResult<std::shared_ptr<const PreparedStatement>> Session::prepare(
    std::string_view text, std::span<const std::optional<Type>> declared_types,
    std::string_view name) {
    auto prepared = [&]() -> SqlResult<std::shared_ptr<const PreparedStatement>> {
        std::vector<ast::Statement> statements = KB_SQL_TRY(parse(text));
        if (statements.size() > 1) {
            return SqlError(sqlstate::kSyntaxError,
                            "cannot insert multiple commands into a prepared statement");
        }
        const usize used = KB_SQL_TRY(highest_parameter_number(text));
        const usize count = std::max(used, declared_types.size());
        if (count > kMaxParameters) {
            return SqlError(
                sqlstate::kProgramLimitExceeded,
                "number of parameters must be between 0 and " + std::to_string(kMaxParameters));
        }
        // Declared types, by oid in PostgreSQL: no modifier; `unknown` declares nothing.
        std::vector<std::optional<Type>> types(count);
        for (usize i = 0; i < declared_types.size(); ++i) {
            if (declared_types[i] && !declared_types[i]->unknown)
                types[i] = declared_types[i]->without_modifier();
        }
        std::optional<ast::Statement> statement;
        if (!statements.empty()) statement = std::move(statements.front());
        // PostgreSQL's Parse refuses everything but leaving a failed transaction.
        const auto* control = statement ? statement->as<ast::TransactionStatement>() : nullptr;
        const bool exits =
            control != nullptr && (control->kind == ast::TransactionKind::commit ||
                                   control->kind == ast::TransactionKind::rollback ||
                                   control->kind == ast::TransactionKind::rollback_to);
        if (open_ != nullptr && failed_ && !exits) return in_failed_transaction();
        StatementDescription description;
        if (statement) {
            description = KB_SQL_TRY(describe(*statement, std::move(types)));
        } else {
            for (usize i = 0; i < count; ++i) {
                if (!types[i]) {
                    return SqlError(
                        sqlstate::kIndeterminateDatatype,
                        "could not determine data type of parameter $" + std::to_string(i + 1));
                }
                description.parameter_types.push_back(*types[i]);
            }
        }
        return std::shared_ptr<const PreparedStatement>(std::make_shared<PreparedStatement>(
            std::string(name), std::string(text), std::move(statement), std::move(description)));
    }();
    // As every error inside a transaction block, a failed Parse fails the transaction.
    if (!prepared && open_ != nullptr) failed_ = true;
    return prepared;
}

SqlResult<StatementDescription> Session::describe(
    const ast::Statement& statement, std::vector<std::optional<Type>> parameter_types) {
    StatementDescription description;
    const usize count = parameter_types.size();
    if (const auto* show = statement.as<ast::ShowStatement>()) {
        description.returns_rows = true;
        description.columns = show_columns(show->name);
    } else if (statement.is<ast::SelectStatement>() || statement.is<ast::InsertStatement>() ||
               statement.is<ast::UpdateStatement>() || statement.is<ast::DeleteStatement>() ||
               statement.is<ast::ExplainStatement>()) {
        // Bind on the catalog this session sees: the open transaction's (its own DDL
        // included), or a fresh snapshot's (as of the time-travel setting, if any). Nothing
        // runs: describe_only stops each statement once it is bound.
        std::optional<db::Transaction> fresh;
        db::Transaction* transaction = nullptr;
        if (open_ != nullptr) {
            transaction = &open_->transaction;
        } else {
            fresh.emplace(KB_SQL_TRY(begin_transaction()));
            if (auto as_of = KB_SQL_TRY(time_travel_position(*fresh))) {
                Status travelled = fresh->read_as_of(*as_of);
                if (!travelled.is_ok()) return from_status(travelled);
            }
            transaction = &*fresh;
        }
        const std::vector<Value> nulls(count, Value::null());
        EvalContext eval;
        eval.describe_only = true;
        eval.parameters = nulls;
        eval.parameter_types.types = std::move(parameter_types);
        eval.random_uuid = [] { return kernel::Uuid{}; };
        StatementResult shape = KB_SQL_TRY(execute_statement(statement, *transaction, eval));
        description.returns_rows = shape.returns_rows;
        description.columns = std::move(shape.columns);
        parameter_types = std::move(eval.parameter_types.types);
        parameter_types.resize(std::max(parameter_types.size(), count));
    }
    for (usize i = 0; i < parameter_types.size(); ++i) {
        if (!parameter_types[i]) {
            return SqlError(sqlstate::kIndeterminateDatatype,
                            "could not determine data type of parameter $" + std::to_string(i + 1));
        }
        description.parameter_types.push_back(*parameter_types[i]);
    }
    return description;
}

SqlResult<StatementResult> Session::execute_prepared(const PreparedStatement& prepared,
                                                     std::span<const Value> parameters) {
    return run_prepared(prepared, parameters, nullptr);
}

SqlStatus Session::execute_prepared_into(const PreparedStatement& prepared,
                                         std::span<const Value> parameters, StatementResult& out) {
    auto result = run_prepared(prepared, parameters, &out);
    if (!result) {
        out.tag.clear();
        out.returns_rows = false;
        out.columns.clear();
        out.rows.clear();
        out.notices.clear();
        out.copy.reset();
        return result.error();
    }
    out = std::move(*result);
    return sql_ok();
}

SqlResult<StatementResult> Session::run_prepared(const PreparedStatement& prepared,
                                                 std::span<const Value> parameters,
                                                 StatementResult* recycle) {
    Request request(*this);
    const StatementDescription& description = prepared.description();
    if (auto counted = check_parameter_count(prepared, parameters.size()); !counted) {
        if (open_ != nullptr) failed_ = true;
        return counted.error();
    }
    for (usize i = 0; i < parameters.size(); ++i) {
        KB_ASSERT_MSG(
            parameters[i].is_null() ||
                parameters[i].kind() == kernel::value_kind_of(description.parameter_types[i].id()),
            "a prepared statement's parameter is not of its described type");
    }
    if (prepared.statement() == nullptr) return StatementResult{};  // the empty query
    Bindings bindings;
    bindings.values = parameters;
    bindings.types = description.parameter_types;
    bindings.expected = &description;
    bindings.plan_cache = &prepared.plan_cache();
    bindings.recycle = recycle;
    return run(*prepared.statement(), bindings);
}

}  // namespace kb::sql
