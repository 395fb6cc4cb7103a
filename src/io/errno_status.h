// Turns an errno value into a Status with a message that says what failed and where.
//
// One table for every LinuxStorage call keeps the mapping consistent: EIO -> io_error,
// ENOSPC/EDQUOT -> no_space, ENOENT -> not_found, EEXIST -> already_exists, EACCES/EPERM/EROFS ->
// permission_denied, EWOULDBLOCK -> busy, anything else -> io_error. A failed sync is never mapped
// here: it is always fatal (storage.h).
#pragma once

#include <string>
#include <string_view>

#include "kimberlite/status.h"

namespace kb::io {

// "what: strerror text (ENAME)", with the code chosen from `error_number`.
Status errno_status(int error_number, std::string_view what);

// "Input/output error (EIO)": the description and symbolic name. Thread-safe.
std::string errno_text(int error_number);

// The symbolic name ("EIO", "ENOSPC"), or the number for rare ones.
std::string errno_name(int error_number);

}  // namespace kb::io
