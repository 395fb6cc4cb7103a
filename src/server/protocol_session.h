// ProtocolSession: what the connection loop (server.h) drives for one client — a protocol
// state machine that consumes received bytes and produces bytes to send, with no socket of its
// own (pgwire today; the native protocol shares the port later, told apart by first bytes).
//
// The loop, on its connection's thread:
//     session.set_waker(w)        once, first: w() (any thread) makes the loop call wake()
//     session.receive(bytes)      runs whatever the bytes complete (may block on the database)
//     write(session.take_output())
//     if session.wants_tls():     start TLS on the socket, then session.tls_started()
//     while !session.wants_input(): read nothing, wait for w() (then wake(), write output)
//     until session.closed()
#pragma once

#include <functional>
#include <optional>

#include "base/bytes.h"
#include "base/ints.h"

namespace kb::server {

class ProtocolSession {
public:
    virtual ~ProtocolSession() = default;

    virtual void receive(ByteSpan bytes) = 0;
    // Everything produced since the last call.
    virtual Bytes take_output() = 0;
    // The client asked for TLS and was told yes: the next bytes are a TLS handshake.
    virtual bool wants_tls() const = 0;
    virtual void tls_started() = 0;
    // The session is over (Terminate, a fatal error): the loop sends the output and closes.
    virtual bool closed() const = 0;
    // Inside a transaction block: the idle-in-transaction timeout applies while waiting.
    virtual bool in_transaction() const = 0;
    // Final words when the server closes the session on its own (an ErrorResponse FATAL with
    // the reason), e.g. `57P01`, "terminating connection due to administrator command".
    virtual Bytes goodbye(const char* sqlstate, const char* message) = 0;
    // A session with work of its own (a native subscription's live tail) asks to be woken this
    // often while no bytes arrive: the loop then calls wake() and sends take_output(). nullopt:
    // only bytes wake it.
    virtual std::optional<u64> wake_after_ms() const { return std::nullopt; }
    virtual void wake() {}
    // A session with work finishing on other threads (native appends the database commits)
    // gets a way to wake its loop: `waker` may be called from any thread, any number of times
    // (wakes may merge), and must not block; soon after, the loop calls wake() and sends
    // take_output(). Given once, before the first receive(). Ignored by default.
    virtual void set_waker(std::function<void()> waker) { (void)waker; }
    // Whether the session takes more bytes now. False while it holds as much unfinished work as
    // it allows (native: requests in flight): the loop then reads nothing — the client's bytes
    // wait in TCP, so nothing is buffered without bound — until a wake makes it true again.
    virtual bool wants_input() const { return true; }
    // Whether the client has logged in (the authentication timeout runs until it has).
    virtual bool logged_in() const = 0;
};

}  // namespace kb::server
