// Workloads: what the simulated clients ask for and how their answers are judged, kept apart
// from the state machine so that another engine (the real kernel: stream appends, SQL
// transactions) can come with its own workload.
#pragma once

#include "base/bytes.h"
#include "base/prng.h"
#include "kimberlite/status.h"
#include "types/ids.h"

namespace kb::sim {

class Workload {
public:
    virtual ~Workload() = default;

    // The body of `client`'s request number `request` (each request is made once; retries
    // resend the same bytes).
    virtual Bytes make_request(ClientId client, RequestNumber request, Prng& prng) = 0;
    // Whether the state machine logs this request (false: it is refused, answered with op 0).
    virtual bool expects_op(ByteSpan request) const = 0;
    // ok when `reply` is a right answer to `request` logged at `op` (0 when refused); an
    // invalid_argument naming the difference otherwise.
    virtual Status check_reply(ByteSpan request, Position op, ByteSpan reply) const = 0;
};

// For EchoLogStateMachine: appends of a few to a few hundred bytes naming their client and
// request, and now and then a request the state machine refuses.
class EchoAppendWorkload final : public Workload {
public:
    Bytes make_request(ClientId client, RequestNumber request, Prng& prng) override;
    bool expects_op(ByteSpan request) const override;
    Status check_reply(ByteSpan request, Position op, ByteSpan reply) const override;
};

}  // namespace kb::sim
