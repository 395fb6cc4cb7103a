// Status rendering; kept out of the header so the header stays cheap to include.
#include "kimberlite/status.h"

#include <string>

namespace kb {

std::string_view status_code_name(StatusCode code) {
    switch (code) {
        case StatusCode::ok:
            return "ok";
        case StatusCode::invalid_argument:
            return "invalid argument";
        case StatusCode::not_found:
            return "not found";
        case StatusCode::already_exists:
            return "already exists";
        case StatusCode::corruption:
            return "corruption";
        case StatusCode::io_error:
            return "io error";
        case StatusCode::no_space:
            return "no space";
        case StatusCode::permission_denied:
            return "permission denied";
        case StatusCode::unsupported:
            return "unsupported";
        case StatusCode::out_of_range:
            return "out of range";
        case StatusCode::busy:
            return "busy";
        case StatusCode::crypto:
            return "crypto";
        case StatusCode::fatal:
            return "fatal";
        case StatusCode::internal:
            return "internal";
        case StatusCode::conflict:
            return "conflict";
    }
    return "unknown";
}

Status::Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {
    if (code_ == StatusCode::ok) {
        detail::assert_fail("code != ok", __FILE__, __LINE__, "use Status::ok() for success");
    }
}

std::string Status::to_string() const {
    if (is_ok()) {
        return "ok";
    }
    std::string text(status_code_name(code_));
    text += ": ";
    text += message_;
    return text;
}

Status Status::with_context(std::string_view context) const {
    if (is_ok()) {
        return *this;
    }
    std::string message(context);
    message += ": ";
    message += message_;
    return Status(code_, std::move(message));
}

}  // namespace kb
