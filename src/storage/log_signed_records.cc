// Appending attestations and co-signatures: the log refuses a signed statement that is not
// true of itself, so a log never holds an attestation its own chain contradicts.
//
// An attestation must attest an earlier position, with exactly the chain hash the log has
// there, under a valid signature. A co-signature must point at an earlier attestation record
// and sign that record's statement. Trust comes only from keys given from outside
// (LogOptions::trusted_keys, kmb verify --trusted-keys, a digest): a log given trusted keys
// refuses a signed record by any other key, since the newest attestation must verify under
// them when the log is opened again (log.h, "Trust"); a log without keys stores any signer's.
#include "base/assert.h"
#include "storage/attestation.h"
#include "storage/log.h"

namespace kb::storage {

Result<ComplianceHash> Log::chain_hash_for_check(Position position,
                                                 const std::vector<ComplianceHash>& batch_chain) {
    if (position > last_position_) {
        const u64 index = position.value() - last_position_.value() - 1;
        KB_ASSERT(index < batch_chain.size());
        return batch_chain[index];
    }
    // Record position + 1 names chain_hash(position): in memory if it is not yet written.
    for (const PendingRecord& pending : pending_) {
        if (pending.position == position.next()) {
            auto view = KB_TRY(parse_record(pending.bytes));
            return view.header.previous_chain_hash;
        }
    }
    return chain_hash_at(position);
}

Result<Bytes> Log::record_bytes_for_check(Position position, const std::vector<Bytes>& batch) {
    if (position > last_position_) {
        return batch[position.value() - last_position_.value() - 1];
    }
    for (const PendingRecord& pending : pending_) {
        if (pending.position == position) return pending.bytes;
    }
    if (position > durable_position_) {
        return Status::invalid_argument("position " + to_string(position) +
                                        " is being written and cannot be read yet");
    }
    auto records = KB_TRY(read(position, position, 1));
    KB_ASSERT(records.size() == 1);
    return std::move(records[0]);
}

Status Log::check_signed_record(const RecordView& record, const std::vector<Bytes>& batch,
                                const std::vector<ComplianceHash>& batch_chain, SignedNote* note) {
    note->record_position = record.header.position;
    note->kind = record.header.kind;
    auto check_signer = [&](const crypto::Ed25519PublicKey& signer, const std::string& where) {
        if (options_.trusted_keys.empty() || options_.trusted_keys.contains(signer)) {
            return Status::ok();
        }
        return Status::invalid_argument(where + " is signed by key " + signer.to_hex() +
                                        ", which is not one of the log's trusted keys");
    };
    const Position at = record.header.position;
    const std::string where = "append: " + std::string(record_kind_name(record.header.kind)) +
                              " at position " + to_string(at);
    if (record.header.kind == RecordKind::attestation) {
        Attestation attestation = KB_TRY(decode_attestation(record.sealed_payload));
        const Position attested = attestation.statement.position;
        if (attested >= at) {
            return Status::invalid_argument(where + " attests position " + to_string(attested) +
                                            ", which does not precede it");
        }
        const ComplianceHash actual = KB_TRY(chain_hash_for_check(attested, batch_chain));
        if (actual != attestation.statement.chain_hash) {
            return Status::invalid_argument(where + " attests a chain hash for position " +
                                            to_string(attested) + " that differs from the log's");
        }
        KB_TRY(verify_attestation_signature(attestation).with_context(where));
        note->statement = attestation.statement;
        return check_signer(attestation.signer, where);
    }
    KB_ASSERT(record.header.kind == RecordKind::cosignature);
    Cosignature cosignature = KB_TRY(decode_cosignature(record.sealed_payload));
    if (cosignature.attestation_position >= at) {
        return Status::invalid_argument(where + " co-signs position " +
                                        to_string(cosignature.attestation_position) +
                                        ", which does not precede it");
    }
    Bytes attested_bytes = KB_TRY(record_bytes_for_check(cosignature.attestation_position, batch));
    RecordView attested = KB_TRY(parse_record(attested_bytes));
    if (attested.header.kind != RecordKind::attestation) {
        return Status::invalid_argument(where + ": position " +
                                        to_string(cosignature.attestation_position) +
                                        " holds no attestation");
    }
    Attestation attestation = KB_TRY(decode_attestation(attested.sealed_payload));
    KB_TRY(verify_cosignature_signature(cosignature, attestation.statement).with_context(where));
    note->attestation_position = cosignature.attestation_position;
    return check_signer(cosignature.signer, where);
}

}  // namespace kb::storage
