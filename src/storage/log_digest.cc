// Log::newest_digest (log.h): the newest durable attestation and its co-signatures, as the
// digest a running server exports (`SELECT kimberlite_digest()`, `kmb digest --server`).
//
// The same search open uses for the trust anchor (log_trust.cc): record headers walked back
// from the tail segment a segment at a time, so normally only the tail segment is read. The
// digest carries what the log holds, checked as the verifier checks it (storage/verifier.h):
// every signature must verify over the statement, and the statement must precede its record.
#include <algorithm>

#include "storage/log.h"

namespace kb::storage {

Result<std::optional<Digest>> Log::newest_digest() {
    if (!failure_.is_ok()) return failure_;
    if (durable_position_ == Position::none()) return std::optional<Digest>();
    std::vector<RecordPlace> cosignatures;
    const std::optional<RecordPlace> found =
        KB_TRY(find_newest_attestation(durable_position_, &cosignatures));
    if (!found) return std::optional<Digest>();

    const Position at = found->position;
    auto damaged = [&](const RecordPlace& place, const std::string& what) {
        return Status::corruption(segment_path(segments_[place.segment].number) + " position " +
                                  to_string(place.position) + ": " + what);
    };
    const Bytes record = KB_TRY(read_record_at(*found));
    const RecordView view = KB_TRY(parse_record(record));
    auto attestation = decode_attestation(view.sealed_payload);
    if (!attestation) {
        return damaged(*found, "attestation payload: " + attestation.status().message());
    }
    if (attestation->statement.position >= at) {
        return damaged(*found, "attestation attests position " +
                                   to_string(attestation->statement.position) +
                                   ", which does not precede it");
    }
    if (Status signature = verify_attestation_signature(*attestation); !signature.is_ok()) {
        return damaged(*found, signature.message());
    }

    Digest digest;
    digest.statement = attestation->statement;
    digest.attestation_position = at;
    digest.signatures.push_back(DigestSignature{attestation->signer, attestation->signature});
    std::sort(cosignatures.begin(), cosignatures.end(),
              [](const RecordPlace& a, const RecordPlace& b) { return a.position < b.position; });
    for (const RecordPlace& place : cosignatures) {
        if (place.position <= at) continue;
        const Bytes cosignature_record = KB_TRY(read_record_at(place));
        const RecordView cosignature_view = KB_TRY(parse_record(cosignature_record));
        auto cosignature = decode_cosignature(cosignature_view.sealed_payload);
        if (!cosignature) {
            return damaged(place, "co-signature payload: " + cosignature.status().message());
        }
        if (cosignature->attestation_position != at) continue;
        if (Status signature = verify_cosignature_signature(*cosignature, digest.statement);
            !signature.is_ok()) {
            return damaged(place, "the co-signature of the attestation at position " +
                                      to_string(at) + ": " + signature.message());
        }
        const bool seen = std::any_of(
            digest.signatures.begin(), digest.signatures.end(),
            [&](const DigestSignature& s) { return s.public_key == cosignature->signer; });
        if (!seen) {
            digest.signatures.push_back(
                DigestSignature{cosignature->signer, cosignature->signature});
        }
    }
    return std::optional<Digest>(std::move(digest));
}

}  // namespace kb::storage
