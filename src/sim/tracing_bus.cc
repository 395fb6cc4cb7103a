// TracingBus (tracing_bus.h).
#include "sim/tracing_bus.h"

#include <memory>

#include "sim/sim_state_machine.h"

namespace kb::sim {

namespace {

// Replicas by index, clients by id (ids are far above any replica index).
u64 peer_code(io::Peer peer) {
    return peer.is_replica() ? peer.replica_index() : (u64{1} << 16) + peer.client_id().value();
}

}  // namespace

void trace_message(const io::Clock& clock, u64& trace, io::Peer from, io::Peer to,
                   const Bytes& message) {
    // The first 8 bytes are the header and body checksums: they stand for the contents.
    u64 checksums = 0;
    for (usize i = 0; i < 8 && i < message.size(); ++i) {
        checksums |= u64{message[i]} << (8 * i);
    }
    trace = fold64(trace, clock.monotonic_ns());
    trace = fold64(trace, peer_code(from) << 32 | peer_code(to));
    trace = fold64(trace, checksums ^ (u64{message.size()} << 40));
}

void TracingBus::set_receiver(io::MessageReceiver receiver) {
    if (!receiver) {
        inner_.set_receiver(nullptr);
        return;
    }
    auto shared = std::make_shared<io::MessageReceiver>(std::move(receiver));
    inner_.set_receiver([this, shared](io::Peer from, io::Message message) {
        trace_message(clock_, trace_, from, inner_.self(), *message);
        (*shared)(from, std::move(message));
    });
}

}  // namespace kb::sim
