// SqlError helpers (see error.h).
#include "sql/error.h"

namespace kb::sql {

SqlError from_status(const Status& status) {
    const bool io = status.code() == StatusCode::io_error || status.code() == StatusCode::no_space;
    return SqlError(io ? sqlstate::kIoError : sqlstate::kInternalError, status.to_string());
}

}  // namespace kb::sql
