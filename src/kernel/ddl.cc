// DDL changes on a tenant catalog (see ddl.h).
#include "kernel/ddl.h"

#include <type_traits>

namespace kb::kernel {
namespace {

// The sequence must have been created at `at` (earlier in the same op): every other sequence
// hands out values through ReserveSequenceOp, outside transactions.
Outcome advance_sequence(TenantCatalog& catalog, const AdvanceSequenceChange& change, Position at) {
    if (change.count == 0) return Outcome::invalid_definition;
    const auto& sequences = catalog.sequence_versions();
    const auto found = sequences.find(change.sequence);
    if (found == sequences.end() || !found->second.first.live_at(at)) {
        return Outcome::no_such_sequence;
    }
    if (found->second.first.created != at) return Outcome::invalid_definition;
    SequenceBlock block;
    return catalog.reserve(change.sequence, change.count, at, &block);
}

}  // namespace

Outcome apply_ddl(TenantCatalog& catalog, const DdlChange& change, Position at) {
    return std::visit(
        [&](const auto& c) -> Outcome {
            using C = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<C, CreateTableChange>) {
                return catalog.create_table(c.schema, c.sequences, at);
            } else if constexpr (std::is_same_v<C, DropTableChange>) {
                return catalog.drop_table(c.table, at);
            } else if constexpr (std::is_same_v<C, CreateIndexChange>) {
                return catalog.create_index(c.schema, at);
            } else if constexpr (std::is_same_v<C, DropIndexChange>) {
                return catalog.drop_index(c.index, at);
            } else if constexpr (std::is_same_v<C, AddColumnChange>) {
                return catalog.add_column(c.table, c.column, c.sequence, at, c.constraints);
            } else if constexpr (std::is_same_v<C, DropColumnChange>) {
                return catalog.drop_column(c.table, c.column, at);
            } else if constexpr (std::is_same_v<C, CreateSequenceChange>) {
                return catalog.create_sequence(c.schema, at);
            } else if constexpr (std::is_same_v<C, AdvanceSequenceChange>) {
                return advance_sequence(catalog, c, at);
            } else {
                static_assert(std::is_same_v<C, TruncateTableChange>);
                return catalog.table(c.table, at) == nullptr ? Outcome::no_such_table : Outcome::ok;
            }
        },
        change);
}

std::string describe_ddl(const DdlChange& change) {
    const auto quoted = [](const std::string& name) {
        return std::string("\"") + name + std::string("\"");
    };
    return std::visit(
        [&](const auto& c) -> std::string {
            using C = std::decay_t<decltype(c)>;
            if constexpr (std::is_same_v<C, CreateTableChange>) {
                return "create table " + quoted(c.schema.name);
            } else if constexpr (std::is_same_v<C, DropTableChange>) {
                return "drop table " + std::to_string(c.table.value());
            } else if constexpr (std::is_same_v<C, CreateIndexChange>) {
                return "create index " + quoted(c.schema.name);
            } else if constexpr (std::is_same_v<C, DropIndexChange>) {
                return "drop index " + std::to_string(c.index.value());
            } else if constexpr (std::is_same_v<C, AddColumnChange>) {
                return "add column " + quoted(c.column.name) + " to table " +
                       std::to_string(c.table.value());
            } else if constexpr (std::is_same_v<C, DropColumnChange>) {
                return "drop column " + std::to_string(c.column.value()) + " of table " +
                       std::to_string(c.table.value());
            } else if constexpr (std::is_same_v<C, CreateSequenceChange>) {
                return "create sequence " + quoted(c.schema.name);
            } else if constexpr (std::is_same_v<C, AdvanceSequenceChange>) {
                return "draw " + std::to_string(c.count) + " values from new sequence " +
                       std::to_string(c.sequence.value());
            } else {
                return "truncate table " + std::to_string(c.table.value());
            }
        },
        change);
}

}  // namespace kb::kernel
