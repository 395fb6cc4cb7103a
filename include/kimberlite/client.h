// kb::Client: the C++ client of Kimberlite's native protocol (docs/PROTOCOL.md) — event
// streams, SQL with typed parameters, attestations — over one connection to `kmb server`.
//
//     kb::ClientOptions options;
//     options.server = "127.0.0.1:5432";
//     options.password = std::getenv("KMB_PASSWORD");
//     auto client = kb::Client::connect(options);
//     kb::StreamId orders = *(*client)->create_stream("orders");
//     kb::ClientAppended appended = *(*client)->append(orders, {kb::to_bytes("order 1")});
//     auto events = (*client)->read(orders, kb::Offset(0));
//
// Durability: append() returns once the events are committed (durable on the server's log).
//
// Retries: every request carries an id; an append without an idempotency id is given a random
// one, so a retry after a lost reply or a dropped connection returns the original offsets and
// appends nothing. Requests the server answers "retry safe" (and every request that failed
// because the connection dropped before an answer, when it is idempotent) are retried after
// reconnecting, with exponential backoff, up to `max_retries` times. Reads and queries that are
// not in a transaction are idempotent; a SQL statement that writes is retried only when the
// server said nothing was applied.
//
// Pipelining: the *_async calls send at once and return a future; many may be in flight on one
// connection and the answers arrive in any order. The blocking calls are the async ones waited
// for.
//
// Threads: a Client may be used from any number of threads at once.
//
// Errors: Status codes as in database.h — not_found, already_exists, conflict (an expected
// offset that is not the stream's next; SQLSTATE 40001), permission_denied (also a failed
// login), invalid_argument (also SQL errors: the message starts with the SQLSTATE), out_of_range
// (too large), busy (the server is shutting down), io_error (cannot connect, lost connection,
// timeout), unsupported (a server of another protocol version).
#pragma once

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kimberlite/status.h"
#include "types/data_class.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb {

namespace client {
class NativeClient;
struct SubscriptionQueue;
}  // namespace client

struct ClientOptions {
    std::string server = "127.0.0.1:5432";  // HOST:PORT
    std::string user = "admin";
    std::string password{};
    // An API key (`kmb_...`, made by `kmb user api-key create`): when set, the client logs in
    // with it instead of user and password (which are then unused), as the key's role in the
    // key's tenant (`tenant` must name it, or be empty). The key is sent as it is: use TLS.
    std::string api_key{};
    std::string tenant = "default";
    // "require", "prefer" (TLS when the server offers it) or "disable".
    std::string tls = "prefer";
    std::string tls_ca_file{};  // PEM certificates to verify the server with (optional)
    int connect_timeout_ms = 10'000;
    int request_timeout_ms = 60'000;  // a request unanswered this long fails (io_error)
    int max_retries = 5;              // reconnect-and-retry attempts for a retryable request
    int backoff_initial_ms = 50;      // doubles after each attempt...
    int backoff_max_ms = 2'000;       // ...up to this
    std::string client_name = "kimberlite-cpp";
};

struct ClientStreamInfo {
    StreamId id{};
    std::string name{};
    DataClass data_class{};
    Offset next_offset{};
    std::optional<Position> deleted{};
};

struct ClientAppended {
    Offset first_offset{};
    unsigned count = 0;
    Position position{};  // the log position of the append
};

struct ClientEvent {
    Offset offset{};
    Position position{};
    std::vector<unsigned char> data{};
};

// The kinds of SQL values, numbered as the native protocol numbers them (docs/PROTOCOL.md).
enum class ClientValueKind : unsigned char {
    null = 0,
    boolean = 1,
    smallint = 2,
    integer = 3,
    bigint = 4,
    real = 5,
    double_precision = 6,
    numeric = 7,
    text = 8,
    bytea = 9,
    date = 10,
    timestamp = 11,
    timestamptz = 12,
    interval = 13,
    uuid = 14,
    jsonb = 15,
};

// One SQL value: its kind says which field holds it.
//   integer  boolean (0, 1), smallint, integer, bigint, date (days since 2000-01-01),
//            timestamp and timestamptz (microseconds since 2000-01-01 00:00, timestamptz UTC)
//   real     real, double precision
//   text     text, numeric (its decimal text, exact: "-12.50"), jsonb (its text)
//   bytes    bytea, uuid (16 bytes)
//   months, days, integer (microseconds)  interval
struct ClientValue {
    ClientValueKind kind = ClientValueKind::null;
    long long integer = 0;
    double real = 0;
    std::string text{};
    std::vector<unsigned char> bytes{};
    int months = 0;
    int days = 0;

    static ClientValue null() { return {}; }
    static ClientValue boolean(bool value) { return of(ClientValueKind::boolean, value ? 1 : 0); }
    static ClientValue int32(int value) { return of(ClientValueKind::integer, value); }
    static ClientValue int64(long long value) { return of(ClientValueKind::bigint, value); }
    static ClientValue float64(double value) {
        ClientValue out;
        out.kind = ClientValueKind::double_precision;
        out.real = value;
        return out;
    }
    static ClientValue string(std::string value, ClientValueKind kind = ClientValueKind::text) {
        ClientValue out;
        out.kind = kind;
        out.text = std::move(value);
        return out;
    }
    static ClientValue numeric(std::string decimal) {
        return string(std::move(decimal), ClientValueKind::numeric);
    }
    static ClientValue bytea(std::vector<unsigned char> value) {
        ClientValue out;
        out.kind = ClientValueKind::bytea;
        out.bytes = std::move(value);
        return out;
    }
    bool is_null() const { return kind == ClientValueKind::null; }
    friend bool operator==(const ClientValue&, const ClientValue&) = default;

private:
    static ClientValue of(ClientValueKind kind, long long value) {
        ClientValue out;
        out.kind = kind;
        out.integer = value;
        return out;
    }
};

struct ClientColumn {
    std::string name{};
    ClientValueKind kind = ClientValueKind::null;
    unsigned type_oid = 0;  // PostgreSQL's
};

struct ClientRows {
    std::vector<ClientColumn> columns{};
    std::vector<std::vector<ClientValue>> rows{};
    std::string tag{};  // "INSERT 0 3", "SELECT 2"
};

// A live subscription to a stream (Client::subscribe): every event from its first offset on,
// in offset order, each exactly once — across reconnections too (it resumes from the next
// offset it has not delivered). The server sends at most `credits` events ahead of what next()
// has taken, so a slow consumer holds the server to a bounded buffer. Destroy it before its
// Client.
class ClientSubscription {
public:
    ~ClientSubscription();  // unsubscribes
    ClientSubscription(const ClientSubscription&) = delete;
    ClientSubscription& operator=(const ClientSubscription&) = delete;

    // The next event; nullopt when none came within `timeout_ms` (-1: wait for ever). An error
    // when the subscription ended (the stream is gone, the client gave up reconnecting, or
    // close() was called).
    Result<std::optional<ClientEvent>> next(int timeout_ms = -1);
    // The offset of the next event next() will return.
    Offset next_offset() const;
    // Events received and not yet taken: never more than the credits it was opened with.
    unsigned long long buffered() const;
    // Unsubscribes. Idempotent.
    Status close();

private:
    friend class Client;
    ClientSubscription(client::NativeClient& client, unsigned long long id,
                       std::shared_ptr<client::SubscriptionQueue> queue);
    client::NativeClient& client_;
    unsigned long long id_;
    std::shared_ptr<client::SubscriptionQueue> queue_;
    Offset delivered_next_{};
    bool closed_ = false;
};

class Client {
public:
    // Connects and logs in (SCRAM-SHA-256, bound to the TLS channel when there is one).
    static Result<std::unique_ptr<Client>> connect(ClientOptions options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    Result<StreamId> create_stream(std::string_view name,
                                   DataClass data_class = DataClass::internal);
    Result<std::vector<ClientStreamInfo>> list_streams();
    Result<ClientStreamInfo> describe_stream(std::string_view name);

    // Durable when it returns. `idempotency` all zeros: a random one is made.
    Result<ClientAppended> append(StreamId stream, std::vector<std::vector<unsigned char>> events,
                                  std::optional<Offset> expected_offset = std::nullopt,
                                  IdempotencyId idempotency = {});
    std::future<Result<ClientAppended>> append_async(
        StreamId stream, std::vector<std::vector<unsigned char>> events,
        std::optional<Offset> expected_offset = std::nullopt, IdempotencyId idempotency = {});

    // Events from `from` to the stream's end as of the read (or `max_events` of them).
    Result<std::vector<ClientEvent>> read(StreamId stream, Offset from,
                                          unsigned long long max_events = 0);

    // Events from `from` on: what is there, then new ones as they are appended. `credits`: how
    // many events the server may send ahead of next() (the buffer).
    Result<std::unique_ptr<ClientSubscription>> subscribe(StreamId stream, Offset from,
                                                          unsigned credits = 1000);

    // One SQL statement with `$1...` parameters (their Value kinds are their types).
    // invalid_argument for a parameter the server could not take (e.g. numeric text that is
    // not a number).
    Result<ClientRows> query(std::string_view sql, std::vector<ClientValue> parameters = {});

    // The digest document (JSON) of a new attestation / the newest one (superusers).
    Result<std::string> attest();
    Result<std::string> digest();

    Status ping();
    // The server's version string, as its Ready message said.
    const std::string& server_version() const;
    TenantId tenant() const;
    // Reconnections made so far (after a lost connection).
    unsigned long long reconnects() const;

private:
    explicit Client(std::unique_ptr<client::NativeClient> impl);
    std::unique_ptr<client::NativeClient> impl_;
};

}  // namespace kb
