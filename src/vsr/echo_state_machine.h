// EchoStateMachine: a state machine whose records carry the request bytes and whose state is
// the history itself (the chain hash after each applied position, and which client request
// each position holds). The replication tests, the simulator and the multi-process replication
// test run real replicas with it, so what they check is the protocol, not an application.
// Requests starting with "refuse" are refused, to exercise that path: logged as a refusal record
// for a client with a session, not logged for the in-process client 0.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "crypto/random.h"
#include "storage/key_source.h"
#include "storage/record.h"
#include "types/ids.h"
#include "vsr/state_machine.h"

namespace kb::vsr {

// The record an echo state machine logs for a request: `payload` (the request's bytes for an
// op, the reply for a refusal), sealed for `tenant` with `keys`, principal 1, chained after
// input.previous_chain_hash.
Result<Bytes> build_echo_record(const PrepareInput& input, storage::RecordKind kind,
                                ByteSpan payload, storage::KeySource* keys, TenantId tenant,
                                crypto::RandomSource& random);

class EchoStateMachine final : public StateMachine {
public:
    // Records are sealed for `tenant` with `keys` (which must hold its keys); `seed` drives the
    // nonces (deterministic in simulation).
    EchoStateMachine(storage::KeySource* keys, TenantId tenant, u64 seed = 3);

    Result<Prepared> prepare(const PrepareInput& input) override;
    // Replies "applied at N".
    Result<Bytes> commit(Position position, ByteSpan record) override;
    void discard_after(Position) override {}
    Position applied() const override { return Position(chains.size()); }

    std::vector<ComplianceHash> chains;  // chain hash after each applied position
    std::vector<std::pair<ClientId, RequestNumber>> requests;  // by position - 1
    u64 prepares = 0;

private:
    storage::KeySource* keys_;
    TenantId tenant_;
    crypto::SeededRandom random_;
    ComplianceHash chain_{};
};

}  // namespace kb::vsr
