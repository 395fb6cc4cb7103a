// Tests of the op codec: exact round trips for ops of every kind, the documented header bytes,
// the size cap, refusal of malformed input, and the op_fuzz corpus.
#include "kernel/op_codec.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "kernel/op_test_support.h"

namespace kb::kernel {
namespace {

using testing::random_op;

Bytes encode(const Op& op) {
    auto bytes = encode_op(op, limits::kOpSizeBytesMax);
    KB_ASSERT(bytes.has_value());
    return *bytes;
}

RC_GTEST_PROP(OpCodec, RoundTripIsExact, (u64 seed)) {
    Prng prng(seed);
    const Op op = random_op(prng);
    const Bytes bytes = encode(op);
    RC_ASSERT(bytes.size() == encoded_op_size(op));
    auto decoded = decode_op(bytes);
    RC_ASSERT(decoded.has_value());
    RC_ASSERT(*decoded == op);
    RC_ASSERT(encode(*decoded) == bytes);
}

TEST(OpCodec, EveryKindAndEveryDdlChangeRoundTrips) {
    std::set<OpKind> kinds;
    std::set<usize> ddl_kinds;
    Prng prng(11);
    for (int i = 0; i < 2000; ++i) {
        Op op = random_op(prng);
        kinds.insert(op.kind());
        if (auto* txn = std::get_if<TransactionOp>(&op.body)) {
            for (const DdlChange& change : txn->ddl) ddl_kinds.insert(change.index());
        }
        auto decoded = decode_op(encode(op));
        ASSERT_TRUE(decoded.has_value()) << decoded.error().to_string();
        ASSERT_EQ(*decoded, op);
    }
    EXPECT_EQ(kinds.size(), static_cast<usize>(kOpKindMax));
    EXPECT_EQ(ddl_kinds.size(), std::variant_size_v<DdlChange>);
}

TEST(OpCodec, DocumentedHeaderAndBody) {
    Op op{.tenant = TenantId(0x0102),
          .principal = PrincipalId(7),
          .body = DeleteStreamOp{.stream = StreamId(0x33)}};
    const Bytes expected = {1,    3,                        // version, kind
                            0x02, 0x01, 0, 0, 0, 0, 0, 0,   // tenant
                            7,    0,    0, 0, 0, 0, 0, 0,   // principal
                            0x33, 0,    0, 0, 0, 0, 0, 0};  // stream
    EXPECT_EQ(encode(op), expected);
    EXPECT_EQ(op_kind_name(op.kind()), "delete stream");

    AppendBatchOp append{.stream = StreamId(1), .expected_offset = Offset(2)};
    append.events = {Bytes{0xaa}, Bytes{}};
    const Bytes whole = encode({.body = append});
    const Bytes body(whole.begin() + 18, whole.end());
    Bytes expected_body = {1, 0, 0, 0, 0, 0, 0, 0,      // stream
                           1, 2, 0, 0, 0, 0, 0, 0, 0};  // has expected offset, offset
    expected_body.insert(expected_body.end(), 16, 0);   // no idempotency id
    const Bytes events = {2, 0, 0, 0, 1, 0, 0, 0, 0xaa, 0, 0, 0, 0};
    expected_body.insert(expected_body.end(), events.begin(), events.end());
    EXPECT_EQ(body, expected_body);
}

// The role and grant bodies as docs/FORMATS.md ("Ops", kinds 8 and 9) lays them out.
TEST(OpCodec, DocumentedRoleAndGrantBodies) {
    RoleOp role{.action = RoleAction::alter, .roles = {PrincipalId(0x11)}};
    role.attributes.login = true;
    role.attributes.verifier = "v";
    Op op{.tenant = TenantId(0), .principal = PrincipalId(1), .body = role};
    const Bytes whole = encode(op);
    EXPECT_EQ(whole[1], 8) << "kind 8: role";
    const Bytes body(whole.begin() + 18, whole.end());
    const Bytes expected_role = {2,                           // alter
                                 0,    0, 0, 0,               // name: empty
                                 1,    0, 0, 0,               // one role
                                 0x11, 0, 0, 0, 0, 0,  0, 0,  // its principal id
                                 1,    1,                     // login: set, true
                                 0,                           // superuser: unset
                                 1,    1, 0, 0, 0, 'v'};      // verifier "v"
    EXPECT_EQ(body, expected_role);
    EXPECT_EQ(op_kind_name(op.kind()), "role");

    GrantOp grant{.revoke = true,
                  .target = GrantTarget::tables,
                  .tenant = TenantId(3),
                  .tables = {TableId(9)},
                  .privileges = {Privilege::select, Privilege::remove},
                  .roles = {PrincipalId(0x12)}};
    const Bytes granted = encode({.body = grant});
    EXPECT_EQ(granted[1], 9) << "kind 9: grant";
    const Bytes expected_grant = {1,                                       // revoke
                                  2,                                       // tables
                                  3, 0, 0, 0, 0,    0, 0, 0,               // tenant
                                  1, 0, 0, 0, 9,    0, 0, 0, 0, 0, 0, 0,   // tables
                                  2, 0, 0, 0, 2,    5,                     // SELECT, DELETE
                                  1, 0, 0, 0, 0x12, 0, 0, 0, 0, 0, 0, 0};  // grantees
    EXPECT_EQ(Bytes(granted.begin() + 18, granted.end()), expected_grant);
    EXPECT_EQ(privilege_name(Privilege::remove), "DELETE");

    // Enum bytes out of range are refused, not read as something.
    Bytes bad_privilege = granted;
    bad_privilege[18 + 1 + 1 + 8 + 12 + 4] = 7;
    EXPECT_NE(decode_op(bad_privilege).error().message().find("privilege"), std::string::npos);
    Bytes bad_action = whole;
    bad_action[18] = 4;
    EXPECT_NE(decode_op(bad_action).error().message().find("role action"), std::string::npos);
}

TEST(OpCodec, SizeCapRefusesBeforeBuilding) {
    AppendBatchOp append{.stream = StreamId(1)};
    append.events.assign(10, Bytes(1000, 0x5a));
    Op op{.tenant = TenantId(1), .body = append};
    const u64 size = encoded_op_size(op);
    EXPECT_EQ(size, 18 + 8 + 1 + 16 + 4 + 10 * (4 + 1000));
    EXPECT_TRUE(encode_op(op, size).has_value());
    auto refused = encode_op(op, size - 1);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code(), StatusCode::out_of_range);
    EXPECT_NE(refused.error().message().find(std::to_string(size)), std::string::npos);
}

TEST(OpCodec, RefusesMalformedInput) {
    Prng prng(3);
    TransactionOp txn = testing::random_transaction(prng);
    txn.ddl.push_back(TruncateTableChange{.table = TableId(4)});
    const Bytes bytes = encode({.tenant = TenantId(1), .body = txn});

    EXPECT_EQ(decode_op({}).error().code(), StatusCode::corruption);
    Bytes version_two = bytes;
    version_two[0] = 2;
    EXPECT_EQ(decode_op(version_two).error().code(), StatusCode::unsupported);
    Bytes unknown_kind = bytes;
    unknown_kind[1] = static_cast<u8>(kOpKindMax) + 1;
    EXPECT_NE(decode_op(unknown_kind).error().message().find("op kind"), std::string::npos);
    for (usize size = 1; size < bytes.size(); ++size) {
        auto truncated = decode_op(ByteSpan(bytes).first(size));
        ASSERT_FALSE(truncated.has_value()) << size;
        ASSERT_EQ(truncated.error().code(), StatusCode::corruption);
    }
    Bytes trailing = bytes;
    trailing.push_back(0);
    EXPECT_NE(decode_op(trailing).error().message().find("unexpected bytes"), std::string::npos);

    // A forged count is refused without reserving what it claims.
    Bytes forged = encode({.body = AppendBatchOp{.stream = StreamId(1)}});
    forged[forged.size() - 4] = 0xff;
    forged[forged.size() - 3] = 0xff;
    forged[forged.size() - 2] = 0xff;
    forged[forged.size() - 1] = 0xff;
    auto refused = decode_op(forged);
    ASSERT_FALSE(refused.has_value());
    EXPECT_NE(refused.error().message().find("events"), std::string::npos)
        << refused.error().message();

    // A bool that is neither 0 nor 1 has no meaning: refused, not read as true.
    Bytes bad_bool = encode({.body = AppendBatchOp{.stream = StreamId(1)}});
    bad_bool[18 + 8] = 2;
    EXPECT_NE(decode_op(bad_bool).error().message().find("not a bool"), std::string::npos);

    Bytes zero_count = encode({.body = ReserveSequenceOp{.sequence = SequenceId(1), .count = 1}});
    zero_count[zero_count.size() - 8] = 0;
    EXPECT_FALSE(decode_op(zero_count).has_value());
}

TEST(OpCodec, FlippedBitsAreRefusedOrCanonical) {
    Prng prng(9);
    for (int round = 0; round < 300; ++round) {
        Bytes bytes = encode(random_op(prng));
        for (int flip = 0; flip < 20; ++flip) {
            Bytes damaged = bytes;
            damaged[prng.uniform(damaged.size())] ^= static_cast<u8>(1u << prng.uniform(8));
            auto decoded = decode_op(damaged);
            if (decoded.has_value()) {
                ASSERT_EQ(encode(*decoded), damaged);
            }
        }
    }
}

TEST(KeyRange, EmptyEndIsUnbounded) {
    KeyRange all{.object = ObjectId(1)};
    EXPECT_TRUE(all.contains(Bytes{}));
    EXPECT_TRUE(all.contains(Bytes{0xff, 0xff}));
    KeyRange some{.object = ObjectId(1), .start = {0x10}, .end = {0x20}};
    EXPECT_FALSE(some.contains(Bytes{0x0f, 0xff}));
    EXPECT_TRUE(some.contains(Bytes{0x10}));
    EXPECT_TRUE(some.contains(Bytes{0x1f, 0xff}));
    EXPECT_FALSE(some.contains(Bytes{0x20}));
}

// --- the fuzz corpus ------------------------------------------------------------------------

// One op of each kind, and a transaction with every DDL change: the seeds of op_fuzz.
std::vector<std::pair<std::string, Bytes>> corpus_seeds() {
    std::vector<std::pair<std::string, Bytes>> seeds;
    Prng prng(2024);
    std::set<OpKind> done;
    while (done.size() < static_cast<usize>(kOpKindMax)) {
        Op op = random_op(prng);
        if (done.insert(op.kind()).second) {
            std::string name(op_kind_name(op.kind()));
            std::replace(name.begin(), name.end(), ' ', '_');
            seeds.emplace_back(name, encode(op));
        }
    }
    TransactionOp every_ddl;
    every_ddl.snapshot = Position(41);
    for (usize kind = 0; every_ddl.ddl.size() < std::variant_size_v<DdlChange>;) {
        DdlChange change = testing::random_ddl(prng);
        if (change.index() == kind) {
            every_ddl.ddl.push_back(change);
            ++kind;
        }
    }
    every_ddl.effects.push_back(
        {.kind = RowEffectKind::insert, .table = TableId(1), .key = {1, 2}, .row = {3, 4, 5}});
    every_ddl.effects.push_back(
        {.kind = RowEffectKind::remove, .table = TableId(1), .key = {1, 3}, .row = {}});
    seeds.emplace_back(
        "transaction_every_ddl",
        encode({.tenant = TenantId(1), .principal = PrincipalId(1), .body = every_ddl}));
    return seeds;
}

TEST(OpCodec, FuzzCorpusIsCurrent) {
    // KB_WRITE_OP_CORPUS=fuzz/corpus/op_fuzz regenerates the corpus after a format change.
    const char* write_to = std::getenv("KB_WRITE_OP_CORPUS");
    const auto seeds = corpus_seeds();
    if (write_to != nullptr) {
        std::filesystem::create_directories(write_to);
        for (const auto& [name, bytes] : seeds) {
            std::ofstream out(std::filesystem::path(write_to) / name, std::ios::binary);
            out.write(reinterpret_cast<const char*>(bytes.data()),
                      static_cast<std::streamsize>(bytes.size()));
        }
    }
    const std::filesystem::path corpus = "fuzz/corpus/op_fuzz";
    if (!std::filesystem::exists(corpus)) GTEST_SKIP() << "run from the source directory";
    for (const auto& [name, bytes] : seeds) {
        std::ifstream in(corpus / name, std::ios::binary);
        ASSERT_TRUE(in.good()) << "missing corpus file " << name;
        Bytes stored{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        EXPECT_EQ(stored, bytes) << name << " is stale: regenerate with KB_WRITE_OP_CORPUS";
        EXPECT_TRUE(decode_op(stored).has_value()) << name;
    }
}

}  // namespace
}  // namespace kb::kernel
