// Digest: an attestation exported for a third party to keep (DESIGN.md §3).
//
// A digest is the statement of one attestation (position, chain hash, timestamp), where that
// attestation sits in the log, and every signature over it: the attester's and the
// co-signers'. Whoever keeps it can later run `kmb verify --digest FILE` on a copy of the log
// and learn whether that log extends the history they were shown: the log must hold the
// digest's position with exactly its chain hash, and the signatures must verify (their keys
// are trusted because the user supplied the file).
//
// The file is JSON (docs/FORMATS.md, "Digest"):
//     {"format": "kimberlite-digest", "version": 1, "position": N, "chain_hash": "<64 hex>",
//      "timestamp": <ns since the Unix epoch>, "timestamp_utc": "<RFC 3339>",
//      "attestation_position": M,
//      "signatures": [{"public_key": "<64 hex>", "signature": "<128 hex>"}, ...]}
//
// Parsing works on text the caller has read; nlohmann-json runs in its non-throwing mode
// here, so nothing in this file throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/ed25519.h"
#include "kimberlite/status.h"
#include "storage/attestation.h"
#include "types/ids.h"

namespace kb::storage {

inline constexpr std::string_view kDigestFormatName = "kimberlite-digest";
inline constexpr u64 kDigestFormatVersion = 1;

struct DigestSignature {
    crypto::Ed25519PublicKey public_key;
    crypto::Ed25519Signature signature;

    friend bool operator==(const DigestSignature&, const DigestSignature&) = default;
};

struct Digest {
    AttestedStatement statement;
    Position attestation_position;  // the attestation record's own position (> statement's)
    std::vector<DigestSignature> signatures;  // at least one; the attester's first

    friend bool operator==(const Digest&, const Digest&) = default;
};

// Pretty-printed JSON (2-space indent) ending with a newline.
std::string encode_digest_json(const Digest& digest);

// Parses and checks the shape of a digest: format and version, positions >= 1 with the
// attestation after the attested position, 64/128-digit hex, at least one signature. Unknown
// members are ignored (a later version may add some). invalid_argument naming `source` and
// the member at fault; unsupported for another format version. Signatures are not checked.
Result<Digest> parse_digest_json(std::string_view text, std::string_view source);

// Ok if every signature verifies over the digest's statement; Status::crypto naming the first
// key whose signature does not.
Status verify_digest_signatures(const Digest& digest);

}  // namespace kb::storage
