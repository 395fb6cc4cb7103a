// Session: COPY ... FROM STDIN (session.h; the rows' path is copy.h). The session keeps the
// CopyFrom between calls: the data arrives in messages of its own, after the statement ran.
#include <algorithm>

#include "sql/copy.h"
#include "sql/session.h"

namespace kb::sql {

SqlResult<StatementResult> Session::start_copy_from(const ast::CopyStatement& statement) {
    const bool time_travel = std::any_of(settings_.begin(), settings_.end(), [](const auto& s) {
        return (s.first == "kimberlite.as_of_position" ||
                s.first == "kimberlite.as_of_timestamp") &&
               !s.second.empty();
    });
    if (time_travel) {
        if (open_ != nullptr) failed_ = true;
        return SqlError(sqlstate::kReadOnlySqlTransaction,
                        "cannot write while kimberlite.as_of_position or "
                        "kimberlite.as_of_timestamp is set")
            .with_hint("RESET kimberlite.as_of_position (or as_of_timestamp) first.");
    }
    CopyFromHooks hooks;
    hooks.eval_for = [this](db::Transaction& transaction) { return eval_for(transaction); };
    if (open_ == nullptr) {
        hooks.begin = [this] { return begin_transaction(); };
        hooks.commit = [this](db::Transaction& transaction) -> SqlStatus {
            auto committed = commit(transaction);
            if (!committed) return committed.error();
            return sql_ok();
        };
    }
    const CopyFromOptions options{.chunk_bytes = options_.copy_chunk_bytes,
                                  .retries = options_.autocommit_retries};
    auto started = CopyFrom::start(statement, open_transaction(), std::move(hooks), options);
    if (!started) {
        if (open_ != nullptr) failed_ = true;
        return started.error();
    }
    copy_ = std::move(*started);
    StatementResult result;
    result.copy = copy_->response();
    return result;
}

void Session::end_copy(bool failed) {
    copy_.reset();
    if (failed) {
        rest_.clear();       // the rest of the text is skipped, as after any error
        fail_transaction();  // an implicit one (the text's) is rolled back
        multi_ = false;      // the rest of the text is skipped
    }
}

SqlStatus Session::copy_data(ByteSpan data) {
    KB_ASSERT_MSG(copy_ != nullptr, "COPY data without a COPY FROM STDIN");
    Request request(*this);
    // Cancelled or timed out while the data arrived (the guard was armed when the COPY
    // started; statement_guard.h). Also checked per line inside.
    if (auto stopped = guard_.check(); !stopped) return copy_abort(stopped.error());
    SqlStatus status = copy_->data(data);
    if (!status) end_copy(true);
    return status;
}

SqlResult<StatementResult> Session::copy_done() {
    KB_ASSERT_MSG(copy_ != nullptr, "CopyDone without a COPY FROM STDIN");
    Request request(*this);
    if (auto stopped = guard_.check(); !stopped) return copy_abort(stopped.error());
    auto result = copy_->done();
    end_copy(!result);
    if (result && rest_.empty() && multi_) {
        // The COPY ended its text: the text's implicit transaction commits now.
        std::vector<SqlResult<StatementResult>> ended;
        end_text(ended);
        if (!ended.empty()) return ended.back().error();
    }
    return result;
}

SqlError Session::copy_fail(std::string_view message) {
    return copy_abort(
        SqlError(sqlstate::kQueryCanceled, "COPY from stdin failed: " + std::string(message)));
}

SqlError Session::copy_abort(SqlError error) {
    KB_ASSERT_MSG(copy_ != nullptr, "COPY ended without a COPY FROM STDIN");
    Request request(*this);
    error = copy_->annotate(std::move(error));
    end_copy(true);
    return error;
}

std::vector<SqlResult<StatementResult>> Session::execute_rest() {
    KB_ASSERT_MSG(copy_ == nullptr, "execute_rest while COPY FROM STDIN takes data");
    Request request(*this);
    std::vector<ast::Statement> rest = std::move(rest_);
    rest_.clear();
    return run_all(std::move(rest));
}

}  // namespace kb::sql
