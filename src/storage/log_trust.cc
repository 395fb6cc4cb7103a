// The log's trust anchor: finding and verifying the attestation its reads are verified
// against, and keeping it current as attestations become durable and suffixes are truncated
// (log.h, "Trust"; docs/FORMATS.md, "Verified reads").
//
// At open (and after a truncation below the anchor's record) the newest attestation at or
// below the durable mark is found by walking record headers back from the tail segment, a
// segment at a time (~1 ms per 8 MiB of small records here; attestations are
// made every few thousand ops, so normally only the tail segment is walked). It must decode,
// its signature and those of every co-signature of it found so far must verify under trusted
// keys, and the chain hash it attests must be the one the log's records give for its
// position: walked through headers from the index anchor before that position (at most 64
// records), no key needed.
#include <algorithm>

#include "base/assert.h"
#include "storage/log.h"
#include "storage/log_walker.h"

namespace kb::storage {

std::string_view read_trust_name(ReadTrust trust) {
    switch (trust) {
        case ReadTrust::attested:
            return "attested";
        case ReadTrust::durable_chain:
            return "durable_chain";
    }
    return "unknown";
}

Position Log::attested_position() const {
    // Spans are disjoint and ascending: the last one reaches highest.
    return verified_.empty() ? Position::none() : verified_.back().high;
}

Status Log::check_trusted(const crypto::Ed25519PublicKey& signer, const std::string& what) const {
    if (options_.trusted_keys.contains(signer)) return Status::ok();
    return Status::corruption(what + " is signed by key " + signer.to_hex() +
                              ", which is not a trusted key");
}

Result<Bytes> Log::read_record_at(const RecordPlace& place) {
    const Segment& segment = segments_[place.segment];
    RecordWalker walker(storage_, segment.file, segment.capacity_bytes,
                        segment_path(segment.number));
    WalkStep step = KB_TRY(walker.header_at(place.offset));
    if (step.outcome != ScanOutcome::record || step.header.position != place.position) {
        return Status::corruption(walker.path() + " position " + to_string(place.position) + ": " +
                                  (step.problem.empty() ? "record missing" : step.problem));
    }
    Bytes record;
    KB_TRY(walker.read_record(place.offset, step, &record));
    return record;
}

Result<std::optional<Log::RecordPlace>> Log::find_newest_attestation(
    Position limit, std::vector<RecordPlace>* later) {
    for (usize segment = summaries_.size(); segment-- > 0;) {
        const SegmentSummary& summary = summaries_[segment];
        if (summary.empty() || summary.first_position > limit) continue;
        const Position last = std::min(summary.last_position, limit);
        RecordWalker walker(storage_, segments_[segment].file, segments_[segment].capacity_bytes,
                            segment_path(summary.segment_number));
        std::optional<RecordPlace> found;
        u64 offset = segments_[segment].records_offset;
        for (Position position = summary.first_position; position <= last;
             position = position.next()) {
            WalkStep step = KB_TRY(walker.header_at(offset));
            if (step.outcome != ScanOutcome::record || step.header.position != position) {
                return Status::corruption(walker.path() + " position " + to_string(position) +
                                          ": " +
                                          (step.problem.empty() ? "record missing" : step.problem) +
                                          " (looking for the newest attestation)");
            }
            if (step.header.kind == RecordKind::attestation) {
                found = RecordPlace{position, segment, offset};
            } else if (step.header.kind == RecordKind::cosignature) {
                later->push_back(RecordPlace{position, segment, offset});
            }
            offset = step.next_offset;
        }
        if (found) return found;
    }
    return std::optional<RecordPlace>();
}

Status Log::verify_trust_anchor(Position limit, std::optional<FaultyRecord>* faulty) {
    std::vector<RecordPlace> cosignatures;
    const std::optional<RecordPlace> found = KB_TRY(find_newest_attestation(limit, &cosignatures));
    if (!found) return Status::ok();  // no attestation yet: reads stay on the durable chain

    const Position at = found->position;
    auto refuse = [&](const RecordPlace& place, const std::string& what) {
        const std::string path = segment_path(segments_[place.segment].number);
        *faulty = FaultyRecord{place.position, path, place.offset, what};
        return Status::corruption(path + " position " + to_string(place.position) + ": " + what);
    };
    // A signed record's payload; a damaged record is refused like a false one.
    auto read_payload = [&](const RecordPlace& place, Bytes* bytes) -> Result<ByteSpan> {
        auto record = read_record_at(place);
        if (!record) {
            if (record.status().code() != StatusCode::corruption) return record.status();
            return refuse(place, record.status().message());
        }
        *bytes = std::move(*record);
        RecordView view = KB_TRY(parse_record(*bytes));
        return view.sealed_payload;
    };

    Bytes bytes;
    const ByteSpan payload = KB_TRY(read_payload(*found, &bytes));
    auto attestation = decode_attestation(payload);
    if (!attestation) {
        return refuse(*found, "attestation payload: " + attestation.status().message());
    }
    const AttestedStatement& statement = attestation->statement;
    if (statement.position >= at) {
        return refuse(*found, "attestation attests position " + to_string(statement.position) +
                                  ", which does not precede it");
    }
    if (Status signature = verify_attestation_signature(*attestation); !signature.is_ok()) {
        return refuse(*found, signature.message() + " (a forged or altered attestation)");
    }
    if (Status trusted = check_trusted(attestation->signer, "the attestation"); !trusted.is_ok()) {
        return refuse(*found, trusted.message());
    }
    TrustAnchor anchor{at, statement, 1};
    for (const RecordPlace& place : cosignatures) {
        if (place.position <= at) continue;
        Bytes cosignature_bytes;
        const ByteSpan cosignature_payload = KB_TRY(read_payload(place, &cosignature_bytes));
        auto cosignature = decode_cosignature(cosignature_payload);
        if (!cosignature) {
            return refuse(place, "co-signature payload: " + cosignature.status().message());
        }
        if (cosignature->attestation_position != at) continue;
        const std::string what = "the co-signature of the attestation at position " + to_string(at);
        if (Status signature = verify_cosignature_signature(*cosignature, statement);
            !signature.is_ok()) {
            return refuse(place, what + ": " + signature.message());
        }
        if (Status trusted = check_trusted(cosignature->signer, what); !trusted.is_ok()) {
            return refuse(place, trusted.message());
        }
        ++anchor.signatures;
    }

    // The attested chain hash must be what the log's records give for that position.
    verified_.assign(
        1, VerifiedSpan{statement.position, statement.position, statement.chain_hash, at});
    Status walked = walk(statement.position, statement.position, 0, nullptr);
    if (!walked.is_ok()) {
        if (walked.code() != StatusCode::corruption) return walked;
        return refuse(*found, "the attestation (signed by trusted key " +
                                  attestation->signer.to_hex() + ") vouches for chain hash " +
                                  statement.chain_hash.to_hex() + " at position " +
                                  to_string(statement.position) +
                                  ", and the log's records disagree: " + walked.message());
    }
    if (options_.verification == OpenVerification::full) {
        // Recovery computed every chain hash the summaries hold from position 1 on, and they
        // end at the attested one: all of them are the attested history.
        verified_.front().low = Position::none();
    }
    trust_anchor_ = anchor;
    return Status::ok();
}

Status Log::establish_trust_anchor(Position limit) {
    trust_anchor_.reset();
    verified_.clear();
    run_ = VerifiedRun{};
    if (options_.trusted_keys.empty() || limit == Position::none()) return Status::ok();
    std::optional<FaultyRecord> faulty;
    Status status = verify_trust_anchor(limit, &faulty);
    if (status.is_ok()) return status;
    trust_anchor_.reset();
    verified_.clear();
    run_ = VerifiedRun{};
    if (status.code() != StatusCode::corruption) return status;
    if (!options_.tolerate_faulty) {
        return Status::corruption(status.message() +
                                  "; refusing to serve a log whose newest attestation does not "
                                  "verify under the trusted keys (run kmb verify for the full "
                                  "report)");
    }
    faulty_.push_back(faulty.value_or(FaultyRecord{Position::none(), "", 0, status.message()}));
    return Status::ok();
}

void Log::promote_signed_records() {
    while (!signed_pending_.empty() &&
           signed_pending_.front().record_position <= durable_position_) {
        const SignedNote note = signed_pending_.front();
        signed_pending_.pop_front();
        if (note.kind == RecordKind::cosignature) {
            if (trust_anchor_ && note.attestation_position == trust_anchor_->attestation_position) {
                ++trust_anchor_->signatures;
            }
            continue;
        }
        trust_anchor_ = TrustAnchor{note.record_position, note.statement, 1};
        // Its statement is a verified point (append checked it against the log's chain). A
        // position already inside a span needs nothing more.
        const Position attested = note.statement.position;
        if (span_holding(attested) != nullptr) continue;
        const VerifiedSpan point{attested, attested, note.statement.chain_hash,
                                 note.record_position};
        verified_.insert(std::upper_bound(verified_.begin(), verified_.end(), point,
                                          [](const VerifiedSpan& a, const VerifiedSpan& b) {
                                              return a.low < b.low;
                                          }),
                         point);
    }
}

Status Log::trust_after_truncation(Position position) {
    while (!signed_pending_.empty() && signed_pending_.back().record_position > position) {
        signed_pending_.pop_back();
    }
    // Every span ends at or below an attested position, below its attestation's record, so
    // while the anchor's record stays, everything verified stays too.
    if (!trust_anchor_ || trust_anchor_->attestation_position <= position) return Status::ok();
    return establish_trust_anchor(position);
}

}  // namespace kb::storage
