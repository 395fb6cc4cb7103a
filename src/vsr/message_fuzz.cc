// Fuzz target for the replication message decoder: bytes off the network either decode to a
// message that encodes back to exactly the same bytes, or are refused with a Status; never a
// crash, an assertion or a read out of bounds. The first byte picks the replica count the
// decoder checks against, so sender-index checks are exercised for every cluster size; its top
// bit asks the target to fix up both checksums first, so the fuzzer reaches the field checks
// behind them (random bytes almost never carry a valid CRC32C).
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <vector>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/crc32c.h"
#include "vsr/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace kb;
    using namespace kb::vsr;
    if (size == 0) return 0;
    const MessageLimits limits{
        .cluster = 77,
        .replica_count = static_cast<u8>(1 + (data[0] & 0x7f) % kReplicasMax),
        .body_size_max = 1 << 20};
    std::vector<u8> bytes(data + 1, data + size);
    if ((data[0] & 0x80) != 0 && bytes.size() >= kHeaderSize) {
        store_le_u32(bytes.data() + 4, crypto::crc32c(ByteSpan(bytes.data() + kHeaderSize,
                                                               bytes.size() - kHeaderSize)));
        store_le_u32(bytes.data(), crypto::crc32c(ByteSpan(bytes.data() + 4, kHeaderSize - 4)));
    }
    ByteSpan input(bytes.data(), bytes.size());
    auto decoded = decode_message(input, limits);
    if (!decoded) return 0;
    KB_ASSERT(decoded->header.size == input.size());
    const Bytes again = encode_message(decoded->header, decoded->body);
    KB_ASSERT(again.size() == input.size());
    KB_ASSERT(std::memcmp(again.data(), input.data(), input.size()) == 0);
    (void)describe(decoded->header);
    return 0;
}
