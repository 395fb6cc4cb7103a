// The catalog as state-hash entries (state_hash.h): one canonical entry per tenant, stream,
// table version, index version and sequence, so the state hash covers the whole catalog.
//
// Apply keeps the hash current by removing a tenant's old entries and adding its new ones when
// its catalog changes (catalogs are small; a stream append changes one stream entry). A full
// recomputation (catalog_state_hash) must give the same hash; tests compare the two.
#pragma once

#include <vector>

#include "base/bytes.h"
#include "kernel/catalog.h"
#include "kernel/state_hash.h"

namespace kb::kernel {

// The entries of one tenant, in id order (the order does not affect the hash).
std::vector<Bytes> tenant_catalog_entries(const TenantCatalog& tenant);

// The same without its streams' entries: the tenant, its tables, indexes and sequences (what a
// schema change or a sequence reservation changes). tenant_catalog_entries = these plus one
// stream_entry per stream.
std::vector<Bytes> tenant_schema_entries(const TenantCatalog& tenant);

// The entry of one stream (changes on every append: next offset).
Bytes stream_entry(TenantId tenant, const StreamInfo& stream);

// The multiset hash of every tenant's entries.
StateHash catalog_state_hash(const Catalog& catalog);

}  // namespace kb::kernel
