// SqlError and SqlResult<T>: how SQL errors travel, shaped as PostgreSQL reports them.
//
// A SQL error is not an operating error: it is the answer to a statement (a constraint
// violation, an undefined table, a division by zero), carried to the client as an
// ErrorResponse with its SQLSTATE, message, detail, hint and the 1-based character position
// in the statement text (0 when it has none). Messages follow PostgreSQL's style: lowercase
// first word, no trailing period, names in double quotes
// ("duplicate key value violates unique constraint \"t_pkey\"").
//
// Operating errors (the store failed, the database stopped) come as a kb::Status and are
// wrapped with SQLSTATE XX000 (internal_error) or 58030 (io_error) by from_status().
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/assert.h"
#include "kimberlite/status.h"

namespace kb::sql {

// SQLSTATE codes used across the SQL layer (PostgreSQL's appendix A). Add as needed; keep the
// PostgreSQL condition name in the constant's name.
namespace sqlstate {
inline constexpr const char* kSuccessfulCompletion = "00000";
inline constexpr const char* kFeatureNotSupported = "0A000";
inline constexpr const char* kProtocolViolation = "08P01";
inline constexpr const char* kCardinalityViolation = "21000";
inline constexpr const char* kDataException = "22000";
inline constexpr const char* kStringDataRightTruncation = "22001";
inline constexpr const char* kNumericValueOutOfRange = "22003";
inline constexpr const char* kNullValueNotAllowed = "22004";
inline constexpr const char* kInvalidDatetimeFormat = "22007";
inline constexpr const char* kDatetimeFieldOverflow = "22008";
inline constexpr const char* kInvalidParameterValue = "22023";
inline constexpr const char* kDivisionByZero = "22012";
inline constexpr const char* kInvalidTextRepresentation = "22P02";
inline constexpr const char* kInvalidEscapeSequence = "22025";
inline constexpr const char* kBadCopyFileFormat = "22P04";
inline constexpr const char* kCharacterNotInRepertoire = "22021";
inline constexpr const char* kInvalidJsonText = "22P02";
inline constexpr const char* kIntegrityConstraintViolation = "23000";
inline constexpr const char* kNotNullViolation = "23502";
inline constexpr const char* kForeignKeyViolation = "23503";
inline constexpr const char* kUniqueViolation = "23505";
inline constexpr const char* kCheckViolation = "23514";
inline constexpr const char* kInvalidTransactionState = "25000";
inline constexpr const char* kActiveSqlTransaction = "25001";
inline constexpr const char* kNoActiveSqlTransaction = "25P01";
inline constexpr const char* kInFailedSqlTransaction = "25P02";
inline constexpr const char* kReadOnlySqlTransaction = "25006";
inline constexpr const char* kSerializationFailure = "40001";
inline constexpr const char* kSyntaxError = "42601";
inline constexpr const char* kInsufficientPrivilege = "42501";
inline constexpr const char* kUndefinedColumn = "42703";
inline constexpr const char* kUndefinedFunction = "42883";
inline constexpr const char* kUndefinedTable = "42P01";
inline constexpr const char* kUndefinedObject = "42704";
inline constexpr const char* kDuplicateColumn = "42701";
inline constexpr const char* kDuplicateTable = "42P07";
inline constexpr const char* kDuplicateObject = "42710";
inline constexpr const char* kAmbiguousColumn = "42702";
inline constexpr const char* kDatatypeMismatch = "42804";
inline constexpr const char* kCannotCoerce = "42846";
inline constexpr const char* kGroupingError = "42803";
inline constexpr const char* kInvalidColumnReference = "42P10";
inline constexpr const char* kUndefinedParameter = "42P02";
inline constexpr const char* kIndeterminateDatatype = "42P18";
inline constexpr const char* kAmbiguousParameter = "42P08";
inline constexpr const char* kInvalidTableDefinition = "42P16";
inline constexpr const char* kDependentObjectsStillExist = "2BP01";
inline constexpr const char* kProgramLimitExceeded = "54000";
inline constexpr const char* kObjectNotInPrerequisiteState = "55000";
inline constexpr const char* kInvalidCatalogName = "3D000";
inline constexpr const char* kDuplicateDatabase = "42P04";
inline constexpr const char* kObjectInUse = "55006";
inline constexpr const char* kQueryCanceled = "57014";
inline constexpr const char* kInternalError = "XX000";
inline constexpr const char* kIoError = "58030";
}  // namespace sqlstate

struct SqlError {
    std::string sqlstate = sqlstate::kInternalError;
    std::string message;
    std::string detail{};
    std::string hint{};
    // Where the error happened beyond the statement (PostgreSQL's CONTEXT, the 'W' field):
    // "COPY t, line 3, column a: \"x\"".
    std::string context{};
    int position = 0;  // 1-based character offset into the statement text; 0: none

    SqlError() = default;
    SqlError(std::string code, std::string text)
        : sqlstate(std::move(code)), message(std::move(text)) {}

    SqlError& at(int where) {
        if (position == 0) position = where;
        return *this;
    }
    SqlError& with_detail(std::string text) {
        detail = std::move(text);
        return *this;
    }
    SqlError& with_hint(std::string text) {
        hint = std::move(text);
        return *this;
    }
    SqlError& with_context(std::string text) {
        context = std::move(text);
        return *this;
    }
    // "ERROR 23505: duplicate key ... (at 17)": for logs and tests.
    std::string to_string() const {
        std::string out = "ERROR " + sqlstate + ": " + message;
        if (!detail.empty()) out += " DETAIL: " + detail;
        if (!context.empty()) out += " CONTEXT: " + context;
        if (position > 0) out += " (at " + std::to_string(position) + ")";
        return out;
    }
};

// An operating error as a SQL error (its message kept): 58030 for IO, XX000 otherwise.
SqlError from_status(const Status& status);

// A T or a SqlError; shaped like kb::Result.
template <class T>
class [[nodiscard]] SqlResult {
public:
    SqlResult(T value) : storage_(std::in_place_index<0>, std::move(value)) {}         // NOLINT
    SqlResult(SqlError error) : storage_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool has_value() const { return storage_.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() & {
        KB_ASSERT_MSG(has_value(), "SqlResult holds an error");
        return std::get<0>(storage_);
    }
    const T& value() const& {
        KB_ASSERT_MSG(has_value(), "SqlResult holds an error");
        return std::get<0>(storage_);
    }
    T&& value() && {
        KB_ASSERT_MSG(has_value(), "SqlResult holds an error");
        return std::get<0>(std::move(storage_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const SqlError& error() const {
        KB_ASSERT_MSG(!has_value(), "SqlResult holds a value");
        return std::get<1>(storage_);
    }

private:
    std::variant<T, SqlError> storage_;
};

// void results.
struct Done {};
using SqlStatus = SqlResult<Done>;
inline SqlStatus sql_ok() { return Done{}; }

// Propagates a SqlResult's error; yields its value.
#define KB_SQL_TRY(expression)                  \
    ({                                          \
        auto kb_sql_try_result_ = (expression); \
        if (!kb_sql_try_result_.has_value()) {  \
            return kb_sql_try_result_.error();  \
        }                                       \
        std::move(kb_sql_try_result_).value();  \
    })

}  // namespace kb::sql
