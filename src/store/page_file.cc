// PageFile: checked, decrypted page reads and page sealing (see page_file.h).
#include "store/page_file.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace kb::store {

PageFile::PageFile(io::Storage& storage, io::FileHandle file, PageKeySource& keys, PageCache& cache)
    : storage_(storage), file_(file), keys_(keys), cache_(cache) {}

Result<crypto::SealingKey*> PageFile::key_locked(TenantId tenant, u64 epoch) const {
    auto it = key_cache_.find({tenant, epoch});
    if (it != key_cache_.end()) return it->second;
    auto key = keys_.page_key(tenant, epoch);
    if (!key) {
        return key.error().with_context("page key of tenant " + std::to_string(tenant.value()) +
                                        " epoch " + std::to_string(epoch));
    }
    key_cache_.emplace(std::pair{tenant, epoch}, *key);
    return *key;
}

Status PageFile::open_page(ByteSpan page, u64 address, u64 generation, TenantId tenant,
                           MutableByteSpan body) const {
    PageHeader header = KB_TRY(check_page_header(page, address, generation, tenant));
    std::lock_guard lock(mutex_);
    crypto::SealingKey* key = KB_TRY(key_locked(tenant, header.epoch));
    return open_page_body(header, *key, page, body);
}

Result<std::shared_ptr<const Node>> PageFile::node(PageRef ref, TenantId tenant) const {
    KB_ASSERT(!ref.empty());
    if (std::shared_ptr<PageObject> cached = cache_.find(ref.address)) {
        KB_ASSERT_MSG(cached->generation() == ref.generation &&
                          (cached->kind() == PageKind::leaf || cached->kind() == PageKind::inner),
                      "the cache holds another page at a referenced address");
        return std::static_pointer_cast<const Node>(std::move(cached));
    }
    std::array<u8, kPageSize> page;
    const usize got = KB_TRY(storage_.read_sync(file_, ref.address * kPageSize, page));
    if (got != kPageSize) {
        return Status::corruption(describe_page(ref.address) + ": beyond the end of the page file");
    }
    std::array<u8, kPageBodySize> body;
    KB_TRY(open_page(page, ref.address, ref.generation, tenant, body));
    auto decoded = Node::decode(body);
    if (!decoded) return decoded.error().with_context(describe_page(ref.address));
    std::shared_ptr<Node> node = std::move(*decoded);
    node->set_identity(ref.address, ref.generation, tenant, 0);
    node->write_state = WriteState::clean;
    auto resident = cache_.insert_loaded(std::move(node));
    KB_ASSERT(resident->generation() == ref.generation);
    return std::static_pointer_cast<const Node>(resident);
}

Status PageFile::read_value(PageRef run, u64 length, TenantId tenant, Bytes& out) const {
    KB_ASSERT(!run.empty());
    if (auto cached = cache_.find(run.address)) {
        KB_ASSERT_MSG(
            cached->generation() == run.generation && cached->kind() == PageKind::overflow,
            "the cache holds another page at a referenced address");
        ByteSpan value = static_cast<const OverflowRun&>(*cached).value();
        if (value.size() != length) {
            return Status::corruption(describe_page(run.address) + ": overflow value of " +
                                      std::to_string(value.size()) + " bytes where " +
                                      std::to_string(length) + " were expected");
        }
        out.insert(out.end(), value.begin(), value.end());
        return Status::ok();
    }
    return read_run(run, run_pages_for(length), length, tenant, PageKind::overflow, out);
}

Status PageFile::read_run(PageRef first, u64 pages, u64 length, TenantId tenant, PageKind kind,
                          Bytes& out) const {
    KB_ASSERT(pages >= 1 && length <= pages * kRunPageDataSize);
    // Read in chunks so a 16 MiB value needs no second 16 MiB buffer.
    constexpr u64 kChunkPages = 64;
    Bytes buffer(static_cast<usize>(std::min(pages, kChunkPages) * kPageSize));
    std::array<u8, kPageBodySize> body;
    u64 remaining = length;
    out.reserve(out.size() + length);
    for (u64 done = 0; done < pages;) {
        const u64 chunk = std::min(pages - done, kChunkPages);
        MutableByteSpan view(buffer.data(), chunk * kPageSize);
        const usize got =
            KB_TRY(storage_.read_sync(file_, (first.address + done) * kPageSize, view));
        if (got != view.size()) {
            return Status::corruption(describe_page(first.address + done + got / kPageSize) +
                                      ": beyond the end of the page file");
        }
        for (u64 i = 0; i < chunk; ++i) {
            const u64 address = first.address + done + i;
            KB_TRY(open_page(view.subspan(i * kPageSize, kPageSize), address, first.generation,
                             tenant, body));
            // The body header: the kind byte, then seven zero bytes.
            const bool header_ok = body[0] == static_cast<u8>(kind) &&
                                   std::all_of(body.begin() + 1, body.begin() + kRunPageHeaderSize,
                                               [](u8 byte) { return byte == 0; });
            if (!header_ok) {
                return Status::corruption(describe_page(address) + ": not a page of kind " +
                                          std::to_string(static_cast<int>(kind)));
            }
            const u64 take = std::min<u64>(remaining, kRunPageDataSize);
            const u8* data = body.data() + kRunPageHeaderSize;
            out.insert(out.end(), data, data + take);
            for (u64 j = take; j < kRunPageDataSize; ++j) {
                if (data[j] != 0) {
                    return Status::corruption(describe_page(address) +
                                              ": bytes past the end of its value are not zero");
                }
            }
            remaining -= take;
        }
        done += chunk;
    }
    return Status::ok();
}

Status PageFile::seal(u64 address, u64 generation, TenantId tenant, u64 epoch, ByteSpan body,
                      MutableByteSpan page, crypto::RandomSource& random) {
    std::lock_guard lock(mutex_);
    crypto::SealingKey* key = KB_TRY(key_locked(tenant, epoch));
    return seal_page(address, generation, tenant, epoch, *key, random, body, page);
}

}  // namespace kb::store
