// Names and SQLSTATEs of the domain outcomes (see outcome.h).
#include "kernel/outcome.h"

#include "base/assert.h"

namespace kb::kernel {

std::string_view outcome_name(Outcome outcome) {
    switch (outcome) {
        case Outcome::ok:
            return "ok";
        case Outcome::tenant_exists:
            return "tenant exists";
        case Outcome::no_such_tenant:
            return "no such tenant";
        case Outcome::stream_exists:
            return "stream exists";
        case Outcome::no_such_stream:
            return "no such stream";
        case Outcome::stream_deleted:
            return "stream deleted";
        case Outcome::offset_mismatch:
            return "offset mismatch";
        case Outcome::duplicate_idempotency:
            return "duplicate idempotency id";
        case Outcome::table_exists:
            return "table exists";
        case Outcome::no_such_table:
            return "no such table";
        case Outcome::column_exists:
            return "column exists";
        case Outcome::no_such_column:
            return "no such column";
        case Outcome::index_exists:
            return "index exists";
        case Outcome::no_such_index:
            return "no such index";
        case Outcome::sequence_exists:
            return "sequence exists";
        case Outcome::no_such_sequence:
            return "no such sequence";
        case Outcome::dependent_objects_exist:
            return "dependent objects exist";
        case Outcome::invalid_definition:
            return "invalid definition";
        case Outcome::name_too_long:
            return "name too long";
        case Outcome::unique_violation:
            return "unique violation";
        case Outcome::not_null_violation:
            return "not null violation";
        case Outcome::foreign_key_violation:
            return "foreign key violation";
        case Outcome::check_violation:
            return "check violation";
        case Outcome::sequence_exhausted:
            return "sequence exhausted";
        case Outcome::permission_denied:
            return "permission denied";
        case Outcome::serialization_conflict:
            return "serialization conflict";
        case Outcome::snapshot_too_old:
            return "snapshot too old";
        case Outcome::op_too_large:
            return "op too large";
        case Outcome::invalid_effect:
            return "invalid effect";
        case Outcome::role_exists:
            return "role exists";
        case Outcome::no_such_role:
            return "no such role";
        case Outcome::reserved_name:
            return "reserved name";
        case Outcome::api_key_exists:
            return "api key exists";
        case Outcome::no_such_api_key:
            return "no such api key";
    }
    KB_UNREACHABLE();
}

std::string_view outcome_sqlstate(Outcome outcome) {
    switch (outcome) {
        case Outcome::ok:
            return "00000";
        case Outcome::tenant_exists:
            return "42P04";  // duplicate_database
        case Outcome::no_such_tenant:
            return "3D000";  // invalid_catalog_name
        case Outcome::stream_exists:
            return "42710";  // duplicate_object
        case Outcome::no_such_stream:
            return "42704";  // undefined_object
        case Outcome::stream_deleted:
            return "42704";
        case Outcome::offset_mismatch:
            return "40001";  // retry with the current offset
        case Outcome::duplicate_idempotency:
            return "00000";
        case Outcome::table_exists:
            return "42P07";  // duplicate_table
        case Outcome::no_such_table:
            return "42P01";  // undefined_table
        case Outcome::column_exists:
            return "42701";  // duplicate_column
        case Outcome::no_such_column:
            return "42703";  // undefined_column
        case Outcome::index_exists:
            return "42P07";  // relations share one namespace
        case Outcome::no_such_index:
            return "42704";  // undefined_object
        case Outcome::sequence_exists:
            return "42P07";
        case Outcome::no_such_sequence:
            return "42P01";
        case Outcome::dependent_objects_exist:
            return "2BP01";  // dependent_objects_still_exist
        case Outcome::invalid_definition:
            return "42P16";  // invalid_table_definition
        case Outcome::name_too_long:
            return "42622";  // name_too_long
        case Outcome::unique_violation:
            return "23505";
        case Outcome::not_null_violation:
            return "23502";
        case Outcome::foreign_key_violation:
            return "23503";
        case Outcome::check_violation:
            return "23514";
        case Outcome::sequence_exhausted:
            return "2200H";  // sequence_generator_limit_exceeded
        case Outcome::permission_denied:
            return "42501";  // insufficient_privilege
        case Outcome::serialization_conflict:
            return "40001";
        case Outcome::snapshot_too_old:
            return "40001";  // retryable on a fresh snapshot
        case Outcome::op_too_large:
            return "54000";  // program_limit_exceeded
        case Outcome::invalid_effect:
            return "XX000";  // internal_error: the op's author was wrong, not the user
        case Outcome::role_exists:
            return "42710";  // duplicate_object
        case Outcome::no_such_role:
            return "42704";  // undefined_object
        case Outcome::reserved_name:
            return "42939";  // reserved_name
        case Outcome::api_key_exists:
            return "42710";  // duplicate_object
        case Outcome::no_such_api_key:
            return "42704";  // undefined_object
    }
    KB_UNREACHABLE();
}

std::optional<Outcome> outcome_from_number(u16 number) {
    if (number > static_cast<u16>(kOutcomeMax)) return std::nullopt;
    return static_cast<Outcome>(number);
}

}  // namespace kb::kernel
