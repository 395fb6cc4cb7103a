// The simulator's echo state machine and the recorder the checkers read (sim_state_machine.h).
#include "sim/sim_state_machine.h"

#include <string>
#include <string_view>

#include "storage/record_builder.h"
#include "storage/test_keys.h"
#include "vsr/echo_state_machine.h"
#include "vsr/record_links.h"

namespace kb::sim {

namespace {

constexpr std::string_view kRefusePrefix = "refuse";

std::string hex64(u64 value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i) {
        out[static_cast<usize>(i)] = kDigits[value & 0xf];
        value >>= 4;
    }
    return out;
}

Bytes bytes_of(const std::string& text) { return Bytes(text.begin(), text.end()); }

}  // namespace

u64 digest64(ByteSpan bytes, u64 seed) {
    u64 hash = 0xcbf29ce484222325ull ^ seed;
    for (u8 byte : bytes) {
        hash ^= byte;
        hash *= 0x100000001b3ull;
    }
    return fold64(hash, bytes.size());
}

u64 fold64(u64 hash, u64 value) {
    // splitmix64's finalizer over the combination: every input bit reaches every output bit.
    u64 z = hash ^ (value + 0x9e3779b97f4a7c15ull + (hash << 6) + (hash >> 2));
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

EchoLogStateMachine::EchoLogStateMachine(storage::KeySource* keys, u64 seed)
    : keys_(keys), random_(seed) {}

bool EchoLogStateMachine::refused(ByteSpan request) {
    return request.size() >= kRefusePrefix.size() &&
           std::string_view(reinterpret_cast<const char*>(request.data()), kRefusePrefix.size()) ==
               kRefusePrefix;
}

Bytes EchoLogStateMachine::reply_for(Position position, ByteSpan payload) {
    return bytes_of("ok " + std::to_string(position.value()) + " " + hex64(digest64(payload)));
}

Bytes EchoLogStateMachine::refusal_for(ByteSpan request) {
    return bytes_of("refused " + hex64(digest64(request)));
}

Result<vsr::Prepared> EchoLogStateMachine::prepare(const vsr::PrepareInput& input) {
    // A refusal is logged (its reply as the payload) so every replica's client table knows it.
    const bool refuse = refused(input.body);
    const Bytes refusal = refuse ? refusal_for(input.body) : Bytes();
    auto record = vsr::build_echo_record(
        input, refuse ? storage::RecordKind::refusal : storage::RecordKind::op,
        refuse ? ByteSpan(refusal) : input.body, keys_, storage::testing::kTestTenant, random_);
    if (!record) return record.error();
    return vsr::Prepared{std::move(*record), {}};
}

Result<Bytes> EchoLogStateMachine::commit(Position position, ByteSpan record) {
    if (position != applied_.next()) {
        return Status::internal("sim state machine: commit of position " +
                                std::to_string(position.value()) + " after " +
                                std::to_string(applied_.value()));
    }
    auto view = storage::parse_record_header(record);
    if (!view) return view.error();
    if (view->header.position != position) {
        return Status::internal("sim state machine: record at position " +
                                std::to_string(position.value()) + " says position " +
                                std::to_string(view->header.position.value()));
    }
    auto payload = storage::open_record_payload(*view, keys_);
    if (!payload) return payload.error();
    state_hash_ = fold64(state_hash_, position.value());
    state_hash_ = fold64(state_hash_, view->header.client_id.value());
    state_hash_ = fold64(state_hash_, view->header.request_number.value());
    state_hash_ = fold64(state_hash_, digest64(*payload));
    applied_ = position;
    // A register opens a session in the replica's table; here it is history like any record.
    if (view->header.kind == storage::RecordKind::registration) return Bytes();
    if (view->header.kind == storage::RecordKind::refusal) return std::move(*payload);
    return reply_for(position, *payload);
}

Result<AppliedOp> applied_op_of(Position position, ByteSpan record, u64 state_hash) {
    const auto header = vsr::record_header_of(record);
    if (!header) return Status::internal("sim: committed record without a valid header");
    return AppliedOp{.position = position,
                     .client = header->client_id,
                     .request = header->request_number,
                     .chain = vsr::chain_hash_of(header->previous_chain_hash, record),
                     .state_hash = state_hash,
                     .refusal = header->kind == storage::RecordKind::refusal,
                     .registration = header->kind == storage::RecordKind::registration};
}

RecordingStateMachine::RecordingStateMachine(std::unique_ptr<SimStateMachine> inner)
    : inner_(std::move(inner)), first_(inner_->applied().next()) {}

Result<vsr::Prepared> RecordingStateMachine::prepare(const vsr::PrepareInput& input) {
    return inner_->prepare(input);
}

Result<Bytes> RecordingStateMachine::commit(Position position, ByteSpan record) {
    auto reply = inner_->commit(position, record);
    if (!reply) return reply;
    auto op = applied_op_of(position, record, inner_->state_hash());
    if (!op) return op.error();
    ops_.push_back(*op);
    return reply;
}

void RecordingStateMachine::discard_after(Position position) { inner_->discard_after(position); }

}  // namespace kb::sim
