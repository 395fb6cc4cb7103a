// Session and catalog functions: what drivers, ORMs and tools call on connect.
//
//   version()                       'PostgreSQL 15.8 (Kimberlite 0.1.0) on x86_64-pc-linux-gnu,
//                                   64-bit' (drivers parse "PostgreSQL <major>.<minor>")
//   current_database()              the database (tenant) name; also CURRENT_CATALOG
//   "current_user"(), "session_user"()  the role; also CURRENT_USER, CURRENT_ROLE, USER,
//                                   SESSION_USER (there is no SET ROLE: all the same)
//   current_schema()                'public'; also CURRENT_SCHEMA
//   current_setting(name [, missing_ok])  SHOW's value (42704 unknown, NULL if missing_ok)
//   set_config(name, value, false)  SET, returning the new value (is_local true: 0A000)
//   pg_backend_pid()                the connection's BackendKeyData process id
//   has_table_privilege(table, privilege)  the session role's privilege on a table
//   format_type(oid, typmod)        'character varying(10)' (catalog_types.h)
//   pg_encoding_to_char(int)        'UTF8' for 6, 'SQL_ASCII' for 0, '' otherwise
//   pg_is_in_recovery()             false
//   pg_table_is_visible(oid)        whether the oid is a relation the session sees
//   pg_get_userbyid(oid)            a role's name ('unknown (OID=n)' when none)
//
// Signatures from PostgreSQL 15 (pg_proc), with oid arguments as bigint (Kimberlite shows oid
// as bigint) and name results as text. None is immutable (PostgreSQL's provolatile is s or v),
// so none is folded at plan time: a kept plan reads the session when it runs.
#include <cctype>

#include "db/transaction.h"
#include "kernel/access_reads.h"
#include "sql/catalog_tables.h"
#include "sql/catalog_types.h"
#include "sql/func_catalog.h"

#ifndef KB_VERSION
#define KB_VERSION "0.0.0"
#endif

namespace kb::sql {
namespace {

std::string setting_or(const EvalContext& context, std::string_view name,
                       std::string_view fallback) {
    if (context.session != nullptr && context.session->setting) {
        if (auto value = context.session->setting(name)) return *value;
    }
    return std::string(fallback);
}

SqlResult<Value> version(Args, const EvalContext& context) {
    return Value::text("PostgreSQL " + setting_or(context, "server_version", "15.8") +
                       " (Kimberlite " KB_VERSION ") on x86_64-pc-linux-gnu, 64-bit");
}

SqlResult<Value> current_database(Args, const EvalContext& context) {
    if (context.session != nullptr && !context.session->database_name.empty()) {
        return Value::text(context.session->database_name);
    }
    if (context.transaction != nullptr) {
        return Value::text(context.transaction->catalog().info().name);
    }
    return Value::text("");
}

SqlResult<Value> current_user(Args, const EvalContext& context) {
    return Value::text(context.session != nullptr ? context.session->user_name : "admin");
}

SqlResult<Value> current_schema(Args, const EvalContext&) { return Value::text("public"); }

SqlResult<Value> current_setting(Args a, const EvalContext& context) {
    const std::string& name = a[0].as_text();
    const bool missing_ok = a.size() > 1 && a[1].as_bool();
    std::optional<std::string> value;
    if (context.session != nullptr && context.session->setting)
        value = context.session->setting(name);
    if (value) return Value::text(std::move(*value));
    if (missing_ok) return Value::null();
    return SqlError(sqlstate::kUndefinedObject,
                    "unrecognized configuration parameter \"" + name + "\"");
}

SqlResult<Value> set_config(Args a, const EvalContext& context) {
    if (context.session == nullptr || !context.session->set_setting) {
        return SqlError(sqlstate::kFeatureNotSupported, "set_config needs a session");
    }
    std::string shown =
        KB_SQL_TRY(context.session->set_setting(a[0].as_text(), a[1].as_text(), a[2].as_bool()));
    return Value::text(std::move(shown));
}

SqlResult<Value> backend_pid(Args, const EvalContext& context) {
    return Value::int32(context.session != nullptr ? context.session->backend_pid : 0);
}

// A relation name as text, the way PostgreSQL reads one (regclass input): [schema.]name, each
// part lowercased unless "quoted".
SqlResult<ast::TableRef> parse_relation_name(std::string_view text) {
    std::vector<std::string> parts;
    usize i = 0;
    while (true) {
        std::string part;
        if (i < text.size() && text[i] == '"') {
            for (++i;; ++i) {
                if (i >= text.size()) {
                    return SqlError(sqlstate::kInvalidParameterValue, "invalid name syntax");
                }
                if (text[i] == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        part.push_back('"');
                        ++i;
                        continue;
                    }
                    ++i;
                    break;
                }
                part.push_back(text[i]);
            }
        } else {
            while (i < text.size() && text[i] != '.') {
                part.push_back(
                    static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
                ++i;
            }
        }
        if (part.empty()) {
            return SqlError(sqlstate::kInvalidParameterValue, "invalid name syntax");
        }
        parts.push_back(std::move(part));
        if (i >= text.size()) break;
        if (text[i] != '.')
            return SqlError(sqlstate::kInvalidParameterValue, "invalid name syntax");
        ++i;
    }
    if (parts.size() > 2) {
        return SqlError(sqlstate::kFeatureNotSupported,
                        "cross-database references are not implemented: " + std::string(text));
    }
    ast::TableRef ref;
    ref.name = parts.back();
    if (parts.size() == 2) ref.schema = parts.front();
    return ref;
}

std::string trim_lower(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    std::string out;
    for (char c : text)
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    return out;
}

SqlResult<Value> has_table_privilege(Args a, const EvalContext& context) {
    if (context.transaction == nullptr) {
        return SqlError(sqlstate::kFeatureNotSupported, "has_table_privilege needs a session");
    }
    const db::Transaction& transaction = *context.transaction;
    const ast::TableRef ref = KB_SQL_TRY(parse_relation_name(a[0].as_text()));
    const SystemTable* system = KB_SQL_TRY(resolve_system_table(ref));
    const kernel::TableSchema* table = nullptr;
    if (system == nullptr) {
        if (!ref.schema.empty() && ref.schema != "public") {
            return SqlError("3F000", "schema \"" + ref.schema + "\" does not exist");
        }
        table = transaction.catalog().find_table(ref.name, transaction.schema_position());
        if (table == nullptr) {
            return SqlError(sqlstate::kUndefinedTable,
                            "relation \"" + std::string(a[0].as_text()) + "\" does not exist");
        }
    }
    auto superuser = transaction.is_superuser();
    if (!superuser) return from_status(superuser.status());
    // A comma-separated list; true when any is held.
    bool any = false;
    std::string_view list = a[1].as_text();
    while (true) {
        const usize comma = list.find(',');
        std::string word = trim_lower(list.substr(0, comma));
        bool grant_option = false;
        if (word.ends_with(" with grant option")) {
            grant_option = true;
            word = trim_lower(
                word.substr(0, word.size() - std::string_view(" with grant option").size()));
        }
        std::optional<kernel::Privilege> privilege;
        if (word == "select")
            privilege = kernel::Privilege::select;
        else if (word == "insert")
            privilege = kernel::Privilege::insert;
        else if (word == "update")
            privilege = kernel::Privilege::update;
        else if (word == "delete")
            privilege = kernel::Privilege::remove;
        else if (word == "truncate")
            privilege = kernel::Privilege::truncate;
        else if (word != "references" && word != "trigger") {
            return SqlError(
                sqlstate::kInvalidParameterValue,
                "unrecognized privilege type: \"" + std::string(list.substr(0, comma)) + "\"");
        }
        bool held = *superuser;  // superusers hold every privilege, grant options included
        if (!held && !grant_option && privilege) {
            if (system != nullptr) {
                held = *privilege == kernel::Privilege::select;  // PUBLIC may read the catalog
            } else {
                auto allowed = transaction.has_table_privilege(table->id, *privilege);
                if (!allowed) return from_status(allowed.status());
                held = *allowed;
            }
        }
        any = any || held;
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return Value::boolean(any);
}

// Not strict: a NULL typmod is "no modifier given".
SqlResult<Value> format_type(Args a, const EvalContext&) {
    if (a[0].is_null()) return Value::null();
    const i64 type = a[0].as_int();
    std::optional<i32> typmod;
    if (!a[1].is_null()) typmod = static_cast<i32>(a[1].as_int());
    return Value::text(pg_format_type(type < 0 ? 0 : static_cast<u64>(type), typmod));
}

SqlResult<Value> encoding_to_char(Args a, const EvalContext&) {
    const i64 encoding = a[0].as_int();
    if (encoding == 6) return Value::text("UTF8");
    if (encoding == 0) return Value::text("SQL_ASCII");
    return Value::text("");
}

SqlResult<Value> is_in_recovery(Args, const EvalContext&) { return Value::boolean(false); }

SqlResult<Value> table_is_visible(Args a, const EvalContext& context) {
    if (context.transaction == nullptr || a[0].as_int() < 0) return Value::null();
    if (!relation_oid_visible(*context.transaction, static_cast<u64>(a[0].as_int()))) {
        return Value::null();  // as PostgreSQL answers for an oid that is no relation
    }
    return Value::boolean(true);
}

// The name of role `id` as of the transaction's read position ("unknown (OID=n)" as
// PostgreSQL says for none).
// (Not inlined: GCC 12 then sees a Value's destructor free memory it never allocated.)
[[gnu::noinline]] SqlResult<std::string> role_name(const db::Transaction* transaction, i64 id) {
    if (transaction != nullptr && id >= 0) {
        auto role = kernel::reads::role(transaction->snapshot(), PrincipalId(static_cast<u64>(id)),
                                        transaction->read_position());
        if (!role) return from_status(role.status());
        if (*role) return (*role)->name;
    }
    return "unknown (OID=" + std::to_string(id) + ")";
}

SqlResult<Value> user_by_id(Args a, const EvalContext& context) {
    return Value::text(KB_SQL_TRY(role_name(context.transaction, a[0].as_int())));
}

std::vector<FunctionDef> build() {
    constexpr SqlType text = SqlType::text;
    constexpr SqlType boolean = SqlType::boolean;
    constexpr SqlType oid = SqlType::bigint;
    constexpr SqlType i4 = SqlType::integer;
    std::vector<FunctionDef> out = {
        function("version", {}, text, version),
        function("current_database", {}, text, current_database),
        function("current_user", {}, text, current_user),
        function("session_user", {}, text, current_user),
        function("current_schema", {}, text, current_schema),
        function("current_setting", {text}, text, current_setting),
        function("current_setting", {text, boolean}, text, current_setting),
        function("set_config", {text, text, boolean}, text, set_config),
        function("pg_backend_pid", {}, i4, backend_pid),
        function("has_table_privilege", {text, text}, boolean, has_table_privilege),
        function("format_type", {oid, i4}, text, format_type),
        function("pg_encoding_to_char", {i4}, text, encoding_to_char),
        function("pg_is_in_recovery", {}, boolean, is_in_recovery),
        function("pg_table_is_visible", {oid}, boolean, table_is_visible),
        function("pg_get_userbyid", {oid}, text, user_by_id),
    };
    for (FunctionDef& def : out) {
        def.immutable = false;  // stable or volatile in PostgreSQL: never folded
        if (def.name == "format_type") def.strict = false;
    }
    return out;
}

}  // namespace

std::span<const FunctionDef> session_function_catalog() {
    static const std::vector<FunctionDef> definitions = build();
    return definitions;
}

}  // namespace kb::sql
