// One log record = one op: a fixed 152-byte header followed by the sealed payload.
//
// The header is the unit of tamper evidence. Every byte of it up to the checksums enters the
// chain hash, and it carries a SHA-256 digest of the sealed payload, so the chain binds every
// payload byte and verifies without any key (docs/FORMATS.md, "Log record"):
//
//     chain_hash(n) = SHA-256(chain_hash(n-1) || header(n)[0, 144))      chain_hash(0) = 0^32
//
// Two CRC32C checksums, one over the header and one over the payload, catch torn and flipped
// bytes cheaply, and are separate so a payload can later be redacted (crypto-shredding) while
// its header still verifies. The payload is sealed with AES-256-GCM; its associated data is
// the header without digest and checksums (bytes [0, 112)), nonce included. The chain's
// input is 176 bytes: three SHA-256 blocks per record, the fewest a 32-byte link allows here.
//
// This file only encodes, decodes and checks bytes; sealing lives in record_sealer.h.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/aead.h"
#include "kimberlite/status.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::storage {

inline constexpr u32 kRecordMagic = 0x524c424b;  // "KBLR" in file byte order
inline constexpr u16 kRecordFormatVersion = 1;

inline constexpr usize kRecordHeaderSize = 152;
// Byte ranges of the header.
inline constexpr usize kRecordAadSize = 112;      // [0,112): associated data for sealing
inline constexpr usize kRecordNonceOffset = 68;   // 12 bytes, inside the AAD
inline constexpr usize kRecordChainedSize = 144;  // [0,144): what the chain hash covers
inline constexpr usize kRecordHeaderChecksumOffset = 144;
inline constexpr usize kRecordPayloadChecksumOffset = 148;

// What a record is. Numbers are stable on disk; never renumber.
enum class RecordKind : u8 {
    op = 1,           // a client or system request; the kernel interprets the payload
    attestation = 2,  // a signed (position, chain hash, timestamp) statement, stored in clear
    cosignature = 3,  // another key's signature over an earlier attestation, in clear
    genesis = 4,      // in clear: what a replica needs before it can open anything sealed (the
                      // cluster's identity, the wrapped system root key); the database puts
                      // it at position 1
    refusal = 5,      // a request the primary refused, sealed like an op: its payload is the
                      // reply, so every replica's client table learns the refusal (a late copy
                      // of the request is answered from it, never applied); no derived state
    // In clear, empty payload: a network client's register (request number 0). Its commit opens
    // the client's session, numbered by this record's position (docs/ARCHITECTURE.md "Client
    // sessions"); no derived state.
    registration = 6,
};
// Kinds sealed like ops (never clear).
inline bool is_sealed_kind(RecordKind kind) {
    return kind == RecordKind::op || kind == RecordKind::refusal;
}
// How the payload is sealed.
enum class SealKind : u8 {
    clear = 0,   // not encrypted (attestations and co-signatures only)
    tenant = 1,  // the tenant's segment key for (tenant, position / kSegmentPositions)
    system = 2,  // the system segment key (users, grants, keys, configuration)
};

std::string_view record_kind_name(RecordKind kind);
std::string_view seal_kind_name(SealKind seal);

struct RecordHeader {
    RecordKind kind = RecordKind::op;
    SealKind seal = SealKind::tenant;
    Position position;
    View view;
    TenantId tenant;
    PrincipalId principal;
    ClientId client_id;
    RequestNumber request_number;
    Timestamp timestamp;
    u32 payload_length = 0;  // bytes of sealed payload that follow the header
    crypto::AeadNonce nonce{};
    ComplianceHash previous_chain_hash;  // chain_hash(position - 1)
    ComplianceHash payload_digest;       // SHA-256 of the sealed payload bytes
    u32 payload_checksum = 0;            // CRC32C of the sealed payload bytes

    friend bool operator==(const RecordHeader&, const RecordHeader&) = default;
};

using RecordHeaderBytes = std::array<u8, kRecordHeaderSize>;

// Encodes every field and computes the header checksum.
RecordHeaderBytes encode_record_header(const RecordHeader& header);

// Writes header bytes [0, 112): the associated data the payload is sealed with.
void encode_record_aad(const RecordHeader& header, std::span<u8, kRecordAadSize> out);

// Why a header failed to decode. `zero` distinguishes never-written (preallocated) space from
// damage, which recovery needs to tell the end of the log from a torn or flipped record.
enum class HeaderProblem : u8 {
    zero,             // all 152 bytes are zero: no record was ever written here
    bad_magic,        // not a record header
    bad_checksum,     // header CRC32C mismatch: torn or flipped
    unknown_version,  // a format version this build does not know
    malformed,        // checksum fine but a field is impossible (zero position, bad kind)
};
std::string_view header_problem_name(HeaderProblem problem);

struct HeaderDecode {
    std::optional<RecordHeader> header;
    HeaderProblem problem = HeaderProblem::zero;  // meaningful only without a header
    u16 version = 0;                              // as read, for unknown_version messages
};

// Decodes and checks (magic, version, checksum, field sanity) a header from exactly 152 bytes.
HeaderDecode decode_record_header(std::span<const u8, kRecordHeaderSize> bytes);

// chain_hash(n) from chain_hash(n-1) and the encoded header of record n.
ComplianceHash chain_hash_next(const ComplianceHash& previous, const RecordHeaderBytes& header);

// Checks sealed payload bytes against the header's checksum and digest. corruption with a
// message naming the position and which check failed.
Status check_payload(const RecordHeader& header, ByteSpan sealed_payload);

// Fills payload_length, payload_digest and payload_checksum from the sealed payload.
void describe_payload(RecordHeader* header, ByteSpan sealed_payload);

}  // namespace kb::storage
