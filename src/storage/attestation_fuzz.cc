// Fuzz target for the decoders of attestation and co-signature payloads, which `kmb verify`
// reads from logs it does not trust. Any input must either decode to something that
// re-encodes to exactly the same bytes, or fail with a Status; checking the signature of
// whatever decoded must not crash either. Never reads out of bounds or accepts a malformed
// image.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/assert.h"
#include "storage/attestation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    kb::ByteSpan input(data, size);

    auto attestation = kb::storage::decode_attestation(input);
    if (attestation.has_value()) {
        const kb::Bytes encoded = kb::storage::encode_attestation(*attestation);
        KB_ASSERT(encoded.size() == size);
        KB_ASSERT(std::memcmp(encoded.data(), data, size) == 0);
        KB_ASSERT(attestation->statement.position != kb::Position::none());
        (void)kb::storage::verify_attestation_signature(*attestation);
    }

    auto cosignature = kb::storage::decode_cosignature(input);
    if (cosignature.has_value()) {
        const kb::Bytes encoded = kb::storage::encode_cosignature(*cosignature);
        KB_ASSERT(encoded.size() == size);
        KB_ASSERT(std::memcmp(encoded.data(), data, size) == 0);
        (void)kb::storage::verify_cosignature_signature(*cosignature,
                                                        kb::storage::AttestedStatement{});
    }
    KB_ASSERT(!(attestation.has_value() && cosignature.has_value()));
    return 0;
}
