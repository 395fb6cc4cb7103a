// Record-by-record reading of a segment file (see segment_reader.h).
#include "storage/segment_reader.h"

#include <algorithm>
#include <utility>

#include "base/assert.h"

namespace kb::storage {

SegmentReader::SegmentReader(io::Storage& storage, io::FileHandle file, std::string path)
    : storage_(&storage), file_(file), path_(std::move(path)) {}

SegmentReader::SegmentReader(SegmentReader&& other) noexcept
    : storage_(other.storage_),
      file_(other.file_),
      open_(other.open_),
      path_(std::move(other.path_)),
      header_(other.header_),
      header_status_(other.header_status_),
      marks_(other.marks_),
      file_size_(other.file_size_) {
    other.open_ = false;
}

SegmentReader::~SegmentReader() {
    if (open_) {
        (void)storage_->close(file_);
    }
}

Status SegmentReader::read_exact(u64 offset, MutableByteSpan out) {
    usize done = 0;
    while (done < out.size()) {
        usize got = KB_TRY(storage_->read_sync(file_, offset + done, out.subspan(done)));
        if (got == 0) {
            return Status::corruption(path_ + ": unexpected end of file at offset " +
                                      std::to_string(offset + done));
        }
        done += got;
    }
    return Status::ok();
}

Result<SegmentReader> SegmentReader::open(io::Storage& storage, u64 number) {
    SegmentReader reader = KB_TRY(open_lenient(storage, number));
    KB_TRY(reader.header_status_);
    return reader;
}

Result<SegmentReader> SegmentReader::open_lenient(io::Storage& storage, u64 number) {
    std::string path = segment_path(number);
    io::FileHandle file = KB_TRY(storage.open(path, io::OpenOptions{}));
    SegmentReader reader(storage, file, path);
    reader.file_size_ = KB_TRY(storage.size(file));
    std::array<u8, kSegmentRecordsOffset> head{};
    const usize readable = static_cast<usize>(std::min<u64>(reader.file_size_, head.size()));
    KB_TRY(reader.read_exact(0, MutableByteSpan(head.data(), readable)));
    if (reader.file_size_ < kSegmentRecordsOffset) {
        reader.header_status_ =
            Status::corruption(path + ": file of " + std::to_string(reader.file_size_) +
                               " bytes is shorter than a segment header");
    } else {
        auto header = decode_segment_header(ByteSpan(head.data(), kSegmentHeaderSize), path);
        if (!header) {
            reader.header_status_ = header.error();
        } else if (header->segment_number != number) {
            reader.header_status_ = Status::corruption(path + ": header says segment " +
                                                       std::to_string(header->segment_number));
        } else {
            reader.header_ = *header;
        }
    }
    for (usize slot = 0; slot < 2; ++slot) {
        reader.marks_[slot] =
            decode_mark(ByteSpan(head.data() + kMarkSlotOffset[slot], kMarkSlotSize));
    }
    return reader;
}

SegmentReader SegmentReader::borrow(io::Storage& storage, io::FileHandle file, u64 file_size,
                                    const SegmentHeader& header, std::string path) {
    SegmentReader reader(storage, file, std::move(path));
    reader.open_ = false;
    reader.file_size_ = file_size;
    reader.header_ = header;
    return reader;
}

Result<ScanStep> SegmentReader::read_at(u64 offset) {
    ScanStep step = KB_TRY(read_header_at(offset));
    if (step.outcome != ScanOutcome::record) return step;
    step.sealed_payload.resize(step.header.payload_length);
    KB_TRY(read_exact(offset + kRecordHeaderSize, step.sealed_payload));
    Status payload = check_payload(step.header, step.sealed_payload);
    if (!payload.is_ok()) {
        step.outcome = ScanOutcome::damaged_payload;
        step.problem = payload.message();
        step.sealed_payload.clear();
    }
    return step;
}

Result<ScanStep> SegmentReader::read_header_at(u64 offset) {
    KB_ASSERT(offset >= kSegmentRecordsOffset);
    ScanStep step;
    step.offset = offset;
    if (offset + kRecordHeaderSize > file_size_) {
        step.outcome = ScanOutcome::end;
        return step;
    }
    KB_TRY(read_exact(offset, step.header_bytes));
    HeaderCheck checked = check_record_header(step.header_bytes, offset, file_size_);
    step.outcome = checked.outcome;
    step.next_offset = checked.next_offset;
    step.header = checked.header;
    step.problem = std::move(checked.problem);
    return step;
}

HeaderCheck check_record_header(const RecordHeaderBytes& bytes, u64 offset, u64 file_size) {
    HeaderCheck check;
    HeaderDecode decoded = decode_record_header(std::span<const u8, kRecordHeaderSize>(bytes));
    if (!decoded.header) {
        switch (decoded.problem) {
            case HeaderProblem::zero:
                check.outcome = ScanOutcome::end;
                break;
            case HeaderProblem::unknown_version:
                check.outcome = ScanOutcome::unsupported;
                check.problem = "record format version " + std::to_string(decoded.version) +
                                " is not supported";
                break;
            default:
                check.outcome = ScanOutcome::damaged_header;
                check.problem = std::string(header_problem_name(decoded.problem));
                break;
        }
        return check;
    }
    check.header = *decoded.header;
    const u64 end = offset + kRecordHeaderSize + check.header.payload_length;
    if (end > file_size) {
        check.outcome = ScanOutcome::damaged_header;
        check.problem = "record length runs past the end of the segment";
        return check;
    }
    check.next_offset = end;
    check.outcome = ScanOutcome::record;
    return check;
}

}  // namespace kb::storage
