// Replica: attestations and co-signatures (DESIGN.md §3 "Checkpoints").
//
// The primary logs an attestation — its node key's signature over (position, chain hash,
// timestamp) of the log's last record — every attestation_every_ops committed ops and on
// attest(). It travels the normal path (pipeline, quorum, commit) as a record in clear. Each
// backup, once it has committed an attestation and caught up, co-signs the newest one: it checks
// the primary's signature, signs the same statement with its own key and sends the co-signature
// to the primary, which checks it and logs it as a record of its own. Backups say it again on
// every tick until they see it logged (messages get lost, primaries change), and the primary
// logs each (attestation, signer) once. Whether a signer is trusted is for the verifier and
// `kmb verify --trusted-keys`; the replica only refuses signatures that do not verify.
#include "base/assert.h"
#include "crypto/random.h"
#include "storage/record_builder.h"
#include "vsr/record_links.h"
#include "vsr/replica.h"

namespace kb::vsr {

namespace {

std::array<u8, 32> key_of(const crypto::Ed25519PublicKey& key) { return key.bytes; }

}  // namespace

void Replica::attest(io::UniqueFunction<void(Result<Position>)> done) {
    if (options_.signing_key == nullptr) {
        done(Status::unsupported("this replica has no node key to attest with"));
        return;
    }
    if (!is_primary() || !failure_.is_ok()) {
        done(Status::busy("replica " + std::to_string(index()) + " is not the primary"));
        return;
    }
    attest_waiting_.push_back(std::move(done));
    queue_attestation();
}

void Replica::queue_attestation() {
    if (attestation_queued_ || !is_primary() || options_.signing_key == nullptr) return;
    attestation_queued_ = true;
    QueuedRequest request;
    request.header = header_for(Command::request);
    request.maker = RecordMaker::attestation;
    // Ahead of waiting client requests: an attestation is small and others wait on it.
    queue_.push_front(std::move(request));
    prepare_next();
}

Result<Bytes> Replica::build_own_record(const QueuedRequest& request, Position position,
                                        Timestamp timestamp) {
    storage::RecordInput input;
    input.seal = storage::SealKind::clear;
    input.position = position;
    input.view = view_;
    input.timestamp = timestamp;
    Bytes payload;
    if (request.maker == RecordMaker::registration) {
        // A client's register: in clear with nothing to seal (who registered is in the
        // header), so it needs no key and changes no state-machine state.
        input.kind = storage::RecordKind::registration;
        input.client_id = request.header.client;
        input.request_number = RequestNumber(0);
    } else if (request.maker == RecordMaker::attestation) {
        KB_ASSERT(options_.signing_key != nullptr);
        input.kind = storage::RecordKind::attestation;
        payload = storage::make_attestation(position.prev(), log_.last_chain_hash(), timestamp,
                                            *options_.signing_key);
    } else {
        KB_ASSERT(request.maker == RecordMaker::cosignature);
        input.kind = storage::RecordKind::cosignature;
        payload = request.body;
    }
    input.payload = payload;
    // Records in clear draw no nonce; the source is only what build_record asks for.
    crypto::SeededRandom unused(position.value());
    auto built = storage::build_record(input, log_.last_chain_hash(), nullptr, unused);
    if (!built) return built.error();
    return std::move(built->bytes);
}

void Replica::on_committed_attestation_record(const storage::RecordHeader& header,
                                              ByteSpan record) {
    auto parsed = storage::parse_record(record);
    if (!parsed) return;  // the log checked it; nothing to add
    if (header.kind == storage::RecordKind::attestation) {
        ops_since_attestation_ = 0;
        auto attestation = storage::decode_attestation(parsed->sealed_payload);
        if (attestation && storage::verify_attestation_signature(*attestation).is_ok()) {
            newest_attestation_ = {header.position, attestation->statement};
            cosigners_.clear();
            cosignatures_queued_.clear();
            cosigners_.insert(key_of(attestation->signer));
        } else {
            ++counters_.messages_rejected;  // logged, but not co-signed by this replica
        }
        attestation_queued_ = false;
        auto waiting = std::move(attest_waiting_);
        attest_waiting_.clear();
        for (auto& done : waiting) done(header.position);
        return;
    }
    auto cosignature = storage::decode_cosignature(parsed->sealed_payload);
    if (!cosignature) return;
    if (newest_attestation_ && cosignature->attestation_position == newest_attestation_->first) {
        cosigners_.insert(key_of(cosignature->signer));
    }
    if (options_.signing_key != nullptr &&
        key_of(cosignature->signer) == key_of(options_.signing_key->public_key())) {
        cosigned_by_me_ = std::max(cosigned_by_me_, cosignature->attestation_position);
    }
}

// A caught-up backup co-signs the newest committed attestation until its co-signature is logged.
void Replica::cosign_newest() {
    if (options_.signing_key == nullptr || !newest_attestation_ || is_primary() ||
        state_machine_.applied() < commit_max_) {
        return;
    }
    const auto& [position, statement] = *newest_attestation_;
    if (cosigned_by_me_ >= position ||
        cosigners_.contains(key_of(options_.signing_key->public_key()))) {
        return;
    }
    const Bytes payload = storage::make_cosignature(position, statement, *options_.signing_key);
    Header header = header_for(Command::cosignature);
    header.op = position;
    header.size = static_cast<u32>(kHeaderSize + payload.size());
    send(primary_of(view_), header, payload);
}

void Replica::on_cosignature(const Header& header, ByteSpan body) {
    if (!is_primary() || header.view != view_ || !newest_attestation_ ||
        header.op != newest_attestation_->first) {
        return;  // only the newest attestation is co-signed; the backup asks again
    }
    auto cosignature = storage::decode_cosignature(body);
    if (!cosignature || cosignature->attestation_position != header.op ||
        !storage::verify_cosignature_signature(*cosignature, newest_attestation_->second).is_ok()) {
        ++counters_.messages_rejected;
        return;
    }
    const auto signer = key_of(cosignature->signer);
    if (cosigners_.contains(signer) || !cosignatures_queued_.insert(signer).second) return;
    QueuedRequest request;
    request.header = header_for(Command::request);
    request.maker = RecordMaker::cosignature;
    request.body = Bytes(body.begin(), body.end());
    queued_bytes_ += request.body.size();
    queue_.push_back(std::move(request));
    prepare_next();
}

}  // namespace kb::vsr
