// The replica's own durable state (VSR "superblock"): which replica of which cluster this is,
// the view it has promised (`view`: it never takes part in an older one) and the view whose
// log it holds (`log_view`: the view in which it last accepted a primary's log as its own).
//
// Both must be durable before they are acted on (the replica sends nothing that depends on a
// new value until write() completes): a replica that restarts and forgot a promise could vote
// twice, and one that forgot its log_view could win a view change with a stale log.
//
// File `replica.state` in the data directory: two copies (slots) at offsets 0 and 4096, written
// alternately, each synced before the write is reported done, so a torn write of one copy
// leaves the other. Open picks the valid copy with the highest sequence. Layout of a slot
// (little-endian, 64 bytes): u32 CRC32C of bytes [4, 64); u32 magic "KBVS"; u16 version;
// u8 replica; u8 replica_count; u32 zero; u64 sequence; u64 cluster; u64 view; u64 log_view;
// u64 head_limit + 1 (0: none); u64 zero.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "base/ints.h"
#include "io/event_loop.h"
#include "io/storage.h"
#include "io/unique_function.h"
#include "kimberlite/status.h"
#include "types/ids.h"

namespace kb::vsr {

struct ReplicaState {
    u64 cluster = 0;
    u8 replica = 0;
    u8 replica_count = 1;
    View view;
    View log_view;
    // Set while the replica brings its log in line with a newer view's (it cut its log back to
    // here and appends the new view's records after it, before it may record that view as
    // log_view): a view change must not offer the records past it as log_view's.
    std::optional<Position> head_limit;

    friend bool operator==(const ReplicaState&, const ReplicaState&) = default;
};

class Superblock {
public:
    // Creates the file with `initial` (a new replica), syncing it and the directory. Runs
    // `loop` until durable. already_exists if there is one.
    static Result<std::unique_ptr<Superblock>> create(io::Storage& storage, io::EventLoop& loop,
                                                      const ReplicaState& initial);
    // Opens an existing file. not_found if there is none; corruption when neither copy is
    // valid; invalid_argument for an unknown version.
    static Result<std::unique_ptr<Superblock>> open(io::Storage& storage, io::EventLoop& loop);
    ~Superblock();
    Superblock(const Superblock&) = delete;
    Superblock& operator=(const Superblock&) = delete;

    // The newest state written (durable or being made durable).
    const ReplicaState& state() const { return state_; }
    // The newest state known durable.
    const ReplicaState& durable() const { return durable_; }

    // Writes `next` (view and log_view never decrease; cluster and replica never change) and
    // calls `done` once it is durable. Writes queue: each completes in order. A failed write
    // or sync is fatal (the replica must stop).
    void write(const ReplicaState& next, io::UniqueFunction<void(Status)> done);
    bool writing() const { return in_flight_; }
    // True when this object created the file (a new replica) rather than opening one.
    bool created() const { return created_; }

private:
    Superblock(io::Storage& storage, io::FileHandle file, const ReplicaState& state, u64 sequence);
    void start_next();

    io::Storage& storage_;
    io::FileHandle file_;
    ReplicaState state_;
    ReplicaState durable_;
    u64 sequence_ = 0;
    bool in_flight_ = false;
    bool created_ = false;
    std::deque<std::pair<ReplicaState, io::UniqueFunction<void(Status)>>> queue_;
    std::array<u8, 64> slot_bytes_{};  // the slot being written (kept alive for the write)
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace kb::vsr
