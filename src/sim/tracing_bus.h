// TracingBus: a MessageBus that folds every message delivered through it into the simulator's
// trace hash (time, sender, receiver, the message's checksums and size) before handing it on,
// so two runs of one seed can be compared with one number.
#pragma once

#include "io/clock.h"
#include "io/network.h"

namespace kb::sim {

// Folds one delivered message into `trace`. Clients and replicas use the same fold.
void trace_message(const io::Clock& clock, u64& trace, io::Peer from, io::Peer to,
                   const Bytes& message);

// Wraps a replica's bus on the simulated network; the same object serves every incarnation of
// the replica. `inner`, `clock` and `trace` must outlive it.
class TracingBus final : public io::MessageBus {
public:
    TracingBus(io::MessageBus& inner, const io::Clock& clock, u64& trace)
        : inner_(inner), clock_(clock), trace_(trace) {}

    io::Peer self() const override { return inner_.self(); }
    void send(io::Peer to, io::Message message) override { inner_.send(to, std::move(message)); }
    void set_receiver(io::MessageReceiver receiver) override;
    io::MessageBusCounters counters() const override { return inner_.counters(); }

private:
    io::MessageBus& inner_;
    const io::Clock& clock_;
    u64& trace_;
};

}  // namespace kb::sim
