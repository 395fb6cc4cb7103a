// PageWriter: the writer's side of page management — versions, allocation, copy-on-write and
// the rules for reusing freed pages. Loop thread only.
//
// Versions. The writer works on version W (its unpublished changes); Store::publish() makes W
// visible to snapshots and the writer moves on to W + 1. A page records the version that made
// it ("born"). The writer edits a page in place only if it was born in W: nothing published
// can reach it. Any other page is copied first (copy-on-write, path copying up to the root), and
// the original is retired: it stays readable by the snapshots and the durable checkpoint that
// may still reach it.
//
// Reuse. A page retired in version V (no state >= V reaches it) returns to the free set once
//   (a) no live snapshot is older than V (the store tracks snapshot versions), and
//   (b) either a checkpoint of a version >= V is durable (so no durable superblock reaches
//       it: after a crash the newest superblock is the one used), or the page was never
//       written at all (still dirty, and no checkpoint is writing it).
// Pages born in W and retired in W were never visible to anyone and are free at once. So a
// page reachable from a durable superblock or from a live snapshot is never overwritten
// (DESIGN.md §3, "Store").
//
// Generations. Each new page gets the next generation number; parents store it beside the
// address, so a page read back must carry it (page_format.h). The counter is persisted in the
// superblock, and a store opened after a crash starts 2^32 past it: pages written but never
// made durable by the previous process can then never match a reference of the new one.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "base/bytes.h"
#include "store/interval_set.h"
#include "store/node.h"
#include "store/page_file.h"

namespace kb::store {

class PageWriter {
public:
    // `free` and `page_count` describe the durable state the store opened (page_count: pages
    // [0, page_count) exist in the file; everything beyond is free).
    PageWriter(PageFile& file, u64 version, u64 next_generation, IntervalSet free, u64 page_count);
    PageWriter(const PageWriter&) = delete;
    PageWriter& operator=(const PageWriter&) = delete;

    // Called when an allocation finds no free page, before the file is extended: the store
    // reclaims what snapshots released since it last looked.
    void set_on_exhausted(std::function<void()> hook) { on_exhausted_ = std::move(hook); }

    const PageFile& file() const { return file_; }
    PageCache& cache() const { return file_.cache(); }
    u64 version() const { return version_; }
    u64 next_generation() const { return next_generation_; }
    u64 page_count() const { return page_count_; }

    // --- Pages of the working version ---

    // A new empty node born in the working version, pinned in the cache.
    std::shared_ptr<Node> new_node(TenantId tenant, PageKind kind, u8 level);
    // `node` itself if it was born in the working version, else a copy born in it (and `node`
    // is retired).
    std::shared_ptr<Node> writable(const std::shared_ptr<const Node>& node);
    // Stores `value` in a new overflow run; returns its first page.
    PageRef new_run(TenantId tenant, ByteSpan value);
    // Takes `pages` consecutive addresses for a page of the working version.
    u64 allocate(u64 pages);
    // Takes `pages` consecutive addresses for a checkpoint manifest, which belongs to no
    // version: the checkpoint releases it once the next superblock is durable.
    u64 allocate_manifest(u64 pages);
    // The working version no longer reaches these pages (see the top of this file).
    void retire(const Node& node) { retire(node.address(), 1); }
    void retire_run(PageRef run, u64 length) { retire(run.address, run_pages_for(length)); }
    void retire(u64 address, u64 pages);
    // Pages nobody can reach (an abandoned manifest): free at once.
    void release(u64 address, u64 pages);
    // A generation number for a page written outside the trees (a manifest run).
    u64 take_generation() { return next_generation_++; }

    // --- Versions and reuse ---

    // The working version was published; the writer moves to the next.
    void published();
    // Frees what rules (a) and (b) allow, given the oldest version a live snapshot holds and
    // the newest durable version.
    void reclaim(u64 oldest_live_version, u64 durable_version);
    // Pages a checkpoint of `version` (the latest published one) may record as free: neither
    // that version nor `manifest` (the run its manifest is written to) reaches them.
    IntervalSet free_at(u64 version, PageRun manifest) const;

    // Every address the writer accounts for: free, retired, or allocated since the last
    // publish (for integrity checks: the rest must be reachable from the published state).
    IntervalSet accounted() const;

    // For stats and tests.
    u64 free_pages() const { return free_.size(); }
    u64 retired_pages() const;
    const IntervalSet& free_set() const { return free_; }

private:
    struct Retired {
        u64 address = 0;
        u64 pages = 0;
        u64 freed_at = 0;
        // The page while it was not on disk when retired (dirty or being written): if it is
        // still dirty when no snapshot needs it, it was never written and is free at once.
        std::shared_ptr<const PageObject> unwritten;
    };
    void free_now(u64 address, u64 pages);
    u64 take_addresses(u64 pages);
    u64 new_identity(PageObject& page, TenantId tenant, u64 pages);

    PageFile& file_;
    u64 version_;
    u64 next_generation_;
    IntervalSet free_;
    u64 page_count_;
    std::function<void()> on_exhausted_;
    IntervalSet allocated_in_working_;      // allocated since the last publish
    std::deque<Retired> retired_;           // waiting for snapshots, by freed_at
    std::deque<Retired> awaiting_durable_;  // waiting for a durable checkpoint, by freed_at
};

}  // namespace kb::store
