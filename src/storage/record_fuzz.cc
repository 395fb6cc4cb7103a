// Fuzz target for the log's decoders of bytes read from disk or received from a primary:
// record headers and whole records (parse_record), segment headers, durability marks and
// segment indexes. Anything must either decode to something that re-encodes to the same bytes
// or be refused with a Status; never crash, never read out of bounds.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/assert.h"
#include "storage/record_builder.h"
#include "storage/segment_format.h"
#include "storage/segment_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace kb;
    using namespace kb::storage;
    ByteSpan input(data, size);

    if (size >= kRecordHeaderSize) {
        std::span<const u8, kRecordHeaderSize> header_bytes(data, kRecordHeaderSize);
        HeaderDecode decoded = decode_record_header(header_bytes);
        if (decoded.header) {
            RecordHeaderBytes encoded = encode_record_header(*decoded.header);
            KB_ASSERT(std::memcmp(encoded.data(), data, kRecordHeaderSize) == 0);
        }
    }
    auto record = parse_record(input);
    if (record) {
        KB_ASSERT(record->sealed_payload.size() == record->header.payload_length);
        KB_ASSERT(check_payload(record->header, record->sealed_payload).is_ok());
    }
    if (size >= kSegmentHeaderSize) {
        auto header = decode_segment_header(input.first(kSegmentHeaderSize), "fuzz");
        if (header) {
            auto encoded = encode_segment_header(*header);
            KB_ASSERT(std::memcmp(encoded.data(), data, kSegmentHeaderSize) == 0);
        }
    }
    if (size >= kMarkSlotSize) {
        MarkSlot slot = decode_mark(input.first(kMarkSlotSize));
        if (slot.state == MarkSlotState::valid) {
            auto encoded = encode_mark(slot.mark);
            KB_ASSERT(std::memcmp(encoded.data(), data, kMarkSlotSize) == 0);
        }
    }
    auto index = decode_segment_index(input, "fuzz");
    if (index) {
        Bytes encoded = encode_segment_index(*index);
        KB_ASSERT(encoded.size() == size && std::memcmp(encoded.data(), data, size) == 0);
        for (const IndexAnchor& anchor : index->anchors) {
            (void)index->anchor_for(anchor.position);
        }
    }
    return 0;
}
