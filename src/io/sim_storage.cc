// SimStorage: Storage calls become SimDisk changes, completed through SimEventLoop timers.
#include "io/sim_storage.h"

#include <optional>

#include "base/assert.h"
#include "io/aligned_buffer.h"

namespace kb::io {

namespace {
constexpr u64 kMillion = 1'000'000;
// Misdirected writes within a file land on a multiple of this (a sector).
constexpr u64 kMisdirectGranularity = 512;
}  // namespace

SimStorage::SimStorage(SimDisk& disk, SimEventLoop& loop, SimStorageOptions options)
    : disk_(disk),
      loop_(loop),
      options_(std::move(options)),
      prng_(options_.seed),
      owner_id_(disk.new_owner_id()),
      epoch_(disk.epoch()) {}

SimStorage::~SimStorage() {
    drop_pending();
    if (epoch_ == disk_.epoch()) unlock();
}

void SimStorage::follow_epoch() {
    if (epoch_ == disk_.epoch()) return;
    drop_pending();
    files_.clear();
    lock_held_ = false;
    poisoned_ = false;
    poison_reason_.clear();
    epoch_ = disk_.epoch();
}

void SimStorage::drop_pending() {
    for (const auto& [token, timer] : pending_) loop_.cancel(timer);
    pending_.clear();
}

CrashReport SimStorage::crash() {
    CrashReport report = disk_.crash();
    follow_epoch();
    return report;
}

bool SimStorage::poisoned() {
    follow_epoch();
    return poisoned_;
}

void SimStorage::inject(SimFault fault, std::string path, u32 count) {
    KB_ASSERT(count > 0);
    injected_.push_back({fault, std::move(path), count});
}

bool SimStorage::fault_fires(SimFault fault, std::string_view path) {
    for (auto rule = injected_.begin(); rule != injected_.end(); ++rule) {
        if (rule->fault != fault || (!rule->path.empty() && rule->path != path)) continue;
        if (--rule->remaining == 0) injected_.erase(rule);
        return true;
    }
    u32 per_million = 0;
    switch (fault) {
        case SimFault::read_error:
            per_million = options_.read_error_per_million;
            break;
        case SimFault::write_error:
            per_million = options_.write_error_per_million;
            break;
        case SimFault::no_space:
            per_million = options_.no_space_per_million;
            break;
        case SimFault::sync_error:
            per_million = options_.sync_error_per_million;
            break;
        case SimFault::misdirect:
            per_million = options_.misdirect_per_million;
            break;
        case SimFault::bit_flip:
            per_million = options_.bit_flip_per_million;
            break;
    }
    // No draw when the fault is off, so turning one fault on does not reshuffle the others.
    return per_million > 0 && prng_.chance(per_million, kMillion);
}

u64 SimStorage::latency(const LatencyRange& range) {
    KB_ASSERT(range.min_ns <= range.max_ns);
    return prng_.range_inclusive(range.min_ns, range.max_ns);
}

void SimStorage::complete_after(u64 delay_ns, Task completion) {
    u64 token = next_token_++;
    TimerId timer = loop_.schedule_after(
        delay_ns, [this, token, epoch = epoch_, completion = std::move(completion)]() mutable {
            pending_.erase(token);
            if (epoch != disk_.epoch()) return;  // the process "died" before this completed
            completion();
        });
    pending_.emplace(token, timer);
}

Status SimStorage::poison(Status failure) {
    KB_ASSERT(failure.code() == StatusCode::fatal);
    if (!poisoned_) {
        poisoned_ = true;
        poison_reason_ = failure.message();
    }
    return failure;
}

Status SimStorage::poisoned_status() const {
    return Status::fatal("data directory " + disk_.display_path("") + ": an earlier sync failed (" +
                         poison_reason_ + "); durability can no longer be promised");
}

Status SimStorage::refuse_if_read_only(std::string_view what) const {
    if (!options_.read_only) return Status::ok();
    return Status::permission_denied(std::string(what) + ": data directory " +
                                     disk_.display_path("") + " is open read-only");
}

const SimStorage::OpenFile* SimStorage::find(FileHandle file, bool* stale) {
    follow_epoch();
    *stale = (file.value() >> 32) != epoch_;
    if (*stale) return nullptr;
    auto found = files_.find(file.value());
    KB_ASSERT_MSG(found != files_.end(), "file handle is not open");
    return &found->second;
}

Status SimStorage::stale_handle(FileHandle file) const {
    return Status::io_error("file handle " + std::to_string(file.value() & 0xffff'ffffu) + " of " +
                            disk_.display_path("") + " was invalidated by a crash");
}

// --- Lock ---

Status SimStorage::lock_exclusive() {
    follow_epoch();
    if (options_.read_only) {
        return Status::invalid_argument("data directory " + disk_.display_path("") +
                                        " is open read-only and cannot be locked");
    }
    KB_ASSERT_MSG(!lock_held_, "lock_exclusive called twice");
    if (!disk_.try_lock(owner_id_, options_.pid)) {
        return Status::busy("data directory " + disk_.display_path("") +
                            " is locked by another process (pid " +
                            std::to_string(disk_.lock_pid()) + ")");
    }
    // Like LinuxStorage: the LOCK file exists and names the holder (not durable until the
    // root directory is synced, which does not matter: the lock itself dies with the process).
    Result<SimDisk::NodeId> created = disk_.create_file(kLockFileName, false);
    if (!created) {
        disk_.unlock(owner_id_);
        return created.error();
    }
    SimDisk::NodeId lock_file = *created;
    std::string pid = std::to_string(options_.pid) + "\n";
    disk_.set_size(lock_file, 0);
    disk_.complete_write(disk_.begin_write(lock_file, 0, as_bytes(pid), std::nullopt));
    lock_held_ = true;
    return Status::ok();
}

void SimStorage::unlock() {
    follow_epoch();
    if (!lock_held_) return;
    Result<SimDisk::NodeId> lock_file = disk_.lookup(kLockFileName);
    if (lock_file && !disk_.is_directory(*lock_file)) disk_.set_size(*lock_file, 0);
    disk_.unlock(owner_id_);
    lock_held_ = false;
}

// --- Files ---

Result<FileHandle> SimStorage::open(std::string_view path, OpenOptions options) {
    follow_epoch();
    KB_TRY(validate_path(path, false));
    KB_ASSERT_MSG(options.write || !options.create, "OpenOptions.create requires write");
    KB_ASSERT_MSG(options.create || !options.exclusive, "OpenOptions.exclusive requires create");
    std::string what = "open " + disk_.display_path(path);
    if (options.write) KB_TRY(refuse_if_read_only(what + " for writing"));
    SimDisk::NodeId node = 0;
    if (options.create) {
        node = KB_TRY(disk_.create_file(path, options.exclusive));
    } else {
        node = KB_TRY(disk_.lookup(path));
        if (disk_.is_directory(node)) return Status::invalid_argument(what + ": is a directory");
    }
    KB_ASSERT(epoch_ < (u64{1} << 32));
    u64 handle = (epoch_ << 32) | next_handle_++;
    files_.emplace(handle, OpenFile{.node = node,
                                    .path = std::string(path),
                                    .writable = options.write,
                                    .direct = options.direct});
    return FileHandle(handle);
}

Status SimStorage::close(FileHandle file) {
    bool stale = false;
    if (find(file, &stale) == nullptr) return Status::ok();  // the crash closed it
    files_.erase(file.value());
    return Status::ok();
}

std::string SimStorage::path_of(FileHandle file) const {
    auto found = files_.find(file.value());
    return found == files_.end() ? std::string("(closed)") : found->second.path;
}

Result<u64> SimStorage::size(FileHandle file) {
    bool stale = false;
    const OpenFile* open_file = find(file, &stale);
    if (stale) return stale_handle(file);
    return disk_.file_size(open_file->node);
}

Status SimStorage::preallocate(FileHandle file, u64 offset, u64 length) {
    bool stale = false;
    const OpenFile* open_file = find(file, &stale);
    if (stale) return stale_handle(file);
    std::string what =
        describe_io("preallocate", disk_.display_path(open_file->path), offset, length);
    KB_TRY(refuse_if_read_only(what));
    if (!open_file->writable) return Status::permission_denied(what + ": file is open read-only");
    if (length == 0) return Status::ok();
    KB_TRY(disk_.check_growth(open_file->node, offset + length, what));
    disk_.grow_to(open_file->node, offset + length);
    return Status::ok();
}

Status SimStorage::truncate(FileHandle file, u64 size) {
    bool stale = false;
    const OpenFile* open_file = find(file, &stale);
    if (stale) return stale_handle(file);
    std::string what =
        "truncate " + disk_.display_path(open_file->path) + " to " + std::to_string(size);
    KB_TRY(refuse_if_read_only(what));
    if (!open_file->writable) return Status::permission_denied(what + ": file is open read-only");
    KB_TRY(disk_.check_growth(open_file->node, size, what));
    disk_.set_size(open_file->node, size);
    return Status::ok();
}

// --- Directories ---

Result<bool> SimStorage::exists(std::string_view path) {
    follow_epoch();
    KB_TRY(validate_path(path, true));
    Result<SimDisk::NodeId> node = disk_.lookup(path);
    if (node) return true;
    if (node.error().code() == StatusCode::not_found) return false;
    return node.error();
}

Status SimStorage::rename(std::string_view from, std::string_view to) {
    follow_epoch();
    KB_TRY(validate_path(from, false));
    KB_TRY(validate_path(to, false));
    KB_TRY(refuse_if_read_only("rename " + disk_.display_path(from) + " to " +
                               disk_.display_path(to)));
    return disk_.rename(from, to);
}

Status SimStorage::remove(std::string_view path) {
    follow_epoch();
    KB_TRY(validate_path(path, false));
    KB_TRY(refuse_if_read_only("remove " + disk_.display_path(path)));
    return disk_.remove(path);
}

Result<std::vector<DirectoryEntry>> SimStorage::list_directory(std::string_view path) {
    follow_epoch();
    KB_TRY(validate_path(path, true));
    return disk_.list(path);
}

Status SimStorage::create_directory(std::string_view path) {
    follow_epoch();
    KB_TRY(validate_path(path, false));
    KB_TRY(refuse_if_read_only("create directory " + disk_.display_path(path)));
    return disk_.create_directory(path);
}

Status SimStorage::sync_directory(std::string_view path) {
    follow_epoch();
    KB_TRY(validate_path(path, true));
    if (poisoned_) return poisoned_status();
    ++syncs_;
    std::string what = "fsync directory " + disk_.display_path(path);
    KB_TRY(disk_.lookup(path));
    if (fault_fires(SimFault::sync_error, path)) {
        return poison(Status::fatal(what + " failed: injected I/O error (EIO)"));
    }
    return disk_.sync_directory(path);
}

// --- Data ---

void SimStorage::read(FileHandle file, u64 offset, MutableByteSpan buffer, ReadCallback callback) {
    bool stale = false;
    const OpenFile* open_file = find(file, &stale);
    u64 delay = latency(options_.read_latency);
    if (stale) {
        complete_after(delay,
                       [callback = std::move(callback), error = stale_handle(file)]() mutable {
                           callback(std::move(error), 0);
                       });
        return;
    }
    if (open_file->direct) {
        KB_ASSERT_MSG(is_direct_io_aligned(buffer.data(), offset, buffer.size()),
                      "O_DIRECT read must be aligned to kDirectIoAlignment");
    }
    bool fail = fault_fires(SimFault::read_error, open_file->path);
    std::string what =
        describe_io("read", disk_.display_path(open_file->path), offset, buffer.size());
    complete_after(delay, [this, node = open_file->node, offset, buffer, fail,
                           what = std::move(what), callback = std::move(callback)]() mutable {
        if (fail) {
            callback(Status::io_error(what + ": injected I/O error (EIO)"), 0);
            return;
        }
        // Read when the operation completes, not when it was submitted: a write completing in
        // between is visible, as on a real disk.
        callback(Status::ok(), disk_.read(node, offset, buffer));
    });
}

void SimStorage::write(FileHandle file, u64 offset, ByteSpan data, WriteCallback callback) {
    bool stale = false;
    const OpenFile* open_file = find(file, &stale);
    u64 delay = latency(options_.write_latency);
    if (stale) {
        complete_after(delay,
                       [callback = std::move(callback), error = stale_handle(file)]() mutable {
                           callback(std::move(error));
                       });
        return;
    }
    if (open_file->direct) {
        KB_ASSERT_MSG(is_direct_io_aligned(data.data(), offset, data.size()),
                      "O_DIRECT write must be aligned to kDirectIoAlignment");
    }
    std::string what =
        describe_io("write", disk_.display_path(open_file->path), offset, data.size());
    std::optional<Status> failure;
    if (options_.read_only || !open_file->writable) {
        failure = Status::permission_denied(what + ": file is open read-only");
    } else if (fault_fires(SimFault::write_error, open_file->path)) {
        failure = Status::io_error(what + ": injected I/O error (EIO)");
    } else if (fault_fires(SimFault::no_space, open_file->path)) {
        failure = Status::no_space(what + ": injected no space left on device (ENOSPC)");
    } else if (Status room = disk_.check_growth(open_file->node, offset + data.size(), what);
               !room.is_ok()) {
        failure = std::move(room);
    }
    if (failure) {
        complete_after(delay,
                       [callback = std::move(callback), error = std::move(*failure)]() mutable {
                           callback(std::move(error));
                       });
        return;
    }

    SimDisk::NodeId target = open_file->node;
    u64 target_offset = offset;
    if (!data.empty() && fault_fires(SimFault::misdirect, open_file->path)) {
        std::vector<SimDisk::NodeId> files = disk_.file_nodes();
        if (files.size() > 1 && prng_.coin()) {
            // Another file, same offset.
            std::erase(files, open_file->node);
            target = files[prng_.uniform(files.size())];
        } else {
            // Same file, another sector within (or just past) what exists.
            u64 extent = std::max(disk_.file_size(target), offset + data.size());
            target_offset =
                prng_.uniform(extent / kMisdirectGranularity + 1) * kMisdirectGranularity;
            if (target_offset == offset) {
                target_offset = offset + (data.size() + kMisdirectGranularity - 1) /
                                             kMisdirectGranularity * kMisdirectGranularity;
            }
        }
    }
    std::optional<u64> flip_bit;
    if (!data.empty() && fault_fires(SimFault::bit_flip, open_file->path)) {
        flip_bit = prng_.uniform(data.size() * 8);
    }
    u64 write_id = disk_.begin_write(target, target_offset, data, flip_bit);
    complete_after(delay, [this, write_id, callback = std::move(callback)]() mutable {
        disk_.complete_write(write_id);
        callback(Status::ok());
    });
}

void SimStorage::sync(FileHandle file, SyncCallback callback) {
    bool stale = false;
    const OpenFile* open_file = find(file, &stale);
    u64 delay = latency(options_.sync_latency);
    if (stale) {
        complete_after(delay,
                       [callback = std::move(callback), error = stale_handle(file)]() mutable {
                           callback(std::move(error));
                       });
        return;
    }
    ++syncs_;
    // What this sync covers is fixed now: writes completed before it was submitted.
    u64 sync_point = disk_.sync_point(open_file->node);
    bool fail = !poisoned_ && fault_fires(SimFault::sync_error, open_file->path);
    std::string what = "fdatasync " + disk_.display_path(open_file->path);
    complete_after(delay, [this, node = open_file->node, sync_point, fail, what = std::move(what),
                           callback = std::move(callback)]() mutable {
        // Checked at completion: a sync overlapping a failed one must not succeed either.
        if (poisoned_) {
            callback(poisoned_status());
            return;
        }
        if (fail) {
            callback(poison(Status::fatal(what + " failed: injected I/O error (EIO)")));
            return;
        }
        disk_.make_durable(node, sync_point);
        callback(Status::ok());
    });
}

Result<usize> SimStorage::read_sync(FileHandle file, u64 offset, MutableByteSpan buffer) {
    bool stale = false;
    const OpenFile* open_file = find(file, &stale);
    if (stale) return stale_handle(file);
    if (open_file->direct) {
        KB_ASSERT_MSG(is_direct_io_aligned(buffer.data(), offset, buffer.size()),
                      "O_DIRECT read must be aligned to kDirectIoAlignment");
    }
    if (fault_fires(SimFault::read_error, open_file->path)) {
        return Status::io_error(
            describe_io("read", disk_.display_path(open_file->path), offset, buffer.size()) +
            ": injected I/O error (EIO)");
    }
    return disk_.read(open_file->node, offset, buffer);
}

}  // namespace kb::io
