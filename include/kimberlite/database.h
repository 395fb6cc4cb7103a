// Database: Kimberlite embedded in a process (DESIGN.md §4, the `db` layer).
//
//     auto db = kb::Database::open("/var/lib/app/data", {.key_dir = "/etc/app/keys"});
//     if (!db) { report(db.error()); return; }
//     kb::TenantId tenant = *(*db)->tenant("default");
//     kb::StreamId orders = *(*db)->create_stream(tenant, "orders");
//     kb::Offset first = *(*db)->append(tenant, orders, {kb::to_bytes("order 1")});
//     auto events = (*db)->read_events(tenant, orders, kb::Offset(0));
//
// Every write goes one way: admission (checked against the applied state plus writes in
// flight: names, expected offsets, idempotency ids, grants, conflicts) → the log (sealed,
// hash-chained, durable per the fsync policy) → deterministic apply into the store. A write
// returns once it is durable and applied, and its effects are visible to the caller's next
// read. Nothing refused is logged.
//
// Errors are Status codes with messages naming the object: not_found (no such tenant or
// stream), already_exists (a taken name), conflict (an expected offset that is not the
// stream's next, a transaction that read what another changed), invalid_argument (a bad
// name, an empty append), permission_denied, and operating errors (io_error, no_space,
// corruption, fatal) after which the database has stopped: every later call fails the same way
// and the process should reopen it (recovery replays the log).
//
// Threads: every method may be called from any thread. Writes run on the database's own loop
// thread (one at a time, in order of arrival, many per fsync); reads run on the calling thread
// against the latest published snapshot, without blocking writes, except that event bytes are
// read from the log (which holds the only copy of them) on the loop thread, between writes.
//
// Files: `dir` holds the log (log/), the store (store/) and a lock; keys live outside it, in
// `key_dir` (master.key, created 0600 on first open). Losing the key directory loses the data.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kimberlite/status.h"
#include "types/data_class.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb {

namespace db {
class DatabaseCore;
}

enum class FsyncPolicy : unsigned char {
    every_record,  // one sync per write
    every_batch,   // one sync per batch of writes that arrived together
    group_commit,  // one sync covers every write that arrived while the previous one ran
};

struct DatabaseOptions {
    // Where master.key lives (created with a fresh random key when missing). Empty: the
    // KIMBERLITE_KEY_DIR environment variable, else ~/.config/kimberlite/keys.
    std::string key_dir{};
    FsyncPolicy fsync = FsyncPolicy::group_commit;
    // A store checkpoint after this many applied writes (and at close): bounds the log replay
    // at the next open. One also starts once half of cache_bytes is pages not yet checkpointed.
    unsigned long long checkpoint_every_ops = 200'000;
    // The page cache budget of the store.
    unsigned long long cache_bytes = 256ull << 20;
    // An attestation (this node's signature over the log's position and chain hash, with
    // node.key from the key directory) is logged after this many writes; 0: only on attest().
    unsigned long long attestation_every_ops = 10'000;
};

// One event of a stream as read back: verified against the chain when it was read from the log
// and stored sealed in the store.
struct StreamEvent {
    Offset offset{};
    Position position{};  // the log position of the write that appended it
    std::vector<unsigned char> data{};
};

struct StreamDescription {
    StreamId id{};
    std::string name{};
    DataClass data_class = DataClass::internal;
    Position created{};
    std::optional<Position> deleted{};  // events of a deleted stream stay readable
    Offset next_offset{};               // the offset the next appended event gets
};

// Roles are the database's users, as PostgreSQL's: a name, whether it may log in, whether it is
// a superuser, and how it proves its password — a SCRAM-SHA-256 verifier, never the password
// itself (make one with crypto/scram.h make_scram_verifier; the salt is random, so it is made
// before the write, never by the database's deterministic apply).
struct RoleSettings {
    std::optional<bool> login{};      // unset: unchanged (false for a new role)
    std::optional<bool> superuser{};  // unset: unchanged (false for a new role)
    // PostgreSQL's "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"; an empty string
    // removes it. Unset: unchanged (none for a new role).
    std::optional<std::string> verifier{};
};

struct RoleDescription {
    PrincipalId principal{};  // the id its writes carry
    std::string name{};
    bool login = false;
    bool superuser = false;
    std::string verifier{};  // empty: none (no password login)
    Position created{};
    Position altered{};  // the last write that changed it
};

enum class TablePrivilege : unsigned char { select, insert, update, remove, truncate };

// A consistent view of the database as of one applied position: every read through it sees the
// same state however many writes land meanwhile. Cheap to take and to copy; any thread. Every
// snapshot must be destroyed before its Database closes (close() says busy until then).
class DatabaseSnapshot {
public:
    DatabaseSnapshot() = default;  // not valid
    bool valid() const { return impl_ != nullptr; }
    Position position() const;

    Result<std::vector<StreamEvent>> read_events(TenantId tenant, StreamId stream, Offset from,
                                                 unsigned long long max_bytes = 1 << 20) const;
    Result<StreamDescription> stream_info(TenantId tenant, StreamId stream) const;
    // The newest position whose write has a timestamp at or before `timestamp` (what a read
    // AS OF that time sees), or nullopt when every write is later.
    Result<std::optional<Position>> position_at(Timestamp timestamp) const;

    struct Impl;

private:
    friend class Database;
    explicit DatabaseSnapshot(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
    std::shared_ptr<const Impl> impl_;
};

class Database {
public:
    // Opens (or initialises, when empty or missing) the database in `dir`. An initialised
    // directory gets tenant "default". Replays the log after the store's last checkpoint.
    static Result<std::unique_ptr<Database>> open(const std::string& dir,
                                                  DatabaseOptions options = {});
    // Waits for writes in flight, checkpoints and closes. Errors are lost: call close() first
    // to see them.
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Checkpoints the store and stops the loop thread; later calls fail. Idempotent. busy
    // (and still open) while transactions or readers hold snapshots: end them first.
    Status close();

    // --- tenants --------------------------------------------------------------------------
    Result<TenantId> create_tenant(std::string_view name);
    // Drops the live tenant of that name (not_found when there is none): it takes no more
    // writes and its name is free for a new tenant; its history stays in the log and the store
    // (readable by id and position, verified by `kmb verify`) and its keys stay.
    Status drop_tenant(std::string_view name);
    // The live tenant of that name.
    std::optional<TenantId> tenant(std::string_view name) const;

    // --- streams --------------------------------------------------------------------------
    Result<StreamId> create_stream(TenantId tenant, std::string_view name,
                                   DataClass data_class = DataClass::internal);
    Status delete_stream(TenantId tenant, StreamId stream);
    // Appends `events` (at least one) and returns the offset of the first. With
    // `expected_offset`, refused (conflict) unless it is the stream's next offset. With a
    // non-zero `idempotency`, a retry of an append that was applied returns the original
    // first offset and appends nothing (for as long as the retention setting keeps the id).
    Result<Offset> append(TenantId tenant, StreamId stream,
                          std::vector<std::vector<unsigned char>> events,
                          std::optional<Offset> expected_offset = std::nullopt,
                          IdempotencyId idempotency = {});
    // Events from `from` on, in offset order, up to about `max_bytes` of event data (always at
    // least one event when there is one). On the latest state (see snapshot()). The events are
    // read from the log's records of their appends through its verified read path and checked
    // against the store's record of each append (corruption when one differs).
    Result<std::vector<StreamEvent>> read_events(TenantId tenant, StreamId stream, Offset from,
                                                 unsigned long long max_bytes = 1 << 20) const;
    Result<StreamDescription> stream_info(TenantId tenant, StreamId stream) const;
    Result<StreamDescription> find_stream(TenantId tenant, std::string_view name) const;

    // The latest applied state, for several reads that must agree with each other.
    DatabaseSnapshot snapshot() const;

    // --- roles and grants -----------------------------------------------------------------
    // Changes are writes like any other (logged as system records, sealed under the system
    // key), made as the built-in administrator. Errors: already_exists (a role of that name),
    // not_found (no such role, tenant or table), invalid_argument (a bad name or verifier,
    // a reserved name: "public", "none", "pg_..."), and for a drop of a role that still holds
    // privileges on a database or table, invalid_argument naming them (revoke them first).
    Result<PrincipalId> create_role(std::string_view name, RoleSettings settings = {});
    Status alter_role(std::string_view name, RoleSettings settings);
    Status drop_role(std::string_view name);
    // CONNECT on a tenant: without it a role (not a superuser) can do nothing in the tenant.
    Status grant_connect(std::string_view role, TenantId tenant);
    Status revoke_connect(std::string_view role, TenantId tenant);
    // Privileges on the table named `table` of `tenant`, or with an empty name on every table
    // the tenant has now (PostgreSQL's ALL TABLES IN SCHEMA public: not tables made later).
    Status grant_table(std::string_view role, TenantId tenant, std::string_view table,
                       std::vector<TablePrivilege> privileges);
    Status revoke_table(std::string_view role, TenantId tenant, std::string_view table,
                        std::vector<TablePrivilege> privileges);
    // As of the latest applied state (any thread, no write).
    Result<std::optional<RoleDescription>> find_role(std::string_view name) const;
    Result<std::vector<RoleDescription>> roles() const;
    // Whether `principal` may use `tenant` at all: a superuser, or a role holding CONNECT on it.
    Result<bool> may_connect(PrincipalId principal, TenantId tenant) const;

    // --- attestations ---------------------------------------------------------------------
    // Logs an attestation now: this node's signature (node.key in the key directory) over the
    // newest position and its chain hash. Returns the attestation's own log position; `kmb
    // digest` exports it and `kmb verify --digest` checks a log against it.
    Result<Position> attest();

    // --- positions ------------------------------------------------------------------------
    // The newest durable log position, and the newest applied (and readable) one.
    Position log_position() const;
    Position applied_position() const;

    // For the layers built on the database in this repository (SQL, server): the engine, the
    // snapshots and the transaction API (src/db/database_core.h).
    db::DatabaseCore& core() { return *core_; }
    const db::DatabaseCore& core() const { return *core_; }

private:
    explicit Database(std::unique_ptr<db::DatabaseCore> core);
    std::unique_ptr<db::DatabaseCore> core_;
};

}  // namespace kb
