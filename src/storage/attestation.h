// Attestation and co-signature payloads: signed statements about the log (DESIGN.md §3).
//
// An attestation record (RecordKind::attestation, stored in clear) says "the chain hash of
// position P is H, as of time T", signed with Ed25519 by the replica that made it. A
// co-signature record (RecordKind::cosignature, in clear) adds another key's signature over an
// earlier attestation's statement, naming that attestation by its log position. Both sign the
// same message, so an attestation's signature and all its co-signatures can travel together
// in a digest (digest.h):
//
//     message = "kimberlite attestation v1" || 0x00 || P (u64 LE) || H (32 B) || T (u64 LE)
//
// Layouts (docs/FORMATS.md, "Attestations"), every integer little-endian:
//
//     attestation (145 B): version u8 = 1 | position u64 | chain_hash 32 | timestamp u64 |
//                          signer public key 32 | signature 64
//     co-signature (105 B): version u8 = 1 | attestation position u64 | signer public key 32 |
//                           signature 64
//
// Who signs and when belongs to the replica; this file encodes, decodes (untrusted bytes:
// never crashes, returns a Status on anything malformed) and checks signatures. Whether a
// signer is trusted, and whether H really is the chain hash of P, is the verifier's business
// (verifier.h): a valid signature only says the key's holder signed these bytes.
#pragma once

#include <array>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/ed25519.h"
#include "kimberlite/status.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::storage {

inline constexpr u8 kAttestationFormatVersion = 1;
inline constexpr std::string_view kAttestationContext = "kimberlite attestation v1";

inline constexpr usize kAttestationMessageSize = 25 + 1 + 8 + 32 + 8;       // 74
inline constexpr usize kAttestationPayloadSize = 1 + 8 + 32 + 8 + 32 + 64;  // 145
inline constexpr usize kCosignaturePayloadSize = 1 + 8 + 32 + 64;           // 105
static_assert(kAttestationContext.size() == 25);

// What an attestation states: the chain hash of `position` is `chain_hash`, at `timestamp`.
struct AttestedStatement {
    Position position;
    ComplianceHash chain_hash;
    Timestamp timestamp;

    friend bool operator==(const AttestedStatement&, const AttestedStatement&) = default;
};

struct Attestation {
    AttestedStatement statement;
    crypto::Ed25519PublicKey signer;
    crypto::Ed25519Signature signature;

    friend bool operator==(const Attestation&, const Attestation&) = default;
};

struct Cosignature {
    Position attestation_position;  // the log position of the attestation record co-signed
    crypto::Ed25519PublicKey signer;
    crypto::Ed25519Signature signature;  // over the attestation's statement

    friend bool operator==(const Cosignature&, const Cosignature&) = default;
};

using AttestationMessage = std::array<u8, kAttestationMessageSize>;

// The bytes every signature over `statement` covers (layout above).
AttestationMessage attestation_message(const AttestedStatement& statement);

// Signs `statement` with `key` and returns the attestation payload (145 bytes). The position
// must be >= 1 (asserted: the caller attests a record it has).
Bytes make_attestation(const AttestedStatement& statement, const crypto::Ed25519SigningKey& key);
Bytes make_attestation(Position position, const ComplianceHash& chain_hash, Timestamp timestamp,
                       const crypto::Ed25519SigningKey& key);

// Signs the statement of the attestation stored at `attestation_position` and returns the
// co-signature payload (105 bytes).
Bytes make_cosignature(Position attestation_position, const AttestedStatement& attested,
                       const crypto::Ed25519SigningKey& key);

// Field-by-field encoders (no signing): what the make_* functions and the fuzz target's
// round trip use.
Bytes encode_attestation(const Attestation& attestation);
Bytes encode_cosignature(const Cosignature& cosignature);

// Decoders for untrusted payload bytes. corruption (saying what is wrong) when the size is not
// exactly the layout's or a position is zero; unsupported for a version other than 1. They do
// not check signatures.
Result<Attestation> decode_attestation(ByteSpan payload);
Result<Cosignature> decode_cosignature(ByteSpan payload);

// Ok if the attestation's signature is its signer's over its statement; Status::crypto
// ("attestation signature does not verify") otherwise.
Status verify_attestation_signature(const Attestation& attestation);

// Ok if the co-signature is its signer's signature over `attested` (the statement of the
// attestation at cosignature.attestation_position); Status::crypto otherwise.
Status verify_cosignature_signature(const Cosignature& cosignature,
                                    const AttestedStatement& attested);

}  // namespace kb::storage
