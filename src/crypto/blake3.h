// BLAKE3: the hash for internal hot paths (state hashes, page checksums; DESIGN.md §6),
// written from the BLAKE3 specification. Never use it where a third party must re-compute a
// digest: that is SHA-256 (ComplianceHash); the types keep the two apart.
//
// All three modes of the specification are here: hash, keyed_hash (a 32-byte key, as a MAC
// or PRF) and derive_key (a context string, then key material), each with extendable output
// from any byte offset. Output is identical to the reference `b3sum` for every mode, length
// and back end.
//
// Speed: large inputs are cut into power-of-two subtrees of whole 1 KiB chunks (up to 256)
// that are hashed side by side in SIMD lanes (4 per vector with SSE4.1, 8 with AVX2, 16
// with AVX-512, two vectors' worth at a time), and their parent nodes are reduced level by
// level the same way. The back end is chosen from the CPU on first use; all back ends give
// the same bytes. Inputs up to one chunk are inherently sequential and run the portable
// code (about 1 GB/s). Extendable output longer than one 64-byte block runs its blocks
// side by side in the same SIMD lanes (each block is an independent compression of the
// root node), several times faster than block by block.
#pragma once

#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/ints.h"
#include "types/hash.h"

namespace kb::crypto {

// Incremental hasher. Copyable: a copy continues independently from the same point (e.g. to
// finalize a prefix and keep going). A keyed or derive_key hasher wipes its key material in
// its destructor.
class Blake3 {
public:
    static constexpr usize kOutSize = 32;
    static constexpr usize kKeySize = 32;
    static constexpr usize kBlockSize = 64;
    static constexpr usize kChunkSize = 1024;

    // Plain hash mode.
    Blake3();
    // keyed_hash mode: the key is the full 32 bytes; use a uniformly random one.
    static Blake3 keyed(std::span<const u8, kKeySize> key);
    // derive_key mode: `context` should be a hard-coded, globally unique, application-specific
    // string ("kimberlite 2025-01-01 page checksum key"); the key material is then fed with
    // update().
    static Blake3 derive_key(std::string_view context);

    Blake3(const Blake3&) = default;
    Blake3& operator=(const Blake3&) = default;
    ~Blake3();

    // Appends input. Any split of the input into update() calls gives the same digest.
    void update(ByteSpan data);

    // Writes out.size() bytes of output (any length: a 32-byte digest, or more as an
    // extendable-output function). Does not change the hasher, so more input may follow.
    void finalize(MutableByteSpan out) const { finalize_seek(0, out); }

    // Writes out.size() bytes of the output stream starting at byte `offset`: the same bytes
    // finalize() would write at that position of a longer output.
    void finalize_seek(u64 offset, MutableByteSpan out) const;

    // One-shot use of a prepared hasher (say a derive_key hasher kept for its context):
    // writes the output of everything absorbed so far followed by `input`, exactly as
    // `Blake3 copy = *this; copy.update(input); copy.finalize(out);` would, and leaves this
    // hasher unchanged. When nothing has been absorbed yet and `input` fits in one chunk
    // (1 KiB) it works on the stack, without copying the hasher's ~2 KiB of state.
    void finalize_with(ByteSpan input, MutableByteSpan out) const;

private:
    static constexpr usize kMaxDepth = 54;  // 2^64 bytes of input is 2^54 chunks

    // What the final compression of a node needs: it is compressed once without ROOT to get
    // a chaining value, or with ROOT (at any block counter) to produce output.
    struct Output {
        u32 cv[8];
        u8 block[kBlockSize];
        u8 block_len;
        u64 counter;
        u8 flags;
    };

    Blake3(const u32 key[8], u8 flags);

    usize chunk_bytes() const { return usize{blocks_compressed_} * kBlockSize + block_len_; }
    void chunk_update(const u8* input, usize size);
    void chunk_reset();
    Output chunk_output() const;
    Output parent_output(const u8 children[2 * 32]) const;
    Output root_output() const;
    // Writes out.size() bytes of the root's output stream from byte `offset`.
    static void write_output(const Output& root, u64 offset, MutableByteSpan out);

    // Hashes `chunk_count` whole chunks (a power of two, >= 2, aligned to chunk_counter_) and
    // writes the chaining values of the subtree root's two children to `children`.
    void compress_subtree(const u8* input, usize chunk_count, u8 children[2 * 32]) const;
    // Pushes the chaining value of a subtree that starts at chunk `first_chunk`, first
    // merging every completed pair of subtrees below it.
    void push_cv(const u8 cv[32], u64 first_chunk);
    // Merges stacked subtrees until the stack holds one entry per 1-bit of `chunk_total`:
    // everything left of chunk `chunk_total` that is complete becomes one node per power of
    // two.
    void merge_cv_stack(u64 chunk_total);

    u32 key_[8];
    u8 flags_;

    // The chunk being filled: chunk number chunk_counter_, its chaining value so far, and
    // its last block, which stays buffered until we know whether it ends the input.
    u32 chunk_cv_[8];
    u64 chunk_counter_ = 0;
    u8 block_[kBlockSize];
    u8 block_len_ = 0;
    u8 blocks_compressed_ = 0;

    // Chaining values of completed subtrees left of the current chunk, largest first,
    // stored as bytes so two neighbours form a parent block. Merging is lazy by one entry:
    // the newest pair is merged only when more input proves it is not the root.
    u8 cv_stack_len_ = 0;
    u8 cv_stack_[kMaxDepth + 1][32];
};

// One-shot BLAKE3 hash (32 bytes).
InternalHash blake3(ByteSpan data);

// Which compression code runs. Chosen from the CPU at first use: the widest the CPU
// supports.
enum class Blake3Backend : u8 { portable, sse41, avx2, avx512 };

Blake3Backend blake3_backend();
bool blake3_backend_supported(Blake3Backend backend);
std::string_view blake3_backend_name(Blake3Backend backend);
// For tests and benchmarks: forces a back end for the whole process (asserts it is
// supported). Not to be called while other threads hash.
void blake3_set_backend_for_testing(Blake3Backend backend);

}  // namespace kb::crypto
