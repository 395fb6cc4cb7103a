// Status and Result<T>: how operating errors travel (STYLE.md, "errors in three tiers").
//
// A Status is ok or carries a code and a message that says what failed and where
// ("log segment 3 position 81234: chain hash mismatch"). Result<T> holds a T or a non-ok
// Status and is shaped like std::expected: has_value(), operator bool, value(), operator*,
// operator->, error(). Both are [[nodiscard]]: an ignored error is a bug.
//
// Propagate with KB_TRY, which works on both and yields the value of a Result:
//     Status write_header(...) {
//         KB_TRY(storage.sync(file));
//         u64 size = KB_TRY(storage.size(file));
//         ...
//     }
// Core libraries do not throw; these types never throw either.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace kb {

namespace detail {
[[noreturn]] void assert_fail(const char* expression, const char* file, int line,
                              const char* message);
}  // namespace detail

// Stable codes; their numbers may reach logs and wire errors, so never renumber.
enum class StatusCode : unsigned char {
    ok = 0,
    invalid_argument = 1,   // the caller's input is malformed
    not_found = 2,          // a named thing does not exist
    already_exists = 3,     // creating something that exists
    corruption = 4,         // bytes failed a checksum, hash, tag or structural check
    io_error = 5,           // the OS reported an IO failure (EIO and friends)
    no_space = 6,           // ENOSPC: the device is full
    permission_denied = 7,  // the OS or a policy refused access
    unsupported = 8,        // an unknown format version or a feature not built
    out_of_range = 9,       // a position/offset/size beyond what exists or is allowed
    busy = 10,              // a lock is held by someone else
    crypto = 11,            // authentication failed, wrong key, key-use bound reached
    fatal = 12,             // durability can no longer be promised (failed fsync)
    internal = 13,          // a library beneath us failed unexpectedly
    conflict = 14,          // an optimistic check failed: an expected offset, a concurrent write
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
public:
    Status() = default;  // ok

    static Status ok() { return Status(); }
    static Status error(StatusCode code, std::string message) {
        return Status(code, std::move(message));
    }
    static Status invalid_argument(std::string m) {
        return error(StatusCode::invalid_argument, std::move(m));
    }
    static Status not_found(std::string m) { return error(StatusCode::not_found, std::move(m)); }
    static Status already_exists(std::string m) {
        return error(StatusCode::already_exists, std::move(m));
    }
    static Status corruption(std::string m) { return error(StatusCode::corruption, std::move(m)); }
    static Status io_error(std::string m) { return error(StatusCode::io_error, std::move(m)); }
    static Status no_space(std::string m) { return error(StatusCode::no_space, std::move(m)); }
    static Status permission_denied(std::string m) {
        return error(StatusCode::permission_denied, std::move(m));
    }
    static Status unsupported(std::string m) {
        return error(StatusCode::unsupported, std::move(m));
    }
    static Status out_of_range(std::string m) {
        return error(StatusCode::out_of_range, std::move(m));
    }
    static Status busy(std::string m) { return error(StatusCode::busy, std::move(m)); }
    static Status crypto(std::string m) { return error(StatusCode::crypto, std::move(m)); }
    static Status fatal(std::string m) { return error(StatusCode::fatal, std::move(m)); }
    static Status internal(std::string m) { return error(StatusCode::internal, std::move(m)); }
    static Status conflict(std::string m) { return error(StatusCode::conflict, std::move(m)); }

    bool is_ok() const { return code_ == StatusCode::ok; }
    StatusCode code() const { return code_; }
    const std::string& message() const { return message_; }

    // "corruption: log segment 3 position 81234: chain hash mismatch", or "ok".
    std::string to_string() const;

    // Prefixes context while propagating: "opening /data: " + inner message.
    Status with_context(std::string_view context) const;

    friend bool operator==(const Status& a, const Status& b) {
        return a.code_ == b.code_ && a.message_ == b.message_;
    }

private:
    Status(StatusCode code, std::string message);

    StatusCode code_ = StatusCode::ok;
    std::string message_;
};

template <class T>
class [[nodiscard]] Result {
    static_assert(!std::is_same_v<std::remove_cv_t<T>, Status>, "use Status, not Result<Status>");
    static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

public:
    using value_type = T;

    Result(const T& value) : storage_(std::in_place_index<0>, value) {}
    Result(T&& value) : storage_(std::in_place_index<0>, std::move(value)) {}
    template <class U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Status> &&
             !std::is_same_v<std::decay_t<U>, Result> && !std::is_same_v<std::decay_t<U>, T>)
        Result(U&& value)
        : storage_(std::in_place_index<0>, std::forward<U>(value)) {}
    Result(Status status) : storage_(std::in_place_index<1>, std::move(status)) {
        if (std::get<1>(storage_).is_ok()) {
            detail::assert_fail("!status.is_ok()", __FILE__, __LINE__,
                                "a Result error must not be an ok Status");
        }
    }

    bool has_value() const { return storage_.index() == 0; }
    bool is_ok() const { return has_value(); }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        check_value();
        return std::get<0>(storage_);
    }
    const T& value() const& {
        check_value();
        return std::get<0>(storage_);
    }
    T&& value() && {
        check_value();
        return std::get<0>(std::move(storage_));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T&& operator*() && { return std::move(*this).value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    template <class U>
    T value_or(U&& fallback) const& {
        return has_value() ? std::get<0>(storage_) : static_cast<T>(std::forward<U>(fallback));
    }

    // The error; ok Status when there is a value (so it can be returned unconditionally).
    Status status() const { return has_value() ? Status() : std::get<1>(storage_); }
    const Status& error() const& {
        if (has_value()) {
            detail::assert_fail("!has_value()", __FILE__, __LINE__,
                                "error() called on a Result holding a value");
        }
        return std::get<1>(storage_);
    }
    Status&& error() && {
        if (has_value()) {
            detail::assert_fail("!has_value()", __FILE__, __LINE__,
                                "error() called on a Result holding a value");
        }
        return std::get<1>(std::move(storage_));
    }

private:
    void check_value() const {
        if (!has_value()) {
            detail::assert_fail("has_value()", __FILE__, __LINE__,
                                std::get<1>(storage_).message().c_str());
        }
    }

    std::variant<T, Status> storage_;
};

namespace detail {

inline Status take_error(Status&& status) { return std::move(status); }
template <class T>
Status take_error(Result<T>&& result) {
    return std::move(result).error();
}
inline void take_value(Status&&) {}
template <class T>
T take_value(Result<T>&& result) {
    return std::move(result).value();
}
inline bool succeeded(const Status& status) { return status.is_ok(); }
template <class T>
bool succeeded(const Result<T>& result) {
    return result.has_value();
}

}  // namespace detail
}  // namespace kb

// Evaluates a Status or Result expression; on error returns it from the enclosing function
// (which must return Status or some Result<U>); otherwise yields the Result's value.
#define KB_TRY(expression)                                              \
    ({                                                                  \
        auto kb_try_result_ = (expression);                             \
        if (!::kb::detail::succeeded(kb_try_result_)) [[unlikely]] {    \
            return ::kb::detail::take_error(std::move(kb_try_result_)); \
        }                                                               \
        ::kb::detail::take_value(std::move(kb_try_result_));            \
    })
