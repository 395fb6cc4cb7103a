// Replica tests: normal operation, view changes and catch-up on real replicas over simulated
// disks and network (replica_test_support.h). The simulator (vopr) runs the same replicas
// under random faults; these tests script exact situations.
#include "vsr/replica.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <cstdlib>
#include <map>
#include <set>

#include "storage/attestation.h"
#include "storage/record_builder.h"
#include "vsr/replica_test_support.h"

namespace kb::vsr {
namespace {

using testing::ClusterOptions;
using testing::TestClient;
using testing::TestCluster;

std::string text_of(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

// Sends `count` requests one after another, each waiting for its reply.
void run_requests(TestCluster& cluster, TestClient& client, int count, const std::string& tag) {
    for (int i = 0; i < count; ++i) {
        client.send(tag + " " + std::to_string(i));
        ASSERT_TRUE(cluster.run_until([&] { return client.done(); }))
            << "request " << i << " (" << tag << ") got no reply";
    }
}

TEST(Replica, OneReplicaCommitsLocalRequestsInOrder) {
    TestCluster cluster(ClusterOptions{.replicas = 1});
    Replica& replica = cluster.replica(0);
    ASSERT_TRUE(replica.is_primary());
    std::vector<std::string> replies;
    for (u64 i = 1; i <= 5; ++i) {
        const std::string body = "hello " + std::to_string(i);
        replica.submit_local(ClientId(0), RequestNumber(i), Bytes(body.begin(), body.end()),
                             [&](Result<Bytes> reply) {
                                 ASSERT_TRUE(reply.has_value()) << reply.status().to_string();
                                 replies.push_back(text_of(*reply));
                             });
        ASSERT_TRUE(cluster.run_until([&] { return replies.size() == i; }));
    }
    EXPECT_EQ(replies.back(), "applied at 5");
    EXPECT_EQ(replica.commit_max(), Position(5));
    EXPECT_EQ(cluster.state(0).applied(), Position(5));
}

TEST(Replica, InProcessRefusalIsAnsweredAndNotLogged) {
    TestCluster cluster(ClusterOptions{.replicas = 1});
    std::optional<std::string> reply;
    const std::string body = "refuse this";
    // Client 0, the in-process client: no session, so nothing to remember a refusal for.
    cluster.replica(0).submit_local(ClientId(0), RequestNumber(1), Bytes(body.begin(), body.end()),
                                    [&](Result<Bytes> got) { reply = text_of(*got); });
    ASSERT_TRUE(cluster.run_until([&] { return reply.has_value(); }));
    EXPECT_EQ(*reply, "refused: refuse this");
    EXPECT_EQ(cluster.replica(0).op(), Position(0));
}

// A client's refusal is logged, so a late copy of the refused request (a duplicate, a resend)
// is answered from the client table and never judged again — on any replica, after any view
// change.
TEST(Replica, ClientRefusalIsLoggedAndADuplicateIsAnsweredFromTheTable) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 16});
    TestClient client(cluster.loop(), cluster.network(), ClientId(4), 3);
    client.send("refuse me");
    ASSERT_TRUE(cluster.run_until([&] { return client.done(); }));
    EXPECT_EQ(client.reply(), "refused: refuse me");
    EXPECT_EQ(client.reply_op(), Position(2));  // the refusal's own record (the register: 1)
    const u64 prepares = cluster.state(0).prepares;
    client.retry();
    ASSERT_TRUE(cluster.run_until([&] { return client.done(); }));
    EXPECT_EQ(client.reply(), "refused: refuse me");
    EXPECT_EQ(cluster.state(0).prepares, prepares);  // not judged again
    EXPECT_GE(cluster.replica(0).counters().repeats_answered, 1u);
    ASSERT_TRUE(cluster.run_until([&] { return cluster.state(2).applied() == Position(2); }));
    cluster.expect_same_history();
}

TEST(Replica, ThreeReplicasCommitTheSameLog) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 2});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 20, "write");
    // Backups learn the last commit from the next heartbeat (the register, then 20 ops).
    ASSERT_TRUE(cluster.run_until([&] {
        return cluster.state(1).applied() == Position(21) &&
               cluster.state(2).applied() == Position(21);
    }));
    cluster.expect_same_history();
    EXPECT_EQ(cluster.replica(0).counters().view_changes, 0u);
}

TEST(Replica, RetriedRequestIsAnsweredFromTheClientTableNotAppliedTwice) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 3});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 3, "once");
    const Position applied = cluster.state(0).applied();
    client.resend();  // the same request number again, to every replica
    cluster.loop().run_for(1'000'000'000);
    EXPECT_EQ(cluster.state(0).applied(), applied);
    EXPECT_GE(cluster.replica(0).counters().repeats_answered, 1u);
}

TEST(Replica, EvictedClientIsToldAndItsRequestNotApplied) {
    ClusterOptions options{.replicas = 3, .seed = 13};
    options.replica.client_sessions_max = 2;
    TestCluster cluster(options);
    TestClient a(cluster.loop(), cluster.network(), ClientId(1), 3);
    TestClient b(cluster.loop(), cluster.network(), ClientId(2), 3);
    TestClient c(cluster.loop(), cluster.network(), ClientId(3), 3);
    run_requests(cluster, a, 2, "a");
    run_requests(cluster, b, 2, "b");
    run_requests(cluster, c, 2, "c");  // the table holds 2: a's session, the oldest, goes
    const Position applied = cluster.state(0).applied();
    a.send("a again");
    ASSERT_TRUE(cluster.run_until([&] { return a.evicted(); }));
    cluster.loop().run_for(1'000'000'000);
    EXPECT_FALSE(a.done());
    EXPECT_EQ(cluster.state(0).applied(), applied);
    EXPECT_GE(cluster.replica(0).counters().evictions_sent, 1u);
    // b still has its session.
    run_requests(cluster, b, 1, "b again");
}

TEST(Replica, ClientWhoseFirstRequestWasRefusedCarriesOn) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 14});
    TestClient client(cluster.loop(), cluster.network(), ClientId(4), 3);
    client.send("refuse me");
    ASSERT_TRUE(cluster.run_until([&] { return client.done(); }));
    EXPECT_EQ(client.reply(), "refused: refuse me");
    run_requests(cluster, client, 2, "then these");
    EXPECT_FALSE(client.evicted());
    // The register, the logged refusal and two ops.
    EXPECT_EQ(cluster.state(0).applied(), Position(4));
}

TEST(Replica, RequestQueueIsBoundedInBytesAndClientsRetryPastIt) {
    ClusterOptions options{.replicas = 3, .seed = 15};
    options.replica.pipeline_max = 1;
    options.replica.request_queue_bytes_max = 150;  // two 60-byte requests wait, a third not
    TestCluster cluster(options);
    std::vector<std::unique_ptr<TestClient>> clients;
    for (u64 id = 1; id <= 6; ++id) {
        clients.push_back(
            std::make_unique<TestClient>(cluster.loop(), cluster.network(), ClientId(id), 3));
        clients.back()->send(std::string(60, static_cast<char>('a' + id)));
    }
    ASSERT_TRUE(cluster.run_until([&] {
        for (const auto& client : clients) {
            if (!client->done()) return false;
        }
        return true;
    }));
    EXPECT_GT(cluster.replica(0).counters().requests_dropped, 0u);
    EXPECT_EQ(cluster.state(0).applied(), Position(12));  // six registers, six ops
    cluster.expect_same_history();
}

TEST(Replica, BackupThatMissedOpsCatchesUp) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 4});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    // Replica 2 hears nothing for a while; 0 and 1 still form a quorum.
    cluster.network().partition(
        {{io::Peer::replica(0), io::Peer::replica(1)}, {io::Peer::replica(2)}});
    run_requests(cluster, client, 10, "while apart");
    EXPECT_EQ(cluster.state(2).applied(), Position(0));
    cluster.network().heal();
    ASSERT_TRUE(cluster.run_until([&] { return cluster.state(2).applied() == Position(11); }));
    cluster.expect_same_history();
}

TEST(Replica, PrimaryCrashElectsNewPrimaryWithoutLosingCommittedOps) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 5});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 10, "before");
    cluster.crash(0);
    run_requests(cluster, client, 10, "after");
    const auto primary = cluster.primary();
    ASSERT_TRUE(primary.has_value());
    EXPECT_NE(*primary, 0);
    EXPECT_GE(cluster.replica(*primary).view(), View(1));
    // Every acknowledged request is applied on the new primary (after the register).
    EXPECT_GE(cluster.state(*primary).applied(), Position(21));

    cluster.restart(0);
    ASSERT_TRUE(cluster.run_until([&] {
        return cluster.state(0).applied() >= Position(21) &&
               cluster.replica(0).status() == ReplicaStatus::normal;
    }));
    cluster.expect_same_history();
    run_requests(cluster, client, 5, "rejoined");
    cluster.expect_same_history();
}

TEST(Replica, PrimaryCrashAfterAPrepareReachedOneBackupKeepsThatOp) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 9});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 3, "before");
    // The next prepare reaches replica 1 only, and no prepare_ok gets back to the primary.
    cluster.network().block(io::Peer::replica(0), io::Peer::replica(2));
    cluster.network().block(io::Peer::replica(1), io::Peer::replica(0));
    client.send("the one op");  // position 5: the register and three ops come first
    ASSERT_TRUE(cluster.run_until([&] { return cluster.replica(1).op() == Position(5); }));
    EXPECT_FALSE(client.done());
    EXPECT_EQ(cluster.replica(2).op(), Position(4));
    cluster.crash(0);
    cluster.network().heal();
    // Replicas 1 and 2 elect a primary; replica 1's log is the better one and keeps the op, and
    // the client's retry is answered with it.
    ASSERT_TRUE(cluster.run_until([&] { return client.done(); }));
    EXPECT_EQ(client.reply_op(), Position(5));
    const auto primary = cluster.primary();
    ASSERT_TRUE(primary.has_value());
    ASSERT_TRUE(cluster.run_until([&] { return cluster.state(2).applied() >= Position(5); }));
    for (u8 index : {u8{1}, u8{2}}) {
        const auto& requests = cluster.state(index).requests;
        ASSERT_GE(requests.size(), 5u);
        EXPECT_EQ(requests[4], std::make_pair(ClientId(5), client.request()));
        // Applied once: no other position holds that request.
        EXPECT_EQ(std::count(requests.begin(), requests.end(), requests[4]), 1);
    }
    cluster.expect_same_history();
}

TEST(Replica, PrimaryAttestsAndBackupsCoSign) {
    ClusterOptions options{.replicas = 3, .seed = 10, .node_keys = true};
    options.replica.attestation_every_ops = 5;
    TestCluster cluster(options);
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 12, "attested");
    std::optional<Result<Position>> on_demand;
    cluster.replica(0).attest([&](Result<Position> done) { on_demand = std::move(done); });
    ASSERT_TRUE(cluster.run_until([&] { return on_demand.has_value(); }));
    ASSERT_TRUE(on_demand->has_value()) << on_demand->status().to_string();
    cluster.loop().run_for(2'000'000'000);  // co-signatures of the newest one get logged
    cluster.expect_same_history();

    // Read the primary's log back: attestations signed by replica 0 over the chain hash of the
    // position before them, and the two backups' co-signatures of the newest one.
    storage::Log& log = cluster.log(0);
    auto records = log.read(Position(1), log.durable_position(), 64 << 20);
    ASSERT_TRUE(records.has_value()) << records.status().to_string();
    std::vector<std::pair<Position, storage::Attestation>> attestations;
    std::map<Position, std::set<std::array<u8, 32>>> cosigners;
    for (const Bytes& bytes : *records) {
        auto parsed = storage::parse_record(bytes);
        ASSERT_TRUE(parsed.has_value());
        const storage::RecordHeader& header = parsed->header;
        if (header.kind == storage::RecordKind::attestation) {
            auto attestation = storage::decode_attestation(parsed->sealed_payload);
            ASSERT_TRUE(attestation.has_value());
            EXPECT_TRUE(storage::verify_attestation_signature(*attestation).is_ok());
            EXPECT_EQ(attestation->signer.bytes, cluster.key(0).public_key().bytes);
            EXPECT_EQ(attestation->statement.position, header.position.prev());
            EXPECT_EQ(attestation->statement.chain_hash,
                      cluster.state(0).chains[header.position.value() - 2]);
            attestations.emplace_back(header.position, *attestation);
        } else if (header.kind == storage::RecordKind::cosignature) {
            auto cosignature = storage::decode_cosignature(parsed->sealed_payload);
            ASSERT_TRUE(cosignature.has_value());
            const auto attested = std::find_if(
                attestations.begin(), attestations.end(),
                [&](const auto& a) { return a.first == cosignature->attestation_position; });
            ASSERT_NE(attested, attestations.end());
            EXPECT_TRUE(
                storage::verify_cosignature_signature(*cosignature, attested->second.statement)
                    .is_ok());
            EXPECT_TRUE(cosigners[cosignature->attestation_position]
                            .insert(cosignature->signer.bytes)
                            .second)
                << "a co-signature logged twice";
        }
    }
    ASSERT_GE(attestations.size(), 3u);  // two every 5 ops, one on demand
    EXPECT_EQ(attestations.back().first, **on_demand);
    const auto& newest = cosigners[attestations.back().first];
    EXPECT_EQ(newest, (std::set<std::array<u8, 32>>{cluster.key(1).public_key().bytes,
                                                    cluster.key(2).public_key().bytes}));
}

TEST(Replica, AttestWithoutAKeyIsUnsupported) {
    TestCluster cluster(ClusterOptions{.replicas = 1});
    std::optional<Result<Position>> done;
    cluster.replica(0).attest([&](Result<Position> result) { done = std::move(result); });
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->error().code(), StatusCode::unsupported);
}

TEST(Replica, PrimaryConfirmsItIsPrimaryBeforeALinearizableRead) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 11});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 3, "before");
    std::optional<Status> confirmed;
    cluster.replica(0).confirm_primary([&](Status status) { confirmed = status; });
    EXPECT_FALSE(confirmed.has_value());  // never answered inside the call
    ASSERT_TRUE(cluster.run_until([&] { return confirmed.has_value(); }));
    EXPECT_TRUE(confirmed->is_ok()) << confirmed->to_string();

    // Cut off, the old primary cannot confirm (a newer view may be committing elsewhere).
    cluster.network().partition(
        {{io::Peer::replica(0)}, {io::Peer::replica(1), io::Peer::replica(2)}});
    std::optional<Status> cut_off;
    cluster.replica(0).confirm_primary([&](Status status) { cut_off = status; });
    ASSERT_TRUE(cluster.run_until([&] { return cut_off.has_value(); }));
    EXPECT_EQ(cut_off->code(), StatusCode::busy);
    run_requests(cluster, client, 2, "new view");
    const auto primary = cluster.primary();
    ASSERT_TRUE(primary.has_value());
    std::optional<Status> fresh;
    cluster.replica(*primary).confirm_primary([&](Status status) { fresh = status; });
    ASSERT_TRUE(cluster.run_until([&] { return fresh.has_value(); }));
    EXPECT_TRUE(fresh->is_ok()) << fresh->to_string();
    // A backup is not the primary.
    const u8 backup = *primary == 1 ? 2 : 1;
    std::optional<Status> refused;
    cluster.replica(backup).confirm_primary([&](Status status) { refused = status; });
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->code(), StatusCode::busy);
}

TEST(Replica, BackupReadWaitsForTheSessionsLastSeenPosition) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 12});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 2, "seen");
    // Replica 2 falls behind; a session that saw position 5 reads there.
    cluster.network().partition(
        {{io::Peer::replica(0), io::Peer::replica(1)}, {io::Peer::replica(2)}});
    run_requests(cluster, client, 2, "more");
    const Position seen = client.reply_op();
    std::optional<Status> ready;
    cluster.replica(2).when_applied(seen, [&](Status status) { ready = status; });
    cluster.loop().run_for(100'000'000);
    EXPECT_FALSE(ready.has_value()) << "answered before replica 2 applied " << seen.value();
    cluster.network().heal();
    ASSERT_TRUE(cluster.run_until([&] { return ready.has_value(); }));
    EXPECT_TRUE(ready->is_ok());
    EXPECT_GE(cluster.state(2).applied(), seen);
}

TEST(Replica, OldPrimaryPartitionedAwayRejoinsTheNewView) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 6});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 5, "first");
    cluster.network().partition(
        {{io::Peer::replica(0)}, {io::Peer::replica(1), io::Peer::replica(2)}});
    run_requests(cluster, client, 5, "split");
    const auto primary = cluster.primary();
    ASSERT_TRUE(primary.has_value());
    EXPECT_NE(*primary, 0);
    cluster.network().heal();
    ASSERT_TRUE(cluster.run_until([&] {
        return cluster.replica(0).view() == cluster.replica(*primary).view() &&
               cluster.replica(0).status() == ReplicaStatus::normal &&
               cluster.state(0).applied() >= Position(11);
    }));
    cluster.expect_same_history();
}

TEST(Replica, AllReplicasRestartAtOnceAndKeepCommittedOps) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 7});
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 8, "before");
    for (u8 index = 0; index < 3; ++index) cluster.crash(index);
    for (u8 index = 0; index < 3; ++index) cluster.restart(index);
    run_requests(cluster, client, 4, "after");
    const auto primary = cluster.primary();
    ASSERT_TRUE(primary.has_value());
    EXPECT_GE(cluster.state(*primary).applied(), Position(13));
    cluster.expect_same_history();
}

TEST(Replica, GarbageMessagesAreRejectedNotFatal) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 8});
    io::MessageBus& rogue = cluster.network().bus(io::Peer::client(ClientId(66)));
    Prng prng(8);
    for (int i = 0; i < 200; ++i) {
        Bytes junk(prng.uniform(400));
        for (u8& byte : junk) byte = static_cast<u8>(prng.uniform(256));
        rogue.send(io::Peer::replica(0), std::make_shared<const Bytes>(std::move(junk)));
    }
    cluster.loop().run_for(100'000'000);
    EXPECT_EQ(cluster.replica(0).counters().messages_rejected, 200u);
    EXPECT_TRUE(cluster.replica(0).failure().is_ok());
    TestClient client(cluster.loop(), cluster.network(), ClientId(5), 3);
    run_requests(cluster, client, 2, "still works");
}

// A short random run: message loss and duplication, partitions, crashes and restarts, two
// clients. After every acknowledged request, every replica that applied its position applied
// that very request there, and all replicas agree on the history. (The vopr simulator runs the
// same idea at length.)
void random_faults(u64 seed) {
    ClusterOptions options{.replicas = 3, .seed = seed, .node_keys = true};
    options.replica.attestation_every_ops = 7;  // attestations and co-signatures under faults too
    options.network.loss_per_million = 20'000;
    options.network.duplication_per_million = 20'000;
    TestCluster cluster(options);
    Prng prng(seed);
    std::vector<std::unique_ptr<TestClient>> clients;
    for (u64 id = 1; id <= 2; ++id) {
        clients.push_back(
            std::make_unique<TestClient>(cluster.loop(), cluster.network(), ClientId(id), 3));
    }
    std::vector<std::pair<Position, std::pair<ClientId, RequestNumber>>> acknowledged;
    u64 sent = 0;
    for (int step = 0; step < 400; ++step) {
        for (usize c = 0; c < clients.size(); ++c) {
            TestClient& client = *clients[c];
            if (client.request().value() > 0 && client.done()) {
                acknowledged.push_back({client.reply_op(), {ClientId(c + 1), client.request()}});
            }
            if (client.request().value() == 0 || client.done()) {
                client.send("op " + std::to_string(++sent));
            }
        }
        switch (prng.uniform(40)) {
            case 0: {
                const u8 victim = static_cast<u8>(prng.uniform(3));
                if (cluster.running(victim)) cluster.crash(victim);
                break;
            }
            case 1:
                cluster.network().partition(
                    {{io::Peer::replica(static_cast<u8>(prng.uniform(3)))}});
                break;
            case 2:
                cluster.network().heal();
                break;
            default:
                break;
        }
        // At most one replica down at a time, and not for long: the cluster must progress.
        for (u8 index = 0; index < 3; ++index) {
            if (!cluster.running(index) && prng.uniform(4) == 0) cluster.restart(index);
        }
        int down = 0;
        for (u8 index = 0; index < 3; ++index) down += cluster.running(index) ? 0 : 1;
        if (down > 1) {
            for (u8 index = 0; index < 3; ++index) {
                if (!cluster.running(index)) {
                    cluster.restart(index);
                    break;
                }
            }
        }
        cluster.loop().run_for(20'000'000 + prng.uniform(80'000'000));
        cluster.expect_same_history();
        for (u8 index = 0; index < 3; ++index) {
            if (!cluster.running(index)) continue;
            const auto& requests = cluster.state(index).requests;
            for (const auto& [op, request] : acknowledged) {
                if (op.value() == 0 || op.value() > requests.size()) continue;
                ASSERT_EQ(requests[op.value() - 1], request)
                    << "seed " << seed << ": replica " << int(index) << " applied another "
                    << "request at acknowledged position " << op.value();
            }
        }
    }
    // Everyone back, no faults: the cluster converges and keeps committing.
    cluster.network().heal();
    for (u8 index = 0; index < 3; ++index) {
        if (!cluster.running(index)) cluster.restart(index);
    }
    clients[0]->send("final");
    const bool progressed = cluster.run_until([&] { return clients[0]->done(); }, 600'000'000'000);
    if (!progressed) {
        for (u8 r = 0; r < 3; ++r) {
            Replica& rep = cluster.replica(r);
            printf("r%d status=%s view=%lu log_view=%lu op=%lu commit=%lu applied=%lu\n", r,
                   std::string(replica_status_name(rep.status())).c_str(), rep.view().value(),
                   rep.log_view().value(), rep.op().value(), rep.commit_max().value(),
                   rep.commit_min().value());
        }
    }
    ASSERT_TRUE(progressed) << "seed " << seed << ": no progress after healing";
    EXPECT_GT(acknowledged.size(), 20u) << "seed " << seed << ": too little progress";
}

// KB_VSR_RANDOM_SEEDS=N runs seeds 1..N (default 20, a second or two).
TEST(Replica, RandomFaultsKeepHistoriesEqualAndAcknowledgedWritesApplied) {
    const char* env = std::getenv("KB_VSR_RANDOM_SEEDS");
    const u64 seeds = env != nullptr ? std::strtoull(env, nullptr, 10) : 20;
    for (u64 seed = 1; seed <= seeds; ++seed) {
        random_faults(seed);
        if (::testing::Test::HasFatalFailure()) return;
    }
}

}  // namespace
}  // namespace kb::vsr
