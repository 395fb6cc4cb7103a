// The verifier's record scanner and classifier (see verifier_scanner.h).
#include "storage/verifier_scanner.h"

#include <algorithm>
#include <span>
#include <utility>

#include "base/assert.h"
#include "base/endian.h"

namespace kb::storage {
namespace {

// Where a record header holds its payload length, u32 (docs/FORMATS.md, "Log record"): the
// scanner reads it to find the next record before the header is decoded. classify_record()
// checks it against the decoded header.
constexpr usize kPayloadLengthOffset = 64;

}  // namespace

void classify_record(ScannedRecord* record, bool with_chain_hash) {
    if (record->header_at == nullptr) return;  // end
    std::copy(record->header_at, record->header_at + kRecordHeaderSize,
              record->header_bytes.begin());
    HeaderDecode decoded =
        decode_record_header(std::span<const u8, kRecordHeaderSize>(record->header_bytes));
    if (!decoded.header) {
        switch (decoded.problem) {
            case HeaderProblem::zero:
                break;  // end
            case HeaderProblem::unknown_version:
                record->outcome = ScanOutcome::unsupported;
                record->problem = "record format version " + std::to_string(decoded.version) +
                                  " is not supported";
                break;
            default:
                record->outcome = ScanOutcome::damaged_header;
                record->problem = std::string(header_problem_name(decoded.problem));
                break;
        }
        return;
    }
    record->header = *decoded.header;
    KB_ASSERT(record->header.payload_length == record->payload_length);
    if (!record->payload_in_file) {
        record->outcome = ScanOutcome::damaged_header;
        record->problem = "record length runs past the end of the segment";
        return;
    }
    record->next_offset = record->offset + kRecordHeaderSize + record->payload_length;
    const ByteSpan sealed(record->header_at + kRecordHeaderSize, record->payload_length);
    Status checked = check_payload(record->header, sealed);
    if (!checked.is_ok()) {
        record->outcome = ScanOutcome::damaged_payload;
        record->problem = checked.message();
        return;
    }
    record->outcome = ScanOutcome::record;
    record->sealed_payload = sealed;
    if (with_chain_hash) {
        record->chain_hash =
            chain_hash_next(record->header.previous_chain_hash, record->header_bytes);
    }
}

bool located_whole(const ScannedRecord& record) {
    return record.header_at != nullptr && record.payload_in_file &&
           load_le_u32(record.header_at) == kRecordMagic;
}

std::optional<u64> batch_continues_at(const ScannedBatch& batch) {
    KB_ASSERT(!batch.records.empty());
    const ScannedRecord& last = batch.records.back();
    if (!located_whole(last)) return std::nullopt;
    return last.offset + kRecordHeaderSize + last.payload_length;
}

Result<std::unique_ptr<RecordScanner>> RecordScanner::open(io::Storage& storage,
                                                           const std::string& path) {
    io::FileHandle file = KB_TRY(storage.open(path, io::OpenOptions{}));
    std::unique_ptr<RecordScanner> scanner(new RecordScanner(storage, file, path));
    scanner->file_size_ = KB_TRY(storage.size(file));
    return scanner;
}

RecordScanner::RecordScanner(io::Storage& storage, io::FileHandle file, std::string path)
    : storage_(storage), file_(file), path_(std::move(path)) {}

RecordScanner::~RecordScanner() { (void)storage_.close(file_); }

Result<ScannedRecord> RecordScanner::read_at(u64 offset) {
    ScannedRecord record;
    KB_TRY(locate(offset, true, &record));
    classify_record(&record, false);
    return record;
}

Status RecordScanner::scan_batch(u64 offset, std::vector<ScannedRecord>* batch) {
    batch->clear();
    std::swap(buffer_, spare_buffer_);
    std::swap(buffer_offset_, spare_buffer_offset_);
    while (true) {
        ScannedRecord& record = batch->emplace_back();
        // Only the first record may read: the others' bytes must stay where they are.
        const bool located = KB_TRY(locate(offset, batch->size() == 1, &record));
        if (!located) {
            batch->pop_back();
            return Status::ok();
        }
        if (!located_whole(record)) return Status::ok();
        offset += kRecordHeaderSize + record.payload_length;
    }
}

// Locates the record at `offset`: brings its header into the buffer, and its payload too when
// the header's length field puts it within the file. With `may_read` false, returns false
// instead of reading when they are not both in the buffer already. Whenever the record is
// payload_in_file and its header decodes, the payload is in the buffer.
Result<bool> RecordScanner::locate(u64 offset, bool may_read, ScannedRecord* record) {
    record->offset = offset;
    if (offset + kRecordHeaderSize > file_size_) return true;  // end
    if (!may_read && !buffered(offset, kRecordHeaderSize)) return false;
    const u8* header = KB_TRY(bytes_at(offset, kRecordHeaderSize));
    const u32 payload_length = load_le_u32(header + kPayloadLengthOffset);
    const u64 length = kRecordHeaderSize + payload_length;
    record->payload_length = payload_length;
    record->payload_in_file = offset + length <= file_size_;
    record->header_at = header;
    if (!record->payload_in_file || buffered(offset, length)) return true;
    if (!may_read) return false;
    // Only a header that decodes says how long its payload is: a damaged one must not make the
    // scanner read (or fail to read) a payload that was never written.
    if (!decode_record_header(std::span<const u8, kRecordHeaderSize>(header, kRecordHeaderSize))
             .header) {
        return true;
    }
    header = KB_TRY(bytes_at(offset, length));
    if (load_le_u32(header + kPayloadLengthOffset) != payload_length) {
        return Status::corruption(path_ + " offset " + std::to_string(offset) +
                                  ": changed while it was being verified");
    }
    record->header_at = header;
    return true;
}

bool RecordScanner::buffered(u64 offset, u64 length) const {
    return offset >= buffer_offset_ && offset + length <= buffer_offset_ + buffer_.size();
}

// [offset, offset + length) of the file (which must hold it), from the buffer, refilled from
// `offset` on when it does not cover the range.
Result<const u8*> RecordScanner::bytes_at(u64 offset, u64 length) {
    if (buffered(offset, length)) return buffer_.data() + (offset - buffer_offset_);
    const u64 want = std::min(std::max(length, kChunkBytes), file_size_ - offset);
    buffer_.resize(static_cast<usize>(want));
    buffer_offset_ = offset;
    usize done = 0;
    while (done < buffer_.size()) {
        const usize got = KB_TRY(storage_.read_sync(
            file_, offset + done, MutableByteSpan(buffer_.data() + done, buffer_.size() - done)));
        if (got == 0) {
            // The file shrank under us: what was not read is not there.
            buffer_.resize(done);
            return Status::corruption(path_ + ": unexpected end of file at offset " +
                                      std::to_string(offset + done));
        }
        done += got;
    }
    return buffer_.data();
}

}  // namespace kb::storage
