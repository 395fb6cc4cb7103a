// FirstBytesSession: one port, two protocols (DESIGN.md §5). It reads a connection's first
// bytes and hands the conversation to a PostgreSQL wire protocol session or a native protocol
// session (docs/PROTOCOL.md §1):
//
//   * first byte 0x4B ('K', the native preface's magic)  -> native;
//   * PostgreSQL's SSLRequest, before any TLS            -> answered here ('S' when TLS is
//     available, else 'N'); after the handshake the first bytes inside TLS decide again, so
//     both protocols get TLS the same way;
//   * anything else (a startup message, GSSENCRequest, CancelRequest) -> pgwire.
//
// A pgwire session created after TLS is replayed the SSLRequest and told the handshake is done
// (its 'S' answer is dropped), so it knows its bytes are encrypted without a special path.
#pragma once

#include <functional>
#include <memory>

#include "server/protocol_session.h"

namespace kb::server {

class FirstBytesSession final : public ProtocolSession {
public:
    using Factory = std::function<std::unique_ptr<ProtocolSession>(bool tls_active)>;

    FirstBytesSession(Factory pgwire, Factory native, bool tls_available);

    void receive(ByteSpan bytes) override;
    Bytes take_output() override;
    bool wants_tls() const override;
    void tls_started() override;
    bool closed() const override;
    bool in_transaction() const override;
    Bytes goodbye(const char* sqlstate, const char* message) override;
    std::optional<u64> wake_after_ms() const override {
        return session_ ? session_->wake_after_ms() : std::nullopt;
    }
    void wake() override {
        if (session_) session_->wake();
    }
    void set_waker(std::function<void()> waker) override { waker_ = std::move(waker); }
    bool wants_input() const override { return session_ == nullptr || session_->wants_input(); }
    bool logged_in() const override { return session_ != nullptr && session_->logged_in(); }

private:
    // `replay_tls`: tell a pgwire session about the TLS handshake done here.
    void hand_over(std::unique_ptr<ProtocolSession> session, bool replay_tls);

    Factory pgwire_;
    Factory native_;
    bool tls_available_;
    bool tls_pending_ = false;  // answered 'S', waiting for the handshake
    bool tls_active_ = false;
    bool closed_ = false;
    Bytes buffered_;  // first bytes while the protocol is undecided
    Bytes output_;
    std::function<void()> waker_;  // handed to the session once it exists
    std::unique_ptr<ProtocolSession> session_;
};

}  // namespace kb::server
