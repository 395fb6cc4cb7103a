// PageFile: reads pages of the store's page file into the cache, checked and decrypted, and
// seals pages for writing.
//
// A page is checked when it is read from disk (page_format.h: CRC, address, tenant, generation,
// AEAD tag) and its body validated (node.h), never on a cache hit. The parent's reference says
// which generation and tenant to expect, so a stale or misdirected page is reported as
// corruption naming its address instead of being returned.
//
// Threads: node() and read_value() run on any thread (readers miss the cache too); reads use
// Storage::read_sync. Page keys are not thread-safe (crypto/sealer.h), so every use of one, and
// every call to the PageKeySource, happens under one mutex: reader threads that miss the cache
// decrypt one page at a time (~1 µs per 4 KiB page with AES-NI).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "base/bytes.h"
#include "crypto/random.h"
#include "io/storage.h"
#include "kimberlite/status.h"
#include "store/node.h"
#include "store/page_cache.h"
#include "store/page_keys.h"

namespace kb::store {

class PageFile {
public:
    // All four must outlive the PageFile.
    PageFile(io::Storage& storage, io::FileHandle file, PageKeySource& keys, PageCache& cache);

    io::FileHandle file() const { return file_; }
    PageCache& cache() const { return cache_; }

    // The node `ref` of `tenant` points at: from the cache, else read and checked. Any thread.
    Result<std::shared_ptr<const Node>> node(PageRef ref, TenantId tenant) const;
    // The value of an overflow run of `length` bytes, appended to `out`. Any thread.
    Status read_value(PageRef run, u64 length, TenantId tenant, Bytes& out) const;
    // Reads a run of `pages` pages of `kind` (overflow or manifest) from disk, bypassing the
    // cache, and appends its first `length` data bytes to `out`. Any thread.
    Status read_run(PageRef first, u64 pages, u64 length, TenantId tenant, PageKind kind,
                    Bytes& out) const;

    // Seals a page body for `address` (see seal_page). Loop thread.
    Status seal(u64 address, u64 generation, TenantId tenant, u64 epoch, ByteSpan body,
                MutableByteSpan page, crypto::RandomSource& random);

private:
    // Opens a page read from disk into `body` after checking its header.
    Status open_page(ByteSpan page, u64 address, u64 generation, TenantId tenant,
                     MutableByteSpan body) const;
    // The key of (tenant, epoch); call with mutex_ held.
    Result<crypto::SealingKey*> key_locked(TenantId tenant, u64 epoch) const;

    io::Storage& storage_;
    io::FileHandle file_;
    PageKeySource& keys_;
    PageCache& cache_;
    mutable std::mutex mutex_;  // guards keys_, key_cache_ and every use of a key
    mutable std::map<std::pair<TenantId, u64>, crypto::SealingKey*> key_cache_;
};

}  // namespace kb::store
