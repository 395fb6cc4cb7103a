// StateMachine: what a replica replicates for (DESIGN.md §3). The database's engine implements it
// over the kernel: prepare() is admission and sealing, commit() is deterministic apply.
//
// The replica calls it on its loop thread only, and in this order for any position: prepare
// (primary only) at most once per view, then commit exactly once, in position order, once the
// position is committed. discard_after() tells a (former) primary that prepared ops past a
// position will never be committed in the form it prepared them.
#pragma once

#include <optional>

#include "base/bytes.h"
#include "kimberlite/status.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::vsr {

struct PrepareInput {
    ClientId client;
    RequestNumber request;
    ByteSpan body;  // the client's request, opaque to the replica
    Position position;
    View view;
    Timestamp timestamp;  // assigned by the primary, strictly increasing
    ComplianceHash previous_chain_hash;
};

struct Prepared {
    // The record to log at the position (header then sealed payload, chained after
    // previous_chain_hash): the request was admitted — or, for a client with a session (not the
    // in-process client 0), refused: a record of kind `refusal` whose commit returns the
    // refusal, so every replica's client table learns it and a late copy of the request is
    // answered from the table instead of being judged again.
    std::optional<Bytes> record;
    // When there is no record: the reply to send at once (a refusal of the in-process client,
    // or an error). Nothing is logged and nothing is remembered; a retry is judged again.
    Bytes refusal;
};

class StateMachine {
public:
    virtual ~StateMachine() = default;

    // Primary only. Errors are operating errors (the replica stops).
    virtual Result<Prepared> prepare(const PrepareInput& input) = 0;
    // Applies the committed record at `position` (every replica), returning the reply its
    // client gets. Records the replica makes itself (a client's register, of kind
    // `registration`; attestations, co-signatures) change no state: commit only takes their
    // position, and returns nothing. Errors are operating errors (the replica stops).
    virtual Result<Bytes> commit(Position position, ByteSpan record) = 0;
    // Ops prepared after `position` are gone (a view change chose another suffix).
    virtual void discard_after(Position position) = 0;
    // The last position commit() applied (at open: what the state machine recovered).
    virtual Position applied() const = 0;
};

}  // namespace kb::vsr
