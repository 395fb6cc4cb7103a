// SimNetwork tests: delivery, latency bounds, fault rates, partitions, one-way blocks, clogs,
// reset, and that a seed replays the same delivery trace.
#include "io/sim_network.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace kb::io {
namespace {

Message text_message(const std::string& text) {
    auto bytes = std::make_shared<Bytes>(text.begin(), text.end());
    return bytes;
}

std::string text_of(const Message& message) { return std::string(as_chars(*message)); }

struct Delivery {
    u64 time_ns;
    Peer from;
    Peer to;
    std::string text;
};

class SimNetworkTest : public ::testing::Test {
protected:
    void build(SimNetworkOptions options) {
        network_ = std::make_unique<SimNetwork>(loop_, options);
        for (Peer peer : peers_) listen(peer);
    }
    void listen(Peer peer) {
        network_->bus(peer).set_receiver([this, peer](Peer from, Message message) {
            deliveries_.push_back(
                {clock_.monotonic_ns(), from, peer, std::string(as_chars(*message))});
        });
    }
    void send(Peer from, Peer to, const std::string& text) {
        network_->bus(from).send(to, text_message(text));
    }
    std::multiset<std::string> delivered_texts() const {
        std::multiset<std::string> texts;
        for (const Delivery& delivery : deliveries_) texts.insert(delivery.text);
        return texts;
    }
    // Sends "from>to" on every ordered pair of distinct peers.
    void send_all_pairs() {
        for (Peer from : peers_) {
            for (Peer to : peers_) {
                if (from != to) send(from, to, from.describe() + ">" + to.describe());
            }
        }
    }
    bool got(Peer from, Peer to) const {
        return delivered_texts().count(from.describe() + ">" + to.describe()) != 0;
    }

    const Peer r0_ = Peer::replica(0);
    const Peer r1_ = Peer::replica(1);
    const Peer r2_ = Peer::replica(2);
    const Peer c7_ = Peer::client(ClientId(7));
    const std::vector<Peer> peers_{r0_, r1_, r2_, c7_};
    ManualClock clock_;
    SimEventLoop loop_{clock_};
    std::unique_ptr<SimNetwork> network_;
    std::vector<Delivery> deliveries_;
};

TEST(Peer, DescribesItself) {
    EXPECT_EQ(Peer::replica(2).describe(), "replica 2");
    EXPECT_EQ(Peer::client(ClientId(17)).describe(), "client 17");
    EXPECT_NE(Peer::replica(0), Peer::client(ClientId(0)));
    EXPECT_LT(Peer::replica(1), Peer::replica(2));
}

TEST_F(SimNetworkTest, DeliversWholeMessagesWithTheSendersIdentity) {
    build({.seed = 3});
    send(r0_, r1_, "prepare 1");
    send(c7_, r2_, "request");
    send(r2_, c7_, "reply");
    EXPECT_TRUE(deliveries_.empty());  // never inline
    loop_.run_until_idle();
    ASSERT_EQ(deliveries_.size(), 3u);
    EXPECT_EQ(delivered_texts(), (std::multiset<std::string>{"prepare 1", "request", "reply"}));
    for (const Delivery& delivery : deliveries_) {
        if (delivery.text == "prepare 1") {
            EXPECT_TRUE(delivery.from == r0_ && delivery.to == r1_);
        }
        if (delivery.text == "reply") {
            EXPECT_TRUE(delivery.from == r2_ && delivery.to == c7_);
        }
    }
    EXPECT_EQ(network_->bus(r0_).counters().sent, 1u);
    EXPECT_EQ(network_->bus(r1_).counters().received, 1u);
    EXPECT_EQ(network_->stats().delivered, 3u);
    EXPECT_EQ(network_->in_flight(), 0u);
}

TEST_F(SimNetworkTest, SelfSendsArriveWithoutLatencyOrFaults) {
    build({.seed = 3, .loss_per_million = 1'000'000});
    send(r1_, r1_, "to me");
    send(r1_, r2_, "lost");
    loop_.run_until_idle();
    ASSERT_EQ(deliveries_.size(), 1u);
    EXPECT_EQ(deliveries_[0].text, "to me");
    EXPECT_EQ(deliveries_[0].time_ns, 0u);
}

TEST_F(SimNetworkTest, LatencyStaysWithinBoundsAndReordersMessages) {
    const SimLatency latency{
        .min_ns = 1 * kNanosPerMilli, .mean_ns = 4 * kNanosPerMilli, .max_ns = 40 * kNanosPerMilli};
    build({.seed = 11, .latency = latency});
    constexpr int kMessages = 4'000;
    std::vector<u64> sent_at(kMessages);
    for (int i = 0; i < kMessages; ++i) {
        sent_at[static_cast<usize>(i)] = clock_.monotonic_ns();
        send(r0_, r1_, std::to_string(i));
        loop_.run_for(10 * kNanosPerMicro);
    }
    loop_.run_until_idle();
    ASSERT_EQ(deliveries_.size(), static_cast<usize>(kMessages));
    u64 total_ns = 0;
    u64 longest_ns = 0;
    usize overtaken = 0;
    int previous = -1;
    for (const Delivery& delivery : deliveries_) {
        int index = std::stoi(delivery.text);
        u64 took = delivery.time_ns - sent_at[static_cast<usize>(index)];
        EXPECT_GE(took, latency.min_ns);
        EXPECT_LE(took, latency.max_ns);
        total_ns += took;
        longest_ns = std::max(longest_ns, took);
        if (index < previous) ++overtaken;
        previous = index;
    }
    const u64 mean_ns = total_ns / kMessages;
    EXPECT_GT(mean_ns, latency.mean_ns * 85 / 100);
    EXPECT_LT(mean_ns, latency.mean_ns * 115 / 100);
    EXPECT_GT(longest_ns, 3 * latency.mean_ns);  // there is a tail
    EXPECT_GT(overtaken, 100u);                  // independent latencies reorder
}

TEST_F(SimNetworkTest, LossAndDuplicationHappenAtRoughlyTheConfiguredRates) {
    build({.seed = 5, .loss_per_million = 100'000, .duplication_per_million = 50'000});
    constexpr u64 kMessages = 20'000;
    for (u64 i = 0; i < kMessages; ++i) {
        send(r0_, r1_, std::to_string(i));
        if (i % 100 == 99) loop_.run_until_idle();  // stay under the path queue bound
    }
    loop_.run_until_idle();
    const SimNetworkStats& stats = network_->stats();
    // Expected 2,000 lost (sd ~42) and ~900 duplicated (sd ~29): bounds are > 5 sd wide.
    EXPECT_GT(stats.dropped_loss, 1'750u);
    EXPECT_LT(stats.dropped_loss, 2'250u);
    EXPECT_GT(stats.duplicated, 700u);
    EXPECT_LT(stats.duplicated, 1'100u);
    EXPECT_EQ(stats.dropped_queue, 0u);
    EXPECT_EQ(deliveries_.size(), kMessages - stats.dropped_loss + stats.duplicated);
    EXPECT_EQ(network_->bus(r0_).counters().dropped, stats.dropped_loss);
    std::set<std::string> distinct;
    for (const Delivery& delivery : deliveries_) distinct.insert(delivery.text);
    EXPECT_EQ(distinct.size(), kMessages - stats.dropped_loss);
}

TEST_F(SimNetworkTest, PartitionDropsExactlyTheMessagesBetweenGroups) {
    build({.seed = 2});
    network_->partition({{r0_}, {r1_, r2_}});
    send_all_pairs();
    loop_.run_until_idle();
    for (Peer from : peers_) {
        for (Peer to : peers_) {
            if (from == to) continue;
            bool across = (from == r0_ && (to == r1_ || to == r2_)) ||
                          (to == r0_ && (from == r1_ || from == r2_));
            EXPECT_EQ(got(from, to), !across) << from.describe() << " -> " << to.describe();
        }
    }
    EXPECT_EQ(network_->stats().dropped_partition, 4u);

    deliveries_.clear();
    network_->heal();
    send_all_pairs();
    loop_.run_until_idle();
    EXPECT_EQ(deliveries_.size(), 12u);
}

TEST_F(SimNetworkTest, APartitionDropsMessagesAlreadyInFlight) {
    build({.seed = 2});
    send(r0_, r1_, "in flight");
    network_->partition({{r0_}, {r1_}});
    loop_.run_until_idle();
    EXPECT_TRUE(deliveries_.empty());
    EXPECT_EQ(network_->stats().dropped_partition, 1u);
}

TEST_F(SimNetworkTest, BlockIsOneWay) {
    build({.seed = 2});
    network_->block(r1_, r2_);
    send_all_pairs();
    loop_.run_until_idle();
    EXPECT_FALSE(got(r1_, r2_));
    EXPECT_TRUE(got(r2_, r1_));
    EXPECT_EQ(deliveries_.size(), 11u);

    deliveries_.clear();
    network_->unblock(r1_, r2_);
    send(r1_, r2_, "again");
    loop_.run_until_idle();
    EXPECT_EQ(delivered_texts().count("again"), 1u);
}

TEST_F(SimNetworkTest, ClogHoldsMessagesThenDeliversThemAll) {
    const u64 clog_ns = 100 * kNanosPerMilli;
    build({.seed = 9});
    network_->clog(r1_, clog_ns);
    send_all_pairs();
    loop_.run_for(clog_ns - 1);
    for (const Delivery& delivery : deliveries_) {
        EXPECT_NE(delivery.from, r1_);
        EXPECT_NE(delivery.to, r1_);
    }
    EXPECT_EQ(deliveries_.size(), 6u);  // the 6 paths not touching replica 1
    EXPECT_EQ(network_->stats().held, 6u);
    loop_.run_until_idle();
    EXPECT_EQ(deliveries_.size(), 12u);  // held, not lost
    for (const Delivery& delivery : deliveries_) {
        if (delivery.from == r1_ || delivery.to == r1_) {
            EXPECT_GE(delivery.time_ns, clog_ns);
        }
    }
}

TEST_F(SimNetworkTest, AMessageArrivingDuringAClogIsHeldUntilItEnds) {
    build({.seed = 9});
    send(r0_, r1_, "late");
    network_->clog(r1_, 50 * kNanosPerMilli);
    loop_.run_until_idle();
    ASSERT_EQ(deliveries_.size(), 1u);
    EXPECT_GE(deliveries_[0].time_ns, 50 * kNanosPerMilli);
    EXPECT_EQ(network_->stats().held, 1u);
}

TEST_F(SimNetworkTest, HealReleasesAClogEarly) {
    build({.seed = 9});
    network_->clog(r1_, 10 * kNanosPerSecond);
    send(r0_, r1_, "held");
    loop_.run_for(kNanosPerMilli);
    network_->heal();
    loop_.run_until_idle();
    ASSERT_EQ(deliveries_.size(), 1u);
    EXPECT_LT(deliveries_[0].time_ns, kNanosPerSecond);
}

TEST_F(SimNetworkTest, ResetDropsEverythingInFlightToAndFromThePeer) {
    build({.seed = 4});
    network_->clog(r2_, kNanosPerSecond);
    send_all_pairs();  // the ones to and from replica 2 are held
    network_->reset(r1_);
    loop_.run_until_idle();
    for (const Delivery& delivery : deliveries_) {
        EXPECT_NE(delivery.from, r1_);
        EXPECT_NE(delivery.to, r1_);
    }
    EXPECT_EQ(deliveries_.size(), 6u);
    EXPECT_EQ(network_->stats().dropped_reset, 6u);
    EXPECT_EQ(network_->in_flight(), 0u);

    // The restarted process has no receiver until it installs one.
    deliveries_.clear();
    send(r0_, r1_, "before receiver");
    loop_.run_until_idle();
    EXPECT_TRUE(deliveries_.empty());
    EXPECT_EQ(network_->stats().dropped_unreachable, 1u);
    listen(r1_);
    send(r0_, r1_, "after receiver");
    loop_.run_until_idle();
    ASSERT_EQ(deliveries_.size(), 1u);
    EXPECT_EQ(deliveries_[0].text, "after receiver");
}

TEST_F(SimNetworkTest, MessagesToAClientWithoutABusAreDropped) {
    build({.seed = 4});
    send(r0_, Peer::client(ClientId(99)), "nobody");
    loop_.run_until_idle();
    EXPECT_TRUE(deliveries_.empty());
    EXPECT_EQ(network_->stats().dropped_unreachable, 1u);
    EXPECT_EQ(network_->bus(r0_).counters().dropped, 1u);
}

TEST_F(SimNetworkTest, PathQueueBoundAndMessageSizeBoundDrop) {
    build({.seed = 4, .path_queue_max = 3, .max_message_bytes = 8});
    for (int i = 0; i < 5; ++i) send(r0_, r1_, std::to_string(i));
    send(r0_, r2_, "0123456789");  // oversized
    send(r0_, r2_, "fits");
    loop_.run_until_idle();
    EXPECT_EQ(deliveries_.size(), 4u);
    EXPECT_EQ(network_->stats().dropped_queue, 2u);
    EXPECT_EQ(network_->stats().dropped_oversized, 1u);
}

TEST_F(SimNetworkTest, AReceiverMayReplaceItselfAndSendFromInside) {
    build({.seed = 4});
    int first = 0;
    int second = 0;
    network_->bus(r1_).set_receiver([&](Peer from, Message message) {
        ++first;
        network_->bus(r1_).set_receiver([&](Peer, Message) { ++second; });
        network_->bus(r1_).send(from, message);  // echo
    });
    send(r0_, r1_, "a");
    send(r0_, r1_, "b");
    loop_.run_until_idle();
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 1);
    EXPECT_EQ(delivered_texts().count("a") + delivered_texts().count("b"), 1u);  // the echo
}

// A busy, faulty run whose trace (time, path and bytes of every delivery) is compared.
std::string run_trace(u64 seed) {
    ManualClock clock;
    SimEventLoop loop(clock);
    SimNetwork network(loop, {.seed = seed,
                              .loss_per_million = 50'000,
                              .duplication_per_million = 50'000,
                              .path_queue_max = 64});
    std::vector<Peer> peers{Peer::replica(0), Peer::replica(1), Peer::replica(2),
                            Peer::client(ClientId(1))};
    std::string trace;
    for (Peer peer : peers) {
        network.bus(peer).set_receiver([&, peer](Peer from, Message message) {
            trace += std::to_string(clock.monotonic_ns()) + " " + from.describe() + ">" +
                     peer.describe() + " " + text_of(message) + "\n";
            if (message->size() < 12)
                network.bus(peer).send(from, text_message(text_of(message) + "'"));
        });
    }
    Prng workload(42);  // the same workload for every seed: only the network differs
    for (int round = 0; round < 200; ++round) {
        Peer from = peers[workload.uniform(peers.size())];
        Peer to = peers[workload.uniform(peers.size())];
        network.bus(from).send(to, text_message("m" + std::to_string(round)));
        if (round == 50) network.partition({{peers[0]}, {peers[1], peers[2]}});
        if (round == 80) network.clog(peers[2], 3 * kNanosPerMilli);
        if (round == 120) network.heal();
        if (round == 150) network.reset(peers[1]);
        loop.run_for(100 * kNanosPerMicro);
    }
    loop.run_until_idle();
    return trace;
}

TEST(SimNetworkDeterminism, SameSeedSameTraceDifferentSeedDifferentTrace) {
    std::string first = run_trace(77);
    EXPECT_GT(first.size(), 1'000u);
    EXPECT_EQ(first, run_trace(77));
    EXPECT_NE(first, run_trace(78));
}

}  // namespace
}  // namespace kb::io
