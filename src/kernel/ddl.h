// One DDL change applied to a tenant's catalog: the single place that maps each DdlChange kind
// (op.h) to its TenantCatalog mutation, used alike by the session that builds a transaction,
// the primary's admission and apply, so all three decide the same outcome.
#pragma once

#include <string>

#include "kernel/catalog.h"
#include "kernel/op.h"
#include "kernel/outcome.h"

namespace kb::kernel {

// Applies `change` at position `at`. A truncate changes no schema: it is ok when the table is
// live at `at` (no_such_table otherwise); the rows are the store's business.
Outcome apply_ddl(TenantCatalog& catalog, const DdlChange& change, Position at);

// "create table \"accounts\"", "drop index 7", ... for messages.
std::string describe_ddl(const DdlChange& change);

}  // namespace kb::kernel
