// The echo workload (workload.h).
#include "sim/workload.h"

#include <string>

#include "sim/sim_state_machine.h"

namespace kb::sim {

Bytes EchoAppendWorkload::make_request(ClientId client, RequestNumber request, Prng& prng) {
    std::string head = prng.uniform(40) == 0 ? "refuse " : "append ";
    head += std::to_string(client.value()) + ":" + std::to_string(request.value()) + " ";
    Bytes body(head.begin(), head.end());
    const u64 extra = prng.uniform(8) == 0 ? prng.uniform(400) : prng.uniform(40);
    for (u64 i = 0; i < extra; ++i) body.push_back(static_cast<u8>('a' + prng.uniform(26)));
    return body;
}

bool EchoAppendWorkload::expects_op(ByteSpan request) const {
    return !EchoLogStateMachine::refused(request);
}

Status EchoAppendWorkload::check_reply(ClientId, RequestNumber, ByteSpan request, Position op,
                                       ByteSpan reply) {
    const Bytes expected = expects_op(request) ? EchoLogStateMachine::reply_for(op, request)
                                               : EchoLogStateMachine::refusal_for(request);
    // Appends and refusals are both logged: each answer names its record's position.
    if (op.value() == 0) {
        return Status::invalid_argument("a request was answered without a log position");
    }
    if (!std::equal(expected.begin(), expected.end(), reply.begin(), reply.end())) {
        return Status::invalid_argument("reply '" + std::string(reply.begin(), reply.end()) +
                                        "' but expected '" +
                                        std::string(expected.begin(), expected.end()) + "'");
    }
    return Status::ok();
}

}  // namespace kb::sim
