// Client sessions (docs/ARCHITECTURE.md "Client sessions"): a client registers, its register is
// logged and its commit opens a session numbered by the register's position; every request
// names its session, and one whose session the client table does not hold is answered with
// `eviction` and never applied — however little the replicas remember of past evictions.
#include <gtest/gtest.h>

#include <algorithm>

#include "vsr/replica.h"
#include "vsr/replica_test_support.h"

namespace kb::vsr {
namespace {

using testing::ClusterOptions;
using testing::TestClient;
using testing::TestCluster;

// Sends one request and waits for its reply.
void request(TestCluster& cluster, TestClient& client, const std::string& body) {
    client.send(body);
    ASSERT_TRUE(cluster.run_until([&] { return client.done(); })) << body << ": no reply";
}

// How many times replica `index` applied (client, request).
i64 applied_count(TestCluster& cluster, u8 index, ClientId client, RequestNumber number) {
    const auto& requests = cluster.state(index).requests;
    return std::count(requests.begin(), requests.end(), std::make_pair(client, number));
}

TEST(ReplicaSessions, RegisterOpensASessionNumberedByItsPosition) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 21});
    TestClient client(cluster.loop(), cluster.network(), ClientId(7), 3);
    request(cluster, client, "first");
    ASSERT_TRUE(client.registered());
    EXPECT_EQ(client.session(), SessionNumber(1));
    EXPECT_EQ(client.reply_op(), Position(2));
    ASSERT_TRUE(cluster.run_until([&] { return cluster.state(2).applied() == Position(2); }));
    for (u8 index = 0; index < 3; ++index) {
        const auto& requests = cluster.state(index).requests;
        // The register is logged as request 0 of the client, the request after it.
        EXPECT_EQ(requests[0], std::make_pair(ClientId(7), RequestNumber(0)));
        EXPECT_EQ(requests[1], std::make_pair(ClientId(7), RequestNumber(1)));
    }
    EXPECT_EQ(cluster.replica(0).counters().registrations, 1u);
    auto records = cluster.log(1).read(Position(1), Position(1), 1 << 20);
    ASSERT_TRUE(records.has_value());
    auto parsed = storage::parse_record(records->front());
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->header.kind, storage::RecordKind::registration);
    EXPECT_EQ(parsed->header.seal, storage::SealKind::clear);
    EXPECT_TRUE(parsed->sealed_payload.empty());
}

TEST(ReplicaSessions, ARequestOfAClientThatNeverRegisteredIsEvictedNotApplied) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 22});
    TestClient client(cluster.loop(), cluster.network(), ClientId(7), 3);
    client.use_session(SessionNumber(1));  // made up: no register was ever logged
    client.send("unregistered");
    ASSERT_TRUE(cluster.run_until([&] { return client.evicted(); }));
    cluster.loop().run_for(1'000'000'000);
    EXPECT_FALSE(client.done());
    EXPECT_EQ(cluster.replica(0).op(), Position(0));
    EXPECT_GE(cluster.replica(0).counters().evictions_sent, 1u);
}

// The hole registers close: a client evicted right after its first request retries it (it lost
// the reply). Before, a client with no session and no remembered eviction was taken for a new
// session starting with that request, which was applied a second time. Now the request names a
// session the table no longer holds, so it is answered with eviction, on every primary.
TEST(ReplicaSessions, ClientEvictedRightAfterItsFirstRequestRetriesItAndIsNotAppliedAgain) {
    ClusterOptions options{.replicas = 3, .seed = 23};
    options.replica.client_sessions_max = 1;
    TestCluster cluster(options);
    TestClient a(cluster.loop(), cluster.network(), ClientId(1), 3);
    TestClient b(cluster.loop(), cluster.network(), ClientId(2), 3);
    request(cluster, a, "a's first");  // register at 1, the op at 2
    request(cluster, b, "b's first");  // b's register at 3 evicts a's session
    EXPECT_EQ(cluster.replica(0).counters().sessions_evicted, 1u);
    const Position applied = cluster.state(0).applied();
    ASSERT_EQ(applied, Position(4));

    a.retry();  // the same request, same session, to the primary then everyone
    ASSERT_TRUE(cluster.run_until([&] { return a.evicted(); }));
    cluster.loop().run_for(1'000'000'000);
    EXPECT_FALSE(a.done());
    EXPECT_EQ(cluster.state(0).applied(), applied);
    EXPECT_EQ(applied_count(cluster, 0, ClientId(1), RequestNumber(1)), 1);

    // A new primary (whose table was rebuilt by its own commits) judges the same.
    cluster.crash(0);
    a.retry();
    ASSERT_TRUE(cluster.run_until([&] { return a.evicted(); }));
    const auto primary = cluster.primary();
    ASSERT_TRUE(primary.has_value());
    EXPECT_NE(*primary, 0);
    cluster.loop().run_for(1'000'000'000);
    EXPECT_FALSE(a.done());
    EXPECT_EQ(cluster.state(*primary).applied(), applied);
    EXPECT_EQ(applied_count(cluster, *primary, ClientId(1), RequestNumber(1)), 1);

    // Registered again, a goes on in a new session (b's is evicted in turn).
    a.register_again();
    ASSERT_TRUE(cluster.run_until([&] { return a.registered(); }));
    EXPECT_EQ(a.session(), SessionNumber(5));
    request(cluster, a, "a's second");
    EXPECT_EQ(applied_count(cluster, *primary, ClientId(1), RequestNumber(1)), 1);
    EXPECT_EQ(applied_count(cluster, *primary, ClientId(1), RequestNumber(2)), 1);
    cluster.expect_same_history();
}

// A client registers anew only once its session is gone (a register while its session has
// requests is a late copy, dropped); a request still naming the old session is evicted.
TEST(ReplicaSessions, ARequestOfAnOlderSessionIsEvictedAfterTheClientRegisteredAgain) {
    ClusterOptions options{.replicas = 3, .seed = 24};
    options.replica.client_sessions_max = 1;
    TestCluster cluster(options);
    TestClient a(cluster.loop(), cluster.network(), ClientId(3), 3);
    TestClient b(cluster.loop(), cluster.network(), ClientId(4), 3);
    request(cluster, a, "one");
    const SessionNumber first = a.session();
    a.register_again();  // dropped: a still has its session, with a request in it
    cluster.loop().run_for(1'000'000'000);
    EXPECT_FALSE(a.registered());
    EXPECT_EQ(cluster.replica(0).counters().registrations, 1u);
    request(cluster, b, "b evicts a");
    ASSERT_TRUE(cluster.run_until([&] { return a.registered(); }));  // a's retries get through
    const SessionNumber second = a.session();
    EXPECT_GT(second, first);
    const Position applied = cluster.state(0).applied();

    a.use_session(first);
    a.send("stale");
    ASSERT_TRUE(cluster.run_until([&] { return a.evicted(); }));
    cluster.loop().run_for(1'000'000'000);
    EXPECT_FALSE(a.done());
    EXPECT_EQ(cluster.state(0).applied(), applied);

    a.use_session(second);
    a.retry();
    ASSERT_TRUE(cluster.run_until([&] { return a.done(); }));
    EXPECT_EQ(a.reply_op(), applied.next());
}

// A register arrives again (a network duplicate, a client's retry after a lost reply): before
// the session's first request commits it is answered from the table with the same session,
// after that it is dropped; neither logs a second register nor disturbs the session.
TEST(ReplicaSessions, ARetriedRegisterIsHarmless) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 25});
    TestClient client(cluster.loop(), cluster.network(), ClientId(3), 3);
    client.register_again();
    ASSERT_TRUE(cluster.run_until([&] { return client.registered(); }));
    const SessionNumber session = client.session();
    const u64 repeats = cluster.replica(0).counters().repeats_answered;

    client.resend_register();
    cluster.loop().run_for(1'000'000'000);
    EXPECT_EQ(cluster.replica(0).op(), Position(1));
    EXPECT_GT(cluster.replica(0).counters().repeats_answered, repeats);
    EXPECT_EQ(cluster.replica(0).counters().registrations, 1u);

    request(cluster, client, "in the session");
    client.resend_register();  // late: the client has moved on
    cluster.loop().run_for(1'000'000'000);
    EXPECT_EQ(cluster.replica(0).op(), Position(2));
    EXPECT_EQ(cluster.replica(0).counters().registrations, 1u);
    request(cluster, client, "still in the session");
    EXPECT_EQ(client.session(), session);
    EXPECT_FALSE(client.evicted());
    EXPECT_EQ(client.reply_op(), Position(3));

    // After a view change the new primary answers a retried register the same way.
    TestClient other(cluster.loop(), cluster.network(), ClientId(4), 3);
    other.register_again();
    ASSERT_TRUE(cluster.run_until([&] { return other.registered(); }));
    cluster.crash(0);
    auto answered_by_a_new_primary = [&] {
        const auto primary = cluster.primary();
        return primary && *primary != 0 &&
               cluster.replica(*primary).counters().repeats_answered > 0;
    };
    for (int round = 0; round < 300 && !answered_by_a_new_primary(); ++round) {
        other.resend_register();  // the client retries until someone answers
        cluster.loop().run_for(200'000'000);
    }
    ASSERT_TRUE(answered_by_a_new_primary());
    const auto primary = cluster.primary();
    EXPECT_EQ(cluster.replica(*primary).op(), Position(4));
    request(cluster, other, "after the view change");
    EXPECT_EQ(other.reply_op(), Position(5));
}

// Sessions come back with the log: replicas that all restart rebuild the table by re-applying
// the registers and requests, with the same session numbers, so the client goes on.
TEST(ReplicaSessions, SessionsSurviveEveryReplicaRestarting) {
    TestCluster cluster(ClusterOptions{.replicas = 3, .seed = 26});
    TestClient client(cluster.loop(), cluster.network(), ClientId(3), 3);
    request(cluster, client, "before");
    for (u8 index = 0; index < 3; ++index) cluster.crash(index);
    for (u8 index = 0; index < 3; ++index) cluster.restart(index);
    client.retry();  // answered from the rebuilt table, not applied again
    ASSERT_TRUE(cluster.run_until([&] { return client.done(); }));
    EXPECT_EQ(client.reply_op(), Position(2));
    request(cluster, client, "after");
    EXPECT_FALSE(client.evicted());
    const auto primary = cluster.primary();
    ASSERT_TRUE(primary.has_value());
    EXPECT_EQ(applied_count(cluster, *primary, ClientId(3), RequestNumber(1)), 1);
    EXPECT_EQ(applied_count(cluster, *primary, ClientId(3), RequestNumber(2)), 1);
}

}  // namespace
}  // namespace kb::vsr
