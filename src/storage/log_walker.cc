// Block-wise reading of consecutive records (see log_walker.h).
#include "storage/log_walker.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "base/assert.h"

namespace kb::storage {

namespace {
constexpr usize kBlockBytesMin = 4 * 1024;
constexpr usize kBlockBytesFirst = 16 * 1024;
constexpr usize kBlockBytesMax = 256 * 1024;
}  // namespace

RecordWalker::RecordWalker(io::Storage& storage, io::FileHandle file, u64 file_size,
                           std::string path)
    : storage_(storage),
      file_(file),
      file_size_(file_size),
      path_(std::move(path)),
      block_bytes_(kBlockBytesFirst) {}

Status RecordWalker::read_exact(u64 offset, MutableByteSpan out) {
    usize done = 0;
    while (done < out.size()) {
        const usize got = KB_TRY(storage_.read_sync(file_, offset + done, out.subspan(done)));
        if (got == 0) {
            return Status::corruption(path_ + ": unexpected end of file at offset " +
                                      std::to_string(offset + done));
        }
        done += got;
    }
    return Status::ok();
}

Result<ByteSpan> RecordWalker::view(u64 offset, usize size) {
    KB_ASSERT(size <= kBlockBytesMax && offset + size <= file_size_);
    if (offset >= buffer_offset_ && offset + size <= buffer_offset_ + buffer_length_) {
        return ByteSpan(buffer_.data() + (offset - buffer_offset_), size);
    }
    // A new block. It grows while blocks keep serving several records (a walk through small
    // records: fewer, larger reads) and shrinks while each serves one (a walk hopping over
    // large payloads: do not read what it skips).
    if (buffer_length_ != 0) {
        block_bytes_ = served_ > 1 ? std::min(block_bytes_ * 2, kBlockBytesMax)
                                   : std::max(block_bytes_ / 4, kBlockBytesMin);
    }
    const usize length =
        static_cast<usize>(std::min<u64>(std::max(block_bytes_, size), file_size_ - offset));
    if (buffer_.size() < length) buffer_.resize(std::max(length, block_bytes_));
    buffer_length_ = 0;
    KB_TRY(read_exact(offset, MutableByteSpan(buffer_.data(), length)));
    buffer_offset_ = offset;
    buffer_length_ = length;
    served_ = 0;
    return ByteSpan(buffer_.data(), size);
}

Result<WalkStep> RecordWalker::header_at(u64 offset) {
    KB_ASSERT(offset >= kSegmentRecordsOffset);
    WalkStep step;
    if (offset + kRecordHeaderSize > file_size_) {
        step.outcome = ScanOutcome::end;
        return step;
    }
    ByteSpan bytes = KB_TRY(view(offset, kRecordHeaderSize));
    ++served_;
    std::memcpy(step.header_bytes.data(), bytes.data(), kRecordHeaderSize);
    HeaderCheck checked = check_record_header(step.header_bytes, offset, file_size_);
    step.outcome = checked.outcome;
    step.next_offset = checked.next_offset;
    step.header = checked.header;
    step.problem = std::move(checked.problem);
    return step;
}

Status RecordWalker::read_record(u64 offset, const WalkStep& step, Bytes* record) {
    KB_ASSERT(step.outcome == ScanOutcome::record);
    const usize length = step.header.payload_length;
    record->resize(kRecordHeaderSize + length);
    std::memcpy(record->data(), step.header_bytes.data(), kRecordHeaderSize);
    const u64 payload_offset = offset + kRecordHeaderSize;
    MutableByteSpan payload(record->data() + kRecordHeaderSize, length);
    if (payload_offset >= buffer_offset_ &&
        payload_offset + length <= buffer_offset_ + buffer_length_) {
        std::memcpy(payload.data(), buffer_.data() + (payload_offset - buffer_offset_), length);
    } else if (length <= block_bytes_ / 2) {
        // Small: refill from here, so the records after it come from the same block.
        ByteSpan bytes = KB_TRY(view(payload_offset, length));
        std::memcpy(payload.data(), bytes.data(), length);
    } else {
        KB_TRY(read_exact(payload_offset, payload));
    }
    return check_payload(step.header, payload).with_context(path_);
}

}  // namespace kb::storage
