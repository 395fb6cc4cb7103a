// Hasher<Purpose>: picks the hash function from the purpose, at compile time.
//
// types/hash.h tags every digest with its purpose; this header is the only bridge from a
// purpose to an algorithm: compliance → SHA-256, internal → BLAKE3. Code that is generic over
// the purpose (an accumulator, a Merkle helper) takes a HashPurpose template parameter and
// uses Hasher<P>; the digest it returns is Hash<P>, so it can only be stored where that
// purpose is expected. There is no way to ask for "compliance, but fast".
#pragma once

#include "base/bytes.h"
#include "crypto/blake3.h"
#include "crypto/sha256.h"
#include "types/hash.h"

namespace kb::crypto {

template <HashPurpose Purpose>
class Hasher;

// SHA-256: what auditors recompute.
template <>
class Hasher<HashPurpose::compliance> {
public:
    void update(ByteSpan data) { sha256_.update(data); }
    ComplianceHash finalize() { return sha256_.finalize(); }

private:
    Sha256 sha256_;
};

// BLAKE3: our own hot paths.
template <>
class Hasher<HashPurpose::internal> {
public:
    void update(ByteSpan data) { blake3_.update(data); }
    InternalHash finalize() {
        InternalHash digest;
        blake3_.finalize(digest.mutable_bytes());
        blake3_ = Blake3();
        return digest;
    }

private:
    Blake3 blake3_;
};

template <HashPurpose Purpose>
Hash<Purpose> hash_bytes(ByteSpan data) {
    Hasher<Purpose> hasher;
    hasher.update(data);
    return hasher.finalize();
}

}  // namespace kb::crypto
