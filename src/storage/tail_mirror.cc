// Reading and checking tail mirrors (see tail_mirror.h).
#include "storage/tail_mirror.h"

#include <algorithm>

#include "crypto/crc32c.h"
#include "storage/record_builder.h"

namespace kb::storage {

namespace {

std::optional<TailMirror> refuse(std::string* problem, std::string why) {
    if (problem != nullptr) *problem = std::move(why);
    return std::nullopt;
}

// Reads up to out.size() bytes at `offset`; fewer only at the end of the file.
Result<usize> read_up_to(io::Storage& storage, io::FileHandle file, u64 offset,
                         MutableByteSpan out) {
    usize done = 0;
    while (done < out.size()) {
        const usize got = KB_TRY(storage.read_sync(file, offset + done, out.subspan(done)));
        if (got == 0) break;
        done += got;
    }
    return done;
}

}  // namespace

std::optional<TailMirror> check_tail_mirror(const SegmentHeader& segment, usize slot,
                                            ByteSpan header_block, ByteSpan copy,
                                            std::string* problem) {
    const MirrorSlotHeader decoded = decode_mirror_header(header_block);
    if (decoded.state == MarkSlotState::empty) return refuse(problem, "empty");
    if (decoded.state == MarkSlotState::invalid) {
        return refuse(problem, "slot header is damaged or torn");
    }
    const MirrorHeader& header = decoded.header;
    if (header.segment_number != segment.segment_number) {
        return refuse(problem, "mirror names segment " + std::to_string(header.segment_number));
    }
    if (header.length + kMirrorHeaderSize > segment.mirror_slot_bytes ||
        header.offset < segment.records_offset() ||
        header.offset + header.length > segment.capacity_bytes) {
        return refuse(problem, "mirror's range does not fit the segment");
    }
    if (copy.size() < header.length) return refuse(problem, "copy runs past the end of the file");
    const ByteSpan bytes = copy.first(static_cast<usize>(header.length));
    if (crypto::crc32c(bytes) != header.copy_checksum) {
        return refuse(problem, "copy checksum mismatch (a torn mirror write, or damage)");
    }

    TailMirror mirror;
    mirror.slot = slot;
    mirror.header = header;
    mirror.copy.assign(bytes.begin(), bytes.end());
    u64 at = 0;
    Position position = header.first_position;
    while (at < header.length) {
        if (position > header.last_position) {
            return refuse(problem, "copy holds more records than the mirror names");
        }
        const ByteSpan rest = ByteSpan(mirror.copy).subspan(static_cast<usize>(at));
        if (rest.size() < kRecordHeaderSize) return refuse(problem, "copy ends inside a record");
        const HeaderDecode decoded_header = decode_record_header(
            std::span<const u8, kRecordHeaderSize>(rest.data(), kRecordHeaderSize));
        if (!decoded_header.header) {
            return refuse(problem, "record " + to_string(position) + " in the copy: " +
                                       std::string(header_problem_name(decoded_header.problem)));
        }
        const u64 size = kRecordHeaderSize + decoded_header.header->payload_length;
        if (size > rest.size()) return refuse(problem, "copy ends inside a record");
        auto view = parse_record(rest.first(static_cast<usize>(size)));
        if (!view) {
            return refuse(problem, "record " + to_string(position) +
                                       " in the copy: " + view.error().message());
        }
        if (view->header.position != position) {
            return refuse(problem, "copy holds position " + to_string(view->header.position) +
                                       " where " + to_string(position) + " belongs");
        }
        if (!mirror.records.empty() &&
            view->header.previous_chain_hash != mirror.records.back().chain_hash) {
            return refuse(problem, "record " + to_string(position) + " in the copy does not chain");
        }
        MirroredRecord record;
        record.position = position;
        record.offset = header.offset + at;
        record.next_offset = record.offset + size;
        record.header = view->header;
        record.header_bytes = view->header_bytes;
        record.previous_chain_hash = view->header.previous_chain_hash;
        record.chain_hash = chain_hash_next(record.previous_chain_hash, view->header_bytes);
        mirror.records.push_back(record);
        at += size;
        position = position.next();
    }
    if (mirror.records.empty() || mirror.records.back().position != header.last_position) {
        return refuse(problem, "copy holds fewer records than the mirror names");
    }
    return mirror;
}

Result<TailMirrors> read_tail_mirrors(io::Storage& storage, io::FileHandle file, u64 file_size,
                                      const SegmentHeader& segment, u64 min_mark_sequence) {
    TailMirrors mirrors;
    if (segment.mirror_slot_bytes == 0) return mirrors;
    for (usize slot = 0; slot < 2; ++slot) {
        const u64 offset = segment.mirror_slot_offset(slot);
        std::array<u8, kMirrorHeaderSize> block{};
        // A short file (its preallocation lost in a crash) reads as zeros past its end.
        if (offset < file_size) {
            const usize want = static_cast<usize>(std::min<u64>(block.size(), file_size - offset));
            KB_TRY(read_up_to(storage, file, offset, MutableByteSpan(block.data(), want)));
        }
        const MirrorSlotHeader decoded = decode_mirror_header(block);
        if (decoded.state == MarkSlotState::empty) continue;
        if (decoded.state == MarkSlotState::invalid) {
            mirrors.damaged.push_back(
                DamagedMirrorSlot{slot, "mirror slot header is damaged or torn"});
            continue;
        }
        if (decoded.header.mark_sequence < min_mark_sequence) continue;
        std::string problem = "mirror does not fit its slot";
        if (decoded.header.length + kMirrorHeaderSize <= segment.mirror_slot_bytes) {
            Bytes copy(static_cast<usize>(decoded.header.length));
            const usize got = KB_TRY(read_up_to(storage, file, offset + kMirrorHeaderSize, copy));
            copy.resize(got);
            if (auto mirror = check_tail_mirror(segment, slot, block, copy, &problem)) {
                mirrors.valid.push_back(std::move(*mirror));
                continue;
            }
        }
        mirrors.damaged.push_back(DamagedMirrorSlot{slot, problem});
    }
    return mirrors;
}

}  // namespace kb::storage
