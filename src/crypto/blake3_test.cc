// Tests for BLAKE3: the official test-vector digests, agreement with the reference `b3sum`
// for every mode, many lengths, extended output (short and long) and seeks on every back
// end the CPU supports, back ends agreeing with the portable code kernel by kernel (hash_many
// and xof_many), the one-shot finalize_with, and incremental hashing being independent of
// how the input is split.
#include "crypto/blake3.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/prng.h"
#include "crypto/blake3_impl.h"

namespace kb::crypto {
namespace {

namespace fs = std::filesystem;
using namespace blake3_detail;

constexpr std::string_view kVectorKey = "whats the Elvish word for friend";
constexpr std::string_view kVectorContext = "BLAKE3 2019-12-27 16:29:52 test vectors context";

// The input of the official test vectors: byte i is i mod 251.
Bytes vector_input(usize length) {
    Bytes input(length);
    for (usize i = 0; i < length; ++i) input[i] = static_cast<u8>(i % 251);
    return input;
}

std::vector<Blake3Backend> supported_backends() {
    std::vector<Blake3Backend> backends;
    for (Blake3Backend backend : {Blake3Backend::portable, Blake3Backend::sse41,
                                  Blake3Backend::avx2, Blake3Backend::avx512}) {
        if (blake3_backend_supported(backend)) backends.push_back(backend);
    }
    return backends;
}

// Restores the automatically chosen back end when a test that forces one ends.
class BackendGuard {
public:
    BackendGuard() : saved_(blake3_backend()) {}
    ~BackendGuard() { blake3_set_backend_for_testing(saved_); }
    BackendGuard(const BackendGuard&) = delete;
    BackendGuard& operator=(const BackendGuard&) = delete;

private:
    Blake3Backend saved_;
};

enum class Mode { hash, keyed, derive_key };

Blake3 make_hasher(Mode mode) {
    switch (mode) {
        case Mode::hash:
            return Blake3();
        case Mode::keyed:
            return Blake3::keyed(std::span<const u8, 32>(as_bytes(kVectorKey).data(), 32));
        case Mode::derive_key:
            return Blake3::derive_key(kVectorContext);
    }
    return Blake3();
}

const char* mode_name(Mode mode) {
    switch (mode) {
        case Mode::hash:
            return "hash";
        case Mode::keyed:
            return "keyed";
        case Mode::derive_key:
            return "derive_key";
    }
    return "?";
}

std::string hex_of(Mode mode, ByteSpan input, u64 offset, usize length) {
    Blake3 hasher = make_hasher(mode);
    hasher.update(input);
    Bytes out(length);
    hasher.finalize_seek(offset, out);
    return to_hex(out);
}

// ---------------------------------------------------------------------------------------
// Known answers.

TEST(Blake3Vectors, OfficialHashModeDigests) {
    struct Vector {
        usize length;
        const char* hex;
    };
    const Vector vectors[] = {
        {0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
        {1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"},
        {1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"},
        {102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085"},
    };
    BackendGuard guard;
    for (Blake3Backend backend : supported_backends()) {
        blake3_set_backend_for_testing(backend);
        for (const Vector& vector : vectors) {
            EXPECT_EQ(blake3(vector_input(vector.length)).to_hex(), vector.hex)
                << "length " << vector.length << " backend " << blake3_backend_name(backend);
        }
    }
}

TEST(Blake3Backends, DetectionPicksTheWidestSupportedBackend) {
    // Tests that force a back end restore the detected one, so this holds in any order.
    EXPECT_EQ(blake3_backend(), supported_backends().back());
    EXPECT_TRUE(blake3_backend_supported(Blake3Backend::portable));
}

// ---------------------------------------------------------------------------------------
// Agreement with b3sum.

std::string find_b3sum() {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    usize start = 0;
    while (start <= dirs.size()) {
        usize end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        const std::string candidate = dirs.substr(start, end - start) + "/b3sum";
        if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return "";
}

// Runs a shell command and returns its stdout with the trailing newline removed; "" and a
// test failure when it fails.
std::string run_command(const std::string& command) {
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        ADD_FAILURE() << "cannot run: " << command;
        return "";
    }
    std::string output;
    char buffer[4096];
    usize read = 0;
    while ((read = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, read);
    const int status = pclose(pipe);
    EXPECT_EQ(status, 0) << "command failed: " << command;
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) {
        output.pop_back();
    }
    return output;
}

class Blake3VsB3sum : public ::testing::Test {
protected:
    void SetUp() override {
        b3sum_ = find_b3sum();
        ASSERT_FALSE(b3sum_.empty())
            << "b3sum not found on PATH: these tests compare against the reference "
               "implementation; install it with scripts/install-deps.sh";
        dir_ = fs::temp_directory_path() /
               ("kb_blake3_test_" + std::to_string(getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        key_path_ = dir_ / "key";
        std::ofstream(key_path_, std::ios::binary) << kVectorKey;
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    // b3sum's output of `length` bytes for `input` in `mode`, as hex.
    std::string b3sum_hex(Mode mode, ByteSpan input, usize length) {
        const fs::path input_path = dir_ / "input";
        {
            std::ofstream file(input_path, std::ios::binary | std::ios::trunc);
            file.write(reinterpret_cast<const char*>(input.data()),
                       static_cast<std::streamsize>(input.size()));
        }
        std::string command = b3sum_ + " --no-names --length " + std::to_string(length);
        switch (mode) {
            case Mode::hash:
                break;
            case Mode::keyed:
                command += " --keyed";
                break;
            case Mode::derive_key:
                command += " --derive-key '" + std::string(kVectorContext) + "'";
                break;
        }
        command += " '" + input_path.string() + "'";
        if (mode == Mode::keyed) command += " < '" + key_path_.string() + "'";
        return run_command(command);
    }

    std::string b3sum_;
    fs::path dir_;
    fs::path key_path_;
};

// Input lengths around every block, chunk and subtree boundary the code cares about, plus
// a few beyond one 256-chunk batch.
std::vector<usize> interesting_lengths() {
    std::vector<usize> lengths = {0,
                                  1,
                                  63,
                                  64,
                                  65,
                                  1023,
                                  1024,
                                  1025,
                                  2048,
                                  2049,
                                  3072,
                                  3073,
                                  4096,
                                  4097,
                                  5120,
                                  5121,
                                  6144,
                                  6145,
                                  7168,
                                  7169,
                                  8192,
                                  8193,
                                  16384,
                                  31744,
                                  102400,
                                  16383 * 64,
                                  (256 + 1) * 1024 + 5,
                                  3 * 256 * 1024 + 2049};
    Prng prng(0xB1A4E3);
    for (int i = 0; i < 6; ++i) lengths.push_back(static_cast<usize>(prng.uniform(40000)));
    for (int i = 0; i < 2; ++i) lengths.push_back(static_cast<usize>(prng.uniform(1200000)));
    return lengths;
}

TEST_F(Blake3VsB3sum, EveryModeLengthAndBackendMatchesTheReference) {
    constexpr usize kExpectedBytes = 1200;  // long enough for the seeks below
    const u64 seek_offsets[] = {0, 1, 31, 63, 64, 65, 100, 128, 511, 1000};
    const std::vector<Blake3Backend> backends = supported_backends();
    BackendGuard guard;
    for (usize length : interesting_lengths()) {
        const Bytes input = vector_input(length);
        for (Mode mode : {Mode::hash, Mode::keyed, Mode::derive_key}) {
            const std::string expected = b3sum_hex(mode, input, kExpectedBytes);
            ASSERT_EQ(expected.size(), 2 * kExpectedBytes);
            for (Blake3Backend backend : backends) {
                blake3_set_backend_for_testing(backend);
                SCOPED_TRACE(::testing::Message()
                             << "length " << length << " mode " << mode_name(mode) << " backend "
                             << blake3_backend_name(backend));
                EXPECT_EQ(hex_of(mode, input, 0, 32), expected.substr(0, 64));
                EXPECT_EQ(hex_of(mode, input, 0, 131), expected.substr(0, 2 * 131));
                for (u64 offset : seek_offsets) {
                    EXPECT_EQ(hex_of(mode, input, offset, 150),
                              expected.substr(2 * offset, 2 * 150))
                        << "seek " << offset;
                }
                if (mode == Mode::hash) {
                    EXPECT_EQ(blake3(input).to_hex(), expected.substr(0, 64));
                }
            }
        }
    }
}

TEST_F(Blake3VsB3sum, LongOutputsAndSeeksOnEveryBackendMatchTheReference) {
    // Outputs of many blocks run through the SIMD xof kernels: whole 32/16/8/4-block groups,
    // remainders, partial last blocks and unaligned starts.
    constexpr usize kExpectedBytes = 100000 + 3000;
    const usize input_lengths[] = {0, 100, 1024, 1025, 70000};
    const usize out_lengths[] = {65, 128, 200, 1000, 2048, 2049, 4095, 65536, 100000};
    const u64 seek_offsets[] = {1, 63, 64, 65, 128, 1000, 2048, 2049, 4096, 12345, 65536, 99999};
    const std::vector<Blake3Backend> backends = supported_backends();
    BackendGuard guard;
    for (usize length : input_lengths) {
        const Bytes input = vector_input(length);
        for (Mode mode : {Mode::hash, Mode::keyed, Mode::derive_key}) {
            const std::string expected = b3sum_hex(mode, input, kExpectedBytes);
            ASSERT_EQ(expected.size(), 2 * kExpectedBytes);
            for (Blake3Backend backend : backends) {
                blake3_set_backend_for_testing(backend);
                SCOPED_TRACE(::testing::Message()
                             << "length " << length << " mode " << mode_name(mode) << " backend "
                             << blake3_backend_name(backend));
                for (usize out_length : out_lengths) {
                    EXPECT_EQ(hex_of(mode, input, 0, out_length),
                              expected.substr(0, 2 * out_length))
                        << "output " << out_length;
                }
                for (u64 offset : seek_offsets) {
                    for (usize out_length : {usize{2}, usize{100}, usize{2048}, usize{3000}}) {
                        EXPECT_EQ(hex_of(mode, input, offset, out_length),
                                  expected.substr(2 * offset, 2 * out_length))
                            << "seek " << offset << " output " << out_length;
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Back-end kernels against the portable ones.

struct BackendKernel {
    Blake3Backend backend;
    HashManyFn hash_many;
    XofManyFn xof_many;
};

std::vector<BackendKernel> simd_kernels() {
    std::vector<BackendKernel> kernels;
    if (blake3_backend_supported(Blake3Backend::sse41)) {
        kernels.push_back({Blake3Backend::sse41, sse41_hash_many, sse41_xof_many});
    }
    if (blake3_backend_supported(Blake3Backend::avx2)) {
        kernels.push_back({Blake3Backend::avx2, avx2_hash_many, avx2_xof_many});
    }
    if (blake3_backend_supported(Blake3Backend::avx512)) {
        kernels.push_back({Blake3Backend::avx512, avx512_hash_many, avx512_xof_many});
    }
    return kernels;
}

TEST(Blake3Kernels, HashManyMatchesPortableForEveryCount) {
    constexpr usize kMaxInputs = 70;  // past two 32-input runs plus every remainder
    Prng prng(11);
    Bytes data(kMaxInputs * kChunkSize);
    prng.fill(data);
    u32 key[8];
    for (u32& word : key) word = prng.next_u32();
    for (const BackendKernel& kernel : simd_kernels()) {
        for (usize blocks : {usize{1}, usize{3}, kBlocksPerChunk}) {
            for (usize count = 0; count <= kMaxInputs; ++count) {
                // Scattered inputs (not evenly spaced) so lanes really read their own.
                std::vector<const u8*> inputs(count);
                for (usize i = 0; i < count; ++i) {
                    inputs[i] = data.data() + prng.uniform(data.size() - blocks * kBlockSize + 1);
                }
                const bool increment = prng.coin();
                // Counters near 2^32 check the carry into the high word.
                const u64 counter = (u64{1} << 32) - prng.uniform(40);
                Bytes expected(count * kCvSize + 1);
                Bytes actual(count * kCvSize + 1);
                portable_hash_many(inputs.data(), count, blocks, key, counter, increment,
                                   kKeyedHash, kChunkStart, kChunkEnd, expected.data());
                kernel.hash_many(inputs.data(), count, blocks, key, counter, increment, kKeyedHash,
                                 kChunkStart, kChunkEnd, actual.data());
                EXPECT_EQ(to_hex(expected), to_hex(actual))
                    << blake3_backend_name(kernel.backend) << " count " << count << " blocks "
                    << blocks;
            }
        }
    }
}

// Output sizes around every lane-group boundary of every back end: each byte count up to
// five blocks, each whole-block count up to 70 blocks (past 32 + 16 + 8 + 4 and every
// remainder) give or take a byte, and a few long ones.
std::vector<usize> xof_sizes() {
    std::vector<usize> sizes;
    for (usize size = 0; size <= 5 * kBlockSize; ++size) sizes.push_back(size);
    for (usize blocks = 6; blocks <= 70; ++blocks) {
        for (usize size : {blocks * kBlockSize - 1, blocks * kBlockSize, blocks * kBlockSize + 1}) {
            sizes.push_back(size);
        }
    }
    for (usize size : {usize{2048}, usize{4096} + 17, usize{65536}, usize{100000}}) {
        sizes.push_back(size);
    }
    return sizes;
}

TEST(Blake3Kernels, XofManyMatchesPortableForEverySize) {
    constexpr usize kGuard = 64;  // bytes after the output that must stay untouched
    Prng prng(12);
    for (const BackendKernel& kernel : simd_kernels()) {
        for (usize size : xof_sizes()) {
            u32 cv[8];
            for (u32& word : cv) word = prng.next_u32();
            u8 block[kBlockSize];
            prng.fill(block);
            const u8 block_len = static_cast<u8>(prng.uniform(kBlockSize + 1));
            const u8 flags = static_cast<u8>(prng.uniform(128) | kRoot);
            // Counters just below 2^32 check the carry into the high word inside a group.
            const u64 counter = prng.coin() ? (u64{1} << 32) - prng.uniform(40) : prng.uniform(5);
            Bytes expected(size + kGuard, 0xA5);
            Bytes actual(size + kGuard, 0xA5);
            portable_xof_many(cv, block, block_len, counter, flags, expected.data(), size);
            kernel.xof_many(cv, block, block_len, counter, flags, actual.data(), size);
            EXPECT_EQ(to_hex(expected), to_hex(actual))
                << blake3_backend_name(kernel.backend) << " size " << size << " counter "
                << counter;
        }
    }
}

TEST(Blake3Kernels, PortableXofManyIsTheCompressionPerBlock) {
    // The reference the SIMD kernels are held to, against the single-block compression:
    // block i at counter + i, a partial last block cut short.
    Prng prng(13);
    u32 cv[8];
    for (u32& word : cv) word = prng.next_u32();
    u8 block[kBlockSize];
    prng.fill(block);
    const u64 counter = (u64{1} << 32) - 2;
    Bytes out(3 * kBlockSize + 10 + 1, 0xA5);
    portable_xof_many(cv, block, 40, counter, kRoot, out.data(), out.size() - 1);
    for (usize i = 0; i < 4; ++i) {
        u8 expected[kBlockSize];
        portable_compress_xof(cv, block, 40, counter + i, kRoot, expected);
        const usize take = std::min(kBlockSize, out.size() - 1 - i * kBlockSize);
        EXPECT_EQ(to_hex(ByteSpan(expected, take)),
                  to_hex(ByteSpan(out).subspan(i * kBlockSize, take)))
            << i;
    }
    EXPECT_EQ(out.back(), 0xA5);
}

// ---------------------------------------------------------------------------------------
// Hasher behaviour.

TEST(Blake3Hasher, LongOutputAndSeeksMatchPortableOnEveryBackend) {
    // Seeks anywhere (aligned or not, past 2^32 blocks) and lengths around the head buffer
    // and lane groups, each against the block-by-block portable path.
    const Bytes input = vector_input(3000);
    const u64 offsets[] = {0,   1,   63,  64,   65,   191,  192,  193,
                           255, 256, 257, 1000, 2048, 4095, 9999, (u64{1} << 38) - 64 * 5 + 7};
    const usize lengths[] = {0, 1, 64, 65, 127, 128, 129, 192, 250, 256, 257, 2048, 2111, 7000};
    const std::vector<Blake3Backend> backends = supported_backends();
    BackendGuard guard;
    for (Mode mode : {Mode::hash, Mode::keyed, Mode::derive_key}) {
        for (u64 offset : offsets) {
            for (usize length : lengths) {
                blake3_set_backend_for_testing(Blake3Backend::portable);
                const std::string expected = hex_of(mode, input, offset, length);
                for (Blake3Backend backend : backends) {
                    blake3_set_backend_for_testing(backend);
                    EXPECT_EQ(hex_of(mode, input, offset, length), expected)
                        << mode_name(mode) << " backend " << blake3_backend_name(backend)
                        << " offset " << offset << " length " << length;
                }
            }
        }
    }
}

TEST(Blake3Hasher, FinalizeWithMatchesCopyUpdateFinalize) {
    const Bytes input = vector_input(3000);
    const usize input_lengths[] = {0, 1, 63, 64, 65, 128, 1023, 1024, 1025, 3000};
    const usize out_lengths[] = {0, 32, 64, 100, 2048};
    const std::vector<Blake3Backend> backends = supported_backends();
    BackendGuard guard;
    for (Blake3Backend backend : backends) {
        blake3_set_backend_for_testing(backend);
        for (Mode mode : {Mode::hash, Mode::keyed, Mode::derive_key}) {
            // A fresh hasher (the stack-only path for inputs up to a chunk), and ones that
            // already absorbed a partial chunk or whole chunks (the copying path).
            for (usize prefix : {usize{0}, usize{10}, usize{1024}, usize{2500}}) {
                Blake3 prepared = make_hasher(mode);
                prepared.update(ByteSpan(input).first(prefix));
                for (usize length : input_lengths) {
                    const ByteSpan more = ByteSpan(input).first(length);
                    for (usize out_length : out_lengths) {
                        Blake3 copy = prepared;
                        copy.update(more);
                        Bytes expected(out_length);
                        copy.finalize(expected);
                        Bytes actual(out_length);
                        prepared.finalize_with(more, actual);
                        EXPECT_EQ(to_hex(actual), to_hex(expected))
                            << blake3_backend_name(backend) << " " << mode_name(mode) << " prefix "
                            << prefix << " input " << length << " output " << out_length;
                    }
                }
                // The prepared hasher is unchanged.
                Bytes after(40);
                prepared.finalize(after);
                EXPECT_EQ(to_hex(after), hex_of(mode, ByteSpan(input).first(prefix), 0, 40));
            }
        }
    }
}

TEST(Blake3Hasher, CopyContinuesIndependently) {
    const Bytes input = vector_input(5000);
    Blake3 hasher;
    hasher.update(ByteSpan(input).first(3000));
    Blake3 copy = hasher;
    hasher.update(ByteSpan(input).subspan(3000));
    copy.update(ByteSpan(input).subspan(3000, 100));

    InternalHash full;
    hasher.finalize(full.mutable_bytes());
    InternalHash partial;
    copy.finalize(partial.mutable_bytes());
    EXPECT_EQ(full, blake3(input));
    EXPECT_EQ(partial, blake3(ByteSpan(input).first(3100)));
}

TEST(Blake3Hasher, FinalizeDoesNotEndTheStream) {
    const Bytes input = vector_input(70000);
    Blake3 hasher;
    for (usize at = 0; at < input.size(); at += 7000) {
        hasher.update(ByteSpan(input).subspan(at, 7000));
        InternalHash prefix;
        hasher.finalize(prefix.mutable_bytes());
        EXPECT_EQ(prefix, blake3(ByteSpan(input).first(at + 7000))) << at;
    }
}

TEST(Blake3Hasher, ModesAndKeysSeparateOutputs) {
    const Bytes input = vector_input(100);
    std::array<u8, 32> key{};
    const std::string a = hex_of(Mode::hash, input, 0, 32);
    Blake3 keyed = Blake3::keyed(key);
    keyed.update(input);
    InternalHash keyed_hash;
    keyed.finalize(keyed_hash.mutable_bytes());
    key[31] = 1;
    Blake3 keyed2 = Blake3::keyed(key);
    keyed2.update(input);
    InternalHash keyed_hash2;
    keyed2.finalize(keyed_hash2.mutable_bytes());
    EXPECT_NE(a, keyed_hash.to_hex());
    EXPECT_NE(keyed_hash, keyed_hash2);
    EXPECT_NE(hex_of(Mode::derive_key, input, 0, 32), a);
}

// ---------------------------------------------------------------------------------------
// Properties.

rc::Gen<usize> gen_length() {
    return rc::gen::weightedOneOf<usize>({
        {4, rc::gen::inRange<usize>(0, 5000)},
        {2, rc::gen::inRange<usize>(0, 70000)},
        {1, rc::gen::inRange<usize>(0, 600000)},
    });
}

RC_GTEST_PROP(Blake3Property, AnySplitOfUpdatesMatchesOneShot, ()) {
    const usize length = *gen_length();
    const u64 seed = *rc::gen::arbitrary<u64>();
    const auto mode = *rc::gen::element(Mode::hash, Mode::keyed, Mode::derive_key);
    const std::vector<Blake3Backend> backends = supported_backends();
    const Blake3Backend backend = *rc::gen::elementOf(backends);
    const usize split_count = *rc::gen::inRange<usize>(0, 12);
    std::vector<usize> cuts;
    for (usize i = 0; i < split_count; ++i) {
        // Mostly small pieces with some large ones, so both the buffer and the wide path run.
        cuts.push_back(*rc::gen::oneOf(rc::gen::inRange<usize>(0, 130),
                                       rc::gen::inRange<usize>(0, length + 1)));
    }

    Bytes input(length);
    Prng prng(seed);
    prng.fill(input);

    BackendGuard guard;
    blake3_set_backend_for_testing(Blake3Backend::portable);
    const std::string expected = hex_of(mode, input, 0, 40);

    blake3_set_backend_for_testing(backend);
    Blake3 hasher = make_hasher(mode);
    usize at = 0;
    for (usize cut : cuts) {
        const usize take = std::min(cut, length - at);
        hasher.update(ByteSpan(input).subspan(at, take));
        at += take;
    }
    hasher.update(ByteSpan(input).subspan(at));
    Bytes out(40);
    hasher.finalize(out);
    RC_ASSERT(to_hex(out) == expected);
}

RC_GTEST_PROP(Blake3Property, LongSeekedOutputMatchesPortableOnEveryBackend, ()) {
    const usize length = *rc::gen::inRange<usize>(0, 2100);
    const u64 offset =
        *rc::gen::oneOf(rc::gen::inRange<u64>(0, 5000), rc::gen::inRange<u64>(0, u64{1} << 50));
    const usize out_length = *rc::gen::inRange<usize>(0, 6000);
    const auto mode = *rc::gen::element(Mode::hash, Mode::keyed, Mode::derive_key);
    const Blake3Backend backend = *rc::gen::elementOf(supported_backends());
    const Bytes input = vector_input(length);
    BackendGuard guard;
    blake3_set_backend_for_testing(Blake3Backend::portable);
    const std::string expected = hex_of(mode, input, offset, out_length);
    blake3_set_backend_for_testing(backend);
    RC_ASSERT(hex_of(mode, input, offset, out_length) == expected);
}

RC_GTEST_PROP(Blake3Property, SeekedOutputIsASliceOfTheStream, ()) {
    const usize length = *rc::gen::inRange<usize>(0, 3000);
    const u64 offset = *rc::gen::inRange<u64>(0, 700);
    const usize out_length = *rc::gen::inRange<usize>(0, 300);
    const auto mode = *rc::gen::element(Mode::hash, Mode::keyed, Mode::derive_key);
    const Bytes input = vector_input(length);
    const std::string stream = hex_of(mode, input, 0, static_cast<usize>(offset) + out_length);
    RC_ASSERT(hex_of(mode, input, offset, out_length) == stream.substr(2 * offset));
}

TEST(Blake3Property, SeeksFarIntoTheStreamUseTheBlockCounter) {
    // Offsets past 2^32 blocks: the counter's high word must be used too.
    const Bytes input = vector_input(10);
    const u64 offset = (u64{1} << 38) + 5;
    const std::string joined = hex_of(Mode::hash, input, offset, 200);
    EXPECT_EQ(hex_of(Mode::hash, input, offset + 100, 100), joined.substr(200));
    EXPECT_NE(hex_of(Mode::hash, input, offset, 32),
              hex_of(Mode::hash, input, offset - (u64{1} << 38), 32));
}

}  // namespace
}  // namespace kb::crypto
