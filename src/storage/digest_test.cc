// Digest JSON: the documented shape, round trips, rejection of malformed files, signatures.
#include "storage/digest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "crypto/sha256.h"
#include "storage/test_segment_builder.h"

namespace kb::storage {
namespace {

using testing::test_signing_key;

Digest sample_digest() {
    Digest digest;
    digest.statement = AttestedStatement{.position = Position(1000),
                                         .chain_hash = crypto::sha256(as_bytes("chain")),
                                         .timestamp = Timestamp(1'700'000'000'000'000'001ULL)};
    digest.attestation_position = Position(1001);
    const AttestationMessage message = attestation_message(digest.statement);
    for (u64 seed = 1; seed <= 3; ++seed) {
        const auto key = test_signing_key(seed);
        digest.signatures.push_back({key.public_key(), key.sign(message)});
    }
    return digest;
}

TEST(DigestTest, EncodesTheDocumentedMembers) {
    const Digest digest = sample_digest();
    const std::string text = encode_digest_json(digest);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    const auto json = nlohmann::json::parse(text);
    EXPECT_EQ(json["format"], "kimberlite-digest");
    EXPECT_EQ(json["version"], 1);
    EXPECT_EQ(json["position"], 1000);
    EXPECT_EQ(json["chain_hash"], digest.statement.chain_hash.to_hex());
    EXPECT_EQ(json["timestamp"].get<u64>(), 1'700'000'000'000'000'001ULL);
    EXPECT_EQ(json["timestamp_utc"], "2023-11-14T22:13:20.000000001Z");
    EXPECT_EQ(json["attestation_position"], 1001);
    ASSERT_EQ(json["signatures"].size(), 3u);
    EXPECT_EQ(json["signatures"][0]["public_key"], digest.signatures[0].public_key.to_hex());
    EXPECT_EQ(json["signatures"][0]["signature"], digest.signatures[0].signature.to_hex());
    // Members appear in the documented order, so the file reads top-down.
    EXPECT_LT(text.find("\"format\""), text.find("\"position\""));
    EXPECT_LT(text.find("\"position\""), text.find("\"signatures\""));
}

TEST(DigestTest, RoundTripsAndVerifies) {
    const Digest digest = sample_digest();
    auto parsed = parse_digest_json(encode_digest_json(digest), "d.json");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(*parsed, digest);
    EXPECT_TRUE(verify_digest_signatures(*parsed).is_ok());
}

TEST(DigestTest, AnyWrongSignatureFailsNamingItsKey) {
    Digest digest = sample_digest();
    digest.signatures[1].signature.bytes[10] ^= 1;
    Status status = verify_digest_signatures(digest);
    EXPECT_EQ(status.code(), StatusCode::crypto);
    EXPECT_NE(status.message().find(digest.signatures[1].public_key.to_hex()), std::string::npos);

    Digest moved = sample_digest();
    moved.statement.chain_hash = crypto::sha256(as_bytes("another chain"));
    EXPECT_FALSE(verify_digest_signatures(moved).is_ok());
}

TEST(DigestTest, IgnoresUnknownMembersAndTimestampText) {
    auto json = nlohmann::json::parse(encode_digest_json(sample_digest()));
    json["comment"] = "kept by the auditor";
    json.erase("timestamp_utc");
    auto parsed = parse_digest_json(json.dump(), "d");
    ASSERT_TRUE(parsed.has_value()) << parsed.error().to_string();
    EXPECT_EQ(*parsed, sample_digest());
}

// Each malformation gets an error naming what is wrong.
TEST(DigestTest, RejectsMalformedDigests) {
    const auto good = nlohmann::json::parse(encode_digest_json(sample_digest()));
    struct Case {
        std::string name;
        std::function<void(nlohmann::json&)> mutate;
        std::string expect;
    };
    const std::vector<Case> cases = {
        {"format", [](auto& j) { j["format"] = "something-else"; }, "\"format\""},
        {"no position", [](auto& j) { j.erase("position"); }, "missing \"position\""},
        {"negative", [](auto& j) { j["position"] = -1; }, "\"position\" must be"},
        {"float", [](auto& j) { j["position"] = 1.5; }, "\"position\" must be"},
        {"zero", [](auto& j) { j["position"] = 0; }, "\"position\" must be >= 1"},
        {"string", [](auto& j) { j["timestamp"] = "now"; }, "\"timestamp\""},
        {"short hash", [](auto& j) { j["chain_hash"] = "abcd"; }, "\"chain_hash\""},
        {"bad hex", [](auto& j) { j["chain_hash"] = std::string(64, 'g'); }, "\"chain_hash\""},
        {"attestation first", [](auto& j) { j["attestation_position"] = 1000; },
         "\"attestation_position\""},
        {"no signatures", [](auto& j) { j["signatures"] = nlohmann::json::array(); },
         "\"signatures\""},
        {"signature object", [](auto& j) { j["signatures"][1] = 5; }, "signatures[1]"},
        {"key hex", [](auto& j) { j["signatures"][2]["public_key"] = "00"; },
         "signatures[2].public_key"},
        {"sig hex", [](auto& j) { j["signatures"][0]["signature"] = std::string(127, 'a'); },
         "signatures[0].signature"},
        {"timestamp_utc type", [](auto& j) { j["timestamp_utc"] = 7; }, "\"timestamp_utc\""},
    };
    for (const Case& c : cases) {
        auto json = good;
        c.mutate(json);
        auto parsed = parse_digest_json(json.dump(), "digest.json");
        ASSERT_FALSE(parsed.has_value()) << c.name;
        EXPECT_EQ(parsed.error().code(), StatusCode::invalid_argument) << c.name;
        EXPECT_NE(parsed.error().message().find("digest.json: "), std::string::npos) << c.name;
        EXPECT_NE(parsed.error().message().find(c.expect), std::string::npos)
            << c.name << ": " << parsed.error().message();
    }
    auto version = good;
    version["version"] = 2;
    EXPECT_EQ(parse_digest_json(version.dump(), "d").error().code(), StatusCode::unsupported);
    EXPECT_FALSE(parse_digest_json("", "d").has_value());
    EXPECT_FALSE(parse_digest_json("[1,2]", "d").has_value());
    EXPECT_FALSE(parse_digest_json("{\"format\": ", "d").has_value());
    EXPECT_FALSE(parse_digest_json(std::string(100000, '['), "d").has_value());
}

}  // namespace
}  // namespace kb::storage
