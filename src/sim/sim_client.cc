// SimClient (sim_client.h).
#include "sim/sim_client.h"

#include <algorithm>

#include "sim/tracing_bus.h"

namespace kb::sim {

SimClient::SimClient(ClientHost& host, ClientId id) : host_(host), id_(id) {
    bus_ = &host_.network().bus(io::Peer::client(id_));
    bus_->set_receiver([this, alive = alive_](io::Peer from, io::Message message) {
        if (!*alive) return;
        trace_message(host_.loop().clock(), host_.trace(), from, bus_->self(), *message);
        on_message(*message);
    });
}

SimClient::~SimClient() {
    *alive_ = false;
    cancel_timer();
    bus_->set_receiver(nullptr);
}

void SimClient::cancel_timer() {
    if (timer_.value() == 0) return;
    host_.loop().cancel(timer_);
    timer_ = io::TimerId{};
}

void SimClient::start(u64 delay_ns) {
    timer_ = host_.loop().schedule_after(delay_ns, [this, alive = alive_] {
        if (!*alive) return;
        timer_ = io::TimerId{};
        send_next();
    });
}

void SimClient::send_next() {
    if (stop_new_ || host_.failed()) return;
    attempts_ = 0;
    first_sent_ns_ = host_.loop().clock().monotonic_ns();
    if (session_.value() == 0) {
        registering_ = true;
    } else {
        ++request_;
        body_ = host_.workload().make_request(id_, RequestNumber(request_), host_.client_prng());
        waiting_ = true;
    }
    attempt();
}

void SimClient::attempt() {
    if (!waiting_ && !registering_) return;
    // First the primary of the newest view the client heard of, then everyone.
    if (attempts_ == 0) {
        send_to(static_cast<u8>(view_.value() % host_.replicas()));
    } else {
        for (u8 replica = 0; replica < host_.replicas(); ++replica) send_to(replica);
    }
    ++attempts_;
    timer_ = host_.loop().schedule_after(host_.retry_ns(), [this, alive = alive_] {
        if (!*alive) return;
        timer_ = io::TimerId{};
        attempt();
    });
}

void SimClient::send_to(u8 replica) {
    vsr::Header header;
    header.cluster = host_.cluster();
    header.command = vsr::Command::request;
    header.replica = vsr::kClientReplica;
    header.view = view_;
    header.client = id_;
    // A register is request 0, names no session and carries nothing.
    const ByteSpan body = registering_ ? ByteSpan() : ByteSpan(body_);
    header.request = RequestNumber(registering_ ? 0 : request_);
    header.session = registering_ ? vsr::SessionNumber() : session_;
    header.size = static_cast<u32>(vsr::kHeaderSize + body.size());
    bus_->send(io::Peer::replica(replica),
               std::make_shared<const Bytes>(vsr::encode_message(header, body)));
}

void SimClient::on_register_reply(const vsr::Header& header) {
    // Every register reply (late copies too) must name a register of this client.
    host_.on_registered(id_, header.op);
    if (host_.failed() || !registering_) return;
    registering_ = false;
    cancel_timer();
    session_ = header.session;
    session_view_ = header.view;
    send_next();
}

void SimClient::on_eviction(const vsr::Header& header) {
    // Only for the request in flight in the session it has, and not from a view before its
    // register's reply: a deposed primary that never saw the register would say the session
    // does not exist (the real primary knows better).
    if (!waiting_ || header.session != session_ || header.request.value() != request_ ||
        header.view < session_view_) {
        return;
    }
    if (!host_.on_eviction(id_, RequestNumber(request_))) return;
    // The request is given up: it may have been applied (its session was evicted after it was
    // logged) or not; a new session goes on with the next request number.
    cancel_timer();
    waiting_ = false;
    session_ = vsr::SessionNumber();
    start(0);
}

void SimClient::on_message(const Bytes& bytes) {
    auto decoded = vsr::decode_message(bytes, vsr::MessageLimits{.cluster = host_.cluster(),
                                                                 .replica_count = host_.replicas(),
                                                                 .body_size_max = 1 << 20});
    if (!decoded) {
        host_.fail("client " + std::to_string(id_.value()) +
                   " got a message that does not decode: " + decoded.status().to_string());
        return;
    }
    const vsr::Header& header = decoded->header;
    if (header.command != vsr::Command::reply && header.command != vsr::Command::eviction) return;
    if (header.client != id_) {
        host_.fail("client " + std::to_string(id_.value()) + " got a " +
                   std::string(vsr::command_name(header.command)) + " for client " +
                   std::to_string(header.client.value()));
        return;
    }
    if (header.command == vsr::Command::eviction) return on_eviction(header);
    view_ = std::max(view_, header.view);
    const u64 request = header.request.value();
    if (request == 0) return on_register_reply(header);
    if (request > request_) {
        host_.fail("client " + std::to_string(id_.value()) + " got a reply to request " +
                   std::to_string(request) + " it never sent");
        return;
    }
    if (request < request_ || !waiting_) {
        // A late or duplicated reply to an answered request (it must name the same position),
        // or the first reply to one given up on at an eviction (it must name that request).
        host_.on_reply(id_, header.request, header.op, 0);
        return;
    }
    waiting_ = false;
    cancel_timer();
    // The host first catches up with what the replicas did (and the workload's model with
    // it), then the workload judges the reply.
    host_.on_reply(id_, header.request, header.op, first_sent_ns_);
    if (host_.failed()) return;
    if (auto ok =
            host_.workload().check_reply(id_, header.request, body_, header.op, decoded->body);
        !ok.is_ok()) {
        host_.fail("client " + std::to_string(id_.value()) + " request " + std::to_string(request) +
                   ": " + ok.message());
        return;
    }
    const u64 think =
        host_.think_max_ns() == 0 ? 0 : host_.client_prng().uniform(host_.think_max_ns() + 1);
    start(think);
}

}  // namespace kb::sim
