// Path rules and message helpers shared by every Storage implementation.
#include "io/storage.h"

#include <string>

#include "base/assert.h"

namespace kb::io {

void Storage::write_and_sync(FileHandle, std::vector<WriteSpan>, SyncCallback) {
    KB_ASSERT_MSG(false, "write_and_sync on a storage without it (check has_write_and_sync)");
}

Status validate_path(std::string_view path, bool allow_root) {
    if (path.empty()) {
        if (allow_root) return Status::ok();
        return Status::invalid_argument("empty path: a file name is required");
    }
    if (path.front() == '/') {
        return Status::invalid_argument("path '" + std::string(path) +
                                        "' must be relative to the data directory");
    }
    usize start = 0;
    while (start <= path.size()) {
        usize end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view component = path.substr(start, end - start);
        if (component.empty() || component == "." || component == "..") {
            return Status::invalid_argument("path '" + std::string(path) +
                                            "' has an empty, '.' or '..' component");
        }
        if (component.find('\0') != std::string_view::npos) {
            return Status::invalid_argument("path contains a NUL byte");
        }
        start = end + 1;
    }
    return Status::ok();
}

std::string_view parent_of(std::string_view path) {
    usize slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string_view name_of(std::string_view path) {
    usize slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string describe_io(std::string_view operation, std::string_view path, u64 offset, u64 length) {
    std::string text(operation);
    text += " of ";
    text += path;
    text += " at offset ";
    text += std::to_string(offset);
    text += " (";
    text += std::to_string(length);
    text += " bytes)";
    return text;
}

}  // namespace kb::io
