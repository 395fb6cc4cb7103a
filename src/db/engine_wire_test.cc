// Engine requests on the wire (engine_wire.h): ops round-trip as the log will hold them, a
// create-tenant travels by name only (the primary makes its keys), and bytes that are not a
// request are refused with invalid_argument, never an assertion.
#include "db/engine_wire.h"

#include <gtest/gtest.h>

#include "crypto/key_hierarchy.h"
#include "crypto/master_key.h"
#include "crypto/random.h"
#include "store/types.h"

namespace kb::db {
namespace {

TEST(EngineWire, AnOpRoundTrips) {
    const kernel::Op op{TenantId(4), PrincipalId(2),
                        kernel::CreateStreamOp{.name = "orders", .data_class = DataClass::phi}};
    auto encoded = encode_request(op);
    ASSERT_TRUE(encoded.has_value()) << encoded.status().to_string();
    auto decoded = decode_request(*encoded);
    ASSERT_TRUE(decoded.has_value()) << decoded.status().to_string();
    EXPECT_EQ(*decoded, op);
}

TEST(EngineWire, ACreateTenantTravelsByNameWithoutKeys) {
    // Keys a client might hold are not sent: the primary makes the tenant's own.
    crypto::SeededRandom random(3);
    crypto::MemoryMasterKeyProvider master(crypto::KeyId(1), crypto::random_secret_key<32>(random));
    const crypto::TenantWrappedKeys keys = crypto::create_tenant_keys(master, TenantId(9), random);
    const kernel::Op op{
        store::kSystemTenant, PrincipalId(2),
        kernel::CreateTenantOp{.name = "acme", .kek = keys.kek, .root_key = keys.root}};
    auto encoded = encode_request(op);
    ASSERT_TRUE(encoded.has_value()) << encoded.status().to_string();
    EXPECT_LT(encoded->size(), 40u);
    auto decoded = decode_request(*encoded);
    ASSERT_TRUE(decoded.has_value()) << decoded.status().to_string();
    EXPECT_EQ(decoded->tenant, store::kSystemTenant);
    EXPECT_EQ(decoded->principal, PrincipalId(2));
    const auto* create = std::get_if<kernel::CreateTenantOp>(&decoded->body);
    ASSERT_NE(create, nullptr);
    EXPECT_EQ(create->name, "acme");
    EXPECT_EQ(create->kek, crypto::WrappedKey{});
    EXPECT_EQ(create->root_key, crypto::WrappedKey{});
}

TEST(EngineWire, BytesThatAreNotARequestAreRefused) {
    auto encoded = encode_request(
        kernel::Op{store::kSystemTenant, PrincipalId(2), kernel::CreateTenantOp{.name = "acme"}});
    ASSERT_TRUE(encoded.has_value());
    std::vector<Bytes> bad = {{}, {1}, {2, 0}, {1, 7}, {1, 0, 1, 2, 3}};
    Bytes truncated = *encoded;
    truncated.pop_back();
    bad.push_back(truncated);
    Bytes longer = *encoded;
    longer.push_back(0);
    bad.push_back(longer);
    for (const Bytes& bytes : bad) {
        auto decoded = decode_request(bytes);
        ASSERT_FALSE(decoded.has_value()) << to_hex(bytes);
        EXPECT_EQ(decoded.status().code(), StatusCode::invalid_argument) << to_hex(bytes);
    }
}

}  // namespace
}  // namespace kb::db
