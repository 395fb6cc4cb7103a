// Workloads: what the simulated clients ask for and how their answers are judged, kept apart
// from the state machine: the echo workload here, the kernel's in kernel_workload.h.
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
    // ok when `reply` is a right answer to `client`'s `request` (its body) logged at `op` (0
    // when refused); an invalid_argument naming the difference otherwise. Called once per
    // request, when its first reply comes; every position up to `op` is committed by then
    // (on_committed has seen it).
    virtual Status check_reply(ClientId client, RequestNumber number, ByteSpan request, Position op,
                               ByteSpan reply) = 0;
    // `position` was committed with (client, request) (client 0: not a workload request;
    // request 0: a client's register, which applies nothing), in position order, once each (the
    // Checker calls it): a workload with a sequential model replays it. `refusal`: the record is a
    // logged refusal of that request (it applies nothing). An error names what the model could not
    // accept.
    virtual Status on_committed(Position position, ClientId client, RequestNumber request,
                                bool refusal) {
        (void)position;
        (void)client;
        (void)request;
        (void)refusal;
        return Status::ok();
    }
};

// For EchoLogStateMachine: appends of a few to a few hundred bytes naming their client and
// request, and now and then a request the state machine refuses.
class EchoAppendWorkload final : public Workload {
public:
    Bytes make_request(ClientId client, RequestNumber request, Prng& prng) override;
    bool expects_op(ByteSpan request) const override;
    Status check_reply(ClientId client, RequestNumber number, ByteSpan request, Position op,
                       ByteSpan reply) override;
};

}  // namespace kb::sim
