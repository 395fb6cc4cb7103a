// Fuzz target for the op decoder: op payloads come out of the log (and, on backups, from the
// primary), so decode_op must take any bytes. Anything must either decode to an op that
// re-encodes to exactly the same bytes (the encoding is canonical) or be refused with a
// Status; never crash, never read out of bounds, never allocate what the input only claims.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/assert.h"
#include "kernel/op_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace kb;
    using namespace kb::kernel;
    auto op = decode_op(ByteSpan(data, size));
    if (op) {
        KB_ASSERT(encoded_op_size(*op) == size);
        auto encoded = encode_op(*op, limits::kOpSizeBytesMax);
        KB_ASSERT(encoded.has_value());
        KB_ASSERT(encoded->size() == size && std::memcmp(encoded->data(), data, size) == 0);
    } else {
        KB_ASSERT(op.error().code() == StatusCode::corruption ||
                  op.error().code() == StatusCode::unsupported);
    }
    return 0;
}
