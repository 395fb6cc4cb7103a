// SHA-256 against the FIPS 180-4 example vectors (and the NIST million-'a' vector), plus
// incremental hashing agreeing with one-shot hashing.
#include "crypto/sha256.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace kb::crypto {
namespace {

struct Vector {
    std::string message;
    const char* digest;
};

const Vector kVectors[] = {
    {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    // 448 bits: the length field spills into a second block.
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    // 896 bits.
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
     "lmnopqrsmnopqrstnopqrstu",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    {std::string(1000000, 'a'), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

TEST(Sha256, FipsVectorsOneShot) {
    for (const Vector& vector : kVectors) {
        EXPECT_EQ(sha256(as_bytes(vector.message)).to_hex(), vector.digest)
            << vector.message.size() << "-byte message";
    }
}

TEST(Sha256, FipsVectorsIncremental) {
    Sha256 hasher;
    for (const Vector& vector : kVectors) {
        // Odd-sized pieces, so updates straddle block boundaries.
        ByteSpan rest = as_bytes(vector.message);
        while (!rest.empty()) {
            usize piece = std::min<usize>(rest.size(), 37);
            hasher.update(rest.first(piece));
            rest = rest.subspan(piece);
        }
        EXPECT_EQ(hasher.finalize().to_hex(), vector.digest) << vector.message.size();
    }
}

TEST(Sha256, MillionAsFedInThousandByteUpdates) {
    Sha256 hasher;
    std::string thousand(1000, 'a');
    for (int i = 0; i < 1000; ++i) hasher.update(as_bytes(thousand));
    EXPECT_EQ(hasher.finalize().to_hex(),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, FinalizeStartsOver) {
    Sha256 hasher;
    hasher.update(as_bytes("abc"));
    ComplianceHash first = hasher.finalize();
    hasher.update(as_bytes("abc"));
    EXPECT_EQ(hasher.finalize(), first);
    EXPECT_EQ(hasher.finalize(), sha256({}));
}

TEST(Sha256, MovedHasherKeepsState) {
    Sha256 hasher;
    hasher.update(as_bytes("ab"));
    Sha256 moved(std::move(hasher));
    moved.update(as_bytes("c"));
    EXPECT_EQ(moved.finalize(), sha256(as_bytes("abc")));
}

RC_GTEST_PROP(Sha256, SplitUpdatesMatchOneShot, (Bytes data, usize split_seed)) {
    usize split = data.empty() ? 0 : split_seed % (data.size() + 1);
    Sha256 hasher;
    hasher.update(ByteSpan(data).first(split));
    hasher.update(ByteSpan(data).subspan(split));
    RC_ASSERT(hasher.finalize() == sha256(data));
}

}  // namespace
}  // namespace kb::crypto
