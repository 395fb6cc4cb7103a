// Stopping a running statement: cancellation (a client's CancelRequest, from another thread),
// the statement timeout, and the limit on the rows a statement holds in memory.
//
// CancelSignal is shared between a Session and whoever may cancel it (the server's cancel-key
// registry). It has three states:
//
//     idle ──enter()──► running ──cancel()──► cancelled
//       ▲                  │                      │
//       └─────leave()──────┴──────────────────────┘
//
// cancel() moves only running -> cancelled, atomically, so a cancel that arrives while nothing
// runs is dropped and can never cancel the next statement (PostgreSQL: a cancel affects the
// query running when it arrives). The session enters when a request (a simple Query, an
// Execute, a COPY's data) starts and leaves when it is over; a COPY FROM STDIN stays entered
// between its data messages, so a cancel while the server waits for data cancels the COPY.
//
// StatementGuard is the session thread's view for one statement: the signal, the deadline
// (statement_timeout) and the result-memory budget. The executor's row loops call tick() once
// per row: a countdown, and every kRowsPerPoll rows one relaxed atomic load plus, with a
// deadline, one clock read — nothing measurable per row (docs/SQL.md has the numbers). Rows
// held in memory (results, sort buffers, aggregation groups) are counted with hold().
//
// Never checked while a commit runs: once a transaction's op is submitted, the statement
// finishes (session.h).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/ints.h"
#include "kernel/value.h"
#include "sql/error.h"

namespace kb::sql {

class CancelSignal {
public:
    // Any thread: cancels the running request; false (and nothing happens) when none runs.
    bool cancel() {
        u8 expected = kRunning;
        return state_.compare_exchange_strong(expected, kCancelled, std::memory_order_acq_rel);
    }
    // The session's thread: a request starts (idle -> running; a request already running,
    // such as a COPY waiting for data, keeps its state).
    void enter() {
        u8 expected = kIdle;
        state_.compare_exchange_strong(expected, kRunning, std::memory_order_acq_rel);
    }
    // The session's thread: the request is over; a cancel that came too late is dropped.
    void leave() { state_.store(kIdle, std::memory_order_release); }

    bool cancelled() const { return state_.load(std::memory_order_relaxed) == kCancelled; }
    bool running() const { return state_.load(std::memory_order_relaxed) != kIdle; }

private:
    static constexpr u8 kIdle = 0;
    static constexpr u8 kRunning = 1;
    static constexpr u8 kCancelled = 2;
    std::atomic<u8> state_{kIdle};
};

class StatementGuard {
public:
    using Clock = std::chrono::steady_clock;
    // Rows between two looks at the signal and the clock.
    static constexpr u32 kRowsPerPoll = 64;

    // A new statement: `deadline` nullopt for no timeout, `max_held_bytes` 0 for no limit.
    // `signal` may be nullptr (nothing cancels).
    void arm(const CancelSignal* signal, std::optional<Clock::time_point> deadline,
             u64 max_held_bytes);

    // Per row of a row loop: false to go on; true when the statement must stop (error() says
    // why). Cheap: see the file comment.
    bool tick() {
        if (--countdown_ != 0) [[likely]]
            return false;
        return poll();
    }
    // Looks now: cancelled, or past the deadline. Once true, stays true for this statement.
    bool poll();
    // `bytes` more are held in memory for the statement; true when that passes the limit
    // (error() then says so).
    bool hold(u64 bytes) {
        held_ += bytes;
        if (max_held_ == 0 || held_ <= max_held_) [[likely]]
            return false;
        if (stop_ == Stop::none) stop_ = Stop::memory;
        return true;
    }
    // `bytes` counted by hold() are no longer held (a sort handing its rows on).
    void release(u64 bytes) { held_ -= bytes < held_ ? bytes : held_; }
    u64 held_bytes() const { return held_; }

    // Why the statement stops: 57014 'canceling statement due to user request' or '... due to
    // statement timeout', or 54000 for the memory limit.
    SqlError error() const;
    // poll() as a status, for places that return one.
    SqlStatus check() {
        if (poll()) return error();
        return sql_ok();
    }

private:
    enum class Stop : u8 { none, cancelled, timed_out, memory };

    const CancelSignal* signal_ = nullptr;
    std::optional<Clock::time_point> deadline_;
    u32 countdown_ = kRowsPerPoll;
    u64 held_ = 0;
    u64 max_held_ = 0;
    Stop stop_ = Stop::none;
};

// A row loop's cancellation point: true when the statement must stop (guard->error() says
// why). No guard (tests, the fuzzer): never.
inline bool must_stop(StatementGuard* guard) { return guard != nullptr && guard->tick(); }

// Bytes a value holds in memory: the object and what it owns on the heap (text, bytea and
// numeric digits). Approximate (allocator overhead aside) but never less than what is held.
// Inline: counted for every row a result holds.
inline u64 value_bytes(const kernel::Value& value) {
    // A string's heap: nothing while it fits in the object (short strings).
    const auto heap_of = [](const std::string& text) -> u64 {
        return text.capacity() > sizeof(std::string) ? text.capacity() + 1 : 0;
    };
    switch (value.kind()) {
        case kernel::ValueKind::text:
        case kernel::ValueKind::jsonb:
            return sizeof(kernel::Value) + heap_of(value.as_text());
        case kernel::ValueKind::bytea:
            return sizeof(kernel::Value) + value.as_bytea().capacity();
        case kernel::ValueKind::numeric:
            return sizeof(kernel::Value) + heap_of(value.as_numeric().digits());
        default:
            return sizeof(kernel::Value);
    }
}
// The same for a row of values (the vector's own bytes included).
inline u64 row_bytes(std::span<const kernel::Value> row) {
    u64 bytes = sizeof(std::vector<kernel::Value>);
    for (const kernel::Value& value : row) bytes += value_bytes(value);
    return bytes;
}

}  // namespace kb::sql
