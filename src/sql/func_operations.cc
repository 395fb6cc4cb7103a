// Operations functions: what `kmb attest` and `kmb digest --server` call over the wire.
//
//   kimberlite_attest()   logs an attestation now (this node's Ed25519 signature over the log's
//                         newest position and chain hash) and returns it as the digest JSON
//                         document (storage/digest.h; what `kmb digest` writes and `kmb verify
//                         --digest` reads)
//   kimberlite_digest()   the newest durable attestation with its co-signatures, the same
//                         document
//
// Superusers only (42501 otherwise): an attestation is a write to the log, and a digest names
// the cluster's keys. Neither is transactional: kimberlite_attest() inside BEGIN logs the
// attestation at once, and ROLLBACK does not take it back (as PostgreSQL's pg_switch_wal()).
// Errors: 55000 when there is nothing to export yet, or when the server has no node key to sign
// with (the message names --key-dir); 0A000 outside a session on a database that offers them.
// Volatile, never folded at plan time.
#include "db/transaction.h"
#include "sql/func_catalog.h"
#include "storage/digest.h"

namespace kb::sql {

SqlStatus require_superuser(const EvalContext& context, const char* function) {
    if (context.transaction == nullptr) {
        return SqlError(sqlstate::kFeatureNotSupported, std::string(function) + " needs a session");
    }
    auto superuser = context.transaction->is_superuser();
    if (!superuser) return from_status(superuser.status());
    if (!*superuser) {
        return SqlError(sqlstate::kInsufficientPrivilege,
                        std::string("permission denied for function ") + function)
            .with_hint("Only superusers may call it.");
    }
    return sql_ok();
}

namespace {

SqlError operation_error(const Status& status) {
    if (status.code() == StatusCode::unsupported) {
        return SqlError(sqlstate::kObjectNotInPrerequisiteState, status.message())
            .with_hint("Start the server with a key directory holding node.key (--key-dir).");
    }
    return from_status(status);
}

SqlResult<Value> attest(Args, const EvalContext& context) {
    KB_SQL_TRY(require_superuser(context, "kimberlite_attest"));
    auto digest = context.transaction->host().attest_digest();
    if (!digest) return operation_error(digest.status());
    return Value::text(storage::encode_digest_json(*digest));
}

SqlResult<Value> digest(Args, const EvalContext& context) {
    KB_SQL_TRY(require_superuser(context, "kimberlite_digest"));
    auto digest = context.transaction->host().newest_digest();
    if (!digest) return operation_error(digest.status());
    if (!digest->has_value()) {
        return SqlError(sqlstate::kObjectNotInPrerequisiteState,
                        "the log holds no attestation to export yet")
            .with_hint("Make one with SELECT kimberlite_attest() (kmb attest).");
    }
    return Value::text(storage::encode_digest_json(**digest));
}

std::vector<FunctionDef> build() {
    std::vector<FunctionDef> out = {
        function("kimberlite_attest", {}, SqlType::text, attest),
        function("kimberlite_digest", {}, SqlType::text, digest),
    };
    for (FunctionDef& def : out) def.immutable = false;  // volatile: never folded
    return out;
}

}  // namespace

std::span<const FunctionDef> operations_function_catalog() {
    static const std::vector<FunctionDef> definitions = build();
    return definitions;
}

}  // namespace kb::sql
