// SimStorage: the fault-injecting Storage the simulator and crash tests run the real code on.
//
// A SimStorage is one process's view of a SimDisk (sim_disk.h), driven by a SimEventLoop: it
// holds the open handles, the lock, the poisoned flag and the callbacks not yet delivered.
// Every data operation completes after a latency drawn from a seeded Prng, so concurrent
// operations complete in a seed-determined order (same seed, same order).
//
// Faults, each available on demand (inject) and by probability (options):
//   read_error   a read fails with io_error (EIO)
//   write_error  a write fails with io_error; nothing lands
//   no_space     a write fails with no_space; nothing lands (also when the disk is full)
//   sync_error   a sync or sync_directory fails: fatal, and the storage is poisoned, so every
//                later sync fails fatal too until a crash (restart) clears it. The writes it
//                covered are not durable (a crash may keep or lose them).
//   misdirect    a write reports success but lands at another offset or in another file
//   bit_flip     a write reports success but one bit of it lands inverted
// plus crash() (SimDisk::crash: unsynced writes kept/lost/torn, unsynced entries undone) and
// bit rot at rest (SimDisk::corrupt, corrupt_random).
//
// After a crash every handle of the old epoch is invalid (data operations on it fail with
// io_error, close() is a no-op), callbacks not yet delivered are dropped, the lock is released
// and the poisoned flag is cleared: the object is now the restarted process's storage.
#pragma once

#include <deque>
#include <map>
#include <string>

#include "base/prng.h"
#include "base/time_units.h"
#include "io/sim_disk.h"
#include "io/sim_event_loop.h"
#include "io/storage.h"

namespace kb::io {

struct LatencyRange {
    u64 min_ns = 0;
    u64 max_ns = 0;
};

struct SimStorageOptions {
    u64 seed = 1;
    u64 pid = 4242;  // written to LOCK and named in "locked by another process (pid N)"
    bool read_only = false;
    // Defaults in the range of an NVMe drive; a sync is far slower than a write.
    LatencyRange read_latency{.min_ns = 10 * kNanosPerMicro, .max_ns = 200 * kNanosPerMicro};
    LatencyRange write_latency{.min_ns = 10 * kNanosPerMicro, .max_ns = 500 * kNanosPerMicro};
    LatencyRange sync_latency{.min_ns = 100 * kNanosPerMicro, .max_ns = 5 * kNanosPerMilli};
    // Probability of each fault per operation of its kind, in millionths (0: never).
    u32 read_error_per_million = 0;
    u32 write_error_per_million = 0;
    u32 no_space_per_million = 0;
    u32 sync_error_per_million = 0;
    u32 misdirect_per_million = 0;
    u32 bit_flip_per_million = 0;
};

enum class SimFault : u8 { read_error, write_error, no_space, sync_error, misdirect, bit_flip };

class SimStorage final : public Storage {
public:
    // `disk` and `loop` must outlive the storage.
    SimStorage(SimDisk& disk, SimEventLoop& loop, SimStorageOptions options = {});
    // Drops callbacks not yet delivered and releases the lock.
    ~SimStorage() override;
    SimStorage(const SimStorage&) = delete;
    SimStorage& operator=(const SimStorage&) = delete;

    // Makes the next `count` operations of the fault's kind misbehave: on `path` only (for
    // sync_error, a file or a directory given to sync_directory), or on any path if empty.
    void inject(SimFault fault, std::string path = {}, u32 count = 1);
    // Power loss: SimDisk::crash() plus dropping this view's state (see above).
    CrashReport crash();

    SimDisk& disk() { return disk_; }
    bool poisoned();
    // Data operations whose callbacks have not run yet.
    usize operations_in_flight() const { return pending_.size(); }
    // sync() and sync_directory() calls made so far (as LinuxStorage::syncs counts fdatasync
    // and fsync calls): for tests that count a protocol's syncs.
    u64 syncs() const { return syncs_; }

    Status lock_exclusive() override;
    void unlock() override;
    bool read_only() const override { return options_.read_only; }

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
    Result<usize> read_sync(FileHandle file, u64 offset, MutableByteSpan buffer) override;

private:
    struct OpenFile {
        SimDisk::NodeId node = 0;
        std::string path;
        bool writable = false;
        bool direct = false;
    };
    struct InjectedFault {
        SimFault fault;
        std::string path;
        u32 remaining;
    };

    // Catches up with a crash of the disk (by this or another view) since the last call.
    void follow_epoch();
    void drop_pending();
    // nullptr (with *stale set) for a handle from before a crash; asserts on unknown handles.
    const OpenFile* find(FileHandle file, bool* stale);
    Status stale_handle(FileHandle file) const;
    Status refuse_if_read_only(std::string_view what) const;
    // Consumes a matching injected fault, else rolls the fault's probability.
    bool fault_fires(SimFault fault, std::string_view path);
    u64 latency(const LatencyRange& range);
    // Runs `completion` after `delay_ns` unless a crash happens first.
    void complete_after(u64 delay_ns, Task completion);
    Status poison(Status failure);
    Status poisoned_status() const;

    SimDisk& disk_;
    SimEventLoop& loop_;
    const SimStorageOptions options_;
    Prng prng_;
    const u64 owner_id_;
    u64 epoch_;
    bool lock_held_ = false;
    std::map<u64, OpenFile> files_;
    u32 next_handle_ = 1;
    std::deque<InjectedFault> injected_;
    std::map<u64, TimerId> pending_;  // completion token -> loop timer
    u64 next_token_ = 1;
    bool poisoned_ = false;
    std::string poison_reason_;
    u64 syncs_ = 0;
};

}  // namespace kb::io
