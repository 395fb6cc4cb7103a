// Fuzz target for the store's decoders of bytes read from disk: page headers, sealed pages
// (opened with a fixed test key, so pages in the corpus decrypt), node bodies, superblock copies
// and manifests. Anything must either decode to something that re-encodes to the same bytes or
// be refused with a Status; never crash, never read out of bounds.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "base/assert.h"
#include "crypto/key_hierarchy.h"
#include "store/manifest.h"
#include "store/node.h"
#include "store/page_format.h"
#include "store/superblock.h"
#include "store/tree_table.h"

namespace {

using namespace kb;
using namespace kb::store;

// The page key the corpus pages were sealed with: derived from the same fixed root as the
// tests' (store_test_support.h), for any tenant and epoch a header names.
crypto::SealingKey page_key(TenantId tenant, u64 epoch) {
    crypto::Key256 root;
    for (usize i = 0; i < root.kSize; ++i) root.mutable_bytes()[i] = static_cast<u8>(i * 7 + 3);
    return crypto::SealingKey(crypto::derive_page_key(root, tenant, epoch), "fuzz page key");
}

void exercise_node(const Node& node) {
    bool found = false;
    for (u16 i = 0; i < node.count(); ++i) {
        ByteSpan key = node.key(i);
        (void)node.lower_bound(key, &found);
        KB_ASSERT(found);
        if (node.is_leaf()) {
            (void)node.value(i);
        } else {
            (void)node.child(i);
            KB_ASSERT(node.child_index(key) == i || i == 0);
        }
    }
}

void fuzz_body(ByteSpan body) {
    auto node = Node::decode(body);
    if (!node) return;
    std::array<u8, kPageBodySize> again;
    (*node)->encode(again);
    KB_ASSERT(std::memcmp(again.data(), body.data(), kPageBodySize) == 0);
    exercise_node(**node);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ByteSpan input(data, size);

    // A whole sealed page.
    if (size >= kPageSize) {
        ByteSpan page = input.first(kPageSize);
        auto header = decode_page_header(page);
        if (header && header->address != 0) {
            auto checked =
                check_page_header(page, header->address, header->generation, header->tenant);
            KB_ASSERT(checked.has_value());
            crypto::SealingKey key = page_key(header->tenant, header->epoch);
            std::array<u8, kPageBodySize> body;
            if (open_page_body(*header, key, page, body).is_ok()) fuzz_body(body);
        }
    }

    // A decrypted body (the input zero-padded or cut to size).
    std::array<u8, kPageBodySize> body{};
    if (size > 0) std::memcpy(body.data(), data, std::min<size_t>(size, kPageBodySize));
    fuzz_body(body);

    // A superblock copy.
    if (size >= kSuperblockSize) {
        ByteSpan copy = input.first(kSuperblockSize);
        SuperblockSlot slot = decode_superblock(copy);
        if (slot.state == SlotState::valid) {
            SuperblockBytes again = encode_superblock(slot.superblock);
            KB_ASSERT(std::memcmp(again.data(), copy.data(), kSuperblockSize) == 0);
        }
    }

    // A manifest stream.
    auto manifest = decode_manifest(input, u64{1} << 40, "fuzz");
    if (manifest) {
        Bytes again = encode_manifest(*manifest);
        KB_ASSERT(again.size() == size && size > 0 && std::memcmp(again.data(), data, size) == 0);
    }

    // A tree-table entry.
    (void)decode_tree_root(input.first(std::min<size_t>(size, kTreeValueSize)));
    return 0;
}
