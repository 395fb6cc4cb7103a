// Building and opening whole records: the primary's side of sealing (DESIGN.md §3).
//
// The primary seals each payload once under the segment key of (tenant, segment), chains the
// header to the previous record and hands the resulting bytes to the log; backups append those
// same bytes verbatim (Log::append checks them but never re-seals). Opening a payload checks
// its checksum and digest before its AEAD tag, so damage is reported as corruption and a key
// problem as crypto.
#pragma once

#include "base/bytes.h"
#include "crypto/random.h"
#include "storage/key_source.h"
#include "storage/record.h"

namespace kb::storage {

// The fields a caller chooses; the builder fills nonce, lengths, digests and checksums.
struct RecordInput {
    RecordKind kind = RecordKind::op;
    SealKind seal = SealKind::tenant;
    Position position;
    View view;
    TenantId tenant;
    PrincipalId principal;
    ClientId client_id;
    RequestNumber request_number;
    Timestamp timestamp;
    ByteSpan payload;  // plaintext
};

struct BuiltRecord {
    Bytes bytes;  // header then sealed payload: what the log stores and replicas ship
    RecordHeader header;
    ComplianceHash chain_hash;  // chain_hash(header.position)
};

// Seals (unless clear) and chains a record after `previous_chain_hash`. crypto when the key
// refuses (its seal bound) or not_found when `keys` lacks the key; invalid_argument when the
// payload exceeds limits::kOpSizeBytesMax or kind and seal disagree.
Result<BuiltRecord> build_record(const RecordInput& input,
                                 const ComplianceHash& previous_chain_hash, KeySource* keys,
                                 crypto::RandomSource& random);

// A record's parts, decoded from bytes (header then payload) and checked (header checksum,
// payload checksum and digest; not the chain, which needs the previous record).
struct RecordView {
    RecordHeader header;
    RecordHeaderBytes header_bytes;
    ByteSpan sealed_payload;  // points into the bytes given
};
Result<RecordView> parse_record(ByteSpan bytes);
// The same without checking the payload against its checksum and digest: for records this
// process built a moment ago (Log::append with RecordSource::built_here).
Result<RecordView> parse_record_header(ByteSpan bytes);

// The plaintext payload of a checked record. crypto when the tag fails; not_found when the key
// is unavailable. Clear payloads are returned as they are.
Result<Bytes> open_record_payload(const RecordView& record, KeySource* keys);

}  // namespace kb::storage
