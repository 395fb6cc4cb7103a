// Sealing, chaining, parsing and opening of whole records (see record_builder.h).
#include "storage/record_builder.h"

#include <cstring>

#include "base/assert.h"
#include "types/limits.h"

namespace kb::storage {

Result<BuiltRecord> build_record(const RecordInput& input,
                                 const ComplianceHash& previous_chain_hash, KeySource* keys,
                                 crypto::RandomSource& random) {
    const bool clear = input.seal == SealKind::clear;
    if (is_sealed_kind(input.kind) == clear) {
        return Status::invalid_argument(std::string(record_kind_name(input.kind)) +
                                        " records cannot be sealed as " +
                                        std::string(seal_kind_name(input.seal)));
    }
    const u64 sealed_size = input.payload.size() + (clear ? 0 : crypto::kAeadTagSize);
    if (sealed_size > limits::kOpSizeBytesMax) {
        return Status::invalid_argument("record payload of " + std::to_string(sealed_size) +
                                        " bytes exceeds the maximum op size");
    }
    KB_ASSERT(input.position != Position::none());

    RecordHeader header;
    header.kind = input.kind;
    header.seal = input.seal;
    header.position = input.position;
    header.view = input.view;
    header.tenant = input.tenant;
    header.principal = input.principal;
    header.client_id = input.client_id;
    header.request_number = input.request_number;
    header.timestamp = input.timestamp;
    header.payload_length = static_cast<u32>(sealed_size);
    header.previous_chain_hash = previous_chain_hash;

    BuiltRecord built;
    built.bytes.resize(kRecordHeaderSize + sealed_size);
    MutableByteSpan payload_out(built.bytes.data() + kRecordHeaderSize, sealed_size);
    if (clear) {
        if (!input.payload.empty()) {
            std::memcpy(payload_out.data(), input.payload.data(), input.payload.size());
        }
    } else {
        KB_ASSERT(keys != nullptr);
        auto key = KB_TRY(keys->segment_key(input.seal, input.tenant, input.position));
        std::array<u8, kRecordAadSize> aad{};
        encode_record_aad(header, aad);
        header.nonce = KB_TRY(key->seal_with_nonce_in_aad(aad, kRecordNonceOffset, input.payload,
                                                          payload_out, random));
    }
    describe_payload(&header, payload_out);
    const RecordHeaderBytes header_bytes = encode_record_header(header);
    std::memcpy(built.bytes.data(), header_bytes.data(), kRecordHeaderSize);
    built.header = header;
    built.chain_hash = chain_hash_next(previous_chain_hash, header_bytes);
    return built;
}

Result<RecordView> parse_record(ByteSpan bytes) {
    RecordView view = KB_TRY(parse_record_header(bytes));
    KB_TRY(check_payload(view.header, view.sealed_payload));
    return view;
}

Result<RecordView> parse_record_header(ByteSpan bytes) {
    if (bytes.size() < kRecordHeaderSize) {
        return Status::corruption("record of " + std::to_string(bytes.size()) +
                                  " bytes is shorter than a header");
    }
    RecordView view;
    std::memcpy(view.header_bytes.data(), bytes.data(), kRecordHeaderSize);
    HeaderDecode decoded =
        decode_record_header(std::span<const u8, kRecordHeaderSize>(view.header_bytes));
    if (!decoded.header) {
        if (decoded.problem == HeaderProblem::unknown_version) {
            return Status::unsupported("record format version " + std::to_string(decoded.version) +
                                       " is not supported");
        }
        return Status::corruption(std::string(header_problem_name(decoded.problem)));
    }
    view.header = *decoded.header;
    if (bytes.size() != kRecordHeaderSize + view.header.payload_length) {
        return Status::corruption("position " + to_string(view.header.position) + ": record is " +
                                  std::to_string(bytes.size()) + " bytes, header says " +
                                  std::to_string(kRecordHeaderSize + view.header.payload_length));
    }
    view.sealed_payload = bytes.subspan(kRecordHeaderSize);
    return view;
}

Result<Bytes> open_record_payload(const RecordView& record, KeySource* keys) {
    const RecordHeader& header = record.header;
    if (header.seal == SealKind::clear) {
        return Bytes(record.sealed_payload.begin(), record.sealed_payload.end());
    }
    if (keys == nullptr) {
        return Status::not_found("position " + to_string(header.position) +
                                 ": payload is sealed and no keys were given");
    }
    auto key = KB_TRY(keys->segment_key(header.seal, header.tenant, header.position));
    if (record.sealed_payload.size() < crypto::kAeadTagSize) {
        return Status::corruption("position " + to_string(header.position) +
                                  ": sealed payload shorter than a tag");
    }
    Bytes plaintext(record.sealed_payload.size() - crypto::kAeadTagSize);
    Status opened = key->open(header.nonce, ByteSpan(record.header_bytes.data(), kRecordAadSize),
                              record.sealed_payload, plaintext);
    if (!opened.is_ok()) {
        return opened.with_context("position " + to_string(header.position));
    }
    return plaintext;
}

}  // namespace kb::storage
