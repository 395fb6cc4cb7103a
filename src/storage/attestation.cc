// Attestation and co-signature codecs and signature checks (see attestation.h).
#include "storage/attestation.h"

#include <cstring>
#include <string>

#include "base/assert.h"
#include "base/endian.h"

namespace kb::storage {

namespace {

Status check_version(u8 version, std::string_view what) {
    if (version == kAttestationFormatVersion) return Status::ok();
    return Status::unsupported(std::string(what) + " format version " + std::to_string(version) +
                               " is not supported (this build reads version " +
                               std::to_string(kAttestationFormatVersion) + ")");
}

Status check_size(ByteSpan payload, usize expected, std::string_view what) {
    if (payload.size() == expected) return Status::ok();
    return Status::corruption(std::string(what) + " payload is " + std::to_string(payload.size()) +
                              " bytes, expected " + std::to_string(expected));
}

template <usize N>
void read_into(LeReader& reader, std::array<u8, N>& out) {
    auto bytes = reader.get_bytes(N);
    if (bytes.size() == N) std::memcpy(out.data(), bytes.data(), N);
}

}  // namespace

AttestationMessage attestation_message(const AttestedStatement& statement) {
    AttestationMessage message{};
    LeWriter writer(message);
    writer.put_bytes(as_bytes(kAttestationContext));
    writer.put(u8{0});
    writer.put(statement.position.value());
    writer.put_bytes(statement.chain_hash.bytes());
    writer.put(statement.timestamp.value());
    KB_ASSERT(writer.remaining() == 0);
    return message;
}

Bytes encode_attestation(const Attestation& attestation) {
    Bytes payload(kAttestationPayloadSize);
    LeWriter writer(payload);
    writer.put(kAttestationFormatVersion);
    writer.put(attestation.statement.position.value());
    writer.put_bytes(attestation.statement.chain_hash.bytes());
    writer.put(attestation.statement.timestamp.value());
    writer.put_bytes(attestation.signer.bytes);
    writer.put_bytes(attestation.signature.bytes);
    KB_ASSERT(writer.remaining() == 0);
    return payload;
}

Bytes encode_cosignature(const Cosignature& cosignature) {
    Bytes payload(kCosignaturePayloadSize);
    LeWriter writer(payload);
    writer.put(kAttestationFormatVersion);
    writer.put(cosignature.attestation_position.value());
    writer.put_bytes(cosignature.signer.bytes);
    writer.put_bytes(cosignature.signature.bytes);
    KB_ASSERT(writer.remaining() == 0);
    return payload;
}

Bytes make_attestation(const AttestedStatement& statement, const crypto::Ed25519SigningKey& key) {
    KB_ASSERT(statement.position != Position::none());
    Attestation attestation;
    attestation.statement = statement;
    attestation.signer = key.public_key();
    attestation.signature = key.sign(attestation_message(statement));
    return encode_attestation(attestation);
}

Bytes make_attestation(Position position, const ComplianceHash& chain_hash, Timestamp timestamp,
                       const crypto::Ed25519SigningKey& key) {
    return make_attestation(
        AttestedStatement{.position = position, .chain_hash = chain_hash, .timestamp = timestamp},
        key);
}

Bytes make_cosignature(Position attestation_position, const AttestedStatement& attested,
                       const crypto::Ed25519SigningKey& key) {
    KB_ASSERT(attestation_position != Position::none());
    Cosignature cosignature;
    cosignature.attestation_position = attestation_position;
    cosignature.signer = key.public_key();
    cosignature.signature = key.sign(attestation_message(attested));
    return encode_cosignature(cosignature);
}

Result<Attestation> decode_attestation(ByteSpan payload) {
    // The version comes first so a future, longer layout is reported as a version problem.
    if (payload.empty()) return Status::corruption("attestation payload is empty");
    KB_TRY(check_version(payload[0], "attestation"));
    KB_TRY(check_size(payload, kAttestationPayloadSize, "attestation"));
    LeReader reader(payload);
    (void)reader.get<u8>();
    Attestation attestation;
    attestation.statement.position = Position(reader.get<u64>());
    attestation.statement.chain_hash = ComplianceHash::from_bytes(reader.get_bytes(32));
    attestation.statement.timestamp = Timestamp(reader.get<u64>());
    read_into(reader, attestation.signer.bytes);
    read_into(reader, attestation.signature.bytes);
    KB_ASSERT(reader.ok() && reader.remaining() == 0);
    if (attestation.statement.position == Position::none()) {
        return Status::corruption("attestation names position 0 (the first record is 1)");
    }
    return attestation;
}

Result<Cosignature> decode_cosignature(ByteSpan payload) {
    if (payload.empty()) return Status::corruption("co-signature payload is empty");
    KB_TRY(check_version(payload[0], "co-signature"));
    KB_TRY(check_size(payload, kCosignaturePayloadSize, "co-signature"));
    LeReader reader(payload);
    (void)reader.get<u8>();
    Cosignature cosignature;
    cosignature.attestation_position = Position(reader.get<u64>());
    read_into(reader, cosignature.signer.bytes);
    read_into(reader, cosignature.signature.bytes);
    KB_ASSERT(reader.ok() && reader.remaining() == 0);
    if (cosignature.attestation_position == Position::none()) {
        return Status::corruption("co-signature names position 0 (the first record is 1)");
    }
    return cosignature;
}

Status verify_attestation_signature(const Attestation& attestation) {
    Status verified = crypto::ed25519_verify(
        attestation.signer, attestation_message(attestation.statement), attestation.signature);
    if (verified.is_ok()) return verified;
    return Status::crypto("attestation signature by " + attestation.signer.to_hex() +
                          " does not verify");
}

Status verify_cosignature_signature(const Cosignature& cosignature,
                                    const AttestedStatement& attested) {
    Status verified = crypto::ed25519_verify(cosignature.signer, attestation_message(attested),
                                             cosignature.signature);
    if (verified.is_ok()) return verified;
    return Status::crypto("co-signature by " + cosignature.signer.to_hex() +
                          " does not verify over the attestation at position " +
                          to_string(cosignature.attestation_position));
}

}  // namespace kb::storage
