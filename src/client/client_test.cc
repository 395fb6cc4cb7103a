// Tests of kb::Client (include/kimberlite/client.h) against a real connection loop on loopback
// (server/server.h) serving the native protocol over a simulated database node: login, streams,
// pipelined appends answered by id, reads, typed SQL, errors as Status, and reconnection that
// resends an idempotent append exactly once.
#include "kimberlite/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "client/client_test_support.h"
#include "client/native_client.h"
#include "db/database_core.h"
#include "db/database_test_support.h"

namespace kb {
namespace {

using testing::bytes_of;
using testing::ClientTest;
using testing::kPassword;

TEST_F(ClientTest, LogsInAndUsesStreams) {
    auto client = connect();
    ASSERT_NE(client, nullptr);
    EXPECT_TRUE(client->ping().is_ok());
    EXPECT_EQ(client->tenant(), *host_.node().engine().tenant_id("default"));
    const StreamId orders = *client->create_stream("orders", DataClass::pii);
    const auto appended = client->append(orders, {bytes_of("a"), bytes_of("b")});
    ASSERT_TRUE(appended.has_value()) << appended.status().message();
    EXPECT_EQ(appended->first_offset, Offset(0));
    EXPECT_EQ(appended->count, 2u);
    const auto events = client->read(orders, Offset(0));
    ASSERT_TRUE(events.has_value());
    ASSERT_EQ(events->size(), 2u);
    EXPECT_EQ((*events)[1].data, bytes_of("b"));
    const auto listed = client->list_streams();
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].next_offset, Offset(2));
    EXPECT_EQ((*listed)[0].data_class, DataClass::pii);

    EXPECT_EQ(client->create_stream("orders").status().code(), StatusCode::already_exists);
    EXPECT_EQ(client->describe_stream("nope").status().code(), StatusCode::not_found);
    const auto stale = client->append(orders, {bytes_of("c")}, Offset(0));
    EXPECT_EQ(stale.status().code(), StatusCode::conflict);
}

TEST_F(ClientTest, AWrongPasswordIsRefused) {
    ClientOptions wrong = options();
    wrong.password = "nope";
    auto client = Client::connect(wrong);
    ASSERT_FALSE(client.has_value());
    EXPECT_EQ(client.status().code(), StatusCode::permission_denied);
    EXPECT_NE(client.status().message().find("password authentication failed"), std::string::npos);
}

TEST_F(ClientTest, PipelinedAppendsAreAllAnswered) {
    auto client = connect();
    ASSERT_NE(client, nullptr);
    const StreamId stream = *client->create_stream("pipelined");
    std::vector<std::future<Result<ClientAppended>>> futures;
    for (int i = 0; i < 64; ++i) {
        futures.push_back(client->append_async(stream, {bytes_of("event " + std::to_string(i))}));
    }
    std::set<u64> offsets;
    for (auto& future : futures) {
        const auto appended = future.get();
        ASSERT_TRUE(appended.has_value()) << appended.status().message();
        offsets.insert(appended->first_offset.value());
    }
    EXPECT_EQ(offsets.size(), 64u);  // each request got its own answer
    EXPECT_EQ(*offsets.rbegin(), 63u);
    EXPECT_EQ(client->read(stream, Offset(0))->size(), 64u);
}

// Over a real database, whose commits finish on its own thread: the server answers a
// connection's requests out of order (pings while appends are in flight), every answer reaches
// the request it answers, and pipelined appends with expected offsets in sequence all succeed
// (one connection's writes are admitted in the order they were sent).
TEST_F(ClientTest, PipelinedAppendsAndPingsOverARealDatabaseEachGetTheirOwnAnswer) {
    db::testing::TempDatabaseDirs dirs("kb-client-ooo-test");
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    ASSERT_EQ(*(*db)->tenant("default"), host_.node().default_tenant());
    host_.transactions_override = &(*db)->core();
    {
        auto native = client::NativeClient::connect(options());
        ASSERT_TRUE(native.has_value()) << native.status().message();
        client::NativeClient& client = **native;
        auto created = client.call(server::NativeStreamCreate{"ooo", DataClass::internal}, false);
        ASSERT_TRUE(created.has_value() && created->size() == 1);
        ASSERT_TRUE(std::holds_alternative<server::NativeStreamCreated>(created->front()));
        const u64 stream = std::get<server::NativeStreamCreated>(created->front()).stream_id;

        constexpr u64 kAppends = 200;
        struct Sent {
            bool ping = false;
            u64 offset = 0;
            std::future<Result<client::Answer>> answer;
        };
        std::vector<Sent> sent;
        for (u64 i = 0; i < kAppends; ++i) {
            Bytes id(16, 0);
            id[0] = static_cast<u8>(i);
            id[1] = static_cast<u8>(i >> 8);
            id[2] = 1;
            server::NativeAppend append{
                stream, i, IdempotencyId::from_bytes(id), {Bytes(10, static_cast<u8>(i))}};
            sent.push_back(Sent{false, i, client.call_async(append, true)});
            if (i % 10 == 0)
                sent.push_back(Sent{true, 0, client.call_async(server::NativePing{}, true)});
        }
        for (Sent& one : sent) {
            ASSERT_EQ(one.answer.wait_for(std::chrono::seconds(60)), std::future_status::ready);
            const Result<client::Answer> answer = one.answer.get();
            ASSERT_TRUE(answer.has_value()) << answer.status().message();
            ASSERT_EQ(answer->size(), 1u);
            if (one.ping) {
                EXPECT_TRUE(std::holds_alternative<server::NativePong>(answer->front()));
                continue;
            }
            const auto* appended = std::get_if<server::NativeAppended>(&answer->front());
            ASSERT_NE(appended, nullptr) << "append at " << one.offset << ": "
                                         << std::get<server::NativeError>(answer->front()).message;
            EXPECT_EQ(appended->first_offset, one.offset);
            EXPECT_EQ(appended->count, 1u);
        }
        auto read = client.call(server::NativeRead{stream, 0, 0}, true);
        ASSERT_TRUE(read.has_value());
        u64 events = 0;
        for (const auto& chunk : *read) {
            for (const auto& event : std::get<server::NativeEvents>(chunk).events) {
                EXPECT_EQ(event.offset, events);
                EXPECT_EQ(event.data, Bytes(10, static_cast<u8>(events)));
                ++events;
            }
        }
        EXPECT_EQ(events, kAppends);
    }
    server_->stop();  // no connection uses the database any more
    host_.transactions_override = nullptr;
}

TEST_F(ClientTest, RunsSqlWithTypedValues) {
    auto client = connect();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client
                    ->query("CREATE TABLE t (id bigint PRIMARY KEY, price numeric(6,2), "
                            "note text)")
                    .has_value());
    const auto inserted =
        client->query("INSERT INTO t VALUES ($1, $2, $3)",
                      {ClientValue::int64(7), ClientValue::numeric("12.5"), ClientValue::null()});
    ASSERT_TRUE(inserted.has_value()) << inserted.status().message();
    EXPECT_EQ(inserted->tag, "INSERT 0 1");
    const auto rows = client->query("SELECT id, price, note FROM t");
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->rows.size(), 1u);
    EXPECT_EQ(rows->columns[1].kind, ClientValueKind::numeric);
    EXPECT_EQ(rows->rows[0][0], ClientValue::int64(7));
    EXPECT_EQ(rows->rows[0][1].text, "12.50");
    EXPECT_TRUE(rows->rows[0][2].is_null());

    const auto error = client->query("SELECT nope FROM t");
    EXPECT_EQ(error.status().code(), StatusCode::invalid_argument);
    EXPECT_EQ(error.status().message().rfind("42703: ", 0), 0u);
    EXPECT_FALSE(client->query("SELECT $1", {ClientValue::numeric("twelve")}).has_value());
}

TEST_F(ClientTest, ReconnectsAndResendsAnAppendExactlyOnce) {
    auto client = connect();
    ASSERT_NE(client, nullptr);
    const StreamId stream = *client->create_stream("durable");
    // The server goes away; an append made meanwhile waits, and is sent once it is back.
    server_->stop();
    server_.reset();
    auto pending = client->append_async(stream, {bytes_of("while down")});
    start_server(port_);
    const auto appended = pending.get();
    ASSERT_TRUE(appended.has_value()) << appended.status().message();
    EXPECT_GE(client->reconnects(), 1u);
    const auto events = client->read(stream, Offset(0));
    ASSERT_TRUE(events.has_value());
    ASSERT_EQ(events->size(), 1u);
    EXPECT_EQ((*events)[0].data, bytes_of("while down"));
}

// Takes `count` events from `subscription` (each within 10 s) and returns their offsets.
std::vector<u64> take(ClientSubscription& subscription, usize count) {
    std::vector<u64> offsets;
    while (offsets.size() < count) {
        auto event = subscription.next(10'000);
        EXPECT_TRUE(event.has_value()) << event.status().message();
        if (!event || !event->has_value()) break;
        offsets.push_back((*event)->offset.value());
    }
    return offsets;
}

std::vector<u64> range(u64 first, u64 end) {
    std::vector<u64> out;
    for (u64 i = first; i < end; ++i) out.push_back(i);
    return out;
}

TEST_F(ClientTest, SubscriptionsCatchUpThenTailLive) {
    auto client = connect();
    auto writer = connect();
    ASSERT_NE(client, nullptr);
    const StreamId stream = *client->create_stream("tail");
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(writer->append(stream, {bytes_of("old")}).has_value());
    auto subscription = client->subscribe(stream, Offset(2), 2);
    ASSERT_TRUE(subscription.has_value()) << subscription.status().message();
    EXPECT_EQ(take(**subscription, 3), range(2, 5));  // more than the 2 credits: refilled
    // Nothing new yet.
    EXPECT_FALSE((*subscription)->next(50)->has_value());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer->append(stream, {bytes_of("new")}).has_value());
    EXPECT_EQ(take(**subscription, 10), range(5, 15));
    EXPECT_EQ((*subscription)->next_offset(), Offset(15));
    EXPECT_TRUE((*subscription)->close().is_ok());
    EXPECT_FALSE((*subscription)->next(0).has_value());  // ended
    EXPECT_EQ(client->subscribe(StreamId(999), Offset(0)).status().code(), StatusCode::not_found);
}

TEST_F(ClientTest, ASlowSubscriberIsSentOnlyWhatItsCreditsAllow) {
    auto client = connect();
    auto writer = connect();
    ASSERT_NE(client, nullptr);
    const StreamId stream = *client->create_stream("slow");
    auto subscription = client->subscribe(stream, Offset(0), 4);
    ASSERT_TRUE(subscription.has_value());
    std::vector<std::vector<unsigned char>> events(100, bytes_of("e"));
    ASSERT_TRUE(writer->append(stream, events).has_value());
    // The server pushes what the credits allow, and no more, until we take some.
    for (int waited = 0; (*subscription)->buffered() < 4 && waited < 10'000; waited += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ((*subscription)->buffered(), 4u);
    EXPECT_EQ(take(**subscription, 100), range(0, 100));  // it catches up as we take
}

TEST_F(ClientTest, ASubscriptionSurvivesAServerRestartExactlyOnce) {
    auto client = connect();
    ASSERT_NE(client, nullptr);
    const StreamId stream = *client->create_stream("restart");
    auto subscription = client->subscribe(stream, Offset(0), 8);
    ASSERT_TRUE(subscription.has_value());
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(client->append(stream, {bytes_of("before")}).has_value());
    EXPECT_EQ(take(**subscription, 3), range(0, 3));
    server_->stop();
    server_.reset();
    start_server(port_);
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(client->append(stream, {bytes_of("after")}).has_value());
    // Everything once, in order: the two taken-not-yet before the restart, then the rest.
    EXPECT_EQ(take(**subscription, 7), range(3, 10));
    EXPECT_FALSE((*subscription)->next(100)->has_value());
    EXPECT_GE(client->reconnects(), 1u);
}

TEST_F(ClientTest, GivesUpWhenTheServerStaysAway) {
    ClientOptions quick = options();
    quick.max_retries = 2;
    auto client = Client::connect(quick);
    ASSERT_TRUE(client.has_value());
    server_->stop();
    server_.reset();
    const Status pinged = (*client)->ping();
    EXPECT_EQ(pinged.code(), StatusCode::io_error);
    EXPECT_NE(pinged.message().find("reconnecting"), std::string::npos);
}

}  // namespace
}  // namespace kb
