// EngineNode: one replica of the kernel mode, a real db::Engine (admission, sealing, the
// kernel, the store) opened as replica `index` of the simulated cluster on the node's own
// SimStorage, with what it applied recorded for the checkers (an AppliedView: the log's chain
// hash at each position and the kernel's state hash after it, for the ops it replays at open
// and those its replica commits). A crash drops the EngineNode;
// a restart opens a new one on the same storage (the genesis record is then already logged).
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "crypto/master_key.h"
#include "crypto/random.h"
#include "db/engine.h"
#include "io/clock.h"
#include "io/event_loop.h"
#include "io/storage.h"
#include "kernel/permissions.h"
#include "sim/bank_workload.h"
#include "sim/sim_state_machine.h"

namespace kb::sim {

// What every replica of the kernel mode shares; everything must outlive the nodes.
struct EngineNodeEnvironment {
    io::EventLoop* loop = nullptr;
    const io::Clock* clock = nullptr;
    const crypto::MasterKeyProvider* master = nullptr;
    const kernel::PermissionChecker* permissions = nullptr;
    Bytes genesis_record;  // the cluster's (db::make_genesis_record)
    u8 replica_count = 1;
    vsr::ReplicaOptions protocol;
    u64 checkpoint_every_ops = 10'000;
};

class EngineNode final : public AppliedView {
public:
    // Opens replica `index` on `storage`, speaking through `bus` (both must outlive the node);
    // `seed` drives its randomness (keys, nonces). Runs the loop until the engine is open.
    static Result<std::unique_ptr<EngineNode>> open(const EngineNodeEnvironment& environment,
                                                    u8 index, io::Storage& storage,
                                                    io::MessageBus& bus, u64 seed);
    ~EngineNode() override;
    EngineNode(const EngineNode&) = delete;
    EngineNode& operator=(const EngineNode&) = delete;

    db::Engine& engine() { return *engine_; }
    const db::Engine& engine() const { return *engine_; }

    // AppliedView.
    Position applied() const override { return engine_->replica().commit_min(); }
    const std::vector<AppliedOp>& applied_ops() const override { return ops_; }
    Position first_position() const override { return first_; }

private:
    explicit EngineNode(u64 seed) : random_(seed) {}
    void record(Position position, ByteSpan record, const kernel::Kernel& kernel);
    Status record_replayed();

    crypto::SeededRandom random_;
    std::unique_ptr<db::Engine> engine_;
    bool started_ = false;  // first_ is known
    Position first_;
    std::vector<AppliedOp> ops_;
    std::vector<std::pair<Position, u64>> replayed_;  // (position, state hash) while opening
};

// The kernel's state hash as a u64 (the first bytes of its digest).
u64 state_hash64(const kernel::Kernel& kernel);

// Runs the loop until the predicate holds; false if it gave up (or the run failed).
using LoopRunner = std::function<bool(const std::function<bool()>&)>;

// The kernel workload's setup at `primary` (the primary of view 0), in-process: a tenant and
// `count` streams; their ids.
Result<std::pair<TenantId, std::vector<StreamId>>> create_streams(db::Engine& primary, usize count,
                                                                  const LoopRunner& run);

// Submits `body` in-process at `engine` and waits for it: the applied result; an internal
// error for a refusal (naming its outcome) or no answer.
Result<db::SubmitResult> submit_and_wait(db::Engine& engine, TenantId tenant, kernel::OpBody body,
                                         const LoopRunner& run);

// The bank workload's setup at `primary`, in-process: its table in `tenant` (the tenant's next
// object id) with `accounts` accounts, in one transaction; `bank` starts at its position.
Status create_accounts(db::Engine& primary, TenantId tenant, usize accounts, BankWorkload& bank,
                       const LoopRunner& run);

// ok when `engine`'s accounts table holds exactly the bank model's accounts and balances, as
// of the newest position and of a few earlier ones (time travel); an internal error naming the
// first difference.
Status check_accounts(const db::Engine& engine, const BankWorkload& bank);

// ok when each of `tenant`'s `streams` ends (its next offset) at `expected`; an internal error
// naming the first that does not.
Status check_stream_ends(const db::Engine& engine, TenantId tenant,
                         const std::vector<StreamId>& streams, const std::vector<u64>& expected);

}  // namespace kb::sim
