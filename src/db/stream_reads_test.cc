// read_stream_events (stream_reads.h): a stream's events read from the log where the store says
// each append is — every chunk reads right on a real database (appends of 1 and 100 events,
// chunks starting and ending inside appends, another stream's appends in between, bounds by
// count and bytes); an append whose logged record differs from the store's record of it
// (events, count, stream, tenant, kind) is refused with corruption naming where.
#include "db/stream_reads.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>

#include "db/database_core.h"
#include "db/database_test_support.h"
#include "db/engine_test_support.h"
#include "kimberlite/database.h"

namespace kb::db {
namespace {

// Appends to `stream` alternately 1 and 100 events (event i of the stream is "e<i>"), with an
// append of one event to `other` after each; `rounds` pairs. The events appended.
Result<u64> fill(TransactionHost& host, TenantId tenant, StreamId stream, StreamId other,
                 int rounds) {
    u64 next = 0;
    for (int round = 0; round < rounds; ++round) {
        for (const u64 size : {u64{1}, u64{100}}) {
            kernel::AppendBatchOp append{.stream = stream};
            for (u64 i = 0; i < size; ++i) {
                append.events.push_back(testing::bytes_of("e" + std::to_string(next++)));
            }
            auto done = KB_TRY(host.submit(tenant, kAdminPrincipal, std::move(append)));
            if (done.outcome != kernel::Outcome::ok) return Status::internal(done.detail);
            done = KB_TRY(host.submit(
                tenant, kAdminPrincipal,
                kernel::AppendBatchOp{.stream = other, .events = {testing::bytes_of("x")}}));
            if (done.outcome != kernel::Outcome::ok) return Status::internal(done.detail);
        }
    }
    return next;
}

Result<StreamId> create_stream(TransactionHost& host, TenantId tenant, std::string name) {
    auto done = KB_TRY(
        host.submit(tenant, kAdminPrincipal, kernel::CreateStreamOp{.name = std::move(name)}));
    if (done.outcome != kernel::Outcome::ok) return Status::internal(done.detail);
    return done.applied.stream;
}

// Reads [from, from + count) and checks the offsets and bytes (event i of `stream` is "e<i>"
// unless `text` says otherwise).
Status read_and_check(TransactionHost& host, TenantId tenant, StreamId stream, u64 from, u64 count,
                      const std::function<std::string(u64)>& text = {}) {
    const auto start = host.start(tenant);
    auto events = KB_TRY(
        read_stream_events(host, start.snapshot, tenant, stream, Offset(from), ~u64{0}, count));
    if (events.size() != count) {
        return Status::internal("read " + std::to_string(events.size()) + " events of " +
                                std::to_string(count));
    }
    for (u64 i = 0; i < count; ++i) {
        const u64 offset = from + i;
        const std::string expected = text ? text(offset) : "e" + std::to_string(offset);
        if (events[i].offset != Offset(offset) || events[i].data != testing::bytes_of(expected)) {
            return Status::internal("event " + std::to_string(offset) + " reads wrong");
        }
    }
    return Status::ok();
}

// The position of the append holding `offset` of `stream`, as the store records it.
Position position_of(const store::Snapshot& snapshot, TenantId tenant, StreamId stream,
                     u64 offset) {
    auto runs = kernel::reads::append_runs(snapshot, tenant, stream, Offset(offset), ~u64{0}, 1);
    return runs.value().at(0).append.position;
}

// A host whose log answers go through `doctor` first.
class DoctoredHost final : public TransactionHost {
public:
    using Doctor = std::function<void(std::vector<LoggedAppend>&)>;
    DoctoredHost(TransactionHost& inner, Doctor doctor)
        : inner_(inner), doctor_(std::move(doctor)) {}
    Start start(TenantId tenant) override { return inner_.start(tenant); }
    Result<SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                kernel::OpBody body) override {
        return inner_.submit(tenant, principal, std::move(body));
    }
    Result<std::vector<LoggedAppend>> logged_appends(std::span<const Position> positions) override {
        auto logged = KB_TRY(inner_.logged_appends(positions));
        doctor_(logged);
        return logged;
    }

private:
    TransactionHost& inner_;
    Doctor doctor_;
};

TEST(StreamReads, EveryChunkOfADatabasesStreamReads) {
    testing::TempDatabaseDirs dirs("kmb-verify-test");
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    DatabaseCore& core = (*db)->core();
    const TenantId tenant = *(*db)->tenant("default");
    const StreamId stream = create_stream(core, tenant, "s").value();
    const StreamId other = create_stream(core, tenant, "other").value();
    const u64 total = fill(core, tenant, stream, other, 3).value();
    ASSERT_EQ(total, 303u);
    // Chunks starting at, inside and at the end of appends (offset 0: an append of 1; 1..100 an
    // append of 100; 101 an append of 1 ...), ending anywhere.
    for (const u64 from : {u64{0}, u64{1}, u64{2}, u64{50}, u64{100}, u64{101}, u64{150}}) {
        for (const u64 count : {u64{1}, u64{2}, u64{3}, u64{64}, u64{101}, u64{150}}) {
            if (from + count > total) continue;
            const Status read = read_and_check(core, tenant, stream, from, count);
            EXPECT_TRUE(read.is_ok()) << from << "+" << count << ": " << read.to_string();
        }
    }
    EXPECT_TRUE(read_and_check(core, tenant, stream, 0, total).is_ok());
    EXPECT_TRUE(read_and_check(core, tenant, other, 0, 6, [](u64) { return "x"; }).is_ok());
    // Past the end: nothing.
    const auto start = core.start(tenant);
    EXPECT_TRUE(read_stream_events(core, start.snapshot, tenant, stream, Offset(total), ~u64{0}, 10)
                    ->empty());
    // Bounded by bytes: whole events up to the bound, but always at least one. Events 1..9 are
    // "e1".."e9" (2 bytes each), 10.. are 3 bytes.
    const auto read_bytes = [&](u64 from, u64 max_bytes) {
        return read_stream_events(core, start.snapshot, tenant, stream, Offset(from), max_bytes,
                                  ~u64{0})
            .value()
            .size();
    };
    EXPECT_EQ(read_bytes(1, 1), 1u);
    EXPECT_EQ(read_bytes(1, 6), 3u);
    EXPECT_EQ(read_bytes(1, 7), 3u);
    EXPECT_EQ(read_bytes(8, 7), 3u);  // e8 e9 e10
    EXPECT_EQ(read_bytes(0, 2), 1u);  // e0, then e1 would pass the bound
    // The embedded API reads the same way.
    auto api = (*db)->read_events(tenant, stream, Offset(99), 1 << 20);
    ASSERT_TRUE(api.has_value()) << api.status().to_string();
    ASSERT_EQ(api->size(), total - 99);
    EXPECT_EQ(api->front().data, testing::bytes_of("e99"));
    EXPECT_EQ(api->front().position, position_of(start.snapshot, tenant, stream, 99));

    // Timing (reported, not asserted): the whole stream in chunks of 64.
    const auto began = std::chrono::steady_clock::now();
    for (u64 from = 0; from < total; from += 64) {
        ASSERT_TRUE(
            read_and_check(core, tenant, stream, from, std::min<u64>(64, total - from)).is_ok());
    }
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - began);
    std::printf("read %llu events in chunks of 64: %lld us\n",
                static_cast<unsigned long long>(total), static_cast<long long>(took.count()));
}

// Events are written once, to the log: the store keeps a small record per append, so its file
// stays far below the events' size after a checkpoint (it grew past them when it copied every
// event), and the events still read back after a reopen.
TEST(StreamReads, EventsAreKeptOnceInTheLogNotCopiedIntoTheStore) {
    testing::TempDatabaseDirs dirs("kmb-events-once");
    constexpr u64 kAppends = 64;
    constexpr u64 kEventsPerAppend = 16;
    constexpr usize kEventBytes = 1024;  // 1 MiB of events in all
    {
        auto db = Database::open(dirs.data, dirs.options());
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        const TenantId tenant = *(*db)->tenant("default");
        const StreamId stream = create_stream((*db)->core(), tenant, "big").value();
        for (u64 a = 0; a < kAppends; ++a) {
            std::vector<std::vector<unsigned char>> events;
            for (u64 e = 0; e < kEventsPerAppend; ++e) {
                events.emplace_back(kEventBytes, static_cast<unsigned char>('a' + (a + e) % 26));
            }
            ASSERT_TRUE((*db)->append(tenant, stream, std::move(events)).has_value());
        }
        ASSERT_TRUE((*db)->close().is_ok());  // checkpoints the store
    }
    const auto store_bytes = std::filesystem::file_size(dirs.data + "/store/pages.kbs");
    const u64 event_bytes = kAppends * kEventsPerAppend * kEventBytes;
    EXPECT_LT(store_bytes, event_bytes / 4)
        << "store file " << store_bytes << " bytes for " << event_bytes << " bytes of events";
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    const TenantId tenant = *(*db)->tenant("default");
    const StreamId stream = (*db)->find_stream(tenant, "big")->id;
    auto events = (*db)->read_events(tenant, stream, Offset(kAppends * kEventsPerAppend - 3));
    ASSERT_TRUE(events.has_value()) << events.status().to_string();
    ASSERT_EQ(events->size(), 3u);
    EXPECT_EQ(events->back().data,
              std::vector<unsigned char>(
                  kEventBytes, static_cast<unsigned char>('a' + (kAppends - 1 + 15) % 26)));
}

class StreamReadsSimTest : public ::testing::Test {
protected:
    StreamReadsSimTest() : node(11) {
        EXPECT_TRUE(node.open().is_ok());
        tenant = node.default_tenant();
        stream = create_stream(node, tenant, "s").value();
        other = create_stream(node, tenant, "other").value();
        total = fill(node, tenant, stream, other, 2).value();
    }

    // The position of the append holding `offset` of the stream.
    Position position_of(u64 offset) {
        return db::position_of(node.engine().snapshot(), tenant, stream, offset);
    }

    testing::SimNode node;
    TenantId tenant;
    StreamId stream, other;
    u64 total = 0;
};

TEST_F(StreamReadsSimTest, AllReadOnTheSimulatedNode) {
    EXPECT_EQ(total, 202u);
    for (const u64 from : {u64{0}, u64{1}, u64{60}, u64{100}, u64{101}, u64{102}}) {
        const Status read = read_and_check(node, tenant, stream, from, 100);
        EXPECT_TRUE(read.is_ok()) << from << ": " << read.to_string();
    }
}

TEST_F(StreamReadsSimTest, AnEventThatDiffersFromTheLogIsRefused) {
    // Event 60 (index 59 of the append of 100 at offsets 1..100) differs in the log's record.
    const Position at = position_of(60);
    DoctoredHost host(node, [&](std::vector<LoggedAppend>& logged) {
        for (LoggedAppend& record : logged) {
            if (record.position == at) record.append->events.at(59).push_back('!');
        }
    });
    // Any read of that append is refused (its digest covers all its events), naming it.
    for (const u64 from : {u64{1}, u64{51}, u64{55}, u64{60}, u64{99}}) {
        const Status refused = read_and_check(host, tenant, stream, from, 1);
        EXPECT_EQ(refused.code(), StatusCode::corruption) << from << ": " << refused.to_string();
        EXPECT_NE(refused.message().find("offsets 1..100 (log position " + to_string(at) + ")"),
                  std::string::npos)
            << refused.message();
    }
    // Reads of the appends around it pass.
    EXPECT_TRUE(read_and_check(host, tenant, stream, 0, 1).is_ok());
    EXPECT_TRUE(read_and_check(host, tenant, stream, 101, 101).is_ok());
}

TEST_F(StreamReadsSimTest, AnAppendOfOtherOffsetsOrAnotherStreamIsRefused) {
    // The log's append at the chunk's position is one event shorter at the front.
    const Position at = position_of(50);
    DoctoredHost shifted(node, [&](std::vector<LoggedAppend>& logged) {
        for (LoggedAppend& record : logged) {
            if (record.position == at) {
                record.append->events.erase(record.append->events.begin());
            }
        }
    });
    EXPECT_EQ(read_and_check(shifted, tenant, stream, 50, 3).code(), StatusCode::corruption);
    EXPECT_EQ(read_and_check(shifted, tenant, stream, 99, 5).code(), StatusCode::corruption);
    // The same count, other events.
    DoctoredHost swapped(node, [&](std::vector<LoggedAppend>& logged) {
        for (LoggedAppend& record : logged) {
            if (record.position == at)
                std::swap(record.append->events[0], record.append->events[1]);
        }
    });
    EXPECT_EQ(read_and_check(swapped, tenant, stream, 50, 3).code(), StatusCode::corruption);

    DoctoredHost elsewhere(node, [&](std::vector<LoggedAppend>& logged) {
        for (LoggedAppend& record : logged) {
            if (record.position == at) record.append->stream = other;
        }
    });
    EXPECT_EQ(read_and_check(elsewhere, tenant, stream, 50, 3).code(), StatusCode::corruption);
    DoctoredHost not_an_append(node, [&](std::vector<LoggedAppend>& logged) {
        for (LoggedAppend& record : logged) {
            if (record.position == at) record.append.reset();
        }
    });
    EXPECT_EQ(read_and_check(not_an_append, tenant, stream, 50, 3).code(), StatusCode::corruption);
    DoctoredHost other_tenant(node, [&](std::vector<LoggedAppend>& logged) {
        for (LoggedAppend& record : logged) {
            if (record.position == at) record.tenant = TenantId(tenant.value() + 1);
        }
    });
    EXPECT_EQ(read_and_check(other_tenant, tenant, stream, 50, 3).code(), StatusCode::corruption);
}

TEST_F(StreamReadsSimTest, AChunkOfManyAppendsIsReadInSeveralCalls) {
    // More single-event appends than one host call reads (1024 positions).
    const StreamId many = create_stream(node, tenant, "many").value();
    constexpr u64 kEvents = 1500;
    for (u64 i = 0; i < kEvents; ++i) {
        auto done = node.submit(
            tenant, kAdminPrincipal,
            kernel::AppendBatchOp{.stream = many,
                                  .events = {testing::bytes_of("m" + std::to_string(i))}});
        ASSERT_TRUE(done.has_value() && done->outcome == kernel::Outcome::ok);
    }
    usize calls = 0;
    DoctoredHost counted(node, [&](std::vector<LoggedAppend>&) { ++calls; });
    const auto text = [](u64 offset) { return "m" + std::to_string(offset); };
    EXPECT_TRUE(read_and_check(counted, tenant, many, 0, kEvents, text).is_ok());
    EXPECT_EQ(calls, 2u);
    // A difference in the second call's records is found.
    const Position at = db::position_of(node.engine().snapshot(), tenant, many, 1400);
    DoctoredHost doctored(node, [&](std::vector<LoggedAppend>& logged) {
        for (LoggedAppend& record : logged) {
            if (record.position == at) record.append->events.at(0) = testing::bytes_of("m0");
        }
    });
    const Status refused = read_and_check(doctored, tenant, many, 0, kEvents, text);
    EXPECT_EQ(refused.code(), StatusCode::corruption);
    EXPECT_NE(refused.message().find("offsets 1400..1400 "), std::string::npos)
        << refused.message();
}

TEST_F(StreamReadsSimTest, AHostThatCannotReadItsLogReadsNoEvents) {
    class NoLog final : public TransactionHost {
    public:
        explicit NoLog(TransactionHost& inner) : inner_(inner) {}
        Start start(TenantId tenant) override { return inner_.start(tenant); }
        Result<SubmitResult> submit(TenantId tenant, PrincipalId principal,
                                    kernel::OpBody body) override {
            return inner_.submit(tenant, principal, std::move(body));
        }

    private:
        TransactionHost& inner_;
    } host(node);
    EXPECT_EQ(read_and_check(host, tenant, stream, 0, 3).code(), StatusCode::unsupported);
}

}  // namespace
}  // namespace kb::db
