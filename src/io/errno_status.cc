// errno -> Status mapping for LinuxStorage.
#include "io/errno_status.h"

#include <string.h>
#include <cerrno>

namespace kb::io {

std::string errno_name(int error_number) {
    switch (error_number) {
        case EIO:
            return "EIO";
        case ENOSPC:
            return "ENOSPC";
        case EDQUOT:
            return "EDQUOT";
        case ENOENT:
            return "ENOENT";
        case EEXIST:
            return "EEXIST";
        case EACCES:
            return "EACCES";
        case EPERM:
            return "EPERM";
        case EROFS:
            return "EROFS";
        case EINVAL:
            return "EINVAL";
        case EISDIR:
            return "EISDIR";
        case ENOTDIR:
            return "ENOTDIR";
        case ENOTEMPTY:
            return "ENOTEMPTY";
        case EBADF:
            return "EBADF";
        case EWOULDBLOCK:
            return "EWOULDBLOCK";
        default:
            return "errno " + std::to_string(error_number);
    }
}

std::string errno_text(int error_number) {
    // strerrordesc_np is the thread-safe strerror (IO threads call this concurrently).
    const char* description = strerrordesc_np(error_number);
    std::string text = description != nullptr ? description : "unknown error";
    text += " (";
    text += errno_name(error_number);
    text += ")";
    return text;
}

Status errno_status(int error_number, std::string_view what) {
    std::string message(what);
    message += ": ";
    message += errno_text(error_number);
    switch (error_number) {
        case ENOSPC:
        case EDQUOT:
            return Status::no_space(std::move(message));
        case ENOENT:
            return Status::not_found(std::move(message));
        case EEXIST:
            return Status::already_exists(std::move(message));
        case EACCES:
        case EPERM:
        case EROFS:
            return Status::permission_denied(std::move(message));
        case EWOULDBLOCK:
            return Status::busy(std::move(message));
        case EISDIR:
        case ENOTDIR:
        case ENOTEMPTY:
        case EINVAL:
            return Status::invalid_argument(std::move(message));
        default:
            return Status::io_error(std::move(message));
    }
}

}  // namespace kb::io
