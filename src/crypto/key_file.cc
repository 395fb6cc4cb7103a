// Key files of the key directory (see key_file.h).
#include "crypto/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "crypto/secret.h"

namespace kb::crypto::key_files {

namespace {

std::string octal_mode(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

Status write_all(int fd, ByteSpan bytes, const std::string& path) {
    usize done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int error = errno;
            if (error == ENOSPC) return Status::no_space("writing key file " + path);
            return Status::io_error("writing key file " + path + ": " + errno_text(error));
        }
        done += static_cast<usize>(n);
    }
    return Status::ok();
}

}  // namespace

std::string errno_text(int error) { return std::strerror(error); }

Status fsync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return Status::io_error("opening key directory " + dir +
                                " to fsync it: " + errno_text(errno));
    }
    int rc = ::fsync(fd);
    int error = errno;
    ::close(fd);
    if (rc != 0) {
        // DESIGN.md: an fsync error is fatal, never retried as success.
        return Status::fatal("fsync of key directory " + dir + " failed: " + errno_text(error));
    }
    return Status::ok();
}

// mkdir -p with mode 0700 for whatever is missing, then checks the directory's mode.
Status ensure_key_dir(const std::string& dir) {
    if (dir.empty()) return Status::invalid_argument("the key directory path is empty");
    for (usize slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
        std::string prefix = slash == std::string::npos ? dir : dir.substr(0, slash);
        if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
            return Status::io_error("creating key directory " + prefix + ": " + errno_text(errno));
        }
        if (slash == std::string::npos) break;
    }
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) {
        return Status::io_error("key directory " + dir + ": " + errno_text(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        return Status::invalid_argument("key directory " + dir + " is not a directory");
    }
    // Anyone who can write the directory can swap the key file for one they know.
    if ((st.st_mode & 022) != 0) {
        return Status::permission_denied(
            "key directory " + dir + " has mode " + octal_mode(st.st_mode) +
            ": it must not be writable by group or others; run chmod 700 " + dir);
    }
    return Status::ok();
}

// Reads one key file after checking it is a regular file closed to group and others.
Status read_key_file(const std::string& path, usize max_size,
                     const std::function<Status(ByteSpan)>& decode) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int error = errno;
        if (error == ENOENT) return Status::not_found("key file " + path + " does not exist");
        if (error == EACCES) {
            return Status::permission_denied("key file " + path + ": " + errno_text(error));
        }
        return Status::io_error("opening key file " + path + ": " + errno_text(error));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};

    struct stat st;
    if (::fstat(fd, &st) != 0) {
        return Status::io_error("stat of key file " + path + ": " + errno_text(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return Status::invalid_argument("key file " + path + " is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
        return Status::permission_denied("key file " + path + " has mode " +
                                         octal_mode(st.st_mode) +
                                         ": it must not be accessible to group or others; "
                                         "run chmod 600 " +
                                         path);
    }

    std::vector<u8> image(max_size + 1);
    usize size = 0;
    while (size < image.size()) {
        ssize_t n = ::read(fd, image.data() + size, image.size() - size);
        if (n < 0) {
            if (errno == EINTR) continue;
            int error = errno;
            secure_zero(image.data(), image.size());
            return Status::io_error("reading key file " + path + ": " + errno_text(error));
        }
        if (n == 0) break;
        size += static_cast<usize>(n);
    }
    Status decoded =
        size > max_size
            ? Status::corruption("key file " + path + " is larger than any key file format (over " +
                                 std::to_string(max_size) + " bytes)")
            : decode(ByteSpan(image.data(), size));
    secure_zero(image.data(), image.size());
    return decoded;
}

// Writes `path` crash-safely: a temporary file, 0600, fsync'd, renamed over `path`, and the
// directory fsync'd so the rename itself is durable.
Status write_key_file(const std::string& dir, const std::string& path, ByteSpan image) {
    std::string temp_path = path + ".tmp";
    // A temp file left by a crash holds nothing we need: the rename never happened.
    if (::unlink(temp_path.c_str()) != 0 && errno != ENOENT) {
        return Status::io_error("removing stale " + temp_path + ": " + errno_text(errno));
    }
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return Status::io_error("creating " + temp_path + ": " + errno_text(errno));

    Status status;
    // The umask can only clear bits, but be explicit: the file must be exactly 0600.
    if (::fchmod(fd, 0600) != 0) {
        status = Status::io_error("chmod 600 " + temp_path + ": " + errno_text(errno));
    }
    if (status.is_ok()) status = write_all(fd, image, temp_path);
    if (status.is_ok() && ::fsync(fd) != 0) {
        status = Status::fatal("fsync of " + temp_path + " failed: " + errno_text(errno));
    }
    if (::close(fd) != 0 && status.is_ok()) {
        status = Status::io_error("closing " + temp_path + ": " + errno_text(errno));
    }
    if (status.is_ok() && ::rename(temp_path.c_str(), path.c_str()) != 0) {
        status =
            Status::io_error("renaming " + temp_path + " to " + path + ": " + errno_text(errno));
    }
    if (!status.is_ok()) {
        ::unlink(temp_path.c_str());
        return status;
    }
    return fsync_dir(dir);
}

}  // namespace kb::crypto::key_files
