// 32-byte digests tagged with their purpose, and 16-byte idempotency ids.
//
// Kimberlite uses two hash functions (DESIGN.md §6): SHA-256 for everything a third party may
// check (the log's chain hash, attestations, digests) and BLAKE3 for internal hot paths (state
// hashes, page checksums). The purpose is part of the type: a ComplianceHash can only be
// produced by the SHA-256 hasher in crypto/, and a function that stores a chain hash takes a
// ComplianceHash, so a BLAKE3 digest in a compliance path fails to compile.
#pragma once

#include <array>
#include <compare>
#include <cstring>
#include <string>

#include "base/assert.h"
#include "base/bytes.h"
#include "base/ints.h"

namespace kb {

enum class HashPurpose : u8 {
    compliance,  // SHA-256: chain hashes, attestations, anything an auditor re-computes
    internal,    // BLAKE3: state hashes, checksums of our own pages
};

template <HashPurpose Purpose>
class Hash {
public:
    static constexpr usize kSize = 32;
    static constexpr HashPurpose kPurpose = Purpose;

    constexpr Hash() = default;  // all zeros: the chain hash before position 1

    static Hash from_bytes(ByteSpan bytes32) {
        Hash hash;
        KB_ASSERT(bytes32.size() == kSize);
        std::memcpy(hash.bytes_.data(), bytes32.data(), kSize);
        return hash;
    }
    // Parses 64 hex characters; false on anything else.
    static bool from_hex(std::string_view hex, Hash* out) {
        Bytes raw;
        if (hex.size() != 2 * kSize || !kb::from_hex(hex, &raw)) {
            return false;
        }
        *out = from_bytes(raw);
        return true;
    }

    ByteSpan bytes() const { return bytes_; }
    std::array<u8, kSize>& mutable_bytes() { return bytes_; }
    std::string to_hex() const { return kb::to_hex(bytes_); }
    bool is_zero() const {
        for (u8 byte : bytes_) {
            if (byte != 0) return false;
        }
        return true;
    }

    friend bool operator==(const Hash&, const Hash&) = default;
    friend auto operator<=>(const Hash&, const Hash&) = default;

private:
    std::array<u8, kSize> bytes_{};
};

using ComplianceHash = Hash<HashPurpose::compliance>;
using InternalHash = Hash<HashPurpose::internal>;

// A client-chosen 16-byte id that makes a retried append or transaction apply at most once.
class IdempotencyId {
public:
    static constexpr usize kSize = 16;

    constexpr IdempotencyId() = default;  // all zeros means "none given"
    static IdempotencyId from_bytes(ByteSpan bytes16) {
        IdempotencyId id;
        KB_ASSERT(bytes16.size() == kSize);
        std::memcpy(id.bytes_.data(), bytes16.data(), kSize);
        return id;
    }
    ByteSpan bytes() const { return bytes_; }
    bool is_none() const {
        for (u8 byte : bytes_) {
            if (byte != 0) return false;
        }
        return true;
    }
    std::string to_hex() const { return kb::to_hex(bytes_); }

    friend bool operator==(const IdempotencyId&, const IdempotencyId&) = default;
    friend auto operator<=>(const IdempotencyId&, const IdempotencyId&) = default;

private:
    std::array<u8, kSize> bytes_{};
};

}  // namespace kb
