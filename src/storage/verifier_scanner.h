// The verifier's reading side. RecordScanner locates a segment's records in batches, each as
// far as one read of 256 KiB holds them whole; classify_record() then decides what each
// one is: header, payload bounds, payload checksum and digest, exactly as
// SegmentReader::read_at decides for recovery, plus the record's chain hash computed from its
// own stored link.
//
// Locating is sequential but cheap (it follows the headers' length fields). Classifying is
// the costly part, two CRC32Cs and two SHA-256s a record, and touches one record only, so the
// verifier shares it out to threads and keeps only its in-order decisions sequential. The
// chain hash is computable per record because each header stores chain_hash(n - 1): once the
// in-order pass has checked that stored link against the chain it has, SHA-256(stored link ||
// header) is the chain's next hash.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/ints.h"
#include "io/storage.h"
#include "kimberlite/status.h"
#include "storage/record.h"
#include "storage/segment_reader.h"  // ScanOutcome
#include "types/hash.h"

namespace kb::storage {

// One record as the scanner located it and classify_record() classified it. Pointers point
// into the scanner's buffers (see RecordScanner for how long they stay valid).
struct ScannedRecord {
    // Set by the scanner.
    u64 offset = 0;
    const u8* header_at = nullptr;  // kRecordHeaderSize bytes; nullptr: the file ends first
    u64 payload_length = 0;         // as the header's bytes say (not yet checked)
    bool payload_in_file = false;   // a payload so long ends within the file

    // Set by classify_record().
    ScanOutcome outcome = ScanOutcome::end;
    u64 next_offset = 0;  // record, damaged_payload
    RecordHeader header;  // record, damaged_payload
    RecordHeaderBytes header_bytes{};
    ByteSpan sealed_payload;  // record only
    std::string problem;      // damaged outcomes
    // SHA-256(header.previous_chain_hash || header_bytes[0, 144)): this record's chain hash
    // if its stored link is right, which the caller must check before using it. Records only,
    // and only when asked for.
    ComplianceHash chain_hash;
};

// Classifies a located record. Touches only `record` and the bytes it points to, so the
// records of a batch may be classified on different threads.
void classify_record(ScannedRecord* record, bool with_chain_hash);

// True when the scanner found a record here whose end it knows: a header in the file with the
// record magic and a payload length that ends within the file. classify_record() may still
// find it damaged; when this is false it is certainly not a record.
bool located_whole(const ScannedRecord& record);

// Reads one segment file's records in order.
class RecordScanner {
public:
    // Small enough that a batch is still in the core's cache when the in-order pass gets to
    // it (1 MiB batches cost ~5% more CPU here), large enough that reads are few.
    static constexpr u64 kChunkBytes = u64{256} << 10;

    static Result<std::unique_ptr<RecordScanner>> open(io::Storage& storage,
                                                       const std::string& path);
    ~RecordScanner();
    RecordScanner(const RecordScanner&) = delete;
    RecordScanner& operator=(const RecordScanner&) = delete;

    // The record at `offset`, classified (without its chain hash). Its pointers are valid
    // until the next call.
    Result<ScannedRecord> read_at(u64 offset);

    // Locates the records from `offset` on, in order, as far as one fresh read of at least
    // kChunkBytes holds them whole (a longer read for a longer first record). Classified in
    // order, they are what read_at would return, up to the first that is not a record: the
    // batch ends with the first that is not located_whole(), or with the last record wholly
    // read. Records after one whose header turns out damaged are meaningless, and the caller
    // must not go past it. Never empty.
    //
    // Each batch reads into the other of two buffers, so a batch's pointers stay valid until
    // the next call but one: a batch can be classified while the next is read.
    Status scan_batch(u64 offset, std::vector<ScannedRecord>* batch);

private:
    RecordScanner(io::Storage& storage, io::FileHandle file, std::string path);

    Result<bool> locate(u64 offset, bool may_read, ScannedRecord* record);
    bool buffered(u64 offset, u64 length) const;
    Result<const u8*> bytes_at(u64 offset, u64 length);

    io::Storage& storage_;
    io::FileHandle file_;
    std::string path_;
    u64 file_size_ = 0;
    Bytes buffer_;
    u64 buffer_offset_ = 0;
    Bytes spare_buffer_;  // the previous batch's
    u64 spare_buffer_offset_ = 0;
};

// The records of one scan_batch() and how their classification is cut into pieces of work.
struct ScannedBatch {
    std::vector<ScannedRecord> records;
    std::vector<usize> piece_starts;  // indices where pieces start, then records.size()
};

// Where the batch after `batch` starts, if its last record is located_whole().
std::optional<u64> batch_continues_at(const ScannedBatch& batch);

}  // namespace kb::storage
