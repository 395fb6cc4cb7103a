// Ops: the payload of every log record of kind "op" (DESIGN.md §3). One op is one client
// request of one tenant and one principal; every logged op is a committed fact that apply
// installs without re-validating, so an op says exactly what changes.
//
// Kinds (numbers are stable, stored in the log):
//   1 create tenant      the tenant's name and its wrapped KEK and root key
//   2 create stream      name and data class; apply gives it the tenant's next stream id
//   3 delete stream      the stream stops taking appends; its history stays readable
//   4 append batch       events for one stream, with an optional expected offset and
//                        idempotency id
//   5 reserve sequence   a block of values of a sequence (not transactional; gaps allowed)
//   6 transaction        a serializable SQL transaction's effects: the snapshot it ran on,
//                        what it read (checked for conflicts before logging, kept for audit),
//                        its DDL, its row effects and the values the session fixed
//   7 configure          sets one replicated system setting (e.g. how long idempotency
//                        records are kept); system-wide, so its tenant is 0
//   8 role               creates, alters or drops roles (users); system-wide (tenant 0)
//   9 grant              grants or revokes privileges of roles on a tenant or its tables;
//                        system-wide (tenant 0)
//  10 drop tenant        marks a tenant dropped: it takes no more ops and its name is free for a
//                        new tenant; its history (log, store, keys) stays readable by id and
//                        position; system-wide (tenant 0)
//  11 api key            creates or revokes an API key of the native protocol (a role's
//                        login scoped to one tenant, read-only or read-write); carries the
//                        SHA-256 of the key's secret, never the secret; system-wide (tenant 0)
//
// The tenant and principal travel in every op (also in the record header; apply checks they
// agree). The binary form is op_codec.h; docs/FORMATS.md ("Ops") has the layout.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "crypto/key_wrap.h"
#include "kernel/schema.h"
#include "types/data_class.h"
#include "types/hash.h"
#include "types/ids.h"

namespace kb::kernel {

enum class OpKind : u8 {
    create_tenant = 1,
    create_stream = 2,
    delete_stream = 3,
    append_batch = 4,
    reserve_sequence = 5,
    transaction = 6,
    configure = 7,
    role = 8,
    grant = 9,
    drop_tenant = 10,
    api_key = 11,
};
inline constexpr OpKind kOpKindMax = OpKind::api_key;

std::string_view op_kind_name(OpKind kind);  // "create tenant", "append batch", ...

struct CreateTenantOp {
    std::string name;
    crypto::WrappedKey kek{};       // wrapped by the master key
    crypto::WrappedKey root_key{};  // wrapped by the KEK

    friend bool operator==(const CreateTenantOp&, const CreateTenantOp&) = default;
};

struct CreateStreamOp {
    std::string name;
    DataClass data_class = DataClass::internal;

    friend bool operator==(const CreateStreamOp&, const CreateStreamOp&) = default;
};

struct DeleteStreamOp {
    StreamId stream{};

    friend bool operator==(const DeleteStreamOp&, const DeleteStreamOp&) = default;
};

struct AppendBatchOp {
    StreamId stream{};
    std::optional<Offset> expected_offset{};  // refused (offset mismatch) unless it is next
    IdempotencyId idempotency{};              // all zeros: none
    std::vector<Bytes> events{};

    friend bool operator==(const AppendBatchOp&, const AppendBatchOp&) = default;
};

struct ReserveSequenceOp {
    SequenceId sequence{};
    u64 count = 0;  // >= 1

    friend bool operator==(const ReserveSequenceOp&, const ReserveSequenceOp&) = default;
};

// Replicated system settings: configuration every replica must agree on because apply depends
// on it, so it is set by an op in the log, never by a flag. Stored as u16: never renumber.
enum class Setting : u16 {
    // Positions an idempotency record is kept: a repeat of its id at position Q is recognised
    // while Q <= record position + retention. >= 1.
    idempotency_retention_positions = 1,
};
inline constexpr Setting kSettingMax = Setting::idempotency_retention_positions;

std::string_view setting_name(Setting setting);  // "idempotency retention positions"

struct ConfigureOp {
    Setting setting = Setting::idempotency_retention_positions;
    u64 value = 0;

    friend bool operator==(const ConfigureOp&, const ConfigureOp&) = default;
};

// --- roles and grants (kernel/access_control.h has their rules) ---------------------------

// Stored as a byte: never renumber.
enum class RoleAction : u8 {
    create = 1,  // a new role named `name`; apply gives it the next principal id
    alter = 2,   // sets the given attributes of the one role in `roles`
    drop = 3,    // drops every role in `roles` (all or none)
};
inline constexpr RoleAction kRoleActionMax = RoleAction::drop;

// Attributes a role op sets; nullopt leaves one as it is (create: at its default, false / none).
struct RoleAttributes {
    std::optional<bool> login{};
    std::optional<bool> superuser{};
    // A SCRAM-SHA-256 verifier in PostgreSQL's text form (never a password: the edge derives
    // it, with a random salt, so apply stays deterministic); an empty string removes it
    // (PASSWORD NULL).
    std::optional<std::string> verifier{};

    friend bool operator==(const RoleAttributes&, const RoleAttributes&) = default;
};

struct RoleOp {
    RoleAction action = RoleAction::create;
    std::string name{};                // create: the new role's name; empty otherwise
    std::vector<PrincipalId> roles{};  // alter: the one role; drop: the roles; create: none
    RoleAttributes attributes{};       // create and alter

    friend bool operator==(const RoleOp&, const RoleOp&) = default;
};

// Privileges of a role, PostgreSQL's where they exist. Stored as a byte: never renumber.
enum class Privilege : u8 {
    connect = 1,  // on a database (tenant): may use it at all
    select = 2,   // on a table
    insert = 3,
    update = 4,
    remove = 5,  // DELETE
    truncate = 6,
};
inline constexpr Privilege kPrivilegeMax = Privilege::truncate;

std::string_view role_action_name(RoleAction action);  // "create", "alter", "drop"
std::string_view privilege_name(Privilege privilege);  // "CONNECT", "SELECT", "DELETE", ...

// Stored as a byte: never renumber.
enum class GrantTarget : u8 {
    database = 1,    // the tenant itself (CONNECT)
    tables = 2,      // the listed tables of the tenant
    all_tables = 3,  // every table of the tenant live at the op's position (PostgreSQL's ALL
                     // TABLES IN SCHEMA: tables created later are not included)
};
inline constexpr GrantTarget kGrantTargetMax = GrantTarget::all_tables;

struct GrantOp {
    bool revoke = false;
    GrantTarget target = GrantTarget::database;
    TenantId tenant{};                    // the database, or the tables' tenant
    std::vector<TableId> tables{};        // target tables only
    std::vector<Privilege> privileges{};  // connect for a database; table privileges otherwise
    std::vector<PrincipalId> roles{};     // the grantees

    friend bool operator==(const GrantOp&, const GrantOp&) = default;
};

// --- transactions ------------------------------------------------------------------------

// A key in a key space (a table's primary keys or an index's keys), encoded by
// key_encoding.h.
struct KeyRef {
    ObjectId object{};
    Bytes key{};

    friend bool operator==(const KeyRef&, const KeyRef&) = default;
    friend auto operator<=>(const KeyRef&, const KeyRef&) = default;
};

// Keys k of a key space with start <= k < end. An empty end means no upper bound (an empty
// exclusive end would be an empty range, so the encoding is unambiguous).
struct KeyRange {
    ObjectId object{};
    Bytes start{};
    Bytes end{};

    bool contains(ByteSpan key) const;
    friend bool operator==(const KeyRange&, const KeyRange&) = default;
};

// What a transaction relied on. All of it is checked against writes after the snapshot
// (conflict_window.h); the kinds of point read are kept apart for audit and error messages.
struct ReadSet {
    std::optional<u64> catalog_version{};  // set when it relied on the schema (DDL conflicts)
    std::vector<KeyRef> keys{};            // rows read by key, found or not
    std::vector<KeyRange> ranges{};        // scans
    std::vector<KeyRef> absent_keys{};     // primary/unique keys an insert found free
    std::vector<KeyRef> parent_keys{};     // foreign-key parents a write relied on

    friend bool operator==(const ReadSet&, const ReadSet&) = default;
};

// DDL changes, applied in order before the row effects (catalog.h has their rules).
struct CreateTableChange {
    TableSchema schema{};
    std::vector<SequenceSchema> sequences{};  // owned by SERIAL and identity columns
    friend bool operator==(const CreateTableChange&, const CreateTableChange&) = default;
};
struct DropTableChange {
    TableId table{};
    friend bool operator==(const DropTableChange&, const DropTableChange&) = default;
};
struct CreateIndexChange {
    IndexSchema schema{};  // apply builds it from the table's rows
    friend bool operator==(const CreateIndexChange&, const CreateIndexChange&) = default;
};
struct DropIndexChange {
    IndexId index{};
    friend bool operator==(const DropIndexChange&, const DropIndexChange&) = default;
};
struct AddColumnChange {
    TableId table{};
    ColumnDef column{};
    std::optional<SequenceSchema> sequence{};  // owned by a SERIAL or identity column
    AddedConstraints constraints{};            // the column's UNIQUE, CHECK, REFERENCES
    friend bool operator==(const AddColumnChange&, const AddColumnChange&) = default;
};
struct DropColumnChange {
    TableId table{};
    ColumnId column{};
    friend bool operator==(const DropColumnChange&, const DropColumnChange&) = default;
};
struct CreateSequenceChange {
    SequenceSchema schema{};
    friend bool operator==(const CreateSequenceChange&, const CreateSequenceChange&) = default;
};
// Ends every live row of the table (and its index entries) at the op's position.
struct TruncateTableChange {
    TableId table{};
    friend bool operator==(const TruncateTableChange&, const TruncateTableChange&) = default;
};

// Values a transaction drew from a sequence it created itself (a SERIAL or identity column of
// a table made in the same BEGIN ... COMMIT): the sequence does not exist before the op, so its
// values cannot come from a ReserveSequenceOp; apply reserves them again, in order, so the
// sequence continues after them. Only for sequences created earlier in the same op.
struct AdvanceSequenceChange {
    SequenceId sequence{};
    u64 count = 0;
    friend bool operator==(const AdvanceSequenceChange&, const AdvanceSequenceChange&) = default;
};

using DdlChange = std::variant<CreateTableChange, DropTableChange, CreateIndexChange,
                               DropIndexChange, AddColumnChange, DropColumnChange,
                               CreateSequenceChange, TruncateTableChange, AdvanceSequenceChange>;

// Stored as a byte: never renumber.
enum class RowEffectKind : u8 {
    insert = 1,  // a new row: key and full image
    update = 2,  // a full new image of an existing row (same key; a key change is
                 // remove + insert)
    remove = 3,  // SQL DELETE: key only
};

struct RowEffect {
    RowEffectKind kind = RowEffectKind::insert;
    TableId table{};
    Bytes key{};  // the primary key, encoded by key_encoding.h
    Bytes row{};  // the full row image; empty for remove

    friend bool operator==(const RowEffect&, const RowEffect&) = default;
};

// Values the session fixed while executing, logged so the audit trail says what they were
// (and so nothing in apply has to make them up).
struct FixedValues {
    std::optional<i64> transaction_timestamp_us{};   // now(): microseconds, as PostgreSQL
    std::vector<std::array<u8, 16>> random_uuids{};  // gen_random_uuid(), in order of use

    friend bool operator==(const FixedValues&, const FixedValues&) = default;
};

struct TransactionOp {
    Position snapshot{};  // the position the transaction read at
    IdempotencyId idempotency{};
    ReadSet reads{};
    std::vector<DdlChange> ddl{};
    std::vector<RowEffect> effects{};
    FixedValues fixed{};

    friend bool operator==(const TransactionOp&, const TransactionOp&) = default;
};

// The tenant to drop (DROP DATABASE). Its keys stay, so its history can still be read and
// verified; nothing is written to it afterwards.
struct DropTenantOp {
    TenantId tenant{};

    friend bool operator==(const DropTenantOp&, const DropTenantOp&) = default;
};

// --- API keys (kernel/api_keys.h has their rules) ----------------------------------------

// Stored as a byte: never renumber.
enum class ApiKeyAction : u8 {
    create = 1,  // a new key: id, owner role, tenant, mode and the secret's hash
    revoke = 2,  // ends the key `key_id` (the other fields are unused: zero)
};
inline constexpr ApiKeyAction kApiKeyActionMax = ApiKeyAction::revoke;
inline constexpr usize kApiKeySecretHashBytes = 32;  // SHA-256

std::string_view api_key_action_name(ApiKeyAction action);  // "create", "revoke"

// The key's secret is made at the edge (random, shown once to its creator); the op, the log and
// the state hold only its SHA-256, so apply stays deterministic and the log gives no key away.
struct ApiKeyOp {
    ApiKeyAction action = ApiKeyAction::create;
    u64 key_id = 0;          // the key's public id (random at the edge; never 0)
    PrincipalId role{};      // create: the role the key logs in as
    TenantId tenant{};       // create: the one tenant the key may use
    bool read_only = false;  // create: the key may not write
    std::array<u8, kApiKeySecretHashBytes> secret_hash{};  // create: SHA-256(secret)

    friend bool operator==(const ApiKeyOp&, const ApiKeyOp&) = default;
};

using OpBody =
    std::variant<CreateTenantOp, CreateStreamOp, DeleteStreamOp, AppendBatchOp, ReserveSequenceOp,
                 TransactionOp, ConfigureOp, RoleOp, GrantOp, DropTenantOp, ApiKeyOp>;

struct Op {
    TenantId tenant{};
    PrincipalId principal{};
    OpBody body{};

    OpKind kind() const;
    friend bool operator==(const Op&, const Op&) = default;
};

}  // namespace kb::kernel
