// SimNetwork: messages as SimEventLoop timers; faults decided by one seeded Prng in send order.
#include "io/sim_network.h"

#include <algorithm>
#include <bit>

#include "base/assert.h"

namespace kb::io {

namespace {
constexpr u32 kMillion = 1'000'000;
}  // namespace

// The bus of one simulated process: a thin view that hands sends to the network and keeps the
// receiver and counters the network delivers to.
class SimNetwork::Endpoint final : public MessageBus {
public:
    Endpoint(SimNetwork& network, Peer self) : network_(network), self_(self) {}

    Peer self() const override { return self_; }
    void send(Peer to, Message message) override { network_.send(self_, to, std::move(message)); }
    void set_receiver(MessageReceiver receiver) override {
        // Shared so that replacing the receiver from inside it does not destroy the running one.
        receiver_ = receiver ? std::make_shared<MessageReceiver>(std::move(receiver)) : nullptr;
    }
    MessageBusCounters counters() const override { return counters_; }

    SimNetwork& network_;
    const Peer self_;
    std::shared_ptr<MessageReceiver> receiver_;
    MessageBusCounters counters_;
};

SimNetwork::SimNetwork(SimEventLoop& loop, SimNetworkOptions options)
    : loop_(loop), options_(std::move(options)), prng_(options_.seed) {
    KB_ASSERT(options_.latency.min_ns <= options_.latency.mean_ns);
    KB_ASSERT(options_.latency.mean_ns <= options_.latency.max_ns);
    KB_ASSERT(options_.loss_per_million <= kMillion);
    KB_ASSERT(options_.duplication_per_million <= kMillion);
}

SimNetwork::~SimNetwork() {
    for (const auto& [token, entry] : in_flight_) {
        if (entry.timer.value() != 0) loop_.cancel(entry.timer);
    }
    for (const auto& [token, timer] : clog_timers_) loop_.cancel(timer);
}

SimNetwork::Endpoint& SimNetwork::endpoint(Peer peer) {
    auto found = endpoints_.find(peer);
    KB_ASSERT(found != endpoints_.end());
    return *found->second;
}

MessageBus& SimNetwork::bus(Peer peer) {
    auto found = endpoints_.find(peer);
    if (found == endpoints_.end()) {
        found = endpoints_.emplace(peer, std::make_unique<Endpoint>(*this, peer)).first;
    }
    return *found->second;
}

void SimNetwork::send(Peer from, Peer to, Message message) {
    KB_ASSERT(message != nullptr);
    Endpoint& sender = endpoint(from);
    ++sender.counters_.sent;
    auto drop = [&](u64& reason) {
        ++reason;
        ++sender.counters_.dropped;
    };
    if (message->size() > options_.max_message_bytes) return drop(stats_.dropped_oversized);
    if (!has_bus(to)) return drop(stats_.dropped_unreachable);
    if (from == to) {
        if (path_counts_[{from, to}] >= options_.path_queue_max) {
            return drop(stats_.dropped_queue);
        }
        return launch(from, to, std::move(message));
    }
    if (separated(from, to)) return drop(stats_.dropped_partition);
    // Rolls happen only for faults that are switched on: a run without faults draws latencies
    // and nothing else.
    if (options_.loss_per_million > 0 && prng_.chance(options_.loss_per_million, kMillion)) {
        return drop(stats_.dropped_loss);
    }
    u32 copies = 1;
    if (options_.duplication_per_million > 0 &&
        prng_.chance(options_.duplication_per_million, kMillion)) {
        copies = 2;
        ++stats_.duplicated;
    }
    for (u32 copy = 0; copy < copies; ++copy) {
        if (path_counts_[{from, to}] >= options_.path_queue_max) {
            drop(stats_.dropped_queue);
            continue;
        }
        launch(from, to, message);
    }
}

void SimNetwork::launch(Peer from, Peer to, Message message) {
    const u64 token = next_token_++;
    ++path_counts_[{from, to}];
    InFlight& entry =
        in_flight_.emplace(token, InFlight{from, to, std::move(message), {}}).first->second;
    if (from == to) return schedule_arrival(token, 0);
    if (clogged(from) || clogged(to)) {
        entry.held = true;
        ++stats_.held;
        return;
    }
    schedule_arrival(token, sample_latency());
}

void SimNetwork::schedule_arrival(u64 token, u64 delay_ns) {
    auto found = in_flight_.find(token);
    KB_ASSERT(found != in_flight_.end());
    found->second.timer = loop_.schedule_after(delay_ns, [this, token] { arrive(token); });
}

void SimNetwork::arrive(u64 token) {
    auto found = in_flight_.find(token);
    KB_ASSERT(found != in_flight_.end());  // reset() and the destructor cancel the timer
    InFlight& entry = found->second;
    entry.timer = TimerId{};
    const Peer from = entry.from;
    const Peer to = entry.to;
    if (from != to) {
        if (separated(from, to)) {
            ++stats_.dropped_partition;
            ++endpoint(from).counters_.dropped;
            return remove(found);
        }
        if (clogged(from) || clogged(to)) {
            entry.held = true;
            ++stats_.held;
            return;
        }
    }
    Message message = std::move(entry.message);
    remove(found);
    Endpoint& receiver = endpoint(to);
    if (!receiver.receiver_) {
        ++stats_.dropped_unreachable;
        ++endpoint(from).counters_.dropped;
        return;
    }
    ++receiver.counters_.received;
    ++stats_.delivered;
    std::shared_ptr<MessageReceiver> receive = receiver.receiver_;
    (*receive)(from, std::move(message));
}

void SimNetwork::remove(std::map<u64, InFlight>::iterator entry) {
    auto path = path_counts_.find({entry->second.from, entry->second.to});
    KB_ASSERT(path != path_counts_.end() && path->second > 0);
    if (--path->second == 0) path_counts_.erase(path);
    in_flight_.erase(entry);
}

void SimNetwork::reset(Peer peer) {
    for (auto entry = in_flight_.begin(); entry != in_flight_.end();) {
        auto next = std::next(entry);
        const InFlight& message = entry->second;
        if (message.from == peer || message.to == peer) {
            if (message.timer.value() != 0) loop_.cancel(message.timer);
            ++stats_.dropped_reset;
            ++endpoint(message.from).counters_.dropped;
            remove(entry);
        }
        entry = next;
    }
    auto found = endpoints_.find(peer);
    if (found == endpoints_.end()) return;
    found->second->receiver_ = nullptr;
    found->second->counters_ = {};
}

void SimNetwork::partition(const std::vector<std::vector<Peer>>& groups) {
    group_of_.clear();
    for (usize group = 0; group < groups.size(); ++group) {
        for (Peer peer : groups[group]) {
            bool inserted = group_of_.emplace(peer, static_cast<u32>(group)).second;
            KB_ASSERT(inserted);  // a peer in two groups
        }
    }
}

void SimNetwork::block(Peer from, Peer to) { blocked_.insert({from, to}); }

void SimNetwork::unblock(Peer from, Peer to) { blocked_.erase({from, to}); }

void SimNetwork::clog(Peer peer, u64 duration_ns) {
    const u64 until_ns = loop_.clock().monotonic_ns() + duration_ns;
    u64& clogged_until = clogged_until_ns_[peer];
    clogged_until = std::max(clogged_until, until_ns);
    const u64 clog_token = next_clog_token_++;
    clog_timers_[clog_token] = loop_.schedule_after(duration_ns, [this, clog_token] {
        clog_timers_.erase(clog_token);
        const u64 now_ns = loop_.clock().monotonic_ns();
        std::erase_if(clogged_until_ns_,
                      [now_ns](const auto& clog_entry) { return clog_entry.second <= now_ns; });
        release_held();
    });
}

void SimNetwork::heal() {
    group_of_.clear();
    blocked_.clear();
    clogged_until_ns_.clear();
    for (const auto& [token, timer] : clog_timers_) loop_.cancel(timer);
    clog_timers_.clear();
    release_held();
}

void SimNetwork::release_held() {
    for (auto& [token, entry] : in_flight_) {
        if (!entry.held || clogged(entry.from) || clogged(entry.to)) continue;
        entry.held = false;
        schedule_arrival(token, sample_latency());
    }
}

bool SimNetwork::separated(Peer from, Peer to) const {
    if (blocked_.count({from, to}) != 0) return true;
    auto from_group = group_of_.find(from);
    auto to_group = group_of_.find(to);
    return from_group != group_of_.end() && to_group != group_of_.end() &&
           from_group->second != to_group->second;
}

bool SimNetwork::clogged(Peer peer) const {
    auto found = clogged_until_ns_.find(peer);
    return found != clogged_until_ns_.end() && found->second > loop_.clock().monotonic_ns();
}

u64 SimNetwork::sample_latency() {
    const SimLatency& latency = options_.latency;
    if (latency.max_ns == latency.min_ns) return latency.min_ns;
    // T = k + f, with k the count of leading zero bits of a random word (P(k) = 2^-(k+1)) and f
    // uniform in [0, 1): mean 1.5, tail P(T > t) about 2^-t. Scaled so its mean is
    // mean_ns - min_ns. 32 fraction bits; the products fit in 128 bits for any u64 inputs.
    using u128 = unsigned __int128;
    const u64 doublings = static_cast<u64>(std::countl_zero(prng_.next_u64()));
    const u64 fraction = prng_.next_u64() >> 32;
    const u128 t_fixed = (u128{doublings} << 32) + fraction;
    const u128 extra = t_fixed * (latency.mean_ns - latency.min_ns) * 2 / (u128{3} << 32);
    const u64 room = latency.max_ns - latency.min_ns;
    return latency.min_ns + (extra > room ? room : static_cast<u64>(extra));
}

}  // namespace kb::io
