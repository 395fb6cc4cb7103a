// Tests of node bodies: edits against a model, canonical encoding, and refusal of damaged
// bodies (decode must never accept something encode would not write).
#include "store/node.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <array>
#include <map>

#include "base/prng.h"

namespace kb::store {
namespace {

Bytes random_bytes(Prng& prng, usize max_size) {
    Bytes out(prng.uniform(max_size + 1));
    prng.fill(out);
    return out;
}

ByteSpan leaf_entry(ByteSpan key, ByteSpan value, std::array<u8, Node::kEntryFootprintMax>& out) {
    LeafValue stored;
    stored.length = static_cast<u32>(value.size());
    stored.bytes = value;
    return ByteSpan(out.data(), Node::encode_leaf_entry(key, stored, out));
}

// Checks a leaf against the model: order, values, and that it survives encode/decode.
void expect_leaf_equals(const Node& node, const std::map<Bytes, Bytes>& model) {
    ASSERT_EQ(node.count(), model.size());
    u16 i = 0;
    for (const auto& [key, value] : model) {
        ASSERT_EQ(Bytes(node.key(i).begin(), node.key(i).end()), key);
        const LeafValue stored = node.value(i);
        ASSERT_FALSE(stored.overflow);
        ASSERT_EQ(Bytes(stored.bytes.begin(), stored.bytes.end()), value);
        bool found = false;
        EXPECT_EQ(node.lower_bound(key, &found), i);
        EXPECT_TRUE(found);
        ++i;
    }
    std::array<u8, kPageBodySize> body;
    node.encode(body);
    auto decoded = Node::decode(body);
    ASSERT_TRUE(decoded) << decoded.status().to_string();
    std::array<u8, kPageBodySize> again;
    (*decoded)->encode(again);
    EXPECT_EQ(body, again);
    EXPECT_EQ((*decoded)->used_bytes(), node.used_bytes());
}

RC_GTEST_PROP(Node, LeafEditsMatchAModel, (u64 seed)) {
    Prng prng(seed);
    Node node(PageKind::leaf, 0);
    std::map<Bytes, Bytes> model;
    std::array<u8, Node::kEntryFootprintMax> buffer;
    for (int op = 0; op < 300; ++op) {
        if (model.empty() || prng.chance(2, 3)) {
            Bytes key = random_bytes(prng, 24);
            Bytes value = random_bytes(prng, prng.coin() ? 16 : 600);
            bool found = false;
            const u16 index = node.lower_bound(key, &found);
            if (found) {
                node.remove(index);
                model.erase(key);
            }
            if (node.insert_raw(index, leaf_entry(key, value, buffer))) {
                model[key] = value;
            } else {
                LeafValue rejected;
                rejected.length = static_cast<u32>(value.size());
                RC_ASSERT(node.used_bytes() + Node::kSlotSize +
                              Node::leaf_entry_size(key.size(), rejected) >
                          Node::kCapacity);
            }
        } else {
            auto it = model.begin();
            std::advance(it, static_cast<std::ptrdiff_t>(prng.uniform(model.size())));
            bool found = false;
            const u16 index = node.lower_bound(it->first, &found);
            RC_ASSERT(found);
            node.remove(index);
            model.erase(it);
        }
    }
    expect_leaf_equals(node, model);
    RC_ASSERT(!::testing::Test::HasFailure());
}

TEST(Node, InnerChildIndexFollowsSeparators) {
    Node node(PageKind::inner, 1);
    std::array<u8, Node::kEntryFootprintMax> buffer;
    const char* keys[] = {"", "c", "f", "m"};
    for (u16 i = 0; i < 4; ++i) {
        ByteSpan key = as_bytes(keys[i]);
        ASSERT_TRUE(node.insert_raw(
            i, ByteSpan(buffer.data(), Node::encode_inner_entry(key, {100u + i, 7}, buffer))));
    }
    EXPECT_EQ(node.child_index(as_bytes("")), 0);
    EXPECT_EQ(node.child_index(as_bytes("a")), 0);
    EXPECT_EQ(node.child_index(as_bytes("c")), 1);
    EXPECT_EQ(node.child_index(as_bytes("e")), 1);
    EXPECT_EQ(node.child_index(as_bytes("f")), 2);
    EXPECT_EQ(node.child_index(as_bytes("z")), 3);
    EXPECT_EQ(node.child(2), (PageRef{102, 7}));
    node.set_child(2, {555, 9});
    EXPECT_EQ(node.child(2), (PageRef{555, 9}));
}

TEST(Node, EntriesOverTheFootprintGoToOverflow) {
    EXPECT_FALSE(Node::needs_overflow(16, 1000));
    EXPECT_TRUE(Node::needs_overflow(16, 2000));
    EXPECT_TRUE(Node::needs_overflow(kStoreKeyBytesMax, 300));
    // The longest key with an overflow reference still fits a third of a page.
    LeafValue overflow{.overflow = true, .length = 5000, .bytes = {}, .run = {1, 1}};
    EXPECT_LE(Node::leaf_entry_size(kStoreKeyBytesMax, overflow) + Node::kSlotSize,
              Node::kEntryFootprintMax);
}

// A full, valid leaf body for the damage tests.
std::array<u8, kPageBodySize> sample_body() {
    Node node(PageKind::leaf, 0);
    std::array<u8, Node::kEntryFootprintMax> buffer;
    for (u16 i = 0; i < 20; ++i) {
        std::string key = "key-" + std::to_string(100 + i);
        std::string value(30, static_cast<char>('a' + i));
        KB_ASSERT(node.insert_raw(i, leaf_entry(as_bytes(key), as_bytes(value), buffer)));
    }
    std::array<u8, kPageBodySize> body;
    node.encode(body);
    return body;
}

TEST(Node, DecodeRefusesDamage) {
    const auto good = sample_body();
    ASSERT_TRUE(Node::decode(good));
    auto bad_kind = good;
    bad_kind[0] = 9;
    EXPECT_EQ(Node::decode(bad_kind).status().code(), StatusCode::corruption);
    auto bad_level = good;
    bad_level[1] = 2;
    EXPECT_EQ(Node::decode(bad_level).status().code(), StatusCode::corruption);
    auto bad_count = good;
    bad_count[2] = 200;
    EXPECT_EQ(Node::decode(bad_count).status().code(), StatusCode::corruption);
    auto dirty_free = good;
    dirty_free[200] = 1;
    EXPECT_EQ(Node::decode(dirty_free).status().code(), StatusCode::corruption);
    // Swap the last two keys' first differing byte: out of order.
    auto unordered = good;
    const usize last_key = kPageBodySize - 30 - 7;
    unordered[last_key] = '0';
    EXPECT_EQ(Node::decode(unordered).status().code(), StatusCode::corruption);
}

// Any bytes: decode refuses or accepts something that re-encodes to the same bytes.
RC_GTEST_PROP(Node, DecodeOfAnyBytesIsSafeAndCanonical, (u64 seed)) {
    Prng prng(seed);
    auto body = sample_body();
    for (int flips = static_cast<int>(prng.uniform(4)); flips >= 0; --flips) {
        body[prng.uniform(body.size())] ^= static_cast<u8>(1u << prng.uniform(8));
    }
    auto decoded = Node::decode(body);
    if (decoded) {
        std::array<u8, kPageBodySize> again;
        (*decoded)->encode(again);
        RC_ASSERT(again == body);
    }
}

}  // namespace
}  // namespace kb::store
