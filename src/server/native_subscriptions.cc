// Subscriptions of the native protocol (native_session.h): catch-up and live tail of a stream
// under credit-based flow control.
#include <algorithm>

#include "kernel/kernel_reads.h"
#include "server/native_session.h"

namespace kb::server {
namespace {

// Credits a client may hold at once (it grants more as it consumes).
constexpr u64 kMaxCredits = u64{1} << 32;

}  // namespace

std::optional<u64> NativeSession::wake_after_ms() const {
    if (subscriptions_.empty() || phase_ != Phase::ready) return std::nullopt;
    return kSubscriptionPollMs;
}

void NativeSession::wake() {
    if (phase_ != Phase::ready) return;
    // Answers for writes that finished, then the requests held back at the in-flight limit.
    finish_writes();
    handle_frames();
    if (phase_ == Phase::ready) finish_writes();
    push_subscriptions();
}

void NativeSession::subscribe(u64 request_id, const NativeSubscribe& request) {
    if (subscriptions_.contains(request_id)) {
        return send_error(
            request_id, NativeErrorCode::protocol_violation, false,
            "request id " + std::to_string(request_id) + " already names an open subscription");
    }
    if (subscriptions_.size() >= kMaxSubscriptions) {
        return send_error(
            request_id, NativeErrorCode::invalid_argument, true,
            "at most " + std::to_string(kMaxSubscriptions) + " subscriptions per connection");
    }
    const auto start = host_.transactions().start(login_->tenant);
    if (stream_or_not_found(request_id, start, request.stream_id) == nullptr) return;
    subscriptions_[request_id] = Subscription{StreamId(request.stream_id), request.from_offset,
                                              std::min<u64>(request.credits, kMaxCredits)};
    // The first frame says the subscription is open, events or not.
    send(request_id, NativeEvents{{}, request.from_offset}, kNativeFlagMore);
}

void NativeSession::credit(u64 request_id, const NativeCredit& request) {
    const auto found = subscriptions_.find(request.subscription);
    if (found == subscriptions_.end()) {
        return send_error(request_id, NativeErrorCode::not_found, true,
                          "no open subscription " + std::to_string(request.subscription));
    }
    found->second.credits = std::min(found->second.credits + request.credits, kMaxCredits);
}

void NativeSession::unsubscribe(u64 request_id, const NativeUnsubscribe& request) {
    const auto found = subscriptions_.find(request.subscription);
    if (found == subscriptions_.end()) {
        return send_error(request_id, NativeErrorCode::not_found, true,
                          "no open subscription " + std::to_string(request.subscription));
    }
    const u64 next = found->second.next;
    subscriptions_.erase(found);
    send(request.subscription, NativeEvents{{}, next});  // no `more`: the subscription ends
    send(request_id, NativeUnsubscribed{next});
}

void NativeSession::push_subscriptions() {
    if (subscriptions_.empty()) return;
    const auto start = host_.transactions().start(login_->tenant);
    for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
        const u64 id = it->first;
        Subscription& subscription = it->second;
        ++it;  // the subscription may end below
        if (subscription.credits == 0) continue;
        auto current =
            kernel::reads::stream_info(start.snapshot, login_->tenant, subscription.stream);
        if (!current || !*current) continue;  // a failed read is retried at the next wake
        const u64 end = (*current)->next_offset.value();
        while (subscription.next < end && subscription.credits > 0) {
            auto chunk = events_chunk(start.snapshot, subscription.stream, subscription.next,
                                      std::min(subscription.credits, end - subscription.next));
            // An event larger than a frame, one the log does not vouch for, or a host that
            // cannot read its log: the subscription cannot go on.
            if (!chunk && (chunk.status().code() == StatusCode::out_of_range ||
                           chunk.status().code() == StatusCode::corruption ||
                           chunk.status().code() == StatusCode::unsupported)) {
                send_status(id, chunk.status());  // ends the subscription's frames
                subscriptions_.erase(id);
                return;
            }
            if (!chunk || chunk->events.empty()) break;  // a failed read: the next wake retries
            subscription.next = chunk->next_offset;
            subscription.credits -= chunk->events.size();
            send(id, *chunk, kNativeFlagMore);
        }
    }
}

}  // namespace kb::server
