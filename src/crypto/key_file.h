// Files of the key directory (master keys, the node key): it lives outside the data directory
// and outside the Storage seam (whose simulated faults are about the log and the store), and is
// touched only at start-up and rotation, so these few functions call POSIX directly.
#pragma once

#include <functional>
#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "kimberlite/status.h"

namespace kb::crypto::key_files {

// strerror(error).
std::string errno_text(int error);
// mkdir -p with mode 0700 for whatever is missing; refuses a directory writable by group or
// others (whoever can write it can swap a key file for one they know).
Status ensure_key_dir(const std::string& dir);
// fsync of a directory; a failure is fatal (never retried as success).
Status fsync_dir(const std::string& dir);
// Reads a key file of at most `max_size` bytes after checking it is a regular file closed to
// group and others, gives its bytes to `decode` and wipes them. not_found when missing,
// permission_denied for a readable mode, corruption when too large, else decode's status.
Status read_key_file(const std::string& path, usize max_size,
                     const std::function<Status(ByteSpan)>& decode);
// Writes `image` to `path` crash-safely: a temporary file, 0600, fsync'd, renamed over `path`,
// and the directory fsync'd so the rename itself is durable.
Status write_key_file(const std::string& dir, const std::string& path, ByteSpan image);

}  // namespace kb::crypto::key_files
