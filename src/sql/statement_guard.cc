// Stopping a running statement: polls and errors (statement_guard.h).
#include "sql/statement_guard.h"

#include <string>

namespace kb::sql {

void StatementGuard::arm(const CancelSignal* signal, std::optional<Clock::time_point> deadline,
                         u64 max_held_bytes) {
    signal_ = signal;
    deadline_ = deadline;
    countdown_ = kRowsPerPoll;
    held_ = 0;
    max_held_ = max_held_bytes;
    stop_ = Stop::none;
}

bool StatementGuard::poll() {
    countdown_ = kRowsPerPoll;
    if (stop_ != Stop::none) return true;
    if (signal_ != nullptr && signal_->cancelled()) {
        stop_ = Stop::cancelled;
    } else if (deadline_ && Clock::now() >= *deadline_) {
        stop_ = Stop::timed_out;
    }
    return stop_ != Stop::none;
}

SqlError StatementGuard::error() const {
    switch (stop_) {
        case Stop::cancelled:
            return SqlError(sqlstate::kQueryCanceled, "canceling statement due to user request");
        case Stop::timed_out:
            return SqlError(sqlstate::kQueryCanceled,
                            "canceling statement due to statement timeout");
        case Stop::memory:
            return SqlError(sqlstate::kProgramLimitExceeded,
                            "statement result exceeds max-result-bytes (" +
                                std::to_string(max_held_) + " bytes)")
                .with_detail("The rows held in memory reached " + std::to_string(held_) + " bytes.")
                .with_hint(
                    "Select fewer rows or columns (LIMIT and OFFSET, a narrower WHERE), or "
                    "raise the server setting max-result-bytes.");
        case Stop::none:
            break;
    }
    return SqlError(sqlstate::kInternalError, "a statement guard stopped without a reason");
}

}  // namespace kb::sql
