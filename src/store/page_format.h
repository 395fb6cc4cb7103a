// The on-disk page: a 64-byte clear header, an AES-256-GCM sealed body, and the tag.
//
//     [0, 64)       header (clear; docs/FORMATS.md, "Store page")
//     [64, 4080)    body, 4016 bytes, sealed with the tenant's page key of `epoch`
//     [4080, 4096)  AEAD tag
//
// Header: magic "KBSP", format version, the page's own address, its generation, tenant, key
// epoch, the random nonce, and a CRC32C over the rest of the page (bytes [0, 60) and
// [64, 4096): everything but the checksum itself). The associated data of the seal is header bytes
// [0, 40) — magic, version, address, generation, tenant, epoch — so a page written to the wrong
// place (misdirected) or an older page left at an address (stale) fails to open even if its CRC is
// intact, and a page of one tenant cannot be passed off as another's.
//
// Reading checks, in order: CRC (torn or damaged page), magic, version (unknown: unsupported),
// address (misdirected), tenant, generation (stale), then the AEAD tag. Every failure is a
// Status naming the page address. Pages are checked when read from disk, not on cache hits.
#pragma once

#include <array>
#include <string>

#include "base/bytes.h"
#include "base/ints.h"
#include "crypto/aead.h"
#include "crypto/random.h"
#include "crypto/sealer.h"
#include "kimberlite/status.h"
#include "store/types.h"
#include "types/ids.h"
#include "types/limits.h"

namespace kb::store {

inline constexpr u32 kPageMagic = 0x5053424b;  // "KBSP"
inline constexpr u16 kPageFormatVersion = 1;

inline constexpr usize kPageSize = limits::kPageSizeBytes;
inline constexpr usize kPageHeaderSize = 64;
inline constexpr usize kPageAadSize = 40;  // header bytes [0, 40) are the associated data
inline constexpr usize kPageBodySize = kPageSize - kPageHeaderSize - crypto::kAeadTagSize;
inline constexpr usize kPageChecksumOffset = 60;

static_assert(kPageBodySize == 4016);

// What a page body holds: its first byte. Never renumber.
enum class PageKind : u8 {
    leaf = 1,      // B+tree leaf (node.h)
    inner = 2,     // B+tree inner node (node.h)
    overflow = 3,  // a piece of a large value (a run of consecutive pages)
    manifest = 4,  // a piece of the checkpoint manifest (manifest.h)
};

// Overflow and manifest pages carry 8 bytes of body header (kind, then zeros) and data.
inline constexpr usize kRunPageHeaderSize = 8;
inline constexpr usize kRunPageDataSize = kPageBodySize - kRunPageHeaderSize;

// Pages needed for `bytes` bytes of run data (at least one).
inline u64 run_pages_for(u64 bytes) {
    return bytes == 0 ? 1 : (bytes + kRunPageDataSize - 1) / kRunPageDataSize;
}

struct PageHeader {
    u64 address = 0;
    u64 generation = 0;
    TenantId tenant;
    u64 epoch = 0;
    crypto::AeadNonce nonce{};
};

// Seals `body` (kPageBodySize bytes) into `page` (kPageSize bytes) under `key`, filling the
// header from the other arguments and a fresh nonce. Status::crypto if the key is spent.
Status seal_page(u64 address, u64 generation, TenantId tenant, u64 epoch, crypto::SealingKey& key,
                 crypto::RandomSource& random, ByteSpan body, MutableByteSpan page);

// Checks a page read from `address` that its parent expects at `generation` of `tenant`
// (everything but the tag; see the top of this file). Returns the header (the epoch says
// which key opens it). corruption or unsupported, naming the address.
Result<PageHeader> check_page_header(ByteSpan page, u64 address, u64 generation, TenantId tenant);

// Decodes the header without any expectation (for tools and the fuzz target). Checks CRC,
// magic and version only.
Result<PageHeader> decode_page_header(ByteSpan page);

// Opens the body of a page whose header check_page_header accepted, into `body`
// (kPageBodySize bytes). Status::crypto naming the address if the tag does not verify.
Status open_page_body(const PageHeader& header, crypto::SealingKey& key, ByteSpan page,
                      MutableByteSpan body);

// "store page 1234", the prefix of every message about a page.
std::string describe_page(u64 address);

}  // namespace kb::store
