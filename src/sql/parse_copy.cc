// COPY, CREATE DATABASE and DROP DATABASE: statements whose options come as generic lists of
// DefElems (ast.h has what is accepted). Options stay as written here; the statement judges
// them when it runs (copy_format.h for COPY, session_database.cc for databases), as
// PostgreSQL's ProcessCopyOptions and createdb do.
#include <string>

#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {
namespace {

bool empty(const char* s) { return s == nullptr || s[0] == '\0'; }

// One DefElem as a GenericOption: a Boolean becomes the string "true" / "false" (the grammar
// makes both Boolean true and String "true" for HEADER), a Float keeps its digits.
SqlResult<ast::GenericOption> generic_option(const Converter& converter, const PgQuery__Node* node,
                                             std::string_view what) {
    if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) {
        return converter.malformed(what);
    }
    const PgQuery__DefElem& element = *node->def_elem;
    ast::GenericOption option;
    option.name = element.defname != nullptr ? element.defname : "";
    option.position = converter.position(element.location);
    const PgQuery__Node* arg = element.arg;
    if (arg == nullptr) return option;
    switch (arg->node_case) {
        case PG_QUERY__NODE__NODE_STRING:
            option.kind = ast::GenericOption::Kind::string;
            option.value = arg->string->sval != nullptr ? arg->string->sval : "";
            break;
        case PG_QUERY__NODE__NODE_BOOLEAN:
            option.kind = ast::GenericOption::Kind::string;
            option.value = arg->boolean->boolval ? "true" : "false";
            break;
        case PG_QUERY__NODE__NODE_INTEGER:
            option.kind = ast::GenericOption::Kind::number;
            option.value = std::to_string(arg->integer->ival);
            break;
        case PG_QUERY__NODE__NODE_FLOAT:
            option.kind = ast::GenericOption::Kind::number;
            option.value = arg->float_->fval != nullptr ? arg->float_->fval : "";
            break;
        case PG_QUERY__NODE__NODE_A_STAR:
            option.kind = ast::GenericOption::Kind::star;
            break;
        case PG_QUERY__NODE__NODE_LIST:
            option.kind = ast::GenericOption::Kind::list;
            for (const PgQuery__Node* item : NodeList{arg->list->items, arg->list->n_items}) {
                const char* name = string_of(item);
                if (name == nullptr) return converter.malformed(std::string(what) + " list");
                option.list.emplace_back(name);
            }
            break;
        default:
            return converter.malformed(std::string(what) + " argument");
    }
    return option;
}

SqlResult<std::vector<ast::GenericOption>> generic_options(const Converter& converter,
                                                           NodeList options,
                                                           std::string_view what) {
    std::vector<ast::GenericOption> out;
    out.reserve(options.size);
    for (const PgQuery__Node* node : options) {
        out.push_back(KB_SQL_TRY(generic_option(converter, node, what)));
    }
    return out;
}

}  // namespace

SqlResult<ast::CopyStatement> Converter::copy(const PgQuery__CopyStmt& s, int32_t location) {
    ast::CopyStatement result;
    result.from = s.is_from != 0;
    if (s.is_program) {
        return error(sqlstate::kFeatureNotSupported,
                     std::string("COPY ") + (result.from ? "FROM" : "TO") +
                         " PROGRAM is not supported",
                     location)
            .with_hint("Send the data over the connection: COPY ... FROM STDIN / TO STDOUT.");
    }
    if (!empty(s.filename)) {
        // PostgreSQL reads and writes server files only for superusers and pg_*_server_files;
        // kimberlite's data never leaves or enters except through the connection.
        return error(sqlstate::kFeatureNotSupported,
                     std::string("COPY ") + (result.from ? "FROM" : "TO") +
                         " a file is not supported",
                     location)
            .with_hint(std::string("Use COPY ... ") + (result.from ? "FROM STDIN" : "TO STDOUT") +
                       " (psql's \\copy does this for a client-side file).");
    }
    if (s.query != nullptr) {
        if (s.query->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
            return unsupported("COPY of an INSERT, UPDATE or DELETE", location);
        }
        auto statement = std::make_unique<ast::Statement>();
        statement->node = KB_SQL_TRY(statement_node(*s.query, location));
        statement->position = position(location);
        result.query = std::move(statement);
    } else {
        result.table = KB_SQL_TRY(table_ref(s.relation, location, false));
        result.columns = KB_SQL_TRY(name_list(NodeList{s.attlist, s.n_attlist}, location));
    }
    result.options =
        KB_SQL_TRY(generic_options(*this, NodeList{s.options, s.n_options}, "COPY option"));
    result.where = KB_SQL_TRY(optional_expr(s.where_clause));
    return result;
}

SqlResult<ast::CreateDatabaseStatement> Converter::create_database(const PgQuery__CreatedbStmt& s,
                                                                   int32_t) {
    ast::CreateDatabaseStatement result;
    result.name = s.dbname != nullptr ? s.dbname : "";
    result.options = KB_SQL_TRY(
        generic_options(*this, NodeList{s.options, s.n_options}, "CREATE DATABASE option"));
    return result;
}

SqlResult<ast::DropDatabaseStatement> Converter::drop_database(const PgQuery__DropdbStmt& s,
                                                               int32_t location) {
    ast::DropDatabaseStatement result;
    result.name = s.dbname != nullptr ? s.dbname : "";
    result.if_exists = s.missing_ok != 0;
    for (const ast::GenericOption& option : KB_SQL_TRY(
             generic_options(*this, NodeList{s.options, s.n_options}, "DROP DATABASE option"))) {
        // The grammar knows only FORCE; anything else is its error, not ours.
        if (option.name != "force" || option.kind != ast::GenericOption::Kind::none) {
            return error(sqlstate::kSyntaxError,
                         "unrecognized DROP DATABASE option \"" + option.name + "\"", location);
        }
        result.force = true;
    }
    return result;
}

}  // namespace kb::sql::parse_internal
