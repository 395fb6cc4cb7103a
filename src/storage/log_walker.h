// RecordWalker: reads consecutive records of one log segment in blocks, for the log's reads
// and trust checks (log_read.cc, log_trust.cc).
//
// Log::read and the walks that verify a read against a trust anchor step through many
// records in order. Reading each header and each payload with its own read_sync costs one or
// two system calls per record (about 1 µs each here, more than hashing a header); the walker
// reads blocks instead (16 KiB at first, doubling up to 256 KiB while the walk keeps finding
// records in them, back to 4 KiB while it only skips over large payloads) and takes records
// out of them. A payload that does not fit the block is read straight into its record.
//
// It checks what SegmentReader checks (segment_reader.h), with the same outcomes, so reads,
// recovery and kmb verify agree on what a damaged record is: the header's checksum and
// sanity always, the payload's checksum and digest when the payload is read. Chain links are
// the caller's. Borrowed handle, used on the loop thread (read_sync), one walk at a time.
#pragma once

#include <string>

#include "base/bytes.h"
#include "io/storage.h"
#include "storage/record.h"
#include "storage/segment_reader.h"

namespace kb::storage {

struct WalkStep {
    ScanOutcome outcome = ScanOutcome::end;  // record, end, damaged_header or unsupported
    u64 next_offset = 0;                     // where the next record starts (record only)
    RecordHeader header;                     // record only
    RecordHeaderBytes header_bytes{};
    std::string problem;  // what failed, for damaged_header and unsupported
};

class RecordWalker {
public:
    // `file_size`: the segment file's size (records never run past it).
    RecordWalker(io::Storage& storage, io::FileHandle file, u64 file_size, std::string path);

    const std::string& path() const { return path_; }

    // The header of the record at `offset` (>= kSegmentRecordsOffset). io_error only for IO
    // failures; damage is an outcome.
    Result<WalkStep> header_at(u64 offset);

    // The whole record `step` (just returned by header_at(offset)) into *record: header then
    // payload, the payload checked against the header's checksum and digest. corruption
    // naming the file, position and check that failed.
    Status read_record(u64 offset, const WalkStep& step, Bytes* record);

private:
    // Makes [offset, offset + size) readable from the buffer and returns it (size <= the
    // largest block, offset + size <= file size).
    Result<ByteSpan> view(u64 offset, usize size);
    Status read_exact(u64 offset, MutableByteSpan out);

    io::Storage& storage_;
    io::FileHandle file_;
    u64 file_size_ = 0;
    std::string path_;
    Bytes buffer_;
    u64 buffer_offset_ = 0;    // file offset of buffer_[0]
    usize buffer_length_ = 0;  // valid bytes in buffer_
    usize block_bytes_;        // size of the next block read
    u64 served_ = 0;           // records taken from the current block
};

}  // namespace kb::storage
