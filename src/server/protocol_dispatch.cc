// Choosing the protocol by a connection's first bytes (protocol_dispatch.h).
#include "server/protocol_dispatch.h"

#include <algorithm>
#include <array>

#include "server/native_frame.h"

namespace kb::server {
namespace {

// PostgreSQL's SSLRequest: length 8, code 80877103.
constexpr std::array<u8, 8> kSslRequest{0x00, 0x00, 0x00, 0x08, 0x04, 0xD2, 0x16, 0x2F};

bool is_ssl_request(ByteSpan bytes) {
    return bytes.size() >= kSslRequest.size() &&
           std::equal(kSslRequest.begin(), kSslRequest.end(), bytes.begin());
}

}  // namespace

FirstBytesSession::FirstBytesSession(Factory pgwire, Factory native, bool tls_available)
    : pgwire_(std::move(pgwire)), native_(std::move(native)), tls_available_(tls_available) {}

void FirstBytesSession::receive(ByteSpan bytes) {
    if (session_) return session_->receive(bytes);
    if (closed_) return;
    if (tls_pending_) {
        closed_ = true;  // bytes in clear where a TLS handshake belongs
        return;
    }
    buffered_.insert(buffered_.end(), bytes.begin(), bytes.end());
    if (buffered_.empty()) return;
    if (buffered_[0] == kNativeMagicFirstByte) return hand_over(native_(tls_active_), false);
    // Every PostgreSQL startup-phase packet is at least 8 bytes.
    if (buffered_.size() < kSslRequest.size()) return;
    if (!tls_active_ && is_ssl_request(buffered_)) {
        if (buffered_.size() > kSslRequest.size() && tls_available_) {
            // Data after the SSLRequest, before the handshake, could be injected by a man in
            // the middle (CVE-2021-23214): the pgwire session refuses it as PostgreSQL does.
            return hand_over(pgwire_(false), false);
        }
        buffered_.erase(buffered_.begin(), buffered_.begin() + kSslRequest.size());
        output_.push_back(tls_available_ ? 'S' : 'N');
        tls_pending_ = tls_available_;
        if (!tls_pending_ && !buffered_.empty()) receive({});  // go on in clear
        return;
    }
    hand_over(pgwire_(tls_active_), tls_active_);
}

void FirstBytesSession::hand_over(std::unique_ptr<ProtocolSession> session, bool replay_tls) {
    session_ = std::move(session);
    if (waker_) session_->set_waker(waker_);
    if (replay_tls) {
        // The pgwire session learns about the handshake the way it knows: an SSLRequest it
        // answers (the answer was given already and is dropped), then tls_started().
        session_->receive(kSslRequest);
        if (session_->wants_tls()) {
            (void)session_->take_output();
            session_->tls_started();
        }
    }
    const Bytes first = std::move(buffered_);
    buffered_.clear();
    session_->receive(first);
}

Bytes FirstBytesSession::take_output() {
    Bytes out = std::move(output_);
    output_.clear();
    if (session_) {
        Bytes more = session_->take_output();
        out.insert(out.end(), more.begin(), more.end());
    }
    return out;
}

bool FirstBytesSession::wants_tls() const {
    return session_ ? session_->wants_tls() : tls_pending_;
}

void FirstBytesSession::tls_started() {
    if (session_) return session_->tls_started();
    tls_pending_ = false;
    tls_active_ = true;
}

bool FirstBytesSession::closed() const { return session_ ? session_->closed() : closed_; }

bool FirstBytesSession::in_transaction() const {
    return session_ != nullptr && session_->in_transaction();
}

Bytes FirstBytesSession::goodbye(const char* sqlstate, const char* message) {
    if (session_) return session_->goodbye(sqlstate, message);
    closed_ = true;
    return {};
}

}  // namespace kb::server
