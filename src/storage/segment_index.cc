// Sparse segment index: in-memory bookkeeping and the .kbi file codec.
#include "storage/segment_index.h"

#include <algorithm>

#include "base/assert.h"
#include "base/endian.h"
#include "crypto/crc32c.h"

namespace kb::storage {

namespace {
constexpr usize kIndexHeaderSize = 4 + 2 + 2 + 8 + 8 + 8 + 8 + 32 + 32 + 8;
constexpr usize kAnchorSize = 8 + 8 + 32;
}  // namespace

void SegmentSummary::add(Position position, u64 offset, u64 next_offset,
                         const ComplianceHash& previous, const ComplianceHash& chain_hash) {
    KB_ASSERT(position == last_position.next() || (empty() && position == first_position));
    const u64 index_in_segment = position.value() - first_position.value();
    if (index_in_segment % kIndexStride == 0) {
        anchors.push_back(IndexAnchor{position, offset, previous});
    }
    last_position = position;
    end_offset = next_offset;
    last_chain_hash = chain_hash;
}

void SegmentSummary::truncate_after(Position position, u64 end_offset_after,
                                    const ComplianceHash& chain_hash) {
    KB_ASSERT(position.next() >= first_position && position <= last_position);
    while (!anchors.empty() && anchors.back().position > position) anchors.pop_back();
    last_position = position;
    end_offset = end_offset_after;
    last_chain_hash = chain_hash;
}

const IndexAnchor& SegmentSummary::anchor_for(Position position) const {
    KB_ASSERT(!anchors.empty());
    KB_ASSERT(position >= first_position && position <= last_position);
    auto after =
        std::upper_bound(anchors.begin(), anchors.end(), position,
                         [](Position p, const IndexAnchor& anchor) { return p < anchor.position; });
    KB_ASSERT(after != anchors.begin());
    return *(after - 1);
}

Bytes encode_segment_index(const SegmentSummary& summary) {
    Bytes bytes(kIndexHeaderSize + summary.anchors.size() * kAnchorSize + 4);
    LeWriter writer(bytes);
    writer.put(kIndexMagic);
    writer.put(kIndexFormatVersion);
    writer.put(u16{0});
    writer.put(summary.segment_number);
    writer.put(summary.first_position.value());
    writer.put(summary.last_position.value());
    writer.put(summary.end_offset);
    writer.put_bytes(summary.previous_chain_hash.bytes());
    writer.put_bytes(summary.last_chain_hash.bytes());
    writer.put(static_cast<u64>(summary.anchors.size()));
    for (const IndexAnchor& anchor : summary.anchors) {
        writer.put(anchor.position.value());
        writer.put(anchor.offset);
        writer.put_bytes(anchor.previous_chain_hash.bytes());
    }
    writer.put(crypto::crc32c(ByteSpan(bytes.data(), writer.position())));
    KB_ASSERT(writer.remaining() == 0);
    return bytes;
}

Result<SegmentSummary> decode_segment_index(ByteSpan bytes, std::string_view path) {
    const std::string where(path);
    if (bytes.size() < kIndexHeaderSize + 4) {
        return Status::corruption(where + ": segment index truncated");
    }
    if (load_le_u32(bytes.data() + bytes.size() - 4) !=
        crypto::crc32c(bytes.first(bytes.size() - 4))) {
        return Status::corruption(where + ": segment index checksum mismatch");
    }
    LeReader reader(bytes.first(bytes.size() - 4));
    if (reader.get<u32>() != kIndexMagic) {
        return Status::corruption(where + ": not a segment index (bad magic)");
    }
    const u16 version = reader.get<u16>();
    if (version != kIndexFormatVersion) {
        return Status::unsupported(where + ": segment index version " + std::to_string(version) +
                                   " is not supported");
    }
    (void)reader.get<u16>();
    SegmentSummary summary;
    summary.segment_number = reader.get<u64>();
    summary.first_position = Position(reader.get<u64>());
    summary.last_position = Position(reader.get<u64>());
    summary.end_offset = reader.get<u64>();
    summary.previous_chain_hash = ComplianceHash::from_bytes(reader.get_bytes(32));
    summary.last_chain_hash = ComplianceHash::from_bytes(reader.get_bytes(32));
    const u64 count = reader.get<u64>();
    if (count != reader.remaining() / kAnchorSize || reader.remaining() % kAnchorSize != 0) {
        return Status::corruption(where + ": segment index anchor count does not match its size");
    }
    summary.anchors.reserve(count);
    for (u64 i = 0; i < count; ++i) {
        IndexAnchor anchor;
        anchor.position = Position(reader.get<u64>());
        anchor.offset = reader.get<u64>();
        anchor.previous_chain_hash = ComplianceHash::from_bytes(reader.get_bytes(32));
        summary.anchors.push_back(anchor);
    }
    KB_ASSERT(reader.ok());
    // Structural sanity, so later lookups can assert: anchors strictly increasing, inside the
    // segment, first anchor on the first record.
    const bool empty = summary.last_position.value() < summary.first_position.value();
    bool sane = summary.segment_number != 0 && summary.first_position != Position::none() &&
                summary.last_position.value() + 1 >= summary.first_position.value() &&
                (empty ? summary.anchors.empty()
                       : (!summary.anchors.empty() &&
                          summary.anchors.front().position == summary.first_position));
    for (usize i = 0; sane && i < summary.anchors.size(); ++i) {
        const IndexAnchor& anchor = summary.anchors[i];
        sane = anchor.position <= summary.last_position && anchor.offset < summary.end_offset &&
               (i == 0 || (anchor.position > summary.anchors[i - 1].position &&
                           anchor.offset > summary.anchors[i - 1].offset));
    }
    if (!sane) {
        return Status::corruption(where + ": segment index fields are inconsistent");
    }
    return summary;
}

}  // namespace kb::storage
