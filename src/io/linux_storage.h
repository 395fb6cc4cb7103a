// LinuxStorage: Storage over POSIX files in one data directory.
//
// Data operations run on a small IoThreadPool (pread/pwrite/fdatasync) and their callbacks are
// posted back to the event loop, whose post() must be thread-safe (AsioEventLoop). Several
// threads let a sync run while the next writes are submitted, which group commit relies on:
// one fdatasync (~0.1-10 ms depending on the device) covers every write completed before it.
//
// Everything is relative to a directory descriptor of the root (openat and friends), so the
// process's working directory never matters. Files are created 0600 and directories 0700: the
// data directory holds regulated data. Directory entries become durable only through an explicit
// sync_directory() (storage.h), never implicitly.
//
// The lock is an open-file-description lock (F_OFD_SETLK) on root/LOCK: unlike POSIX record
// locks it conflicts between two opens in the same process too (two Storage objects on one
// directory), and the kernel releases it when the holder's descriptor closes or the process
// dies. The descriptor is O_CLOEXEC, so a program exec'd by the server does not keep the lock.
// The holder writes its pid into LOCK so a refused opener can name it.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "io/event_loop.h"
#include "io/io_thread_pool.h"
#include "io/storage.h"

namespace kb::io {

struct LinuxStorageOptions {
    std::string root;          // the data directory; relative paths are made absolute
    bool create_root = false;  // create it (and missing parents) if missing
    bool read_only = false;    // refuse every mutation; take no lock
    usize io_threads = 4;      // >= 2 so a sync never holds up writes
};

class LinuxStorage final : public Storage {
public:
    // `loop` must have a thread-safe post() and outlive the storage.
    static Result<std::unique_ptr<LinuxStorage>> open(EventLoop& loop, LinuxStorageOptions options);
    // Waits for data operations in flight (their callbacks are still posted to the loop), then
    // closes every file and releases the lock.
    ~LinuxStorage() override;

    // The absolute root path, as used in messages.
    const std::string& root() const { return root_; }
    // True once a sync or sync_directory has failed (storage.h, "fatal").
    bool poisoned() const { return poisoned_.load(); }
    // fdatasync and fsync calls made so far (files and directories; each counted once, when
    // it is made, whether or not it fails): for /metrics. Any thread.
    u64 syncs() const { return syncs_.load(std::memory_order_relaxed); }

    Status lock_exclusive() override;
    void unlock() override;
    bool read_only() const override { return read_only_; }

    Result<FileHandle> open(std::string_view path, OpenOptions options) override;
    Status close(FileHandle file) override;
    Result<u64> size(FileHandle file) override;
    Status preallocate(FileHandle file, u64 offset, u64 length) override;
    Status truncate(FileHandle file, u64 size) override;
    std::string path_of(FileHandle file) const override;

    Result<bool> exists(std::string_view path) override;
    Status rename(std::string_view from, std::string_view to) override;
    Status remove(std::string_view path) override;
    Result<std::vector<DirectoryEntry>> list_directory(std::string_view path) override;
    Status create_directory(std::string_view path) override;
    Status sync_directory(std::string_view path) override;

    void read(FileHandle file, u64 offset, MutableByteSpan buffer, ReadCallback callback) override;
    void write(FileHandle file, u64 offset, ByteSpan data, WriteCallback callback) override;
    void sync(FileHandle file, SyncCallback callback) override;
    bool has_write_and_sync() const override { return true; }
    void write_and_sync(FileHandle file, std::vector<WriteSpan> writes,
                        SyncCallback callback) override;
    Result<usize> read_sync(FileHandle file, u64 offset, MutableByteSpan buffer) override;

private:
    struct OpenFile;

    LinuxStorage(EventLoop& loop, std::string root, int root_fd, bool read_only, usize io_threads);

    std::shared_ptr<OpenFile> find(FileHandle file) const;
    std::string full_path(std::string_view path) const;
    Status refuse_if_read_only(std::string_view what) const;
    // Records the first failed sync; later syncs report it.
    Status poison(Status failure);
    Status poisoned_status() const;
    // fdatasync of `file` on the calling (IO) thread, counted; poisons the storage on failure.
    Status sync_now(const OpenFile& file);

    EventLoop& loop_;
    const std::string root_;
    const int root_fd_;  // O_PATH descriptor of the root
    const bool read_only_;
    int lock_fd_ = -1;

    mutable std::mutex files_mutex_;  // reader threads look files up concurrently
    std::map<u64, std::shared_ptr<OpenFile>> files_;
    u64 next_handle_ = 1;

    std::atomic<bool> poisoned_{false};
    std::atomic<u64> syncs_{0};
    mutable std::mutex poison_mutex_;
    std::string poison_reason_;

    // Declared last so it is destroyed first: its jobs use the members above.
    IoThreadPool pool_;
};

}  // namespace kb::io
