// Fuzz target for the decoders of key material read from outside the process: the master key
// file (from the key directory) and wrapped keys (from key records in the log). Any input must
// either decode to something that re-encodes to the same bytes, or fail with a Status; it must
// never crash, read out of bounds or accept a malformed image.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/assert.h"
#include "crypto/key_wrap.h"
#include "crypto/master_key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    kb::ByteSpan input(data, size);

    auto wrapped = kb::crypto::WrappedKey::decode(input);
    if (wrapped.has_value()) {
        auto encoded = wrapped->encode();
        KB_ASSERT(size == encoded.size());
        KB_ASSERT(std::memcmp(encoded.data(), data, size) == 0);
    }

    auto master = kb::crypto::decode_master_key_file(input, "fuzz-input");
    if (master.has_value()) {
        std::array<kb::u8, kb::crypto::kMasterKeyFileSize> encoded{};
        kb::crypto::encode_master_key_file(master->id, master->key, encoded);
        KB_ASSERT(size == encoded.size());
        KB_ASSERT(std::memcmp(encoded.data(), data, size) == 0);
    }
    return 0;
}
