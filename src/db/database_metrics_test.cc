// What the embedded database reports for /metrics (commit counts, the commit-latency histogram,
// fsyncs, log size) and the digests it exports (attest_digest, newest_digest), on a real data
// directory.
#include <gtest/gtest.h>

#include "crypto/node_key.h"
#include "crypto/random.h"
#include "db/database_core.h"
#include "db/database_metrics.h"
#include "db/database_test_support.h"
#include "kimberlite/database.h"
#include "storage/digest.h"

namespace kb {
namespace {

using db::LatencyHistogram;

TEST(LatencyHistogram, PutsEachObservationInTheFirstBucketAtOrAboveIt) {
    LatencyHistogram histogram;
    histogram.observe(0);               // <= 100 µs
    histogram.observe(100'000);         // exactly 100 µs: le is inclusive
    histogram.observe(100'001);         // (100 µs, 250 µs]
    histogram.observe(3'000'000);       // (2.5 ms, 5 ms]
    histogram.observe(10'000'000'000);  // exactly the last bound
    histogram.observe(99'000'000'000);  // above every bound
    const LatencyHistogram::Counts counts = histogram.read();
    EXPECT_EQ(counts.count, 6u);
    EXPECT_EQ(counts.buckets[0], 2u);
    EXPECT_EQ(counts.buckets[1], 1u);
    EXPECT_EQ(counts.buckets[5], 1u);
    EXPECT_EQ(counts.buckets[LatencyHistogram::kBounds - 1], 1u);
    EXPECT_EQ(counts.buckets[LatencyHistogram::kBounds], 1u);
    EXPECT_EQ(counts.sum_ns, 0u + 100'000 + 100'001 + 3'000'000 + 10'000'000'000 + 99'000'000'000);
    u64 total = 0;
    for (u64 bucket : counts.buckets) total += bucket;
    EXPECT_EQ(total, counts.count);
}

std::vector<unsigned char> bytes_of(const std::string& text) {
    return std::vector<unsigned char>(text.begin(), text.end());
}

TEST(DatabaseMetrics, WritesMoveTheCountersTheHistogramTheSyncsAndTheLogSize) {
    db::testing::TempDatabaseDirs dirs("kmb-metrics-test");
    auto db = Database::open(dirs.data, dirs.options());
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    const db::DatabaseCore& core = (*db)->core();
    const TenantId tenant = *(*db)->tenant("default");
    auto stream = (*db)->create_stream(tenant, "audit");
    ASSERT_TRUE(stream.has_value());

    const u64 committed = core.commit_metrics().ops_committed.load();
    const u64 refused = core.commit_metrics().ops_refused.load();
    const LatencyHistogram::Counts latency = core.commit_metrics().commit_latency.read();
    const u64 syncs = core.storage_syncs();
    const db::DatabaseCore::LogStatistics log = core.log_statistics();
    EXPECT_GE(committed, 1u);  // the stream
    EXPECT_EQ(log.durable, (*db)->log_position());
    EXPECT_GE(log.segments, 1u);

    constexpr u64 kWrites = 20;
    for (u64 i = 0; i < kWrites; ++i) {
        ASSERT_TRUE((*db)->append(tenant, *stream, {bytes_of("event " + std::to_string(i))}));
    }
    // A refused write counts as refused, not committed.
    EXPECT_FALSE((*db)->create_stream(tenant, "audit").has_value());

    EXPECT_EQ(core.commit_metrics().ops_committed.load(), committed + kWrites);
    EXPECT_EQ(core.commit_metrics().ops_refused.load(), refused + 1);
    const LatencyHistogram::Counts after = core.commit_metrics().commit_latency.read();
    EXPECT_EQ(after.count, latency.count + kWrites);
    EXPECT_GT(after.sum_ns, latency.sum_ns);
    // Each write waited for durability: at least one fdatasync since (group commit may share).
    EXPECT_GT(core.storage_syncs(), syncs);
    const db::DatabaseCore::LogStatistics grown = core.log_statistics();
    EXPECT_GE(grown.durable.value(), log.durable.value() + kWrites);
    EXPECT_GT(grown.bytes, log.bytes);

    const u64 before_close = core.storage_syncs();
    ASSERT_TRUE((*db)->close().is_ok());
    // After close the numbers stay readable (a last scrape), the final checkpoint's syncs in.
    EXPECT_GT(core.storage_syncs(), before_close);
    EXPECT_EQ(core.log_statistics().bytes, grown.bytes);
}

TEST(DatabaseDigest, AttestReturnsTheNewAttestationAndNewestDigestFindsItAgain) {
    db::testing::TempDatabaseDirs dirs("kmb-digest-test");
    DatabaseOptions options = dirs.options();
    options.attestation_every_ops = 0;  // only on demand
    std::optional<storage::Digest> made;
    {
        auto db = Database::open(dirs.data, options);
        ASSERT_TRUE(db.has_value()) << db.status().to_string();
        db::DatabaseCore& core = (*db)->core();
        auto none = core.newest_digest();
        ASSERT_TRUE(none.has_value()) << none.status().to_string();
        EXPECT_FALSE(none->has_value());

        const TenantId tenant = *(*db)->tenant("default");
        auto stream = (*db)->create_stream(tenant, "audit");
        ASSERT_TRUE(stream.has_value());
        ASSERT_TRUE((*db)->append(tenant, *stream, {bytes_of("one")}));
        const Position before = (*db)->log_position();
        auto attested = core.attest_digest();
        ASSERT_TRUE(attested.has_value()) << attested.status().to_string();
        EXPECT_EQ(attested->statement.position, before);
        EXPECT_GT(attested->attestation_position, before);
        ASSERT_EQ(attested->signatures.size(), 1u);
        EXPECT_TRUE(storage::verify_digest_signatures(*attested).is_ok());
        auto newest = core.newest_digest();
        ASSERT_TRUE(newest.has_value() && newest->has_value());
        EXPECT_EQ(**newest, *attested);
        made = *attested;
        ASSERT_TRUE((*db)->close().is_ok());
    }
    // Signed with node.key of the key directory.
    crypto::SeededRandom unused(1);
    auto node_key = crypto::load_or_create_node_key(dirs.keys, unused);
    ASSERT_TRUE(node_key.has_value());
    EXPECT_EQ(made->signatures[0].public_key, node_key->public_key());
    // After a restart the log still shows it.
    auto db = Database::open(dirs.data, options);
    ASSERT_TRUE(db.has_value()) << db.status().to_string();
    auto newest = (*db)->core().newest_digest();
    ASSERT_TRUE(newest.has_value() && newest->has_value());
    EXPECT_EQ(**newest, *made);
}

}  // namespace
}  // namespace kb
