// The simulator's state machines (vsr::StateMachine) and the record of what each one applied,
// which the checkers compare across replicas.
//
// SimStateMachine is the seam: a vsr::StateMachine that can also report a hash of its whole
// state (equal histories must give equal hashes). EchoLogStateMachine is the one the simulator
// runs for now: each request's bytes are the op's plaintext payload, sealed with the storage
// tests' keyring; commit() opens the record again, folds (position, client, request, payload)
// into a running hash and answers with the position and a digest of the payload. A request
// starting with "refuse" is refused at prepare (nothing logged). The real engine (stream appends
// and SQL transactions through the kernel) can replace it behind SimStateMachine.
//
// RecordingStateMachine wraps any SimStateMachine and keeps, for each op it applied, the
// position, client, request, the log's chain hash there and the state hash after it. It is one
// AppliedView, what the checkers read; the kernel mode's EngineNode (engine_node.h) is the other.
#pragma once

#include <memory>
#include <vector>

#include "crypto/random.h"
#include "storage/key_source.h"
#include "vsr/state_machine.h"

namespace kb::sim {

class SimStateMachine : public vsr::StateMachine {
public:
    // A digest of everything applied so far; equal on replicas at equal applied positions.
    virtual u64 state_hash() const = 0;
};

// 64-bit digest of bytes (FNV-1a with a final avalanche): stable across machines and runs.
u64 digest64(ByteSpan bytes, u64 seed = 0);
// Folds `value` into a running hash.
u64 fold64(u64 hash, u64 value);

class EchoLogStateMachine final : public SimStateMachine {
public:
    // `keys` must outlive the state machine; `seed` drives the sealing nonces.
    EchoLogStateMachine(storage::KeySource* keys, u64 seed);

    Result<vsr::Prepared> prepare(const vsr::PrepareInput& input) override;
    Result<Bytes> commit(Position position, ByteSpan record) override;
    void discard_after(Position) override {}
    Position applied() const override { return applied_; }
    u64 state_hash() const override { return state_hash_; }

    // The reply commit() gives for a payload logged at `position`, and the refusal prepare()
    // gives: what a workload checks replies against.
    static Bytes reply_for(Position position, ByteSpan payload);
    static Bytes refusal_for(ByteSpan request);
    static bool refused(ByteSpan request);

private:
    storage::KeySource* keys_;
    crypto::SeededRandom random_;
    Position applied_;
    u64 state_hash_ = 0;
};

struct AppliedOp {
    Position position;
    ClientId client;
    RequestNumber request;
    ComplianceHash chain;       // the log's chain hash at `position`
    u64 state_hash = 0;         // the state machine's hash after applying it
    bool refusal = false;       // a logged refusal: answers its request, applies nothing
    bool registration = false;  // a client's register (request 0): opens a session
};

// The AppliedOp of `record` (as logged) applied at `position`, the state hash after it.
Result<AppliedOp> applied_op_of(Position position, ByteSpan record, u64 state_hash);

// What one incarnation of a replica's state machine applied, as the checkers read it.
class AppliedView {
public:
    virtual ~AppliedView() = default;
    // The state machine's own applied position.
    virtual Position applied() const = 0;
    // Everything applied by this incarnation, in order, from first_position() on.
    virtual const std::vector<AppliedOp>& applied_ops() const = 0;
    virtual Position first_position() const = 0;
};

class RecordingStateMachine final : public vsr::StateMachine, public AppliedView {
public:
    explicit RecordingStateMachine(std::unique_ptr<SimStateMachine> inner);

    Result<vsr::Prepared> prepare(const vsr::PrepareInput& input) override;
    Result<Bytes> commit(Position position, ByteSpan record) override;
    void discard_after(Position position) override;
    Position applied() const override { return inner_->applied(); }

    const std::vector<AppliedOp>& applied_ops() const override { return ops_; }
    Position first_position() const override { return first_; }

private:
    std::unique_ptr<SimStateMachine> inner_;
    Position first_;
    std::vector<AppliedOp> ops_;
};

}  // namespace kb::sim
