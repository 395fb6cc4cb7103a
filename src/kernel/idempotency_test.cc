// Idempotency records: the codec, repeats that return the original result and change nothing,
// the retention, and deterministic pruning.
#include "kernel/idempotency.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "kernel/kernel_test_support.h"
#include "kernel/kernel_trees.h"

namespace kb::kernel {
namespace {

using testing::bytes_of;
using testing::configure_op;
using testing::create_tenant_op;
using testing::dump;
using testing::expect_hash_recomputes;
using testing::idempotency_id;
using testing::KernelHarness;
using testing::tenant_op;

const TenantId kTenant(1);

IdempotencyRecord random_record(Prng& prng) {
    IdempotencyRecord record;
    record.position = Position(prng.next_u64());
    record.kind = static_cast<OpKind>(1 + prng.uniform(static_cast<u64>(kOpKindMax)));
    ApplyResult& result = record.result;
    result.outcome = static_cast<Outcome>(prng.uniform(static_cast<u64>(kOutcomeMax) + 1));
    result.detail = testing::random_name(prng);
    result.tenant = TenantId(prng.next_u64());
    result.stream = StreamId(prng.next_u64());
    result.first_offset = Offset(prng.next_u64());
    result.event_count = prng.next_u64();
    result.block = {static_cast<i64>(prng.next_u64()), static_cast<i64>(prng.next_u64()),
                    prng.next_u64()};
    result.row_versions = prng.next_u64();
    return record;
}

RC_GTEST_PROP(IdempotencyRecord, RoundTripsAndRefusesDamage, (u64 seed)) {
    Prng prng(seed);
    const IdempotencyRecord record = random_record(prng);
    const Bytes bytes = idempotency::encode_record(record);
    auto decoded = idempotency::decode_record(bytes);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == record);
    // Any shorter or longer input is refused, never misread.
    const usize cut = prng.uniform(bytes.size());
    RC_ASSERT(!idempotency::decode_record(ByteSpan(bytes).first(cut)).has_value());
    Bytes longer = bytes;
    longer.push_back(0);
    RC_ASSERT(!idempotency::decode_record(longer).has_value());
}

TEST(IdempotencyRecord, RefusesUnknownVersionKindAndOutcome) {
    Prng prng(1);
    IdempotencyRecord record = random_record(prng);
    Bytes bytes = idempotency::encode_record(record);
    bytes[0] = 2;
    EXPECT_EQ(idempotency::decode_record(bytes).status().code(), StatusCode::unsupported);
    bytes = idempotency::encode_record(record);
    bytes[9] = 0;  // op kind
    EXPECT_EQ(idempotency::decode_record(bytes).status().code(), StatusCode::corruption);
    bytes[9] = static_cast<u8>(kOpKindMax) + 1;
    EXPECT_EQ(idempotency::decode_record(bytes).status().code(), StatusCode::corruption);
    bytes = idempotency::encode_record(record);
    bytes[10] = 0xff;  // outcome
    bytes[11] = 0xff;
    EXPECT_EQ(idempotency::decode_record(bytes).status().code(), StatusCode::corruption);
}

struct Fixture {
    explicit Fixture(u64 seed) : h(seed) {
        h.apply(create_tenant_op("t"));
        h.apply(tenant_op(kTenant, CreateStreamOp{.name = "s"}));
    }
    ApplyResult append(u64 id, std::optional<Offset> expected = std::nullopt, usize events = 1) {
        AppendBatchOp op{.stream = StreamId(1),
                         .expected_offset = expected,
                         .idempotency = id == 0 ? IdempotencyId() : idempotency_id(id)};
        for (usize i = 0; i < events; ++i) op.events.push_back(bytes_of("event"));
        return h.apply(tenant_op(kTenant, op));
    }
    Offset next_offset() {
        return h.kernel->catalog().tenant(kTenant)->stream(StreamId(1))->next_offset;
    }
    usize records() {
        usize count = 0;
        const u8 lower[] = {idempotency::kRecordPrefix};
        const u8 upper[] = {idempotency::kRecordPrefix + 1};
        auto cursor = h.store->scan(trees::idempotency(kTenant), lower, upper);
        EXPECT_TRUE(cursor);
        for (; cursor->valid(); (void)cursor->next()) ++count;
        return count;
    }
    KernelHarness h;
};

TEST(Idempotency, RepeatReturnsTheOriginalResultAndChangesNothing) {
    Fixture f(1);
    const ApplyResult original = f.append(7, Offset(0), 2);
    ASSERT_EQ(original.outcome, Outcome::ok);
    const Position at = f.h.kernel->applied();
    const StateHash hash = f.h.kernel->state_hash();
    const auto contents = dump(f.h.published());

    // The retry carries the same expected offset, which the original has since moved.
    const ApplyResult repeat = f.append(7, Offset(0), 2);
    EXPECT_TRUE(repeat.repeated);
    EXPECT_EQ(repeat.original, at);
    ApplyResult expected = original;
    expected.repeated = true;
    expected.original = at;
    EXPECT_EQ(repeat, expected);
    EXPECT_EQ(f.next_offset(), Offset(2));
    EXPECT_EQ(f.h.kernel->state_hash(), hash);
    EXPECT_EQ(dump(f.h.published()), contents);

    auto record = f.h.kernel->idempotency(kTenant, idempotency_id(7), f.h.kernel->applied());
    ASSERT_TRUE(record && *record);
    EXPECT_EQ((*record)->position, at);
    EXPECT_EQ((*record)->kind, OpKind::append_batch);
    EXPECT_EQ((*record)->result, original);
    EXPECT_FALSE(*f.h.kernel->idempotency(kTenant, idempotency_id(8), at));
    EXPECT_FALSE(*f.h.kernel->idempotency(TenantId(9), idempotency_id(7), at));
    expect_hash_recomputes(f.h);

    // It survives a reopen.
    f.h.reopen();
    EXPECT_TRUE(f.append(7).repeated);
    EXPECT_EQ(f.next_offset(), Offset(2));
}

TEST(Idempotency, TransactionsAreRecordedToo) {
    Fixture f(2);
    TableSchema table = testing::simple_table(1, "t", 1);
    TransactionOp create;
    create.ddl.push_back(CreateTableChange{.schema = table});
    ASSERT_EQ(f.h.apply(tenant_op(kTenant, create)).outcome, Outcome::ok);
    TransactionOp insert;
    insert.idempotency = idempotency_id(3);
    insert.effects.push_back(testing::insert_effect(table, {Value::int64(1), Value::text("x")}));
    const ApplyResult original = f.h.apply(tenant_op(kTenant, insert));
    ASSERT_EQ(original.outcome, Outcome::ok);
    EXPECT_EQ(original.row_versions, 1u);
    const StateHash hash = f.h.kernel->state_hash();
    // Applied again it would be an invalid effect (the key is live): the repeat wins.
    const ApplyResult repeat = f.h.apply(tenant_op(kTenant, insert));
    EXPECT_EQ(repeat.outcome, Outcome::ok);
    EXPECT_TRUE(repeat.repeated);
    EXPECT_EQ(repeat.row_versions, 1u);
    EXPECT_EQ(f.h.kernel->state_hash(), hash);
    // The same id on an op of another kind is a duplicate, not a repeat of it.
    const ApplyResult other = f.append(3);
    EXPECT_EQ(other.outcome, Outcome::duplicate_idempotency);
    EXPECT_TRUE(other.repeated);
    EXPECT_EQ(f.h.kernel->state_hash(), hash);
    expect_hash_recomputes(f.h);
}

TEST(Idempotency, RefusedOpsLeaveNoRecord) {
    Fixture f(3);
    EXPECT_EQ(f.append(5, Offset(3)).outcome, Outcome::offset_mismatch);
    EXPECT_FALSE(*f.h.kernel->idempotency(kTenant, idempotency_id(5), f.h.kernel->applied()));
    // A corrected retry is applied.
    const ApplyResult retry = f.append(5, Offset(0));
    EXPECT_EQ(retry.outcome, Outcome::ok);
    EXPECT_FALSE(retry.repeated);
}

TEST(Idempotency, RepeatsAreRecognisedOnlyWithinTheRetention) {
    Fixture f(4);
    ASSERT_EQ(f.h.apply(configure_op(5)).outcome, Outcome::ok);
    ASSERT_EQ(f.append(9).outcome, Outcome::ok);
    const Position at = f.h.kernel->applied();
    while (f.h.kernel->applied() < Position(at.value() + 4)) f.append(0);
    // The next position is at + 5: still within.
    EXPECT_TRUE(*f.h.kernel->idempotency(kTenant, idempotency_id(9), Position(at.value() + 5)));
    EXPECT_FALSE(*f.h.kernel->idempotency(kTenant, idempotency_id(9), Position(at.value() + 6)));
    EXPECT_TRUE(f.append(9).repeated);
    // At + 6 it is forgotten: applied as a new op, which makes a new record.
    const Offset before = f.next_offset();
    const ApplyResult again = f.append(9);
    EXPECT_FALSE(again.repeated);
    EXPECT_EQ(again.first_offset, before);
    EXPECT_TRUE(f.append(9).repeated);
    expect_hash_recomputes(f.h);
}

TEST(Idempotency, ExpiredRecordsArePrunedBoundedPerOp) {
    Fixture f(5);
    for (u64 id = 1; id <= 40; ++id) ASSERT_EQ(f.append(id).outcome, Outcome::ok);
    EXPECT_EQ(f.records(), 40u);
    expect_hash_recomputes(f.h);
    // Lowering the retention leaves a backlog that ok ops of the tenant drain, kPruneMax each.
    ASSERT_EQ(f.h.apply(configure_op(2)).outcome, Outcome::ok);
    EXPECT_EQ(f.records(), 40u);
    f.append(0);
    EXPECT_EQ(f.records(), 40u - idempotency::kPruneMax);
    f.append(0);
    f.append(0);
    EXPECT_EQ(f.records(), 0u);
    expect_hash_recomputes(f.h);
    // From then on at most `retention` records of one per op remain.
    for (u64 id = 100; id < 120; ++id) f.append(id);
    EXPECT_EQ(f.records(), 3u);  // made at the last three positions: q - p <= 2
    expect_hash_recomputes(f.h);
    // Pruning runs the same after a reopen (the oldest position is reloaded from the tree).
    f.h.reopen();
    f.append(0);
    EXPECT_EQ(f.records(), 2u);
    expect_hash_recomputes(f.h);
}

}  // namespace
}  // namespace kb::kernel
