// The kernel workload and its sequential model of streams (kernel_workload.h).
#include "sim/kernel_workload.h"

#include <string>

#include "db/engine.h"
#include "db/engine_wire.h"
#include "kernel/op.h"

namespace kb::sim {

namespace {

// A stream id no tenant has (the setup makes a handful).
constexpr StreamId kMissingStream{1'000'000};

Status wrong(std::string what) { return Status::invalid_argument(std::move(what)); }

std::string outcome_text(kernel::Outcome outcome) {
    return std::string(kernel::outcome_name(outcome));
}

}  // namespace

std::string KernelWorkload::name(const Key& key) {
    return "(client " + std::to_string(key.first.value()) + ", request " +
           std::to_string(key.second.value()) + ")";
}

Status KernelWorkload::session_bug(std::string what) {
    if (!tolerate_session_bugs_) return wrong(std::move(what));
    ++counts_.session_bugs;
    return Status::ok();
}

const KernelWorkload::Logged* KernelWorkload::logged_at(const Key& key, Position position) const {
    auto found = logged_.find(key);
    if (found == logged_.end()) return nullptr;
    for (const Logged& logged : found->second) {
        if (logged.position == position) return &logged;
    }
    return nullptr;
}

void KernelWorkload::set_streams(TenantId tenant, std::vector<StreamId> streams) {
    tenant_ = tenant;
    streams_ = std::move(streams);
    next_.assign(streams_.size(), 0);
}

std::vector<u64> KernelWorkload::next_offsets() const { return next_; }

Bytes KernelWorkload::make_request(ClientId client, RequestNumber request, Prng& prng) {
    KB_ASSERT(!streams_.empty());
    if (bank_.ready() && prng.uniform(100) < transaction_percent_) {
        return bank_.request(client, request, bank_.draw(client, prng));
    }
    const Key key{client, request};
    Intent intent;
    kernel::AppendBatchOp append;
    const u64 roll = prng.uniform(100);
    auto& candidates = repeatable_[client];
    if (roll < 5 && !candidates.empty()) {
        // The same append again under the id of an acknowledged one: a repeat.
        const Key original = candidates[prng.uniform(candidates.size())];
        const Intent& first = intents_.at(original);
        intent = first;
        intent.repeat_of = original;
        intent.expected.reset();
    } else {
        if (roll < 7) {
            intent.stream.reset();
        } else {
            intent.stream = static_cast<usize>(prng.uniform(streams_.size()));
        }
        intent.events = prng.range_inclusive(1, 3);
        if (intent.stream && prng.chance(3, 10)) {
            // Often right when made; concurrent appends make it a conflict now and then.
            intent.expected = Offset(next_[*intent.stream] + (prng.chance(1, 5) ? 1 : 0));
        }
        if (prng.chance(4, 10)) {
            std::array<u8, IdempotencyId::kSize> id{};
            prng.fill(id);
            id[0] |= 1;  // never all zeros ("none")
            intent.idempotency = IdempotencyId::from_bytes(id);
        }
    }
    append.stream = intent.stream ? streams_[*intent.stream] : kMissingStream;
    append.expected_offset = intent.expected;
    append.idempotency = intent.idempotency;
    for (u64 i = 0; i < intent.events; ++i) {
        const std::string event = std::to_string(client.value()) + ":" +
                                  std::to_string(request.value()) + ":" + std::to_string(i) +
                                  std::string(prng.uniform(24), static_cast<char>('a' + i));
        append.events.emplace_back(event.begin(), event.end());
    }
    intents_[key] = intent;
    auto encoded = db::encode_request(kernel::Op{tenant_, db::kAdminPrincipal, std::move(append)});
    KB_ASSERT_MSG(encoded.has_value(), "an append the workload made does not encode");
    return std::move(*encoded);
}

bool KernelWorkload::expects_op(ByteSpan request) const {
    auto op = db::decode_request(request);
    if (!op) return false;
    if (std::holds_alternative<kernel::TransactionOp>(op->body)) return true;
    const auto* append = std::get_if<kernel::AppendBatchOp>(&op->body);
    return append != nullptr && append->stream != kMissingStream;
}

Status KernelWorkload::on_committed(Position position, ClientId client, RequestNumber request,
                                    bool refusal) {
    // The bank model sees every position (its snapshots are the newest it knows).
    KB_TRY(bank_.on_committed(position, client, request, refusal));
    if (bank_.owns(client, request)) return Status::ok();
    const Key key{client, request};
    auto found = intents_.find(key);
    if (client.value() == 0 || found == intents_.end()) return Status::ok();  // the setup's ops
    const Intent& intent = found->second;
    if (refusal) {
        // A logged refusal: the request applies nothing, now or later.
        if (auto before = logged_.find(key); before != logged_.end()) {
            return wrong(name(key) + " was logged at position " +
                         std::to_string(before->second.front().position.value()) +
                         " and refused at " + std::to_string(position.value()));
        }
        refused_.insert(key);
        return Status::ok();
    }
    if (refused_.contains(key)) {
        KB_TRY(session_bug(name(key) +
                           (intent.repeat_of  ? " (a repeat of " + name(*intent.repeat_of) + ")"
                            : intent.expected ? " (expecting offset " +
                                                    std::to_string(intent.expected->value()) + ")"
                                              : std::string()) +
                           " was answered without a log position but is committed at position " +
                           std::to_string(position.value())));
    }
    if (auto before = logged_.find(key); before != logged_.end()) {
        KB_TRY(session_bug(name(key) + " was logged at position " +
                           std::to_string(before->second.front().position.value()) +
                           " and again at " + std::to_string(position.value())));
    }
    if (intent.repeat_of) {
        // Only while the original is still pending may a repeat be logged (apply answers with
        // the original's result); the workload repeats acknowledged appends only.
        return wrong(name(key) + " repeats the idempotency id of " + name(*intent.repeat_of) +
                     ", which was acknowledged, yet it was logged at position " +
                     std::to_string(position.value()));
    }
    if (!intent.stream) {
        return wrong(name(key) + " appends to a stream that does not exist, yet it was logged " +
                     "at position " + std::to_string(position.value()));
    }
    u64& next = next_[*intent.stream];
    if (intent.expected && intent.expected->value() != next) {
        return wrong(name(key) + " expected offset " + std::to_string(intent.expected->value()) +
                     " of stream " + std::to_string(streams_[*intent.stream].value()) +
                     " and was logged at position " + std::to_string(position.value()) +
                     ", where the stream's next offset is " + std::to_string(next));
    }
    logged_[key].push_back(Logged{position, next, intent.events, false});
    next += intent.events;
    return Status::ok();
}

Status KernelWorkload::check_reply(ClientId client, RequestNumber number, ByteSpan, Position op,
                                   ByteSpan reply_bytes) {
    if (bank_.owns(client, number)) {
        auto decoded = db::decode_reply(reply_bytes);
        if (!decoded) return wrong("the reply is an error: " + decoded.status().to_string());
        return bank_.check_reply(client, number, op, *decoded);
    }
    const Key key{client, number};
    auto found = intents_.find(key);
    if (found == intents_.end()) return wrong(name(key) + " was never made");
    const Intent& intent = found->second;
    auto decoded = db::decode_reply(reply_bytes);
    if (!decoded) return wrong("the reply is an error: " + decoded.status().to_string());
    const db::SubmitResult& reply = *decoded;

    if (intent.repeat_of) {
        // Answered with the original's result, whether logged or not.
        const auto found_original = logged_.find(*intent.repeat_of);
        if (found_original == logged_.end()) {
            return wrong(name(key) + " repeats " + name(*intent.repeat_of) +
                         ", which the model never saw committed");
        }
        const Logged& original = found_original->second.front();
        if (!reply.applied.repeated || reply.applied.original != original.position ||
            reply.applied.first_offset.value() != original.first_offset ||
            reply.applied.event_count != original.events) {
            return wrong(name(key) + " repeats " + name(*intent.repeat_of) + " (position " +
                         std::to_string(original.position.value()) + ", offset " +
                         std::to_string(original.first_offset) + ") but the reply says " +
                         (reply.applied.repeated ? "repeat of position " : "not a repeat, ") +
                         std::to_string(reply.applied.original.value()) + ", offset " +
                         std::to_string(reply.applied.first_offset.value()));
        }
        if (reply.position != op) refused_.insert(key);  // answered, not applied here
        ++counts_.repeats;
        return Status::ok();
    }
    // A refusal (logged, or an error of the in-process path) says so: the reply's position is
    // not the one the replica answered with.
    if (op.value() == 0 || reply.position != op) {
        if (const Logged* self = logged_at(key, reply.applied.original);
            self != nullptr && reply.applied.repeated) {
            // A retry of a committed request that its client session did not recognise (the
            // engine's sessions do not survive a restart yet: docs/ARCHITECTURE.md "Client
            // sessions"), caught by its idempotency id: the original's result.
            if (reply.applied.first_offset.value() != self->first_offset ||
                reply.applied.event_count != self->events) {
                return wrong(name(key) + " repeated with offset " +
                             std::to_string(reply.applied.first_offset.value()) +
                             " but the model has " + std::to_string(self->first_offset));
            }
            ++counts_.session_repeats;
            return Status::ok();
        }
        // Refused: nothing logged, now or later.
        if (logged_.contains(key)) {
            return session_bug(
                name(key) + " was answered without a log position (" + outcome_text(reply.outcome) +
                (reply.applied.repeated
                     ? ", as a repeat of position " + std::to_string(reply.applied.original.value())
                     : std::string()) +
                ") but it is committed at position " +
                std::to_string(logged_.at(key).front().position.value()));
        }
        refused_.insert(key);
        if (!intent.stream && reply.outcome == kernel::Outcome::no_such_stream) {
            ++counts_.missing;
            return Status::ok();
        }
        if (intent.stream && intent.expected && reply.outcome == kernel::Outcome::offset_mismatch) {
            ++counts_.conflicts;
            return Status::ok();
        }
        return wrong(name(key) + " was refused with '" + outcome_text(reply.outcome) + ": " +
                     reply.detail + "', which it could not get");
    }
    const Logged* logged = logged_at(key, op);
    if (logged == nullptr) {
        return wrong(
            name(key) + " was acknowledged at position " + std::to_string(op.value()) +
            " but the model has it " +
            (logged_.contains(key)
                 ? "at position " + std::to_string(logged_.at(key).front().position.value())
                 : std::string("nowhere")));
    }
    if (reply.outcome != kernel::Outcome::ok || reply.applied.outcome != kernel::Outcome::ok ||
        reply.position != op || reply.applied.first_offset.value() != logged->first_offset ||
        reply.applied.event_count != logged->events) {
        return wrong(name(key) + " at position " + std::to_string(op.value()) + " answered '" +
                     outcome_text(reply.applied.outcome) + "' offset " +
                     std::to_string(reply.applied.first_offset.value()) + " x" +
                     std::to_string(reply.applied.event_count) + " but the model says offset " +
                     std::to_string(logged->first_offset) + " x" + std::to_string(logged->events));
    }
    if (!intent.idempotency.is_none()) repeatable_[client].push_back(key);
    ++counts_.appended;
    return Status::ok();
}

}  // namespace kb::sim
