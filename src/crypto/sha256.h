// SHA-256 (FIPS 180-4): the compliance hash. Chain hashes, attestations and digests, anything
// a third party recomputes, are SHA-256 and typed ComplianceHash (types/hash.h).
//
// Backed by OpenSSL's EVP interface, which uses the SHA-NI instructions where the CPU has
// them (about 2 GB/s per core here). The one-shot sha256() reuses a per-thread context, so
// hashing a small record costs no allocation.
#pragma once

#include "base/bytes.h"
#include "types/hash.h"

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace kb::crypto {

inline constexpr usize kSha256Size = 32;
inline constexpr usize kSha256BlockSize = 64;

// An incremental hasher. Not thread-safe; movable, not copyable.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&& other) noexcept;
    Sha256& operator=(Sha256&& other) noexcept;
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(ByteSpan data);

    // The digest of everything given since construction or the previous finalize(); the
    // hasher then starts over, ready for the next message.
    ComplianceHash finalize();

private:
    evp_md_ctx_st* ctx_;
};

ComplianceHash sha256(ByteSpan data);

}  // namespace kb::crypto
