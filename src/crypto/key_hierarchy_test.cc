// Tests of the key hierarchy: deterministic derivation, rotation keeping data readable,
// identity binding across tenants, and the segment-key cache.
#include "crypto/key_hierarchy.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <set>
#include <vector>

namespace kb::crypto {
namespace {

Key256 counting_key() {
    std::array<u8, 32> bytes;
    for (usize i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<u8>(i);
    return Key256::from_bytes(bytes);
}

// Seals `plaintext` under the keyring's key for `position`; returns nonce and sealed bytes.
struct SealedRecord {
    AeadNonce nonce;
    Bytes sealed;
};

SealedRecord seal_at(Keyring& keyring, Position position, const Bytes& plaintext,
                     RandomSource& random) {
    SealedRecord record{.nonce = {}, .sealed = Bytes(plaintext.size() + kAeadTagSize)};
    auto nonce = keyring.segment_key(position)->seal(ByteSpan(), plaintext, record.sealed, random);
    KB_ASSERT(nonce.has_value());
    record.nonce = *nonce;
    return record;
}

Result<Bytes> open_at(Keyring& keyring, Position position, const SealedRecord& record) {
    Bytes plaintext(record.sealed.size() - kAeadTagSize);
    KB_TRY(keyring.segment_key(position)->open(record.nonce, ByteSpan(), record.sealed, plaintext));
    return plaintext;
}

TEST(KeyHierarchy, SegmentIndexIsPositionOverSegmentSize) {
    EXPECT_EQ(segment_index(Position(0)), 0u);
    EXPECT_EQ(segment_index(Position(limits::kSegmentPositions - 1)), 0u);
    EXPECT_EQ(segment_index(Position(limits::kSegmentPositions)), 1u);
    EXPECT_EQ(segment_index(Position(5 * limits::kSegmentPositions + 17)), 5u);
}

// Pins the derivation format: replicas running different builds must derive the same keys.
// Expected values from an independent HKDF-SHA256 (Python's hmac + hashlib, RFC 5869), root
// key 00 01 .. 1f, empty salt, info = label 00 || u64 LE scope || u64 LE index.
TEST(KeyHierarchy, DerivationsMatchIndependentHkdf) {
    Key256 root = counting_key();
    EXPECT_EQ(to_hex(derive_segment_key(root, TenantId(7), 3).bytes()),
              "7029c0e1d5deb1358a93f996c1a8519af867693d5166ee791ff88c1ebab785dd");
    EXPECT_EQ(to_hex(derive_page_key(root, TenantId(7), 2).bytes()),
              "5c3fbfd6776d124151f4722ec605a85494036cbfff91bb71b480c6ed94c5feb3");
    EXPECT_EQ(to_hex(derive_system_segment_key(root, 3).bytes()),
              "31f5fd22e8bb8f9d9ebc17fb1ca38fac33cc5b624d015e71ba74c1a0c9ae8fc6");
    EXPECT_EQ(to_hex(derive_system_page_key(root, 2).bytes()),
              "971b82657365c436ea8aa615bb31cde80e697f8ea440e4af3abad2683637238f");
}

RC_GTEST_PROP(KeyHierarchy, DerivationIsDeterministicAndSeparated, ()) {
    auto bytes = *rc::gen::container<std::vector<u8>>(32, rc::gen::arbitrary<u8>());
    Key256 root = Key256::from_bytes(std::span<const u8, 32>(bytes.data(), 32));
    TenantId tenant(*rc::gen::inRange<u64>(1, 1000));
    u64 index = *rc::gen::inRange<u64>(0, 1u << 20);
    RC_ASSERT(derive_segment_key(root, tenant, index) == derive_segment_key(root, tenant, index));
    RC_ASSERT(derive_page_key(root, tenant, index) == derive_page_key(root, tenant, index));
    // Any change of segment, tenant, epoch or use gives another key.
    RC_ASSERT(
        !(derive_segment_key(root, tenant, index) == derive_segment_key(root, tenant, index + 1)));
    RC_ASSERT(!(derive_segment_key(root, tenant, index) ==
                derive_segment_key(root, TenantId(tenant.value() + 1), index)));
    RC_ASSERT(!(derive_page_key(root, tenant, index) == derive_page_key(root, tenant, index + 1)));
    RC_ASSERT(!(derive_page_key(root, tenant, index) ==
                derive_page_key(root, TenantId(tenant.value() + 1), index)));
    RC_ASSERT(!(derive_segment_key(root, tenant, index) == derive_page_key(root, tenant, index)));
    RC_ASSERT(!(derive_system_segment_key(root, index) == derive_segment_key(root, tenant, index)));
    RC_ASSERT(!(derive_system_segment_key(root, index) == derive_system_page_key(root, index)));
}

TEST(KeyHierarchy, DistinctKeysOverManySegmentsTenantsAndEpochs) {
    Key256 root = counting_key();
    std::set<std::string> seen;
    for (u64 tenant = 1; tenant <= 4; ++tenant) {
        for (u64 index = 0; index < 16; ++index) {
            seen.insert(to_hex(derive_segment_key(root, TenantId(tenant), index).bytes()));
            seen.insert(to_hex(derive_page_key(root, TenantId(tenant), index).bytes()));
        }
    }
    EXPECT_EQ(seen.size(), 4u * 16u * 2u);
}

// Two replicas hold the same master key and apply the same key records: each derives the
// same segment keys, so one opens what the other sealed (the primary seals, backups read).
TEST(KeyHierarchy, ReplicasDeriveTheSameKeysFromTheSameRecords) {
    SeededRandom random(1);
    Key256 master = random_secret_key<32>(random);
    MemoryMasterKeyProvider replica_a(KeyId(1), master.clone());
    MemoryMasterKeyProvider replica_b(KeyId(1), master.clone());
    TenantWrappedKeys records = create_tenant_keys(replica_a, TenantId(7), random);

    auto keyring_a = Keyring::open_tenant(replica_a, records);
    auto keyring_b = Keyring::open_tenant(replica_b, records);
    ASSERT_TRUE(keyring_a && keyring_b);
    for (u64 p : {u64{1}, limits::kSegmentPositions + 5, 9 * limits::kSegmentPositions}) {
        Bytes plaintext = {static_cast<u8>(p), 2, 3};
        SealedRecord record = seal_at(*keyring_a, Position(p), plaintext, random);
        auto opened = open_at(*keyring_b, Position(p), record);
        ASSERT_TRUE(opened) << opened.error().to_string();
        EXPECT_EQ(*opened, plaintext);
        // A neighbouring segment's key does not open it.
        EXPECT_FALSE(open_at(*keyring_b, Position(p + limits::kSegmentPositions), record));
    }
    SealingKey page_a = keyring_a->page_key(3);
    SealingKey page_b = keyring_b->page_key(3);
    Bytes page(64, 0x42), sealed(64 + kAeadTagSize), opened(64);
    AeadNonce nonce = *page_a.seal(ByteSpan(), page, sealed, random);
    EXPECT_TRUE(page_b.open(nonce, ByteSpan(), sealed, opened).is_ok());
    EXPECT_EQ(page_b.seals_max(), limits::kPagesPerPageKeyMax);
}

TEST(KeyHierarchy, MasterRotationKeepsDataReadable) {
    SeededRandom random(2);
    MemoryMasterKeyProvider master(random);
    WrappedKey system_root = create_system_root_key(master, random);
    std::vector<TenantWrappedKeys> tenants = {create_tenant_keys(master, TenantId(1), random),
                                              create_tenant_keys(master, TenantId(2), random)};
    Bytes plaintext = {10, 20, 30};
    Position position(12345);
    std::vector<SealedRecord> sealed;
    for (const auto& keys : tenants) {
        auto keyring = Keyring::open_tenant(master, keys);
        ASSERT_TRUE(keyring);
        sealed.push_back(seal_at(*keyring, position, plaintext, random));
    }
    auto system = Keyring::open_system(master, system_root);
    ASSERT_TRUE(system);
    SealedRecord system_record = seal_at(*system, position, plaintext, random);

    auto rotation = rotate_master_key(master, system_root, tenants, random);
    ASSERT_TRUE(rotation) << rotation.error().to_string();
    EXPECT_EQ(rotation->old_master_id, KeyId(1));
    EXPECT_EQ(rotation->new_master_id, KeyId(2));
    EXPECT_EQ(master.current().id, KeyId(2));
    EXPECT_EQ(rotation->system_root.wrapping_key_id, KeyId(2));
    ASSERT_EQ(rotation->tenants.size(), 2u);
    for (usize i = 0; i < tenants.size(); ++i) {
        EXPECT_EQ(rotation->tenants[i].kek.wrapping_key_id, KeyId(2));
        EXPECT_EQ(rotation->tenants[i].kek.key_id, tenants[i].kek.key_id);
        EXPECT_EQ(rotation->tenants[i].root, tenants[i].root);  // data keys untouched
    }

    // Once the old master key is retired, only the re-wrapped records open, and they still
    // open everything sealed before the rotation.
    ASSERT_TRUE(master.retire(KeyId(1)).is_ok());
    for (usize i = 0; i < tenants.size(); ++i) {
        auto keyring = Keyring::open_tenant(master, rotation->tenants[i]);
        ASSERT_TRUE(keyring) << keyring.error().to_string();
        auto opened = open_at(*keyring, position, sealed[i]);
        ASSERT_TRUE(opened);
        EXPECT_EQ(*opened, plaintext);
        auto stale = Keyring::open_tenant(master, tenants[i]);
        ASSERT_FALSE(stale);
        EXPECT_EQ(stale.error().code(), StatusCode::not_found);
    }
    auto system_after = Keyring::open_system(master, rotation->system_root);
    ASSERT_TRUE(system_after);
    auto opened = open_at(*system_after, position, system_record);
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, plaintext);
}

TEST(KeyHierarchy, MasterRotationStopsBeforeRotatingOnADamagedRecord) {
    SeededRandom random(3);
    MemoryMasterKeyProvider master(random);
    WrappedKey system_root = create_system_root_key(master, random);
    std::vector<TenantWrappedKeys> tenants = {create_tenant_keys(master, TenantId(1), random),
                                              create_tenant_keys(master, TenantId(2), random)};
    tenants[1].kek.sealed[0] ^= 1;
    auto rotation = rotate_master_key(master, system_root, tenants, random);
    ASSERT_FALSE(rotation);
    EXPECT_EQ(rotation.error().code(), StatusCode::crypto);
    EXPECT_NE(rotation.error().message().find("tenant 2 KEK 1"), std::string::npos);
    EXPECT_EQ(master.current().id, KeyId(1));
}

TEST(KeyHierarchy, TenantKekRotationKeepsDataReadable) {
    SeededRandom random(4);
    MemoryMasterKeyProvider master(random);
    TenantWrappedKeys keys = create_tenant_keys(master, TenantId(5), random);
    auto keyring = Keyring::open_tenant(master, keys);
    ASSERT_TRUE(keyring);
    Bytes plaintext = {1, 1, 2, 3, 5, 8};
    SealedRecord record = seal_at(*keyring, Position(99), plaintext, random);

    auto rotated = rotate_tenant_kek(master, keys, random);
    ASSERT_TRUE(rotated) << rotated.error().to_string();
    EXPECT_EQ(rotated->kek.key_id, KeyId(2));
    EXPECT_EQ(rotated->root.wrapping_key_id, KeyId(2));
    EXPECT_EQ(rotated->root.key_id, keys.root.key_id);
    EXPECT_NE(rotated->kek.sealed, keys.kek.sealed);

    auto after = Keyring::open_tenant(master, *rotated);
    ASSERT_TRUE(after) << after.error().to_string();
    auto opened = open_at(*after, Position(99), record);
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, plaintext);

    // The new KEK does not open the old root record, nor the old KEK the new one.
    TenantWrappedKeys mixed{.tenant = TenantId(5), .kek = rotated->kek, .root = keys.root};
    auto refused = Keyring::open_tenant(master, mixed);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), StatusCode::crypto);
    EXPECT_EQ(refused.error().message(),
              "tenant 5 root key 1 is wrapped by KEK 1, but KEK 2 was given");
}

TEST(KeyHierarchy, KeyRecordsCannotBeMovedToAnotherTenant) {
    SeededRandom random(5);
    MemoryMasterKeyProvider master(random);
    TenantWrappedKeys keys = create_tenant_keys(master, TenantId(1), random);
    TenantWrappedKeys moved = keys;
    moved.tenant = TenantId(2);
    auto refused = Keyring::open_tenant(master, moved);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), StatusCode::crypto);

    // Nor can one tenant's root record be paired with another's KEK record.
    TenantWrappedKeys other = create_tenant_keys(master, TenantId(2), random);
    TenantWrappedKeys spliced{.tenant = TenantId(2), .kek = other.kek, .root = keys.root};
    EXPECT_EQ(Keyring::open_tenant(master, spliced).error().code(), StatusCode::crypto);

    // Nor is a KEK record usable as the system root.
    EXPECT_EQ(Keyring::open_system(master, keys.kek).error().code(), StatusCode::crypto);
}

TEST(Keyring, SegmentKeyCacheIsBoundedAndLeastRecentlyUsed) {
    SeededRandom random(6);
    MemoryMasterKeyProvider master(random);
    auto keyring = Keyring::open_tenant(master, create_tenant_keys(master, TenantId(3), random),
                                        /*cache_entries=*/3);
    ASSERT_TRUE(keyring);
    auto k0 = keyring->segment_key_for_index(0);
    auto k1 = keyring->segment_key_for_index(1);
    auto k2 = keyring->segment_key_for_index(2);
    EXPECT_EQ(keyring->cached_segment_keys(), 3u);
    EXPECT_EQ(keyring->segment_key_for_index(0), k0);  // hit; 0 becomes most recent
    auto k3 = keyring->segment_key_for_index(3);       // evicts 1, the least recent
    EXPECT_EQ(keyring->cached_segment_keys(), 3u);
    EXPECT_EQ(keyring->segment_key_for_index(0), k0);
    EXPECT_EQ(keyring->segment_key_for_index(2), k2);
    EXPECT_EQ(keyring->segment_key_for_index(3), k3);
    auto k1_again = keyring->segment_key_for_index(1);
    EXPECT_NE(k1_again, k1);  // re-derived
    // ...to the same key: what the evicted object sealed, the new one opens.
    Bytes plaintext = {4, 5}, sealed(2 + kAeadTagSize), opened(2);
    AeadNonce nonce = *k1->seal(ByteSpan(), plaintext, sealed, random);
    EXPECT_TRUE(k1_again->open(nonce, ByteSpan(), sealed, opened).is_ok());
    EXPECT_EQ(k1_again->name(), "tenant 3 segment 1 key");
}

TEST(Keyring, SystemAndTenantKeysDiffer) {
    SeededRandom random(7);
    MemoryMasterKeyProvider master(random);
    auto system = Keyring::open_system(master, create_system_root_key(master, random));
    auto tenant = Keyring::open_tenant(master, create_tenant_keys(master, TenantId(1), random));
    ASSERT_TRUE(system && tenant);
    EXPECT_TRUE(system->is_system());
    EXPECT_FALSE(tenant->is_system());
    Bytes plaintext = {7}, sealed(1 + kAeadTagSize), opened(1);
    AeadNonce nonce =
        *system->segment_key(Position(1))->seal(ByteSpan(), plaintext, sealed, random);
    EXPECT_EQ(tenant->segment_key(Position(1))->open(nonce, ByteSpan(), sealed, opened).code(),
              StatusCode::crypto);
    EXPECT_EQ(system->segment_key(Position(1))->name(), "system segment 0 key");
}

}  // namespace
}  // namespace kb::crypto
