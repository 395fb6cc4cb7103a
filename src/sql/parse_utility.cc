// The other statements: DROP TABLE / DROP INDEX, CREATE INDEX, TRUNCATE, transaction control,
// SET / RESET / SHOW, EXPLAIN, and the names under which every other statement is refused.
#include <strings.h>

#include <cctype>
#include <cstring>
#include <string>

#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {
namespace {

bool empty(const char* s) { return s == nullptr || s[0] == '\0'; }

const char* drop_object_name(PgQuery__ObjectType type) {
    switch (type) {
        case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
            return "DROP SEQUENCE";
        case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
            return "DROP VIEW";
        case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
            return "DROP MATERIALIZED VIEW";
        case PG_QUERY__OBJECT_TYPE__OBJECT_SCHEMA:
            return "DROP SCHEMA";
        case PG_QUERY__OBJECT_TYPE__OBJECT_FUNCTION:
            return "DROP FUNCTION";
        case PG_QUERY__OBJECT_TYPE__OBJECT_TYPE:
            return "DROP TYPE";
        case PG_QUERY__OBJECT_TYPE__OBJECT_DOMAIN:
            return "DROP DOMAIN";
        case PG_QUERY__OBJECT_TYPE__OBJECT_EXTENSION:
            return "DROP EXTENSION";
        case PG_QUERY__OBJECT_TYPE__OBJECT_TRIGGER:
            return "DROP TRIGGER";
        case PG_QUERY__OBJECT_TYPE__OBJECT_FOREIGN_TABLE:
            return "DROP FOREIGN TABLE";
        default:
            return "DROP of this kind of object";
    }
}

// defGetBoolean: no argument is true; true/false/on/off (any case) and 1/0.
SqlResult<bool> option_boolean(const Converter& converter, const PgQuery__DefElem& option) {
    const PgQuery__Node* arg = option.arg;
    if (arg == nullptr) return true;
    if (arg->node_case == PG_QUERY__NODE__NODE_INTEGER) {
        if (arg->integer->ival == 0) return false;
        if (arg->integer->ival == 1) return true;
    } else if (const char* text = string_of(arg); text != nullptr) {
        if (strcasecmp(text, "true") == 0 || strcasecmp(text, "on") == 0) return true;
        if (strcasecmp(text, "false") == 0 || strcasecmp(text, "off") == 0) return false;
    }
    return converter.error(sqlstate::kSyntaxError,
                           std::string(option.defname) + " requires a Boolean value",
                           option.location);
}

// An A_Const argument of a transaction mode: its string, or its integer as 0 / 1.
const PgQuery__AConst* const_arg(const PgQuery__DefElem& option) {
    if (option.arg == nullptr || option.arg->node_case != PG_QUERY__NODE__NODE_A_CONST) {
        return nullptr;
    }
    return option.arg->a_const;
}

// Transaction modes (BEGIN / START TRANSACTION / SET TRANSACTION) into `statement`.
SqlStatus transaction_modes(const Converter& converter, NodeList options,
                            ast::TransactionStatement* statement) {
    for (const PgQuery__Node* node : options) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) {
            return converter.malformed("transaction mode");
        }
        const PgQuery__DefElem& option = *node->def_elem;
        std::string_view name = option.defname != nullptr ? option.defname : "";
        const PgQuery__AConst* arg = const_arg(option);
        if (arg == nullptr) return converter.malformed("transaction mode value");
        if (name == "transaction_isolation") {
            if (arg->val_case != PG_QUERY__A__CONST__VAL_SVAL) {
                return converter.malformed("isolation level");
            }
            std::string_view level = arg->sval->sval;
            if (level == "serializable") {
                statement->isolation = ast::IsolationLevel::serializable;
            } else if (level == "repeatable read") {
                statement->isolation = ast::IsolationLevel::repeatable_read;
            } else if (level == "read committed") {
                statement->isolation = ast::IsolationLevel::read_committed;
            } else if (level == "read uncommitted") {
                statement->isolation = ast::IsolationLevel::read_uncommitted;
            } else {
                return converter.malformed("isolation level name");
            }
        } else if (name == "transaction_read_only" || name == "transaction_deferrable") {
            if (arg->val_case != PG_QUERY__A__CONST__VAL_IVAL) {
                return converter.malformed("transaction mode flag");
            }
            bool on = arg->ival->ival != 0;
            if (name == "transaction_read_only") {
                statement->read_only = on;
            } else {
                statement->deferrable = on;
            }
        } else {
            return converter.unsupported("transaction mode " + std::string(name), option.location);
        }
    }
    return sql_ok();
}

}  // namespace

SqlResult<ast::StatementNode> Converter::drop(const PgQuery__DropStmt& s, int32_t location) {
    bool index = s.remove_type == PG_QUERY__OBJECT_TYPE__OBJECT_INDEX;
    if (!index && s.remove_type != PG_QUERY__OBJECT_TYPE__OBJECT_TABLE) {
        return unsupported(drop_object_name(s.remove_type), location);
    }
    if (s.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
        return unsupported(index ? "DROP INDEX ... CASCADE" : "DROP TABLE ... CASCADE", location);
    }
    if (s.concurrent) return unsupported("DROP INDEX CONCURRENTLY", location);
    std::vector<ast::TableRef> names;
    for (const PgQuery__Node* object : NodeList{s.objects, s.n_objects}) {
        if (object == nullptr || object->node_case != PG_QUERY__NODE__NODE_LIST) {
            return malformed("DROP object name");
        }
        const PgQuery__List& parts = *object->list;
        if (parts.n_items == 0) return malformed("empty DROP object name");
        if (parts.n_items > 2) return unsupported("cross-database references", location);
        ast::TableRef name;
        const char* last = string_of(parts.items[parts.n_items - 1]);
        const char* schema = parts.n_items == 2 ? string_of(parts.items[0]) : "";
        if (last == nullptr || schema == nullptr) return malformed("DROP object name part");
        name.schema = schema;
        name.name = last;
        names.push_back(std::move(name));
    }
    if (index) {
        return ast::StatementNode(
            ast::DropIndexStatement{.indexes = std::move(names), .if_exists = s.missing_ok != 0});
    }
    return ast::StatementNode(
        ast::DropTableStatement{.tables = std::move(names), .if_exists = s.missing_ok != 0});
}

SqlResult<ast::CreateIndexStatement> Converter::create_index(const PgQuery__IndexStmt& s,
                                                             int32_t location) {
    ast::CreateIndexStatement result;
    result.table = KB_SQL_TRY(table_ref(s.relation, location, false));
    int32_t at = s.relation != nullptr ? s.relation->location : location;
    if (!empty(s.access_method) && std::strcmp(s.access_method, "btree") != 0) {
        return unsupported("index access method " + std::string(s.access_method), at);
    }
    if (!empty(s.table_space)) return unsupported("TABLESPACE", at);
    if (s.n_index_including_params > 0) return unsupported("INCLUDE", at);
    if (s.n_options > 0) return unsupported("WITH (index parameters)", at);
    if (s.where_clause != nullptr) {
        return unsupported("partial indexes (WHERE)", location_of(s.where_clause));
    }
    if (s.nulls_not_distinct) return unsupported("NULLS NOT DISTINCT", at);
    if (s.concurrent) return unsupported("CREATE INDEX CONCURRENTLY", location);
    for (const PgQuery__Node* node : NodeList{s.index_params, s.n_index_params}) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_INDEX_ELEM) {
            return malformed("index column");
        }
        const PgQuery__IndexElem& elem = *node->index_elem;
        if (elem.expr != nullptr) return unsupported("expression indexes", location_of(elem.expr));
        if (elem.n_collation > 0) return unsupported("COLLATE", at);
        if (elem.n_opclass > 0 || elem.n_opclassopts > 0) {
            return unsupported("operator classes", at);
        }
        if (empty(elem.name)) return malformed("index column name");
        ast::IndexColumn column{.name = elem.name};
        column.descending = elem.ordering == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
        if (elem.nulls_ordering == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST) {
            column.nulls = kernel::NullsOrder::first;
        } else if (elem.nulls_ordering == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST) {
            column.nulls = kernel::NullsOrder::last;
        }
        result.columns.push_back(std::move(column));
    }
    if (!empty(s.idxname)) result.name = s.idxname;
    result.unique = s.unique;
    result.if_not_exists = s.if_not_exists;
    return result;
}

SqlResult<ast::TruncateStatement> Converter::truncate(const PgQuery__TruncateStmt& s,
                                                      int32_t location) {
    if (s.restart_seqs) return unsupported("TRUNCATE ... RESTART IDENTITY", location);
    if (s.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
        return unsupported("TRUNCATE ... CASCADE", location);
    }
    ast::TruncateStatement result;
    for (const PgQuery__Node* node : NodeList{s.relations, s.n_relations}) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_RANGE_VAR) {
            return malformed("TRUNCATE table");
        }
        result.tables.push_back(KB_SQL_TRY(table_ref(node->range_var, location, false)));
    }
    return result;
}

SqlResult<ast::TransactionStatement> Converter::transaction(const PgQuery__TransactionStmt& s,
                                                            int32_t location) {
    ast::TransactionStatement result;
    switch (s.kind) {
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_BEGIN:
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_START:
            result.kind = ast::TransactionKind::begin;
            KB_SQL_TRY(transaction_modes(*this, {s.options, s.n_options}, &result));
            break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT:
            if (s.chain) return unsupported("COMMIT AND CHAIN", location);
            result.kind = ast::TransactionKind::commit;
            break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK:
            if (s.chain) return unsupported("ROLLBACK AND CHAIN", location);
            result.kind = ast::TransactionKind::rollback;
            break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_SAVEPOINT:
            result.kind = ast::TransactionKind::savepoint;
            break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_RELEASE:
            result.kind = ast::TransactionKind::release;
            break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_TO:
            result.kind = ast::TransactionKind::rollback_to;
            break;
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_PREPARE:
            return unsupported("PREPARE TRANSACTION", location);
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_COMMIT_PREPARED:
            return unsupported("COMMIT PREPARED", location);
        case PG_QUERY__TRANSACTION_STMT_KIND__TRANS_STMT_ROLLBACK_PREPARED:
            return unsupported("ROLLBACK PREPARED", location);
        default:
            return malformed("transaction statement kind");
    }
    if (!empty(s.savepoint_name)) result.savepoint = s.savepoint_name;
    return result;
}

SqlResult<ast::StatementNode> Converter::variable_set(const PgQuery__VariableSetStmt& s,
                                                      int32_t location) {
    std::string name = s.name != nullptr ? s.name : "";
    switch (s.kind) {
        case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_VALUE: {
            ast::SetStatement result{.name = name, .local = static_cast<bool>(s.is_local)};
            for (const PgQuery__Node* arg : NodeList{s.args, s.n_args}) {
                if (arg == nullptr || arg->node_case != PG_QUERY__NODE__NODE_A_CONST) {
                    // SET TIME ZONE INTERVAL '...' HOUR TO MINUTE is a typed constant.
                    return unsupported("SET " + name + " to this kind of value",
                                       location_of(arg) >= 0 ? location_of(arg) : location);
                }
                const PgQuery__AConst& c = *arg->a_const;
                ast::SetValue value{.position = position(c.location)};
                switch (c.val_case) {
                    case PG_QUERY__A__CONST__VAL_SVAL:
                        value.text = c.sval->sval;
                        break;
                    case PG_QUERY__A__CONST__VAL_IVAL:
                        value.kind = ast::SetValue::Kind::number;
                        value.text = std::to_string(c.ival->ival);
                        break;
                    case PG_QUERY__A__CONST__VAL_FVAL:
                        value.kind = ast::SetValue::Kind::number;
                        value.text = c.fval->fval;
                        break;
                    case PG_QUERY__A__CONST__VAL_BOOLVAL:
                        value.text = c.boolval->boolval ? "true" : "false";
                        break;
                    default:
                        return unsupported("SET " + name + " to this kind of value", c.location);
                }
                result.values.push_back(std::move(value));
            }
            if (result.values.empty()) return malformed("SET without a value");
            return ast::StatementNode(std::move(result));
        }
        case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_DEFAULT:
            return ast::StatementNode(ast::SetStatement{
                .name = name, .to_default = true, .local = static_cast<bool>(s.is_local)});
        case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_CURRENT:
            return unsupported("SET ... FROM CURRENT", location);
        case PG_QUERY__VARIABLE_SET_KIND__VAR_SET_MULTI: {
            if (name == "TRANSACTION") {
                ast::TransactionStatement result{.kind = ast::TransactionKind::set_transaction};
                KB_SQL_TRY(transaction_modes(*this, {s.args, s.n_args}, &result));
                return ast::StatementNode(std::move(result));
            }
            if (name == "SESSION CHARACTERISTICS") {
                // SET SESSION CHARACTERISTICS AS TRANSACTION modes sets the defaults
                // (PostgreSQL's default_transaction_isolation, ..._read_only, ..._deferrable).
                ast::TransactionStatement modes;
                KB_SQL_TRY(transaction_modes(*this, {s.args, s.n_args}, &modes));
                ast::SetStatement result;
                if (modes.isolation != ast::IsolationLevel::unspecified) {
                    static constexpr const char* kLevels[] = {"", "read uncommitted",
                                                              "read committed", "repeatable read",
                                                              "serializable"};
                    result.name = "default_transaction_isolation";
                    result.values.push_back(
                        {.text = kLevels[static_cast<int>(modes.isolation)], .position = 0});
                } else if (modes.read_only) {
                    result.name = "default_transaction_read_only";
                    result.values.push_back({.text = *modes.read_only ? "on" : "off"});
                } else if (modes.deferrable) {
                    result.name = "default_transaction_deferrable";
                    result.values.push_back({.text = *modes.deferrable ? "on" : "off"});
                } else {
                    return malformed("SET SESSION CHARACTERISTICS without a mode");
                }
                if (modes.isolation != ast::IsolationLevel::unspecified &&
                    modes.read_only.value_or(false)) {
                    return unsupported("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                                       location);
                }
                return ast::StatementNode(std::move(result));
            }
            return unsupported("SET " + name, location);
        }
        case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET:
            return ast::StatementNode(ast::ResetStatement{.name = name});
        case PG_QUERY__VARIABLE_SET_KIND__VAR_RESET_ALL:
            return ast::StatementNode(ast::ResetStatement{.all = true});
        default:
            return malformed("SET kind");
    }
}

SqlResult<ast::ExplainStatement> Converter::explain(const PgQuery__ExplainStmt& s,
                                                    int32_t location) {
    ast::ExplainStatement result;
    for (const PgQuery__Node* node : NodeList{s.options, s.n_options}) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) {
            return malformed("EXPLAIN option");
        }
        const PgQuery__DefElem& option = *node->def_elem;
        std::string_view name = option.defname != nullptr ? option.defname : "";
        if (name == "analyze") {
            bool analyze = KB_SQL_TRY(option_boolean(*this, option));
            if (analyze) return unsupported("EXPLAIN ANALYZE", option.location);
        } else if (name == "verbose") {
            result.verbose = KB_SQL_TRY(option_boolean(*this, option));
        } else if (name == "costs") {
            // kimberlite's plans carry no cost estimates: COSTS on or off prints the same.
            KB_SQL_TRY(option_boolean(*this, option));
        } else if (name == "format") {
            const char* format = string_of(option.arg);
            if (format == nullptr || strcasecmp(format, "text") != 0) {
                return unsupported(
                    "EXPLAIN (FORMAT " + std::string(format != nullptr ? format : "?") + ")",
                    option.location);
            }
        } else {
            return unsupported("EXPLAIN option " + std::string(name), option.location);
        }
    }
    if (s.query == nullptr) return malformed("EXPLAIN without a statement");
    switch (s.query->node_case) {
        case PG_QUERY__NODE__NODE_SELECT_STMT:
        case PG_QUERY__NODE__NODE_INSERT_STMT:
        case PG_QUERY__NODE__NODE_UPDATE_STMT:
        case PG_QUERY__NODE__NODE_DELETE_STMT:
            break;
        default:
            return unsupported("EXPLAIN of this statement", location);
    }
    auto statement = std::make_unique<ast::Statement>();
    statement->node = KB_SQL_TRY(statement_node(*s.query, location));
    statement->position = position(location);
    result.statement = std::move(statement);
    return result;
}

SqlError Converter::unsupported_statement(const PgQuery__Node& node, int32_t location) const {
    struct Name {
        PgQuery__Node__NodeCase node_case;
        const char* name;
    };
    static constexpr Name kNames[] = {
        {PG_QUERY__NODE__NODE_CREATE_SEQ_STMT, "CREATE SEQUENCE"},
        {PG_QUERY__NODE__NODE_ALTER_SEQ_STMT, "ALTER SEQUENCE"},
        {PG_QUERY__NODE__NODE_VIEW_STMT, "CREATE VIEW"},
        {PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT, "CREATE TABLE AS / SELECT INTO"},
        {PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT, "CREATE FUNCTION"},
        {PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT, "CREATE SCHEMA"},
        {PG_QUERY__NODE__NODE_GRANT_ROLE_STMT, "GRANT / REVOKE role"},
        {PG_QUERY__NODE__NODE_VACUUM_STMT, "VACUUM / ANALYZE"},
        {PG_QUERY__NODE__NODE_PREPARE_STMT, "PREPARE"},
        {PG_QUERY__NODE__NODE_EXECUTE_STMT, "EXECUTE"},
        {PG_QUERY__NODE__NODE_DEALLOCATE_STMT, "DEALLOCATE"},
        {PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT, "DECLARE CURSOR"},
        {PG_QUERY__NODE__NODE_FETCH_STMT, "FETCH / MOVE"},
        {PG_QUERY__NODE__NODE_CLOSE_PORTAL_STMT, "CLOSE"},
        {PG_QUERY__NODE__NODE_LISTEN_STMT, "LISTEN"},
        {PG_QUERY__NODE__NODE_UNLISTEN_STMT, "UNLISTEN"},
        {PG_QUERY__NODE__NODE_NOTIFY_STMT, "NOTIFY"},
        {PG_QUERY__NODE__NODE_LOCK_STMT, "LOCK"},
        {PG_QUERY__NODE__NODE_DO_STMT, "DO"},
        {PG_QUERY__NODE__NODE_CALL_STMT, "CALL"},
        {PG_QUERY__NODE__NODE_DISCARD_STMT, "DISCARD"},
        {PG_QUERY__NODE__NODE_DEFINE_STMT, "CREATE AGGREGATE / OPERATOR / TYPE"},
        {PG_QUERY__NODE__NODE_COMPOSITE_TYPE_STMT, "CREATE TYPE"},
        {PG_QUERY__NODE__NODE_CREATE_ENUM_STMT, "CREATE TYPE ... AS ENUM"},
        {PG_QUERY__NODE__NODE_CREATE_DOMAIN_STMT, "CREATE DOMAIN"},
        {PG_QUERY__NODE__NODE_CREATE_EXTENSION_STMT, "CREATE EXTENSION"},
        {PG_QUERY__NODE__NODE_CREATE_TRIG_STMT, "CREATE TRIGGER"},
        {PG_QUERY__NODE__NODE_RULE_STMT, "CREATE RULE"},
        {PG_QUERY__NODE__NODE_COMMENT_STMT, "COMMENT"},
        {PG_QUERY__NODE__NODE_MERGE_STMT, "MERGE"},
        {PG_QUERY__NODE__NODE_RENAME_STMT, "ALTER ... RENAME"},
        {PG_QUERY__NODE__NODE_ALTER_OWNER_STMT, "ALTER ... OWNER TO"},
        {PG_QUERY__NODE__NODE_ALTER_OBJECT_SCHEMA_STMT, "ALTER ... SET SCHEMA"},
        {PG_QUERY__NODE__NODE_CHECK_POINT_STMT, "CHECKPOINT"},
        {PG_QUERY__NODE__NODE_REINDEX_STMT, "REINDEX"},
        {PG_QUERY__NODE__NODE_CLUSTER_STMT, "CLUSTER"},
        {PG_QUERY__NODE__NODE_REFRESH_MAT_VIEW_STMT, "REFRESH MATERIALIZED VIEW"},
        {PG_QUERY__NODE__NODE_CONSTRAINTS_SET_STMT, "SET CONSTRAINTS"},
        {PG_QUERY__NODE__NODE_CREATE_POLICY_STMT, "CREATE POLICY"},
        {PG_QUERY__NODE__NODE_ALTER_SYSTEM_STMT, "ALTER SYSTEM"},
        {PG_QUERY__NODE__NODE_LOAD_STMT, "LOAD"},
        {PG_QUERY__NODE__NODE_SEC_LABEL_STMT, "SECURITY LABEL"},
        {PG_QUERY__NODE__NODE_CREATE_STATS_STMT, "CREATE STATISTICS"},
        {PG_QUERY__NODE__NODE_CREATE_TABLE_SPACE_STMT, "CREATE TABLESPACE"},
        {PG_QUERY__NODE__NODE_CREATE_FOREIGN_TABLE_STMT, "CREATE FOREIGN TABLE"},
        {PG_QUERY__NODE__NODE_CREATE_PUBLICATION_STMT, "CREATE PUBLICATION"},
        {PG_QUERY__NODE__NODE_CREATE_SUBSCRIPTION_STMT, "CREATE SUBSCRIPTION"},
        {PG_QUERY__NODE__NODE_ALTER_DATABASE_STMT, "ALTER DATABASE"},
        {PG_QUERY__NODE__NODE_ALTER_DATABASE_SET_STMT, "ALTER DATABASE ... SET"},
        {PG_QUERY__NODE__NODE_ALTER_ROLE_SET_STMT, "ALTER ROLE ... SET"},
        {PG_QUERY__NODE__NODE_ALTER_DEFAULT_PRIVILEGES_STMT, "ALTER DEFAULT PRIVILEGES"},
        {PG_QUERY__NODE__NODE_ALTER_FUNCTION_STMT, "ALTER FUNCTION"},
        {PG_QUERY__NODE__NODE_ALTER_ENUM_STMT, "ALTER TYPE"},
        {PG_QUERY__NODE__NODE_ALTER_TYPE_STMT, "ALTER TYPE"},
        {PG_QUERY__NODE__NODE_ALTER_DOMAIN_STMT, "ALTER DOMAIN"},
        {PG_QUERY__NODE__NODE_ALTER_EXTENSION_STMT, "ALTER EXTENSION"},
        {PG_QUERY__NODE__NODE_DROP_OWNED_STMT, "DROP OWNED"},
        {PG_QUERY__NODE__NODE_REASSIGN_OWNED_STMT, "REASSIGN OWNED"},
        {PG_QUERY__NODE__NODE_IMPORT_FOREIGN_SCHEMA_STMT, "IMPORT FOREIGN SCHEMA"},
    };
    for (const Name& entry : kNames) {
        if (entry.node_case == node.node_case) return unsupported(entry.name, location);
    }
    // Anything rarer is named after its node type: create_cast_stmt is "CREATE CAST".
    const ProtobufCFieldDescriptor* field = protobuf_c_message_descriptor_get_field(
        &pg_query__node__descriptor, static_cast<unsigned>(node.node_case));
    if (field == nullptr || field->name == nullptr) return unsupported("this statement", location);
    std::string name = field->name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, "_stmt") == 0) {
        name.resize(name.size() - 5);
    }
    for (char& c : name) c = c == '_' ? ' ' : static_cast<char>(std::toupper(c));
    return unsupported(name, location);
}

}  // namespace kb::sql::parse_internal
