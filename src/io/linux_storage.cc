// LinuxStorage: openat-relative metadata calls on the loop thread, data calls on IoThreadPool.
#include "io/linux_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "base/assert.h"
#include "io/aligned_buffer.h"
#include "io/errno_status.h"

namespace kb::io {

namespace {

constexpr mode_t kFileMode = 0600;
constexpr mode_t kDirectoryMode = 0700;

// pread until `buffer` is full or end of file.
Result<usize> read_fully(int fd, u64 offset, MutableByteSpan buffer, const std::string& path) {
    usize done = 0;
    while (done < buffer.size()) {
        ssize_t count = ::pread(fd, buffer.data() + done, buffer.size() - done,
                                static_cast<off_t>(offset + done));
        if (count < 0) {
            if (errno == EINTR) continue;
            return errno_status(errno, describe_io("read", path, offset, buffer.size()));
        }
        if (count == 0) break;  // end of file
        done += static_cast<usize>(count);
    }
    return done;
}

// pwrite until every byte is written.
Status write_fully(int fd, u64 offset, ByteSpan data, const std::string& path) {
    usize done = 0;
    while (done < data.size()) {
        ssize_t count =
            ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
        if (count < 0) {
            if (errno == EINTR) continue;
            return errno_status(errno, describe_io("write", path, offset, data.size()));
        }
        if (count == 0) {
            return Status::io_error(describe_io("write", path, offset, data.size()) +
                                    ": the kernel accepted no bytes");
        }
        done += static_cast<usize>(count);
    }
    return Status::ok();
}

Status create_directories(const std::string& path) {
    std::error_code error;
    std::filesystem::create_directories(path, error);
    if (error) return errno_status(error.value(), "create data directory " + path);
    return Status::ok();
}

}  // namespace

struct LinuxStorage::OpenFile {
    OpenFile(int descriptor, std::string relative, std::string full, bool can_write, bool is_direct)
        : fd(descriptor),
          relative_path(std::move(relative)),
          path(std::move(full)),
          writable(can_write),
          direct(is_direct) {}
    // The descriptor closes when the last user (the table, an IO job, a reader) lets go, so a
    // close() racing a reader can never make it read a reused descriptor.
    ~OpenFile() { ::close(fd); }
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;

    const int fd;
    const std::string relative_path;  // as given to open()
    const std::string path;           // full path, for messages
    const bool writable;
    const bool direct;
};

Result<std::unique_ptr<LinuxStorage>> LinuxStorage::open(EventLoop& loop,
                                                         LinuxStorageOptions options) {
    KB_ASSERT_MSG(loop.post_is_thread_safe(), "LinuxStorage posts completions from IO threads");
    KB_ASSERT(options.io_threads >= 1);
    if (options.root.empty()) return Status::invalid_argument("data directory path is empty");
    std::error_code error;
    std::string root = std::filesystem::absolute(options.root, error).lexically_normal().string();
    if (error) return errno_status(error.value(), "resolve data directory " + options.root);
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (options.create_root && !options.read_only) KB_TRY(create_directories(root));
    int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) return errno_status(errno, "open data directory " + root);
    return std::unique_ptr<LinuxStorage>(
        new LinuxStorage(loop, std::move(root), root_fd, options.read_only, options.io_threads));
}

LinuxStorage::LinuxStorage(EventLoop& loop, std::string root, int root_fd, bool read_only,
                           usize io_threads)
    : loop_(loop),
      root_(std::move(root)),
      root_fd_(root_fd),
      read_only_(read_only),
      pool_(io_threads, "kb-io") {}

LinuxStorage::~LinuxStorage() {
    // pool_ is destroyed (drained and joined) after this body, before the members it uses. The
    // files close when the table and the last job release them.
    unlock();
    ::close(root_fd_);
}

std::string LinuxStorage::full_path(std::string_view path) const {
    if (path.empty()) return root_;
    std::string full = root_;
    if (full != "/") full += '/';
    full += path;
    return full;
}

Status LinuxStorage::refuse_if_read_only(std::string_view what) const {
    if (!read_only_) return Status::ok();
    return Status::permission_denied(std::string(what) + ": data directory " + root_ +
                                     " is open read-only");
}

std::shared_ptr<LinuxStorage::OpenFile> LinuxStorage::find(FileHandle file) const {
    std::lock_guard lock(files_mutex_);
    auto found = files_.find(file.value());
    KB_ASSERT_MSG(found != files_.end(), "file handle is not open");
    return found->second;
}

std::string LinuxStorage::path_of(FileHandle file) const { return find(file)->relative_path; }

Status LinuxStorage::poison(Status failure) {
    KB_ASSERT(failure.code() == StatusCode::fatal);
    std::lock_guard lock(poison_mutex_);
    if (!poisoned_.load()) {
        poison_reason_ = failure.message();
        poisoned_.store(true);
    }
    return failure;
}

Status LinuxStorage::poisoned_status() const {
    std::lock_guard lock(poison_mutex_);
    return Status::fatal("data directory " + root_ + ": an earlier sync failed (" + poison_reason_ +
                         "); durability can no longer be promised");
}

// --- Lock ---

Status LinuxStorage::lock_exclusive() {
    if (read_only_) {
        return Status::invalid_argument("data directory " + root_ +
                                        " is open read-only and cannot be locked");
    }
    KB_ASSERT_MSG(lock_fd_ < 0, "lock_exclusive called twice");
    std::string lock_path = full_path(kLockFileName);
    int fd = ::openat(root_fd_, std::string(kLockFileName).c_str(), O_RDWR | O_CREAT | O_CLOEXEC,
                      kFileMode);
    if (fd < 0) return errno_status(errno, "open lock file " + lock_path);
    struct flock whole_file {};
    whole_file.l_type = F_WRLCK;
    whole_file.l_whence = SEEK_SET;
    if (::fcntl(fd, F_OFD_SETLK, &whole_file) != 0) {
        int error = errno;
        if (error == EAGAIN || error == EACCES) {
            char text[32] = {};
            ssize_t count = ::pread(fd, text, sizeof(text) - 1, 0);
            std::string pid = count > 0 ? std::string(text, static_cast<usize>(count)) : "";
            while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
            ::close(fd);
            return Status::busy("data directory " + root_ + " is locked by another process (pid " +
                                (pid.empty() ? std::string("unknown") : pid) + ")");
        }
        ::close(fd);
        return errno_status(error, "lock " + lock_path);
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    Status written = ::ftruncate(fd, 0) == 0
                         ? write_fully(fd, 0, as_bytes(pid), lock_path)
                         : errno_status(errno, "truncate lock file " + lock_path);
    if (!written.is_ok()) {
        ::close(fd);
        return written;
    }
    lock_fd_ = fd;
    return Status::ok();
}

void LinuxStorage::unlock() {
    if (lock_fd_ < 0) return;
    // Clear the pid first so nobody is told about a holder that has gone. Best effort: the
    // lock itself is released by close either way.
    [[maybe_unused]] int ignored = ::ftruncate(lock_fd_, 0);
    ::close(lock_fd_);
    lock_fd_ = -1;
}

// --- Files ---

Result<FileHandle> LinuxStorage::open(std::string_view path, OpenOptions options) {
    KB_TRY(validate_path(path, false));
    KB_ASSERT_MSG(options.write || !options.create, "OpenOptions.create requires write");
    KB_ASSERT_MSG(options.create || !options.exclusive, "OpenOptions.exclusive requires create");
    std::string full = full_path(path);
    if (options.write) KB_TRY(refuse_if_read_only("open " + full + " for writing"));
    int flags = O_CLOEXEC | (options.write ? O_RDWR : O_RDONLY);
    if (options.create) flags |= O_CREAT;
    if (options.exclusive) flags |= O_EXCL;
    if (options.direct) flags |= O_DIRECT;
    int fd = ::openat(root_fd_, std::string(path).c_str(), flags, kFileMode);
    if (fd < 0) {
        if (options.direct && errno == EINVAL) {
            return Status::unsupported("open " + full +
                                       " with O_DIRECT: the file system does not support it");
        }
        return errno_status(errno, "open " + full);
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0) {
        Status status = errno_status(errno, "stat " + full);
        ::close(fd);
        return status;
    }
    if (S_ISDIR(info.st_mode)) {
        ::close(fd);
        return Status::invalid_argument("open " + full + ": is a directory");
    }
    std::lock_guard lock(files_mutex_);
    u64 handle = next_handle_++;
    files_.emplace(handle, std::make_shared<OpenFile>(fd, std::string(path), std::move(full),
                                                      options.write, options.direct));
    return FileHandle(handle);
}

Status LinuxStorage::close(FileHandle file) {
    std::lock_guard lock(files_mutex_);
    auto found = files_.find(file.value());
    KB_ASSERT_MSG(found != files_.end(), "file handle is not open");
    files_.erase(found);
    return Status::ok();
}

Result<u64> LinuxStorage::size(FileHandle file) {
    auto open_file = find(file);
    struct stat info {};
    if (::fstat(open_file->fd, &info) != 0) return errno_status(errno, "stat " + open_file->path);
    return static_cast<u64>(info.st_size);
}

Status LinuxStorage::preallocate(FileHandle file, u64 offset, u64 length) {
    auto open_file = find(file);
    KB_TRY(refuse_if_read_only("preallocate " + open_file->path));
    if (length == 0) return Status::ok();
    if (!open_file->writable) {
        return Status::permission_denied("preallocate " + open_file->path +
                                         ": file is open read-only");
    }
    // posix_fallocate uses fallocate(2) and emulates it where the file system lacks it.
    int error =
        ::posix_fallocate(open_file->fd, static_cast<off_t>(offset), static_cast<off_t>(length));
    if (error != 0) {
        return errno_status(error, describe_io("preallocate", open_file->path, offset, length));
    }
    return Status::ok();
}

Status LinuxStorage::truncate(FileHandle file, u64 size) {
    auto open_file = find(file);
    KB_TRY(refuse_if_read_only("truncate " + open_file->path));
    if (!open_file->writable) {
        return Status::permission_denied("truncate " + open_file->path +
                                         ": file is open read-only");
    }
    if (::ftruncate(open_file->fd, static_cast<off_t>(size)) != 0) {
        return errno_status(errno, "truncate " + open_file->path + " to " + std::to_string(size));
    }
    return Status::ok();
}

// --- Directories ---

Result<bool> LinuxStorage::exists(std::string_view path) {
    KB_TRY(validate_path(path, true));
    struct stat info {};
    std::string relative = path.empty() ? "." : std::string(path);
    if (::fstatat(root_fd_, relative.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0) return true;
    if (errno == ENOENT) return false;
    return errno_status(errno, "stat " + full_path(path));
}

Status LinuxStorage::rename(std::string_view from, std::string_view to) {
    KB_TRY(validate_path(from, false));
    KB_TRY(validate_path(to, false));
    std::string what = "rename " + full_path(from) + " to " + full_path(to);
    KB_TRY(refuse_if_read_only(what));
    if (::renameat(root_fd_, std::string(from).c_str(), root_fd_, std::string(to).c_str()) != 0) {
        return errno_status(errno, what);
    }
    return Status::ok();
}

Status LinuxStorage::remove(std::string_view path) {
    KB_TRY(validate_path(path, false));
    std::string what = "remove " + full_path(path);
    KB_TRY(refuse_if_read_only(what));
    std::string relative(path);
    struct stat info {};
    if (::fstatat(root_fd_, relative.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        return errno_status(errno, what);
    }
    int flags = S_ISDIR(info.st_mode) ? AT_REMOVEDIR : 0;
    if (::unlinkat(root_fd_, relative.c_str(), flags) != 0) return errno_status(errno, what);
    return Status::ok();
}

Result<std::vector<DirectoryEntry>> LinuxStorage::list_directory(std::string_view path) {
    KB_TRY(validate_path(path, true));
    std::string what = "list directory " + full_path(path);
    std::string relative = path.empty() ? "." : std::string(path);
    int fd = ::openat(root_fd_, relative.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_status(errno, what);
    DIR* directory = ::fdopendir(fd);
    if (directory == nullptr) {
        Status status = errno_status(errno, what);
        ::close(fd);
        return status;
    }
    std::vector<DirectoryEntry> entries;
    while (true) {
        errno = 0;
        dirent* entry = ::readdir(directory);
        if (entry == nullptr) break;
        std::string_view name(entry->d_name);
        if (name == "." || name == "..") continue;
        bool is_directory = entry->d_type == DT_DIR;
        if (entry->d_type == DT_UNKNOWN) {
            struct stat info {};
            if (::fstatat(fd, entry->d_name, &info, AT_SYMLINK_NOFOLLOW) == 0) {
                is_directory = S_ISDIR(info.st_mode);
            }
        }
        entries.push_back({std::string(name), is_directory});
    }
    int error = errno;
    ::closedir(directory);  // closes fd too
    if (error != 0) return errno_status(error, what);
    // readdir order depends on the file system's hashing: sort so callers see one order.
    std::sort(entries.begin(), entries.end(),
              [](const DirectoryEntry& a, const DirectoryEntry& b) { return a.name < b.name; });
    return entries;
}

Status LinuxStorage::create_directory(std::string_view path) {
    KB_TRY(validate_path(path, false));
    std::string what = "create directory " + full_path(path);
    KB_TRY(refuse_if_read_only(what));
    std::string relative(path);
    if (::mkdirat(root_fd_, relative.c_str(), kDirectoryMode) == 0) return Status::ok();
    int error = errno;
    if (error == EEXIST) {
        struct stat info {};
        if (::fstatat(root_fd_, relative.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(info.st_mode)) {
            return Status::ok();
        }
        return Status::already_exists(what + ": a file of that name exists");
    }
    return errno_status(error, what);
}

Status LinuxStorage::sync_directory(std::string_view path) {
    KB_TRY(validate_path(path, true));
    if (poisoned_.load()) return poisoned_status();
    std::string what = "fsync directory " + full_path(path);
    std::string relative = path.empty() ? "." : std::string(path);
    int fd = ::openat(root_fd_, relative.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno_status(errno, what);
    // Synchronous on the loop thread: directory syncs happen once per segment or checkpoint,
    // not per write, so the ~1 ms they take is not worth a round trip through the pool.
    syncs_.fetch_add(1, std::memory_order_relaxed);
    int result = ::fsync(fd);
    int error = errno;
    ::close(fd);
    if (result != 0) {
        return poison(Status::fatal(what + " failed: " + errno_text(error)));
    }
    return Status::ok();
}

// --- Data ---

void LinuxStorage::read(FileHandle file, u64 offset, MutableByteSpan buffer,
                        ReadCallback callback) {
    auto open_file = find(file);
    if (open_file->direct) {
        KB_ASSERT_MSG(is_direct_io_aligned(buffer.data(), offset, buffer.size()),
                      "O_DIRECT read must be aligned to kDirectIoAlignment");
    }
    pool_.submit([this, open_file, offset, buffer, callback = std::move(callback)]() mutable {
        Result<usize> result = read_fully(open_file->fd, offset, buffer, open_file->path);
        Status status = result.status();
        usize count = result.value_or(0);
        loop_.post([callback = std::move(callback), status = std::move(status), count]() mutable {
            callback(std::move(status), count);
        });
    });
}

void LinuxStorage::write(FileHandle file, u64 offset, ByteSpan data, WriteCallback callback) {
    auto open_file = find(file);
    if (open_file->direct) {
        KB_ASSERT_MSG(is_direct_io_aligned(data.data(), offset, data.size()),
                      "O_DIRECT write must be aligned to kDirectIoAlignment");
    }
    if (read_only_ || !open_file->writable) {
        Status refused =
            Status::permission_denied(describe_io("write", open_file->path, offset, data.size()) +
                                      ": file is open read-only");
        loop_.post([callback = std::move(callback), refused = std::move(refused)]() mutable {
            callback(std::move(refused));
        });
        return;
    }
    pool_.submit([this, open_file, offset, data, callback = std::move(callback)]() mutable {
        Status status = write_fully(open_file->fd, offset, data, open_file->path);
        loop_.post([callback = std::move(callback), status = std::move(status)]() mutable {
            callback(std::move(status));
        });
    });
}

Status LinuxStorage::sync_now(const OpenFile& file) {
    // Checked when the job runs, not when it was submitted: a sync queued behind a failed one
    // must not report success either.
    if (poisoned_.load()) return poisoned_status();
    syncs_.fetch_add(1, std::memory_order_relaxed);
    if (::fdatasync(file.fd) != 0) {
        int error = errno;
        return poison(Status::fatal("fdatasync " + file.path + " failed: " + errno_text(error)));
    }
    return Status::ok();
}

void LinuxStorage::sync(FileHandle file, SyncCallback callback) {
    auto open_file = find(file);
    pool_.submit([this, open_file, callback = std::move(callback)]() mutable {
        Status status = sync_now(*open_file);
        loop_.post([callback = std::move(callback), status = std::move(status)]() mutable {
            callback(std::move(status));
        });
    });
}

void LinuxStorage::write_and_sync(FileHandle file, std::vector<WriteSpan> writes,
                                  SyncCallback callback) {
    auto open_file = find(file);
    for (const WriteSpan& span : writes) {
        if (open_file->direct) {
            KB_ASSERT_MSG(is_direct_io_aligned(span.data.data(), span.offset, span.data.size()),
                          "O_DIRECT write must be aligned to kDirectIoAlignment");
        }
    }
    if (read_only_ || !open_file->writable) {
        Status refused = Status::permission_denied(
            describe_io("write", open_file->path, writes.empty() ? 0 : writes.front().offset,
                        writes.empty() ? 0 : writes.front().data.size()) +
            ": file is open read-only");
        loop_.post([callback = std::move(callback), refused = std::move(refused)]() mutable {
            callback(std::move(refused));
        });
        return;
    }
    pool_.submit(
        [this, open_file, writes = std::move(writes), callback = std::move(callback)]() mutable {
            Status status;
            for (const WriteSpan& span : writes) {
                status = write_fully(open_file->fd, span.offset, span.data, open_file->path);
                if (!status.is_ok()) break;
            }
            if (status.is_ok()) status = sync_now(*open_file);
            loop_.post([callback = std::move(callback), status = std::move(status)]() mutable {
                callback(std::move(status));
            });
        });
}

Result<usize> LinuxStorage::read_sync(FileHandle file, u64 offset, MutableByteSpan buffer) {
    auto open_file = find(file);
    if (open_file->direct) {
        KB_ASSERT_MSG(is_direct_io_aligned(buffer.data(), offset, buffer.size()),
                      "O_DIRECT read must be aligned to kDirectIoAlignment");
    }
    return read_fully(open_file->fd, offset, buffer, open_file->path);
}

}  // namespace kb::io
