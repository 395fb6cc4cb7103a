// Domain outcomes: the result of an op as the state machine records it (STYLE.md, "errors in
// three tiers").
//
// An outcome is not an error of the process: "offset mismatch" or "unique violation" is a
// correct answer, identical on every replica and on every replay, and it is what an
// idempotency record stores and returns to a retried request. Outcomes travel as their
// numbers (in idempotency records, replies and logs), so the numbers are stable: add new
// outcomes at the end, never renumber or reuse one. The edge maps them to PostgreSQL
// SQLSTATEs (outcome_sqlstate) and to native-protocol error codes.
#pragma once

#include <optional>
#include <string_view>

#include "base/ints.h"

namespace kb::kernel {

enum class Outcome : u16 {
    ok = 0,
    // tenants
    tenant_exists = 1,
    no_such_tenant = 2,
    // streams
    stream_exists = 3,
    no_such_stream = 4,
    stream_deleted = 5,   // the stream existed but was deleted: history readable, no appends
    offset_mismatch = 6,  // an append's expected offset is not the stream's next offset
    // idempotency: the id was seen before; the original outcome is returned alongside
    duplicate_idempotency = 7,
    // catalog objects
    table_exists = 8,
    no_such_table = 9,
    column_exists = 10,
    no_such_column = 11,
    index_exists = 12,
    no_such_index = 13,
    sequence_exists = 14,
    no_such_sequence = 15,
    dependent_objects_exist = 16,  // e.g. dropping a table another table's foreign key names
    invalid_definition = 17,       // a schema that cannot be: no primary key, bad column ref
    name_too_long = 18,            // over limits::kNameBytesMax
    // constraints
    unique_violation = 19,
    not_null_violation = 20,
    foreign_key_violation = 21,
    check_violation = 22,
    // sequences
    sequence_exhausted = 23,  // reached its maximum (or minimum) and does not cycle
    // access and concurrency
    permission_denied = 24,
    serialization_conflict = 25,  // a read of the transaction was written after its snapshot
    snapshot_too_old = 26,        // the snapshot is older than the conflict window
    op_too_large = 27,            // the encoded op exceeds the configured size cap
    // apply: a row effect that contradicts the table it writes (a row image that does not
    // decode or fit the schema, a key that is not the row's, an update or delete of a row that
    // is not there, two effects on one key). The edge and the conflict window rule these out,
    // so it means a bug upstream; apply records it and changes nothing rather than stopping.
    invalid_effect = 28,
    // roles
    role_exists = 29,
    no_such_role = 30,
    reserved_name = 31,  // a role name PostgreSQL reserves ("public", "none", "pg_...")
    // API keys
    api_key_exists = 32,   // a key with that id exists (ids are random: a repeat is a retry)
    no_such_api_key = 33,  // revoking a key that does not exist (or was revoked)
};

inline constexpr Outcome kOutcomeMax = Outcome::no_such_api_key;

// "ok", "stream exists", ... (lowercase, spaces; stable, used in messages and tests).
std::string_view outcome_name(Outcome outcome);

// PostgreSQL's SQLSTATE for the outcome ("00000" for ok, "23505" for unique_violation,
// "40001" for serialization_conflict and snapshot_too_old, ...).
std::string_view outcome_sqlstate(Outcome outcome);

// Decodes a stored number; nullopt for a number no outcome has (corrupt, or from a newer
// version).
std::optional<Outcome> outcome_from_number(u16 number);

}  // namespace kb::kernel
