// Storage: every byte Kimberlite keeps on disk goes through this interface (DESIGN.md §2.3).
//
// Files are named by paths relative to one root directory (the data directory): components
// separated by '/', no empty, "." or ".." components, no leading '/'. The empty path "" names the
// root itself (for list_directory and sync_directory). LinuxStorage implements this over POSIX
// files; SimStorage over an in-memory disk that injects crashes, torn and misdirected writes,
// bit flips and IO errors, so tests can check fsync placement instead of hoping.
//
// Threads: everything runs on the owning EventLoop's thread, except read_sync(), which reader
// threads may call concurrently (they read immutable pages of the store).
//
// Metadata operations (open, close, size, preallocate, truncate, rename, remove, list, create
// directory, sync_directory, lock) are synchronous: they are rare and cheap next to data IO.
// Data operations (read, write, sync) are asynchronous: the callback runs later on the loop
// thread, never inside the call that submitted it. The caller keeps buffers alive (and
// unmodified, for writes) until the callback has run. Operations on one file may run
// concurrently and complete in any order; overlapping writes in flight together land in an
// unspecified order.
//
// Durability contract ("durable means fsync'd", DESIGN.md §2.5):
//   * A write is durable once a sync(file) submitted after the write's callback ran has
//     completed ok. Writes still in flight when sync() is submitted may or may not be covered.
//     preallocate() and truncate() are covered the same way.
//   * Creating, renaming or removing a file or directory is durable only once
//     sync_directory(parent) completes ok. Nothing here syncs a directory implicitly: the caller
//     decides (a log segment: create, preallocate, sync(file), sync_directory(dir)).
//   * Until then a crash may keep any subset of unsynced writes, each whole, torn at any byte, or
//     not at all, and may keep or drop each unsynced directory entry.
//
// Errors (messages name the file and, for data operations, offset and length):
//   io_error     the device failed (EIO); the operation had no defined effect
//   no_space     the device is full (ENOSPC); nothing durable was harmed, the writer should stop
//   fatal        a sync failed. Durability can no longer be promised, so the storage is poisoned:
//                every later sync and sync_directory fails fatal too, never "retried as
//                success" (the kernel may already have dropped the dirty pages: "fsyncgate").
//                The process must stop and recover from what is on disk.
//   not_found, already_exists, permission_denied, invalid_argument, busy: as named.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/ints.h"
#include "io/unique_function.h"
#include "kimberlite/status.h"
#include "types/strong_int.h"

namespace kb::io {

// An open file of one Storage. Valid until close() (or, in simulation, a crash).
using FileHandle = StrongInt<struct FileHandleTag, u64>;

struct OpenOptions {
    bool write = false;      // open for writing too (refused on a read-only Storage)
    bool create = false;     // create the file if it does not exist (requires write)
    bool exclusive = false;  // with create: fail with already_exists if it exists
    // O_DIRECT: bypass the page cache. Every buffer address, offset and length must then be a
    // multiple of kDirectIoAlignment (aligned_buffer.h); a misaligned request is a programmer
    // error. LinuxStorage::open returns unsupported if the file system refuses O_DIRECT.
    bool direct = false;
};

struct DirectoryEntry {
    std::string name;
    bool is_directory = false;

    friend bool operator==(const DirectoryEntry&, const DirectoryEntry&) = default;
};

// status is ok or an error; bytes_read < buffer size only at end of file.
using ReadCallback = UniqueFunction<void(Status status, usize bytes_read)>;
// ok means every byte was written (not that it is durable).
using WriteCallback = UniqueFunction<void(Status status)>;
// ok means every write completed before sync() was submitted is durable.
using SyncCallback = UniqueFunction<void(Status status)>;

// One write of Storage::write_and_sync; `data` must stay valid until its callback.
struct WriteSpan {
    u64 offset = 0;
    ByteSpan data;
};

// The file holding the data-directory lock, in the root.
inline constexpr std::string_view kLockFileName = "LOCK";

class Storage {
public:
    virtual ~Storage() = default;

    // --- The data-directory lock ---

    // Takes the exclusive lock on the root (file LOCK, holding the owner's pid) for as long as
    // this Storage lives or until unlock(). A second holder, in this or another process, gets
    // busy: "data directory /x is locked by another process (pid N)". Read-only storages do not
    // lock (verify and digest read beside a running server) and get invalid_argument here.
    virtual Status lock_exclusive() = 0;
    virtual void unlock() = 0;
    // True if opened read-only: every mutation is refused with permission_denied.
    virtual bool read_only() const = 0;

    // --- Files (synchronous metadata) ---

    virtual Result<FileHandle> open(std::string_view path, OpenOptions options) = 0;
    // Releases the handle. Operations still in flight on it complete normally.
    virtual Status close(FileHandle file) = 0;
    virtual Result<u64> size(FileHandle file) = 0;
    // Allocates [offset, offset + length) so later writes there cannot fail with ENOSPC (on
    // file systems that write in place, like ext4 and XFS; copy-on-write ones may still fail),
    // and so appends into it do not change the size that fdatasync must persist. Bytes not yet
    // written read as zero; the size grows to at least offset + length.
    virtual Status preallocate(FileHandle file, u64 offset, u64 length) = 0;
    // Sets the size: shrinking discards the tail, growing adds zeros.
    virtual Status truncate(FileHandle file, u64 size) = 0;
    // The path the file was opened under (for messages).
    virtual std::string path_of(FileHandle file) const = 0;

    // --- Directories (synchronous metadata) ---

    virtual Result<bool> exists(std::string_view path) = 0;
    // Atomically replaces `to` if it is a file. Both parents must exist.
    virtual Status rename(std::string_view from, std::string_view to) = 0;
    // Removes a file or an empty directory.
    virtual Status remove(std::string_view path) = 0;
    // Entries sorted by name (byte order), without "." and "..".
    virtual Result<std::vector<DirectoryEntry>> list_directory(std::string_view path) = 0;
    // Creates one directory level; ok if it already exists as a directory.
    virtual Status create_directory(std::string_view path) = 0;
    // Makes the directory's entries (creates, renames, removes inside it) durable. A failure is
    // fatal and poisons the storage, like a failed sync.
    virtual Status sync_directory(std::string_view path) = 0;

    // --- Data (asynchronous; callbacks on the loop thread) ---

    virtual void read(FileHandle file, u64 offset, MutableByteSpan buffer,
                      ReadCallback callback) = 0;
    virtual void write(FileHandle file, u64 offset, ByteSpan data, WriteCallback callback) = 0;
    // fdatasync: data and the size, not timestamps.
    virtual void sync(FileHandle file, SyncCallback callback) = 0;
    // Whether write_and_sync() is available (LinuxStorage; the simulated storage is not, so
    // the simulator drives writes and syncs one by one, with its faults in between).
    virtual bool has_write_and_sync() const { return false; }
    // Only when has_write_and_sync(): writes every span, then syncs the file, as one unit run
    // on one IO thread without returning to the loop between the writes and the sync (a group
    // commit's writes-then-sync costs one loop round trip instead of two, and its writes do
    // not contend for the file's lock). The callback runs once: ok when everything is durable,
    // else the first error (then nothing may be assumed durable).
    virtual void write_and_sync(FileHandle file, std::vector<WriteSpan> writes,
                                SyncCallback callback);

    // Synchronous read for reader threads: thread-safe against everything above except
    // close() of the same handle. Returns bytes read (fewer than asked only at end of file).
    virtual Result<usize> read_sync(FileHandle file, u64 offset, MutableByteSpan buffer) = 0;
};

// Checks a path against the rules at the top of this file; `allow_root` accepts "".
Status validate_path(std::string_view path, bool allow_root);
// "a/b/c" -> "a/b"; "c" -> "" (the root).
std::string_view parent_of(std::string_view path);
// "a/b/c" -> "c".
std::string_view name_of(std::string_view path);
// "write of log/3.seg at offset 4096 (512 bytes)": the prefix of data-operation messages.
std::string describe_io(std::string_view operation, std::string_view path, u64 offset, u64 length);

}  // namespace kb::io
