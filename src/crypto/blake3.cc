// BLAKE3 hasher: chunk chaining, the tree of parent nodes, the three modes, extendable
// output, and choosing a compression back end (blake3_impl.h) from the CPU.
//
// Tree shape (specification section 2.1): the input is split into 1 KiB chunks; a node's
// left subtree holds the largest power-of-two number of chunks that leaves at least one for
// the right. Equivalently, every complete power-of-two-aligned run of chunks forms one
// subtree, which is what makes both the incremental stack and the wide path below work.
#include "crypto/blake3.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <utility>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/blake3_impl.h"
#include "crypto/secret.h"

namespace kb::crypto {

using namespace blake3_detail;

namespace {

// Largest subtree hashed in one go from update(): 256 chunks (256 KiB of input, 8 KiB of
// chaining values on the stack). Big enough that all but the last few parent levels run at
// full SIMD width; bigger subtrees are assembled by the chaining-value stack.
constexpr usize kMaxSubtreeChunks = 256;

XofManyFn xof_many_for(Blake3Backend backend) {
    switch (backend) {
        case Blake3Backend::portable:
            return portable_xof_many;
        case Blake3Backend::sse41:
            return sse41_xof_many;
        case Blake3Backend::avx2:
            return avx2_xof_many;
        case Blake3Backend::avx512:
            return avx512_xof_many;
    }
    KB_UNREACHABLE();
}

HashManyFn hash_many_for(Blake3Backend backend) {
    switch (backend) {
        case Blake3Backend::portable:
            return portable_hash_many;
        case Blake3Backend::sse41:
            return sse41_hash_many;
        case Blake3Backend::avx2:
            return avx2_hash_many;
        case Blake3Backend::avx512:
            return avx512_hash_many;
    }
    KB_UNREACHABLE();
}

Blake3Backend detect_backend() {
    if (blake3_backend_supported(Blake3Backend::avx512)) return Blake3Backend::avx512;
    if (blake3_backend_supported(Blake3Backend::avx2)) return Blake3Backend::avx2;
    if (blake3_backend_supported(Blake3Backend::sse41)) return Blake3Backend::sse41;
    return Blake3Backend::portable;
}

constexpr u8 kBackendUnset = 0xff;
std::atomic<u8> g_backend{kBackendUnset};

Blake3Backend selected_backend() {
    u8 backend = g_backend.load(std::memory_order_relaxed);
    if (backend == kBackendUnset) [[unlikely]] {
        // Racing first calls all detect the same answer, so a plain store is enough.
        backend = static_cast<u8>(detect_backend());
        g_backend.store(backend, std::memory_order_relaxed);
    }
    return static_cast<Blake3Backend>(backend);
}

// hash_many and xof_many of the selected back end are the only parts that differ between
// back ends: sequential single-block work (a chunk being filled, parent merges, the root
// and a single output block) always runs the portable code, which beat SIMD single-block
// compression on the CPU we measure on (see blake3_x86.h).
HashManyFn selected_hash_many() { return hash_many_for(selected_backend()); }
XofManyFn selected_xof_many() { return xof_many_for(selected_backend()); }

void load_key_words(const u8* bytes, u32 words[8]) {
    for (usize i = 0; i < 8; ++i) words[i] = load_le_u32(bytes + 4 * i);
}

void store_cv_bytes(const u32 words[8], u8* bytes) {
    for (usize i = 0; i < 8; ++i) store_le_u32(bytes + 4 * i, words[i]);
}

// The chaining value of a non-root node.
void output_cv(const u32 cv[8], const u8 block[kBlockSize], u8 block_len, u64 counter, u8 flags,
               u8 out[kCvSize]) {
    u32 words[8];
    std::memcpy(words, cv, sizeof(words));
    portable_compress_in_place(words, block, block_len, counter, flags);
    store_cv_bytes(words, out);
}

}  // namespace

Blake3::Blake3() : Blake3(kIv, 0) {}

Blake3::Blake3(const u32 key[8], u8 flags) : flags_(flags) {
    std::memcpy(key_, key, sizeof(key_));
    std::memcpy(chunk_cv_, key, sizeof(chunk_cv_));
}

Blake3 Blake3::keyed(std::span<const u8, kKeySize> key) {
    u32 words[8];
    load_key_words(key.data(), words);
    Blake3 hasher(words, kKeyedHash);
    secure_zero(words, sizeof(words));
    return hasher;
}

Blake3 Blake3::derive_key(std::string_view context) {
    Blake3 context_hasher(kIv, kDeriveKeyContext);
    context_hasher.update(as_bytes(context));
    u8 context_key[kKeySize];
    context_hasher.finalize(context_key);
    u32 words[8];
    load_key_words(context_key, words);
    Blake3 hasher(words, kDeriveKeyMaterial);
    secure_zero(words, sizeof(words));
    secure_zero(context_key, sizeof(context_key));
    return hasher;
}

Blake3::~Blake3() {
    if ((flags_ & (kKeyedHash | kDeriveKeyMaterial)) != 0) {
        // The key, and everything computed from it, is secret in these modes.
        secure_zero(key_, sizeof(key_));
        secure_zero(chunk_cv_, sizeof(chunk_cv_));
        secure_zero(block_, sizeof(block_));
        secure_zero(cv_stack_, sizeof(cv_stack_));
    }
}

void Blake3::chunk_reset() {
    std::memcpy(chunk_cv_, key_, sizeof(chunk_cv_));
    block_len_ = 0;
    blocks_compressed_ = 0;
}

void Blake3::chunk_update(const u8* input, usize size) {
    KB_ASSERT(chunk_bytes() + size <= kChunkSize);
    while (size > 0) {
        // A full buffered block is compressed only once more input shows it is not the
        // chunk's last.
        if (block_len_ == kBlockSize) {
            const u8 start = blocks_compressed_ == 0 ? kChunkStart : 0;
            portable_compress_in_place(chunk_cv_, block_, static_cast<u8>(kBlockSize),
                                       chunk_counter_, static_cast<u8>(flags_ | start));
            ++blocks_compressed_;
            block_len_ = 0;
        }
        if (block_len_ == 0) {
            while (size > kBlockSize) {
                const u8 start = blocks_compressed_ == 0 ? kChunkStart : 0;
                portable_compress_in_place(chunk_cv_, input, static_cast<u8>(kBlockSize),
                                           chunk_counter_, static_cast<u8>(flags_ | start));
                ++blocks_compressed_;
                input += kBlockSize;
                size -= kBlockSize;
            }
        }
        const usize take = std::min(kBlockSize - block_len_, size);
        std::memcpy(block_ + block_len_, input, take);
        block_len_ = static_cast<u8>(block_len_ + take);
        input += take;
        size -= take;
    }
}

Blake3::Output Blake3::chunk_output() const {
    Output output;
    std::memcpy(output.cv, chunk_cv_, sizeof(output.cv));
    std::memcpy(output.block, block_, block_len_);
    std::memset(output.block + block_len_, 0, kBlockSize - block_len_);
    output.block_len = block_len_;
    output.counter = chunk_counter_;
    output.flags =
        static_cast<u8>(flags_ | (blocks_compressed_ == 0 ? kChunkStart : 0) | kChunkEnd);
    return output;
}

void Blake3::compress_subtree(const u8* input, usize chunk_count, u8 children[2 * 32]) const {
    KB_ASSERT(chunk_count >= 2 && chunk_count <= kMaxSubtreeChunks &&
              std::has_single_bit(chunk_count));
    KB_ASSERT(chunk_counter_ % chunk_count == 0);
    const HashManyFn hash_many = selected_hash_many();

    const u8* inputs[kMaxSubtreeChunks];
    alignas(64) u8 cvs_a[kMaxSubtreeChunks * kCvSize];
    alignas(64) u8 cvs_b[kMaxSubtreeChunks / 2 * kCvSize];

    for (usize i = 0; i < chunk_count; ++i) inputs[i] = input + i * kChunkSize;
    hash_many(inputs, chunk_count, kBlocksPerChunk, key_, chunk_counter_, true, flags_, kChunkStart,
              kChunkEnd, cvs_a);

    // Each level: neighbouring chaining values form the parent blocks of the next level.
    u8* level = cvs_a;
    u8* next = cvs_b;
    for (usize count = chunk_count; count > 2; count /= 2) {
        for (usize i = 0; i < count / 2; ++i) inputs[i] = level + i * 2 * kCvSize;
        hash_many(inputs, count / 2, 1, key_, 0, false, static_cast<u8>(flags_ | kParent), 0, 0,
                  next);
        std::swap(level, next);
    }
    std::memcpy(children, level, 2 * kCvSize);
}

void Blake3::merge_cv_stack(u64 chunk_total) {
    const usize target = static_cast<usize>(std::popcount(chunk_total));
    while (cv_stack_len_ > target) {
        // The top two entries are adjacent in memory: together they are the parent block.
        const usize left = cv_stack_len_ - 2u;
        output_cv(key_, cv_stack_[left], static_cast<u8>(kBlockSize), 0,
                  static_cast<u8>(flags_ | kParent), cv_stack_[left]);
        --cv_stack_len_;
    }
}

void Blake3::push_cv(const u8 cv[32], u64 first_chunk) {
    merge_cv_stack(first_chunk);
    KB_ASSERT(cv_stack_len_ < kMaxDepth + 1);
    std::memcpy(cv_stack_[cv_stack_len_], cv, kCvSize);
    ++cv_stack_len_;
}

void Blake3::update(ByteSpan data) {
    const u8* input = data.data();
    usize size = data.size();
    if (size == 0) return;

    // Top up a partly filled chunk. If input remains, that chunk is complete and not the
    // root: push its chaining value.
    if (chunk_bytes() > 0) {
        const usize take = std::min(kChunkSize - chunk_bytes(), size);
        chunk_update(input, take);
        input += take;
        size -= take;
        if (size == 0) return;
        const Output output = chunk_output();
        u8 cv[kCvSize];
        output_cv(output.cv, output.block, output.block_len, output.counter, output.flags, cv);
        push_cv(cv, chunk_counter_);
        ++chunk_counter_;
        chunk_reset();
    }

    // Hash whole aligned subtrees straight from the input while more than a chunk remains
    // (the last chunk might be the root, so it always goes through the buffer).
    while (size > kChunkSize) {
        usize chunk_count = std::bit_floor(std::min(size / kChunkSize, kMaxSubtreeChunks));
        while (chunk_counter_ % chunk_count != 0) chunk_count /= 2;
        if (chunk_count == 1) {
            u8 cv[kCvSize];
            portable_hash_many(&input, 1, kBlocksPerChunk, key_, chunk_counter_, true, flags_,
                               kChunkStart, kChunkEnd, cv);
            push_cv(cv, chunk_counter_);
        } else {
            // The subtree's two halves are pushed unmerged: if the input ends here their
            // parent is the root and must be compressed with ROOT.
            u8 children[2 * kCvSize];
            compress_subtree(input, chunk_count, children);
            push_cv(children, chunk_counter_);
            push_cv(children + kCvSize, chunk_counter_ + chunk_count / 2);
        }
        chunk_counter_ += chunk_count;
        input += chunk_count * kChunkSize;
        size -= chunk_count * kChunkSize;
    }

    // At most one chunk left: buffer it. Input follows everything on the stack now, so all
    // complete pairs can be merged.
    if (size > 0) {
        chunk_update(input, size);
        merge_cv_stack(chunk_counter_);
    }
}

Blake3::Output Blake3::parent_output(const u8 children[2 * 32]) const {
    Output output;
    std::memcpy(output.cv, key_, sizeof(output.cv));
    std::memcpy(output.block, children, kBlockSize);
    output.block_len = static_cast<u8>(kBlockSize);
    output.counter = 0;
    output.flags = static_cast<u8>(flags_ | kParent);
    return output;
}

Blake3::Output Blake3::root_output() const {
    if (cv_stack_len_ == 0) return chunk_output();

    // Start from the rightmost node and fold in the stacked left siblings.
    Output output;
    usize remaining;
    if (chunk_bytes() > 0) {
        output = chunk_output();
        remaining = cv_stack_len_;
    } else {
        // The input ended on a subtree boundary: the top two stacked halves are the children
        // of the rightmost node.
        KB_ASSERT(cv_stack_len_ >= 2);
        output = parent_output(cv_stack_[cv_stack_len_ - 2]);
        remaining = cv_stack_len_ - 2u;
    }
    for (; remaining > 0; --remaining) {
        u8 children[2 * kCvSize];
        std::memcpy(children, cv_stack_[remaining - 1], kCvSize);
        output_cv(output.cv, output.block, output.block_len, output.counter, output.flags,
                  children + kCvSize);
        output = parent_output(children);
    }
    return output;
}

void Blake3::finalize_seek(u64 offset, MutableByteSpan out) const {
    if (out.empty()) return;
    write_output(root_output(), offset, out);
}

void Blake3::finalize_with(ByteSpan input, MutableByteSpan out) const {
    if (chunk_counter_ != 0 || chunk_bytes() != 0 || input.size() > kChunkSize) {
        Blake3 copy = *this;
        copy.update(input);
        copy.finalize(out);
        return;
    }
    KB_ASSERT(cv_stack_len_ == 0);
    if (out.empty()) return;
    // The whole input is chunk 0, which is then the root: compress every block but the
    // last (possibly partial or empty) one, which is the root's block, as chunk_update and
    // chunk_output would.
    Output root;
    std::memcpy(root.cv, key_, sizeof(root.cv));
    const u8* data = input.data();
    usize size = input.size();
    u8 start = kChunkStart;
    for (; size > kBlockSize; data += kBlockSize, size -= kBlockSize) {
        portable_compress_in_place(root.cv, data, static_cast<u8>(kBlockSize), 0,
                                   static_cast<u8>(flags_ | start));
        start = 0;
    }
    if (size > 0) std::memcpy(root.block, data, size);
    std::memset(root.block + size, 0, kBlockSize - size);
    root.block_len = static_cast<u8>(size);
    root.counter = 0;
    root.flags = static_cast<u8>(flags_ | start | kChunkEnd);
    write_output(root, 0, out);
    if ((flags_ & (kKeyedHash | kDeriveKeyMaterial)) != 0) secure_zero(&root, sizeof(root));
}

void Blake3::write_output(const Output& root, u64 offset, MutableByteSpan out) {
    // Output block i is the root node compressed with ROOT at counter i (specification
    // section 2.6); the blocks are independent, so runs of them go through the SIMD lanes.
    const u8 flags = static_cast<u8>(root.flags | kRoot);
    u64 counter = offset / kBlockSize;
    const usize skip = static_cast<usize>(offset % kBlockSize);
    u8* dest = out.data();
    usize size = out.size();
    if (skip + size <= kBlockSize) {
        // Within one output block (a digest, typically): a single portable compression.
        u8 block[kBlockSize];
        portable_compress_xof(root.cv, root.block, root.block_len, counter, flags, block);
        std::memcpy(dest, block + skip, size);
        return;
    }
    const XofManyFn xof_many = selected_xof_many();
    if (skip > 0) {
        // An unaligned start: the first few blocks go through a buffer (still side by side
        // in SIMD lanes), and from there on whole blocks land in `out` directly.
        constexpr usize kHeadBlocks = 4;
        alignas(64) u8 head[kHeadBlocks * kBlockSize];
        const usize head_bytes = std::min(kHeadBlocks * kBlockSize, skip + size);
        xof_many(root.cv, root.block, root.block_len, counter, flags, head, head_bytes);
        const usize take = head_bytes - skip;
        std::memcpy(dest, head + skip, take);
        dest += take;
        size -= take;
        counter += kHeadBlocks;
    }
    if (size > 0) xof_many(root.cv, root.block, root.block_len, counter, flags, dest, size);
}

InternalHash blake3(ByteSpan data) {
    Blake3 hasher;
    hasher.update(data);
    InternalHash hash;
    hasher.finalize(hash.mutable_bytes());
    return hash;
}

Blake3Backend blake3_backend() { return selected_backend(); }

bool blake3_backend_supported(Blake3Backend backend) {
    switch (backend) {
        case Blake3Backend::portable:
            return true;
        case Blake3Backend::sse41:
            return __builtin_cpu_supports("sse4.1");
        case Blake3Backend::avx2:
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("sse4.1");
        case Blake3Backend::avx512:
            return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl");
    }
    return false;
}

std::string_view blake3_backend_name(Blake3Backend backend) {
    switch (backend) {
        case Blake3Backend::portable:
            return "portable";
        case Blake3Backend::sse41:
            return "sse41";
        case Blake3Backend::avx2:
            return "avx2";
        case Blake3Backend::avx512:
            return "avx512";
    }
    return "unknown";
}

void blake3_set_backend_for_testing(Blake3Backend backend) {
    KB_ASSERT(blake3_backend_supported(backend));
    g_backend.store(static_cast<u8>(backend), std::memory_order_relaxed);
}

}  // namespace kb::crypto
