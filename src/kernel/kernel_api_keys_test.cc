// API key ops: the rules (superusers only, role and tenant must exist, ids unique, revoke of an
// unknown key), apply into the API keys tree as of every position, the state hash (incremental
// = recomputed, and it covers keys), checkpoint and reopen, replay, admission of pending keys,
// and keys going with a dropped role or tenant.
#include <gtest/gtest.h>

#include "kernel/access_reads.h"
#include "kernel/admission.h"
#include "kernel/kernel.h"
#include "kernel/kernel_test_support.h"
#include "kernel/op_codec.h"
#include "kernel/permissions.h"

namespace kb::kernel {
namespace {

using testing::create_tenant_op;
using testing::expect_hash_recomputes;
using testing::KernelHarness;

const TenantId kTenant(1);

Op system_op(OpBody body, PrincipalId principal = kBootstrapPrincipal) {
    return Op{.tenant = TenantId(0), .principal = principal, .body = std::move(body)};
}

std::array<u8, kApiKeySecretHashBytes> hash_of(u8 seed) {
    std::array<u8, kApiKeySecretHashBytes> hash{};
    for (usize i = 0; i < hash.size(); ++i) hash[i] = static_cast<u8>(seed + i);
    return hash;
}

Op create_key(u64 id, PrincipalId role, TenantId tenant = kTenant, bool read_only = false,
              PrincipalId by = kBootstrapPrincipal) {
    return system_op(ApiKeyOp{.action = ApiKeyAction::create,
                              .key_id = id,
                              .role = role,
                              .tenant = tenant,
                              .read_only = read_only,
                              .secret_hash = hash_of(static_cast<u8>(id))},
                     by);
}
Op revoke_key(u64 id, PrincipalId by = kBootstrapPrincipal) {
    return system_op(ApiKeyOp{.action = ApiKeyAction::revoke, .key_id = id}, by);
}

struct Fixture {
    explicit Fixture(u64 seed) : h(seed) {
        EXPECT_EQ(h.apply(create_tenant_op("app")).outcome, Outcome::ok);
        alice = role("alice", {.login = true});
        root = role("root", {.login = true, .superuser = true});
    }
    PrincipalId role(std::string name, RoleAttributes attributes = {}) {
        const ApplyResult result = h.apply(system_op(RoleOp{
            .action = RoleAction::create, .name = std::move(name), .attributes = attributes}));
        EXPECT_EQ(result.outcome, Outcome::ok) << result.detail;
        return result.principal;
    }
    Outcome apply(const Op& op) { return h.apply(op).outcome; }

    KernelHarness h;
    PrincipalId alice;
    PrincipalId root;
};

TEST(ApiKeyOpCodec, RoundTripsAndRefusesIdZero) {
    const Op op = create_key(0x0102030405060708, PrincipalId(17), TenantId(3), true);
    auto encoded = encode_op(op, limits::kOpSizeBytesMax);
    ASSERT_TRUE(encoded);
    auto decoded = decode_op(*encoded);
    ASSERT_TRUE(decoded) << decoded.status().to_string();
    EXPECT_EQ(*decoded, op);
    EXPECT_EQ(decoded->kind(), OpKind::api_key);
    EXPECT_EQ((*encoded)[1], 11) << "kind 11 in the log";

    Op zero = op;
    std::get<ApiKeyOp>(zero.body).key_id = 0;
    EXPECT_FALSE(decode_op(*encode_op(zero, limits::kOpSizeBytesMax)));
    Bytes short_hash = *encoded;
    short_hash.pop_back();
    EXPECT_FALSE(decode_op(short_hash));
    Bytes bad_action = *encoded;
    bad_action[18] = 3;  // after the 18-byte header
    EXPECT_FALSE(decode_op(bad_action));
}

TEST(ApiKeyRecord, RoundTripsAndRefusesDamage) {
    const ApiKeyInfo key{.key_id = 99,
                         .role = PrincipalId(16),
                         .tenant = TenantId(2),
                         .read_only = true,
                         .secret_hash = hash_of(7),
                         .created = Position(12)};
    const Bytes record = encode_api_key_record(key);
    auto decoded = decode_api_key_record(record);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, key);
    Bytes versioned = record;
    versioned[0] = 2;
    EXPECT_FALSE(decode_api_key_record(versioned));
    EXPECT_FALSE(decode_api_key_record(ByteSpan(record).first(record.size() - 1)));
}

TEST(KernelApiKeys, CreateAndRevokeAreReadableAsOfEveryPosition) {
    Fixture f(1);
    const Position before = f.h.kernel->applied();
    ASSERT_EQ(f.apply(create_key(7, f.alice, kTenant, true)), Outcome::ok);
    const Position created = f.h.kernel->applied();
    ASSERT_EQ(f.apply(revoke_key(7)), Outcome::ok);
    const Position revoked = f.h.kernel->applied();

    const store::Snapshot view = f.h.published();
    EXPECT_FALSE(*reads::api_key(view, 7, before));
    auto live = reads::api_key(view, 7, created);
    ASSERT_TRUE(live && *live);
    EXPECT_EQ((*live)->role, f.alice);
    EXPECT_EQ((*live)->tenant, kTenant);
    EXPECT_TRUE((*live)->read_only);
    EXPECT_EQ((*live)->secret_hash, hash_of(7));
    EXPECT_EQ((*live)->created, created);
    EXPECT_FALSE(*reads::api_key(view, 7, revoked));
    EXPECT_FALSE(*reads::api_key(view, 7));
    EXPECT_EQ(reads::api_keys(view, created)->size(), 1u);
    EXPECT_TRUE(reads::api_keys(view)->empty());
    EXPECT_EQ(f.h.kernel->access().api_key(7), nullptr);
    expect_hash_recomputes(f.h);
}

TEST(KernelApiKeys, RulesRefuseWithoutChangingAnything) {
    Fixture f(2);
    ASSERT_EQ(f.apply(create_key(1, f.alice)), Outcome::ok);
    const StateHash before = f.h.kernel->state_hash();
    EXPECT_EQ(f.apply(create_key(1, f.root)), Outcome::api_key_exists);
    EXPECT_EQ(f.apply(create_key(2, PrincipalId(900))), Outcome::no_such_role);
    EXPECT_EQ(f.apply(create_key(3, f.alice, TenantId(9))), Outcome::no_such_tenant);
    EXPECT_EQ(f.apply(revoke_key(4)), Outcome::no_such_api_key);
    // Only superusers (and built-in principals) may make or revoke keys.
    EXPECT_EQ(f.apply(create_key(5, f.alice, kTenant, false, f.alice)), Outcome::permission_denied);
    EXPECT_EQ(f.apply(revoke_key(1, f.alice)), Outcome::permission_denied);
    Op misplaced = create_key(6, f.alice);
    misplaced.tenant = kTenant;
    EXPECT_EQ(f.apply(misplaced), Outcome::invalid_definition) << "a system op";
    EXPECT_EQ(f.h.kernel->state_hash(), before);
    EXPECT_EQ(f.h.kernel->access().api_keys().size(), 1u);

    EXPECT_EQ(f.apply(create_key(5, f.alice, kTenant, false, f.root)), Outcome::ok)
        << "a superuser role may";
    EXPECT_EQ(f.apply(revoke_key(1, f.root)), Outcome::ok);
    expect_hash_recomputes(f.h);
}

TEST(KernelApiKeys, TheStateHashCoversKeys) {
    Fixture with(3);
    Fixture without(3);
    EXPECT_EQ(with.h.kernel->state_hash(), without.h.kernel->state_hash());
    ASSERT_EQ(with.apply(create_key(1, with.alice)), Outcome::ok);
    ASSERT_EQ(without.apply(create_key(1, without.alice, kTenant, /*read_only=*/true)),
              Outcome::ok);
    EXPECT_NE(with.h.kernel->state_hash(), without.h.kernel->state_hash())
        << "the mode is part of the state";
    expect_hash_recomputes(with.h);
    expect_hash_recomputes(without.h);
}

TEST(KernelApiKeys, DroppingARoleOrTenantDropsItsKeys) {
    Fixture f(4);
    const PrincipalId bob = f.role("bob", {.login = true});
    ASSERT_EQ(f.h.apply(create_tenant_op("other")).outcome, Outcome::ok);
    const TenantId other(2);
    ASSERT_EQ(f.apply(create_key(1, f.alice)), Outcome::ok);
    ASSERT_EQ(f.apply(create_key(2, bob)), Outcome::ok);
    ASSERT_EQ(f.apply(create_key(3, f.alice, other)), Outcome::ok);
    ASSERT_EQ(f.apply(system_op(RoleOp{.action = RoleAction::drop, .roles = {bob}})), Outcome::ok);
    EXPECT_EQ(f.h.kernel->access().api_key(2), nullptr);
    ASSERT_EQ(f.h.apply(testing::drop_tenant_op(other)).outcome, Outcome::ok);
    EXPECT_EQ(f.h.kernel->access().api_key(3), nullptr);
    EXPECT_NE(f.h.kernel->access().api_key(1), nullptr);
    const store::Snapshot view = f.h.published();
    auto live = reads::api_keys(view);
    ASSERT_EQ(live->size(), 1u);
    EXPECT_EQ(live->front().key_id, 1u);
    EXPECT_EQ(f.apply(revoke_key(2)), Outcome::no_such_api_key);
    expect_hash_recomputes(f.h);
}

TEST(KernelApiKeys, CheckpointReopenAndReplayRestoreKeys) {
    Fixture f(5);
    ASSERT_EQ(f.apply(create_key(1, f.alice, kTenant, true)), Outcome::ok);
    ASSERT_EQ(f.apply(create_key(2, f.root)), Outcome::ok);
    ASSERT_EQ(f.apply(revoke_key(2)), Outcome::ok);
    const AccessControl before = f.h.kernel->access();
    f.h.reopen();
    EXPECT_EQ(f.h.kernel->access(), before);
    EXPECT_EQ(f.apply(create_key(1, f.alice)), Outcome::api_key_exists) << "still known";
    expect_hash_recomputes(f.h);

    KernelHarness replay(6);
    for (const testing::LoggedOp& logged : f.h.log) replay.apply_logged(logged);
    EXPECT_EQ(replay.kernel->access(), f.h.kernel->access());
    EXPECT_EQ(replay.kernel->state_hash(), f.h.kernel->state_hash());
}

TEST(KernelApiKeys, AdmissionSeesPendingKeys) {
    Fixture f(7);
    GrantPermissions grants;
    Admission admission(*f.h.kernel, *f.h.store, grants);
    std::vector<Op> admitted;
    Position next = f.h.kernel->applied().next();
    auto admit = [&](const Op& op) {
        auto result = admission.admit(op, next);
        EXPECT_TRUE(result) << result.status().to_string();
        if (result && result->admitted()) {
            admitted.push_back(op);
            next = next.next();
        }
        return result ? result->outcome : Outcome::invalid_effect;
    };
    EXPECT_EQ(admit(create_key(1, f.alice)), Outcome::ok);
    EXPECT_EQ(admit(create_key(1, f.alice)), Outcome::api_key_exists) << "pending";
    EXPECT_EQ(admit(revoke_key(2)), Outcome::no_such_api_key);
    EXPECT_EQ(admit(create_key(2, f.alice, kTenant, false, f.alice)), Outcome::permission_denied);
    EXPECT_EQ(admit(revoke_key(1)), Outcome::ok);
    EXPECT_EQ(admit(revoke_key(1)), Outcome::no_such_api_key) << "revoked, pending";
    for (const Op& op : admitted) EXPECT_EQ(f.apply(op), Outcome::ok);
    EXPECT_EQ(f.h.kernel->access(), admission.pending_access());
}

TEST(ApiKeyText, FormatsParsesAndRefusesNearMisses) {
    crypto::SeededRandom random(9);
    const ApiKeyText key = make_api_key(random);
    EXPECT_NE(key.key_id, 0u);
    const std::string text = format_api_key(key);
    EXPECT_EQ(text.size(), kApiKeyTextChars);
    EXPECT_TRUE(text.starts_with("kmb_"));
    EXPECT_EQ(text.find_first_not_of(
                  "kmb_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
    auto parsed = parse_api_key(text);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->key_id, key.key_id);
    EXPECT_EQ(parsed->secret, key.secret);
    EXPECT_EQ(parse_api_key_id(text), key.key_id);
    EXPECT_EQ(parse_api_key_id(api_key_id_hex(key.key_id)), key.key_id);
    EXPECT_EQ(api_key_id_hex(0x0102030405060708), "0102030405060708");
    EXPECT_EQ(parse_api_key_id("0102030405060708"), 0x0102030405060708u);
    EXPECT_EQ(parse_api_key_id("0000000000000000"), std::nullopt);
    EXPECT_EQ(parse_api_key_id("01020304050607"), std::nullopt);

    // A known vector: id 1, secret 0..23.
    ApiKeyText known{.key_id = 1};
    for (usize i = 0; i < known.secret.size(); ++i) known.secret[i] = static_cast<u8>(i);
    EXPECT_EQ(format_api_key(known), "kmb_AAAAAAAAAAEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc");

    EXPECT_FALSE(parse_api_key("kmx_" + text.substr(4)));
    EXPECT_FALSE(parse_api_key(text.substr(0, text.size() - 1)));
    EXPECT_FALSE(parse_api_key(text + "A"));
    std::string bad_char = text;
    bad_char[10] = '+';
    EXPECT_FALSE(parse_api_key(bad_char));
    std::string tail = format_api_key(known);
    tail.back() = 'd';  // 'c' -> 'd' sets one of the two unused bits
    EXPECT_FALSE(parse_api_key(tail));
    EXPECT_FALSE(parse_api_key("kmb_AAAAAAAAAAAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhc")) << "id 0";
    EXPECT_NE(api_key_secret_hash(key), api_key_secret_hash(known));
}

}  // namespace
}  // namespace kb::kernel
