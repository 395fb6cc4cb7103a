// SimClient (sim_client.h).
#include "sim/sim_client.h"

#include <algorithm>

#include "sim/tracing_bus.h"
#include "vsr/message.h"

namespace kb::sim {

SimClient::SimClient(ClientHost& host, ClientId id) : host_(host), id_(id) { attach(); }

SimClient::~SimClient() {
    *alive_ = false;
    if (timer_.value() != 0) host_.loop().cancel(timer_);
    bus_->set_receiver(nullptr);
}

void SimClient::attach() {
    bus_ = &host_.network().bus(io::Peer::client(id_));
    bus_->set_receiver([this, alive = alive_](io::Peer from, io::Message message) {
        if (!*alive) return;
        trace_message(host_.loop().clock(), host_.trace(), from, bus_->self(), *message);
        on_message(*message);
    });
}

void SimClient::on_eviction() {
    const auto next = host_.on_eviction(id_, RequestNumber(request_));
    if (!next) return;
    // A new session under a new id; the abandoned request's fate stays unknown.
    if (timer_.value() != 0) {
        host_.loop().cancel(timer_);
        timer_ = io::TimerId{};
    }
    bus_->set_receiver(nullptr);  // allowed from inside the receiver
    id_ = *next;
    attach();
    request_ = 0;
    waiting_ = false;
    view_ = View();
    start(0);
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
    ++request_;
    body_ = host_.workload().make_request(id_, RequestNumber(request_), host_.client_prng());
    waiting_ = true;
    attempts_ = 0;
    first_sent_ns_ = host_.loop().clock().monotonic_ns();
    attempt();
}

void SimClient::attempt() {
    if (!waiting_) return;
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
    header.request = RequestNumber(request_);
    header.size = static_cast<u32>(vsr::kHeaderSize + body_.size());
    bus_->send(io::Peer::replica(replica),
               std::make_shared<const Bytes>(vsr::encode_message(header, body_)));
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
    if (header.command == vsr::Command::eviction && header.client == id_) return on_eviction();
    if (header.command != vsr::Command::reply) return;
    if (header.client != id_) {
        host_.fail("client " + std::to_string(id_.value()) + " got a reply for client " +
                   std::to_string(header.client.value()));
        return;
    }
    view_ = std::max(view_, header.view);
    const u64 request = header.request.value();
    if (request > request_) {
        host_.fail("client " + std::to_string(id_.value()) + " got a reply to request " +
                   std::to_string(request) + " it never sent");
        return;
    }
    if (request < request_ || !waiting_) {
        // A late or duplicated reply to an answered request: it must name the same position.
        host_.on_reply(id_, header.request, header.op, 0);
        return;
    }
    waiting_ = false;
    if (timer_.value() != 0) {
        host_.loop().cancel(timer_);
        timer_ = io::TimerId{};
    }
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
