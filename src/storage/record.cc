// Record header codec: field-by-field little-endian, layout in docs/FORMATS.md.
#include "storage/record.h"

#include <algorithm>
#include <cstring>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/crc32c.h"
#include "crypto/sha256.h"

namespace kb::storage {

std::string_view record_kind_name(RecordKind kind) {
    switch (kind) {
        case RecordKind::op:
            return "op";
        case RecordKind::attestation:
            return "attestation";
        case RecordKind::cosignature:
            return "cosignature";
        case RecordKind::genesis:
            return "genesis";
        case RecordKind::refusal:
            return "refusal";
        case RecordKind::registration:
            return "registration";
    }
    return "unknown";
}

std::string_view seal_kind_name(SealKind seal) {
    switch (seal) {
        case SealKind::clear:
            return "clear";
        case SealKind::tenant:
            return "tenant";
        case SealKind::system:
            return "system";
    }
    return "unknown";
}

std::string_view header_problem_name(HeaderProblem problem) {
    switch (problem) {
        case HeaderProblem::zero:
            return "no record (zero bytes)";
        case HeaderProblem::bad_magic:
            return "bad record magic";
        case HeaderProblem::bad_checksum:
            return "header checksum mismatch";
        case HeaderProblem::unknown_version:
            return "unknown record format version";
        case HeaderProblem::malformed:
            return "malformed header";
    }
    return "unknown";
}

namespace {

void encode_aad_fields(const RecordHeader& header, LeWriter& writer) {
    writer.put(kRecordMagic);
    writer.put(kRecordFormatVersion);
    writer.put(static_cast<u8>(header.kind));
    writer.put(static_cast<u8>(header.seal));
    writer.put(header.position.value());
    writer.put(header.view.value());
    writer.put(header.tenant.value());
    writer.put(header.principal.value());
    writer.put(header.client_id.value());
    writer.put(header.request_number.value());
    writer.put(header.timestamp.value());
    writer.put(header.payload_length);
    writer.put_bytes(header.nonce);
    writer.put_bytes(header.previous_chain_hash.bytes());
}

bool valid_kind(u8 kind) { return kind >= 1 && kind <= 6; }
bool valid_seal(u8 seal) { return seal <= 2; }

}  // namespace

void encode_record_aad(const RecordHeader& header, std::span<u8, kRecordAadSize> out) {
    LeWriter writer(out);
    encode_aad_fields(header, writer);
    KB_ASSERT(writer.remaining() == 0);
}

RecordHeaderBytes encode_record_header(const RecordHeader& header) {
    RecordHeaderBytes bytes{};
    LeWriter writer(bytes);
    encode_aad_fields(header, writer);
    KB_ASSERT(writer.position() == kRecordAadSize);
    writer.put_bytes(header.payload_digest.bytes());
    KB_ASSERT(writer.position() == kRecordChainedSize);
    writer.put(crypto::crc32c(ByteSpan(bytes.data(), kRecordChainedSize)));
    writer.put(header.payload_checksum);
    KB_ASSERT(writer.remaining() == 0);
    return bytes;
}

HeaderDecode decode_record_header(std::span<const u8, kRecordHeaderSize> bytes) {
    HeaderDecode result;
    if (std::all_of(bytes.begin(), bytes.end(), [](u8 byte) { return byte == 0; })) {
        result.problem = HeaderProblem::zero;
        return result;
    }
    LeReader reader(bytes);
    if (reader.get<u32>() != kRecordMagic) {
        result.problem = HeaderProblem::bad_magic;
        return result;
    }
    const u32 checksum_stored = load_le_u32(bytes.data() + kRecordHeaderChecksumOffset);
    if (crypto::crc32c(bytes.first(kRecordChainedSize)) != checksum_stored) {
        result.problem = HeaderProblem::bad_checksum;
        return result;
    }
    result.version = reader.get<u16>();
    if (result.version != kRecordFormatVersion) {
        result.problem = HeaderProblem::unknown_version;
        return result;
    }
    const u8 kind = reader.get<u8>();
    const u8 seal = reader.get<u8>();
    RecordHeader header;
    header.position = Position(reader.get<u64>());
    header.view = View(reader.get<u64>());
    header.tenant = TenantId(reader.get<u64>());
    header.principal = PrincipalId(reader.get<u64>());
    header.client_id = ClientId(reader.get<u64>());
    header.request_number = RequestNumber(reader.get<u64>());
    header.timestamp = Timestamp(reader.get<u64>());
    header.payload_length = reader.get<u32>();
    auto nonce = reader.get_bytes(crypto::kAeadNonceSize);
    std::memcpy(header.nonce.data(), nonce.data(), nonce.size());
    header.previous_chain_hash = ComplianceHash::from_bytes(reader.get_bytes(32));
    header.payload_digest = ComplianceHash::from_bytes(reader.get_bytes(32));
    (void)reader.get<u32>();  // header checksum, checked above
    header.payload_checksum = reader.get<u32>();
    KB_ASSERT(reader.ok() && reader.remaining() == 0);

    const bool clear_matches_kind = is_sealed_kind(static_cast<RecordKind>(kind)) !=
                                    (static_cast<SealKind>(seal) == SealKind::clear);
    if (!valid_kind(kind) || !valid_seal(seal) || header.position == Position::none() ||
        !clear_matches_kind) {
        result.problem = HeaderProblem::malformed;
        return result;
    }
    header.kind = static_cast<RecordKind>(kind);
    header.seal = static_cast<SealKind>(seal);
    result.header = header;
    return result;
}

ComplianceHash chain_hash_next(const ComplianceHash& previous, const RecordHeaderBytes& header) {
    // One contiguous 176-byte message through the one-shot hasher (a per-thread context):
    // recovery and verify call this once per record, so no context is created per call.
    std::array<u8, ComplianceHash::kSize + kRecordChainedSize> message;
    std::memcpy(message.data(), previous.bytes().data(), ComplianceHash::kSize);
    std::memcpy(message.data() + ComplianceHash::kSize, header.data(), kRecordChainedSize);
    return crypto::sha256(message);
}

void describe_payload(RecordHeader* header, ByteSpan sealed_payload) {
    KB_ASSERT(sealed_payload.size() <= UINT32_MAX);
    header->payload_length = static_cast<u32>(sealed_payload.size());
    header->payload_digest = crypto::sha256(sealed_payload);
    header->payload_checksum = crypto::crc32c(sealed_payload);
}

Status check_payload(const RecordHeader& header, ByteSpan sealed_payload) {
    if (sealed_payload.size() != header.payload_length) {
        return Status::corruption("position " + to_string(header.position) + ": payload is " +
                                  std::to_string(sealed_payload.size()) + " bytes, header says " +
                                  std::to_string(header.payload_length));
    }
    if (crypto::crc32c(sealed_payload) != header.payload_checksum) {
        return Status::corruption("position " + to_string(header.position) +
                                  ": payload checksum mismatch");
    }
    if (crypto::sha256(sealed_payload) != header.payload_digest) {
        return Status::corruption("position " + to_string(header.position) +
                                  ": payload digest mismatch");
    }
    return Status::ok();
}

}  // namespace kb::storage
