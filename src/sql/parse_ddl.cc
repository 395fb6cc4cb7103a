// CREATE TABLE (column definitions, column and table constraints, identity options) and
// ALTER TABLE ADD / DROP COLUMN.
#include <charconv>
#include <cstring>
#include <string>

#include "sql/parse_convert.h"

namespace kb::sql::parse_internal {
namespace {

bool empty(const char* s) { return s == nullptr || s[0] == '\0'; }

// The ALTER TABLE actions PostgreSQL users most often reach for, named for the refusal.
const char* alter_action_name(PgQuery__AlterTableType type) {
    switch (type) {
        case PG_QUERY__ALTER_TABLE_TYPE__AT_ColumnDefault:
            return "ALTER TABLE ... ALTER COLUMN ... SET/DROP DEFAULT";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DropNotNull:
            return "ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_SetNotNull:
            return "ALTER TABLE ... ALTER COLUMN ... SET NOT NULL";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_AlterColumnType:
            return "ALTER TABLE ... ALTER COLUMN ... TYPE";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_AddConstraint:
            return "ALTER TABLE ... ADD CONSTRAINT";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DropConstraint:
            return "ALTER TABLE ... DROP CONSTRAINT";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_ValidateConstraint:
            return "ALTER TABLE ... VALIDATE CONSTRAINT";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_ChangeOwner:
            return "ALTER TABLE ... OWNER TO";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_AddIdentity:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_SetIdentity:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_DropIdentity:
            return "ALTER TABLE ... ALTER COLUMN ... IDENTITY";
        case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStatistics:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_SetStorage:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_SetCompression:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_SetOptions:
        case PG_QUERY__ALTER_TABLE_TYPE__AT_ResetOptions:
            return "ALTER TABLE ... ALTER COLUMN ... SET";
        default:
            return "this ALTER TABLE action";
    }
}

}  // namespace

SqlResult<ast::CreateTableStatement> Converter::create_table(const PgQuery__CreateStmt& s,
                                                             int32_t location) {
    ast::CreateTableStatement result;
    result.table = KB_SQL_TRY(table_ref(s.relation, location, false));
    int32_t at = s.relation != nullptr ? s.relation->location : location;
    if (s.relation != nullptr && s.relation->relpersistence != nullptr) {
        if (std::strcmp(s.relation->relpersistence, "t") == 0) {
            return unsupported("temporary tables", at);
        }
        if (std::strcmp(s.relation->relpersistence, "u") == 0) {
            return unsupported("unlogged tables", at);
        }
    }
    // PARTITION OF also lists its parent as an inherited relation: check it first.
    if (s.partbound != nullptr) return unsupported("PARTITION OF", at);
    if (s.partspec != nullptr) return unsupported("PARTITION BY", at);
    if (s.n_inh_relations > 0) return unsupported("INHERITS", at);
    if (s.of_typename != nullptr) return unsupported("typed tables (OF type)", at);
    if (s.n_options > 0) return unsupported("WITH (storage parameters)", at);
    if (s.oncommit != PG_QUERY__ON_COMMIT_ACTION__ONCOMMIT_NOOP &&
        s.oncommit != PG_QUERY__ON_COMMIT_ACTION__ON_COMMIT_ACTION_UNDEFINED) {
        return unsupported("ON COMMIT", at);
    }
    if (!empty(s.tablespacename)) return unsupported("TABLESPACE", at);
    if (!empty(s.access_method)) return unsupported("table access methods (USING)", at);
    result.if_not_exists = s.if_not_exists;

    for (const PgQuery__Node* element : NodeList{s.table_elts, s.n_table_elts}) {
        if (element == nullptr) return malformed("table element");
        switch (element->node_case) {
            case PG_QUERY__NODE__NODE_COLUMN_DEF:
                result.columns.push_back(KB_SQL_TRY(column_definition(*element->column_def)));
                break;
            case PG_QUERY__NODE__NODE_CONSTRAINT:
                result.constraints.push_back(KB_SQL_TRY(constraint(*element->constraint, false)));
                break;
            case PG_QUERY__NODE__NODE_TABLE_LIKE_CLAUSE:
                return unsupported("CREATE TABLE ... (LIKE ...)", at);
            default:
                return malformed("table element kind");
        }
    }
    return result;
}

SqlResult<ast::ColumnDefinition> Converter::column_definition(const PgQuery__ColumnDef& c) {
    ast::ColumnDefinition result;
    if (c.colname == nullptr) return malformed("column name");
    result.name = c.colname;
    result.position = position(c.location);
    result.type = KB_SQL_TRY(type_name(c.type_name, TypeContext::column, &result.serial));
    if (c.coll_clause != nullptr) return unsupported("COLLATE", c.coll_clause->location);
    if (!empty(c.compression)) return unsupported("COMPRESSION", c.location);
    if (!empty(c.storage)) return unsupported("STORAGE", c.location);
    if (c.n_fdwoptions > 0) return unsupported("OPTIONS", c.location);

    for (const PgQuery__Node* node : NodeList{c.constraints, c.n_constraints}) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_CONSTRAINT) {
            return malformed("column constraint");
        }
        const PgQuery__Constraint& con = *node->constraint;
        // Constraint attributes follow the constraint they modify as separate entries.
        // NOT DEFERRABLE and INITIALLY IMMEDIATE are the defaults; the others are refused.
        if (con.contype == PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRABLE ||
            con.contype == PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_DEFERRED) {
            return unsupported("DEFERRABLE constraints", con.location);
        }
        if (con.contype == PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_NOT_DEFERRABLE ||
            con.contype == PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_IMMEDIATE) {
            bool placed = !result.constraints.empty() &&
                          (result.constraints.back().kind == ast::ConstraintKind::primary_key ||
                           result.constraints.back().kind == ast::ConstraintKind::unique ||
                           result.constraints.back().kind == ast::ConstraintKind::foreign_key);
            if (!placed) {
                const char* clause =
                    con.contype == PG_QUERY__CONSTR_TYPE__CONSTR_ATTR_NOT_DEFERRABLE
                        ? "NOT DEFERRABLE"
                        : "INITIALLY IMMEDIATE";
                return error(sqlstate::kSyntaxError, "misplaced " + std::string(clause) + " clause",
                             con.location);
            }
            continue;
        }
        result.constraints.push_back(KB_SQL_TRY(constraint(con, true)));
    }
    return result;
}

SqlResult<ast::Constraint> Converter::constraint(const PgQuery__Constraint& c, bool on_column) {
    ast::Constraint result;
    if (!empty(c.conname)) result.name = c.conname;
    result.position = position(c.location);
    if (c.deferrable || c.initdeferred) return unsupported("DEFERRABLE constraints", c.location);
    if (c.skip_validation) return unsupported("NOT VALID", c.location);
    if (c.is_no_inherit) return unsupported("NO INHERIT", c.location);

    switch (c.contype) {
        case PG_QUERY__CONSTR_TYPE__CONSTR_NULL:
            result.kind = ast::ConstraintKind::null;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_NOTNULL:
            result.kind = ast::ConstraintKind::not_null;
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_DEFAULT:
            result.kind = ast::ConstraintKind::default_value;
            result.expr = KB_SQL_TRY(expr(c.raw_expr));
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_IDENTITY:
            result.kind = ast::ConstraintKind::identity;
            result.identity = c.generated_when != nullptr && c.generated_when[0] == 'd'
                                  ? kernel::Identity::by_default
                                  : kernel::Identity::always;
            result.sequence = KB_SQL_TRY(sequence_options({c.options, c.n_options}, c.location));
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_GENERATED:
            return unsupported("generated columns (GENERATED ALWAYS AS ... STORED)", c.location);
        case PG_QUERY__CONSTR_TYPE__CONSTR_CHECK:
            result.kind = ast::ConstraintKind::check;
            result.expr = KB_SQL_TRY(expr(c.raw_expr));
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY:
        case PG_QUERY__CONSTR_TYPE__CONSTR_UNIQUE:
            result.kind = c.contype == PG_QUERY__CONSTR_TYPE__CONSTR_PRIMARY
                              ? ast::ConstraintKind::primary_key
                              : ast::ConstraintKind::unique;
            if (c.n_including > 0) return unsupported("INCLUDE", c.location);
            if (c.n_options > 0) return unsupported("WITH (index parameters)", c.location);
            if (!empty(c.indexspace)) return unsupported("USING INDEX TABLESPACE", c.location);
            if (!empty(c.indexname)) return unsupported("USING INDEX", c.location);
            if (c.nulls_not_distinct) return unsupported("NULLS NOT DISTINCT", c.location);
            result.columns = KB_SQL_TRY(name_list({c.keys, c.n_keys}, c.location));
            break;
        case PG_QUERY__CONSTR_TYPE__CONSTR_EXCLUSION:
            return unsupported("EXCLUDE constraints", c.location);
        case PG_QUERY__CONSTR_TYPE__CONSTR_FOREIGN:
            result.kind = ast::ConstraintKind::foreign_key;
            result.columns = KB_SQL_TRY(name_list({c.fk_attrs, c.n_fk_attrs}, c.location));
            result.references = KB_SQL_TRY(references(c));
            break;
        default:
            return malformed("constraint kind");
    }
    bool column_only = result.kind == ast::ConstraintKind::null ||
                       result.kind == ast::ConstraintKind::not_null ||
                       result.kind == ast::ConstraintKind::default_value ||
                       result.kind == ast::ConstraintKind::identity;
    if (column_only && !on_column) return malformed("column constraint on a table");
    return result;
}

SqlResult<ast::ForeignKeyRef> Converter::references(const PgQuery__Constraint& c) {
    ast::ForeignKeyRef result;
    result.table = KB_SQL_TRY(table_ref(c.pktable, c.location, false));
    result.columns = KB_SQL_TRY(name_list({c.pk_attrs, c.n_pk_attrs}, c.location));
    char match = c.fk_matchtype != nullptr ? c.fk_matchtype[0] : 's';
    if (match == 'f') return unsupported("MATCH FULL", c.location);
    if (match == 'p') return unsupported("MATCH PARTIAL", c.location);
    if (c.n_fk_del_set_cols > 0) return unsupported("ON DELETE SET NULL (columns)", c.location);

    char on_update = c.fk_upd_action != nullptr ? c.fk_upd_action[0] : 'a';
    switch (on_update) {
        case 'r':
            result.on_update = kernel::ReferentialAction::restrict;
            break;
        case 'c':
            return unsupported("ON UPDATE CASCADE", c.location);
        case 'n':
            return unsupported("ON UPDATE SET NULL", c.location);
        case 'd':
            return unsupported("ON UPDATE SET DEFAULT", c.location);
        default:
            result.on_update = kernel::ReferentialAction::no_action;
            break;
    }
    char on_delete = c.fk_del_action != nullptr ? c.fk_del_action[0] : 'a';
    switch (on_delete) {
        case 'r':
            result.on_delete = kernel::ReferentialAction::restrict;
            break;
        case 'c':
            result.on_delete = kernel::ReferentialAction::cascade;
            break;
        case 'n':
            return unsupported("ON DELETE SET NULL", c.location);
        case 'd':
            return unsupported("ON DELETE SET DEFAULT", c.location);
        default:
            result.on_delete = kernel::ReferentialAction::no_action;
            break;
    }
    return result;
}

SqlResult<ast::SequenceOptions> Converter::sequence_options(NodeList options, int32_t location) {
    ast::SequenceOptions result;
    for (const PgQuery__Node* node : options) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_DEF_ELEM) {
            return malformed("sequence option");
        }
        const PgQuery__DefElem& option = *node->def_elem;
        std::string_view name = option.defname != nullptr ? option.defname : "";
        int32_t at = option.location >= 0 ? option.location : location;
        if (name == "cycle") {
            if (result.cycle)
                return error(sqlstate::kSyntaxError, "conflicting or redundant options", at);
            bool cycle = option.arg != nullptr &&
                         option.arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN &&
                         option.arg->boolean->boolval;
            result.cycle = cycle;
            continue;
        }
        std::optional<i64>* slot = nullptr;
        if (name == "start") slot = &result.start;
        if (name == "increment") slot = &result.increment;
        if (name == "minvalue") slot = &result.min_value;
        if (name == "maxvalue") slot = &result.max_value;
        if (slot == nullptr) {
            return unsupported("sequence option \"" + std::string(name) + "\"", at);
        }
        if (slot->has_value()) {
            return error(sqlstate::kSyntaxError, "conflicting or redundant options", at);
        }
        if (option.arg == nullptr) continue;  // NO MINVALUE / NO MAXVALUE: the default
        i64 value = 0;
        if (option.arg->node_case == PG_QUERY__NODE__NODE_INTEGER) {
            value = option.arg->integer->ival;
        } else if (option.arg->node_case == PG_QUERY__NODE__NODE_FLOAT) {
            const char* text = option.arg->float_->fval;
            const char* end = text + std::strlen(text);
            auto [rest, failure] = std::from_chars(text, end, value);
            if (failure != std::errc() || rest != end) {
                return error(sqlstate::kNumericValueOutOfRange,
                             "value \"" + std::string(text) + "\" is out of range for type bigint",
                             at);
            }
        } else {
            return malformed("sequence option value");
        }
        *slot = value;
    }
    return result;
}

SqlResult<ast::AlterTableStatement> Converter::alter_table(const PgQuery__AlterTableStmt& s,
                                                           int32_t location) {
    switch (s.objtype) {
        case PG_QUERY__OBJECT_TYPE__OBJECT_TABLE:
            break;
        case PG_QUERY__OBJECT_TYPE__OBJECT_INDEX:
            return unsupported("ALTER INDEX", location);
        case PG_QUERY__OBJECT_TYPE__OBJECT_SEQUENCE:
            return unsupported("ALTER SEQUENCE", location);
        case PG_QUERY__OBJECT_TYPE__OBJECT_VIEW:
            return unsupported("ALTER VIEW", location);
        case PG_QUERY__OBJECT_TYPE__OBJECT_MATVIEW:
            return unsupported("ALTER MATERIALIZED VIEW", location);
        default:
            return unsupported("ALTER of this kind of object", location);
    }
    ast::AlterTableStatement result;
    result.table = KB_SQL_TRY(table_ref(s.relation, location, false));
    result.if_exists = s.missing_ok;
    for (const PgQuery__Node* node : NodeList{s.cmds, s.n_cmds}) {
        if (node == nullptr || node->node_case != PG_QUERY__NODE__NODE_ALTER_TABLE_CMD) {
            return malformed("ALTER TABLE action");
        }
        const PgQuery__AlterTableCmd& cmd = *node->alter_table_cmd;
        ast::AlterAction action;
        action.missing_ok = cmd.missing_ok;
        switch (cmd.subtype) {
            case PG_QUERY__ALTER_TABLE_TYPE__AT_AddColumn:
                if (cmd.def == nullptr || cmd.def->node_case != PG_QUERY__NODE__NODE_COLUMN_DEF) {
                    return malformed("ADD COLUMN definition");
                }
                action.kind = ast::AlterKind::add_column;
                action.column = KB_SQL_TRY(column_definition(*cmd.def->column_def));
                action.position = action.column.position;
                break;
            case PG_QUERY__ALTER_TABLE_TYPE__AT_DropColumn:
                if (cmd.behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE) {
                    return unsupported("ALTER TABLE ... DROP COLUMN ... CASCADE", location);
                }
                if (cmd.name == nullptr) return malformed("DROP COLUMN name");
                action.kind = ast::AlterKind::drop_column;
                action.column_name = cmd.name;
                break;
            default:
                return unsupported(alter_action_name(cmd.subtype), location);
        }
        result.actions.push_back(std::move(action));
    }
    return result;
}

}  // namespace kb::sql::parse_internal
