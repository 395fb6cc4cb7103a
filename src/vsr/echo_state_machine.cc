// EchoStateMachine (see echo_state_machine.h).
#include "vsr/echo_state_machine.h"

#include "storage/record_builder.h"
#include "vsr/record_links.h"

namespace kb::vsr {

EchoStateMachine::EchoStateMachine(storage::KeySource* keys, TenantId tenant, u64 seed)
    : keys_(keys), tenant_(tenant), random_(seed) {}

Result<Prepared> EchoStateMachine::prepare(const PrepareInput& input) {
    ++prepares;
    const std::string_view text(reinterpret_cast<const char*>(input.body.data()),
                                input.body.size());
    storage::RecordKind kind = storage::RecordKind::op;
    Bytes payload(input.body.begin(), input.body.end());
    if (text.starts_with("refuse")) {
        const std::string refusal = "refused: " + std::string(text);
        if (input.client.value() == 0) {
            return Prepared{std::nullopt, Bytes(refusal.begin(), refusal.end())};
        }
        kind = storage::RecordKind::refusal;
        payload.assign(refusal.begin(), refusal.end());
    }
    auto record = build_echo_record(input, kind, payload, keys_, tenant_, random_);
    if (!record) return record.error();
    return Prepared{std::move(*record), {}};
}

Result<Bytes> build_echo_record(const PrepareInput& input, storage::RecordKind kind,
                                ByteSpan payload, storage::KeySource* keys, TenantId tenant,
                                crypto::RandomSource& random) {
    storage::RecordInput record;
    record.kind = kind;
    record.seal = storage::SealKind::tenant;
    record.position = input.position;
    record.view = input.view;
    record.tenant = tenant;
    record.principal = PrincipalId(1);
    record.client_id = input.client;
    record.request_number = input.request;
    record.timestamp = input.timestamp;
    record.payload = payload;
    auto built = storage::build_record(record, input.previous_chain_hash, keys, random);
    if (!built) return built.error();
    return std::move(built->bytes);
}

Result<Bytes> EchoStateMachine::commit(Position position, ByteSpan record) {
    if (position != applied().next()) {
        return Status::internal("commit out of order: " + std::to_string(position.value()));
    }
    const auto header = record_header_of(record);
    if (!header) return Status::internal("commit of a record without a header");
    chain_ = chain_hash_of(chain_, record);
    chains.push_back(chain_);
    requests.emplace_back(header->client_id, header->request_number);
    if (header->kind == storage::RecordKind::registration) return Bytes();  // no state
    if (header->kind == storage::RecordKind::refusal) {
        // A logged refusal: its payload is the reply; nothing else changes.
        auto parsed = storage::parse_record(record);
        if (!parsed) return parsed.error();
        return storage::open_record_payload(*parsed, keys_);
    }
    const std::string reply = "applied at " + std::to_string(position.value());
    return Bytes(reply.begin(), reply.end());
}

}  // namespace kb::vsr
