// compute_state_hash: the state hash recomputed from a snapshot's trees (see kernel.h), the
// check that incremental maintenance at apply stays exact.
//
// The entries, and where each comes from (docs/FORMATS.md, "Kernel state"):
//   catalog      every tenant, stream, table / index / sequence version (catalog_entries.h),
//                from the tenants, catalog and streams trees
//   events       one per append op, from each tenant's events tree (append_entry)
//   idempotency  one per record, from each tenant's idempotency tree
//   settings     one per setting that differs from its default, from the meta bytes
//   rows         a version entry per row version and an end entry per ended version, from
//                every table tree; index trees the same way (an index entry is a "row" of the
//                index's object id whose image is the primary key)
//   roles        the roles and grants trees of the system the same way (tenant 0, the tree's
//                number as the table)
#include "kernel/catalog_entries.h"
#include "kernel/idempotency.h"
#include "kernel/kernel.h"
#include "kernel/kernel_reads.h"
#include "kernel/kernel_state.h"
#include "kernel/kernel_trees.h"
#include "store/mvcc.h"

namespace kb::kernel {
namespace {

Status add_events(const store::Snapshot& view, TenantId tenant, StateHash& hash) {
    auto cursor = KB_TRY(view.scan(trees::events(tenant), {}, {}));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        const ByteSpan key = cursor.key();
        if (key.size() != 16) {
            return Status::corruption("tenant " + std::to_string(tenant.value()) +
                                      ": an event key of " + std::to_string(key.size()) + " bytes");
        }
        const StreamId stream(trees::load_be64(key.data()));
        const Offset first(trees::load_be64(key.data() + 8));
        const ByteSpan value = KB_TRY(cursor.value());
        const auto append = KB_TRY(trees::parse_append_value(value, stream, first));
        hash.add(append_entry(tenant, stream, first, append));
    }
    return Status::ok();
}

Status add_idempotency_records(const store::Snapshot& view, TenantId tenant, StateHash& hash) {
    const u8 lower[] = {idempotency::kRecordPrefix};
    const u8 upper[] = {idempotency::kRecordPrefix + 1};
    auto cursor = KB_TRY(view.scan(trees::idempotency(tenant), lower, upper));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        const ByteSpan key = cursor.key();
        if (key.size() != 1 + IdempotencyId::kSize) {
            return Status::corruption("tenant " + std::to_string(tenant.value()) +
                                      ": an idempotency key of " + std::to_string(key.size()) +
                                      " bytes");
        }
        const IdempotencyId id = IdempotencyId::from_bytes(key.subspan(1));
        hash.add(idempotency::record_entry(tenant, id, KB_TRY(cursor.value())));
    }
    return Status::ok();
}

Status add_versions(const store::Snapshot& view, store::TreeId tree, StateHash& hash) {
    const u64 tenant = tree.tenant.value();
    auto cursor = KB_TRY(store::MvccVersionCursor::open(view, tree, {}, {}));
    for (; cursor.valid(); KB_TRY(cursor.next())) {
        const store::Version& version = cursor.version();
        hash.add(row_version_entry(tenant, tree.number, cursor.key(), version.row,
                                   version.created.value()));
        if (version.ended != Position::none()) {
            hash.add(row_end_entry(tenant, tree.number, cursor.key(), version.created.value(),
                                   version.ended.value()));
        }
    }
    return Status::ok();
}

}  // namespace

Result<StateHash> compute_state_hash(const store::Snapshot& view) {
    Settings settings;
    if (!view.meta().empty()) settings = KB_TRY(decode_meta(view.meta())).settings;
    const Catalog catalog = KB_TRY(reads::catalog(view));

    StateHash hash = catalog_state_hash(catalog);
    for (u16 number = 1; number <= static_cast<u16>(kSettingMax); ++number) {
        const auto setting = static_cast<Setting>(number);
        const u64 value = setting_value(settings, setting);
        if (!setting_is_default(setting, value)) hash.add(setting_entry(setting, value));
    }
    for (const store::TreeId tree : {trees::kRoles, trees::kGrants, trees::kApiKeys}) {
        if (KB_TRY(view.has_tree(tree))) KB_TRY(add_versions(view, tree, hash));
    }
    for (const auto& [tenant, unused] : catalog.tenants()) {
        KB_TRY(add_events(view, tenant, hash));
        KB_TRY(add_idempotency_records(view, tenant, hash));
        // Every table and index tree: object ids sit below the kernel's own tree numbers.
        for (const store::TreeId tree : KB_TRY(view.trees(tenant))) {
            if (tree.number < trees::kFirstInternalNumber) KB_TRY(add_versions(view, tree, hash));
        }
    }
    return hash;
}

}  // namespace kb::kernel
