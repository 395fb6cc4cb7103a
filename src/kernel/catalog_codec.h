// Deterministic bytes for the whole catalog (catalog.h): every tenant with its streams and
// every version of its tables, indexes and sequences. Layout in docs/FORMATS.md ("Catalog").
//
// Equal catalogs encode to equal bytes on every replica: containers are written in id order,
// and decode refuses anything encode would not have written (ids out of order, an unknown
// enum, trailing bytes), so decode(bytes) re-encodes to exactly `bytes`. Decode reads bytes
// from the store, so it is untrusted: never crashes, returns corruption saying what is wrong,
// unsupported for a format version other than kCatalogFormatVersion or an older one it still
// reads (version 1: tenants without a dropped position; re-encoded as the current version).
#pragma once

#include "base/bytes.h"
#include "kernel/catalog.h"
#include "kimberlite/status.h"

namespace kb::kernel {

// 2: tenants carry the position they were dropped at (DROP DATABASE).
inline constexpr u8 kCatalogFormatVersion = 2;
inline constexpr u8 kCatalogFormatVersionOldest = 1;

Bytes encode_catalog(const Catalog& catalog);
Result<Catalog> decode_catalog(ByteSpan bytes);

// --- one tenant's catalog in parts -----------------------------------------------------------
// The kernel stores a tenant's catalog in three parts (docs/FORMATS.md, "Kernel state") so a
// stream append rewrites one small stream record, not the schema. Each part starts with the
// format version byte and holds the same fields as the whole-catalog encoding above.

// id | name | created | KEK | root key | dropped.
Bytes encode_tenant_info(const TenantInfo& info);
Result<TenantInfo> decode_tenant_info(ByteSpan bytes);
// id | name | data class | created | deleted | next offset.
Bytes encode_stream_info(const StreamInfo& stream);
Result<StreamInfo> decode_stream_info(ByteSpan bytes);
// catalog version | next object id | next stream id | last change | tables | indexes |
// sequences (with their reservation state).
Bytes encode_tenant_schema(const TenantCatalog& tenant);
// The tenant's catalog from its parts; `streams` in increasing id order (corruption otherwise).
Result<TenantCatalog> decode_tenant_catalog(TenantInfo info, ByteSpan schema,
                                            std::vector<StreamInfo> streams);
// A catalog of these tenants (distinct ids: asserted).
Catalog assemble_catalog(std::vector<TenantCatalog> tenants);

}  // namespace kb::kernel
