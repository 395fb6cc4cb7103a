// PageWriter: allocation, copy-on-write and page reuse (see page_writer.h).
#include "store/page_writer.h"

#include <vector>

namespace kb::store {

PageWriter::PageWriter(PageFile& file, u64 version, u64 next_generation, IntervalSet free,
                       u64 page_count)
    : file_(file),
      version_(version),
      next_generation_(next_generation),
      free_(std::move(free)),
      page_count_(page_count) {
    KB_ASSERT(page_count_ >= 1);  // page 0 is never used
    KB_ASSERT(!free_.contains(0));
    KB_ASSERT(free_.end() <= page_count_);
}

u64 PageWriter::take_addresses(u64 pages) {
    KB_ASSERT(pages >= 1);
    if (auto taken = free_.take(pages)) return *taken;
    if (on_exhausted_) {
        on_exhausted_();
        if (auto taken = free_.take(pages)) return *taken;
    }
    const u64 address = page_count_;
    page_count_ += pages;
    return address;
}

u64 PageWriter::allocate(u64 pages) {
    const u64 address = take_addresses(pages);
    allocated_in_working_.add(address, pages);
    return address;
}

u64 PageWriter::allocate_manifest(u64 pages) { return take_addresses(pages); }

u64 PageWriter::new_identity(PageObject& page, TenantId tenant, u64 pages) {
    const u64 address = allocate(pages);
    page.set_identity(address, next_generation_++, tenant, version_);
    page.write_state = WriteState::dirty;
    return address;
}

std::shared_ptr<Node> PageWriter::new_node(TenantId tenant, PageKind kind, u8 level) {
    auto node = std::make_shared<Node>(kind, level);
    new_identity(*node, tenant, 1);
    cache().insert_pinned(node);
    return node;
}

std::shared_ptr<Node> PageWriter::writable(const std::shared_ptr<const Node>& node) {
    if (node->born_version() == version_) {
        // Born in the working version: nothing published reaches it, so the writer owns it.
        return std::const_pointer_cast<Node>(node);
    }
    // A copy of the whole body (holes and all: compaction happens when space runs out or the
    // page is written), then a new identity.
    auto copy = std::make_shared<Node>(*node);
    new_identity(*copy, node->tenant(), 1);
    cache().insert_pinned(copy);
    retire(*node);
    return copy;
}

PageRef PageWriter::new_run(TenantId tenant, ByteSpan value) {
    auto run = std::make_shared<OverflowRun>(Bytes(value.begin(), value.end()));
    new_identity(*run, tenant, run->page_count());
    cache().insert_pinned(run);
    return run->ref();
}

void PageWriter::retire(u64 address, u64 pages) {
    std::shared_ptr<PageObject> resident = cache().find(address);
    if (resident && resident->born_version() == version_) {
        // Never published: no snapshot or checkpoint can reach it.
        KB_ASSERT(resident->write_state == WriteState::dirty);
        free_now(address, pages);
        return;
    }
    Retired retired{.address = address, .pages = pages, .freed_at = version_, .unwritten = {}};
    if (resident && resident->write_state != WriteState::clean) retired.unwritten = resident;
    retired_.push_back(std::move(retired));
}

void PageWriter::release(u64 address, u64 pages) { free_now(address, pages); }

void PageWriter::free_now(u64 address, u64 pages) {
    cache().erase(address);
    free_.add(address, pages);
}

void PageWriter::published() {
    ++version_;
    allocated_in_working_ = IntervalSet();
}

void PageWriter::reclaim(u64 oldest_live_version, u64 durable_version) {
    while (!retired_.empty() && retired_.front().freed_at <= oldest_live_version) {
        Retired retired = std::move(retired_.front());
        retired_.pop_front();
        const bool never_written =
            retired.unwritten && retired.unwritten->write_state == WriteState::dirty;
        if (retired.freed_at <= durable_version || never_written) {
            free_now(retired.address, retired.pages);
        } else {
            retired.unwritten.reset();
            awaiting_durable_.push_back(std::move(retired));
        }
    }
    while (!awaiting_durable_.empty() && awaiting_durable_.front().freed_at <= durable_version) {
        free_now(awaiting_durable_.front().address, awaiting_durable_.front().pages);
        awaiting_durable_.pop_front();
    }
}

IntervalSet PageWriter::free_at(u64 version, PageRun manifest) const {
    KB_ASSERT(version + 1 == version_);
    IntervalSet free = free_;
    free.add(allocated_in_working_);
    for (const Retired& retired : retired_) {
        if (retired.freed_at <= version) free.add(retired.address, retired.pages);
    }
    for (const Retired& retired : awaiting_durable_) {
        if (retired.freed_at <= version) free.add(retired.address, retired.pages);
    }
    // Addresses allocated in the working version, freed and taken again for the manifest.
    free.subtract(manifest.start, manifest.count);
    return free;
}

IntervalSet PageWriter::accounted() const {
    IntervalSet all = free_;
    all.add(allocated_in_working_);
    for (const Retired& retired : retired_) all.add(retired.address, retired.pages);
    for (const Retired& retired : awaiting_durable_) all.add(retired.address, retired.pages);
    return all;
}

u64 PageWriter::retired_pages() const {
    u64 pages = 0;
    for (const Retired& retired : retired_) pages += retired.pages;
    for (const Retired& retired : awaiting_durable_) pages += retired.pages;
    return pages;
}

}  // namespace kb::store
