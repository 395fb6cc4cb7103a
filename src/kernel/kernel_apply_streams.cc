// Apply of the stream ops: create stream, delete stream, append batch (see kernel.h).
//
// An append writes one entry into the tenant's events tree (stream id, first offset -> its
// position, event count, bytes and digest; the events stay in the log's record) and adds that
// entry to the state hash; the stream's record (its next offset) and its hash entry are brought
// up to date at publish (kernel_state.h). Events of a deleted stream stay where they are,
// readable as before.

#include "kernel/catalog_entries.h"
#include "kernel/kernel_state.h"
#include "kernel/kernel_trees.h"

namespace kb::kernel {
namespace {

std::string stream_name(StreamId stream) { return "stream " + std::to_string(stream.value()); }

}  // namespace

Result<ApplyResult> apply_create_stream(KernelState& state, TenantCatalog& tenant,
                                        const CreateStreamOp& op, Position at) {
    std::vector<Bytes> before = tenant_schema_entries(tenant);
    ApplyResult result;
    const Outcome outcome = tenant.create_stream(op.name, op.data_class, at, &result.stream);
    if (outcome != Outcome::ok) return refusal(outcome, "stream \"" + op.name + "\"");
    // The tenant's entry holds its next stream id.
    note_schema_change(state, std::move(before), tenant);
    note_stream_change(state, tenant.info().id, result.stream, nullptr);
    return result;
}

Result<ApplyResult> apply_delete_stream(KernelState& state, TenantCatalog& tenant,
                                        const DeleteStreamOp& op, Position at) {
    const StreamInfo* stream = tenant.stream(op.stream);
    const StreamInfo before = stream ? *stream : StreamInfo{};
    const Outcome outcome = tenant.delete_stream(op.stream, at);
    if (outcome != Outcome::ok) return refusal(outcome, stream_name(op.stream));
    note_stream_change(state, tenant.info().id, op.stream, &before);
    // The schema record holds the tenant's last change position.
    state.schemas_unwritten.insert(tenant.info().id);
    ApplyResult result;
    result.stream = op.stream;
    return result;
}

Result<ApplyResult> apply_append(KernelState& state, TenantCatalog& tenant, const AppendBatchOp& op,
                                 Position at) {
    const Outcome outcome = tenant.check_append(op.stream, op.expected_offset);
    if (outcome != Outcome::ok) {
        std::string detail = stream_name(op.stream);
        if (outcome == Outcome::offset_mismatch) {
            // Admission checked the offset before logging, so only a repeat whose idempotency
            // record is gone (or that carried none) gets here.
            detail += ": expected offset " + std::to_string(op.expected_offset->value()) +
                      ", next is " + std::to_string(tenant.stream(op.stream)->next_offset.value());
        }
        return refusal(outcome, detail);
    }
    const TenantId tenant_id = tenant.info().id;
    note_stream_change(state, tenant_id, op.stream, tenant.stream(op.stream));
    const Offset first = tenant.append(op.stream, op.events.size());
    if (!op.events.empty()) {
        trees::StoredAppend append;
        append.position = at;
        append.count = op.events.size();
        for (const Bytes& event : op.events) append.bytes += event.size();
        append.digest = trees::events_digest(op.events);
        const auto key = trees::append_key(op.stream, first);
        const auto value = trees::append_value(append);
        KB_TRY(state.store.put(trees::events(tenant_id), key, value));
        state.hash.add(append_entry(tenant_id, op.stream, first, append));
    }
    ApplyResult result;
    result.stream = op.stream;
    result.first_offset = first;
    result.event_count = op.events.size();
    return result;
}

}  // namespace kb::kernel
