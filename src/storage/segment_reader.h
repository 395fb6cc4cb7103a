// SegmentReader: reads one segment file record by record, checking every byte it returns.
//
// Shared by recovery (Log::open), verified reads and the verifier (`kmb verify`), so all three
// agree on what a damaged record is. Reads go through Storage::read_sync (usable from the loop
// before it runs, from reader threads, and on read-only storages beside a running server).
// The reader checks each record on its own (header checksum and sanity, payload checksum and
// digest); chain linkage between records is the caller's, who knows what came before.
#pragma once

#include <array>
#include <string>

#include "base/bytes.h"
#include "io/storage.h"
#include "storage/record.h"
#include "storage/segment_format.h"

namespace kb::storage {

enum class ScanOutcome : u8 {
    record,           // a record whose header and payload check out
    end,              // zero bytes where a header would start, or the end of the file
    damaged_header,   // header torn, flipped or malformed: the next record cannot be located
    damaged_payload,  // header fine, payload fails its checksum or digest: next_offset is valid
    unsupported,      // a record format version this build does not read
};

// What a record header read at `offset` says, in a segment file of `file_size` bytes: a record
// (header, and where the next record starts), the end of the records (zeros or no room), or a
// problem (damaged_header, unsupported). The one definition SegmentReader and RecordWalker
// (log_walker.h) share.
struct HeaderCheck {
    ScanOutcome outcome = ScanOutcome::end;
    u64 next_offset = 0;  // record only
    RecordHeader header;  // record only
    std::string problem;  // damaged_header, unsupported
};
HeaderCheck check_record_header(const RecordHeaderBytes& bytes, u64 offset, u64 file_size);

struct ScanStep {
    ScanOutcome outcome = ScanOutcome::end;
    u64 offset = 0;       // where the record starts in the file
    u64 next_offset = 0;  // where the next one starts (record, damaged_payload)
    RecordHeader header;  // record, damaged_payload
    RecordHeaderBytes header_bytes{};
    Bytes sealed_payload;  // record only
    std::string problem;   // what failed, for the damaged outcomes
};

class SegmentReader {
public:
    // Reads through an already open handle (the log's own), without re-reading the header.
    static SegmentReader borrow(io::Storage& storage, io::FileHandle file, u64 file_size,
                                const SegmentHeader& header, std::string path);

    // Opens segment `number` read-only and decodes its header and mark slots. Errors:
    // not_found, corruption (bad segment header), unsupported (unknown version), io_error.
    static Result<SegmentReader> open(io::Storage& storage, u64 number);
    // The same, but a damaged or missing segment header is not an error: header_status()
    // says what is wrong, and the mark slots (which carry their own checksums) are still
    // decoded. Recovery uses this to tell a segment that was never completed from damage.
    static Result<SegmentReader> open_lenient(io::Storage& storage, u64 number);
    const Status& header_status() const { return header_status_; }

    SegmentReader(SegmentReader&& other) noexcept;
    SegmentReader& operator=(SegmentReader&&) = delete;
    ~SegmentReader();

    const SegmentHeader& header() const { return header_; }
    io::Storage& storage() const { return *storage_; }
    io::FileHandle file() const { return file_; }
    const std::array<MarkSlot, 2>& mark_slots() const { return marks_; }
    u64 file_size() const { return file_size_; }
    const std::string& path() const { return path_; }

    // Reads the record starting at `offset` (>= header().records_offset()). io_error only for IO
    // failures; damage is an outcome, not an error.
    Result<ScanStep> read_at(u64 offset);

    // Reads and checks only the header at `offset` (payload not read, not checked): enough to
    // step over records to a wanted position.
    Result<ScanStep> read_header_at(u64 offset);

    // Reads exactly out.size() bytes at `offset` (corruption when the file ends first).
    Status read_exact(u64 offset, MutableByteSpan out);

private:
    SegmentReader(io::Storage& storage, io::FileHandle file, std::string path);

    io::Storage* storage_;
    io::FileHandle file_;
    bool open_ = true;  // owns the handle (closes it)
    std::string path_;
    SegmentHeader header_;
    Status header_status_;
    std::array<MarkSlot, 2> marks_{};
    u64 file_size_ = 0;
};

}  // namespace kb::storage
