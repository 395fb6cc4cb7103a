// The checkpoint manifest: what a superblock needs beside the tree roots, too big for 512 bytes.
//
// It is a byte stream stored in a run of consecutive manifest pages (page_format.h: sealed with
// the system tenant's page key, like every page) that the superblock points at:
//
//     u32 magic "KBSM"
//     u32 meta length, then the meta bytes (the kernel's, opaque here: its state hash ...)
//     u64 tenant count, then per tenant: tenant u64, current page-key epoch u64, pages sealed
//         under that epoch u64 (ascending tenants)
//     u64 free run count, then per run: first page u64, page count u64 (ascending, disjoint,
//         not touching)
//
// The free runs are the pages of [1, page_count) that neither the checkpoint's trees nor this
// manifest reach. Everything at or beyond page_count is free too.
#pragma once

#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "kimberlite/status.h"
#include "store/interval_set.h"
#include "types/ids.h"

namespace kb::store {

inline constexpr u32 kManifestMagic = 0x4d53424b;  // "KBSM"
// The kernel's meta must fit in one manifest; a generous bound that stops runaway callers.
inline constexpr u64 kMetaBytesMax = 1 << 20;

struct EpochState {
    TenantId tenant;
    u64 epoch = 0;
    u64 sealed = 0;  // pages sealed under (tenant, epoch), as of the checkpoint

    friend bool operator==(const EpochState&, const EpochState&) = default;
};

struct Manifest {
    Bytes meta;
    std::vector<EpochState> epochs;
    std::vector<PageRun> free;

    friend bool operator==(const Manifest&, const Manifest&) = default;
};

Bytes encode_manifest(const Manifest& manifest);
// Untrusted bytes (decrypted, but a bug or a forged key must still not crash us): checks the
// structure and that every free run lies in [1, page_count). corruption naming `where`.
Result<Manifest> decode_manifest(ByteSpan bytes, u64 page_count, std::string_view where);

}  // namespace kb::store
